r"""Divergences and distances between probability distributions, exact on small supports.

Introduced in the chapter "The BCE loss of GANs": the Kullback-Leibler and Jensen-Shannon
divergences between discrete distributions on a common support (the divergence that the GAN
game with an optimal discriminator minimises, Goodfellow et al. 2014, theorem 1), and the
Wasserstein-1 distance between one-dimensional distributions (Arjovsky et al. 2017), on a grid
through their cumulative distribution functions and between two samples through sorting.

Extended in the chapter "Scheduled sampling is improper": the reverse Kullback-Leibler
divergence and the generalised Jensen-Shannon divergence :math:`\mathrm{JS}_\pi` of Huszár
(2015), which interpolates between the two directions of KL as the prior :math:`\pi` goes from
0 to 1, and the cross-entropy :math:`H(q, p) = -\mathbb{E}_q \log p` (:func:`cross_entropy`),
the mean surprisal of a model's samples under the data's distribution. The one-dimensional
distributions of both chapters are Gaussians and mixtures of Gaussians discretised on a grid
(:func:`gaussian_on_grid`, :func:`gaussian_mixture_on_grid`); :func:`fit_gaussian_on_grid` and
:func:`fit_gaussian_mixture_on_grid` find the one closest to a target under any of these
divergences (mode covering under :math:`\mathrm{KL}(p \,\|\, q)`, mode seeking under
:math:`\mathrm{KL}(q \,\|\, p)`).

Extended in the chapter "Label smoothing and class-aware gradients": the squared maximum mean
discrepancy between two samples in any dimension, with Gaussian kernels (:func:`rbf_mmd`).

Conventions: logarithms are natural (nats); ``p`` and ``q`` hold probabilities along their last
dimension (``dim`` selects another), with any leading batch dimensions, and :math:`0 \log 0 = 0`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, cast

import torch
from torch import Tensor

__all__ = [
    "check_distribution",
    "cross_entropy",
    "fit_gaussian_mixture_on_grid",
    "fit_gaussian_on_grid",
    "gaussian_mixture_on_grid",
    "gaussian_on_grid",
    "generalized_js_divergence",
    "js_divergence",
    "kl_divergence",
    "rbf_mmd",
    "reverse_kl_divergence",
    "wasserstein1_grid",
    "wasserstein1_samples",
]


def check_distribution(probs: Tensor, name: str, *, dim: int = -1, atol: float = 1e-5) -> None:
    """Raise ``ValueError`` unless ``probs`` is non-negative and sums to 1 along ``dim``.

    Args:
        probs: the probabilities to check, any shape.
        name: the argument's name, for the message.
        dim: the dimension that holds the support.
        atol: the tolerance of the sum.
    """
    if not torch.is_floating_point(probs):
        raise ValueError(f"{name} must be a floating-point tensor, got {probs.dtype}")
    if probs.numel() == 0:
        raise ValueError(f"{name} must not be empty")
    if not torch.isfinite(probs).all() or (probs < 0).any():
        raise ValueError(f"{name} must hold finite, non-negative probabilities")
    total = probs.sum(dim)
    if not torch.allclose(total, torch.ones_like(total), rtol=0.0, atol=atol):
        worst = (total - 1).abs().max().item()
        raise ValueError(f"{name} must sum to 1 along dim {dim} (off by up to {worst:.2e})")


def gaussian_on_grid(support: Tensor, mean: float | Tensor, std: float | Tensor) -> Tensor:
    r"""A Gaussian discretised on ``support``: :math:`p_i \propto \exp(-(x_i - \mu)^2 / 2\sigma^2)`.

    Differentiable in :math:`\mu` and :math:`\sigma` when they are tensors (a Gaussian fitted on
    the grid by gradient descent).

    Args:
        support: the grid, shape ``(n,)``.
        mean: :math:`\mu`.
        std: :math:`\sigma > 0`.

    Returns:
        Probabilities on the grid that sum to 1, shape ``(n,)``, the dtype of ``support``.

    Example:
        >>> p = gaussian_on_grid(torch.linspace(-5, 5, 101, dtype=torch.float64), 0.0, 1.0)
        >>> round(p.sum().item(), 6), int(p.argmax())
        (1.0, 50)
    """
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std}")
    if support.dim() != 1 or support.numel() < 2:
        raise ValueError(f"support must be a 1-D grid of >= 2 points, got {tuple(support.shape)}")
    logp = -0.5 * ((support - mean) / std) ** 2  # (n,), unnormalised
    return torch.softmax(logp, -1)


def fit_gaussian_on_grid(
    target: Tensor,
    support: Tensor,
    divergence: Callable[[Tensor, Tensor], Tensor],
    *,
    starts: Sequence[tuple[float, float]] = ((0.1, 2.0), (1.0, 0.5)),
    max_iter: int = 300,
) -> dict[str, float]:
    r"""The Gaussian on a grid closest to ``target`` under ``divergence(target, model)``.

    The model :math:`q_{\mu, \sigma}` is a Gaussian discretised on ``support``
    (:func:`gaussian_on_grid`); :math:`(\mu, \log \sigma)` are fitted by L-BFGS from each start,
    and the best fit is kept (mode-seeking divergences have a local minimum between the modes as
    well as one on each mode).

    Args:
        target: probabilities on the grid, shape ``(n,)``.
        support: the grid, shape ``(n,)``.
        divergence: maps ``(target, model)`` to a scalar, e.g. :func:`kl_divergence`.
        starts: initial ``(mean, std)`` pairs.
        max_iter: L-BFGS iterations per start.

    Returns:
        ``{"mean", "std", "value"}`` of the best fit.

    Example:
        >>> x = torch.linspace(-6, 6, 241, dtype=torch.float64)
        >>> fit = fit_gaussian_on_grid(gaussian_on_grid(x, 1.0, 0.7), x, kl_divergence)
        >>> round(fit["mean"], 4), round(fit["std"], 4)
        (1.0, 0.7)
    """
    if not starts:
        raise ValueError("starts must hold at least one (mean, std) pair")
    best: dict[str, float] | None = None
    for mean0, std0 in starts:
        theta = torch.tensor([mean0, math.log(std0)], dtype=support.dtype, requires_grad=True)
        optimiser = torch.optim.LBFGS([theta], max_iter=max_iter, line_search_fn="strong_wolfe",
                                      tolerance_grad=1e-10, tolerance_change=1e-14)  # fmt: skip

        def closure(theta: Tensor = theta, optimiser: torch.optim.LBFGS = optimiser) -> Tensor:
            optimiser.zero_grad()
            value = divergence(target, gaussian_on_grid(support, theta[0], theta[1].exp()))
            value.backward()
            return value

        optimiser.step(closure)
        with torch.no_grad():
            value = float(divergence(target, gaussian_on_grid(support, theta[0], theta[1].exp())))
        mean, log_std = theta.detach().tolist()
        fit = {"mean": mean, "std": math.exp(log_std), "value": value}
        if best is None or value < best["value"]:
            best = fit
    assert best is not None  # starts is not empty
    return best


def gaussian_mixture_on_grid(
    support: Tensor, means: Tensor, stds: Tensor, weights: Tensor | None = None
) -> Tensor:
    r"""A mixture of Gaussians discretised on ``support``.

    .. math::
        p_i \propto \sum_{j=1}^{k} w_j\, \frac{1}{\sigma_j}
            \exp\bigl(-(x_i - \mu_j)^2 / 2\sigma_j^2\bigr)

    Differentiable in the means, the standard deviations and the weights.

    Args:
        support: the grid, shape ``(n,)``.
        means: :math:`\mu_j`, shape ``(k,)``.
        stds: :math:`\sigma_j > 0`, shape ``(k,)``.
        weights: :math:`w_j \ge 0`, shape ``(k,)``, normalised here; ``None``: equal weights.

    Returns:
        Probabilities on the grid that sum to 1, shape ``(n,)``, the dtype of ``support``.

    Example:
        >>> x = torch.linspace(-6, 6, 241, dtype=torch.float64)
        >>> two = torch.tensor([-2.0, 2.0], dtype=torch.float64)
        >>> p = gaussian_mixture_on_grid(x, two, torch.full((2,), 0.5, dtype=torch.float64))
        >>> halves = gaussian_on_grid(x, -2.0, 0.5) + gaussian_on_grid(x, 2.0, 0.5)
        >>> torch.allclose(p, 0.5 * halves)
        True
    """
    if support.dim() != 1 or support.numel() < 2:
        raise ValueError(f"support must be a 1-D grid of >= 2 points, got {tuple(support.shape)}")
    if means.dim() != 1 or means.numel() < 1 or stds.shape != means.shape:
        raise ValueError(
            f"means and stds must be (k,) with k >= 1, got {tuple(means.shape)} and "
            f"{tuple(stds.shape)}"
        )
    if not (stds > 0).all():
        raise ValueError("stds must be > 0")
    if weights is None:
        weights = torch.ones_like(means)
    if weights.shape != means.shape or (weights < 0).any() or not weights.sum() > 0:
        raise ValueError("weights must be (k,), non-negative, with a positive sum")
    return _mixture(support, means, stds.log(), torch.log(weights / weights.sum()))


def _mixture(support: Tensor, means: Tensor, log_stds: Tensor, log_weights: Tensor) -> Tensor:
    """:func:`gaussian_mixture_on_grid` from log-parameters, unchecked (the fits' line search)."""
    log_stds = log_stds.clamp_min(-20.0)  # a line search may probe absurd widths
    z = (support[None, :] - means[:, None]) / log_stds.exp()[:, None]  # (k, n)
    log_component = -0.5 * z**2 - log_stds[:, None]  # log N up to a shared constant, (k, n)
    return torch.softmax(torch.logsumexp(log_component + log_weights[:, None], 0), -1)


def fit_gaussian_mixture_on_grid(
    target: Tensor,
    support: Tensor,
    divergence: Callable[[Tensor, Tensor], Tensor],
    starts: Sequence[tuple[Sequence[float], float]],
    *,
    max_iter: int = 100,
) -> dict[str, Any]:
    r"""The mixture of :math:`k` Gaussians on a grid closest to ``target`` under ``divergence``.

    The model :math:`q_\theta` is :func:`gaussian_mixture_on_grid` with parameters
    :math:`\theta = (\mu_{1..k}, \log \sigma_{1..k}, \text{weight logits}_{1..k})`, fitted by
    L-BFGS from each start (the means given, every :math:`\sigma_j` the start's value, equal
    weights); the fit of smallest ``divergence(target, q)`` is kept. Mode-seeking divergences
    have local minima that straddle modes, hence several starts.

    Args:
        target: probabilities on the grid, shape ``(n,)``.
        support: the grid, shape ``(n,)``.
        divergence: maps ``(target, model)`` to a scalar, e.g. :func:`kl_divergence`.
        starts: ``(means, std)`` pairs, every ``means`` of the same length :math:`k`.
        max_iter: L-BFGS iterations per start.

    Returns:
        ``{"means", "stds", "weights"}`` (lists of :math:`k` floats), ``"value"`` (the
        divergence at the fit) and ``"probs"`` (the fitted distribution, shape ``(n,)``).

    Example:
        >>> x = torch.linspace(-6, 6, 241, dtype=torch.float64)
        >>> p = gaussian_mixture_on_grid(x, torch.tensor([-2.0, 2.0], dtype=torch.float64),
        ...                              torch.full((2,), 0.5, dtype=torch.float64))
        >>> fit = fit_gaussian_mixture_on_grid(p, x, kl_divergence, [((-1.0, 1.0), 1.0)])
        >>> [round(m, 3) for m in fit["means"]], round(fit["value"], 6)
        ([-2.0, 2.0], 0.0)
    """
    if not starts:
        raise ValueError("starts must hold at least one (means, std) pair")
    k = len(starts[0][0])
    if k < 1 or any(len(means) != k for means, _ in starts):
        raise ValueError("every start must give the same number k >= 1 of means")

    def model(theta: Tensor) -> Tensor:  # (means, log stds, weight logits) -> probabilities
        log_weights = torch.log_softmax(theta[2 * k :], -1)
        return _mixture(support, theta[:k], theta[k : 2 * k], log_weights)

    best: dict[str, Any] | None = None
    for means0, std0 in starts:
        if not std0 > 0:
            raise ValueError(f"a start's std must be > 0, got {std0}")
        theta = torch.cat([
            torch.tensor(list(means0), dtype=support.dtype),
            torch.full((k,), math.log(std0), dtype=support.dtype),
            torch.zeros(k, dtype=support.dtype),
        ]).requires_grad_()  # fmt: skip
        optimiser = torch.optim.LBFGS([theta], max_iter=max_iter, line_search_fn="strong_wolfe",
                                      tolerance_grad=1e-7, tolerance_change=1e-12)  # fmt: skip

        def closure(theta: Tensor = theta, optimiser: torch.optim.LBFGS = optimiser) -> Tensor:
            optimiser.zero_grad()
            value = divergence(target, model(theta))
            value.backward()
            return value

        optimiser.step(closure)
        with torch.no_grad():
            probs = model(theta)
            value = float(divergence(target, probs))
        if best is None or value < best["value"]:
            fitted = theta.detach()
            best = {"means": fitted[:k].tolist(),
                    "stds": fitted[k : 2 * k].clamp_min(-20.0).exp().tolist(),
                    "weights": torch.softmax(fitted[2 * k :], -1).tolist(), "value": value,
                    "probs": probs}  # fmt: skip
    assert best is not None  # starts is not empty
    return best


def _check_pair(p: Tensor, q: Tensor, dim: int) -> None:
    if p.shape != q.shape:
        raise ValueError(
            f"p and q must have the same shape, got {tuple(p.shape)} and {tuple(q.shape)}"
        )
    check_distribution(p, "p", dim=dim)
    check_distribution(q, "q", dim=dim)


def kl_divergence(p: Tensor, q: Tensor, *, dim: int = -1) -> Tensor:
    r"""The Kullback-Leibler divergence :math:`\mathrm{KL}(p \,\|\, q)` on a common support.

    .. math::
        \mathrm{KL}(p \,\|\, q) = \sum_x p(x) \log \frac{p(x)}{q(x)}

    with :math:`0 \log (0 / q) = 0`; it is :math:`+\infty` where :math:`p(x) > 0 = q(x)`.

    Args:
        p: probabilities, shape ``(..., n)`` (``n`` along ``dim``).
        q: probabilities of the same shape.
        dim: the dimension that holds the support.

    Returns:
        The divergence in nats, shape ``(...)``: the input without ``dim``.

    Example:
        >>> p = torch.tensor([0.5, 0.5], dtype=torch.float64)
        >>> q = torch.tensor([0.9, 0.1], dtype=torch.float64)
        >>> round(kl_divergence(p, q).item(), 4)
        0.5108
    """
    _check_pair(p, q, dim)
    # xlogy(p, p) - xlogy(p, q): each term is 0 where p = 0, +inf where p > 0 = q
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim)


