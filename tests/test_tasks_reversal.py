"""Tests of beyond_mle.tasks.reversal."""

import pytest
import torch

from beyond_mle.tasks.reversal import EOS, PAD, reversal_corpus, zipf_probabilities


def test_targets_are_reversed_sources_with_eos_and_padding_in_place():
    corpus = reversal_corpus(
        200, vocab_size=30, min_len=1, max_len=9, generator=torch.Generator().manual_seed(0)
    )
    for src, tgt, n in zip(corpus.sources, corpus.targets, corpus.lengths, strict=True):
        n = int(n)
        assert tgt[:n].tolist() == src[:n].flip(0).tolist()
        assert src[n] == EOS and tgt[n] == EOS
        assert (src[n + 1 :] == PAD).all() and (tgt[n + 1 :] == PAD).all()
        assert (src[:n] > EOS).all()
    assert corpus.lengths.min() >= 1 and corpus.lengths.max() <= 9


def test_zipf_law_and_errors():
    probs = zipf_probabilities(12, 1.0)
    assert probs[PAD] == 0 and probs[EOS] == 0
    torch.testing.assert_close(probs.sum(), torch.tensor(1.0, dtype=torch.float64))
    assert probs[2] / probs[3] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="vocab_size"):
        zipf_probabilities(2)
    with pytest.raises(ValueError, match="min_len"):
        reversal_corpus(1, vocab_size=5, min_len=3, max_len=2, generator=torch.Generator())
