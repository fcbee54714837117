r"""Label smoothing in GANs through class-aware gradients, and a 2-D GAN to measure it.

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
smooths only the discriminator's label of real data.

Every function takes logits and works through ``log_softmax``, so nothing takes the logarithm of
a rounded 0. The second half of the module trains small MLPs on a ring of Gaussians with each
variant of :data:`VARIANTS` and measures the discriminator's output on the samples, the
generator's gradient and the samples' quality (modes covered, high-quality samples, MMD).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import torch
from torch import Tensor

from beyond_mle._validation import Reduction, check_logits, check_reduction, reduce_values
from beyond_mle.models.mlp import MLP, Generator, MLPConfig
from beyond_mle.training import (
    GAN_BETAS,
    AdversarialConfig,
    fit_adversarial,
    one_cpu_thread,
    seed_everything,
)

__all__ = [
    "SMOOTHED_LOSSES",
    "VARIANTS",
    "RingConfig",
    "Variant",
    "class_aware_gradient",
    "cross_entropy",
    "label_smoothing_experiment",
    "mode_coverage",
    "optimal_smoothed_discriminator",
    "particle_experiment",
    "rbf_mmd",
    "ring_centres",
    "sample_ring",
    "smoothed_discriminator_loss",
    "smoothed_generator_loss",
    "smoothed_generator_loss_grad",
    "smoothed_minimax_generator_loss",
    "smoothed_nonsaturating_generator_loss",
    "stationary_point",
    "particle_flow",
    "train_ring_discriminator",
    "train_ring_gan",
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


# ----- the 2-D GAN on a ring of Gaussians -------------------------------------------------------


def ring_centres(modes: int = 8, radius: float = 2.0) -> Tensor:
    """The ``modes`` centres evenly spaced on a circle of ``radius``, shape ``(modes, 2)``.

    Example:
        >>> ring_centres(4, 1.0).round(decimals=4).tolist()
        [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [-0.0, -1.0]]
    """
    if modes < 1:
        raise ValueError(f"modes must be >= 1, got {modes}")
    if not radius > 0:
        raise ValueError(f"radius must be > 0, got {radius}")
    angles = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes
    return (radius * torch.stack([angles.cos(), angles.sin()], -1)).float()


def sample_ring(
    n: int, modes: int = 8, radius: float = 2.0, std: float = 0.05, *,
    generator: torch.Generator | None = None,
) -> Tensor:  # fmt: skip
    """``n`` draws from an even mixture of isotropic Gaussians on a ring, shape ``(n, 2)``.

    Example:
        >>> x = sample_ring(4000, generator=torch.Generator().manual_seed(0))
        >>> round(x.norm(dim=1).mean().item(), 1)
        2.0
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std}")
    centres = ring_centres(modes, radius)  # (modes, 2)
    which = torch.randint(0, modes, (n,), generator=generator)  # (n,)
    return centres[which] + std * torch.randn(n, 2, generator=generator)


def mode_coverage(
    samples: Tensor, centres: Tensor, std: float, *, min_fraction: float = 0.01
) -> dict[str, float]:
    r"""Modes covered and the fraction of high-quality samples of a 2-D mixture.

    A sample is *high quality* when it lies within :math:`3\sigma` of its nearest centre; a mode
    is *covered* when at least ``min_fraction`` of the samples are high-quality samples of it
    (the measures of Srivastava et al. 2017, VEEGAN, on the same ring).

    Args:
        samples: shape ``(n, 2)``.
        centres: the mixture's centres, shape ``(modes, 2)``.
        std: the standard deviation :math:`\sigma` of each component.
        min_fraction: the share of samples that makes a mode covered.

    Returns:
        ``modes_covered`` (a count, as a float) and ``high_quality`` (a fraction).

    Example:
        >>> c = ring_centres(8)
        >>> mode_coverage(c[:3].repeat(10, 1), c, 0.05)
        {'modes_covered': 3.0, 'high_quality': 1.0}
    """
    if samples.dim() != 2 or samples.shape[-1] != centres.shape[-1] or samples.shape[0] < 1:
        raise ValueError(f"samples must have shape (n, {centres.shape[-1]}), got {samples.shape}")
    distance = torch.cdist(samples.float(), centres.float())  # (n, modes)
    nearest, mode = distance.min(-1)  # (n,), (n,)
    good = nearest <= 3 * std
    counts = torch.bincount(mode[good], minlength=centres.shape[0])  # (modes,)
    covered = (counts >= min_fraction * samples.shape[0]).sum()
    return {"modes_covered": float(covered), "high_quality": good.float().mean().item()}


