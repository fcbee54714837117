"""Tests of beyond_mle.training: the shared loop."""

import math

import pytest
import torch

from beyond_mle.training import (
    GAN_BETAS,
    AdversarialConfig,
    FitConfig,
    fit,
    fit_adversarial,
    seed_everything,
)


def test_fit_decreases_a_quadratic_and_logs():
    seed_everything(0)
    x = torch.nn.Parameter(torch.tensor([3.0, -2.0]))
    history = fit(
        [x],
        lambda step: (x**2).sum(),
        FitConfig(steps=200, lr=0.05, log_every=50),
        evaluate=lambda: {"norm": x.norm().item()},
    )
    assert [row["step"] for row in history] == [50, 100, 150, 200]
    assert history[-1]["loss"] < history[0]["loss"]
    assert history[-1]["norm"] < 0.1


def test_fit_is_deterministic_under_a_seed():
    def run():
        gen = seed_everything(5)
        w = torch.nn.Parameter(torch.randn(3, generator=gen))
        data = torch.randn(64, 3, generator=gen)
        return fit([w], lambda s: ((data @ w - 1) ** 2).mean(), FitConfig(steps=20, log_every=10))

    assert run() == run()


def test_bad_config_and_non_finite_loss():
    with pytest.raises(ValueError, match="steps"):
        FitConfig(steps=0)
    with pytest.raises(ValueError, match="lr"):
        FitConfig(steps=1, lr=0)
    x = torch.nn.Parameter(torch.ones(1))
    with pytest.raises(FloatingPointError, match="step 1"):
        fit([x], lambda step: x.sum() / 0.0, FitConfig(steps=3))


def test_one_cpu_thread_restores_the_thread_count():
    from beyond_mle.training import one_cpu_thread

    before = torch.get_num_threads()
    with one_cpu_thread("cpu"):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with one_cpu_thread("meta"):  # other devices are left as they are
        assert torch.get_num_threads() == before


# --------------------------------------------------------------------------------------------
# fit_adversarial: the two-player loop
# --------------------------------------------------------------------------------------------


def _players(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Linear(1, 1), torch.nn.Sequential(
        torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)
    )


def _game(g, d, gen):
    """A 1-D GAN's closures: data N(3, 0.5^2), the non-saturating generator cost."""

    def draw():
        real = torch.randn(16, 1, generator=gen) * 0.5 + 3
        return real, g(torch.randn(16, 1, generator=gen))

    def d_loss(batch):
        real, fake = batch
        softplus = torch.nn.functional.softplus
        return softplus(-d(real)).mean() + softplus(d(fake.detach())).mean()

    def g_loss(batch):
        return torch.nn.functional.softplus(-d(batch[1])).mean()

    return draw, d_loss, g_loss


def test_fit_adversarial_is_the_alternating_loop_written_out():
    # the reference: algorithm 1 of Goodfellow et al. (2014) by hand, with k discriminator steps
    steps, k, head_start = 30, 2, 5
    g, d = _players()
    draw, d_loss, g_loss = _game(g, d, torch.Generator().manual_seed(1))
    g_opt = torch.optim.Adam(g.parameters(), lr=0.01, betas=GAN_BETAS)
    d_opt = torch.optim.Adam(d.parameters(), lr=0.02, betas=GAN_BETAS)
    for _ in range(head_start):
        d_opt.zero_grad()
        d_loss(draw()).backward()
        d_opt.step()
    g_losses = []
    for _ in range(steps):
        batch = draw()
        for _ in range(k):
            d_opt.zero_grad()
            d_loss(batch).backward()
            d_opt.step()
        g_opt.zero_grad()
        loss = g_loss(batch)
        loss.backward()
        g_opt.step()
        g_losses.append(loss.item())
    expected = [p.detach().clone() for p in (*g.parameters(), *d.parameters())]

    g, d = _players()
    draw, d_loss, g_loss = _game(g, d, torch.Generator().manual_seed(1))
    config = AdversarialConfig(
        steps=steps, lr=0.01, d_lr=0.02, d_steps=k, head_start=head_start, log_every=10
    )
    rows = fit_adversarial(
        g.parameters(),
        d.parameters(),
        d_loss,
        g_loss,
        config,
        draw=draw,
        log=lambda step, dl, gl: {"step": step, "d_loss": dl, "g_loss": gl},
    )
    for got, want in zip((*g.parameters(), *d.parameters()), expected, strict=True):
        assert torch.equal(got, want)
    assert [row["step"] for row in rows] == [0, 10, 20, 30]
    assert math.isnan(rows[0]["d_loss"]) and math.isnan(rows[0]["g_loss"])
    assert rows[2]["g_loss"] == sum(g_losses[10:20]) / 10
    assert all(math.isfinite(row["d_loss"]) for row in rows[1:])


