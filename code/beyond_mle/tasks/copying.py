"""The token-copying task: random reference sentences for a model to reproduce.

Introduced in the chapter "Token copying" (appendix B of Casas et al. 2018, after the toy problem
of Zhukov and Kretov 2017). Each reference is a run of words drawn uniformly from the vocabulary
(PAD and EOS excluded), then EOS, then PAD up to the sequence length. The token ids are those of
:mod:`beyond_mle.tasks.reversal`: PAD = 0, EOS = 1, words from 2.
"""

from __future__ import annotations

import torch
from torch import Tensor

from beyond_mle.tasks.reversal import EOS, FIRST_WORD, PAD

__all__ = ["EOS", "FIRST_WORD", "PAD", "copying_references", "copying_word_range"]


def copying_word_range(length: int) -> tuple[int, int]:
    r"""The fewest and most words of a reference of ``length`` positions, EOS included.

    The rule of the authors' toy script: a sentence of :math:`\ell` tokens with EOS, drawn
    uniformly with :math:`\max(5, \lfloor L/4 \rfloor) \le \ell \le L - 2`, holds
    :math:`\ell - 1` words, so

    .. math::
        \max(5, \lfloor L/4 \rfloor) - 1 \;\le\; \text{words} \;\le\; L - 3 .

    Args:
        length: positions per sentence :math:`L` (>= 7, so that the range is not empty).

    Returns:
        ``(min_words, max_words)``, both inclusive.

    Example:
        >>> copying_word_range(10), copying_word_range(50)
        ((4, 7), (11, 47))
    """
    if isinstance(length, bool) or not isinstance(length, int) or length < 7:
        raise ValueError(f"length must be an int >= 7, got {length!r}")
    return max(5, length // 4) - 1, length - 3


def copying_references(
    batch: int,
    *,
    length: int,
    vocab_size: int,
    generator: torch.Generator,
    min_words: int | None = None,
    max_words: int | None = None,
) -> Tensor:
    """Draw ``batch`` reference sentences: uniform words, EOS, then PAD.

    Args:
        batch: number of sentences (>= 1).
        length: positions per sentence (words, EOS and padding).
        vocab_size: the vocabulary, PAD and EOS included (> FIRST_WORD).
        generator: the random source.
        min_words: fewest words (>= 1); default from :func:`copying_word_range`.
        max_words: most words (<= length - 1, so that EOS fits); default from
            :func:`copying_word_range`.

    Returns:
        Token ids, shape ``(batch, length)``, long.

    Example:
        >>> refs = copying_references(
        ...     3, length=8, vocab_size=20, generator=torch.Generator().manual_seed(0)
        ... )
        >>> refs.shape, bool(((refs == EOS).sum(1) == 1).all())
        (torch.Size([3, 8]), True)
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be an int >= 1, got {batch!r}")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size <= FIRST_WORD:
        raise ValueError(
            f"vocab_size must be an int > {FIRST_WORD} (PAD and EOS), got {vocab_size!r}"
        )
    if min_words is None or max_words is None:
        default_low, default_high = copying_word_range(length)
        min_words = default_low if min_words is None else min_words
        max_words = default_high if max_words is None else max_words
    if not 1 <= min_words <= max_words <= length - 1:
        raise ValueError(
            "need 1 <= min_words <= max_words <= length - 1, got "
            f"min_words={min_words}, max_words={max_words}, length={length}"
        )
    n_words = torch.randint(min_words, max_words + 1, (batch,), generator=generator)  # (B,)
    words = torch.randint(FIRST_WORD, vocab_size, (batch, length), generator=generator)  # (B, L)
    positions = torch.arange(length)  # (L,)
    refs = torch.where(positions < n_words[:, None], words, PAD)
    return torch.where(positions == n_words[:, None], EOS, refs)
