"""Tests of the token-copying task and of its training loop (beyond_mle.chapters.token_copying)."""

from dataclasses import replace

import pytest
import torch
from nltk.translate.bleu_score import corpus_bleu as nltk_corpus_bleu
from nltk.translate.gleu_score import corpus_gleu as nltk_corpus_gleu

from beyond_mle.bleu import bleu_loss
from beyond_mle.chapters.token_copying import (
    LOSSES,
    TokenCopyingConfig,
    argmax_scores,
    average_own_mass,
    copying_loss,
    copying_sweep,
    reference_batch,
    reference_mass,
    train_copying,
)
from beyond_mle.experiments import get_experiment
from beyond_mle.tasks.copying import EOS, FIRST_WORD, PAD, copying_references, copying_word_range

TINY = TokenCopyingConfig(batch=4, lengths=(8,), vocabs=(20,), steps=20, log_every=10)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_word_range_follows_the_authors_rule():
    assert copying_word_range(10) == (4, 7)
    assert copying_word_range(50) == (11, 47)
    with pytest.raises(ValueError, match="length"):
        copying_word_range(6)


def test_references_are_words_then_eos_then_pad():
    refs = copying_references(200, length=10, vocab_size=30, generator=_gen())
    assert refs.shape == (200, 10)
    eos_at = (refs == EOS).long().argmax(1)
    assert ((refs == EOS).sum(1) == 1).all()
    assert eos_at.min() >= 4 and eos_at.max() <= 7  # the number of words
    positions = torch.arange(10)
    words = positions < eos_at[:, None]
    assert (refs[words] >= FIRST_WORD).all() and (refs[words] < 30).all()
    assert (refs[positions > eos_at[:, None]] == PAD).all()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"batch": 0}, "batch"),
        ({"vocab_size": 2}, "vocab_size"),
        ({"min_words": 5, "max_words": 3}, "min_words"),
        ({"max_words": 10}, "max_words"),
    ],
)
def test_references_reject_bad_input(kwargs, name):
    args = {"batch": 2, "length": 10, "vocab_size": 30, "generator": _gen(), **kwargs}
    batch = args.pop("batch")
    with pytest.raises(ValueError, match=name):
        copying_references(batch, **args)


def test_losses_vanish_on_the_references():
    refs = copying_references(5, length=9, vocab_size=12, generator=_gen())
    logits = 40.0 * torch.nn.functional.one_hot(refs, 12).double()
    for loss in LOSSES:
        assert copying_loss(logits, refs, loss).item() == pytest.approx(0.0, abs=1e-8)


def test_ce_ignores_positions_after_eos_and_bleu_is_the_package_loss():
    refs = copying_references(4, length=8, vocab_size=10, generator=_gen(1))
    logits = torch.randn(4, 8, 10, generator=_gen(2), dtype=torch.float64)
    changed = logits.clone()
    after = (refs == EOS).long().cumsum(1) - (refs == EOS).long() > 0
    changed[after] = torch.randn(int(after.sum()), 10, dtype=torch.float64)
    torch.testing.assert_close(copying_loss(changed, refs, "ce"), copying_loss(logits, refs, "ce"))
    expected = bleu_loss(torch.softmax(logits, -1), refs, eos_id=EOS)
    torch.testing.assert_close(copying_loss(logits, refs, "bleu"), expected)
    with pytest.raises(ValueError, match="loss"):
        copying_loss(logits, refs, "rouge")


def test_argmax_scores_equal_nltk():
    refs = copying_references(12, length=10, vocab_size=15, generator=_gen(3))
    logits = torch.randn(12, 10, 15, generator=_gen(4))
    logits += 3.0 * torch.nn.functional.one_hot(refs, 15)  # mostly right, some errors
    scores = argmax_scores(logits, refs)

    def cut(row):
        row = row.tolist()
        return row[: row.index(EOS)] if EOS in row else row

    hyps = [cut(h) for h in logits.argmax(-1)]
    nltk_refs = [[cut(r)] for r in refs]
    assert scores["bleu"] == pytest.approx(nltk_corpus_bleu(nltk_refs, hyps), abs=1e-12)
    assert scores["gleu"] == pytest.approx(nltk_corpus_gleu(nltk_refs, hyps), abs=1e-12)


