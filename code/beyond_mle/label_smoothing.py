r"""Label smoothing in GANs through class-aware gradients: the losses and their gradients.

Introduced in the chapter "Label smoothing and class-aware gradients". Following Zhou, Zhang and
Wang (2017), the discriminator outputs two logits :math:`l = [l_r, l_f]` and a two-class softmax
:math:`D(x) = [D_r(x), D_f(x)] = \mathrm{softmax}(l)`. Every loss is a cross-entropy
:math:`H(\hat p, \mathrm{softmax}(l)) = -\sum_k \hat p_k \log \mathrm{softmax}(l)_k` against a
target :math:`\hat p`, and its gradient with respect to the logits is, by their lemma 2,

.. math::
    -\frac{\partial H(\hat p, \mathrm{softmax}(l))}{\partial l} = \hat p - \mathrm{softmax}(l),

the *class-aware gradient*: the direction in which a descent step moves the logits. With the
fake class smoothed to the target :math:`[\lambda_1, 1 - \lambda_1]`, the minimax generator loss
:math:`\log(1 - D_r)` becomes their eq. (8), whose class-aware gradient on :math:`l_r` is
:math:`D_r - \lambda_1` (eqs. 9 and 10): it vanishes at :math:`D_r = \lambda_1` and pushes
:math:`D_r` away from that point, towards 0 below it and towards 1 above it. The
:math:`-\log D_r` loss with the smoothed target :math:`[1 - \lambda, \lambda]` (eq. 11) has the
class-aware gradient :math:`1 - \lambda - D_r` (eqs. 12 and 13), which pulls :math:`D_r` *to*
:math:`1 - \lambda`: a stable stationary point. One-sided label smoothing (Salimans et al. 2016)
smooths only the discriminator's label of real data (:func:`smoothed_discriminator_loss`,
whose optimum is :func:`optimal_smoothed_discriminator`).

Every function takes logits and works through ``log_softmax``, so nothing takes the logarithm of
a rounded 0. The chapter's experiments (free samples against a frozen discriminator, a GAN on a
ring of Gaussians) are in :mod:`beyond_mle.chapters.label_smoothing`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from beyond_mle._validation import Reduction, check_logits, check_reduction, reduce_values

__all__ = [
    "SMOOTHED_LOSSES",
    "class_aware_gradient",
    "cross_entropy",
    "optimal_smoothed_discriminator",
    "smoothed_discriminator_loss",
    "smoothed_generator_loss",
    "smoothed_generator_loss_grad",
    "smoothed_minimax_generator_loss",
    "smoothed_nonsaturating_generator_loss",
    "stationary_point",
    "two_class_logits",
]

#: The generator losses with a smoothed target: eq. (8) and eq. (11) of Zhou et al. (2017).
SMOOTHED_LOSSES = ("minimax", "non-saturating")


def _check_logits(logits: Tensor, name: str = "logits") -> None:
    """The checks of :mod:`beyond_mle.gan_losses`, and two classes on the last dimension."""
    check_logits(logits, name)
    if logits.dim() < 1 or logits.shape[-1] != 2:
        raise ValueError(f"{name} must have shape (..., 2) ([l_r, l_f]), got {tuple(logits.shape)}")


def _check_probability(value: float, name: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")


def _check_kind(kind: str) -> None:
    if kind not in SMOOTHED_LOSSES:
        raise ValueError(f"kind must be one of {', '.join(SMOOTHED_LOSSES)}; got {kind!r}")


def _target(real_prob: float, like: Tensor) -> Tensor:
    """The two-class target :math:`[p, 1 - p]`, shape ``(2,)``, the dtype of ``like``."""
    return torch.tensor([real_prob, 1.0 - real_prob], dtype=like.dtype, device=like.device)


def two_class_logits(d_real: Tensor) -> Tensor:
    r"""Logits :math:`[\sigma^{-1}(D_r), 0]` whose softmax has :math:`D_r` as its first entry.

    Only :math:`l_r - l_f` matters to a two-class softmax; this picks :math:`l_f = 0`.

    Args:
        d_real: :math:`D_r \in (0, 1)`, any shape ``(...)``.

    Returns:
        Logits of shape ``(..., 2)``.

    Example:
        >>> torch.softmax(two_class_logits(torch.tensor([0.2, 0.9])), -1)[:, 0]
        tensor([0.2000, 0.9000])
    """
    if not torch.is_floating_point(d_real) or ((d_real <= 0) | (d_real >= 1)).any():
        raise ValueError("d_real must be a floating-point tensor with values in (0, 1)")
    return torch.stack([torch.logit(d_real), torch.zeros_like(d_real)], -1)


def cross_entropy(targets: Tensor, logits: Tensor) -> Tensor:
    r"""The cross-entropy :math:`H(\hat p, \mathrm{softmax}(l))` along the last dimension.

    .. math::
        H(\hat p, \mathrm{softmax}(l)) = -\sum_k \hat p_k \log \mathrm{softmax}(l)_k

    (the loss of lemma 2 of Zhou et al. 2017), with :math:`\log \mathrm{softmax}` computed stably.

    Args:
        targets: :math:`\hat p`, rows on the simplex, broadcastable to ``logits``.
        logits: :math:`l`, shape ``(..., K)``.

    Returns:
        The cross-entropy of each row, shape ``(...)``.

    Example:
        >>> round(cross_entropy(torch.tensor([1.0, 0.0]), torch.zeros(2)).item(), 4)  # log 2
        0.6931
    """
    if not torch.is_floating_point(logits) or logits.dim() < 1:
        raise ValueError("logits must be a floating-point tensor of shape (..., K)")
    targets = torch.as_tensor(targets, dtype=logits.dtype, device=logits.device)
    if (targets < 0).any() or not torch.allclose(
        targets.sum(-1), torch.ones((), dtype=logits.dtype, device=logits.device), atol=1e-6
    ):
        raise ValueError("targets must be non-negative and sum to 1 along the last dimension")
    return -(targets * torch.log_softmax(logits, -1)).sum(-1)


def class_aware_gradient(targets: Tensor, logits: Tensor) -> Tensor:
    r"""The class-aware gradient of lemma 2 of Zhou et al. (2017), in closed form.

    .. math::
        -\frac{\partial H(\hat p, \mathrm{softmax}(l))}{\partial l} = \hat p - \mathrm{softmax}(l)

    A gradient-descent step on :math:`H` moves each logit in this direction: up for the classes
    whose target exceeds their current probability.

    Args:
        targets: :math:`\hat p`, rows on the simplex, broadcastable to ``logits``.
        logits: :math:`l`, shape ``(..., K)``.

    Returns:
        :math:`\hat p - \mathrm{softmax}(l)`, the broadcast shape.

    Example:
        >>> class_aware_gradient(torch.tensor([0.9, 0.1]), torch.zeros(2))
        tensor([ 0.4000, -0.4000])
    """
    cross_entropy(targets, logits)  # checks the arguments
    targets = torch.as_tensor(targets, dtype=logits.dtype, device=logits.device)
    return targets - torch.softmax(logits, -1)


def smoothed_minimax_generator_loss(
    logits: Tensor, smoothing: float = 0.0, *, reduction: Reduction = "mean"
) -> Tensor:
    r"""The ``log(1 - D_r)`` generator loss against fakes labelled :math:`[\lambda_1, 1-\lambda_1]`.

    .. math::
        L_G = -H\bigl([\lambda_1, 1 - \lambda_1], D(G(z))\bigr)
            = \lambda_1 \log D_r + (1 - \lambda_1) \log(1 - D_r)

    (eq. 8 of Zhou et al. 2017): minus the discriminator's cross-entropy on the samples when
    label smoothing gives the fake class the target :math:`[\lambda_1, 1 - \lambda_1]`. With
    :math:`\lambda_1 = 0` it is the minimax loss :math:`\log(1 - D_r)` (without the factor 1/2
    of :func:`beyond_mle.gan_losses.minimax_generator_loss`).

    Args:
        logits: the discriminator's logits :math:`[l_r, l_f]` on samples, shape ``(..., 2)``.
        smoothing: :math:`\lambda_1 \in [0, 1]`.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        A scalar, or the loss of each sample (shape ``(...)``) with ``"none"``.

    Example:
        >>> round(smoothed_minimax_generator_loss(torch.zeros(1, 2)).item(), 4)  # log(1/2)
        -0.6931
    """
    _check_logits(logits)
    _check_probability(smoothing, "smoothing")
    check_reduction(reduction)
    return reduce_values(-cross_entropy(_target(smoothing, logits), logits), reduction)


def smoothed_nonsaturating_generator_loss(
    logits: Tensor, smoothing: float = 0.0, *, reduction: Reduction = "mean"
) -> Tensor:
    r"""The ``-log D_r`` generator loss with its target smoothed to :math:`[1 - \lambda, \lambda]`.

    .. math::
        L_G = H\bigl([1 - \lambda, \lambda], D(G(z))\bigr)
            = -(1 - \lambda) \log D_r - \lambda \log(1 - D_r)

    (eq. 11 of Zhou et al. 2017). With :math:`\lambda = 0` it is the non-saturating loss
    :math:`-\log D_r`.

    Args:
        logits: the discriminator's logits :math:`[l_r, l_f]` on samples, shape ``(..., 2)``.
        smoothing: :math:`\lambda \in [0, 1]`.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        A scalar, or the loss of each sample (shape ``(...)``) with ``"none"``.

    Example:
        >>> round(smoothed_nonsaturating_generator_loss(torch.zeros(1, 2)).item(), 4)
        0.6931
    """
    _check_logits(logits)
    _check_probability(smoothing, "smoothing")
    check_reduction(reduction)
    return reduce_values(cross_entropy(_target(1.0 - smoothing, logits), logits), reduction)


_LOSSES = {
    "minimax": smoothed_minimax_generator_loss,
    "non-saturating": smoothed_nonsaturating_generator_loss,
}


def smoothed_generator_loss(
    logits: Tensor, kind: str, smoothing: float = 0.0, *, reduction: Reduction = "mean"
) -> Tensor:
    """The smoothed generator loss named ``kind`` (one of :data:`SMOOTHED_LOSSES`).

    Args:
        logits: the discriminator's logits on samples, shape ``(..., 2)``.
        kind: ``"minimax"`` (eq. 8) or ``"non-saturating"`` (eq. 11).
        smoothing: :math:`\\lambda_1` or :math:`\\lambda`, in ``[0, 1]``.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        What the named function returns.
    """
    _check_kind(kind)
    return _LOSSES[kind](logits, smoothing, reduction=reduction)


def smoothed_generator_loss_grad(logits: Tensor, kind: str, smoothing: float = 0.0) -> Tensor:
    r"""The closed-form gradient of one sample's smoothed generator loss w.r.t. its logits.

    Minus these are the class-aware gradients (eqs. 9 and 12 of Zhou et al. 2017):

    .. math::
        \text{eq. (8):}\quad -\frac{\partial L_G}{\partial l}
            = \bigl[D_r - \lambda_1,\; \lambda_1 - D_r\bigr], \qquad
        \text{eq. (11):}\quad -\frac{\partial L_G}{\partial l}
            = \bigl[1 - \lambda - D_r,\; D_r - (1 - \lambda)\bigr],

    from lemma 2 with :math:`\hat p = [\lambda_1, 1 - \lambda_1]` and a minus sign (eq. 8 is
    :math:`-H`), and with :math:`\hat p = [1 - \lambda, \lambda]` (eq. 11 is :math:`H`).

    Args:
        logits: :math:`[l_r, l_f]`, shape ``(..., 2)``.
        kind: ``"minimax"`` or ``"non-saturating"``.
        smoothing: :math:`\lambda_1` or :math:`\lambda`, in ``[0, 1]``.

    Returns:
        :math:`\partial L_G / \partial l`, shape ``(..., 2)``.

    Example:
        >>> smoothed_generator_loss_grad(two_class_logits(torch.tensor(0.5)), "minimax", 0.1)
        tensor([-0.4000,  0.4000])
    """
    _check_kind(kind)
    _check_logits(logits)
    _check_probability(smoothing, "smoothing")
    probs = torch.softmax(logits, -1)  # (..., 2): [D_r, D_f]
    if kind == "minimax":
        return -(probs - _target(smoothing, logits))  # -(softmax(l) - p_hat): L = -H
    return probs - _target(1.0 - smoothing, logits)  # softmax(l) - p_hat: L = H


def stationary_point(kind: str, smoothing: float) -> float:
    r"""Where the class-aware gradient vanishes: :math:`D_r = \lambda_1` or :math:`1 - \lambda`.

    Eq. (10) of Zhou et al. (2017): for the minimax loss it is unstable (the gradient pushes
    :math:`D_r` away from it); eq. (13): for the non-saturating loss it is stable.

    Example:
        >>> stationary_point("non-saturating", 0.1)
        0.9
    """
    _check_kind(kind)
    _check_probability(smoothing, "smoothing")
    return smoothing if kind == "minimax" else 1.0 - smoothing


def smoothed_discriminator_loss(
    real_logits: Tensor,
    fake_logits: Tensor,
    *,
    real_label: float = 1.0,
    fake_label: float = 0.0,
    scale: float = 0.5,
) -> Tensor:
    r"""The discriminator's cross-entropy with smoothed labels.

    .. math::
        L_D = \tfrac12\, \mathbb{E}_x H\bigl([\alpha, 1 - \alpha], D(x)\bigr)
            + \tfrac12\, \mathbb{E}_z H\bigl([\beta, 1 - \beta], D(G(z))\bigr)

    with :math:`\alpha` = ``real_label`` (1 without smoothing; 0.9 for the one-sided label
    smoothing of Salimans et al. 2016) and :math:`\beta` = ``fake_label`` (0 without smoothing;
    :math:`\lambda_1` when the fake class is smoothed).

    Args:
        real_logits: the logits on data, shape ``(n_real, 2)``.
        fake_logits: the logits on samples, shape ``(n_fake, 2)``.
        real_label: :math:`\alpha \in [0, 1]`, the target probability of "real" for data.
        fake_label: :math:`\beta \in [0, 1]`, the target probability of "real" for samples.
        scale: the factor of each mean.

    Returns:
        A scalar tensor.

    Example:
        >>> round(smoothed_discriminator_loss(torch.zeros(3, 2), torch.zeros(4, 2)).item(), 4)
        0.6931
    """
    _check_logits(real_logits, "real_logits")
    _check_logits(fake_logits, "fake_logits")
    _check_probability(real_label, "real_label")
    _check_probability(fake_label, "fake_label")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    real = cross_entropy(_target(real_label, real_logits), real_logits).mean()
    fake = cross_entropy(_target(fake_label, fake_logits), fake_logits).mean()
    return scale * (real + fake)


def optimal_smoothed_discriminator(
    p_data: Tensor, p_model: Tensor, *, real_label: float = 1.0, fake_label: float = 0.0
) -> Tensor:
    r"""The :math:`D_r` that minimises :func:`smoothed_discriminator_loss` for fixed densities.

    .. math::
        D_r^*(x) = \frac{\alpha\, p_{\mathrm{data}}(x) + \beta\, p_{\mathrm{model}}(x)}
                        {p_{\mathrm{data}}(x) + p_{\mathrm{model}}(x)}

    (section 3.4 of Salimans et al. 2016), taken as 1/2 where both densities are 0. Where only
    samples lie (:math:`p_{\mathrm{data}} = 0`), :math:`D_r^* = \beta`: with the fake class
    smoothed to :math:`\lambda_1`, exactly the point where eq. (9) vanishes.

    Args:
        p_data: the data's density, any shape.
        p_model: the generator's density, the same shape.
        real_label: :math:`\alpha \in [0, 1]`.
        fake_label: :math:`\beta \in [0, 1]`.

    Returns:
        :math:`D_r^*`, the same shape.

    Example:
        >>> optimal_smoothed_discriminator(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 2.0]),
        ...                                real_label=0.9, fake_label=0.2)
        tensor([0.5500, 0.2000])
    """
    if p_data.shape != p_model.shape:
        raise ValueError("p_data and p_model must have the same shape")
    if (p_data < 0).any() or (p_model < 0).any():
        raise ValueError("p_data and p_model must be non-negative")
    _check_probability(real_label, "real_label")
    _check_probability(fake_label, "fake_label")
    total = p_data + p_model
    safe = torch.where(total > 0, total, 1)
    return torch.where(total > 0, (real_label * p_data + fake_label * p_model) / safe, 0.5)