def rbf_mmd(x: Tensor, y: Tensor, bandwidths: tuple[float, ...] = (0.1, 0.5, 2.0)) -> Tensor:
    r"""The squared maximum mean discrepancy between two samples, Gaussian kernels (V-statistic).

    .. math::
        \mathrm{MMD}^2 = \overline{k(x, x')} + \overline{k(y, y')} - 2\,\overline{k(x, y)},
        \qquad k(u, v) = \sum_{h} \exp\bigl(-\|u - v\|^2 / 2h^2\bigr)

    (Gretton et al. 2012, the biased estimate with all pairs); 0 for identical samples.

    Args:
        x: shape ``(n, d)``.
        y: shape ``(m, d)``.
        bandwidths: the kernels' widths :math:`h`.

    Returns:
        A scalar tensor, :math:`\ge 0`.

    Example:
        >>> x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
        >>> rbf_mmd(x, x).item()
        0.0
    """
    if x.dim() != 2 or y.dim() != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have shapes (n, d) and (m, d), got {x.shape}, {y.shape}")
    if not bandwidths or min(bandwidths) <= 0:
        raise ValueError(f"bandwidths must be positive, got {bandwidths}")

    def kernel(u: Tensor, v: Tensor) -> Tensor:
        squared = torch.cdist(u, v) ** 2  # (len(u), len(v))
        return cast(Tensor, sum(torch.exp(-squared / (2 * h * h)) for h in bandwidths)).mean()

    return (kernel(x, x) + kernel(y, y) - 2 * kernel(x, y)).clamp_min(0.0)