def test_reference_mass_at_the_reference_at_the_average_and_misplaced():
    refs = copying_references(6, length=9, vocab_size=7, generator=_gen(6))  # words repeat
    vocab = 7
    peaked = 40.0 * torch.nn.functional.one_hot(refs, vocab).double()
    mass = reference_mass(peaked, refs)
    assert mass["own_mass"] == pytest.approx(1.0, abs=1e-9)
    assert mass["other_mass"] == pytest.approx(0.0, abs=1e-9) and mass["misplaced"] == 0.0
    # every position at the mean of its reference's one-hot words
    words = (refs == EOS).long().cumsum(1) == 0
    one_hot = torch.nn.functional.one_hot(refs, vocab).double() * words.unsqueeze(-1)
    average = one_hot.sum(1, keepdim=True) / words.sum(1).view(-1, 1, 1)  # (B, 1, V)
    logits = torch.log(average.expand(-1, refs.shape[1], -1).clamp_min(1e-300))
    mass = reference_mass(logits, refs)
    assert mass["own_mass"] == pytest.approx(average_own_mass(refs), abs=1e-6)
    assert mass["own_mass"] + mass["other_mass"] == pytest.approx(1.0, abs=1e-6)
    # swap the first two words of a reference whose two words differ: both are misplaced
    ref = torch.tensor([[2, 3, 4, 1, 0]])
    swapped = torch.tensor([[3, 2, 4, 1, 0]])
    mass = reference_mass(30.0 * torch.nn.functional.one_hot(swapped, 5).double(), ref)
    assert mass["misplaced"] == pytest.approx(2 / 3)
    assert mass["own_mass"] == pytest.approx(1 / 3, abs=1e-9)
    with pytest.raises(ValueError, match="shape"):
        reference_mass(peaked[:, :-1], refs)


def test_average_own_mass_counts_repeated_words():
    refs = torch.tensor([[2, 3, 2, 1], [4, 5, 1, 0]])
    assert average_own_mass(refs) == pytest.approx((2 / 3 + 1 / 3 + 2 / 3 + 1 / 2 + 1 / 2) / 5)
    with pytest.raises(ValueError, match="no word"):
        average_own_mass(torch.tensor([[1, 0, 0]]))


def test_cross_entropy_copies_within_a_hundred_steps():
    refs = copying_references(8, length=8, vocab_size=40, generator=_gen(5))
    history = train_copying(refs, 40, "ce", replace(TINY, steps=100, log_every=50))
    assert [row["step"] for row in history] == [0.0, 50.0, 100.0]
    assert history[-1]["bleu"] == 1.0 and history[-1]["gleu"] == 1.0
    assert history[-1]["misplaced"] == 0.0
    assert history[-1]["own_mass"] > history[0]["own_mass"]
    assert history[-1]["other_mass"] < history[0]["other_mass"]


def test_sweep_is_deterministic_and_shares_the_start_across_losses():
    first = copying_sweep(TINY)
    assert first == copying_sweep(TINY)
    starts = {row["objective"]: (row["bleu"], row["gleu"]) for row in first if row["step"] == 0}
    assert set(starts) == set(LOSSES) and len(set(starts.values())) == 1
    with pytest.raises(ValueError, match="vocab_size"):
        train_copying(torch.tensor([[5, 1]]), 5, "ce", replace(TINY, steps=1))


def test_references_and_initial_logits_come_from_named_streams():
    refs = reference_batch(TINY, 8, 20)
    assert refs.shape == (TINY.batch, 8)
    assert torch.equal(refs, reference_batch(TINY, 8, 20))
    assert not torch.equal(refs, reference_batch(replace(TINY, seed=1), 8, 20))
    assert not torch.equal(refs, reference_batch(TINY, 8, 21))  # each configuration its own
    # another seed gives other initial logits, hence another step-0 argmax
    other = train_copying(refs, 20, "ce", replace(TINY, steps=1, seed=1))
    assert other[0] != train_copying(refs, 20, "ce", replace(TINY, steps=1))[0]


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"batch": 0}, "batch"),
        ({"lengths": (6, 8)}, "lengths"),
        ({"lengths": ()}, "lengths"),
        ({"lengths": (8, 8)}, "lengths"),
        ({"vocabs": (2,)}, "vocabs"),
        ({"vocabs": ()}, "vocabs"),
        ({"steps": 0}, "steps"),
        ({"lr": 0.0}, "lr"),
        ({"beta2": 1.0}, "beta2"),
        ({"log_every": 0}, "log_every"),
    ],
)
def test_bad_config_values_raise_naming_the_parameter(values, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        TokenCopyingConfig(**values)


def test_presets_construct():
    assert get_experiment("token_copying").config is TokenCopyingConfig
    paper = TokenCopyingConfig.preset("paper")
    assert paper.lengths == (10, 50) and paper.vocabs == (10_000, 20_000)
    assert paper.steps == 10_000 and paper.batch == 40
    assert TokenCopyingConfig.preset("book") == TokenCopyingConfig()
