"""Tests of beyond_mle.gan_losses: reference values, closed forms against autograd, extremes."""

import math

import pytest
import torch
import torch.nn.functional as F

from beyond_mle.divergences import js_divergence
from beyond_mle.gan_losses import (
    GENERATOR_LOSSES,
    binary_cross_entropy,
    binary_cross_entropy_grad,
    discriminator_loss,
    gan_value,
    generator_loss,
    generator_loss_grad,
    maximum_likelihood_generator_loss,
    minimax_generator_loss,
    nonsaturating_generator_loss,
    optimal_discriminator,
    optimal_discriminator_logits,
)

# Per sample, factor 1/2: D(G(z)), cost, J, dJ/da, the closed forms of eqs. (gan-costs) to the
# digits written. Not values of a source: figure 16 of Goodfellow (2016) gives the curves only, and
# the chapter tests what the blog post says about their shapes (bce_loss.source_statements).
REFERENCE = [
    ("0.001", "minimax", "-0.0005", "-0.0005"),
    ("0.001", "non-saturating", "3.454", "-0.4995"),
    ("0.001", "maximum-likelihood", "-0.0005", "-0.0005"),
    ("0.5", "minimax", "-0.347", "-0.25"),
    ("0.5", "non-saturating", "0.347", "-0.25"),
    ("0.5", "maximum-likelihood", "-0.5", "-0.5"),
    ("0.975", "minimax", "-1.844", "-0.4875"),
    ("0.975", "non-saturating", "0.0127", "-0.0125"),
    ("0.975", "maximum-likelihood", "-19.5", "-19.5"),
]


def _half_unit(text: str) -> float:
    """Half a unit of the last digit written in ``text``."""
    decimals = len(text.partition(".")[2])
    return 0.5 * 10.0**-decimals + 1e-12


@pytest.mark.parametrize(("d", "kind", "cost", "slope"), REFERENCE)
def test_reference_values(d, kind, cost, slope):
    a = torch.logit(torch.tensor([float(d)], dtype=torch.float64))
    value = generator_loss(a, kind, reduction="none")
    grad = generator_loss_grad(a, kind)
    assert abs(value.item() - float(cost)) <= _half_unit(cost)
    assert abs(grad.item() - float(slope)) <= _half_unit(slope)


@pytest.mark.parametrize("kind", GENERATOR_LOSSES)
def test_closed_form_grads_match_autograd(kind):
    a = torch.linspace(-12, 12, 49, dtype=torch.float64, requires_grad=True)
    (by_autograd,) = torch.autograd.grad(generator_loss(a, kind, reduction="sum"), a)
    torch.testing.assert_close(generator_loss_grad(a.detach(), kind), by_autograd)
    # with respect to D: J as a function of D through a = logit(D)
    d = torch.sigmoid(a.detach()).clamp(1e-9, 1 - 1e-9).requires_grad_()
    (wrt_d,) = torch.autograd.grad(generator_loss(torch.logit(d), kind, reduction="sum"), d)
    closed = generator_loss_grad(torch.logit(d.detach()), kind, wrt="probs")
    torch.testing.assert_close(closed, wrt_d, rtol=1e-6, atol=0)


@pytest.mark.parametrize("kind", GENERATOR_LOSSES)
def test_losses_pass_gradcheck(kind):
    a = torch.randn(6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: generator_loss(x, kind), (a,))
    real = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(discriminator_loss, (real, a))
    assert torch.autograd.gradcheck(lambda x: binary_cross_entropy(x, 0.3), (a,))


def test_named_functions_and_reductions():
    a = torch.randn(7, dtype=torch.float64)
    named = (minimax_generator_loss, nonsaturating_generator_loss,
             maximum_likelihood_generator_loss)  # fmt: skip
    for kind, fn in zip(GENERATOR_LOSSES, named, strict=True):
        per_sample = fn(a, reduction="none")
        assert per_sample.shape == a.shape
        torch.testing.assert_close(fn(a), per_sample.mean())
        torch.testing.assert_close(generator_loss(a, kind, reduction="sum"), per_sample.sum())
        torch.testing.assert_close(fn(a, scale=1.0), 2 * fn(a))
    sigma = torch.sigmoid(a)
    torch.testing.assert_close(
        minimax_generator_loss(a, reduction="none"), 0.5 * torch.log1p(-sigma)
    )
    torch.testing.assert_close(
        nonsaturating_generator_loss(a, reduction="none"), -0.5 * sigma.log()
    )
    torch.testing.assert_close(
        maximum_likelihood_generator_loss(a, reduction="none"), -0.5 * sigma / (1 - sigma)
    )


def test_discriminator_loss_is_the_cross_entropy():
    real = torch.randn(9, dtype=torch.float64)
    fake = torch.randn(4, dtype=torch.float64)
    reference = F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
    reference = reference + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    torch.testing.assert_close(discriminator_loss(real, fake), 0.5 * reference)
    torch.testing.assert_close(discriminator_loss(real, fake, scale=1.0), reference)
    # the minimax generator cost is minus the discriminator's term on the samples
    torch.testing.assert_close(
        minimax_generator_loss(fake),
        -(discriminator_loss(real, fake) - 0.5 * F.softplus(-real).mean()),
    )


