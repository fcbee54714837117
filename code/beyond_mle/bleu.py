r"""Differentiable BLEU and GLEU on token distributions and on token ids.

The construction follows Appendix A of Casas, Fonollosa and Costa-jussà (2018), "A Differentiable
BLEU Loss. Analysis and First Results" (length mask eqs. 2-3, match matrices eqs. 5-6, brevity
penalty eq. 8), except for the clipping: Appendix A clips with validity masks on both sequences
and the minimum of two count matrices, which gives the same counts on one-hot inputs but other
values on soft ones (``beyond_mle.chapters.differentiable_bleu.appendix_a_statistics``); here the
clipped quantity is the expected count. A hypothesis is a sequence of distributions over the
vocabulary, ``probs`` of shape ``(batch, length, vocab)``; a reference is a sequence of token ids.
Every count that BLEU and GLEU use is replaced by its expectation under independent positions:

* the probability that position :math:`i` still belongs to the sentence (the length mask),
  :math:`m_i = \prod_{k \le i} (1 - p_k[\mathrm{eos}])`, and the expected length
  :math:`c = \sum_i m_i`;
* the 1-gram match matrix :math:`M^{(1)}_{ij} = p_i[r_j]`, the probability that hypothesis token
  :math:`i` equals reference token :math:`j`;
* the n-gram match matrix, a product along diagonals,
  :math:`M^{(n)}_{ij} = \prod_{k=0}^{n-1} M^{(1)}_{i+k,\,j+k}`;
* the expected number of times reference n-gram :math:`j` occurs in the hypothesis,
  :math:`S^{(n)}_j = \sum_i m_{i-1} M^{(n)}_{ij}` (the n-gram starting at :math:`i` exists when no
  EOS comes before :math:`i`; its own tokens equal reference tokens, which are never EOS);
* clipped counts :math:`\sum_j v_j \min(S^{(n)}_j, c^{\mathrm{ref}}_j)`, where
  :math:`c^{\mathrm{ref}}_j` is the count of reference n-gram :math:`j` in the reference and the
  validity mask :math:`v_j` keeps only the first occurrence of each distinct n-gram, so that a
  repeated reference n-gram is not counted twice.

On one-hot inputs (or token ids) each of these is the exact count, and the scores equal NLTK's
``corpus_bleu``/``sentence_bleu`` (no smoothing) and ``corpus_gleu``/``sentence_gleu``. On soft
inputs the score is BLEU (or GLEU) of the expected counts, which is differentiable in ``probs``.

References are hard: a tensor of ids ``(batch, ref_length)`` or ``(batch, n_refs, ref_length)``
(negative ids are padding), or NLTK's nested lists (for each hypothesis, a list of references).
When sentences have different numbers of references, the rows of the tensor that only pad a
sentence are marked absent with ``reference_mask`` ``(batch, n_refs)`` or ``n_references``
``(batch,)``; an unmarked all-padding row is an empty reference (length 0), as ``[]`` is in NLTK.
Hypotheses are ``probs`` (a float tensor ``(batch, length, vocab)``), ``token_ids`` (an integer
tensor ``(batch, length)``, negative ids are padding) or a list of token lists, of int ids or of
strings (words, numbered as :class:`beyond_mle.vocabulary.Vocabulary` numbers them). With
``eos_id`` set, a sentence ends before its first EOS token, in hypotheses and references alike.

BLEU takes NLTK's options: ``weights`` (one vector, or several at once, with ``max_order`` taken
from their length), the smoothing methods 0-7 of Chen and Cherry (2014) as NLTK's
``SmoothingFunction`` implements them (``smoothing_method``, see :class:`BleuSmoothing`; all of
them also on ``probs``, differentiable) and ``auto_reweigh``.
"""

from __future__ import annotations

import array
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from numbers import Real
from typing import Any, Literal, cast

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "BleuSmoothing",
    "BleuStatistics",
    "GleuStatistics",
    "bleu_from_statistics",
    "bleu_loss",
    "bleu_statistics",
    "brevity_penalty",
    "closest_reference_lengths",
    "corpus_bleu",
    "corpus_gleu",
    "gleu_from_statistics",
    "gleu_loss",
    "gleu_statistics",
    "length_mask",
    "ngram_matches",
    "reference_ngram_counts",
    "sentence_bleu",
    "sentence_gleu",
    "smoothed_precisions",
    "unigram_matches",
]

Hypotheses = Tensor | Sequence[Sequence[int]] | Sequence[Sequence[str]]
References = Tensor | Sequence[Sequence[Sequence[int]]] | Sequence[Sequence[Sequence[str]]]
Weights = Sequence[float] | Sequence[Sequence[float]] | Tensor | np.ndarray
ReferenceMask = Tensor | Sequence[Sequence[bool]]

_PAD = -1


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Refs:
    """References as one padded tensor, truncated at the first EOS."""

    ids: Tensor  # (B, R, Lr) long, _PAD after each reference's end
    lengths: Tensor  # (B, R) long
    present: Tensor  # (B, R) bool: False for the padding rows of a ragged list of references


