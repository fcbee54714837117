"""Tests of beyond_mle.chapters.bce_loss: the sources' statements, the distance sweep, the data,
the 1-D GAN's saturation, the Wasserstein critic and the race without a head start."""

import math
from dataclasses import replace

import pytest
import torch

import beyond_mle.chapters.bce_loss as chapter
from beyond_mle.chapters.bce_loss import (
    COSTS,
    BceLossConfig,
    binned_js,
    distance_sweep,
    escape_report,
    head_started_players,
    race,
    race_experiment,
    sample_target,
    saturation_experiment,
    source_statements,
    summarise_race,
    summarise_runs,
    train_gan,
    train_head_start,
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
    torch.testing.assert_close(torch.tensor(table["w1_dual"]), torch.tensor(table["w1"]),
                               atol=1e-12, rtol=0)  # fmt: skip


def test_every_statement_of_the_sources_holds_and_names_its_place():
    table = source_statements()
    assert len(table["holds"]) == 8 and all(table["holds"])
    assert all(table["location"]) and all(table["statement"]) and all(table["test"])
    values = dict(zip(table["statement"], table["value"], strict=True))
    assert values["dBCE/dy_hat = -1000 at y = 1, y_hat = 1e-3"] == pytest.approx(-1000, abs=1e-9)
    drop = values["maximum likelihood: it decreases rapidly 'sooner' than minimax"]
    assert drop == pytest.approx(1 - 1 / math.sqrt(2), abs=1e-4)  # (1 - D)^-2 = 2


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
    rows = saturation_experiment(config, kinds=("minimax", "non-saturating"))["runs"]
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
    assert set(one[0]) == {"step", "loss", "w1", "grad_norm", "sample_grad", "d_fake",
                           "logit_fake", "d_loss", "diverged"}  # fmt: skip
    # without players, run 0 makes the same pair from its own streams
    assert train_gan("maximum-likelihood", config)[1:] == one[1:]


def test_runs_draw_from_their_own_streams():
    config = BceLossConfig(n_seeds=2, steps=4, head_start=5, log_every=2, eval_samples=64,
                           hidden=8)  # fmt: skip
    rows = saturation_experiment(config, kinds=("non-saturating",))["runs"]
    assert [r["run"] for r in rows] == [0] * 3 + [1] * 3
    start = {r["run"]: r["w1"] for r in rows if r["step"] == 0}
    assert start[0] != start[1]  # different nets and evaluation samples
    again = saturation_experiment(replace(config, seed=1), kinds=("non-saturating",))["runs"]
    assert [r["w1"] for r in again] != [r["w1"] for r in rows]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: train_gan("wgan", BceLossConfig()), "kind must be one of"),
        (lambda: saturation_experiment(BceLossConfig(), kinds=("wgan",)), "kinds must be in"),
        (lambda: distance_sweep(torch.tensor([-1.0])), "distances"),
        (lambda: distance_sweep(torch.tensor([1.0]), grid_points=5), "grid_points"),
        (lambda: race(BceLossConfig(), optimiser="sgd"), "optimiser must be one of"),
        (lambda: binned_js(torch.zeros(2), torch.ones(2), 0.0), "width must be > 0"),
        (lambda: escape_report([]), "runs is empty"),
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
        ("gp_weight", -1.0),
        ("penalty", "none"),
        ("race_steps", 0),
        ("race_log_every", 0),
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


# The Wasserstein critic


def test_the_critic_starts_from_the_discriminators_weights_and_batches():
    config = BceLossConfig(head_start=0, hidden=8, eval_samples=64)
    g_bce, d_bce, _ = train_head_start(config)
    g_w, d_w, rows = train_head_start(config, critic=True)
    for a, b in zip([*g_bce.parameters(), *d_bce.parameters()],
                    [*g_w.parameters(), *d_w.parameters()], strict=True):  # fmt: skip
        assert torch.equal(a, b)
    assert [(r["step"], r["kind"]) for r in rows] == [(0.0, "wasserstein")]


def test_head_start_logs_each_cost_every_log_every_updates():
    config = BceLossConfig(head_start=50, log_every=20, hidden=8, eval_samples=256)
    _, _, rows = train_head_start(config)
    assert sorted({r["step"] for r in rows}) == [0.0, 20.0, 40.0, 50.0]
    assert {r["kind"] for r in rows} == {"minimax", "non-saturating", "maximum-likelihood"}
    _, _, critic_rows = train_head_start(config, critic=True)
    assert {r["kind"] for r in critic_rows} == {"wasserstein"}