def cross_entropy(p: Tensor, q: Tensor, *, dim: int = -1) -> Tensor:
    r"""The cross-entropy :math:`H(p, q) = -\sum_x p(x) \log q(x)` on a common support.

    .. math::
        H(p, q) = H(p) + \mathrm{KL}(p \,\|\, q)

    with :math:`0 \log q = 0`; it is :math:`+\infty` where :math:`p(x) > 0 = q(x)`. With ``p``
    a model's distribution and ``q`` the data's, it is the mean surprisal
    :math:`-\mathbb{E}_{x \sim p} \log q(x)` of the model's samples to an observer whose model
    of the world is the data distribution (the "perceived quality" of Huszár 2015, 'Two
    assumptions and a conclusion', with :math:`Q_{\mathrm{human}} = P`); with ``p`` the data, it
    is the negative log-likelihood per sample that maximum likelihood minimises.

    Args:
        p: the distribution the expectation is over, shape ``(..., n)`` (``n`` along ``dim``).
        q: the distribution scored, the same shape.
        dim: the dimension that holds the support.

    Returns:
        The cross-entropy in nats, shape ``(...)``.

    Example:
        >>> p = torch.tensor([0.5, 0.5], dtype=torch.float64)
        >>> q = torch.tensor([0.9, 0.1], dtype=torch.float64)
        >>> round(cross_entropy(p, q).item(), 4)  # log 2 + KL(p || q)
        1.204
    """
    _check_pair(p, q, dim)
    return -torch.xlogy(p, q).sum(dim)


