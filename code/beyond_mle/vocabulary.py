r"""A vocabulary: token strings to ids and back, so that BLEU and GLEU run on words.

NLTK's ``corpus_bleu`` scores lists of words; the scores of :mod:`beyond_mle.bleu` count n-grams of
integer ids. A :class:`Vocabulary` numbers the distinct tokens of a corpus, with the special
tokens first (``specials=("<eos>",)`` puts EOS at id 0), and maps any nesting of token lists to
the same nesting of ids and back. Two tokens get the same id exactly when they are equal strings,
so every n-gram count, and with it every score, is the same on the ids as on the words:

.. math::
    \mathrm{BLEU}(h, R) = \mathrm{BLEU}(\phi(h), \phi(R))

for the injective map :math:`\phi` from tokens to ids. :meth:`Vocabulary.token_ids` and
:meth:`Vocabulary.reference_ids` pad a corpus into the tensors that the soft path takes (one-hot
or model distributions), with the mask of the references that are present when sentences have
different numbers of references.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor

__all__ = ["Vocabulary"]


def _tokens_of(corpus: Any, name: str) -> Iterator[str]:
    """Every string in a nesting of lists and tuples, in order."""
    if isinstance(corpus, str):
        yield corpus
        return
    if isinstance(corpus, Tensor) or not isinstance(corpus, Iterable):
        raise ValueError(
            f"{name} must be (nested lists of) token strings, found {type(corpus).__name__}"
        )
    for item in corpus:
        yield from _tokens_of(item, name)


class Vocabulary:
    """Token strings numbered in order of first appearance, after the special tokens.

    Args:
        tokens: the tokens to number; repeats keep their first id.
        specials: tokens numbered first, in order (e.g. ``("<eos>",)`` for EOS at id 0); they
            must be distinct.

    Example:
        >>> vocab = Vocabulary.build(["the cat sat".split()], specials=("<eos>",))
        >>> vocab.encode(["the", "cat"]), vocab.decode([2, 1, 0, 3], eos_id=0)
        ([1, 2], ['cat', 'the'])
    """

    def __init__(self, tokens: Iterable[str] = (), *, specials: Sequence[str] = ()) -> None:
        specials = list(_tokens_of(specials, "specials"))
        if len(set(specials)) != len(specials):
            raise ValueError(f"specials must be distinct tokens, got {specials}")
        self._index: dict[str, int] = {}
        for token in [*specials, *_tokens_of(tokens, "tokens")]:
            self._index.setdefault(token, len(self._index))
        self._tokens = tuple(self._index)
        self.specials = tuple(specials)

    @classmethod
    def build(cls, *corpora: Any, specials: Sequence[str] = ()) -> Vocabulary:
        """The vocabulary of every token in ``corpora`` (any nesting of token lists).

        Args:
            corpora: e.g. the hypotheses (a list of token lists) and the references (for each
                hypothesis, a list of token lists), as NLTK's ``corpus_bleu`` takes them.
            specials: tokens numbered first.

        Returns:
            The :class:`Vocabulary`.
        """
        return cls(
            (t for corpus in corpora for t in _tokens_of(corpus, "corpora")), specials=specials
        )

    @property
    def tokens(self) -> tuple[str, ...]:
        """The tokens, indexed by their ids."""
        return self._tokens

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens, specials={self.specials})"

    def _id(self, token: Any) -> int:
        if not isinstance(token, str):
            raise ValueError(f"tokens must be strings, found {token!r}")
        try:
            return self._index[token]
        except KeyError:
            raise ValueError(
                f"token {token!r} is not in the vocabulary ({len(self)} tokens); build it "
                "from every corpus that will be encoded"
            ) from None

    def encode(self, tokens: Any) -> Any:
        """Token strings to ids, keeping the nesting: a sentence, a corpus or its references.

        Args:
            tokens: a token, a list of tokens, or lists of them nested to any depth.

        Returns:
            The same nesting of ``int`` ids.
        """
        if isinstance(tokens, str):
            return self._id(tokens)
        if isinstance(tokens, Tensor) or not isinstance(tokens, Iterable):
            raise ValueError(f"tokens must be strings or lists of them, found {tokens!r}")
        return [self.encode(t) for t in tokens]

    def decode(self, token_ids: Sequence[int] | Tensor, *, eos_id: int | None = None) -> list[str]:
        """Ids of one sentence to its tokens; negative ids (padding) are dropped.

        Args:
            token_ids: ids, shape ``(length,)``.
            eos_id: stop before the first EOS, as the scores do.

        Returns:
            The token strings.
        """
        if isinstance(token_ids, Tensor):
            if token_ids.dim() != 1 or token_ids.is_floating_point():
                raise ValueError(
                    f"token_ids must be a 1-D integer tensor, got {tuple(token_ids.shape)} "
                    f"{token_ids.dtype}"
                )
            token_ids = token_ids.tolist()
        out = []
        for i in token_ids:
            if isinstance(i, bool) or not isinstance(i, int):
                raise ValueError(f"token_ids must hold ints, found {i!r}")
            if eos_id is not None and i == eos_id:
                break
            if i < 0:
                continue
            if i >= len(self):
                raise ValueError(f"token id {i} is out of range [0, {len(self) - 1}]")
            out.append(self._tokens[i])
        return out

    def token_ids(
        self, sentences: Sequence[Sequence[str]], *, pad_id: int = -1, length: int | None = None
    ) -> Tensor:
        """A corpus of token lists as one padded id tensor.

        Args:
            sentences: token lists.
            pad_id: the id after each sentence's end: negative (padding) or an EOS id.
            length: the padded length (default: the longest sentence).

        Returns:
            ``token_ids`` of shape ``(batch, length)``, ``torch.long``.
        """
        rows = [self.encode(list(s)) for s in sentences]
        width = max((len(r) for r in rows), default=0) if length is None else length
        if any(len(r) > width for r in rows):
            raise ValueError(f"length must be >= the longest sentence, got {length}")
        padded = [r + [pad_id] * (width - len(r)) for r in rows]
        return torch.tensor(padded, dtype=torch.long).reshape(len(rows), width)

    def reference_ids(
        self, list_of_references: Sequence[Sequence[Sequence[str]]], *, pad_id: int = -1
    ) -> tuple[Tensor, Tensor]:
        """NLTK's list of reference lists as one padded tensor and its reference mask.

        Args:
            list_of_references: for each hypothesis, its references (token lists); sentences may
                have different numbers of references.
            pad_id: the id that fills the end of each reference and the missing references.

        Returns:
            ``(reference_ids, reference_mask)``: shapes ``(batch, n_refs, ref_length)`` and
            ``(batch, n_refs)``, the mask False for the rows that only pad a sentence with
            fewer references; pass both to the scores (``reference_mask=``).
        """
        n_refs = max((len(refs) for refs in list_of_references), default=0)
        width = max((len(r) for refs in list_of_references for r in refs), default=0)
        ids = torch.full((len(list_of_references), n_refs, width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(list_of_references), n_refs), dtype=torch.bool)
        for b, refs in enumerate(list_of_references):
            for r, ref in enumerate(refs):
                encoded = self.encode(list(ref))
                ids[b, r, : len(encoded)] = torch.tensor(encoded, dtype=torch.long)
                mask[b, r] = True
        return ids, mask