def test_critic_keeps_the_gradient_that_the_minimax_cost_loses():
    config = BceLossConfig(n_seeds=1, steps=1, head_start=300, log_every=1, eval_samples=1024)
    out = saturation_experiment(config, kinds=("minimax", "wasserstein"))
    start = {r["kind"]: r for r in out["runs"] if r["step"] == 0}
    assert start["minimax"]["w1"] == start["wasserstein"]["w1"]  # the same generator
    assert start["wasserstein"]["grad_norm"] > 10 * start["minimax"]["grad_norm"]
    # a critic that meets the one-sided penalty has slope about 1 + W1 / (2 lambda) at the
    # samples: about 1.2 here, the slope of W1 itself under a shift is 1
    assert 0.8 < start["wasserstein"]["sample_grad"] < 1.6
    assert math.isnan(start["wasserstein"]["d_fake"])
    head = [r for r in out["head_start"] if r["kind"] == "wasserstein"]
    assert head[-1]["grad_norm"] > head[0]["grad_norm"]  # training the critic helps the generator
    minimax = [r for r in out["head_start"] if r["kind"] == "minimax"]
    assert minimax[-1]["grad_norm"] < 0.5 * max(r["grad_norm"] for r in minimax)


def test_summaries_count_escapes_and_divergences():
    def history(kind, run, w1s, diverged_at=None):
        rows = [{"kind": kind, "run": run, "step": float(10 * i), "w1": w, "grad_norm": 1.0,
                 "d_fake": 0.1, "diverged": 0.0} for i, w in enumerate(w1s)]  # fmt: skip
        if diverged_at is not None:
            rows.append({"kind": kind, "run": run, "step": float(diverged_at), "w1": math.nan,
                         "grad_norm": math.nan, "d_fake": math.nan, "diverged": 1.0})  # fmt: skip
        return rows

    rows = (history("minimax", 0, [4.0, 4.0, 4.0]) + history("minimax", 1, [4.0, 1.9, 0.5])
            + history("maximum-likelihood", 0, [4.0, 3.9], diverged_at=15)
            + history("maximum-likelihood", 1, [4.0, 4.1, 4.2]))  # fmt: skip
    report = {row["kind"]: row for row in escape_report(rows)}
    assert list(report) == ["minimax", "maximum-likelihood"]
    assert report["minimax"]["escaped"] == 1 and report["minimax"]["escaped final W1"] == (0.5, 0.5)
    assert report["minimax"]["first step below"] == (10.0, 10.0)
    assert report["minimax"]["stayed final W1"] == (4.0, 4.0)
    assert report["maximum-likelihood"]["diverged"] == 1
    assert report["maximum-likelihood"]["escaped"] == 0
    # results written before the runs had names call the run "seed"
    old = [{("seed" if k == "run" else k): v for k, v in row.items()} for row in rows]
    assert escape_report(old) == escape_report(rows)
    table = summarise_runs(rows)
    assert table["kind"] == ["minimax", "maximum-likelihood"]
    assert table["W1 at end"] == [2.25, 4.2]  # the diverged run never reached the end
    assert table["escaped"] == [1, 0] and table["diverged"] == [0, 1]


# The race without a head start


def test_race_measures_progress_from_the_start():
    config = BceLossConfig(race_steps=20, race_log_every=10, hidden=8, eval_samples=512)
    rows = race(config)
    assert [r["step"] for r in rows] == [0.0, 10.0, 20.0]
    assert rows[0]["d_progress"] == 0.0 and rows[0]["g_progress"] == 0.0
    assert all(0 <= r["d_optimal"] <= math.log(2) + 1e-12 for r in rows)
    assert race(config) == rows  # deterministic
    other = race(config, optimiser="same")
    assert other[0] == rows[0] and other[1] != rows[1]  # the same nets, other optimisers


def test_summarise_race_finds_halfway_steps_and_censors_at_the_race_length():
    def run(optimiser, index, d, g, d_fake):
        return [{"optimiser": optimiser, "run": index, "step": float(5 * i), "d_progress": dp,
                 "g_progress": gp, "d_fake": df}
                for i, (dp, gp, df) in enumerate(zip(d, g, d_fake, strict=True))]  # fmt: skip

    rows = (run("chapter", 0, [0, 0.6, 0.9], [0, 0.1, 0.2], [0.5, 0.2, 0.01])
            + run("chapter", 1, [0, 0.4, 0.5], [0, 0.5, 0.9], [0.5, 0.4, 0.3]))  # fmt: skip
    table = summarise_race(rows, race_steps=10)
    assert table["optimiser"] == ["chapter"]
    assert table["D halfway step"] == [7.5] and table["G halfway step"] == [
        7.5
    ]  # (5+10)/2, (10+5)/2
    assert table["D halfway first"] == [1] and table["G never halfway"] == [1]
    assert table["D never halfway"] == [0] and table["left end reached"] == [1]
    tiny = BceLossConfig(n_seeds=1, race_steps=2, race_log_every=1, hidden=4, eval_samples=64)
    assert {r["optimiser"] for r in race_experiment(tiny, optimisers=("same",))} == {"same"}


def test_binned_js_bounds():
    x = torch.randn(2000, generator=torch.Generator().manual_seed(0))
    assert binned_js(x, x, 0.1) == 0.0
    assert binned_js(x, x + 100, 0.1) == pytest.approx(math.log(2))
    assert binned_js(torch.zeros(3), torch.zeros(3), 0.1) == 0.0


def test_costs_are_the_figures_three_and_the_wasserstein_loss():
    assert COSTS == ("minimax", "non-saturating", "maximum-likelihood", "wasserstein")
