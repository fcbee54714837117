"""Tests of the differentiable-BLEU chapter's experiments (beyond_mle.bleu_analysis)."""

from __future__ import annotations

import random

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from beyond_mle.bleu import corpus_bleu  # noqa: E402
from beyond_mle.bleu_analysis import (  # noqa: E402
    nltk_agreement,
    noisy_reference_logits,
    random_corpus,
    temperature_sweep,
)
from beyond_mle.plotting import match_matrix  # noqa: E402


def test_random_corpus_tensors_hold_the_lists_then_eos():
    rng = random.Random(0)
    hyps, refs, hyp_ids, ref_ids = random_corpus(
        rng, corpus_size=20, vocab_size=5, max_len=6, eos_id=0
    )
    for b in range(20):
        assert hyp_ids[b, : len(hyps[b])].tolist() == hyps[b]
        assert hyp_ids[b, len(hyps[b])].item() == 0
        assert ref_ids[b, : len(refs[b][0])].tolist() == refs[b][0]
        assert 0 not in hyps[b] and 0 not in refs[b][0]


def test_agreement_with_nltk_over_corpora_whose_scores_spread():
    agreement = nltk_agreement(n_corpora=150, corpus_size=5, vocab_size=6, max_len=8, seed=1)
    assert agreement.worst() <= 1e-12
    assert agreement.nltk_above_half > 10  # the check is not only about near-zero scores
    assert agreement.nltk_tiny_bleu > 0  # and it covers NLTK's zero-precision substitute


def test_noisy_reference_logits_have_the_same_accuracy_at_any_vocabulary():
    accuracies = []
    for vocab in (50, 5000):
        gen = torch.Generator().manual_seed(0)
        refs = torch.randint(1, vocab, (20, 20), generator=gen)
        logits = noisy_reference_logits(refs, vocab, signal=0.5, generator=gen)
        accuracies.append((logits.argmax(-1) == refs).double().mean().item())
    assert all(0.7 < a < 0.95 for a in accuracies)


def test_temperature_sweep_limits():
    gen = torch.Generator().manual_seed(2)
    refs = torch.randint(1, 20, (4, 10), generator=gen)
    logits = noisy_reference_logits(refs, 20, signal=1.0, generator=gen)
    sweep = temperature_sweep(
        logits,
        refs,
        torch.tensor([1e-3, 1e3], dtype=torch.float64),
        eos_id=0,
        n_samples=8,
        generator=torch.Generator().manual_seed(0),
    )
    hard = corpus_bleu(logits.argmax(-1), refs, eos_id=0).item()
    assert abs(sweep["soft_bleu"][0] - hard) < 1e-3  # a cold softmax is nearly the argmax
    assert abs(sweep["sampled_bleu"][0] - hard) < 1e-2
    assert sweep["soft_bleu"][1] < 0.02 < hard  # a flat distribution matches almost nothing


def test_match_matrix_draws_labelled_axes():
    ax = match_matrix(
        torch.eye(3).numpy(), hyp_labels=["a", "b", "c"], ref_labels=["a", "b", "c"], title="t"
    )
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "t"
    plt.close(ax.figure)
