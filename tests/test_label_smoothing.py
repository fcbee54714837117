"""Tests of beyond_mle.label_smoothing: lemma 2 and eqs. (8)-(13) of Zhou et al. (2017) against
autograd, and the smoothed discriminator's loss and optimum. The chapter's experiments are tested
in test_label_smoothing_chapter.py."""

import pytest
import torch
import torch.nn.functional as F

from beyond_mle.gan_losses import minimax_generator_loss, nonsaturating_generator_loss
from beyond_mle.label_smoothing import (
    SMOOTHED_LOSSES,
    class_aware_gradient,
    cross_entropy,
    optimal_smoothed_discriminator,
    smoothed_discriminator_loss,
    smoothed_generator_loss,
    smoothed_generator_loss_grad,
    stationary_point,
    two_class_logits,
)

SMOOTHINGS = (0.0, 0.1, 0.3, 0.5)


def _logits(n: int = 64, seed: int = 0) -> torch.Tensor:
    return 4 * torch.randn(n, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def test_cross_entropy_matches_torch_with_soft_targets():
    logits = 3 * torch.randn(10, 5, dtype=torch.float64)
    targets = torch.softmax(torch.randn(10, 5, dtype=torch.float64), -1)
    reference = F.cross_entropy(logits, targets, reduction="none")
    torch.testing.assert_close(cross_entropy(targets, logits), reference)


def test_lemma_2_class_aware_gradient_against_autograd():
    logits = _logits().requires_grad_()
    targets = torch.softmax(torch.randn(64, 2, dtype=torch.float64), -1)
    (grad,) = torch.autograd.grad(cross_entropy(targets, logits).sum(), logits)
    torch.testing.assert_close(class_aware_gradient(targets, logits.detach()), -grad)
    # K classes as well
    wide = torch.randn(7, 6, dtype=torch.float64, requires_grad=True)
    soft = torch.softmax(torch.randn(7, 6, dtype=torch.float64), -1)
    (grad,) = torch.autograd.grad(cross_entropy(soft, wide).sum(), wide)
    torch.testing.assert_close(class_aware_gradient(soft, wide.detach()), -grad)


@pytest.mark.parametrize("kind", SMOOTHED_LOSSES)
@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_closed_form_grads_match_autograd(kind, smoothing):
    logits = _logits().requires_grad_()
    loss = smoothed_generator_loss(logits, kind, smoothing, reduction="sum")
    (grad,) = torch.autograd.grad(loss, logits)
    torch.testing.assert_close(smoothed_generator_loss_grad(logits.detach(), kind, smoothing), grad)


@pytest.mark.parametrize("kind", SMOOTHED_LOSSES)
def test_losses_pass_gradcheck(kind):
    logits = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: smoothed_generator_loss(x, kind, 0.2), (logits,))
    assert torch.autograd.gradcheck(lambda x: cross_entropy(torch.tensor([0.3, 0.7]), x), (logits,))
    real = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda r, f: smoothed_discriminator_loss(r, f, real_label=0.9, fake_label=0.1),
        (real, logits),
    )


def test_eqs_8_and_11_in_terms_of_d_real():
    d = torch.linspace(0.01, 0.99, 50, dtype=torch.float64)
    logits = two_class_logits(d)
    for lam in SMOOTHINGS:
        eq8 = lam * d.log() + (1 - lam) * torch.log1p(-d)
        eq11 = -(1 - lam) * d.log() - lam * torch.log1p(-d)
        torch.testing.assert_close(
            smoothed_generator_loss(logits, "minimax", lam, reduction="none"), eq8
        )
        torch.testing.assert_close(
            smoothed_generator_loss(logits, "non-saturating", lam, reduction="none"), eq11
        )
    # without smoothing: twice the costs of gan_losses (which carry the factor 1/2)
    a = torch.logit(d)
    torch.testing.assert_close(
        smoothed_generator_loss(logits, "minimax", reduction="none"),
        2 * minimax_generator_loss(a, reduction="none"),
    )
    torch.testing.assert_close(
        smoothed_generator_loss(logits, "non-saturating", reduction="none"),
        2 * nonsaturating_generator_loss(a, reduction="none"),
    )


