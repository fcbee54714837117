"""Tests of beyond_mle.chapters.differentiable_bleu: agreement with NLTK and the sweep."""

from __future__ import annotations

import random
from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from beyond_mle.bleu import bleu_from_statistics, bleu_statistics, corpus_bleu  # noqa: E402
from beyond_mle.chapters.differentiable_bleu import (  # noqa: E402
    EOS,
    DifferentiableBleuConfig,
    appendix_a_one_hot_gap,
    appendix_a_statistics,
    nltk_agreement,
    noisy_reference_logits,
    random_corpus,
    run_sweep,
    sweep_data,
    temperature_sweep,
)
from beyond_mle.experiments import get_experiment  # noqa: E402

SMALL_SWEEP = DifferentiableBleuConfig(
    sweep_batch=4, sweep_length=10, sweep_vocab=20, n_temperatures=3, n_samples=4
)


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
    config = DifferentiableBleuConfig(n_corpora=150, corpus_size=5, vocab_size=6, max_len=8, seed=1)
    agreement = nltk_agreement(config)
    assert agreement.n_corpora == 150
    assert agreement.worst() <= 1e-12
    assert agreement.nltk_above_half > 10  # the check is not only about near-zero scores
    assert agreement.nltk_tiny_bleu > 0  # and it covers NLTK's zero-precision substitute


def test_agreement_corpora_depend_on_the_seed_only():
    config = DifferentiableBleuConfig(n_corpora=20, corpus_size=3, vocab_size=4, max_len=5)
    assert nltk_agreement(config) == nltk_agreement(config)
    assert nltk_agreement(config) != nltk_agreement(replace(config, seed=1))


def test_appendix_a_counts_equal_the_clipped_counts_on_one_hot_inputs():
    gen = torch.Generator().manual_seed(0)
    hyp = torch.randint(0, 4, (200, 9), generator=gen)  # tiny vocabulary: n-grams repeat
    ref = torch.randint(0, 4, (200, 7), generator=gen)  # id 0 is EOS, anywhere or nowhere
    one_hot = torch.nn.functional.one_hot(hyp, 4).double()
    ours = bleu_statistics(one_hot, ref, eos_id=0)
    theirs = appendix_a_statistics(one_hot, ref, eos_id=0)
    torch.testing.assert_close(theirs.matches, ours.matches, rtol=0, atol=1e-12)
    torch.testing.assert_close(theirs.totals, ours.totals, rtol=0, atol=1e-12)
    torch.testing.assert_close(theirs.hyp_lengths, ours.hyp_lengths, rtol=0, atol=1e-12)
    torch.testing.assert_close(theirs.ref_lengths, ours.ref_lengths.double(), rtol=0, atol=1e-12)
    # six "the" against a reference with "the" twice: 2 clipped unigram matches
    six = torch.nn.functional.one_hot(torch.full((1, 6), 1), 6).double()
    stats = appendix_a_statistics(six, torch.tensor([[1, 2, 3, 4, 1, 5]]), max_order=1)
    assert stats.matches.item() == 2.0
    assert appendix_a_one_hot_gap(DifferentiableBleuConfig(n_corpora=30)) <= 1e-12


def test_appendix_a_counts_on_soft_inputs_are_smooth_and_below_the_expected_counts():
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 6, 5, generator=gen, dtype=torch.float64)
    ref = torch.randint(1, 5, (3, 6), generator=gen)
    probs = torch.softmax(logits, -1)
    soft = appendix_a_statistics(probs, ref, eos_id=0)
    expected = bleu_statistics(probs, ref, eos_id=0)
    assert (soft.matches <= expected.matches + 1e-12).all()
    assert (soft.matches[:, 0] < expected.matches[:, 0]).all()
    assert bleu_from_statistics(soft, [0.25] * 4) < bleu_from_statistics(expected, [0.25] * 4)
    x = logits.clone().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda z: appendix_a_statistics(torch.softmax(z, -1), ref, eos_id=0).matches, (x,)
    )
    with pytest.raises(ValueError, match="reference ids"):
        appendix_a_statistics(probs, ref + 5)
    with pytest.raises(ValueError, match="shape"):
        appendix_a_statistics(probs, ref[:2])


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


def test_sweep_data_holds_words_then_eos():
    references, logits = sweep_data(SMALL_SWEEP)
    assert references.shape == (4, 10) and logits.shape == (4, 10, 20)
    lengths = (references != EOS).sum(1)
    assert ((lengths >= 5) & (lengths <= 9)).all()
    for row, n in zip(references.tolist(), lengths.tolist(), strict=True):
        assert EOS not in row[:n] and set(row[n:]) == {EOS}
    again = sweep_data(SMALL_SWEEP)
    assert torch.equal(again[0], references) and torch.equal(again[1], logits)
    other = sweep_data(replace(SMALL_SWEEP, seed=1))
    assert not torch.equal(other[1], logits)


def test_run_sweep_covers_the_temperature_grid():
    references, logits = sweep_data(SMALL_SWEEP)
    sweep = run_sweep(SMALL_SWEEP, references, logits)
    assert sweep["temperature"] == pytest.approx([0.01, 1.0, 100.0])
    assert all(len(values) == 3 for values in sweep.values())
    hard = corpus_bleu(logits.argmax(-1), references, eos_id=EOS).item()
    assert abs(sweep["soft_bleu"][0] - hard) < 0.05
    assert sweep == run_sweep(SMALL_SWEEP, references, logits)  # the samples' stream is seeded


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n_corpora", 0),
        ("corpus_size", 0),
        ("vocab_size", 1),
        ("max_len", 0),
        ("sweep_batch", 0),
        ("sweep_length", 3),
        ("sweep_vocab", 2),
        ("n_temperatures", 1),
        ("n_samples", 0),
        ("signal", 200.0),
        ("seed", -1),
    ],
)
def test_bad_config_values_raise_naming_the_parameter(name, value):
    with pytest.raises(ValueError, match=f"'{name}' = {value!r} is invalid"):
        DifferentiableBleuConfig(**{name: value})


def test_paper_preset_constructs():
    paper = DifferentiableBleuConfig.preset("paper")
    assert (paper.sweep_batch, paper.sweep_length, paper.sweep_vocab) == (40, 50, 30_000)
    assert paper.n_corpora == 10_000
    assert get_experiment("differentiable_bleu").config is DifferentiableBleuConfig
