"""Tests of beyond_mle.chapters.label_smoothing: the ring's data and measures, free samples
against a frozen discriminator, a short ring GAN run, the checks of §3.4 (the gradients'
directions, activation maximisation, Theorem 2.5 of Arjovsky and Bottou by quadrature, against
closed forms of Gaussians), and the chapter's parameters."""

import math
from dataclasses import replace

import pytest
import torch

from beyond_mle.chapters.label_smoothing import (
    THEOREM_SETTINGS,
    VARIANTS,
    LabelSmoothingConfig,
    Variant,
    activation_maximisation,
    activation_maximisation_experiment,
    gradient_direction_check,
    label_smoothing_experiment,
    mode_coverage,
    particle_experiment,
    particle_flow,
    ring_centres,
    ring_data,
    sample_ring,
    theorem_2_5_check,
    train_ring_discriminator,
)
from beyond_mle.config import ExperimentError
from beyond_mle.divergences import rbf_mmd
from beyond_mle.experiments import get_experiment

TINY = LabelSmoothingConfig(
    n_particles=50,
    disc_steps=20,
    flow_steps=20,
    n_seeds=1,
    steps=20,
    head_start=5,
    batch=32,
    hidden=16,
    eval_samples=64,
    log_every=10,
)


def test_ring_measures():
    centres = ring_centres(8, 2.0)
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0))
    data = sample_ring(4000, std=0.05, generator=torch.Generator().manual_seed(0))
    coverage = mode_coverage(data, centres, 0.05)
    assert coverage["modes_covered"] == 8.0 and coverage["high_quality"] > 0.98
    one_mode = centres[:1].repeat(100, 1)
    assert mode_coverage(one_mode, centres, 0.05) == {"modes_covered": 1.0, "high_quality": 1.0}
    other = sample_ring(1000, std=0.05, generator=torch.Generator().manual_seed(1))
    near, far = rbf_mmd(data[:1000], other), rbf_mmd(data[:1000], one_mode)
    assert 0 <= near.item() < 0.01 < far.item()


def test_ring_data_comes_from_named_streams():
    config = LabelSmoothingConfig(modes=4, radius=3.0, std=0.05)
    a, b = ring_data(config, 200, "plotted data"), ring_data(config, 200, "plotted data")
    assert torch.equal(a, b)
    assert not torch.equal(a, ring_data(config, 200, "other data"))
    assert not torch.equal(a, ring_data(replace(config, seed=1), 200, "plotted data"))
    assert mode_coverage(a, ring_centres(4, 3.0), 0.05)["modes_covered"] == 4.0


def test_particles_follow_eqs_10_and_13():
    start = 1.5 * torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    config = replace(LabelSmoothingConfig(), hidden=32, disc_steps=150)
    d = train_ring_discriminator(start, config, fake_label=0.2)
    _, d_real = particle_flow(d, start, "minimax", 0.2, steps=150, lr=0.05, log_every=50)
    below = d_real[0] < 0.2
    assert (d_real[-1][below] <= d_real[0][below] + 1e-6).all()  # pushed towards 0
    assert (d_real[-1][~below] >= d_real[0][~below] - 1e-6).all()  # pushed towards 1
    plain = train_ring_discriminator(start, replace(config, disc_steps=300))
    _, smoothed = particle_flow(plain, start, "non-saturating", 0.2, steps=300, lr=0.1)
    _, unsmoothed = particle_flow(plain, start, "non-saturating", 0.0, steps=300, lr=0.1)
    assert (smoothed[-1] < 0.81).all() and smoothed[-1].median() > 0.79  # stops at 1 - lambda
    # without smoothing it goes on past 1 - lambda, beyond every smoothed sample
    assert unsmoothed[-1].median() > 0.81
    assert (unsmoothed[-1] > smoothed[-1]).float().mean() > 0.5


def test_particle_experiment_shares_nets_and_records_the_flow():
    out = particle_experiment(TINY, variants=("minimax", "non-saturating", "one-sided"))
    assert out["start"].shape == (50, 2)
    assert out["steps"] == [0, 10, 20]
    for name in ("minimax", "non-saturating", "one-sided"):
        assert out[name]["d_real"].shape == (3, 50)
        assert out[name]["positions"].shape == (50, 2)
    # minimax and non-saturating share the labels (1, 0): the same frozen net, the same start
    torch.testing.assert_close(out["minimax"]["d_real"][0], out["non-saturating"]["d_real"][0])
    assert out["one-sided"]["variant"].real_label == TINY.real_label
    again = particle_experiment(TINY, variants=("minimax",))
    assert torch.equal(again["start"], out["start"])
    assert torch.equal(again["minimax"]["positions"], out["minimax"]["positions"])


def test_variants_resolve_from_the_config():
    config = LabelSmoothingConfig(fake_smoothing=0.15, target_smoothing=0.25, real_label=0.8)
    assert VARIANTS["minimax, fakes smoothed"].resolve(config) == Variant(
        "minimax", 0.15, 1.0, 0.15
    )
    assert VARIANTS["non-saturating, target smoothed"].resolve(config) == Variant(
        "non-saturating", 0.25, 1.0, 0.0
    )
    assert VARIANTS["one-sided"].resolve(config) == Variant("non-saturating", 0.0, 0.8, 0.0)
    with pytest.raises(ValueError, match="kind"):
        Variant("wasserstein").resolve(config)