def _flat_ids(
    rows: Sequence[Sequence[Any]], name: str, index: dict[Any, int] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The tokens of ``rows`` (token lists) as one flat int64 array, and the length of each row.

    ``index`` numbers token strings; without it every token must be an int id >= 0.
    """
    try:
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        tokens = chain.from_iterable(rows)
        flat = array.array("q", tokens if index is None else map(index.__getitem__, tokens))
    except (TypeError, OverflowError):
        # token strings left here (mixed with ids) are not ints, and fail with a clear message
        raise ValueError(
            f"{name} must hold int token ids (or token strings, when hypotheses and references "
            "are both lists)"
        ) from None
    ids = np.frombuffer(flat, dtype=np.int64)
    if ids.size and ids.min() < 0:
        raise ValueError(f"{name}: token ids must be >= 0, got {ids.min()}")
    return ids, lengths


def _padded(ids: np.ndarray, lengths: np.ndarray, width: int) -> np.ndarray:
    """Rows of ``lengths`` tokens, taken in order from the flat ``ids``, padded with _PAD."""
    out = np.full((lengths.size, width), _PAD, dtype=np.int64)
    out[np.arange(width) < lengths[:, None]] = ids
    return out


def _truncate_at_eos(ids: Tensor, eos_id: int | None) -> Tensor:
    """Replace every id from the first EOS (or first padding) on by _PAD."""
    ended = ids < 0
    if eos_id is not None:
        ended = ended | (ids == eos_id)
    elif ids.numel() and not (ended[..., :-1] > ended[..., 1:]).any():
        return ids.clamp_min(_PAD)  # nothing follows an end: the padding becomes _PAD
    ended = torch.cumsum(ended.to(torch.int32), dim=-1) > 0
    return torch.where(ended, torch.full_like(ids, _PAD), ids)


def _reference_presence(
    reference_mask: ReferenceMask | None,
    n_references: Tensor | Sequence[int] | None,
    shape: tuple[int, int],
    device,
) -> Tensor:
    """The (B, R) mask of the references that are present, from a mask or a count per sentence."""
    if reference_mask is not None and n_references is not None:
        raise ValueError("give reference_mask or n_references, not both")
    if reference_mask is not None:
        mask = torch.as_tensor(reference_mask, device=device)
        if mask.dtype != torch.bool:
            raise ValueError(
                f"reference_mask must be a bool tensor of shape (batch, n_refs), got {mask.dtype}"
            )
        if tuple(mask.shape) != shape:
            raise ValueError(
                f"reference_mask must have shape (batch, n_refs) = {shape}, got {tuple(mask.shape)}"
            )
    elif n_references is not None:
        counts = torch.as_tensor(n_references, device=device)
        if counts.is_floating_point() or counts.is_complex() or counts.dtype == torch.bool:
            raise ValueError(f"n_references must hold ints, got {counts.dtype}")
        if tuple(counts.shape) != shape[:1]:
            raise ValueError(
                f"n_references must have shape (batch,) = {shape[:1]}, got {tuple(counts.shape)}"
            )
        if counts.numel() and (counts.min() < 1 or counts.max() > shape[1]):
            raise ValueError(
                f"n_references must lie in [1, n_refs = {shape[1]}], found "
                f"{counts.min().item()} to {counts.max().item()}"
            )
        mask = torch.arange(shape[1], device=device) < counts.unsqueeze(-1)
    else:
        return torch.ones(shape, dtype=torch.bool, device=device)
    empty = ~mask.any(-1)
    if empty.any():
        b = int(empty.nonzero()[0, 0])
        raise ValueError(f"reference_mask marks no reference of sentence {b} as present")
    return mask


def _reference_lists(
    references: Sequence[Sequence[Sequence[Any]]], batch: int, index: dict[Any, int] | None
) -> tuple[Tensor, Tensor]:
    """NLTK's lists of references as ids ``(B, R, Lr)`` and the mask of those present ``(B, R)``.

    Sentences with fewer references than the most are padded with absent, empty rows.
    """
    if len(references) != batch:
        raise ValueError(
            f"references holds {len(references)} entries but there are {batch} hypotheses; "
            "give one list of references per hypothesis"
        )
    bad = (
        "references must be a list (one per hypothesis) of lists of references, each a list "
        "of token ids, as in NLTK's corpus_bleu"
    )
    try:
        counts = np.fromiter(map(len, references), dtype=np.int64, count=batch)
    except TypeError:
        raise ValueError(bad) from None
    if batch and counts.min() == 0:
        b = int(np.argmin(counts))
        raise ValueError(f"references[{b}] is empty: each hypothesis needs a reference")
    rows = list(chain.from_iterable(references))
    if not set(map(type, rows)) <= {list, tuple} and any(
        isinstance(r, int | str) or not isinstance(r, Sequence) for r in rows
    ):
        raise ValueError(bad)
    flat, lengths = _flat_ids(rows, "references", index)
    n_refs = max(int(counts.max(initial=0)), 1)
    padded = _padded(flat, lengths, int(lengths.max(initial=0)))  # (sum of counts, Lr)
    present = np.arange(n_refs) < counts[:, None]  # (B, R)
    if padded.shape[0] != batch * n_refs:  # ragged: the rows of the present references
        full = np.full((batch * n_refs, padded.shape[1]), _PAD, dtype=np.int64)
        full[present.reshape(-1)] = padded
        padded = full
    ids = torch.from_numpy(padded).reshape(batch, n_refs, padded.shape[1])
    return ids, torch.from_numpy(present)


def _as_references(
    references: References,
    batch: int,
    eos_id: int | None,
    device,
    reference_mask: ReferenceMask | None = None,
    n_references: Tensor | Sequence[int] | None = None,
    index: dict[Any, int] | None = None,
) -> _Refs:
    if not isinstance(references, Tensor) and (
        reference_mask is not None or n_references is not None
    ):
        raise ValueError(
            "reference_mask and n_references mark the padding rows of a references tensor; "
            "a list of reference lists already gives each sentence its own references"
        )
    if isinstance(references, Tensor):
        if references.is_floating_point() or references.is_complex():
            raise ValueError(
                f"references must hold integer token ids, got dtype {references.dtype}"
            )
        if references.dim() == 2:
            references = references.unsqueeze(1)
        if references.dim() != 3:
            raise ValueError(
                "references must have shape (batch, ref_length) or (batch, n_refs, ref_length), "
                f"got {tuple(references.shape)}"
            )
        ids = references.to(device=device, dtype=torch.long)
    else:
        ids, present = _reference_lists(references, batch, index)
        ids, present = ids.to(device), present.to(device)
    if ids.shape[0] != batch:
        raise ValueError(
            f"references has batch size {ids.shape[0]} but hypotheses has {batch}: they must match"
        )
    if isinstance(references, Tensor):
        shape = (ids.shape[0], ids.shape[1])
        present = _reference_presence(reference_mask, n_references, shape, device)
    if isinstance(references, Tensor) or eos_id is not None:  # lists are padded at the end
        ids = _truncate_at_eos(ids, eos_id)
    if not bool(present.all()):  # an absent reference holds no token, so no path can match it
        ids = torch.where(present.unsqueeze(-1), ids, _PAD)
    lengths = (ids >= 0).sum(-1)
    return _Refs(ids=ids, lengths=lengths, present=present)


@dataclass(frozen=True)
class _Hyps:
    """Hypotheses as distributions or as ids, with their length masks."""

    probs: Tensor | None  # (B, L, V) float, or None on the id path
    ids: Tensor | None  # (B, L) long with _PAD after the end, or None on the soft path
    mask: Tensor  # (B, L) m_i: probability that position i belongs to the sentence
    dtype: torch.dtype


def _check_eos(eos_id: int | None, vocab: int | None) -> None:
    if eos_id is None:
        return
    if isinstance(eos_id, bool) or not isinstance(eos_id, int):
        raise ValueError(f"eos_id must be an int or None, got {eos_id!r}")
    if eos_id < 0 or (vocab is not None and eos_id >= vocab):
        upper = f"vocab - 1 = {vocab - 1}" if vocab is not None else "infinity"
        raise ValueError(f"eos_id must lie in [0, {upper}], got {eos_id}")


_CHECK_CHUNK_BYTES = 1 << 21  # rows of probs read at a time on the CPU: they stay in the cache


def _row_sums_and_minimum(probs: Tensor) -> tuple[Tensor, Tensor]:
    """The sum of each distribution ``(B, L)`` and the smallest entry of ``probs``.

    Two reductions; on the CPU they run chunk by chunk, so that the minimum reads from the cache
    what the sum has just brought in, and ``probs`` is read from memory once.
    """
    vocab = probs.shape[-1]
    rows = _CHECK_CHUNK_BYTES // (vocab * probs.element_size())
    if probs.device.type != "cpu" or not probs.is_contiguous() or rows < 1:
        return probs.sum(-1), probs.amin()
    sums, lows = [], []
    for chunk in probs.view(-1, vocab).split(rows):
        sums.append(chunk.sum(-1))
        lows.append(chunk.amin())
    return torch.cat(sums).view(probs.shape[:2]), torch.stack(lows).amin()


def _check_probs(probs: Tensor) -> None:
    if probs.dim() != 3:
        raise ValueError(f"probs must have shape (batch, length, vocab), got {tuple(probs.shape)}")
    if probs.shape[-1] == 0:
        raise ValueError("probs has an empty vocabulary axis")
    if probs.numel() == 0:
        return
    with torch.no_grad():
        total, low = _row_sums_and_minimum(probs)
        if not torch.isfinite(total).all():
            raise ValueError("probs must be finite (found NaN or inf)")
        if low < 0:
            raise ValueError(f"probs must be non-negative, found {low.item():.3g}")
        tol = 1e-6 if probs.dtype == torch.float64 else 1e-3
        worst = (total - 1).abs().amax()
        if worst > tol:
            raise ValueError(
                "each row of probs must sum to 1 over the vocabulary (apply softmax to logits); "
                f"found a row off by {worst.item():.3g} (tolerance {tol:g})"
            )


def length_mask(probs: Tensor, eos_id: int | None) -> Tensor:
    r"""Probability that each position still belongs to the sentence (eq. 2 of Casas et al.).

    .. math::
        m_i = \prod_{k \le i} \bigl(1 - p_k[\mathrm{eos}]\bigr)

    The expected hypothesis length (eq. 3) is :math:`\sum_i m_i`.

    Args:
        probs: token distributions, shape ``(batch, length, vocab)``.
        eos_id: the end-of-sequence token, or ``None`` for sentences that fill every position.

    Returns:
        The mask, shape ``(batch, length)``, non-increasing along the length.

    Example:
        >>> probs = torch.tensor([[[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]])
        >>> length_mask(probs, eos_id=0)
        tensor([[1.0000, 0.5000, 0.0000]])
    """
    if eos_id is None:
        return probs.new_ones(probs.shape[:2])
    return torch.cumprod(1 - probs[..., eos_id], dim=-1)


_NUMPY_DTYPES = {torch.float16: np.float16, torch.float32: np.float32, torch.float64: np.float64}
_HUGE_PAGE_BYTES = 1 << 22  # NumPy asks for transparent huge pages from 4 MiB on


def _zeros_written_once(shape: tuple[int, ...], like: Tensor) -> Tensor:
    """Zeros of ``like``'s dtype and device, for a tensor that is written once right after.

    A fresh CPU tensor of the size of ``probs`` costs one page fault per 4 KiB page on its first
    write, which takes several times as long as the write itself; NumPy takes large arrays from
    the kernel's zeroed pages, in transparent huge pages where the system allows them, so the
    zeros cost no pass of their own and the faults are 512 times fewer.
    """
    dtype = _NUMPY_DTYPES.get(like.dtype)
    small = math.prod(shape) * like.element_size() < _HUGE_PAGE_BYTES
    if like.device.type != "cpu" or dtype is None or small:
        return like.new_zeros(shape)
    return torch.from_numpy(np.zeros(shape, dtype=dtype))


class _GatherColumns(torch.autograd.Function):
    """``probs.gather(2, index)``; its backward writes the gradient of ``probs`` once.

    The gradient is torch's own (zeros, then ``scatter_add_`` of the incoming gradient), into
    zeros from :func:`_zeros_written_once`.
    """

    @staticmethod
    def forward(ctx, probs: Tensor, index: Tensor) -> Tensor:
        ctx.save_for_backward(index)
        ctx.save_for_forward(index)
        ctx.probs_shape = probs.shape
        return probs.gather(2, index)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:
        (index,) = ctx.saved_tensors
        out = _zeros_written_once(tuple(ctx.probs_shape), grad)
        return out.scatter_add_(2, index, grad), None  # (B, L, V), nonzero in the columns only

    @staticmethod
    def jvp(ctx, probs_tangent: Tensor, _index_tangent: None) -> Tensor:
        (index,) = ctx.saved_tensors
        return probs_tangent.gather(2, index)


def _gather_columns(
    probs: Tensor, reference_ids: Tensor, eos_id: int | None
) -> tuple[Tensor, Tensor | None]:
    """1-gram matches ``(B, L, R, Lr)`` and EOS probabilities ``(B, L)`` from one gather.

    One gather reads every column the scores need, so the backward pass writes the gradient of
    ``probs`` once (a single scatter into zeros) instead of once per column group.
    """
    batch, length, _ = probs.shape
    n_refs, ref_len = reference_ids.shape[1:]
    index = reference_ids.clamp_min(0).reshape(batch, n_refs * ref_len)
    if eos_id is not None:
        index = torch.cat([index.new_full((batch, 1), eos_id), index], dim=1)
    index = index.unsqueeze(1).expand(batch, length, -1)  # (B, L, 1 + R * Lr)
    columns = cast(Tensor, _GatherColumns.apply(probs, index))
    eos = columns[..., 0] if eos_id is not None else None
    m1 = columns[..., int(eos_id is not None) :]
    m1 = m1 * (reference_ids >= 0).reshape(batch, 1, -1).to(m1.dtype)  # padding matches nothing
    return m1.reshape(batch, length, n_refs, ref_len), eos


def _first_token(corpus, depth: int):
    """The first token of a nesting of lists ``depth`` deep, or None when there is none."""
    if depth == 0:
        return corpus
    if isinstance(corpus, str | Tensor | np.ndarray) or not isinstance(corpus, Sequence):
        return None
    for item in corpus:
        token = _first_token(item, depth - 1)
        if token is not None:
            return token
    return None


def _word_index(
    hypotheses: Hypotheses, references: References, eos_id: int | None
) -> dict[Any, int] | None:
    """Ids of the token strings, numbered in order of first appearance; None for id inputs.

    The numbering is that of :class:`beyond_mle.vocabulary.Vocabulary` built from the
    hypotheses and the references.
    """
    if isinstance(hypotheses, Tensor) or isinstance(references, Tensor):
        return None
    # the first token decides; a corpus that mixes kinds fails below or in _flat_ids, clearly
    first = _first_token(hypotheses, 2)
    first = _first_token(references, 3) if first is None else first
    if not isinstance(first, str):
        return None
    if eos_id is not None:
        raise ValueError(
            "eos_id applies to token ids; token strings are whole sentences (cut them before "
            "the EOS, or encode them with beyond_mle.vocabulary.Vocabulary)"
        )
    flatten = chain.from_iterable
    mixed = ValueError(
        "hypotheses and references mix token strings with other tokens: give every token as a "
        "string, or every token as an int id"
    )
    try:
        tokens = dict.fromkeys(chain(flatten(hypotheses), flatten(flatten(references))))
    except TypeError:  # an unhashable token, or a sentence that is not a list
        raise mixed from None
    if not all(isinstance(token, str) for token in tokens):
        raise mixed
    return {token: i for i, token in enumerate(tokens)}


def _prepare(
    hypotheses: Hypotheses,
    references: References,
    eos_id: int | None,
    reference_mask: ReferenceMask | None = None,
    n_references: Tensor | Sequence[int] | None = None,
) -> tuple[_Hyps, _Refs, Tensor | None]:
    """Checked hypotheses and references, and the 1-gram matches when hypotheses are ``probs``."""
    index = _word_index(hypotheses, references, eos_id)
    if isinstance(hypotheses, Tensor) and hypotheses.is_floating_point():
        probs = hypotheses
        _check_probs(probs)
        vocab = probs.shape[-1]
        _check_eos(eos_id, vocab)
        refs = _as_references(
            references, probs.shape[0], eos_id, probs.device, reference_mask, n_references, index
        )
        if refs.ids.numel() and refs.ids.max() >= vocab:
            raise ValueError(
                f"reference token ids must lie in [0, vocab - 1 = {vocab - 1}], "
                f"found {refs.ids.max().item()}"
            )
        m1, eos = _gather_columns(probs, refs.ids, eos_id)
        mask = probs.new_ones(probs.shape[:2]) if eos is None else torch.cumprod(1 - eos, dim=-1)
        return _Hyps(probs=probs, ids=None, mask=mask, dtype=probs.dtype), refs, m1
    if isinstance(hypotheses, Tensor):
        if hypotheses.is_complex() or hypotheses.dtype == torch.bool:
            raise ValueError(f"token ids must be an integer tensor, got {hypotheses.dtype}")
        if hypotheses.dim() != 2:
            raise ValueError(
                "token_ids must have shape (batch, length) "
                f"(or pass probs of shape (batch, length, vocab)), got {tuple(hypotheses.shape)}"
            )
        ids = hypotheses.to(torch.long)
    else:
        if index is not None and any(issubclass(t, str) for t in set(map(type, hypotheses))):
            raise ValueError("hypotheses must be a list of token lists, not of strings")
        flat, lengths = _flat_ids(hypotheses, "hypotheses", index)
        ids = torch.from_numpy(_padded(flat, lengths, int(lengths.max(initial=0))))
    _check_eos(eos_id, None)
    if isinstance(hypotheses, Tensor) or eos_id is not None:  # lists are padded at the end
        ids = _truncate_at_eos(ids, eos_id)
    mask = (ids >= 0).to(torch.float64)
    hyps = _Hyps(probs=None, ids=ids, mask=mask, dtype=torch.float64)
    refs = _as_references(
        references, ids.shape[0], eos_id, ids.device, reference_mask, n_references, index
    )
    return hyps, refs, None


def _check_order(max_order: int) -> None:
    if isinstance(max_order, bool) or not isinstance(max_order, int) or max_order < 1:
        raise ValueError(f"max_order must be an int >= 1, got {max_order!r}")


def _weight_vector(row, name: str) -> tuple[float, ...] | None:
    """A weight vector as floats, or None when ``row`` is not a vector of numbers."""
    if isinstance(row, Tensor | np.ndarray):
        if row.ndim != 1:
            return None
        row = row.tolist()
    if isinstance(row, str) or not isinstance(row, Sequence):
        return None
    if not all(isinstance(w, Real) and not isinstance(w, bool) for w in row):
        return None
    weights = tuple(float(w) for w in row)
    if not weights:
        raise ValueError(f"{name} must hold one weight per n-gram order, got an empty vector")
    if any(not (w >= 0 and w < float("inf")) for w in weights):
        raise ValueError(f"{name} must be finite and >= 0, got {weights}")
    if sum(weights) == 0:
        raise ValueError(f"{name} must not all be zero")
    return weights


def _as_weight_sets(
    weights: Weights | None, max_order: int | None
) -> tuple[tuple[tuple[float, ...], ...], bool, int]:
    """Weight vectors, whether one was given (not a list of them), and the largest order.

    As in NLTK, ``weights`` is one vector (one weight per order) or a list of vectors, scored in
    one pass; ``max_order`` defaults to the length of the longest vector (4 without weights).
    """
    if max_order is not None:
        _check_order(max_order)
    if weights is None:
        order = 4 if max_order is None else max_order
        return ((1.0 / order,) * order,), True, order
    single = _weight_vector(weights, "weights")
    sets: tuple[tuple[float, ...], ...]
    if single is not None:
        sets = (single,)
    else:
        rows = weights.tolist() if isinstance(weights, Tensor | np.ndarray) else weights
        rows = [] if isinstance(rows, str) or not isinstance(rows, Sequence) else list(rows)
        vectors = tuple(_weight_vector(row, f"weights[{i}]") for i, row in enumerate(rows))
        if not vectors or any(w is None for w in vectors):
            raise ValueError(
                "weights must be one weight vector (a float per n-gram order) or a list of "
                f"weight vectors, as in NLTK; got {weights!r}"
            )
        sets = cast(tuple[tuple[float, ...], ...], vectors)  # none is None, checked above
    order = max(len(w) for w in sets)
    if max_order is not None and order != max_order:
        what = "weights hold" if single is not None else "the longest weight vector holds"
        raise ValueError(
            f"{what} {order} values but max_order = {max_order}: they must match (leave "
            "max_order unset to take it from the weights)"
        )
    return sets, single is not None, order


def _check_orders(min_len: int, max_len: int) -> None:
    for name, v in (("min_len", min_len), ("max_len", max_len)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be an int >= 1, got {v!r}")
    if min_len > max_len:
        raise ValueError(f"min_len must be <= max_len, got min_len={min_len}, max_len={max_len}")


# --------------------------------------------------------------------------------------------
# Match matrices and counts
# --------------------------------------------------------------------------------------------


def unigram_matches(probs: Tensor, reference_ids: Tensor) -> Tensor:
    r"""1-gram match matrix :math:`M^{(1)}_{ij} = p_i[r_j]` (eq. 5 of Casas et al., unmasked).

    Args:
        probs: token distributions, shape ``(batch, length, vocab)``.
        reference_ids: reference tokens, shape ``(batch, ref_length)`` or
            ``(batch, n_refs, ref_length)``; negative ids are padding and match nothing.

    Returns:
        Match probabilities, shape ``(batch, length, ref_length)`` or
        ``(batch, length, n_refs, ref_length)``.

    Example:
        >>> probs = torch.tensor([[[0.9, 0.1], [0.2, 0.8]]])
        >>> unigram_matches(probs, torch.tensor([[1, 1, 0]]))
        tensor([[[0.1000, 0.1000, 0.9000],
                 [0.8000, 0.8000, 0.2000]]])
    """
    squeeze = reference_ids.dim() == 2
    refs = reference_ids.unsqueeze(1) if squeeze else reference_ids
    m1, _ = _gather_columns(probs, refs, None)
    return m1.squeeze(2) if squeeze else m1


def ngram_matches(unigram: Tensor, n: int) -> Tensor:
    r"""n-gram match matrix from the 1-gram one: products along diagonals (eq. 6).

    .. math::
        M^{(n)}_{ij} = \prod_{k=0}^{n-1} M^{(1)}_{i+k,\, j+k}

    Args:
        unigram: 1-gram matches, shape ``(batch, length, ref_length)`` or
            ``(batch, length, n_refs, ref_length)``.
        n: the n-gram order, >= 1.

    Returns:
        Shape ``(batch, length - n + 1, ref_length - n + 1)`` (with ``n_refs`` kept), empty
        along an axis shorter than ``n``.

    Example:
        >>> m1 = torch.eye(3).unsqueeze(0)
        >>> ngram_matches(m1, 2)
        tensor([[[1., 0.],
                 [0., 1.]]])
    """
    four = unigram.dim() == 4
    m1 = unigram if four else unigram.unsqueeze(2)
    length, ref_len = m1.shape[1], m1.shape[3]
    if n > length or n > ref_len:
        shape = (m1.shape[0], max(length - n + 1, 0), m1.shape[2], max(ref_len - n + 1, 0))
        out = m1.new_zeros(shape)
    else:
        out = m1
        for k in range(1, n):
            # (B, L-k, R, Lr-k): extend every (k)-gram match by the next diagonal element
            out = out[:, :-1, :, :-1] * m1[:, k:, :, k:]
    return out if four else out.squeeze(2)


@dataclass(frozen=True)
class _RefNgrams:
    """Integer statistics of the reference n-grams of one order (no gradient flows here)."""

    max_count: Tensor  # (B, R, J) max over references of the count of n-gram (r, j)
    first: Tensor  # (B, R, J) bool: first occurrence of its n-gram across all references
    own_count: Tensor  # (B, R, J) count of n-gram (r, j) in reference r
    own_first: Tensor  # (B, R, J) bool: first occurrence within reference r


def _reference_ngrams(refs: _Refs, n: int) -> _RefNgrams:
    ids = refs.ids  # (B, R, Lr)
    batch, n_refs, ref_len = ids.shape
    span = max(ref_len - n + 1, 0)
    j = torch.arange(span, device=ids.device)
    exists = (j + n <= refs.lengths.unsqueeze(-1)) & refs.present.unsqueeze(-1)  # (B, R, J)
    # equal[b, r, j, s, k]: n-gram j of reference r equals n-gram k of reference s
    one = ids.reshape(batch, n_refs, ref_len, 1, 1) == ids.reshape(batch, 1, 1, n_refs, ref_len)
    equal = one[:, :, :span, :, :span]
    for k in range(1, n):
        equal = equal & one[:, :, k : k + span, :, k : k + span]
    equal = (
        equal
        & exists.reshape(batch, 1, 1, n_refs, span)
        & exists.reshape(batch, n_refs, span, 1, 1)
    )
    counts = equal.sum(-1)  # (B, R, J, R): count of n-gram (r, j) in each reference
    max_count = counts.amax(-1) if n_refs else counts.sum(-1)
    own_count = torch.diagonal(counts, dim1=1, dim2=3).permute(0, 2, 1)  # (B, J, R) -> (B, R, J)
    flat = equal.reshape(batch, n_refs * span, n_refs * span)
    flat_index = torch.arange(n_refs * span, device=ids.device)
    earlier = flat_index[:, None] > flat_index[None, :]  # (R*J, R*J): column comes first
    first = exists & ~(flat & earlier).any(-1).reshape(batch, n_refs, span)
    ref_of = flat_index // max(span, 1)
    within = earlier & (ref_of[:, None] == ref_of[None, :])  # earlier, in the same reference
    own_first = exists & ~(flat & within).any(-1).reshape(batch, n_refs, span)
    return _RefNgrams(max_count=max_count, first=first, own_count=own_count, own_first=own_first)


def reference_ngram_counts(
    reference_ids: Tensor, n: int, *, eos_id: int | None = None
) -> tuple[Tensor, Tensor]:
    """Counts of the reference n-grams and the validity mask of their first occurrences.

    Args:
        reference_ids: shape ``(batch, ref_length)``; negative ids are padding.
        n: the n-gram order.
        eos_id: tokens from the first EOS on are not part of the reference.

    Returns:
        ``(counts, valid)``, both of shape ``(batch, ref_length - n + 1)``: how often the n-gram
        starting at each position occurs in its reference, and whether this position is its
        first occurrence (positions past the end are invalid, with count 0).

    Example:
        >>> counts, valid = reference_ngram_counts(torch.tensor([[4, 4, 5, 4]]), 1)
        >>> counts, valid
        (tensor([[3, 3, 1, 3]]), tensor([[ True, False,  True, False]]))
    """
    refs = _as_references(reference_ids, reference_ids.shape[0], eos_id, reference_ids.device)
    stats = _reference_ngrams(refs, n)
    return stats.own_count[:, 0], stats.own_first[:, 0]


# --------------------------------------------------------------------------------------------
# Exact counts of hard sequences, as bit sets
# --------------------------------------------------------------------------------------------

_WORD = 64  # the bit-set path packs the positions of a reference into one 64-bit word
_WORDS = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}
_NUMPY_INTS = {torch.int16: np.int16, torch.int32: np.int32, torch.int64: np.int64}
_COUNT_BITS = 7  # a count of at most 64 reference positions, in the low bits of a sort key


def _bit_width(length: int) -> int:
    """The smallest word of 8, 16, 32 or 64 bits that holds ``length`` positions."""
    return next(w for w in (8, 16, 32, 64) if length <= w)


def _reference_bits(hyp_ids: Tensor, ref_ids: Tensor) -> np.ndarray:
    """Bit j of ``bits[i, r, b]``: token i of hypothesis b equals token j of its reference r.

    Sentences run along the last axis, so that every operation runs over the whole batch at
    once. The comparisons ``(L, R, W, B)`` are bytes of 0 or 1; eight sentences side by side
    are one uint64, in which shifting and or-ing pairs of positions packs eight positions into
    each byte without carries; the bytes of a sentence then make its word of ``W`` bits.

    Returns:
        Shape ``(L, R, B8)``, with ``B8`` the batch rounded up to a multiple of 8 (the added
        sentences match nothing), in the unsigned int of ``W`` = 8, 16, 32 or 64 bits.
    """
    (batch, length), (n_refs, ref_len) = hyp_ids.shape, ref_ids.shape[1:]
    width, lanes = _bit_width(ref_len), -(-batch // 8) * 8
    top = max(
        int(hyp_ids.max()) if hyp_ids.numel() else 0, int(ref_ids.max()) if ref_ids.numel() else 0
    )
    dtype = next(t for t in (torch.int16, torch.int32, torch.int64) if top <= torch.iinfo(t).max)
    # padding: -1 in the hypotheses, -2 in the references, so that it matches nothing
    hyp_t = np.full((length, lanes), -1, dtype=_NUMPY_INTS[dtype])
    hyp_t[:, :batch] = hyp_ids.T.to(dtype).numpy()
    ref_t = np.full((n_refs, width, lanes), -2, dtype=_NUMPY_INTS[dtype])
    real = ref_t[:, :ref_len, :batch]
    real[...] = ref_ids.permute(1, 2, 0).to(dtype).numpy()
    np.subtract(real, real < 0, out=real, casting="unsafe")  # -1 -> -2
    equal = hyp_t[:, None, None, :] == ref_t[None]  # (L, R, W, B8) bool
    packed = equal.view(np.uint64)  # (L, R, W, B8 / 8): one byte per sentence
    for shift in (1, 2, 4):  # positions (2p, 2p + 1) -> 2 bits, then 4, then 8 bits a byte
        pairs = np.empty((*packed.shape[:2], packed.shape[2] // 2, packed.shape[3]), np.uint64)
        np.left_shift(packed[:, :, 1::2], np.uint64(shift), out=pairs)
        packed = np.bitwise_or(pairs, packed[:, :, 0::2], out=pairs)
    by_byte = packed.view(np.uint8)  # (L, R, W / 8, B8): byte k holds positions 8k..8k+7
    words = by_byte[:, :, 0].astype(_WORDS[width])
    for k in range(1, width // 8):
        words |= by_byte[:, :, k].astype(words.dtype) << words.dtype.type(8 * k)
    return words


def _ranked_hits(keys: np.ndarray, counts_of) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the positions ranked below their count among equal keys; and repeated keys.

    ``keys`` ``(N, S)`` name the n-grams of each row (equal keys, equal n-grams) and carry their
    count ``counts_of(keys)``; an n-gram of count 0 never counts. After sorting a row, the
    occurrence at :math:`p` of a key with count :math:`c` ranks below :math:`c` exactly when
    the key at :math:`p - c` differs (a 0 stands before each row), so no rank is formed.

    Returns:
        The clipped counts ``(N,)`` and whether the row repeats an n-gram of nonzero count
        ``(N,)``.
    """
    rows, span = keys.shape
    padded = np.zeros((rows, span + 1), dtype=keys.dtype)
    sorted_keys = padded[:, 1:]
    sorted_keys[...] = keys
    sorted_keys.sort(axis=1)
    counts = counts_of(sorted_keys)  # (N, S)
    back = np.arange(1, span + 1, dtype=np.int64) - counts  # p - c
    np.maximum(back, 0, out=back)
    back += np.arange(0, rows * (span + 1), span + 1, dtype=np.int64)[:, None]
    hits = np.count_nonzero(padded.reshape(-1)[back] != sorted_keys, axis=1)
    repeated = ((sorted_keys[:, 1:] == sorted_keys[:, :-1]) & (counts[:, 1:] > 0)).any(1)
    return hits, repeated


def _hard_clipped_counts(
    hyp_ids: Tensor, refs: _Refs, orders: range, *, own: bool = False
) -> dict[int, tuple[Tensor, Tensor | None]]:
    r"""Clipped n-gram counts of hard hypotheses, exactly, with bit sets.

    An n-gram occurrence :math:`i` of the hypothesis is clipped away unless fewer than
    :math:`c_r(g_i)` earlier occurrences of the same n-gram precede it, so the clipped count is
    :math:`\sum_i [\mathrm{rank}(i) < c_r(g_i)]`. The reference count is a popcount of a bit
    set: bit :math:`j` of ``bits[i, r]`` says n-gram :math:`j` of reference :math:`r` equals
    hypothesis n-gram :math:`i`, and the n-gram bit sets follow from the 1-gram ones by
    ``bits_n[i] = bits_{n-1}[i] & (bits_1[i + n - 1] >> (n - 1))``. Two matched n-grams are
    equal exactly when their bit sets are (one reference), or when their first match
    :math:`(r, j)` is; sorting these keys ranks the occurrences (:func:`_ranked_hits`). Only the
    sentences that repeat a matched n-gram are sorted; in the others every matched n-gram
    counts. Distinct n-grams match disjoint reference positions, so a sentence repeats one
    exactly when the popcounts of its bit sets add up to more than that of their union; and
    only a sentence that repeats a matched (n-1)-gram can repeat a matched n-gram. References
    of at most 64 tokens; this is the fast path of the id inputs, equal to the matrix path.

    Returns:
        For each order: the matches clipped by the largest count over the references, shape
        ``(batch,)``, and with ``own`` the matches clipped by each reference's own count,
        ``(batch, n_refs)`` (else None).
    """
    batch, n_refs = refs.ids.shape[:2]
    bits1 = _reference_bits(hyp_ids, refs.ids)  # (L, R, B8)
    word = bits1.dtype.type
    bits = bits1
    rows: np.ndarray | None = None  # the sentences that may repeat a matched n-gram
    out: dict[int, tuple[Tensor, Tensor | None]] = {}
    for n in range(1, orders.stop):
        if n > 1:
            bits = bits[:-1] & (bits1[n - 1 :] >> word(n - 1))  # (L-n+1, R, B8)
        if n not in orders:
            continue
        counts = np.bitwise_count(bits)  # (S, R, B8) uint8: c_r(g_i)
        best_counts = counts[:, 0] if n_refs == 1 else counts.max(1, initial=0)
        best = np.count_nonzero(best_counts, axis=0)  # every matched n-gram, unrepeated
        own_hits = np.count_nonzero(counts, axis=0).T if own else None  # (B8, R)
        if rows is None:
            union = np.bitwise_count(np.bitwise_or.reduce(bits, axis=0))  # (R, B8)
            rows = np.flatnonzero((counts.sum(0, dtype=np.int64) > union).any(0))
        if bits.shape[0] > 1 and rows.size:
            sub = bits[:, :, rows].transpose(2, 0, 1)  # (N, S, R)
            if n_refs == 1:
                hits, repeated = _ranked_hits(sub[..., 0], np.bitwise_count)
                if own_hits is not None:
                    own_hits[rows, 0] = hits
            else:
                sub_counts = counts[:, :, rows].transpose(2, 0, 1)
                hits, repeated = _first_match_hits(sub, sub_counts, own_hits, rows)
            best[rows] = hits
            rows = rows[repeated]
        out[n] = (
            torch.from_numpy(best[:batch]).double(),
            None if own_hits is None else torch.from_numpy(own_hits[:batch]).double(),
        )
    return out


def _first_match_hits(
    bits: np.ndarray, counts: np.ndarray, own_hits: np.ndarray | None, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_ranked_hits` for several references, keyed by the first match of each n-gram.

    ``bits`` and ``counts`` are ``(N, S, R)``; the key of a matched n-gram is its first match
    :math:`(r, j)` with a count in the low bits, the largest count for BLEU and each
    reference's own for GLEU (written into ``own_hits[rows]``).
    """
    n_refs = bits.shape[2]
    low = bits & (~bits + bits.dtype.type(1))  # the lowest set bit
    first = np.bitwise_count(low - bits.dtype.type(1)).astype(np.int64)  # its position j
    first += np.arange(n_refs, dtype=np.int64) * _WORD  # r * 64 + j
    first = np.where(bits != 0, first, n_refs * _WORD).min(2)  # (N, S)
    code = first << _COUNT_BITS
    hits, repeated = _ranked_hits(code | counts.max(2), _low_count)
    if own_hits is not None:
        for r in range(n_refs):
            own_hits[rows, r] = _ranked_hits(code | counts[..., r], _low_count)[0]
    return hits, repeated


def _low_count(keys: np.ndarray) -> np.ndarray:
    """The count carried in the low bits of a first-match key."""
    return keys & ((1 << _COUNT_BITS) - 1)


def _bit_set_path(hyps: _Hyps, refs: _Refs) -> bool:
    return hyps.ids is not None and hyps.ids.device.type == "cpu" and refs.ids.shape[2] <= _WORD


# --------------------------------------------------------------------------------------------
# Sufficient statistics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BleuStatistics:
    """Per-sentence statistics from which sentence and corpus BLEU follow.

    Attributes:
        matches: clipped n-gram matches, shape ``(batch, max_order)``.
        totals: hypothesis n-gram counts, at least 1 per sentence as in NLTK,
            shape ``(batch, max_order)``.
        hyp_lengths: (expected) hypothesis lengths, shape ``(batch,)``.
        ref_lengths: the closest reference length of each sentence, shape ``(batch,)``.
        hyp_ngrams: (expected) hypothesis n-gram counts, not raised to 1, shape
            ``(batch, max_order)``; smoothing method 6 needs them (``None`` when unknown).
    """

    matches: Tensor
    totals: Tensor
    hyp_lengths: Tensor
    ref_lengths: Tensor
    hyp_ngrams: Tensor | None = None


@dataclass(frozen=True)
class GleuStatistics:
    """Per-sentence statistics of GLEU, for the reference that scores best.

    Attributes:
        matches: clipped matches summed over the orders ``min_len..max_len``, shape ``(batch,)``.
        totals: ``max(hypothesis n-grams, reference n-grams)``, shape ``(batch,)``; 0 when both
            are empty (such a sentence does not count).
    """

    matches: Tensor
    totals: Tensor


def _id_unigram_matrix(hyps: _Hyps, refs: _Refs) -> Tensor:
    """M1 of hard hypotheses, shape (B, L, R, Lr): 1 where the tokens are equal."""
    assert hyps.ids is not None  # called on the id path only
    equal = hyps.ids[:, :, None, None] == refs.ids.unsqueeze(1)
    return (equal & (refs.ids >= 0).unsqueeze(1)).to(hyps.dtype)


def _expected_ngram_counts(m1: Tensor, mask: Tensor, n: int) -> Tensor:
    """S[b, r, j]: expected count of reference n-gram (r, j) in the hypothesis."""
    mn = ngram_matches(m1, n)  # (B, L-n+1, R, Lr-n+1)
    # the n-gram starting at i exists when no EOS comes before i: m_{i-1}, with m_{-1} = 1
    alive = torch.cat([mask.new_ones(mask.shape[0], 1), mask[:, :-1]], dim=1)
    return torch.einsum("bi,birj->brj", alive[:, : mn.shape[1]], mn)


def _hyp_ngram_totals(mask: Tensor, n: int) -> Tensor:
    """Expected number of hypothesis n-grams: sum of m_i for i >= n - 1."""
    return mask[:, n - 1 :].sum(-1)


def closest_reference_lengths(hyp_lengths: Tensor, ref_lengths: Tensor, present: Tensor) -> Tensor:
    """The reference length closest to each hypothesis length, the shorter one on ties (NLTK).

    Args:
        hyp_lengths: shape ``(batch,)``.
        ref_lengths: shape ``(batch, n_refs)``.
        present: shape ``(batch, n_refs)``, False for missing references.

    Returns:
        Shape ``(batch,)``, in the dtype of ``hyp_lengths``; no gradient flows through the choice.
    """
    refs = ref_lengths.to(hyp_lengths.dtype)
    inf = torch.finfo(hyp_lengths.dtype).max
    gap = torch.where(present, (refs - hyp_lengths.detach().unsqueeze(-1)).abs(), inf)
    best = gap.amin(-1, keepdim=True)
    return torch.where(present & (gap == best), refs, inf).amin(-1)


def bleu_statistics(
    hypotheses: Hypotheses,
    references: References,
    *,
    eos_id: int | None = None,
    max_order: int = 4,
    unique_reference_ngrams: bool = True,
    reference_mask: ReferenceMask | None = None,
    n_references: Tensor | Sequence[int] | None = None,
) -> BleuStatistics:
    """Clipped matches, n-gram totals and lengths of each sentence pair.

    Args:
        hypotheses: ``probs`` ``(batch, length, vocab)``, ``token_ids`` ``(batch, length)`` or a
            list of token lists (int ids or strings).
        references: ids ``(batch, ref_length)`` / ``(batch, n_refs, ref_length)`` or, as in
            NLTK, a list with the list of references of each hypothesis.
        eos_id: end-of-sequence token; a sentence ends before its first EOS.
        max_order: the largest n-gram order.
        unique_reference_ngrams: keep only the first occurrence of each distinct reference
            n-gram when summing clipped counts (the validity mask). ``False`` counts every
            occurrence separately, so a repeated reference n-gram is counted twice; that
            variant exists to show the error it makes.
        reference_mask: with a references tensor ``(batch, n_refs, ref_length)``, a bool
            tensor ``(batch, n_refs)``, False for the rows that only pad a sentence with fewer
            references (they take no part, not even as empty references).
        n_references: instead of ``reference_mask``, the number of references of each
            sentence, shape ``(batch,)``: its first ``n_references[b]`` rows are present.

    Returns:
        The :class:`BleuStatistics` of the batch.
    """
    _check_order(max_order)
    hyps, refs, m1 = _prepare(hypotheses, references, eos_id, reference_mask, n_references)
    orders = range(1, max_order + 1)
    fast = (  # _bit_set_path checks that hyps.ids is not None
        _hard_clipped_counts(cast(Tensor, hyps.ids), refs, orders)
        if _bit_set_path(hyps, refs)
        else None
    )
    if m1 is None and (fast is None or not unique_reference_ngrams):
        m1 = _id_unigram_matrix(hyps, refs)
    matches, totals, counts = [], [], []
    for n in orders:
        if fast is not None and unique_reference_ngrams:
            matches.append(fast[n][0])
        else:
            assert m1 is not None  # made above whenever the bit-set counts are not used
            ref = _reference_ngrams(refs, n)
            expected = _expected_ngram_counts(m1, hyps.mask, n)  # (B, R, J)
            keep = ref.first if unique_reference_ngrams else (ref.max_count > 0)
            clipped = torch.minimum(expected, ref.max_count.to(hyps.dtype))
            matches.append((clipped * keep.to(hyps.dtype)).sum((1, 2)))
        counts.append(_hyp_ngram_totals(hyps.mask, n))
        totals.append(counts[-1].clamp_min(1.0))  # NLTK: max(1, hypothesis n-grams)
    hyp_lengths = hyps.mask.sum(-1)
    ref_lengths = closest_reference_lengths(hyp_lengths, refs.lengths, refs.present)
    return BleuStatistics(
        matches=torch.stack(matches, -1),
        totals=torch.stack(totals, -1),
        hyp_lengths=hyp_lengths,
        ref_lengths=ref_lengths,
        hyp_ngrams=torch.stack(counts, -1),
    )


def gleu_statistics(
    hypotheses: Hypotheses,
    references: References,
    *,
    eos_id: int | None = None,
    min_len: int = 1,
    max_len: int = 4,
    reference_mask: ReferenceMask | None = None,
    n_references: Tensor | Sequence[int] | None = None,
) -> GleuStatistics:
    """GLEU's matches and totals per sentence, for the reference that scores best.

    Args:
        hypotheses: as in :func:`bleu_statistics`.
        references: as in :func:`bleu_statistics`.
        eos_id: end-of-sequence token.
        min_len: the smallest n-gram order counted.
        max_len: the largest n-gram order counted.
        reference_mask: as in :func:`bleu_statistics`.
        n_references: as in :func:`bleu_statistics`.

    Returns:
        The :class:`GleuStatistics` of the batch.
    """
    _check_orders(min_len, max_len)
    hyps, refs, m1 = _prepare(hypotheses, references, eos_id, reference_mask, n_references)
    batch = hyps.mask.shape[0]
    orders = range(min_len, max_len + 1)
    fast = (  # _bit_set_path checks that hyps.ids is not None
        _hard_clipped_counts(cast(Tensor, hyps.ids), refs, orders, own=True)
        if _bit_set_path(hyps, refs)
        else None
    )
    if m1 is None and fast is None:
        m1 = _id_unigram_matrix(hyps, refs)
    tp = hyps.mask.new_zeros(refs.ids.shape[:2])  # (B, R)
    tpfp = hyps.mask.new_zeros(batch)
    tpfn = torch.zeros(refs.ids.shape[:2], dtype=hyps.dtype, device=tp.device)
    for n in orders:
        if fast is not None:
            tp = tp + cast(Tensor, fast[n][1])
        else:
            assert m1 is not None  # made above whenever the bit-set counts are not used
            ref = _reference_ngrams(refs, n)
            expected = _expected_ngram_counts(m1, hyps.mask, n)  # (B, R, J)
            clipped = torch.minimum(expected, ref.own_count.to(hyps.dtype))
            tp = tp + (clipped * ref.own_first.to(hyps.dtype)).sum(-1)
        tpfp = tpfp + _hyp_ngram_totals(hyps.mask, n)
        tpfn = tpfn + (refs.lengths - n + 1).clamp_min(0).to(hyps.dtype)
    n_all = torch.maximum(tpfp.unsqueeze(-1), tpfn)  # (B, R)
    counted = refs.present & (n_all > 0)
    ratio = torch.where(counted, tp / torch.where(counted, n_all, 1.0), -1.0)
    best = ratio.detach().argmax(-1, keepdim=True)  # first best reference, as NLTK's max()
    has_any = counted.any(-1)
    matches = torch.where(has_any, tp.gather(1, best).squeeze(1), 0.0)
    totals = torch.where(has_any, n_all.gather(1, best).squeeze(1), 0.0)
    return GleuStatistics(matches=matches, totals=totals)


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------


def brevity_penalty(*, hyp_length: Tensor, ref_length: Tensor) -> Tensor:
    r"""BLEU's brevity penalty (eq. 8 of Casas et al., after Papineni et al. 2002).

    .. math::
        \mathrm{BP} = \begin{cases} 1 & c > r \\ e^{1 - r/c} & 0 < c \le r \\ 0 & c = 0
        \end{cases}

    The arguments are keyword-only: NLTK's ``brevity_penalty(closest_ref_len, hyp_len)`` takes
    them in the other order, and a swapped call would fail silently.

    Args:
        hyp_length: hypothesis length(s) :math:`c`, any shape.
        ref_length: (closest) reference length(s) :math:`r`, same shape.

    Returns:
        The penalty, same shape; differentiable in ``hyp_length`` with finite gradients at 0.

    Example:
        >>> c, r = torch.tensor([12.0, 12.0, 0.0]), torch.tensor([12.0, 13.0, 3.0])
        >>> brevity_penalty(hyp_length=c, ref_length=r)
        tensor([1.0000, 0.9200, 0.0000])
    """
    c = hyp_length
    r = ref_length.to(c.dtype)
    safe_c = torch.where(c > 0, c, torch.ones_like(c))
    short = torch.where(c > 0, torch.exp(1 - r / safe_c), torch.zeros_like(c))
    return torch.where(c > r, torch.ones_like(c), short)


@dataclass(frozen=True)
class BleuSmoothing:
    r"""A smoothing of BLEU's precisions: methods 0-7 of Chen and Cherry (2014), as in NLTK.

    With :math:`m_n` the clipped matches of order :math:`n`, :math:`d_n` the hypothesis n-grams
    (at least 1 per sentence), :math:`p_n = m_n / d_n`, :math:`c` the hypothesis length,
    :math:`z_n = \min(\max(1 - m_n, 0), 1)` (1 for a zero count, 0 from one match on) and
    :math:`k_n = 1 + \sum_{j < n} z_j` (the rank of a zero count among the zero counts), the
    smoothed precisions are, numbered as in NLTK's ``SmoothingFunction``
    (Chen and Cherry 2014, §2; NLTK's ``method0``-``method7``):

    .. math::
        \begin{aligned}
        &0:\ p_n, \text{ or the smallest positive float where } m_n = 0
            && \text{(none; NLTK's floor)} \\
        &1:\ (m_n + \epsilon z_n) / d_n && \text{(add } \epsilon \text{ to a zero count)} \\
        &2:\ (m_n + 1) / (d_n + 1) \text{ for } n \ge 2 && \text{(Lin and Och 2004)} \\
        &3:\ (m_n + z_n 2^{-k_n}) / d_n && \text{(NIST's geometric sequence)} \\
        &4:\ (m_n + z_n \ln c / (2^{k_n} K)) / d_n \text{ where } c > 1
            && \text{(shorter: smaller counts)} \\
        &5:\ \tilde p_n = (\tilde p_{n-1} + p_n + p_{n+1}) / 3,\ \tilde p_0 = p_1 + 1
            && \text{(average of neighbours)} \\
        &6:\ \tilde p_n = \bigl(m_n + \alpha \tilde p_{n-1}^2 / \tilde p_{n-2}\bigr)
            / (l_n + \alpha),\ n \ge 3 && \text{(Gao and He 2013's prior)} \\
        &7:\ \text{method 4, then method 5}
        \end{aligned}

    where :math:`l_n` is the number of hypothesis n-grams (not raised to 1). A precision that is
    still 0 drops out of the geometric mean, as in NLTK. On integer counts :math:`z_n` is 1
    exactly at a zero count, so each method is NLTK's; on ``probs`` the expected counts are
    rarely 0, and :math:`z_n` interpolates the smoothed count linearly between 0 and 1 match, so
    every method is continuous and differentiable almost everywhere in ``probs``.

    Where NLTK differs: method 5 takes the precision of order :math:`N + 1` (NLTK always takes
    5-grams, the same for :math:`N = 4`); on a corpus, methods 5-7 use the corpus's statistics
    (NLTK's ``corpus_bleu`` reads the 5-gram precision and :math:`l_n` from the last sentence
    only; on one sentence the two agree); method 6 requires a nonzero bigram precision, which its
    prior divides by (NLTK asserts a nonzero trigram precision).

    Args:
        method: 0 to 7.
        epsilon: :math:`\epsilon` of method 1, > 0 (NLTK: 0.1).
        alpha: :math:`\alpha` of method 6, > 0 (NLTK: 5).
        k: :math:`K` of method 4, > 0 (NLTK: 5).

    Example:
        >>> hyp, ref = [[1, 2, 3]], [[[1, 2, 4, 5]]]
        >>> round(corpus_bleu(hyp, ref, smoothing_method=BleuSmoothing(1, epsilon=0.1)).item(), 4)
        0.1722
    """

    method: int = 0
    epsilon: float = 0.1
    alpha: float = 5.0
    k: float = 5.0

    def __post_init__(self) -> None:
        if (
            isinstance(self.method, bool)
            or not isinstance(self.method, int)
            or not (0 <= self.method <= 7)
        ):
            raise ValueError(f"smoothing method must be an int in [0, 7], got {self.method!r}")
        for name in ("epsilon", "alpha", "k"):
            value: float = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Real) or not (0 < value < math.inf):
                raise ValueError(f"smoothing {name} must be a finite number > 0, got {value!r}")


SmoothingMethod = int | str | BleuSmoothing | None


def _as_smoothing(smoothing_method: SmoothingMethod) -> BleuSmoothing:
    if smoothing_method is None:
        return BleuSmoothing(0)
    if isinstance(smoothing_method, BleuSmoothing):
        return smoothing_method
    if isinstance(smoothing_method, str):
        name = smoothing_method.strip().lower()
        number = name.removeprefix("method")
        if number.isdigit() and name != number or name.isdigit():
            return BleuSmoothing(int(number))
    if isinstance(smoothing_method, int) and not isinstance(smoothing_method, bool):
        return BleuSmoothing(smoothing_method)
    raise ValueError(
        "smoothing_method must be None, an int in [0, 7], 'method0' to 'method7' (NLTK's names) "
        f"or a BleuSmoothing, got {smoothing_method!r}"
    )


def _check_smoothing(smoothing: BleuSmoothing, order: int) -> None:
    if smoothing.method == 6 and order < 3:
        raise ValueError(
            "smoothing method 6 interpolates the orders from 3 on with a prior from the two "
            f"below; it needs max_order >= 3, got {order}"
        )


def _statistics_order(smoothing: BleuSmoothing, order: int) -> int:
    """The orders to count: one more for methods 5 and 7, which average in order N + 1."""
    return order + int(smoothing.method in (5, 7))


def _aggregate(stats: BleuStatistics, corpus: bool) -> BleuStatistics:
    if not corpus:
        return stats
    sums: list[Any] = [None if x is None else x.sum(0) for x in vars(stats).values()]
    return BleuStatistics(*sums)


def _average_neighbours(p: Tensor, p_next: Tensor) -> Tensor:
    """Method 5: each precision averaged with the smoothed one below and the raw one above."""
    above = torch.cat([p[..., 1:], p_next], -1)
    smoothed, out = p[..., 0] + 1, []
    for n in range(p.shape[-1]):
        smoothed = (smoothed + p[..., n] + above[..., n]) / 3
        out.append(smoothed)
    return torch.stack(out, -1)


def _interpolate_prior(p: Tensor, m: Tensor, ngrams: Tensor, alpha: float) -> Tensor:
    """Method 6: orders from 3 on pulled to the prior p_{n-1}^2 / p_{n-2} with weight alpha."""
    out = [p[..., 0], p[..., 1]]
    for n in range(2, p.shape[-1]):
        below = out[n - 2]
        safe = torch.where(below > 0, below, torch.ones_like(below))
        prior = torch.where(below > 0, out[n - 1] ** 2 / safe, torch.zeros_like(below))
        out.append((m[..., n] + alpha * prior) / (ngrams[..., n] + alpha))
    return torch.stack(out, -1)


def _smooth(stats: BleuStatistics, smoothing: BleuSmoothing, order: int) -> Tensor:
    """Smoothed precisions of orders 1..order (see :class:`BleuSmoothing`), shape (..., order)."""
    method = smoothing.method
    have = stats.matches.shape[-1]
    need = _statistics_order(smoothing, order)
    if have < need:
        extra = " (methods 5 and 7 average in one order more)" if need > order else ""
        raise ValueError(
            f"the statistics hold {have} n-gram orders but the weights need {need}{extra}"
        )
    totals = stats.totals
    totals = torch.where(totals > 0, totals, torch.ones_like(totals))  # an empty corpus
    m, d = stats.matches[..., :order], totals[..., :order]
    p = m / d
    if method == 0:
        # NLTK's method0 puts sys.float_info.min in place of a zero precision
        return torch.where(m > 0, p, torch.full_like(p, torch.finfo(p.dtype).tiny))
    if method == 2:
        return torch.cat([p[..., :1], (m[..., 1:] + 1) / (d[..., 1:] + 1)], -1)
    if method == 6:
        _check_smoothing(smoothing, order)
        if stats.hyp_ngrams is None:
            raise ValueError("smoothing method 6 needs stats.hyp_ngrams (from bleu_statistics)")
        if ((m[..., 0] > 0) & (m[..., 1] == 0)).any():
            raise ValueError(
                "smoothing method 6 divides by the bigram precision, which is 0 here; use "
                "another method (NLTK raises an AssertionError in this case)"
            )
        return _interpolate_prior(p, m, stats.hyp_ngrams[..., :order], smoothing.alpha)
    p_next = stats.matches[..., order : order + 1] / totals[..., order : order + 1]
    if method == 5:
        return _average_neighbours(p, p_next)
    zero = (1 - m).clamp(0, 1)  # z_n: 1 for a zero count, 0 from one match on
    if method == 1:
        return (m + smoothing.epsilon * zero) / d
    rank = 1 + torch.cumsum(zero, -1) - zero  # k_n: 1 + the zero counts below order n
    if method == 3:
        return (m + zero * torch.exp2(-rank)) / d
    log_c = torch.log(stats.hyp_lengths.clamp_min(1.0)).unsqueeze(-1)  # 0 where c <= 1
    p = (m + zero * log_c / (torch.exp2(rank) * smoothing.k)) / d
    return p if method == 4 else _average_neighbours(p, p_next)


def smoothed_precisions(
    stats: BleuStatistics,
    smoothing_method: SmoothingMethod = None,
    *,
    max_order: int | None = None,
    corpus: bool = True,
) -> Tensor:
    """BLEU's n-gram precisions after smoothing (:class:`BleuSmoothing`).

    Args:
        stats: per-sentence statistics from :func:`bleu_statistics`.
        smoothing_method: 0-7, NLTK's name ``"method4"``, or a :class:`BleuSmoothing`.
        max_order: the orders to return (default: those of ``stats``, less the extra order
            that methods 5 and 7 read).
        corpus: sum the statistics over the batch first.

    Returns:
        Shape ``(max_order,)`` (corpus) or ``(batch, max_order)``; a 0 drops out of BLEU.

    Example:
        >>> stats = bleu_statistics([[1, 2, 3]], [[[1, 2, 4, 5]]])
        >>> smoothed_precisions(stats, "method3")
        tensor([0.6667, 0.5000, 0.5000, 0.2500], dtype=torch.float64)
    """
    smoothing = _as_smoothing(smoothing_method)
    have = stats.matches.shape[-1]
    order = have - int(smoothing.method in (5, 7)) if max_order is None else max_order
    _check_order(order)
    _check_smoothing(smoothing, order)
    return _smooth(_aggregate(stats, corpus), smoothing, order)


def _weight_matrix(
    sets: tuple[tuple[float, ...], ...], order: int, hyp_lengths: Tensor, auto_reweigh: bool
) -> Tensor:
    """The weights of every vector as rows, shape (..., n_vectors, order).

    With ``auto_reweigh``, a uniform vector over more orders than the hypothesis length ``c``
    becomes uniform over ``c`` orders (NLTK reweighs only its default ``(0.25,) * 4``; on
    ``probs`` the expected length is rounded).
    """
    dtype, device = hyp_lengths.dtype, hyp_lengths.device
    rows = [torch.tensor(w + (0.0,) * (order - len(w)), dtype=dtype, device=device) for w in sets]
    rows = [r.expand(*hyp_lengths.shape, order) for r in rows]
    if auto_reweigh:
        c = hyp_lengths.detach()
        k = torch.round(c).clamp_min(1).unsqueeze(-1)  # (..., 1)
        orders = torch.arange(1, order + 1, dtype=dtype, device=device)
        reweighed = (orders <= k).to(dtype) / k  # (..., order): 1/c on the first c orders
        rows = [
            torch.where((c < len(w)).unsqueeze(-1), reweighed, r) if len(set(w)) == 1 else r
            for w, r in zip(sets, rows, strict=True)
        ]
    return torch.stack(rows, -2)


def bleu_from_statistics(
    stats: BleuStatistics,
    weights: Weights,
    *,
    corpus: bool = True,
    smoothing_method: SmoothingMethod = None,
    auto_reweigh: bool = False,
) -> Tensor:
    r"""BLEU from its statistics (eq. 9): :math:`\mathrm{BP} \exp \sum_n w_n \log \tilde p_n`.

    As NLTK: no unigram match gives 0; without smoothing a zero precision of a higher order
    enters the logarithm as the smallest positive float, so the score is tiny, not 0; a smoothed
    precision that is still 0 drops out of the sum.

    Args:
        stats: per-sentence statistics from :func:`bleu_statistics`, with at least as many
            orders as the longest weight vector (one more for smoothing methods 5 and 7).
        weights: one weight per n-gram order, or a list of such vectors (NLTK's list of weight
            tuples), scored at once.
        corpus: sum numerators, denominators and lengths over the batch before dividing (corpus
            BLEU); otherwise one score per sentence.
        smoothing_method: 0-7, NLTK's ``"method0"``-``"method7"`` or a :class:`BleuSmoothing`.
        auto_reweigh: make a uniform weight vector uniform over the first ``c`` orders when the
            hypothesis length ``c`` is shorter than the vector (NLTK's ``auto_reweigh``).

    Returns:
        A scalar (corpus) or shape ``(batch,)``; with a list of weight vectors, one more axis
        at the end, one score per vector.
    """
    if not isinstance(auto_reweigh, bool):
        raise ValueError(f"auto_reweigh must be a bool, got {auto_reweigh!r}")
    sets, single, order = _as_weight_sets(weights, None)
    smoothing = _as_smoothing(smoothing_method)
    _check_smoothing(smoothing, order)
    stats = _aggregate(stats, corpus)
    p = _smooth(stats, smoothing, order)  # (..., N)
    log_p = torch.log(torch.where(p > 0, p, torch.ones_like(p)))  # a 0 drops out, as in NLTK
    w = _weight_matrix(sets, order, stats.hyp_lengths, auto_reweigh)  # (..., J, N)
    bp = brevity_penalty(hyp_length=stats.hyp_lengths, ref_length=stats.ref_lengths)
    score = bp.unsqueeze(-1) * torch.exp((w * log_p.unsqueeze(-2)).sum(-1))  # (..., J)
    score = torch.where(stats.matches[..., :1] > 0, score, torch.zeros_like(score))
    return score[..., 0] if single else score


def gleu_from_statistics(stats: GleuStatistics, *, corpus: bool = True) -> Tensor:
    r"""GLEU (eq. 7): matched n-grams over :math:`\max(\text{hyp n-grams}, \text{ref n-grams})`.

    Args:
        stats: per-sentence statistics from :func:`gleu_statistics`.
        corpus: sum matches and totals over the batch before dividing; otherwise one score
            per sentence.

    Returns:
        The score(s); 0 where there is nothing to count.
    """
    matches, totals = stats.matches, stats.totals
    if corpus:
        matches, totals = matches.sum(0), totals.sum(0)
    safe = torch.where(totals > 0, totals, torch.ones_like(totals))
    return torch.where(totals > 0, matches / safe, torch.zeros_like(matches))


def _bleu(
    hypotheses: Hypotheses,
    references: References,
    *,
    corpus: bool,
    eos_id: int | None,
    max_order: int | None,
    weights: Weights | None,
    smoothing_method: SmoothingMethod,
    auto_reweigh: bool,
    reference_mask: ReferenceMask | None,
    n_references: Tensor | Sequence[int] | None,
) -> Tensor:
    sets, single, order = _as_weight_sets(weights, max_order)
    smoothing = _as_smoothing(smoothing_method)
    _check_smoothing(smoothing, order)
    if not isinstance(auto_reweigh, bool):
        raise ValueError(f"auto_reweigh must be a bool, got {auto_reweigh!r}")
    stats = bleu_statistics(
        hypotheses,
        references,
        eos_id=eos_id,
        max_order=_statistics_order(smoothing, order),
        reference_mask=reference_mask,
        n_references=n_references,
    )
    return bleu_from_statistics(
        stats,
        sets[0] if single else sets,
        corpus=corpus,
        smoothing_method=smoothing,
        auto_reweigh=auto_reweigh,
    )


def corpus_bleu(
    hypotheses: Hypotheses,
    references: References,
    *,
    eos_id: int | None = None,
    max_order: int | None = None,
    weights: Weights | None = None,
    smoothing_method: SmoothingMethod = None,
    auto_reweigh: bool = False,
    reference_mask: ReferenceMask | None = None,
    n_references: Tensor | Sequence[int] | None = None,
) -> Tensor:
    """Corpus BLEU, differentiable in ``probs``; NLTK's ``corpus_bleu`` on hard inputs.

    Args:
        hypotheses: ``probs`` ``(batch, length, vocab)``, ``token_ids`` ``(batch, length)`` or
            a list of token lists (int ids or strings).
        references: ids ``(batch, ref_length)`` / ``(batch, n_refs, ref_length)``, or NLTK's
            list of reference lists.
        eos_id: end-of-sequence token; a sentence ends before its first EOS.
        max_order: the largest n-gram order; default ``len(weights)`` (4 without weights).
        weights: weights of the log precisions, default ``1 / max_order`` each; or a list of
            weight vectors (as NLTK's list of weight tuples), scored in one pass.
        smoothing_method: 0-7, NLTK's ``"method0"``-``"method7"`` or a :class:`BleuSmoothing`
            (default: none, NLTK's ``method0``).
        auto_reweigh: reweigh a uniform weight vector to the hypothesis length when it is
            shorter (NLTK's ``auto_reweigh``).
        reference_mask: with a references tensor ``(batch, n_refs, ref_length)``, False for the
            rows that only pad a sentence with fewer references, shape ``(batch, n_refs)``.
        n_references: instead of ``reference_mask``, the number of references of each
            sentence, shape ``(batch,)``.

    Returns:
        A scalar tensor; with a list of weight vectors, shape ``(n_vectors,)``.

    Example:
        >>> hyp = [[1, 2, 3, 4, 5]]
        >>> round(corpus_bleu(hyp, [[[1, 2, 3, 4, 6]]]).item(), 4)
        0.6687
        >>> corpus_bleu(hyp, [[[1, 2, 3, 4, 6]]], weights=[(1.0,), (0.5, 0.5)])
        tensor([0.8000, 0.7746], dtype=torch.float64)
    """
    return _bleu(
        hypotheses,
        references,
        corpus=True,
        eos_id=eos_id,
        max_order=max_order,
        weights=weights,
        smoothing_method=smoothing_method,
        auto_reweigh=auto_reweigh,
        reference_mask=reference_mask,
        n_references=n_references,
    )


def sentence_bleu(
    hypotheses: Hypotheses,
    references: References,
    *,
    eos_id: int | None = None,
    max_order: int | None = None,
    weights: Weights | None = None,
    smoothing_method: SmoothingMethod = None,
    auto_reweigh: bool = False,
    reference_mask: ReferenceMask | None = None,
    n_references: Tensor | Sequence[int] | None = None,
) -> Tensor:
    """BLEU of each sentence, shape ``(batch,)``; NLTK's ``sentence_bleu`` on hard inputs.

    Arguments as in :func:`corpus_bleu`; with a list of weight vectors the shape is
    ``(batch, n_vectors)``.

    Example:
        >>> sentence_bleu([[1, 2, 3]], [[[1, 2, 4, 5]]], smoothing_method="method4")
        tensor([0.1517], dtype=torch.float64)
    """
    return _bleu(
        hypotheses,
        references,
        corpus=False,
        eos_id=eos_id,
        max_order=max_order,
        weights=weights,
        smoothing_method=smoothing_method,
        auto_reweigh=auto_reweigh,
        reference_mask=reference_mask,
        n_references=n_references,
    )


def corpus_gleu(
    hypotheses: Hypotheses,
    references: References,
    *,
    eos_id: int | None = None,
    min_len: int = 1,
    max_len: int = 4,
    reference_mask: ReferenceMask | None = None,
    n_references: Tensor | Sequence[int] | None = None,
) -> Tensor:
    """Corpus GLEU (Wu et al. 2016), differentiable; NLTK's ``corpus_gleu`` on hard inputs.

    Args:
        hypotheses: as in :func:`corpus_bleu`.
        references: as in :func:`corpus_bleu`.
        eos_id: end-of-sequence token.
        min_len: the smallest n-gram order counted.
        max_len: the largest n-gram order counted.
        reference_mask: as in :func:`corpus_bleu`.
        n_references: as in :func:`corpus_bleu`.

    Returns:
        A scalar tensor.

    Example:
        >>> round(corpus_gleu([[1, 2, 3]], [[[1, 2, 4]]]).item(), 4)
        0.5
    """
    stats = gleu_statistics(
        hypotheses,
        references,
        eos_id=eos_id,
        min_len=min_len,
        max_len=max_len,
        reference_mask=reference_mask,
        n_references=n_references,
    )
    return gleu_from_statistics(stats, corpus=True)


def sentence_gleu(
    hypotheses: Hypotheses,
    references: References,
    *,
    eos_id: int | None = None,
    min_len: int = 1,
    max_len: int = 4,
    reference_mask: ReferenceMask | None = None,
    n_references: Tensor | Sequence[int] | None = None,
) -> Tensor:
    """GLEU of each sentence, shape ``(batch,)``; NLTK's ``sentence_gleu`` on hard inputs.

    Arguments as in :func:`corpus_gleu`.
    """
    stats = gleu_statistics(
        hypotheses,
        references,
        eos_id=eos_id,
        min_len=min_len,
        max_len=max_len,
        reference_mask=reference_mask,
        n_references=n_references,
    )
    return gleu_from_statistics(stats, corpus=False)


def _check_loss_args(level: str, eps: float) -> None:
    if level not in ("corpus", "sentence"):
        raise ValueError(f"level must be 'corpus' or 'sentence', got {level!r}")
    if not (isinstance(eps, int | float) and 0 < eps < 1):
        raise ValueError(f"eps must lie in (0, 1), got {eps!r}")


def bleu_loss(
    probs: Tensor,
    references: References,
    *,
    eos_id: int | None = None,
    max_order: int | None = None,
    weights: Sequence[float] | None = None,
    level: Literal["corpus", "sentence"] = "corpus",
    eps: float = 1e-10,
    smoothing_method: SmoothingMethod = None,
    auto_reweigh: bool = False,
    reference_mask: ReferenceMask | None = None,
    n_references: Tensor | Sequence[int] | None = None,
) -> Tensor:
    r"""The BLEU loss :math:`-\log(\mathrm{BLEU} + \epsilon)`.

    Without smoothing, a short hypothesis (fewer tokens than ``max_order``) has no n-gram of the
    top order, its BLEU is about the smallest float and the loss is flat at
    :math:`-\log \epsilon`; a smoothing (e.g. ``smoothing_method=1``, 2 or 3) keeps a gradient.

    Args:
        probs: token distributions ``(batch, length, vocab)``.
        references: as in :func:`corpus_bleu`.
        eos_id: end-of-sequence token.
        max_order: the largest n-gram order (default ``len(weights)``, or 4).
        weights: one weight vector for the log precisions.
        level: ``"corpus"`` scores the batch as one corpus; ``"sentence"`` averages the losses
            of the sentences.
        eps: keeps the loss finite at a zero score.
        smoothing_method: as in :func:`corpus_bleu`.
        auto_reweigh: as in :func:`corpus_bleu`.
        reference_mask: as in :func:`corpus_bleu`.
        n_references: as in :func:`corpus_bleu`.

    Returns:
        A scalar tensor.
    """
    _check_loss_args(level, eps)
    _, single, _ = _as_weight_sets(weights, max_order)
    if not single:
        raise ValueError("bleu_loss takes one weight vector; score several with corpus_bleu")
    score = _bleu(
        probs,
        references,
        corpus=level == "corpus",
        eos_id=eos_id,
        max_order=max_order,
        weights=weights,
        smoothing_method=smoothing_method,
        auto_reweigh=auto_reweigh,
        reference_mask=reference_mask,
        n_references=n_references,
    )
    return -torch.log(score + eps).mean()


def gleu_loss(
    probs: Tensor,
    references: References,
    *,
    eos_id: int | None = None,
    min_len: int = 1,
    max_len: int = 4,
    level: Literal["corpus", "sentence"] = "corpus",
    eps: float = 1e-10,
    reference_mask: ReferenceMask | None = None,
    n_references: Tensor | Sequence[int] | None = None,
) -> Tensor:
    r"""The GLEU loss :math:`-\log(\mathrm{GLEU} + \epsilon)`.

    Arguments as in :func:`bleu_loss`, with GLEU's ``min_len`` and ``max_len``.
    """
    _check_loss_args(level, eps)
    stats = gleu_statistics(
        probs,
        references,
        eos_id=eos_id,
        min_len=min_len,
        max_len=max_len,
        reference_mask=reference_mask,
        n_references=n_references,
    )
    score = gleu_from_statistics(stats, corpus=level == "corpus")
    return -torch.log(score + eps).mean()
