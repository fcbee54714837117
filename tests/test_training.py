"""Tests of beyond_mle.training: the shared loop."""

import pytest
import torch

from beyond_mle.training import FitConfig, fit, seed_everything


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