def test_eqs_10_and_13_regimes_and_stationary_points():
    d = torch.tensor([0.05, 0.2, 0.5, 0.8, 0.95], dtype=torch.float64)
    logits = two_class_logits(d)
    lam = 0.2
    # class-aware gradient on l_r: minus the gradient's first entry
    minimax = -smoothed_generator_loss_grad(logits, "minimax", lam)[:, 0]
    torch.testing.assert_close(minimax, d - lam)  # eq. (9)
    assert (minimax[d < lam] < 0).all() and (minimax[d > lam] > 0).all()  # eq. (10)
    nonsat = -smoothed_generator_loss_grad(logits, "non-saturating", lam)[:, 0]
    torch.testing.assert_close(nonsat, 1 - lam - d)  # eq. (12)
    assert (nonsat[d < 1 - lam] > 0).all() and (nonsat[d > 1 - lam] < 0).all()  # eq. (13)
    for kind in SMOOTHED_LOSSES:
        at = two_class_logits(torch.tensor(stationary_point(kind, lam), dtype=torch.float64))
        torch.testing.assert_close(
            smoothed_generator_loss_grad(at, kind, lam), torch.zeros(2, dtype=torch.float64)
        )
    # the two logits' gradients always sum to 0: only l_r - l_f matters
    grad = smoothed_generator_loss_grad(_logits(), "minimax", 0.3)
    torch.testing.assert_close(grad.sum(-1), torch.zeros(64, dtype=torch.float64))


def test_extreme_logits_stay_finite():
    logits = torch.tensor([[-1e4, 0.0], [1e4, 0.0], [80.0, -80.0]], requires_grad=True)
    for kind in SMOOTHED_LOSSES:
        for lam in (0.0, 0.1):
            loss = smoothed_generator_loss(logits, kind, lam, reduction="none")
            (grad,) = torch.autograd.grad(loss.sum(), logits)
            assert torch.isfinite(grad).all(), kind
            assert torch.isfinite(smoothed_generator_loss_grad(logits.detach(), kind, lam)).all()
            if lam == 0.1:  # smoothing puts mass on both classes, so the loss grows linearly
                assert torch.isfinite(loss).all()


def test_optimal_smoothed_discriminator_maximises_pointwise():
    p_data = torch.tensor([0.5, 0.3, 0.0, 0.2], dtype=torch.float64)
    p_model = torch.tensor([0.1, 0.3, 0.6, 0.0], dtype=torch.float64)
    grid = torch.linspace(1e-4, 1 - 1e-4, 20001, dtype=torch.float64)
    alpha, beta = 0.9, 0.2
    best = optimal_smoothed_discriminator(p_data, p_model, real_label=alpha, fake_label=beta)
    for i in range(4):
        logits = two_class_logits(grid)
        target_real = torch.tensor([alpha, 1 - alpha], dtype=torch.float64)
        target_fake = torch.tensor([beta, 1 - beta], dtype=torch.float64)
        risk = p_data[i] * cross_entropy(target_real, logits)
        risk = risk + p_model[i] * cross_entropy(target_fake, logits)
        assert abs(grid[risk.argmin()].item() - best[i].item()) < 1e-4
    assert best[2].item() == pytest.approx(beta)  # off the data: the vanishing point of eq. (9)


def test_discriminator_loss_is_the_usual_bce_without_smoothing():
    real, fake = _logits(9, 1), _logits(5, 2)
    a_real, a_fake = real[:, 0] - real[:, 1], fake[:, 0] - fake[:, 1]
    reference = 0.5 * (
        F.binary_cross_entropy_with_logits(a_real, torch.ones_like(a_real))
        + F.binary_cross_entropy_with_logits(a_fake, torch.zeros_like(a_fake))
    )
    torch.testing.assert_close(smoothed_discriminator_loss(real, fake), reference)
    smoothed = 0.5 * (
        F.binary_cross_entropy_with_logits(a_real, torch.full_like(a_real, 0.9))
        + F.binary_cross_entropy_with_logits(a_fake, torch.full_like(a_fake, 0.1))
    )
    torch.testing.assert_close(
        smoothed_discriminator_loss(real, fake, real_label=0.9, fake_label=0.1), smoothed
    )


def test_bad_arguments_raise():
    logits = torch.zeros(3, 2)
    with pytest.raises(ValueError, match="smoothing"):
        smoothed_generator_loss(logits, "minimax", 1.5)
    with pytest.raises(ValueError, match="kind"):
        smoothed_generator_loss(logits, "wasserstein")
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        smoothed_generator_loss(torch.zeros(3), "minimax")
    with pytest.raises(ValueError, match="targets"):
        class_aware_gradient(torch.tensor([0.5, 0.6]), logits)
    with pytest.raises(ValueError, match="real_label"):
        smoothed_discriminator_loss(logits, logits, real_label=-0.1)
    with pytest.raises(ValueError, match="d_real"):
        two_class_logits(torch.tensor([1.0]))
    with pytest.raises(ValueError, match="kind"):
        stationary_point("wasserstein", 0.1)
