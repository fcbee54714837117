"""Tests of beyond_mle.wasserstein: the W-losses against exact W1, the penalty against autograd."""

import math

import pytest
import torch

from beyond_mle.divergences import gaussian_on_grid, wasserstein1_grid, wasserstein1_samples
from beyond_mle.models.mlp import Discriminator, MLPConfig
from beyond_mle.wasserstein import (
    clip_weights_,
    critic_input_gradients,
    critic_loss,
    gradient_penalty,
    interpolates,
    optimal_critic_on_grid,
    wasserstein_estimate,
    wasserstein_generator_loss,
)


def _random_pair(n, seed):
    gen = torch.Generator().manual_seed(seed)
    p = torch.rand(n, dtype=torch.float64, generator=gen) ** 3
    q = torch.rand(n, dtype=torch.float64, generator=gen) ** 3
    return p / p.sum(), q / q.sum()


# The losses, and the W-loss of a known critic against the exact W1


def test_losses_and_their_signs():
    real, fake = torch.tensor([1.0, 2.0, 6.0]), torch.tensor([0.0, 1.0])
    assert wasserstein_estimate(real, fake).item() == 2.5
    assert critic_loss(real, fake).item() == -2.5
    assert wasserstein_generator_loss(fake).item() == -0.5
    assert wasserstein_generator_loss(fake, reduction="sum").item() == -1.0
    torch.testing.assert_close(wasserstein_generator_loss(fake, reduction="none"), -fake)
    # the generator's loss has slope -1 in every score: no saturation anywhere
    scores = torch.linspace(-50, 50, 11, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(wasserstein_generator_loss(scores, reduction="sum"), scores)
    torch.testing.assert_close(grad, -torch.ones_like(grad))


def test_identity_critic_on_a_shift_gives_the_exact_w1():
    gen = torch.Generator().manual_seed(0)
    data = torch.randn(1000, dtype=torch.float64, generator=gen) * 0.5 + 4.0
    for shift in (0.1, 1.0, 4.0, 20.0):
        samples = data - shift  # the same points moved: W1 is exactly the shift
        estimate = wasserstein_estimate(data, samples)  # the optimal critic f(x) = x
        torch.testing.assert_close(estimate, wasserstein1_samples(data, samples))
        torch.testing.assert_close(estimate, torch.tensor(shift, dtype=torch.float64))


@pytest.mark.parametrize("seed", range(5))
def test_optimal_critic_on_grid_attains_w1_and_bounds_every_other_critic(seed):
    gen = torch.Generator().manual_seed(seed)
    support = torch.sort(torch.rand(40, dtype=torch.float64, generator=gen) * 10).values
    p, q = _random_pair(40, seed)
    critic = optimal_critic_on_grid(p, q, support)
    exact = wasserstein1_grid(p, q, support)
    torch.testing.assert_close(((p - q) * critic).sum(), exact, rtol=1e-12, atol=1e-12)
    assert (critic.diff().abs() <= support.diff() + 1e-12).all()  # 1-Lipschitz
    # any other 1-Lipschitz critic on the grid scores at most W1 (the duality's bound)
    gen = torch.Generator().manual_seed(100 + seed)
    for _ in range(20):
        slopes = 2 * torch.rand(39, dtype=torch.float64, generator=gen) - 1
        other = torch.cat(
            [torch.zeros(1, dtype=torch.float64), (slopes * support.diff()).cumsum(0)]
        )
        assert ((p - q) * other).sum() <= exact + 1e-12


def test_optimal_critic_between_shifted_gaussians_has_slope_one_at_every_distance():
    support = torch.linspace(-18, 10, 2801, dtype=torch.float64)
    p = gaussian_on_grid(support, 0.0, 1.0)
    for distance in (0.5, 2.0, 8.0):
        q = gaussian_on_grid(support, -distance, 1.0)  # the model, left of the data
        critic = optimal_critic_on_grid(p, q, support)
        torch.testing.assert_close(((p - q) * critic).sum(),
                                   torch.tensor(distance, dtype=torch.float64))  # fmt: skip
        # where the model has its mass, the critic rises with slope exactly 1
        mass = q[:-1] > 1e-6
        torch.testing.assert_close(critic.diff()[mass], support.diff()[mass])


def test_optimal_critic_batches_and_raises():
    p, q = _random_pair(6, 1)
    support = torch.arange(6, dtype=torch.float64)
    both = optimal_critic_on_grid(torch.stack([p, q]), torch.stack([q, p]), support)
    torch.testing.assert_close(both[0], optimal_critic_on_grid(p, q, support))
    with pytest.raises(ValueError, match="strictly increasing"):
        optimal_critic_on_grid(p, q, support.flip(0))
    with pytest.raises(ValueError, match="same shape"):
        optimal_critic_on_grid(p, q[:5], support)


# The gradient penalty against autograd


def _quadratic_critic(w, a):
    return lambda x: x @ w + 0.5 * a * (x**2).sum(-1)  # gradient w + a x


def test_gradient_penalty_matches_its_closed_form():
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(16, 3, dtype=torch.float64, generator=gen)
    fake = torch.randn(16, 3, dtype=torch.float64, generator=gen)
    eps = torch.rand(16, dtype=torch.float64, generator=gen)
    w, a = torch.tensor([0.3, -1.2, 0.5], dtype=torch.float64), 0.7
    points = eps[:, None] * real + (1 - eps[:, None]) * fake
    norms = (w + a * points).norm(dim=1)
    torch.testing.assert_close(
        gradient_penalty(_quadratic_critic(w, a), real, fake, eps=eps), ((norms - 1) ** 2).mean()
    )
    torch.testing.assert_close(
        gradient_penalty(_quadratic_critic(w, a), real, fake, eps=eps, one_sided=True),
        ((norms - 1).clamp(min=0) ** 2).mean(),
    )


def test_gradient_penalty_matches_autograd_one_sample_at_a_time():
    torch.manual_seed(0)
    critic = Discriminator(MLPConfig(in_features=2, hidden=8, activation="tanh")).double()
    gen = torch.Generator().manual_seed(1)
    real = torch.randn(5, 2, dtype=torch.float64, generator=gen)
    fake = torch.randn(5, 2, dtype=torch.float64, generator=gen)
    eps = torch.rand(5, dtype=torch.float64, generator=gen)
    terms = []
    for i in range(5):
        point = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).requires_grad_()
        (grad,) = torch.autograd.grad(critic(point[None]).sum(), point)
        terms.append((grad.norm() - 1) ** 2)
    torch.testing.assert_close(
        gradient_penalty(critic, real, fake, eps=eps), torch.stack(terms).mean()
    )