def test_fit_adversarial_moves_the_generator_to_the_data():
    g, d = _players()
    draw, d_loss, g_loss = _game(g, d, torch.Generator().manual_seed(0))
    config = AdversarialConfig(steps=600, lr=0.02, d_lr=0.02)
    fit_adversarial(g.parameters(), d.parameters(), d_loss, g_loss, config, draw=draw)
    with torch.no_grad():
        mean = g(torch.randn(4096, 1, generator=torch.Generator().manual_seed(2))).mean()
    assert abs(mean.item() - 3.0) < 0.5  # from about 0


def test_fit_adversarial_counts_the_updates_of_each_player():
    calls = {"draw": 0, "d": 0, "g": 0}
    g, d = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))

    def count(name, value):
        calls[name] += 1
        return value

    config = AdversarialConfig(steps=7, d_steps=3, head_start=4, log_every=5)
    rows = fit_adversarial(
        [g],
        [d],
        lambda _: count("d", (d - 1) ** 2),
        lambda _: count("g", (g - 1) ** 2),
        config,
        draw=lambda: count("draw", None),
        log=lambda step, dl, gl: {"step": step},
    )
    assert calls == {"draw": 4 + 7, "d": 4 + 7 * 3, "g": 7}
    assert [row["step"] for row in rows] == [0, 5, 7]
    # no discriminator updates: its mean loss is nan; without draw, the closures get None
    frozen = torch.nn.Parameter(torch.zeros(1))
    config = AdversarialConfig(steps=2, d_steps=0, log_every=1)
    rows = fit_adversarial(
        [g],
        [frozen],
        lambda b: (frozen - 1) ** 2,
        lambda b: (g - 1) ** 2 + (0 if b is None else math.nan),
        config,
        log=lambda step, dl, gl: {"d_loss": dl},
    )
    assert all(math.isnan(row["d_loss"]) for row in rows) and frozen.item() == 0.0


def test_fit_adversarial_plain_gradient_descent_for_the_generator():
    g, d = torch.nn.Parameter(torch.tensor([2.0])), torch.nn.Parameter(torch.zeros(1))
    config = AdversarialConfig(steps=3, lr=0.25, generator_optimiser="sgd", d_steps=0)
    fit_adversarial([g], [d], lambda _: d**2, lambda _: (g**2).sum(), config)
    assert g.item() == 2.0 * 0.5**3  # g <- g - 0.25 * 2 g, three times


def test_fit_adversarial_divergence_raises_or_stops():
    g, d = torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.zeros(1))

    def overflowing_from_step_4():
        calls = []

        def g_loss(_):
            calls.append(None)
            return g.sum() / 0.0 if len(calls) >= 4 else g.sum()

        return g_loss

    def log(step, d_loss, g_loss):
        return {"step": float(step), "g_loss": g_loss}

    config = AdversarialConfig(steps=10, d_steps=0, log_every=2)
    with pytest.raises(FloatingPointError, match="inf at step 4"):
        fit_adversarial([g], [d], lambda _: d**2, overflowing_from_step_4(), config, log=log)
    stop = AdversarialConfig(steps=10, d_steps=0, log_every=2, stop_on_divergence=True)
    rows = fit_adversarial([g], [d], lambda _: d**2, overflowing_from_step_4(), stop, log=log)
    assert [row["step"] for row in rows] == [0.0, 2.0, 4.0]
    assert [row["diverged"] for row in rows] == [0.0, 0.0, 1.0]
    assert list(rows[-1]) == ["step", "g_loss", "diverged"] and math.isnan(rows[-1]["g_loss"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"steps": 0}, "steps must be >= 1"),
        ({"steps": 1, "d_lr": 0.0}, "d_lr must be > 0"),
        ({"steps": 1, "betas": (0.5, 1.0)}, "betas"),
        ({"steps": 1, "generator_optimiser": "rmsprop"}, "generator_optimiser"),
        ({"steps": 1, "d_steps": -1}, "d_steps must be >= 0"),
        ({"steps": 1, "head_start": -1}, "head_start must be >= 0"),
        ({"steps": 1, "log_every": 0}, "log_every must be >= 1"),
    ],
)
def test_adversarial_config_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdversarialConfig(**kwargs)


def test_fit_adversarial_needs_trainable_players():
    frozen = torch.nn.Parameter(torch.ones(1), requires_grad=False)
    trainable = torch.nn.Parameter(torch.ones(1))
    with pytest.raises(ValueError, match="discriminator_parameters holds no tensor"):
        fit_adversarial([trainable], [frozen], None, None, AdversarialConfig(steps=1))
