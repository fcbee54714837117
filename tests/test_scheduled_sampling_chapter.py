"""Tests of beyond_mle.chapters.scheduled_sampling: GRUs trained on a Markov source, the GAN with a
discriminator prior, the chapter's data streams and parameters."""

import math
from dataclasses import replace

import pytest
import torch

from beyond_mle.chapters.scheduled_sampling import (
    CLAIMS,
    TRADEOFF_MODES,
    ScheduledSamplingConfig,
    grid_support,
    markov_source,
    pair_joint,
    prior_gan_experiment,
    sample_mixture,
    sequence_experiment,
    surprisal_tradeoff,
    tradeoff_target,
    train_language_model,
    train_prior_gan,
)
from beyond_mle.config import ExperimentError
from beyond_mle.divergences import cross_entropy, gaussian_on_grid
from beyond_mle.experiments import get_experiment

TINY = ScheduledSamplingConfig(
    vocab=4,
    length=5,
    steps=40,
    batch=32,
    eval_samples=200,
    log_every=20,
    n_seeds=1,
    gan_pis=(0.3, 0.7),
    gan_steps=5,
    gan_batch=8,
)


def test_data_come_from_named_streams():
    assert torch.equal(markov_source(TINY).transition, markov_source(TINY).transition)
    other = replace(TINY, seed=1)
    assert not torch.equal(markov_source(TINY).transition, markov_source(other).transition)
    p = pair_joint(TINY)
    assert p.shape == (TINY.pair_vocab, TINY.pair_vocab)
    assert math.isclose(p.sum().item(), 1.0, rel_tol=1e-12)
    assert not torch.equal(p, pair_joint(other))


def test_language_model_training_lowers_the_true_kl():
    _, history = train_language_model(markov_source(TINY), "constant", TINY)
    assert history[-1]["kl"] < 0.5 * history[0]["kl"]
    assert all(row["epsilon"] == 1.0 for row in history)
    assert [row["step"] for row in history] == [0.0, 20.0, 40.0]


def test_sequence_experiment_pairs_the_schedules():
    config = replace(TINY, steps=10, log_every=10, n_seeds=2)
    source = markov_source(config)
    rows = sequence_experiment(source, config, schedules=("constant", "linear"))
    assert {(row["schedule"], row["run"]) for row in rows} == {
        (schedule, run) for schedule in ("constant", "linear") for run in (0, 1)
    }
    # step 0: the same initial weights and measurements for both schedules of a run
    start = {(row["schedule"], row["run"]): row["kl"] for row in rows if row["step"] == 0}
    assert start["constant", 0] == start["linear", 0] != start["constant", 1]
    again = sequence_experiment(source, config, schedules=("constant", "linear"))
    assert again == rows
    with pytest.raises(ValueError, match="schedules"):
        sequence_experiment(source, config, schedules=("exponential-ish",))


def test_sample_mixture_has_two_modes():
    x = sample_mixture(10_000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (10_000, 1)
    assert 0.45 < (x > 0).float().mean().item() < 0.55
    assert abs(x.abs().mean().item() - 2.0) < 0.05


def test_prior_gan_runs_and_rejects_bad_pi():
    out = train_prior_gan(0.5, TINY)
    assert set(out) == {"pi", "mean", "std"} and out["std"] > 0
    with pytest.raises(ValueError, match="pi must be in"):
        train_prior_gan(1.0, TINY)
    rows = prior_gan_experiment(replace(TINY, gan_seeds=2))
    assert [(row["pi"], row["run"]) for row in rows] == [(0.3, 0), (0.3, 1), (0.7, 0), (0.7, 1)]
    assert rows == prior_gan_experiment(replace(TINY, gan_seeds=2))


def test_tradeoff_target_and_grid():
    support = grid_support(ScheduledSamplingConfig())
    assert support.shape == (801,) and support[0] == -8.0 and support[-1] == 8.0
    p = tradeoff_target(support)
    parts = sum(gaussian_on_grid(support, m, 0.5) for m in TRADEOFF_MODES) / len(TRADEOFF_MODES)
    torch.testing.assert_close(p, parts, atol=1e-12, rtol=1e-9)


def test_surprisal_tradeoff_shows_the_two_sides():
    rows = surprisal_tradeoff(ScheduledSamplingConfig())
    k = len(TRADEOFF_MODES)
    assert [(row["components"], row["divergence"]) for row in rows] == [
        (float(c), d) for c in range(k, 0, -1) for d in ("KL(P || Q)", "KL(Q || P)")
    ]
    support = grid_support(ScheduledSamplingConfig())
    p = tradeoff_target(support)
    data = -cross_entropy(p, p).item() - math.log((support[1] - support[0]).item())
    assert all(math.isclose(row["data"], data) for row in rows)
    # the full family holds the data: both fits are P, no trade-off
    for row in rows[:2]:
        assert row["value"] < 1e-8
        assert abs(row["plausibility"] - data) < 1e-4 and abs(row["likelihood"] - data) < 1e-4
    forward = {row["components"]: row for row in rows if row["divergence"] == "KL(P || Q)"}
    reverse = {row["components"]: row for row in rows if row["divergence"] == "KL(Q || P)"}
    # the reverse fit drops modes: KL(Q || P) = log(k_data / k), samples as plausible as the data
    for c in (1.0, 2.0):
        assert math.isclose(reverse[c]["value"], math.log(k / c), rel_tol=1e-3)
        assert data - reverse[c]["plausibility"] < 0.01
        # maximum likelihood covers: better likelihood, far less plausible samples
        assert forward[c]["likelihood"] > reverse[c]["likelihood"] + 1.0
        assert forward[c]["plausibility"] < reverse[c]["plausibility"] - 1.0
    # the smaller the family, the less plausible maximum likelihood's samples
    assert (
        forward[1.0]["plausibility"] < forward[2.0]["plausibility"] < forward[3.0]["plausibility"]
    )
    other_starts = surprisal_tradeoff(ScheduledSamplingConfig(seed=1))  # the same fits
    for row, other in zip(rows, other_starts, strict=True):
        assert row["divergence"] == other["divergence"]
        assert other["plausibility"] == pytest.approx(row["plausibility"], abs=1e-5)
    results = {"tradeoff": {key: [row[key] for row in rows] for key in rows[0]}}
    claims = {claim.key: claim for claim in CLAIMS}
    for key in ("ml-samples-implausible", "reverse-kl-keeps-plausibility"):
        assert claims[key].evaluate(results, "book").verdict == "reproduced"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("length", 1),
        ("vocab", 1),
        ("concentration", 0.0),
        ("floor", 1.5),
        ("eval_samples", 1),
        ("gan_pis", (0.5, 1.0)),
        ("gan_pis", ()),
        ("n_pis", 2),
        ("tradeoff_starts", -1),
    ],
)
def test_bad_config_values_raise_naming_the_parameter(name, value):
    with pytest.raises(ValueError, match=f"'{name}'") as error:
        ScheduledSamplingConfig(**{name: value})
    assert isinstance(error.value, ExperimentError)


def test_presets_construct():
    paper = ScheduledSamplingConfig.preset("paper")
    assert (paper.n_seeds, paper.steps, paper.gan_seeds) == (5, 800, 4)
    assert len(paper.gan_pis) == 11
    assert ScheduledSamplingConfig.preset("book") == ScheduledSamplingConfig()
    assert get_experiment("scheduled_sampling").config is ScheduledSamplingConfig
