"""Tests of beyond_mle.chapters.bce_loss: the distance sweep, the data, the 1-D GAN's saturation."""

import math
from dataclasses import replace

import pytest
import torch

import beyond_mle.chapters.bce_loss as chapter
from beyond_mle.chapters.bce_loss import (
    BceLossConfig,
    distance_sweep,
    head_started_players,
    sample_target,
    saturation_experiment,
    train_gan,
)
from beyond_mle.experiments import get_experiment


def test_distance_sweep_theorem_js_and_w1():
    table = distance_sweep(torch.linspace(0, 8, 17), grid_points=4001)
    js = torch.tensor(table["js"])
    torch.testing.assert_close(torch.tensor(table["value_optimal"]), torch.tensor(table["theorem"]))
    torch.testing.assert_close(torch.tensor(table["bce_optimal"]), math.log(2) - js)
    assert js[0].abs() < 1e-12 and (js.diff() >= 0).all() and (js <= math.log(2)).all()
    assert js[-1] > math.log(2) - 1e-3  # saturated: the supports hardly overlap at 8 sigma
    torch.testing.assert_close(torch.tensor(table["w1"]), torch.tensor(table["distance"]),
                               atol=1e-9, rtol=0)  # fmt: skip
    torch.testing.assert_close(torch.tensor(table["kl"]), torch.tensor(table["distance"]) ** 2 / 2,
                               atol=1e-6, rtol=1e-6)  # fmt: skip


def test_sample_target_gaussian_and_mixture():
    gen = torch.Generator().manual_seed(0)
    x = sample_target(50_000, BceLossConfig(target_mean=4.0, target_std=0.5), generator=gen)
    assert x.shape == (50_000, 1)
    assert abs(x.mean().item() - 4.0) < 0.02 and abs(x.std().item() - 0.5) < 0.02
    mix = sample_target(50_000, BceLossConfig(target="mixture", target_std=0.5), generator=gen)
    assert abs(mix.mean().item() - 4.0) < 0.02
    assert abs(mix.std().item() - math.sqrt(0.5**2 + 1.0**2)) < 0.02  # modes at 3 and 5
    between, at_mode = (
        ((mix - 4.0).abs() < 0.25).float().mean(),
        ((mix - 3.0).abs() < 0.25).float().mean(),
    )
    assert between < 0.5 * at_mode  # the modes are apart


def test_minimax_stalls_where_nonsaturating_learns():
    config = BceLossConfig(n_seeds=1, steps=400, head_start=300, log_every=100, eval_samples=1024)
    rows = saturation_experiment(config, kinds=("minimax", "non-saturating"))
    first = {r["kind"]: r for r in rows if r["step"] == 0}
    last = {r["kind"]: r for r in rows if r["step"] == config.steps}
    assert first["minimax"]["w1"] == first["non-saturating"]["w1"]  # paired start
    assert first["minimax"]["d_fake"] < 0.01  # the head start made D confident
    assert first["minimax"]["grad_norm"] < 0.01 * first["non-saturating"]["grad_norm"]
    assert last["minimax"]["w1"] > 0.95 * first["minimax"]["w1"]
    assert last["non-saturating"]["w1"] < 0.25 * first["non-saturating"]["w1"]


def test_training_is_deterministic_and_logs_every_measurement():
    config = BceLossConfig(seed=4, steps=30, head_start=20, log_every=10, eval_samples=256,
                           hidden=8)  # fmt: skip
    players = head_started_players(config)
    one = train_gan("maximum-likelihood", config, players=players)
    two = train_gan("maximum-likelihood", config, players=players)
    assert [r["step"] for r in one] == [0.0, 10.0, 20.0, 30.0]
    assert math.isnan(one[0]["loss"]) and one[1:] == two[1:]
    assert set(one[0]) == {"step", "loss", "w1", "grad_norm", "d_fake", "logit_fake", "diverged"}
    # without players, run 0 makes the same pair from its own streams
    assert train_gan("maximum-likelihood", config)[1:] == one[1:]


def test_runs_draw_from_their_own_streams():
    config = BceLossConfig(n_seeds=2, steps=4, head_start=5, log_every=2, eval_samples=64,
                           hidden=8)  # fmt: skip
    rows = saturation_experiment(config, kinds=("non-saturating",))
    assert [r["run"] for r in rows] == [0] * 3 + [1] * 3
    start = {r["run"]: r["w1"] for r in rows if r["step"] == 0}
    assert start[0] != start[1]  # different nets and evaluation samples
    again = saturation_experiment(replace(config, seed=1), kinds=("non-saturating",))
    assert [r["w1"] for r in again] != [r["w1"] for r in rows]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: train_gan("wgan", BceLossConfig()), "kind must be one of"),
        (lambda: saturation_experiment(BceLossConfig(), kinds=("wgan",)), "kinds must be in"),
        (lambda: distance_sweep(torch.tensor([-1.0])), "distances"),
        (lambda: distance_sweep(torch.tensor([1.0]), grid_points=5), "grid_points"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n_seeds", 0),
        ("steps", 0),
        ("head_start", -1),
        ("d_steps", 0),
        ("depth", 0),
        ("lr", 0.0),
        ("d_lr", 0.0),
        ("target", "uniform"),
        ("target_std", 0.0),
        ("eval_samples", 1),
        ("log_every", 0),
        ("grid_points", 9),
        ("n_distances", 1),
    ],
)
def test_bad_config_values_raise_naming_the_parameter(name, value):
    with pytest.raises(ValueError, match=f"parameter '{name}' = {value!r} is invalid"):
        BceLossConfig(**{name: value})


def test_presets_construct():
    assert get_experiment("bce_loss").config is BceLossConfig
    paper = BceLossConfig.preset("paper")
    assert (paper.n_seeds, paper.steps, paper.head_start, paper.target) == (
        10,
        3000,
        1000,
        "mixture",
    )
    assert BceLossConfig.preset("book") == BceLossConfig()


def test_a_run_whose_cost_overflows_is_recorded_as_diverged(monkeypatch):
    real_loss = chapter.generator_loss
    calls = {"n": 0}

    def overflowing(logits, kind):
        calls["n"] += 1
        value = real_loss(logits, kind)
        return value * math.inf if calls["n"] > 3 else value

    monkeypatch.setattr(chapter, "generator_loss", overflowing)
    config = BceLossConfig(steps=10, head_start=0, log_every=2, eval_samples=64)
    history = chapter.train_gan("maximum-likelihood", config)
    assert history[-1]["diverged"] == 1.0 and math.isnan(history[-1]["w1"])
    assert all(row["diverged"] == 0.0 for row in history[:-1])
    assert history[-1]["step"] < 10