def train_ring_discriminator(
    fake: Tensor,
    *,
    real_label: float = 1.0,
    fake_label: float = 0.0,
    steps: int = 500,
    hidden: int = 64,
    depth: int = 2,
    lr: float = 1e-3,
    ring: tuple[int, float, float] = (8, 2.0, 0.1),
    seed: int = 0,
) -> MLP:
    """A two-logit discriminator trained with Adam to tell the ring's data from ``fake``.

    Each step draws a fresh batch of data and uses all of ``fake``, with the labels of
    :func:`smoothed_discriminator_loss`; the net is returned frozen (no parameter requires a
    gradient), on the CPU.

    Args:
        fake: the samples to reject, shape ``(n, 2)``.
        real_label: the target "real" probability of data.
        fake_label: the target "real" probability of ``fake``.
        steps: Adam updates (>= 1).
        hidden: units of each hidden layer.
        depth: hidden layers.
        lr: Adam's learning rate.
        ring: ``(modes, radius, std)`` of the data.
        seed: seeds the net and the data.

    Returns:
        The discriminator, an :class:`~beyond_mle.models.mlp.MLP` with two outputs.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if fake.dim() != 2 or fake.shape[1] != 2:
        raise ValueError(f"fake must have shape (n, 2), got {tuple(fake.shape)}")
    seed_everything(seed)
    d = MLP(MLPConfig(in_features=2, out_features=2, hidden=hidden, depth=depth))
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(d.parameters(), lr=lr, betas=GAN_BETAS)
    with one_cpu_thread():
        for _ in range(steps):
            real = sample_ring(fake.shape[0], *ring, generator=gen)  # (n, 2)
            opt.zero_grad(set_to_none=True)
            smoothed_discriminator_loss(d(real), d(fake), real_label=real_label,
                                        fake_label=fake_label).backward()  # fmt: skip
            opt.step()
    return d.requires_grad_(False)


def particle_flow(
    discriminator: MLP,
    particles: Tensor,
    kind: str,
    smoothing: float = 0.0,
    *,
    steps: int = 200,
    lr: float = 0.05,
    log_every: int = 10,
) -> tuple[Tensor, Tensor]:
    r"""Move free samples down the smoothed generator loss of a frozen discriminator.

    Each particle :math:`x_i` is its own generator output and takes plain gradient-descent
    steps :math:`x_i \leftarrow x_i - \eta\, \partial L_G(D(x_i)) / \partial x_i`; by the
    chain rule this is the class-aware gradient of eqs. (9) or (12) of Zhou et al. (2017)
    times :math:`\partial l / \partial x_i`. With nothing shared between particles, every one
    follows the regime of eq. (10) or (13) that its own :math:`D_r(x_i)` lies in.

    Args:
        discriminator: a net from 2-D points to two logits :math:`[l_r, l_f]`.
        particles: the starting points, shape ``(n, 2)``.
        kind: ``"minimax"`` (eq. 8) or ``"non-saturating"`` (eq. 11).
        smoothing: :math:`\lambda_1` or :math:`\lambda`.
        steps: gradient steps (>= 1).
        lr: the step size :math:`\eta` (> 0).
        log_every: steps between records of :math:`D_r` (>= 1).

    Returns:
        ``(positions, d_real)``: the final points, shape ``(n, 2)``, and :math:`D_r` of every
        particle at steps ``0, log_every, ...`` and at the end, shape ``(records, n)``.
    """
    _check_kind(kind)
    _check_probability(smoothing, "smoothing")
    if steps < 1 or log_every < 1 or not lr > 0:
        raise ValueError(f"steps and log_every must be >= 1 and lr > 0, got {steps, log_every, lr}")
    x = particles.detach().clone().requires_grad_()
    records = []
    with one_cpu_thread():
        for step in range(steps + 1):
            logits = discriminator(x)  # (n, 2)
            if step % log_every == 0 or step == steps:
                records.append(torch.softmax(logits.detach(), -1)[:, 0])
            if step == steps:
                break
            loss = smoothed_generator_loss(logits, kind, smoothing, reduction="sum")
            (grad,) = torch.autograd.grad(loss, x)  # (n, 2), each row its own particle's
            with torch.no_grad():
                x -= lr * grad
    return x.detach(), torch.stack(records)


@dataclass(frozen=True)
class Variant:
    """One way of training the ring GAN: the generator loss and the labels.

    Attributes:
        kind: the generator loss, one of :data:`SMOOTHED_LOSSES`.
        smoothing: its target's smoothing (:math:`\\lambda_1` for the minimax loss, :math:`\\lambda`
            for the non-saturating loss); ``None`` takes the experiment's value.
        real_label: the discriminator's target "real" probability for data.
        fake_label: its target for samples; ``None`` takes the generator's smoothing (the fake
            class smoothed to :math:`[\\lambda_1, 1 - \\lambda_1]` for both players).
    """

    kind: str
    smoothing: float | None = 0.0
    real_label: float | None = 1.0
    fake_label: float | None = 0.0


#: The variants the chapter compares. ``None`` values are filled from the experiment's
#: ``fake_smoothing``, ``target_smoothing`` and ``real_label`` settings.
VARIANTS = {
    "minimax": Variant("minimax"),
    "minimax, fakes smoothed": Variant("minimax", smoothing=None, fake_label=None),
    "non-saturating": Variant("non-saturating"),
    "non-saturating, target smoothed": Variant("non-saturating", smoothing=None),
    "one-sided": Variant("non-saturating", real_label=None),
}


@dataclass(frozen=True)
class RingConfig:
    """Settings of the ring GAN of :func:`train_ring_gan`.

    Attributes:
        steps: generator updates (>= 1); each follows one discriminator update.
        head_start: discriminator updates before the generator's first one (>= 0).
        train_discriminator: whether the discriminator keeps learning after its head start;
            ``False`` freezes it, so that the generator's loss alone moves the samples.
        batch: samples of each kind per update (>= 1).
        hidden: units of each hidden layer of both nets (>= 1).
        depth: hidden layers of both nets (>= 1).
        noise_dim: dimensions of the generator's noise (>= 1).
        lr: Adam's learning rate of both players (> 0).
        modes: Gaussians on the ring (>= 1).
        radius: the ring's radius (> 0).
        std: each Gaussian's standard deviation (> 0).
        fake_smoothing: :math:`\\lambda_1` of the variants that smooth the fake class.
        target_smoothing: :math:`\\lambda` of the non-saturating loss with a smoothed target.
        real_label: the discriminator's label of data under one-sided smoothing.
        eval_samples: samples drawn for each measurement (>= 2).
        log_every: generator updates between measurements (>= 1).
    """

    steps: int = 600
    head_start: int = 0
    train_discriminator: bool = True
    batch: int = 128
    hidden: int = 64
    depth: int = 2
    noise_dim: int = 2
    lr: float = 1e-3
    modes: int = 8
    radius: float = 2.0
    std: float = 0.1
    fake_smoothing: float = 0.2
    target_smoothing: float = 0.2
    real_label: float = 0.9
    eval_samples: int = 1000
    log_every: int = 50

    def __post_init__(self) -> None:
        for name, low in (("steps", 1), ("head_start", 0), ("batch", 1), ("hidden", 1),
                          ("depth", 1), ("noise_dim", 1), ("modes", 1), ("eval_samples", 2),
                          ("log_every", 1)):  # fmt: skip
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        for name in ("lr", "radius", "std"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("fake_smoothing", "target_smoothing", "real_label"):
            _check_probability(getattr(self, name), name)

    def resolve(self, variant: Variant) -> Variant:
        """``variant`` with its ``None`` settings taken from this configuration."""
        smoothing = variant.smoothing
        if smoothing is None:
            smoothing = self.fake_smoothing if variant.kind == "minimax" else self.target_smoothing
        return Variant(
            variant.kind,
            smoothing,
            self.real_label if variant.real_label is None else variant.real_label,
            smoothing if variant.fake_label is None else variant.fake_label,
        )


def _make_players(config: RingConfig) -> tuple[Generator, MLP]:
    hidden, depth = config.hidden, config.depth
    g = Generator(
        MLPConfig(in_features=config.noise_dim, out_features=2, hidden=hidden, depth=depth)
    )
    d = MLP(MLPConfig(in_features=2, out_features=2, hidden=hidden, depth=depth))  # [l_r, l_f]
    return g, d


def train_ring_gan(
    variant: Variant | str,
    config: RingConfig,
    *,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> tuple[list[dict[str, float]], Tensor]:
    r"""Train a GAN on the ring of Gaussians with one variant and log what label smoothing does.

    The discriminator (an MLP with two outputs, :math:`D = \mathrm{softmax}(l)`) minimises
    :func:`smoothed_discriminator_loss` with the variant's labels; the generator minimises
    :func:`smoothed_generator_loss`; one Adam update each per step. Before training and every
    ``log_every`` steps, on fixed noise and data:

    * ``d_real_mean``, ``d_real_std``: mean and spread of :math:`D_r(G(z))`;
      ``below_stationary``: the fraction of samples with :math:`D_r` below the loss's
      stationary point (:func:`stationary_point`);
    * ``grad_norm``: the norm of the generator loss's gradient with respect to all the
      generator's parameters;
    * ``modes_covered``, ``high_quality`` (:func:`mode_coverage`) and ``mmd``
      (:func:`rbf_mmd` to ``eval_samples`` data points).

    Args:
        variant: a :class:`Variant` or a name of :data:`VARIANTS`.
        config: sizes, steps, the ring and the smoothing amounts.
        seed: seeds the nets and the batches; the evaluation noise and data use ``seed + 1``.
        device: where to train.

    Returns:
        ``(history, samples)``: one row per measurement (``step`` first, 0 at the start), and
        the final samples on the evaluation noise, shape ``(eval_samples, 2)``, on the CPU.
    """
    if isinstance(variant, str):
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; got {variant!r}")
        variant = VARIANTS[variant]
    _check_kind(variant.kind)
    variant = config.resolve(variant)
    smoothing, real_label, fake_label = variant.smoothing, variant.real_label, variant.fake_label
    assert smoothing is not None and real_label is not None and fake_label is not None  # resolved
    device = torch.device(device)
    ring = (config.modes, config.radius, config.std)
    centres = ring_centres(config.modes, config.radius)
    with one_cpu_thread(device):
        seed_everything(seed)
        g, d = _make_players(config)
        g, d = g.to(device), d.to(device)
        gen = torch.Generator().manual_seed(seed)
        eval_gen = torch.Generator().manual_seed(seed + 1)
        eval_noise = g.noise(config.eval_samples, generator=eval_gen)
        eval_data = sample_ring(config.eval_samples, *ring, generator=eval_gen).to(device)
        point = stationary_point(variant.kind, smoothing)

        def g_loss(logits: Tensor) -> Tensor:
            return smoothed_generator_loss(logits, variant.kind, smoothing)

        def evaluate(step: int) -> dict[str, float]:
            samples = g(eval_noise)  # (eval_samples, 2)
            logits = d(samples)  # (eval_samples, 2)
            grads = torch.autograd.grad(g_loss(logits), list(g.parameters()))
            d_real = torch.softmax(logits.detach(), -1)[:, 0]  # (eval_samples,)
            samples = samples.detach()
            squares = cast(Tensor, sum((grad**2).sum() for grad in grads))  # not the int 0
            return {
                "step": float(step),
                "d_real_mean": d_real.mean().item(),
                "d_real_std": d_real.std().item(),
                "below_stationary": (d_real < point).float().mean().item(),
                "grad_norm": torch.sqrt(squares).item(),
                **mode_coverage(samples.cpu(), centres, config.std),
                "mmd": rbf_mmd(samples, eval_data).item(),
            }

        def draw() -> Tensor:
            return g.sample(config.batch, generator=gen)  # (batch, 2), shared by both players

        def d_loss(fake: Tensor) -> Tensor:
            real = sample_ring(config.batch, *ring, generator=gen).to(device)
            return smoothed_discriminator_loss(
                d(real),
                d(fake.detach()),
                real_label=real_label,
                fake_label=fake_label,
            )

        schedule = AdversarialConfig(
            steps=config.steps,
            lr=config.lr,
            d_lr=config.lr,
            d_steps=int(config.train_discriminator),
            head_start=config.head_start,
            log_every=config.log_every,
            desc="ring GAN",
        )
        history = fit_adversarial(
            g.parameters(),
            d.parameters(),
            d_loss,
            lambda fake: g_loss(d(fake)),
            schedule,
            draw=draw,
            log=lambda step, *_: evaluate(step),
        )
        with torch.no_grad():
            samples = g(eval_noise).cpu()
    return history, samples


def label_smoothing_experiment(
    config: RingConfig,
    *,
    n_seeds: int = 3,
    seed: int = 0,
    device: str | torch.device = "cpu",
    variants: tuple[str, ...] = tuple(VARIANTS),
) -> tuple[list[dict[str, float | str]], dict[str, list[Tensor]]]:
    """Train the ring GAN with each variant from ``n_seeds`` seeds (paired: same seeds).

    Args:
        config: the GAN's settings.
        n_seeds: runs per variant (>= 1), seeds ``seed, seed + 10, ...``; with the same seed
            every variant starts from the same nets and sees the same batches.
        seed: the first seed.
        device: where to train.
        variants: names of :data:`VARIANTS`.

    Returns:
        ``(rows, samples)``: the rows of :func:`train_ring_gan` with ``variant`` and ``seed``
        added, and each variant's final samples, one tensor per seed.
    """
    if n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1, got {n_seeds}")
    unknown = [name for name in variants if name not in VARIANTS]
    if unknown:
        raise ValueError(f"variants must be in {', '.join(VARIANTS)}; got {unknown}")
    rows: list[dict[str, float | str]] = []
    samples: dict[str, list[Tensor]] = {name: [] for name in variants}
    for run in range(n_seeds):
        run_seed = seed + 10 * run
        for name in variants:
            history, final = train_ring_gan(name, config, seed=run_seed, device=device)
            rows += [{"variant": name, "seed": run_seed, **row} for row in history]
            samples[name].append(final)
    return rows, samples


def particle_experiment(
    config: RingConfig,
    *,
    n_particles: int = 400,
    spread: float = 1.5,
    disc_steps: int = 300,
    flow_steps: int = 300,
    flow_lr: float = 0.05,
    log_every: int = 10,
    seed: int = 0,
    variants: tuple[str, ...] = tuple(VARIANTS),
) -> dict[str, object]:
    r"""Free samples moved by each variant's generator loss against a frozen discriminator.

    The samples start from :math:`\mathcal N(0, \mathrm{spread}^2 I)`; for each variant a
    discriminator learns (:func:`train_ring_discriminator`, with the variant's labels, one net
    per pair of labels) to tell the ring's data from them, is frozen, and the samples follow
    :func:`particle_flow` with the variant's generator loss.

    Args:
        config: the ring, the nets' sizes, the learning rate and the smoothing amounts.
        n_particles: free samples (>= 2).
        spread: the standard deviation of their start (> 0).
        disc_steps: Adam steps of each discriminator.
        flow_steps: gradient steps of the samples.
        flow_lr: their step size.
        log_every: steps between records of :math:`D_r`.
        seed: seeds the start, the nets and the data.
        variants: names of :data:`VARIANTS`.

    Returns:
        ``start`` (shape ``(n, 2)``), ``steps`` (the recorded steps), and per variant name
        ``d_real`` (shape ``(records, n)``), ``positions`` (the final points, ``(n, 2)``) and
        ``variant`` (the resolved :class:`Variant`).
    """
    if n_particles < 2 or not spread > 0:
        raise ValueError(f"n_particles must be >= 2 and spread > 0, got {n_particles, spread}")
    unknown = [name for name in variants if name not in VARIANTS]
    if unknown:
        raise ValueError(f"variants must be in {', '.join(VARIANTS)}; got {unknown}")
    start = spread * torch.randn(n_particles, 2, generator=torch.Generator().manual_seed(seed))
    ring = (config.modes, config.radius, config.std)
    nets: dict[tuple[float, float], MLP] = {}
    out: dict[str, object] = {"start": start}
    for name in variants:
        variant = config.resolve(VARIANTS[name])
        # resolve fills in every None
        assert variant.real_label is not None and variant.fake_label is not None
        assert variant.smoothing is not None
        labels = (variant.real_label, variant.fake_label)
        if labels not in nets:
            nets[labels] = train_ring_discriminator(
                start,
                real_label=labels[0],
                fake_label=labels[1],
                steps=disc_steps,
                hidden=config.hidden,
                depth=config.depth,
                lr=config.lr,
                ring=ring,
                seed=seed,
            )
        positions, d_real = particle_flow(
            nets[labels],
            start,
            variant.kind,
            variant.smoothing,
            steps=flow_steps,
            lr=flow_lr,
            log_every=log_every,
        )
        out[name] = {"d_real": d_real, "positions": positions, "variant": variant}
    out["steps"] = [*range(0, flow_steps, log_every), flow_steps]
    return out