def js_divergence(p: Tensor, q: Tensor, *, dim: int = -1) -> Tensor:
    r"""The Jensen-Shannon divergence between ``p`` and ``q`` on a common support.

    .. math::
        \mathrm{JS}(p, q) = \tfrac12 \mathrm{KL}\bigl(p \,\|\, m\bigr)
            + \tfrac12 \mathrm{KL}\bigl(q \,\|\, m\bigr), \qquad m = \tfrac12 (p + q)

    (eq. 6 of Goodfellow et al. 2014). It is symmetric, 0 only when :math:`p = q`, and at most
    :math:`\log 2`, reached when the supports are disjoint.

    Args:
        p: probabilities, shape ``(..., n)`` (``n`` along ``dim``).
        q: probabilities of the same shape.
        dim: the dimension that holds the support.

    Returns:
        The divergence in nats, in :math:`[0, \log 2]`, shape ``(...)``.

    Example:
        >>> p = torch.tensor([1.0, 0.0], dtype=torch.float64)
        >>> q = torch.tensor([0.0, 1.0], dtype=torch.float64)
        >>> round(js_divergence(p, q).item(), 4)  # log 2
        0.6931
    """
    _check_pair(p, q, dim)
    m = 0.5 * (p + q)  # the mixture; m(x) = 0 only where p(x) = q(x) = 0
    kl_pm = (torch.xlogy(p, p) - torch.xlogy(p, m)).sum(dim)
    kl_qm = (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(dim)
    return 0.5 * (kl_pm + kl_qm)


def reverse_kl_divergence(p: Tensor, q: Tensor, *, dim: int = -1) -> Tensor:
    r"""The reverse Kullback-Leibler divergence :math:`\mathrm{KL}(q \,\|\, p)` of a model ``q``.

    .. math::
        \mathrm{KL}(q \,\|\, p) = \sum_x q(x) \log \frac{q(x)}{p(x)}

    With ``p`` the data and ``q`` the model, maximum likelihood minimises
    :math:`\mathrm{KL}(p \,\|\, q)` (mode covering: :math:`q` must be positive wherever
    :math:`p` is), whereas this direction is :math:`+\infty` as soon as :math:`q` puts mass
    where :math:`p` has none (mode seeking). It is the limit of
    :math:`\mathrm{JS}_\pi / (1 - \pi)` as :math:`\pi \to 1` (derived in the chapter; Huszár
    2015, 'Contribution' and 'Conclusion', says that :math:`\mathrm{JS}_\pi` interpolates
    between maximum likelihood and this, his idealised objective).

    Args:
        p: the data's probabilities, shape ``(..., n)`` (``n`` along ``dim``).
        q: the model's probabilities, the same shape.
        dim: the dimension that holds the support.

    Returns:
        The divergence in nats, shape ``(...)``.

    Example:
        >>> p = torch.tensor([0.5, 0.5], dtype=torch.float64)
        >>> q = torch.tensor([0.9, 0.1], dtype=torch.float64)
        >>> round(reverse_kl_divergence(p, q).item(), 4)
        0.3681
    """
    return kl_divergence(q, p, dim=dim)


def generalized_js_divergence(p: Tensor, q: Tensor, pi: float, *, dim: int = -1) -> Tensor:
    r"""The generalised Jensen-Shannon divergence :math:`\mathrm{JS}_\pi(p \,\|\, q)`.

    .. math::
        \mathrm{JS}_\pi(p \,\|\, q) = \pi\, \mathrm{KL}\bigl(p \,\|\, m_\pi\bigr)
            + (1 - \pi)\, \mathrm{KL}\bigl(q \,\|\, m_\pi\bigr),
        \qquad m_\pi = \pi p + (1 - \pi) q

    (Huszár 2015, 'Generalized adversarial training'). It is the value, up to the constant
    :math:`-H(\pi)`, of a GAN whose discriminator sees data with prior :math:`\pi` and samples
    with prior :math:`1 - \pi` and is optimal. :math:`\pi = 1/2` gives :func:`js_divergence`;
    it is at most the entropy :math:`H(\pi) = -\pi \log \pi - (1 - \pi) \log (1 - \pi)`,
    reached when the supports are disjoint;
    :math:`\mathrm{JS}_\pi / \pi \to \mathrm{KL}(p \,\|\, q)` as :math:`\pi \to 0` and
    :math:`\mathrm{JS}_\pi / (1 - \pi) \to \mathrm{KL}(q \,\|\, p)` as :math:`\pi \to 1`
    (derived in the chapter).

    Args:
        p: probabilities (the data), shape ``(..., n)`` (``n`` along ``dim``).
        q: probabilities (the model), the same shape.
        pi: the prior :math:`\pi` of ``p``, in ``[0, 1]``.
        dim: the dimension that holds the support.

    Returns:
        The divergence in nats, in :math:`[0, H(\pi)]`, shape ``(...)``.

    Example:
        >>> p = torch.tensor([1.0, 0.0], dtype=torch.float64)
        >>> q = torch.tensor([0.0, 1.0], dtype=torch.float64)
        >>> round(generalized_js_divergence(p, q, 0.25).item(), 4)  # H(1/4), disjoint supports
        0.5623
    """
    if not 0.0 <= pi <= 1.0:
        raise ValueError(f"pi must be in [0, 1], got {pi}")
    _check_pair(p, q, dim)
    m = pi * p + (1 - pi) * q  # the mixture; m(x) = 0 only where the weighted p and q are 0
    kl_pm = (torch.xlogy(p, p) - torch.xlogy(p, m)).sum(dim)
    kl_qm = (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(dim)
    # a term of weight 0 counts 0, even where its KL is infinite
    kl_pm = torch.where(torch.tensor(pi > 0), kl_pm, torch.zeros_like(kl_pm))
    kl_qm = torch.where(torch.tensor(pi < 1), kl_qm, torch.zeros_like(kl_qm))
    return pi * kl_pm + (1 - pi) * kl_qm


def wasserstein1_grid(p: Tensor, q: Tensor, support: Tensor) -> Tensor:
    r"""The Wasserstein-1 distance between two distributions on the same 1-D support.

    .. math::
        W_1(p, q) = \int \bigl|F_p(x) - F_q(x)\bigr|\, dx
                  = \sum_{i=1}^{n-1} \bigl|F_p(x_i) - F_q(x_i)\bigr| (x_{i+1} - x_i)

    where :math:`F` are the cumulative distribution functions (the 1-D case of the
    Kantorovich-Rubinstein distance, Arjovsky et al. 2017). The sum is exact for distributions
    whose mass sits on the points :math:`x_1 < \dots < x_n`.

    Args:
        p: probabilities on ``support``, shape ``(..., n)``.
        q: probabilities of the same shape.
        support: the points, increasing, shape ``(n,)``.

    Returns:
        The distance, in the units of ``support``, shape ``(...)``.

    Example:
        >>> x = torch.arange(5, dtype=torch.float64)
        >>> p = torch.tensor([1.0, 0, 0, 0, 0], dtype=torch.float64)
        >>> q = torch.tensor([0, 0, 0, 1.0, 0], dtype=torch.float64)
        >>> wasserstein1_grid(p, q, x).item()  # all the mass moves 3 steps
        3.0
    """
    if support.dim() != 1 or support.numel() < 1:
        raise ValueError(f"support must be a non-empty 1-D tensor, got {tuple(support.shape)}")
    if p.shape[-1] != support.numel():
        raise ValueError(
            f"p and q must have support.numel() = {support.numel()} points along their last "
            f"dimension, got {tuple(p.shape)}"
        )
    if (support.diff() <= 0).any():
        raise ValueError("support must be strictly increasing")
    _check_pair(p, q, -1)
    gap = (p.cumsum(-1) - q.cumsum(-1))[..., :-1].abs()  # |F_p - F_q| on [x_i, x_{i+1}), (..., n-1)
    return (gap * support.diff().to(gap.dtype)).sum(-1)


def wasserstein1_samples(x: Tensor, y: Tensor) -> Tensor:
    r"""The Wasserstein-1 distance between the empirical distributions of two 1-D samples.

    .. math::
        W_1(\hat p_x, \hat p_y) = \int \bigl|\hat F_x(t) - \hat F_y(t)\bigr|\, dt,
        \qquad W_1 = \frac1n \sum_{i=1}^n \bigl|x_{(i)} - y_{(i)}\bigr| \text{ when } m = n

    where :math:`x_{(i)}` are the sorted values: in one dimension the optimal transport plan
    matches order statistics. Samples of different sizes go through the empirical CDFs on the
    pooled, sorted values. Differentiable in both samples (almost everywhere).

    Args:
        x: one sample, shape ``(n,)``.
        y: another sample, shape ``(m,)``.

    Returns:
        The distance, a scalar tensor.

    Example:
        >>> x = torch.tensor([0.0, 1.0, 2.0])
        >>> wasserstein1_samples(x, x + 0.5).item()
        0.5
    """
    if x.dim() != 1 or y.dim() != 1 or x.numel() == 0 or y.numel() == 0:
        shapes = f"{tuple(x.shape)} and {tuple(y.shape)}"
        raise ValueError(f"x and y must be non-empty 1-D samples, got shapes {shapes}")
    if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
        raise ValueError("x and y must be finite")
    xs, ys = x.sort().values, y.sort().values
    if xs.numel() == ys.numel():
        return (xs - ys).abs().mean()
    pooled = torch.cat([xs, ys]).sort().values  # (n + m,)
    left = pooled[:-1].detach()  # each interval [t_k, t_{k+1})
    cdf_x = torch.searchsorted(xs.detach(), left, right=True).to(x.dtype) / xs.numel()
    cdf_y = torch.searchsorted(ys.detach(), left, right=True).to(x.dtype) / ys.numel()
    return ((cdf_x - cdf_y).abs() * pooled.diff()).sum()


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
