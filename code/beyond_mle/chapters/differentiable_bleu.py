r"""The chapter "Differentiable BLEU and GLEU": its parameters, experiments and claims.

Two experiments check the differentiable scores of :mod:`beyond_mle.bleu` (Casas et al. 2018,
§2, §3.1 and appendix A):

* agreement with NLTK (:func:`nltk_agreement`): random corpora (:func:`random_corpus`) scored by
  this package, from token ids and from one-hot distributions, and by NLTK's ``corpus_bleu`` (no
  smoothing), ``sentence_bleu``, ``corpus_gleu`` and ``sentence_gleu`` on the same corpora as
  token lists; the largest absolute difference of each score is an :class:`Agreement`;
* the clipped counts of appendix A as the paper computes them (:func:`appendix_a_statistics`):
  validity masks on both sides and the minimum of two count matrices, beside the package's
  expected counts; on one-hot inputs the two agree (:func:`appendix_a_one_hot_gap`), on soft ones
  they differ;
* the temperature sweep (:func:`run_sweep`): the soft scores of :math:`\mathrm{softmax}(
  \text{logits} / T)`, for logits of a model that mostly predicts the reference
  (:func:`noisy_reference_logits`), beside the score of their argmax and the expected BLEU of
  sequences sampled from them (:func:`temperature_sweep`).

Every random draw comes from a named stream of the chapter's ``seed`` (:mod:`beyond_mle.streams`):
``"random corpora"`` for the corpora compared with NLTK, ``"appendix A corpora"`` for those of
the one-hot check of appendix A's counts, ``"sweep references"`` for the sweep's
references and their lengths, ``"sweep noise"`` for the noise of its logits and ``"sweep
samples"`` for the sequences sampled at each temperature.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import torch
from nltk.translate import bleu_score as nltk_bleu
from nltk.translate import gleu_score as nltk_gleu
from torch import Tensor

from beyond_mle import streams
from beyond_mle.bleu import (
    BleuStatistics,
    bleu_statistics,
    corpus_bleu,
    corpus_gleu,
    length_mask,
    ngram_matches,
    sentence_bleu,
    sentence_gleu,
)
from beyond_mle.claims import Claim, Identity, Interval, Ordering
from beyond_mle.config import ChapterConfig, param, resolve_device
from beyond_mle.progress import progress

__all__ = [
    "CLAIMS",
    "EOS",
    "Agreement",
    "DifferentiableBleuConfig",
    "appendix_a_one_hot_gap",
    "appendix_a_statistics",
    "nltk_agreement",
    "noisy_reference_logits",
    "random_corpus",
    "run_sweep",
    "sweep_data",
    "sweep_temperatures",
    "temperature_sweep",
]

#: The end-of-sentence id of the random corpora and of the temperature sweep.
EOS = 0


def random_corpus(
    rng: random.Random, *, corpus_size: int, vocab_size: int, max_len: int, eos_id: int
) -> tuple[list[list[int]], list[list[list[int]]], Tensor, Tensor]:
    """A random corpus as NLTK's lists and as padded id tensors that end with EOS.

    References have 1 to ``max_len`` tokens drawn from a small vocabulary, so that n-grams
    repeat. Each hypothesis is its reference after random edits at a rate drawn uniformly from
    [0, 1] per sentence (a token is kept, replaced, dropped or followed by an inserted token), so
    the scores spread from 0 to 1 and short, empty, longer and unrelated hypotheses all occur.
    Token ``eos_id`` is kept out of the sentences; the tensors append it after each sentence and
    fill the rest with random tokens, which a correct length mask ignores.

    Args:
        rng: the random source (Python's).
        corpus_size: sentence pairs.
        vocab_size: tokens other than ``eos_id`` (ids ``0 .. vocab_size``, ``eos_id`` left out).
        max_len: the longest reference, in tokens.
        eos_id: the end-of-sentence id.

    Returns:
        ``(hypotheses, references, hypothesis_ids, reference_ids)``; the tensors have shape
        ``(corpus_size, 2 * max_len + 1)``.
    """
    tokens = [t for t in range(vocab_size + 1) if t != eos_id]

    def edited(reference: list[int]) -> list[int]:
        rate = rng.random()
        out: list[int] = []
        for token in reference:
            action = rng.random()
            if action >= rate:
                out.append(token)
            elif action < rate / 3:
                out.append(rng.choice(tokens))
            elif action < 2 * rate / 3:
                out.extend((token, rng.choice(tokens)))
        return out[: 2 * max_len]

    refs = [
        [[rng.choice(tokens) for _ in range(rng.randint(1, max_len))]] for _ in range(corpus_size)
    ]
    hyps = [edited(r[0]) for r in refs]

    def padded(rows: list[list[int]]) -> Tensor:
        out = torch.tensor([[rng.choice(tokens) for _ in range(2 * max_len + 1)] for _ in rows])
        for b, row in enumerate(rows):
            out[b, : len(row)] = torch.tensor(row, dtype=torch.long)
            out[b, len(row)] = eos_id
        return out

    return hyps, refs, padded(hyps), padded([r[0] for r in refs])


@dataclass(frozen=True)
class Agreement:
    """Largest absolute differences from NLTK over many random corpora."""

    n_corpora: int
    corpus_bleu_ids: float
    corpus_bleu_one_hot: float
    corpus_gleu_ids: float
    corpus_gleu_one_hot: float
    sentence_bleu: float
    sentence_gleu: float
    nltk_zero_bleu: int  # corpora that NLTK scores exactly 0 (no unigram match)
    nltk_tiny_bleu: int  # corpora that NLTK scores in (0, 1e-50): a zero higher-order match
    nltk_above_half: int  # corpora that NLTK scores above 0.5

    def worst(self) -> float:
        """The largest of the differences."""
        values = asdict(self)
        return max(v for k, v in values.items() if isinstance(v, float))


def _self_validity(seq: Tensor, mask: Tensor, n: int) -> tuple[Tensor, Tensor]:
    """Appendix A's validity mask and per-occurrence counts of the n-grams of one sequence.

    ``seq`` ``(B, T, V)`` with its length mask ``(B, T)``; both results ``(B, T - n + 1)``.
    """
    masked = seq * mask.unsqueeze(-1)  # a_i * mask_a_i, eq. (5)
    self_n = ngram_matches(masked @ masked.transpose(1, 2), n)  # (B, T-n+1, T-n+1), eq. (6)
    span = self_n.shape[-1]
    earlier = torch.triu(self_n.new_ones(span, span), diagonal=1)  # (i, j) with i < j
    # 1 - (upper triangle), multiplied along the earlier positions: ~1 at a first occurrence
    valid = torch.prod(1 - earlier * self_n, dim=1) * mask[:, n - 1 :]
    return valid, self_n.sum(-1)


def appendix_a_statistics(
    probs: Tensor, reference_ids: Tensor, *, eos_id: int | None = None, max_order: int = 4
) -> BleuStatistics:
    r"""BLEU's statistics computed as appendix A of Casas et al. (2018) describes them.

    Every token is masked by its length mask in the 1-gram matrices (eq. 5); the n-gram ones are
    products along diagonals (eq. 6). For each of the two sequences, the strict upper triangle
    of its own n-gram match matrix :math:`S` gives the validity mask
    :math:`v_j = \prod_{i < j} (1 - S_{ij})` (about 1 at the first occurrence of an n-gram, about
    0 at its repeats) and the count of each occurrence :math:`c_i = \sum_j S_{ij}`. With
    :math:`X` the cross n-gram matrix (hypothesis rows :math:`i`, reference columns :math:`j`),
    the clipped matches are

    .. math::
        \mathrm{matches}^{(n)} = \sum_{i,j} \min\bigl(
            v^{h}_i X_{ij}\, c^{r}_j v^{r}_j,\;
            v^{r}_j X_{ij}\, c^{h}_i v^{h}_i \bigr),

    which on one-hot inputs is :math:`\sum_g \min(\mathrm{count}_h(g), \mathrm{count}_r(g))`
    over the distinct n-grams :math:`g`. The hypothesis totals follow eq. (4), read as
    :math:`\max(\text{length} - n + 1, 0)` (the printed :math:`- n - 1` is off by two; the
    authors' code has :math:`-(n - 1)`). The masks take the first occurrence, as the authors' code
    does; the text leaves open along which axis the product runs. Products are exact here (the
    authors' code adds a small constant inside a logarithm).

    Args:
        probs: hypothesis distributions, shape ``(batch, length, vocab)``.
        reference_ids: one reference per sentence, ids ``(batch, ref_length)``, all ``>= 0``
            and ``< vocab``; with ``eos_id`` a reference ends before its first EOS.
        eos_id: the end-of-sequence token, or ``None``.
        max_order: the largest n-gram order.

    Returns:
        :class:`~beyond_mle.bleu.BleuStatistics` (totals at least 1, as NLTK's), for
        :func:`~beyond_mle.bleu.bleu_from_statistics`.

    Example:
        >>> hyp = torch.nn.functional.one_hot(torch.tensor([[2, 2, 2, 0]]), 4).double()
        >>> stats = appendix_a_statistics(hyp, torch.tensor([[2, 2, 3, 0]]), eos_id=0)
        >>> stats.matches[0].tolist(), stats.totals[0].tolist()  # min(3, 2) unigrams, min(2, 1)
        ([2.0, 1.0, 0.0, 0.0], [3.0, 2.0, 1.0, 1.0])
    """
    if probs.dim() != 3 or reference_ids.dim() != 2 or reference_ids.shape[0] != probs.shape[0]:
        raise ValueError(
            "probs must have shape (batch, length, vocab) and reference_ids (batch, ref_length); "
            f"got {tuple(probs.shape)} and {tuple(reference_ids.shape)}"
        )
    vocab = probs.shape[-1]
    if (reference_ids < 0).any() or (reference_ids >= vocab).any():
        raise ValueError(f"reference ids must lie in [0, {vocab}), got {reference_ids.tolist()}")
    ref = torch.nn.functional.one_hot(reference_ids, vocab).to(probs.dtype)  # (B, Lr, V)
    hyp_mask, ref_mask = length_mask(probs, eos_id), length_mask(ref, eos_id)  # eq. (2)
    cross = (probs * hyp_mask.unsqueeze(-1)) @ (ref * ref_mask.unsqueeze(-1)).transpose(1, 2)
    hyp_length, ref_length = hyp_mask.sum(-1), ref_mask.sum(-1)  # eq. (3)
    matches, counts = [], []
    for n in range(1, max_order + 1):
        cross_n = ngram_matches(cross, n)  # (B, L-n+1, Lr-n+1)
        v_h, c_h = _self_validity(probs, hyp_mask, n)  # (B, L-n+1)
        v_r, c_r = _self_validity(ref, ref_mask, n)  # (B, Lr-n+1)
        using_ref_counts = v_h.unsqueeze(2) * cross_n * (c_r * v_r).unsqueeze(1)
        using_hyp_counts = v_r.unsqueeze(1) * cross_n * (c_h * v_h).unsqueeze(2)
        matches.append(torch.minimum(using_ref_counts, using_hyp_counts).sum((1, 2)))
        counts.append((hyp_length - (n - 1)).clamp_min(0.0))  # eq. (4), read as length - n + 1
    hyp_ngrams = torch.stack(counts, -1)
    return BleuStatistics(
        matches=torch.stack(matches, -1),
        totals=hyp_ngrams.clamp_min(1.0),
        hyp_lengths=hyp_length,
        ref_lengths=ref_length,
        hyp_ngrams=hyp_ngrams,
    )


def appendix_a_one_hot_gap(config: DifferentiableBleuConfig) -> float:
    """Largest difference of appendix A's clipped matches from the package's on one-hot inputs.

    ``config.n_corpora`` random corpora of :func:`random_corpus` (stream ``"appendix A corpora"``
    of ``config.seed``), stacked into one batch of one-hot hypotheses in float64.

    Returns:
        ``max |matches_A - matches_package|`` over sentences and the orders 1 to 4.
    """
    rng = random.Random(streams.stream_seed(config.seed, "appendix A corpora"))
    hyp_ids, ref_ids = [], []
    for _ in range(config.n_corpora):
        _, _, hyps, refs = random_corpus(
            rng,
            corpus_size=config.corpus_size,
            vocab_size=config.vocab_size,
            max_len=config.max_len,
            eos_id=EOS,
        )
        hyp_ids.append(hyps)
        ref_ids.append(refs)
    hyp, ref = torch.cat(hyp_ids), torch.cat(ref_ids)
    one_hot = torch.nn.functional.one_hot(hyp, config.vocab_size + 1).double()
    ours = bleu_statistics(one_hot, ref, eos_id=EOS).matches
    theirs = appendix_a_statistics(one_hot, ref, eos_id=EOS).matches
    return (ours - theirs).abs().max().item()


def noisy_reference_logits(
    reference_ids: Tensor, vocab_size: int, *, signal: float, generator: torch.Generator
) -> Tensor:
    r"""Logits of a model that mostly predicts the reference.

    Every logit is standard normal noise; the reference token's gets a bonus of
    :math:`\sqrt{2 \ln V} + \text{signal}`. The largest of :math:`V` standard normals is close to
    :math:`\sqrt{2 \ln V}`, so ``signal`` is the margin over the strongest competitor, and the
    argmax is the reference token about as often at every vocabulary size.

    Args:
        reference_ids: shape ``(batch, length)``.
        vocab_size: the vocabulary :math:`V`.
        signal: the margin of the reference token's logit.
        generator: the random source.

    Returns:
        Logits, shape ``(batch, length, vocab_size)``, float64.
    """
    noise = torch.randn(*reference_ids.shape, vocab_size, generator=generator, dtype=torch.float64)
    bonus = (2 * math.log(vocab_size)) ** 0.5 + signal
    return noise + bonus * torch.nn.functional.one_hot(reference_ids, vocab_size)


def temperature_sweep(
    logits: Tensor,
    reference_ids: Tensor,
    temperatures: Tensor,
    *,
    eos_id: int,
    n_samples: int,
    generator: torch.Generator,
) -> dict[str, list[float]]:
    """Soft scores of ``softmax(logits / T)`` beside the hard and the sampled (expected) scores.

    For each temperature: corpus BLEU and GLEU of the distributions (the differentiable scores),
    of their argmax (the hard score, the same at every temperature) and the mean BLEU of
    ``n_samples`` corpora sampled from the distributions (a Monte Carlo estimate of the expected
    BLEU, which the soft score approximates), with its standard error.

    Args:
        logits: ``(batch, length, vocab)``.
        reference_ids: ``(batch, length)``, on the device of ``logits``.
        temperatures: the softmax temperatures, 1-D.
        eos_id: the end-of-sentence id.
        n_samples: corpora sampled per temperature.
        generator: the random source of the samples, on the device of ``logits``.

    Returns:
        Lists keyed ``temperature``, ``soft_bleu``, ``soft_gleu``, ``hard_bleu``, ``hard_gleu``,
        ``sampled_bleu``, ``sampled_bleu_se``, ``expected_length``.
    """
    out: dict[str, list[float]] = {
        k: []
        for k in (
            "temperature",
            "soft_bleu",
            "soft_gleu",
            "hard_bleu",
            "hard_gleu",
            "sampled_bleu",
            "sampled_bleu_se",
            "expected_length",
        )
    }
    batch, length, vocab = logits.shape
    hard = logits.argmax(-1).cpu()
    refs = reference_ids.cpu()
    hard_bleu = corpus_bleu(hard, refs, eos_id=eos_id).item()
    hard_gleu = corpus_gleu(hard, refs, eos_id=eos_id).item()
    for t in progress(temperatures.tolist(), desc="temperatures"):
        probs = torch.softmax(logits / t, dim=-1)
        out["temperature"].append(t)
        out["soft_bleu"].append(corpus_bleu(probs, reference_ids, eos_id=eos_id).item())
        out["soft_gleu"].append(corpus_gleu(probs, reference_ids, eos_id=eos_id).item())
        out["hard_bleu"].append(hard_bleu)
        out["hard_gleu"].append(hard_gleu)
        mask = length_mask(probs, eos_id)
        out["expected_length"].append(mask.sum(-1).mean().item())
        flat = probs.reshape(-1, vocab)
        draws = torch.multinomial(flat, n_samples, replacement=True, generator=generator)
        samples = draws.T.reshape(n_samples, batch, length).cpu()
        scores = torch.stack([corpus_bleu(s, refs, eos_id=eos_id) for s in samples])
        out["sampled_bleu"].append(scores.mean().item())
        out["sampled_bleu_se"].append((scores.std() / n_samples**0.5).item())
    return out


@dataclass(frozen=True)
class DifferentiableBleuConfig(ChapterConfig):
    """The parameters of the chapter "Differentiable BLEU and GLEU": the NLTK check and the sweep.

    The random corpora compared with NLTK come from the stream ``"random corpora"`` of ``seed``;
    the sweep's references from ``"sweep references"``, the noise of its logits from ``"sweep
    noise"`` and its sampled sequences from ``"sweep samples"`` (:mod:`beyond_mle.streams`).
    """

    NOTEBOOK = "book/bleu/differentiable_bleu.ipynb"
    DESCRIPTION = (
        "Differentiable BLEU and GLEU: agreement with NLTK and the soft score under a "
        "temperature sweep"
    )
    PRESETS = {
        "book": {},
        # The reversal task's scale in the paper (App. C): batch 40, length 50, a vocabulary of
        # "around 30K" (30,000 here).
        "paper": {
            "n_corpora": 10_000,
            "corpus_size": 10,
            "vocab_size": 12,
            "max_len": 20,
            "sweep_batch": 40,
            "sweep_length": 50,
            "sweep_vocab": 30_000,
            "n_temperatures": 25,
            "n_samples": 64,
        },
    }

    n_corpora: int = param(500, low=1, high=1_000_000, help="random corpora compared with NLTK")
    corpus_size: int = param(6, low=1, high=10_000, help="sentence pairs per random corpus")
    vocab_size: int = param(
        8,
        low=2,
        high=1_000_000,
        help="vocabulary of the random corpora (small, so n-grams repeat)",
    )
    max_len: int = param(10, low=1, high=1000, help="longest random sentence (tokens)")
    sweep_batch: int = param(8, low=1, high=4096, help="sentences in the temperature sweep")
    sweep_length: int = param(
        12, low=4, high=1000, help="tokens per sentence in the temperature sweep"
    )
    sweep_vocab: int = param(50, low=3, high=1_000_000, help="vocabulary of the temperature sweep")
    n_temperatures: int = param(
        13, low=2, high=200, help="softmax temperatures, log-spaced between 0.01 and 100"
    )
    n_samples: int = param(
        32,
        low=1,
        high=100_000,
        help="corpora sampled per temperature (Monte Carlo expected BLEU)",
    )
    signal: float = param(
        0.5,
        low=-10.0,
        high=100.0,
        help="margin of the reference logit over the largest noise logit",
    )


def nltk_agreement(config: DifferentiableBleuConfig) -> Agreement:
    """Score random corpora with this package (ids and one-hot ``probs``) and with NLTK.

    ``config.n_corpora`` corpora of :func:`random_corpus` (``corpus_size`` pairs, ``vocab_size``
    tokens, up to ``max_len`` a reference) are drawn from the stream ``"random corpora"`` of
    ``config.seed``. Every comparison is in float64.

    Returns:
        The largest absolute difference of each score, and how NLTK's corpus BLEU spread.
    """
    rng = random.Random(streams.stream_seed(config.seed, "random corpora"))
    worst = dict.fromkeys(
        (
            "corpus_bleu_ids",
            "corpus_bleu_one_hot",
            "corpus_gleu_ids",
            "corpus_gleu_one_hot",
            "sentence_bleu",
            "sentence_gleu",
        ),
        0.0,
    )
    zero = tiny = above_half = 0
    vocab = config.vocab_size + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NLTK warns on every zero higher-order precision
        for _ in progress(range(config.n_corpora), desc="corpora"):
            hyps, refs, hyp_ids, ref_ids = random_corpus(
                rng,
                corpus_size=config.corpus_size,
                vocab_size=config.vocab_size,
                max_len=config.max_len,
                eos_id=EOS,
            )
            one_hot = torch.nn.functional.one_hot(hyp_ids, vocab).double()
            bleu = nltk_bleu.corpus_bleu(refs, hyps)
            gleu = nltk_gleu.corpus_gleu(refs, hyps)
            zero += bleu == 0
            tiny += 0 < bleu < 1e-50
            above_half += bleu > 0.5
            pairs = {
                "corpus_bleu_ids": (corpus_bleu(hyp_ids, ref_ids, eos_id=EOS), bleu),
                "corpus_bleu_one_hot": (corpus_bleu(one_hot, ref_ids, eos_id=EOS), bleu),
                "corpus_gleu_ids": (corpus_gleu(hyp_ids, ref_ids, eos_id=EOS), gleu),
                "corpus_gleu_one_hot": (corpus_gleu(one_hot, ref_ids, eos_id=EOS), gleu),
            }
            for key, (ours, theirs) in pairs.items():
                worst[key] = max(worst[key], abs(ours.item() - theirs))
            s_bleu = sentence_bleu(hyps, refs)
            s_gleu = sentence_gleu(hyps, refs)
            for i, (hyp, ref) in enumerate(zip(hyps, refs, strict=True)):
                d_bleu = abs(s_bleu[i].item() - nltk_bleu.sentence_bleu(ref, hyp))
                d_gleu = abs(s_gleu[i].item() - nltk_gleu.sentence_gleu(ref, hyp))
                worst["sentence_bleu"] = max(worst["sentence_bleu"], d_bleu)
                worst["sentence_gleu"] = max(worst["sentence_gleu"], d_gleu)
    return Agreement(
        n_corpora=config.n_corpora,
        nltk_zero_bleu=zero,
        nltk_tiny_bleu=tiny,
        nltk_above_half=above_half,
        **worst,
    )


def sweep_temperatures(config: DifferentiableBleuConfig) -> Tensor:
    """The sweep's ``n_temperatures`` temperatures, log-spaced from 0.01 to 100 (float64).

    Example:
        >>> sweep_temperatures(DifferentiableBleuConfig(n_temperatures=5)).tolist()
        [0.01, 0.1, 1.0, 10.0, 100.0]
    """
    return torch.logspace(-2, 2, config.n_temperatures, dtype=torch.float64)


def sweep_data(config: DifferentiableBleuConfig) -> tuple[Tensor, Tensor]:
    """The references of the temperature sweep and the logits of a model that mostly predicts them.

    ``sweep_batch`` references of ``sweep_length`` ids: each holds ``sweep_length // 2`` to
    ``sweep_length - 1`` words from ``1 .. sweep_vocab - 1``, then :data:`EOS` to the end; their
    lengths and words come from the stream ``"sweep references"``. The logits are
    :func:`noisy_reference_logits` with margin ``signal``, their noise from ``"sweep noise"``.

    Returns:
        ``(references, logits)``: ``(sweep_batch, sweep_length)`` ids and
        ``(sweep_batch, sweep_length, sweep_vocab)`` float64 logits, on the CPU.
    """
    words = streams.generator(config.seed, "sweep references")
    batch, length = config.sweep_batch, config.sweep_length
    lengths = torch.randint(length // 2, length, (batch,), generator=words)  # (B,)
    references = torch.randint(1, config.sweep_vocab, (batch, length), generator=words)  # (B, L)
    references[torch.arange(length) >= lengths[:, None]] = EOS  # EOS, then more EOS
    logits = noisy_reference_logits(
        references,
        config.sweep_vocab,
        signal=config.signal,
        generator=streams.generator(config.seed, "sweep noise"),
    )
    return references, logits


def run_sweep(
    config: DifferentiableBleuConfig, references: Tensor, logits: Tensor
) -> dict[str, list[float]]:
    """:func:`temperature_sweep` of ``logits`` at :func:`sweep_temperatures`, on ``device``.

    The ``n_samples`` sequences sampled at each temperature come from the stream ``"sweep
    samples"`` of ``config.seed``.

    Args:
        config: the sweep's sizes, seed and device.
        references: ids ``(batch, length)``, as :func:`sweep_data` returns them.
        logits: ``(batch, length, vocab)``.

    Returns:
        The lists of :func:`temperature_sweep`, one entry per temperature.
    """
    device = resolve_device(config.device)
    return temperature_sweep(
        logits.to(device),
        references.to(device),
        sweep_temperatures(config),
        eos_id=EOS,
        n_samples=config.n_samples,
        generator=streams.generator(config.seed, "sweep samples", device),
    )


# Claims
#
# Agreement with NLTK is an identity: float64 scores in [0, 1] built from the same counts agree to
# a few units of 1e-16, so the tolerance is 1e-12 (the paper's own is 1e-3); appendix A's clipped
# counts on one-hot inputs are integers, exact in float64, and share that tolerance. The
# temperature sweep is decided on the soft score against the score of the argmax. Near one-hot
# (T = 0.01) five seeds put them 1e-4 to 0.012 apart, above or below (near-ties between the two
# largest logits keep some mass off the argmax), so the bound is 0.05; at the plain softmax
# (T = 1) they are 0.55 to 0.62 apart, against a bound of 0.1, and the gap grows by 0.61 to 0.74
# from T = 0.1 to T = 1, against a margin of 0.2. Every seed lies more than seven standard
# deviations (over the seeds) from each bound.

SOURCE = "Casas et al. (2018)"
ONE_HOT = "precise at least up to 10^-3 on strict one-hot inputs (scores in [0, 1])"


def _largest_difference(*names: str) -> Callable[[Mapping[str, Any]], float]:
    """The largest of the agreement's differences from NLTK that are named."""

    def measure(results: Mapping[str, Any]) -> float:
        agreement = results["agreement"]
        return max(float(agreement[name]) for name in names)

    return measure


def _row(results: Mapping[str, Any], temperature: float) -> dict[str, float]:
    """The sweep's row at ``temperature`` (the grid is log-spaced from 0.01 to 100)."""
    sweep = results["sweep"]
    distances = [abs(math.log(t / temperature)) for t in sweep["temperature"]]
    index = min(range(len(distances)), key=distances.__getitem__)
    if distances[index] > 1e-9:
        raise KeyError(f"the sweep has no temperature {temperature:g}")
    return {column: values[index] for column, values in sweep.items()}


def _gap(results: Mapping[str, Any], temperature: float, score: str = "bleu") -> float:
    """|soft score - score of the argmax| at one temperature."""
    row = _row(results, temperature)
    return abs(row[f"soft_{score}"] - row[f"hard_{score}"])


def _peaked_gap(results: Mapping[str, Any]) -> float:
    return max(_gap(results, 0.01, "bleu"), _gap(results, 0.01, "gleu"))


def _softmax_gap(results: Mapping[str, Any]) -> float:
    return min(_gap(results, 1.0, "bleu"), _gap(results, 1.0, "gleu"))


def _flatter_gap(results: Mapping[str, Any]) -> tuple[float, float]:
    return _gap(results, 1.0), _gap(results, 0.1)


CLAIMS = (
    Claim(
        key="corpus-bleu-matches-nltk",
        statement=(
            "On one-hot inputs the differentiable corpus BLEU is NLTK's corpus BLEU (no "
            "smoothing): statistics summed over the corpus before the geometric mean"
        ),
        source=f"{SOURCE}, §3.1; App. A, eqs. (1) and (9)",
        paper=ONE_HOT,
        quantity=(
            "largest |ours - NLTK| of corpus BLEU over the random corpora, from token ids and "
            "from one-hot distributions"
        ),
        measure=_largest_difference("corpus_bleu_ids", "corpus_bleu_one_hot"),
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="corpus-gleu-matches-nltk",
        statement=(
            "On one-hot inputs the differentiable corpus GLEU is NLTK's: matches over the larger "
            "of the hypothesis' and the reference's n-gram totals, pooled over the corpus"
        ),
        source=f"{SOURCE}, §3.1; App. A, eqs. (1) and (7)",
        paper=ONE_HOT,
        quantity=(
            "largest |ours - NLTK| of corpus GLEU over the random corpora, from token ids and "
            "from one-hot distributions"
        ),
        measure=_largest_difference("corpus_gleu_ids", "corpus_gleu_one_hot"),
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="sentence-scores-match-nltk",
        statement="Sentence by sentence, the differentiable BLEU and GLEU are NLTK's",
        source=f"{SOURCE}, §3.1; App. A (sentence-level counts)",
        paper=ONE_HOT,
        quantity="largest |ours - NLTK| of sentence BLEU and sentence GLEU over every sentence",
        measure=_largest_difference("sentence_bleu", "sentence_gleu"),
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="appendix-a-counts-clip-exactly",
        statement=(
            "Appendix A's route to the clipped counts (validity masks of first occurrences on both "
            "sides, the minimum of two count matrices) gives, on one-hot inputs, the number of "
            "matches clipped by the smaller of the two appearance counts"
        ),
        source=f"{SOURCE}, App. A (the steps under Fig. 1)",
        paper=(
            "the minimum of the two masked count matrices is the true number of matches, the "
            "minimum of the appearances in reference and hypothesis"
        ),
        quantity=(
            "largest |appendix A's clipped matches - the package's| over the sentences of the "
            "random corpora, orders 1 to 4, one-hot inputs"
        ),
        measure=lambda results: results["appendix_a"]["one_hot_gap"],
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="peaked-soft-near-hard",
        statement=(
            "As the distributions approach one-hot, the soft scores approach the scores of the "
            "argmax sequence"
        ),
        source=f"{SOURCE}, §3.1",
        paper="the divergence shrinks as the maximum probability grows (no number)",
        quantity=(
            "|soft score - score of the argmax| at temperature 0.01, the larger of BLEU's and "
            "GLEU's (0 to 1)"
        ),
        measure=_peaked_gap,
        test=Interval(None, 0.05),
    ),
    Claim(
        key="softmax-diverges",
        statement=(
            "On a softmax output, which is not one-hot, the soft scores depart from the scores "
            "of the argmax sequence"
        ),
        source=f"{SOURCE}, §3.1",
        paper="results start diverging for non-one-hot inputs such as a softmax output",
        quantity=(
            "|soft score - score of the argmax| at temperature 1 (the plain softmax), the "
            "smaller of BLEU's and GLEU's (0 to 1)"
        ),
        measure=_softmax_gap,
        test=Interval(0.1, None),
    ),
    Claim(
        key="flatter-diverges-more",
        statement=(
            "The lower the largest probability of each distribution, the further the soft score "
            "departs from the hard one"
        ),
        source=f"{SOURCE}, §3.1",
        paper="the lower the maximum probability, the larger the divergence",
        quantity=(
            "|soft BLEU - BLEU of the argmax| at temperature 1 and at temperature 0.1 (flatter "
            "and more peaked softmax; 0 to 1)"
        ),
        measure=_flatter_gap,
        test=Ordering(0.2, "the gap at T = 1", "the gap at T = 0.1"),
    ),
)