def test_ring_gan_runs_and_logs():
    variants = tuple(VARIANTS)[:2]
    rows, samples = label_smoothing_experiment(TINY, variants=variants)
    assert {row["variant"] for row in rows} == set(variants)
    assert [row["step"] for row in rows if row["variant"] == "minimax"] == [0.0, 10.0, 20.0]
    assert {row["run"] for row in rows} == {0}
    assert all(math.isfinite(row["grad_norm"]) for row in rows)
    assert samples["minimax"][0].shape == (64, 2)
    # head start: the smoothed variant's discriminator starts near lambda_1 on the samples
    start = [row for row in rows if row["step"] == 0]
    assert start[0]["d_real_mean"] < start[1]["d_real_mean"]
    # paired and seeded: the same call gives the same rows
    again, _ = label_smoothing_experiment(TINY, variants=variants)
    assert again == rows
    # another seed, other streams
    other, _ = label_smoothing_experiment(replace(TINY, seed=1), variants=variants)
    assert other != rows
    with pytest.raises(ValueError, match="variants"):
        label_smoothing_experiment(TINY, variants=("wasserstein",))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("steps", 0),
        ("fake_smoothing", 2.0),
        ("real_label", -0.1),
        ("lambdas", (0.1, 1.5)),
        ("lambdas", ()),
        ("n_particles", 1),
        ("eval_samples", 1),
        ("head_start", -1),
        ("std", 0.0),
        ("far_radius", 0.0),
    ],
)
def test_bad_config_values_raise_naming_the_parameter(name, value):
    with pytest.raises(ValueError, match=f"'{name}'") as error:
        LabelSmoothingConfig(**{name: value})
    assert isinstance(error.value, ExperimentError)


def test_presets_construct():
    paper = LabelSmoothingConfig.preset("paper")
    assert (paper.n_seeds, paper.steps, paper.head_start) == (10, 2000, 300)
    assert LabelSmoothingConfig.preset("book") == LabelSmoothingConfig()
    assert get_experiment("label_smoothing").config is LabelSmoothingConfig


# The claims of §3.4


def test_direction_check_per_sample_parallel_batch_not():
    result = gradient_direction_check(TINY)
    assert result["max_direction_gap"] < 1e-12 and result["max_ratio_gap"] < 1e-12
    assert len(result["d_real"]) == TINY.n_particles
    assert all(0 < d < 1 for d in result["d_real"])
    # the batch-mean gradients weight the samples differently: not parallel unless D_r is constant
    assert -1.0 <= result["batch_cosine"] < 1 - 1e-6
    assert gradient_direction_check(TINY) == result  # from named streams


def test_activation_maximisation_is_the_nonsaturating_flow():
    net = train_ring_discriminator(
        torch.randn(30, 2, generator=torch.Generator().manual_seed(0)), TINY
    )
    start = 2.5 * torch.randn(40, 2, generator=torch.Generator().manual_seed(1))
    positions, d_real = particle_flow(net, start, "non-saturating", 0.0, steps=15, lr=0.05)
    ascended = activation_maximisation(net, start, steps=15, lr=0.05)
    torch.testing.assert_close(ascended, positions, rtol=0.0, atol=1e-6)
    # one ascent step increases log D_r to first order: a small step never lowers it on average
    small = activation_maximisation(net, start, steps=1, lr=1e-3)
    before = torch.log_softmax(net(start), -1)[:, 0]
    after = torch.log_softmax(net(small), -1)[:, 0]
    assert (after - before).mean() > 0
    with pytest.raises(ValueError, match="steps must be"):
        activation_maximisation(net, start, steps=0)


def test_activation_maximisation_experiment_shapes_and_shares():
    result = activation_maximisation_experiment(TINY)
    assert result["start"].shape == result["positions"].shape == (TINY.n_particles, 2)
    torch.testing.assert_close(
        result["start"].norm(dim=-1), torch.full((TINY.n_particles,), TINY.far_radius)
    )
    assert result["d_real"].shape == (2, TINY.n_particles)
    assert result["flow_gap"] < 1e-6
    for key in ("high_activation", "high_activation_off_data", "high_quality"):
        assert 0.0 <= result[key] <= 1.0
    assert result["high_activation_off_data"] <= result["high_activation"]


def test_theorem_2_5_and_its_first_step_hold_for_gaussians():
    rows = theorem_2_5_check()
    assert [(row["theta0"], row["s"]) for row in rows] == [
        tuple(map(float, p)) for p in THEOREM_SETTINGS
    ]
    for row in rows:
        assert abs(row["lemma_lhs"] - row["lemma_rhs"]) < 1e-12
        assert abs(row["theorem_lhs"] - row["theorem_rhs"]) < 1e-12
        # the two left sides add up to the gradient of the Gaussians' KL, theta_0 (closed form)
        assert row["theorem_lhs"] + row["lemma_lhs"] == pytest.approx(row["theta0"], abs=1e-12)
        assert 0.0 <= row["jsd"] <= math.log(2) + 1e-12
    # at theta_0 = 0, s = 1 the generator is the data: JSD and its gradient vanish, D* = 1/2
    (same,) = theorem_2_5_check(((0.0, 1.0),))
    assert abs(same["jsd"]) < 1e-12 and abs(same["lemma_rhs"]) < 1e-12
    assert abs(same["lemma_lhs"]) < 1e-12 and abs(same["theorem_lhs"]) < 1e-12
    # far apart, the JSD saturates at log 2 and its gradient vanishes
    (far,) = theorem_2_5_check(((12.0, 1.0),))
    assert far["jsd"] == pytest.approx(math.log(2), abs=1e-7) and abs(far["lemma_rhs"]) < 1e-7
    with pytest.raises(ValueError, match="scale s must be > 0"):
        theorem_2_5_check(((1.0, 0.0),))