def test_binary_cross_entropy_and_its_two_derivatives():
    probs = torch.linspace(0.01, 0.99, 25, dtype=torch.float64)
    targets = torch.rand(25, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    logits = torch.logit(probs)
    torch.testing.assert_close(
        binary_cross_entropy(logits, targets),
        F.binary_cross_entropy(probs, targets, reduction="none"),
    )
    p = probs.clone().requires_grad_()
    (wrt_p,) = torch.autograd.grad(F.binary_cross_entropy(p, targets, reduction="sum"), p)
    torch.testing.assert_close(wrt_p, (probs - targets) / (probs * (1 - probs)))
    torch.testing.assert_close(binary_cross_entropy_grad(logits, targets, wrt="probs"), wrt_p)
    a = logits.clone().requires_grad_()
    (wrt_a,) = torch.autograd.grad(binary_cross_entropy(a, targets).sum(), a)
    torch.testing.assert_close(wrt_a, probs - targets)
    torch.testing.assert_close(binary_cross_entropy_grad(logits, targets), wrt_a)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_extreme_logits_stay_finite(dtype):
    a = torch.tensor([-1e4, -100.0, -30.0, 0.0, 30.0, 80.0], dtype=dtype, requires_grad=True)
    for kind in GENERATOR_LOSSES:
        cost = generator_loss(a, kind, reduction="none")
        (grad,) = torch.autograd.grad(cost.sum(), a)
        assert torch.isfinite(cost).all() and torch.isfinite(grad).all(), kind
        assert torch.isfinite(generator_loss_grad(a.detach(), kind)).all(), kind
    big = torch.tensor([-1e4, 1e4], dtype=dtype, requires_grad=True)
    for kind in ("minimax", "non-saturating"):
        cost = generator_loss(big, kind, reduction="none")
        (grad,) = torch.autograd.grad(cost.sum(), big)
        assert torch.isfinite(cost).all() and torch.isfinite(grad).all(), kind
    loss = discriminator_loss(big, big)
    (grad,) = torch.autograd.grad(loss, big)
    assert torch.isfinite(loss) and torch.isfinite(grad).all()
    for target in (0.0, 1.0):
        for wrt in ("logits", "probs"):
            grad = binary_cross_entropy_grad(
                torch.tensor([-30.0, 30.0], dtype=dtype), target, wrt=wrt
            )
            assert torch.isfinite(grad).all()


def test_probability_ratio_overflows_in_float32_but_logits_do_not():
    a = torch.tensor([20.0, 40.0])
    d = torch.sigmoid(a)
    assert (d == 1).all()  # D rounds to 1 ...
    assert torch.isinf(d / (1 - d)).all()  # ... so D / (1 - D) is inf
    cost = maximum_likelihood_generator_loss(a, reduction="none")
    torch.testing.assert_close(cost, -0.5 * torch.exp(a))
    assert torch.isfinite(cost).all()
    assert torch.isinf(torch.log(1 - d)).all()  # the minimax cost through probabilities ...
    assert torch.isfinite(minimax_generator_loss(a, reduction="none")).all()  # ... and logits


def test_optimal_discriminator_maximises_the_value_and_gives_js():
    gen = torch.Generator().manual_seed(1)
    p = torch.rand(4, 12, dtype=torch.float64, generator=gen)
    q = torch.rand(4, 12, dtype=torch.float64, generator=gen)
    p[:, 0], q[:, 1] = 0.0, 0.0  # points that only one distribution reaches
    p, q = p / p.sum(-1, keepdim=True), q / q.sum(-1, keepdim=True)
    best = optimal_discriminator_logits(p, q)
    torch.testing.assert_close(torch.sigmoid(best), optimal_discriminator(p, q))
    value = gan_value(p, q, best)
    torch.testing.assert_close(value, -2 * math.log(2) + 2 * js_divergence(p, q))
    for _ in range(20):
        other = best + 0.3 * torch.randn(best.shape, dtype=torch.float64, generator=gen)
        assert (gan_value(p, q, other) <= value + 1e-12).all()
    zero = torch.zeros(3)
    assert optimal_discriminator(zero, zero).tolist() == [0.5, 0.5, 0.5]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: generator_loss(torch.zeros(2), "wasserstein"), "kind must be one of"),
        (lambda: generator_loss(torch.zeros(2), "minimax", reduction="max"), "reduction"),
        (lambda: generator_loss(torch.zeros(2), "minimax", scale=0.0), "scale must be > 0"),
        (lambda: generator_loss_grad(torch.zeros(2), "minimax", wrt="D"), "wrt must be"),
        (lambda: generator_loss(torch.zeros(2, dtype=torch.long), "minimax"), "floating-point"),
        (lambda: discriminator_loss(torch.zeros(0), torch.zeros(2)), "must not be empty"),
        (lambda: binary_cross_entropy(torch.zeros(2), 2.0), "targets must lie in"),
        (lambda: optimal_discriminator(torch.zeros(2), torch.zeros(3)), "same shape"),
        (lambda: gan_value(torch.ones(2), torch.ones(2), torch.ones(3)), "same shape"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