def test_gradient_penalty_is_differentiable_in_the_critic_parameters():
    gen = torch.Generator().manual_seed(2)
    real = torch.randn(6, 2, dtype=torch.float64, generator=gen)
    fake = torch.randn(6, 2, dtype=torch.float64, generator=gen)
    eps = torch.rand(6, dtype=torch.float64, generator=gen)
    w1 = torch.randn(2, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    w2 = torch.randn(5, dtype=torch.float64, generator=gen, requires_grad=True)

    def penalty(w1, w2, one_sided):
        return gradient_penalty(lambda x: torch.tanh(x @ w1) @ w2, real, fake, eps=eps,
                                one_sided=one_sided)  # fmt: skip

    assert torch.autograd.gradcheck(lambda a, b: penalty(a, b, False), (w1, w2))
    assert torch.autograd.gradcheck(lambda a, b: penalty(a, b, True), (w1, w2))


def test_two_sided_penalty_traps_a_wrong_signed_linear_critic_and_one_sided_does_not():
    # point masses a distance delta apart, the linear critic f(x) = s x: the critic's penalised
    # loss is -s delta + lam (|s| - 1)^2 (two-sided), or -s delta + lam max(0, |s| - 1)^2
    delta, lam = 4.0, 10.0
    real, fake = (
        torch.full((3, 1), delta, dtype=torch.float64),
        torch.zeros(3, 1, dtype=torch.float64),
    )

    def loss(s, one_sided):
        critic = lambda x: s * x[:, 0]  # noqa: E731
        return critic_loss(critic(real), critic(fake)) + lam * gradient_penalty(
            critic, real, fake, generator=torch.Generator().manual_seed(0), one_sided=one_sided
        )

    trap = torch.tensor(delta / (2 * lam) - 1, dtype=torch.float64, requires_grad=True)  # -0.8
    (slope,) = torch.autograd.grad(loss(trap, False), trap)
    assert abs(slope.item()) < 1e-12  # a stationary point with the wrong sign
    for s in (trap.item() - 0.1, trap.item() + 0.1):
        assert loss(torch.tensor(s, dtype=torch.float64), False) > loss(trap.detach(), False)
    for s in torch.linspace(-0.99, 0.99, 9, dtype=torch.float64):
        s = s.clone().requires_grad_()
        (slope,) = torch.autograd.grad(loss(s, True), s)
        torch.testing.assert_close(slope, torch.tensor(-delta, dtype=torch.float64))  # downhill


def test_interpolates_and_input_gradients():
    real, fake = torch.ones(3, 2), torch.zeros(3, 2)
    torch.testing.assert_close(interpolates(real, fake, torch.tensor([0.0, 0.5, 1.0])),
                               torch.tensor([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]))  # fmt: skip
    grads = critic_input_gradients(lambda x: (x**2).sum(-1), torch.tensor([[1.0, -2.0]]))
    torch.testing.assert_close(grads, torch.tensor([[2.0, -4.0]]))
    with pytest.raises(ValueError, match="eps must have shape"):
        interpolates(real, fake, torch.zeros(2))
    with pytest.raises(ValueError, match="eps must lie"):
        interpolates(real, fake, torch.full((3,), 1.5))
    with pytest.raises(ValueError, match="same shape"):
        interpolates(real, fake[:2], torch.zeros(3))
    with pytest.raises(ValueError, match="critic must return shape"):
        critic_input_gradients(lambda x: x, torch.zeros(3, 2))


# Weight clipping


def test_clipping_bounds_every_weight_and_is_idempotent():
    torch.manual_seed(0)
    critic = Discriminator(MLPConfig(hidden=16, depth=2))
    inside = {name: p.detach().abs() <= 0.05 for name, p in critic.named_parameters()}
    before = {name: p.detach().clone() for name, p in critic.named_parameters()}
    clip_weights_(critic.parameters(), 0.05)
    for name, p in critic.named_parameters():
        assert (p.abs() <= 0.05).all()
        assert torch.equal(p[inside[name]], before[name][inside[name]])  # untouched inside
    after = [p.detach().clone() for p in critic.parameters()]
    clip_weights_(critic.parameters(), 0.05)
    assert all(torch.equal(a, p) for a, p in zip(after, critic.parameters(), strict=True))
    with pytest.raises(ValueError, match="clip must be > 0"):
        clip_weights_(critic.parameters(), 0.0)


@pytest.mark.parametrize("clip", [0.01, 0.1, 1.0])
def test_a_clipped_critic_is_lipschitz_with_the_bound_of_its_shapes(clip):
    # |f(x) - f(y)| <= prod_l ||W_l||_2 |x - y| for 1-Lipschitz activations (leaky ReLU), and
    # ||W||_2 <= ||W||_F <= c sqrt(rows * cols) once every entry lies in [-c, c]
    torch.manual_seed(1)
    critic = Discriminator(MLPConfig(in_features=1, hidden=32, depth=2)).double()
    clip_weights_(critic.parameters(), clip)
    weights = [m.weight for m in critic.net if isinstance(m, torch.nn.Linear)]
    bound = math.prod(clip * math.sqrt(w.numel()) for w in weights)
    spectral = math.prod(torch.linalg.matrix_norm(w.detach(), ord=2).item() for w in weights)
    assert spectral <= bound
    x = torch.linspace(-20, 20, 4001, dtype=torch.float64)[:, None]
    slopes = critic_input_gradients(critic, x).abs()
    assert slopes.max() <= spectral + 1e-12
