"""The sequence-reversal task: a synthetic parallel corpus whose targets are reversed sources.

Introduced in the chapter "Sequence reversal" (appendix C of Casas et al. 2018). Tokens follow a
Zipf-like law, so a few words are frequent and most are rare, as in text. Each source is a
sentence followed by EOS and padding; its target is the sentence reversed, followed by EOS and
padding (EOS and padding are not reversed). Nothing is downloaded: the corpus is drawn from a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["EOS", "FIRST_WORD", "PAD", "ReversalCorpus", "reversal_corpus", "zipf_probabilities"]

PAD = 0  #: padding after EOS
EOS = 1  #: end of sentence
FIRST_WORD = 2  #: word ids are FIRST_WORD .. vocab_size - 1


def zipf_probabilities(vocab_size: int, exponent: float = 1.0) -> Tensor:
    r"""Probabilities of the word ids under a Zipf-like law, :math:`p(k) \propto k^{-s}`.

    Args:
        vocab_size: the whole vocabulary, PAD and EOS included (> FIRST_WORD).
        exponent: :math:`s \ge 0`; 0 gives the uniform distribution.

    Returns:
        Shape ``(vocab_size,)``, zero on PAD and EOS, summing to 1; float64.
    """
    if vocab_size <= FIRST_WORD:
        raise ValueError(f"vocab_size must be > {FIRST_WORD} (PAD and EOS), got {vocab_size}")
    if exponent < 0:
        raise ValueError(f"exponent must be >= 0, got {exponent}")
    ranks = torch.arange(1, vocab_size - FIRST_WORD + 1, dtype=torch.float64)
    weights = ranks.pow(-exponent)
    probs = torch.zeros(vocab_size, dtype=torch.float64)
    probs[FIRST_WORD:] = weights / weights.sum()
    return probs


@dataclass(frozen=True)
class ReversalCorpus:
    """Sources, targets and sentence lengths (EOS not counted).

    Attributes:
        sources: shape ``(n_pairs, max_len + 1)``: words, EOS, then PAD.
        targets: the same shape: the words reversed, EOS, then PAD.
        lengths: shape ``(n_pairs,)``.
    """

    sources: Tensor
    targets: Tensor
    lengths: Tensor

    def __len__(self) -> int:
        return self.sources.shape[0]

    def batch(self, index: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The pairs at ``index``: ``(sources, targets, lengths)``."""
        return self.sources[index], self.targets[index], self.lengths[index]


def reversal_corpus(
    n_pairs: int,
    *,
    vocab_size: int,
    min_len: int,
    max_len: int,
    exponent: float = 1.0,
    generator: torch.Generator,
) -> ReversalCorpus:
    """Draw ``n_pairs`` sentences and their reversals.

    Args:
        n_pairs: number of sentence pairs (>= 1).
        vocab_size: the vocabulary, PAD and EOS included.
        min_len: the shortest sentence, in words (>= 1).
        max_len: the longest sentence, in words (>= min_len).
        exponent: the Zipf exponent of the word distribution.
        generator: the random source.

    Returns:
        The corpus.

    Example:
        >>> corpus = reversal_corpus(
        ...     2, vocab_size=10, min_len=2, max_len=4, generator=torch.Generator().manual_seed(0)
        ... )
        >>> n = corpus.lengths[0].item()
        >>> corpus.targets[0, :n].tolist() == corpus.sources[0, :n].flip(0).tolist()
        True
    """
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be >= 1, got {n_pairs}")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    probs = zipf_probabilities(vocab_size, exponent)
    lengths = torch.randint(min_len, max_len + 1, (n_pairs,), generator=generator)
    words = torch.multinomial(probs, n_pairs * max_len, replacement=True, generator=generator)
    words = words.reshape(n_pairs, max_len)
    positions = torch.arange(max_len + 1)
    inside = positions[:max_len] < lengths[:, None]  # (N, max_len)
    sources = torch.full((n_pairs, max_len + 1), PAD, dtype=torch.long)
    sources[:, :max_len] = torch.where(inside, words, PAD)
    sources[positions.expand(n_pairs, -1) == lengths[:, None]] = EOS
    # reversed index of each word position: lengths - 1 - i, inside the sentence only
    source_index = (lengths[:, None] - 1 - positions[:max_len]).clamp_min(0)
    targets = sources.clone()
    targets[:, :max_len] = torch.where(
        inside, sources.gather(1, source_index), sources[:, :max_len]
    )
    return ReversalCorpus(sources=sources, targets=targets, lengths=lengths)
