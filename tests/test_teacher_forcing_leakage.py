"""Tests of beyond_mle.chapters.teacher_forcing_leakage: leakage rate, losses and training."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from beyond_mle.bleu import corpus_gleu, gleu_loss
from beyond_mle.chapters.teacher_forcing_leakage import (
    LOSSES,
    TeacherForcingLeakageConfig,
    evaluate_leakage,
    free_running_decode,
    leakage_data,
    leakage_loss,
    leakage_rate,
    make_model,
    run_leakage,
    teacher_forced_inputs,
    teacher_forced_logits,
    train_leakage_model,
)
from beyond_mle.experiments import get_experiment
from beyond_mle.gumbel import gumbel_softmax
from beyond_mle.tasks.reversal import EOS, reversal_corpus

VOCAB, MAX_LEN = 8, 5
TINY = TeacherForcingLeakageConfig(
    vocab_size=VOCAB,
    min_len=2,
    max_len=MAX_LEN,
    n_layers=2,
    n_heads=2,
    width=16,
    batch=32,
    steps=4,
    lr=3e-3,
    log_every=2,
    n_train=64,
    n_test=16,
)
SMALL_MODEL = replace(TINY, n_layers=1, n_heads=2, width=16)


def _corpus(n: int, seed: int):
    return reversal_corpus(
        n,
        vocab_size=VOCAB,
        min_len=2,
        max_len=MAX_LEN,
        generator=torch.Generator().manual_seed(seed),
    )


def _shifted(targets: torch.Tensor, first: int = 2) -> torch.Tensor:
    """The shifted copy: position t emits gold token t - 1 (position 0 emits ``first``)."""
    shifted = targets.roll(1, dims=1)
    shifted[:, 0] = first
    return shifted


def test_leakage_of_the_shifted_copy_is_one():
    corpus = _corpus(50, 0)
    rate = leakage_rate(_shifted(corpus.targets), corpus.targets, corpus.lengths)
    assert rate.item() == 1.0


def test_leakage_of_the_gold_sequence_is_the_rate_of_repeated_adjacent_words():
    corpus = _corpus(200, 1)
    repeats, positions = 0, 0
    for target, n in zip(corpus.targets.tolist(), corpus.lengths.tolist(), strict=True):
        words = target[:n] + [EOS]  # positions 1..n: the last n - 1 words and the EOS
        repeats += sum(words[t] == words[t - 1] for t in range(1, n + 1))
        positions += n
    rate = leakage_rate(corpus.targets, corpus.targets, corpus.lengths)
    assert repeats > 0
    torch.testing.assert_close(rate, torch.tensor(repeats / positions))


def test_leakage_rate_ignores_positions_outside_the_sentence():
    gold = torch.tensor([[4, 5, 1, 0, 0]])
    lengths = torch.tensor([2])
    assert leakage_rate(torch.tensor([[9, 4, 5, 1, 0]]), gold, lengths).item() == 1.0
    # echoes after the EOS (the inputs there are EOS and PAD) do not count
    assert leakage_rate(torch.tensor([[9, 9, 9, 1, 0]]), gold, lengths).item() == 0.0


def test_leakage_rate_checks_its_arguments():
    gold = torch.tensor([[4, 5, 1, 0]])
    with pytest.raises(ValueError, match="lengths"):
        leakage_rate(gold, gold, torch.tensor([4]))
    with pytest.raises(ValueError, match="must be"):
        leakage_rate(gold[:, :3], gold, torch.tensor([2]))


def test_teacher_forced_inputs_put_the_previous_gold_token_before_each_target():
    corpus = _corpus(4, 2)
    inputs = teacher_forced_inputs(corpus.sources, corpus.targets, sep_id=VOCAB)
    width = MAX_LEN + 1
    assert inputs.shape == (4, 2 * width)
    assert (inputs[:, :width] == corpus.sources).all()
    assert (inputs[:, width] == VOCAB).all()
    assert (inputs[:, width + 1 :] == corpus.targets[:, :-1]).all()


def test_teacher_forced_logits_at_t_do_not_depend_on_gold_t_or_later():
    torch.manual_seed(0)
    model = make_model(SMALL_MODEL)
    corpus = _corpus(3, 3)
    logits = teacher_forced_logits(model, corpus.sources, corpus.targets)
    assert logits.shape == (3, MAX_LEN + 1, VOCAB + 1)
    changed = corpus.targets.clone()
    changed[:, 2:] = 7
    torch.testing.assert_close(
        teacher_forced_logits(model, corpus.sources, changed)[:, :3], logits[:, :3]
    )


def test_free_running_decoding_feeds_back_its_own_argmax():
    torch.manual_seed(0)
    model = make_model(SMALL_MODEL)
    corpus = _corpus(3, 4)
    free = free_running_decode(model, corpus.sources, MAX_LEN + 1)
    assert free.shape == (3, MAX_LEN + 1)
    # teacher-forcing the model with its own output reproduces that output
    forced = teacher_forced_logits(model, corpus.sources, free).argmax(-1)
    assert (forced == free).all()


@pytest.mark.parametrize("loss", ["xent", "gleu"])
def test_a_tiny_run_of_each_loss_decreases_it(loss):
    torch.manual_seed(0)
    model = make_model(SMALL_MODEL)
    corpus = _corpus(16, 5)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    noise = torch.Generator().manual_seed(0)
    values = []
    for _ in range(40):
        optimiser.zero_grad()
        value = leakage_loss(model, corpus.sources, corpus.targets, loss, generator=noise)
        value.backward()
        optimiser.step()
        values.append(value.item())
    assert sum(values[-5:]) / 5 < 0.7 * sum(values[:5]) / 5


def test_gleu_loss_of_a_confident_shifted_copy_is_minus_log_its_gleu():
    corpus = _corpus(20, 6)
    shifted = _shifted(corpus.targets)
    logits = 50.0 * torch.nn.functional.one_hot(shifted, VOCAB + 1).double()
    expected = -torch.log(corpus_gleu(shifted, corpus.targets, eos_id=EOS).double() + 1e-10)
    # the straight-through sample of a one-hot-peaked distribution is that one-hot
    sample = gumbel_softmax(logits, 0.5, hard=True, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(gleu_loss(sample, corpus.targets, eos_id=EOS), expected)


@pytest.mark.parametrize("hard", [False, True])
def test_gleu_loss_scores_the_gumbel_samples_of_the_teacher_forced_logits(hard):
    torch.manual_seed(0)
    model = make_model(SMALL_MODEL)
    corpus = _corpus(6, 10)
    loss = leakage_loss(
        model,
        corpus.sources,
        corpus.targets,
        "gleu",
        gumbel_temperature=0.7,
        hard=hard,
        generator=torch.Generator().manual_seed(3),
    )
    logits = teacher_forced_logits(model, corpus.sources, corpus.targets)
    samples = gumbel_softmax(logits, 0.7, hard=hard, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(loss, gleu_loss(samples, corpus.targets, eos_id=EOS))
    # section 3.4's soft samples are points inside the simplex; straight-through ones are one-hot
    peaks = samples.detach().amax(-1)  # (B, L)
    assert bool(torch.isclose(peaks, torch.ones_like(peaks)).all()) == hard


def test_the_default_gleu_loss_uses_soft_samples():
    assert TeacherForcingLeakageConfig().gumbel_hard is False
    train, test = _corpus(32, 11), _corpus(8, 12)
    soft = train_leakage_model("gleu", train, test, TINY)
    hard = train_leakage_model("gleu", train, test, replace(TINY, gumbel_hard=True))
    assert soft.history != hard.history


def test_training_logs_every_measurement_and_starts_both_runs_alike():
    train, test = _corpus(64, 7), _corpus(16, 8)
    runs = [train_leakage_model(loss, train, test, TINY) for loss in ("xent", "gleu")]
    keys = {"step", "loss", "leakage", "chance", "tf_accuracy", "tf_bleu", "tf_gleu"}
    keys |= {"free_bleu", "free_gleu", "free_leakage"}
    for run in runs:
        assert [row["step"] for row in run.history] == [2.0, 4.0]
        assert set(run.history[0]) == keys
        assert all(0.0 <= run.history[-1][k] <= 1.0 for k in keys - {"step", "loss"})
    assert runs[0].history[0]["chance"] == runs[1].history[0]["chance"]
    scores = evaluate_leakage(runs[0].model, test, chunk=5)
    assert scores == pytest.approx(evaluate_leakage(runs[0].model, test, chunk=100))


def test_both_losses_start_from_the_same_model_and_training_is_deterministic():
    train, test = leakage_data(TINY)
    untrained = replace(TINY, steps=1, log_every=1, lr=1e-7)
    xent = train_leakage_model("xent", train, test, untrained).model
    gleu = train_leakage_model("gleu", train, test, untrained).model
    for a, b in zip(xent.parameters(), gleu.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)  # one step of lr 1e-7 apart
    runs = run_leakage(TINY, train, test)
    assert list(runs) == list(LOSSES)
    again = train_leakage_model("gleu", train, test, TINY)
    assert again.history == runs["gleu"].history
    other = train_leakage_model("gleu", train, test, replace(TINY, seed=1))
    assert other.history != runs["gleu"].history


def test_data_splits_come_from_different_streams():
    train, test = leakage_data(TINY)
    assert len(train) == TINY.n_train and len(test) == TINY.n_test
    assert train.sources.shape[1] == TINY.max_len + 1
    assert not torch.equal(train.sources[: TINY.n_test], test.sources)
    again, _ = leakage_data(TINY)
    assert torch.equal(again.sources, train.sources)


def test_bad_arguments_raise_before_any_compute():
    train = _corpus(8, 9)
    with pytest.raises(ValueError, match="loss"):
        train_leakage_model("bleu", train, train, TINY)
    with pytest.raises(ValueError, match="max_len"):
        train_leakage_model("xent", train, train, replace(TINY, max_len=MAX_LEN + 1))
    model = make_model(replace(TINY, n_layers=1, n_heads=1, width=8))
    with pytest.raises(ValueError, match="gumbel_temperature"):
        leakage_loss(model, train.sources, train.targets, "gleu", gumbel_temperature=0.0)


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"gumbel_temperature": -1.0}, "gumbel_temperature"),
        ({"vocab_size": 2}, "vocab_size"),
        ({"batch": 0}, "batch"),
        ({"lr": 0.0}, "lr"),
        ({"clip_grad_norm": 0.0}, "clip_grad_norm"),
        ({"min_len": 5, "max_len": 4}, "max_len"),
        ({"width": 30, "n_heads": 4}, "width"),
    ],
)
def test_bad_config_values_raise_naming_the_parameter(values, name):
    with pytest.raises(ValueError, match=f"parameter '{name}' = .* is invalid"):
        TeacherForcingLeakageConfig(**values)


def test_paper_preset_constructs():
    paper = TeacherForcingLeakageConfig.preset("paper")
    assert (paper.n_layers, paper.n_heads, paper.width) == (6, 8, 256)
    assert paper.width % paper.n_heads == 0 and paper.max_len == 49
    assert paper.vocab_size == 30_000  # appendix C's "around 30K"
    assert get_experiment("teacher_forcing_leakage").config is TeacherForcingLeakageConfig
