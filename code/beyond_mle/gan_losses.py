r"""The losses of a GAN as functions of the discriminator's logit.

Introduced in the chapter "The BCE loss of GANs". The discriminator outputs a logit :math:`a`
and the probability :math:`D = \sigma(a)` that its input is real. Its loss is a binary
cross-entropy (eq. 8 of Goodfellow 2016), and the generator has three costs of its own
(section 3.2.2 to 3.2.4 and figure 16 of Goodfellow 2016):

.. math::
    J^{(D)} &= -\tfrac12 \mathbb{E}_{x \sim p_{\mathrm{data}}} \log D(x)
               -\tfrac12 \mathbb{E}_{z} \log\bigl(1 - D(G(z))\bigr) \\
    J^{(G)}_{\mathrm{minimax}} &= \tfrac12 \mathbb{E}_z \log\bigl(1 - D(G(z))\bigr) \\
    J^{(G)}_{\mathrm{non\text{-}saturating}} &= -\tfrac12 \mathbb{E}_z \log D(G(z)) \\
    J^{(G)}_{\mathrm{maximum\ likelihood}} &= -\tfrac12 \mathbb{E}_z
               \exp\bigl(\sigma^{-1}(D(G(z)))\bigr)

Every function takes logits, never probabilities: with
:math:`\log \sigma(a) = -\mathrm{softplus}(-a)`, :math:`\log(1 - \sigma(a)) = -\mathrm{softplus}(a)`
and :math:`\sigma^{-1}(D) = a`, each cost and each derivative is finite wherever its value is,
whereas :math:`D / (1 - D)` overflows as soon as :math:`D` rounds to 1. The factor
:math:`\tfrac12` of the tutorial is the default ``scale``; ``scale=1`` gives the usual sum of
two cross-entropies.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from beyond_mle._validation import Reduction, check_logits, check_reduction, reduce_values

__all__ = [
    "GENERATOR_LOSSES",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "discriminator_loss",
    "gan_value",
    "generator_loss",
    "generator_loss_grad",
    "maximum_likelihood_generator_loss",
    "minimax_generator_loss",
    "nonsaturating_generator_loss",
    "optimal_discriminator",
    "optimal_discriminator_logits",
]

#: The generator costs, by name, in the order the chapters draw them.
GENERATOR_LOSSES = ("minimax", "non-saturating", "maximum-likelihood")

Wrt = Literal["logits", "probs"]


def _check_scale(scale: float) -> None:
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")


def binary_cross_entropy(logits: Tensor, targets: Tensor | float) -> Tensor:
    r"""The binary cross-entropy of :math:`\hat y = \sigma(a)` against targets :math:`y`.

    .. math::
        \ell(a, y) = -y \log \hat y - (1 - y) \log(1 - \hat y)
                   = \mathrm{softplus}(a) - y\, a

    Args:
        logits: :math:`a`, any shape.
        targets: :math:`y \in [0, 1]`, broadcastable to ``logits`` (1 for real, 0 for fake).

    Returns:
        The loss of each element, the broadcast shape.

    Example:
        >>> round(binary_cross_entropy(torch.tensor(0.0), 1.0).item(), 4)  # log 2
        0.6931
    """
    check_logits(logits)
    targets = torch.as_tensor(targets, dtype=logits.dtype, device=logits.device)
    if ((targets < 0) | (targets > 1)).any():
        raise ValueError("targets must lie in [0, 1]")
    return F.softplus(logits) - targets * logits


def binary_cross_entropy_grad(
    logits: Tensor, targets: Tensor | float, *, wrt: Wrt = "logits"
) -> Tensor:
    r"""The closed-form derivative of :func:`binary_cross_entropy`, per element.

    .. math::
        \frac{\partial \ell}{\partial \hat y} = \frac{\hat y - y}{\hat y (1 - \hat y)}
            = -y\, e^{\mathrm{softplus}(-a)} + (1 - y)\, e^{\mathrm{softplus}(a)}, \qquad
        \frac{\partial \ell}{\partial a} = \hat y - y

    (the chain rule's factor :math:`\partial \hat y / \partial a = \hat y (1 - \hat y)` cancels
    the denominator).

    Args:
        logits: :math:`a`, any shape.
        targets: :math:`y \in [0, 1]`, broadcastable to ``logits``.
        wrt: ``"logits"`` for :math:`\partial \ell / \partial a`, ``"probs"`` for
            :math:`\partial \ell / \partial \hat y`.

    Returns:
        The derivative of each element, the broadcast shape.

    Example:
        >>> binary_cross_entropy_grad(torch.tensor(0.0), 1.0).item()
        -0.5
        >>> binary_cross_entropy_grad(torch.tensor(0.0), 1.0, wrt="probs").item()
        -2.0
    """
    if wrt not in ("logits", "probs"):
        raise ValueError(f"wrt must be 'logits' or 'probs', got {wrt!r}")
    check_logits(logits)
    targets = torch.as_tensor(targets, dtype=logits.dtype, device=logits.device)
    if ((targets < 0) | (targets > 1)).any():
        raise ValueError("targets must lie in [0, 1]")
    if wrt == "logits":
        return torch.sigmoid(logits) - targets
    # 1/y_hat = exp(softplus(-a)), 1/(1 - y_hat) = exp(softplus(a)): no 0 / 0 at either end
    return -targets * torch.exp(F.softplus(-logits)) + (1 - targets) * torch.exp(F.softplus(logits))


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor, *, scale: float = 0.5) -> Tensor:
    r"""The discriminator's cross-entropy :math:`J^{(D)}` on a batch of real and fake logits.

    .. math::
        J^{(D)} = -\tfrac12 \mathbb{E}_{x} \log D(x) - \tfrac12 \mathbb{E}_{z} \log(1 - D(G(z)))
                = \tfrac12 \overline{\mathrm{softplus}(-a_{\mathrm{real}})}
                + \tfrac12 \overline{\mathrm{softplus}(a_{\mathrm{fake}})}

    (eq. 8 of Goodfellow 2016): a binary cross-entropy with label 1 for data and 0 for samples,
    each expectation a mean over its batch.

    Args:
        real_logits: the discriminator's logits on data, shape ``(n_real,)`` (any shape).
        fake_logits: its logits on generated samples, shape ``(n_fake,)`` (any shape).
        scale: the factor of each mean, 1/2 in the tutorial.

    Returns:
        A scalar tensor.

    Example:
        >>> round(discriminator_loss(torch.zeros(3), torch.zeros(5)).item(), 4)  # log 2
        0.6931
    """
    check_logits(real_logits, "real_logits")
    check_logits(fake_logits, "fake_logits")
    _check_scale(scale)
    if real_logits.numel() == 0 or fake_logits.numel() == 0:
        raise ValueError("real_logits and fake_logits must not be empty")
    return scale * (F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean())


def minimax_generator_loss(
    fake_logits: Tensor, *, scale: float = 0.5, reduction: Reduction = "mean"
) -> Tensor:
    r"""The minimax generator cost :math:`J^{(G)} = -J^{(D)}` restricted to the samples' term.

    .. math::
        J^{(G)} = \tfrac12 \mathbb{E}_z \log\bigl(1 - D(G(z))\bigr)
                = -\tfrac12 \mathbb{E}_z\, \mathrm{softplus}(a), \qquad
        \frac{\partial J}{\partial a} = -\tfrac12 \sigma(a)

    (eq. 9 of Goodfellow 2016). The derivative vanishes as :math:`D(G(z)) \to 0`: the cost
    saturates when the discriminator rejects the samples confidently.

    Args:
        fake_logits: :math:`a = \sigma^{-1}(D(G(z)))`, any shape.
        scale: the factor, 1/2 in the tutorial.
        reduction: ``"mean"`` (the expectation over the batch), ``"sum"`` or ``"none"``.

    Returns:
        A scalar, or the cost of each sample (the shape of ``fake_logits``) with ``"none"``.

    Example:
        >>> round(minimax_generator_loss(torch.tensor([0.0])).item(), 4)  # log(1/2) / 2
        -0.3466
    """
    check_logits(fake_logits, "fake_logits")
    _check_scale(scale)
    check_reduction(reduction)
    return reduce_values(-scale * F.softplus(fake_logits), reduction)


def nonsaturating_generator_loss(
    fake_logits: Tensor, *, scale: float = 0.5, reduction: Reduction = "mean"
) -> Tensor:
    r"""The non-saturating generator cost: the cross-entropy with the labels flipped.

    .. math::
        J^{(G)} = -\tfrac12 \mathbb{E}_z \log D(G(z))
                = \tfrac12 \mathbb{E}_z\, \mathrm{softplus}(-a), \qquad
        \frac{\partial J}{\partial a} = -\tfrac12 \bigl(1 - \sigma(a)\bigr)

    (eq. 13 of Goodfellow 2016). Its derivative is largest where the samples are rejected.

    Args:
        fake_logits: :math:`a`, any shape.
        scale: the factor, 1/2 in the tutorial.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        A scalar, or the cost of each sample with ``"none"``.

    Example:
        >>> round(nonsaturating_generator_loss(torch.tensor([0.0])).item(), 4)
        0.3466
    """
    check_logits(fake_logits, "fake_logits")
    _check_scale(scale)
    check_reduction(reduction)
    return reduce_values(scale * F.softplus(-fake_logits), reduction)


def maximum_likelihood_generator_loss(
    fake_logits: Tensor, *, scale: float = 0.5, reduction: Reduction = "mean"
) -> Tensor:
    r"""The maximum-likelihood generator cost of Goodfellow (2016), eq. 15.

    .. math::
        J^{(G)} = -\tfrac12 \mathbb{E}_z \exp\bigl(\sigma^{-1}(D(G(z)))\bigr)
                = -\tfrac12 \mathbb{E}_z\, e^{a}, \qquad
        \frac{\partial J}{\partial a} = -\tfrac12 e^{a}

    With an optimal discriminator, :math:`e^{a} = D / (1 - D) = p_{\mathrm{data}} /
    p_{\mathrm{model}}`, and the expected gradient is that of :math:`\mathrm{KL}(p_{\mathrm{data}}
    \,\|\, p_{\mathrm{model}})`. It is computed as ``exp(a)``, never as ``D / (1 - D)``.

    Args:
        fake_logits: :math:`a`, any shape.
        scale: the factor, 1/2 in the tutorial.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        A scalar, or the cost of each sample with ``"none"``.

    Example:
        >>> maximum_likelihood_generator_loss(torch.tensor([0.0])).item()
        -0.5
    """
    check_logits(fake_logits, "fake_logits")
    _check_scale(scale)
    check_reduction(reduction)
    return reduce_values(-scale * torch.exp(fake_logits), reduction)


_LOSSES = {
    "minimax": minimax_generator_loss,
    "non-saturating": nonsaturating_generator_loss,
    "maximum-likelihood": maximum_likelihood_generator_loss,
}


def _check_kind(kind: str) -> None:
    if kind not in _LOSSES:
        raise ValueError(f"kind must be one of {', '.join(GENERATOR_LOSSES)}; got {kind!r}")


def generator_loss(
    fake_logits: Tensor, kind: str, *, scale: float = 0.5, reduction: Reduction = "mean"
) -> Tensor:
    """The generator cost named ``kind`` (one of :data:`GENERATOR_LOSSES`).

    Args:
        fake_logits: the discriminator's logits on generated samples, any shape.
        kind: ``"minimax"``, ``"non-saturating"`` or ``"maximum-likelihood"``.
        scale: the factor, 1/2 in the tutorial.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        What the named function returns.

    Example:
        >>> generator_loss(torch.tensor([0.0]), "maximum-likelihood").item()
        -0.5
    """
    _check_kind(kind)
    return _LOSSES[kind](fake_logits, scale=scale, reduction=reduction)


def generator_loss_grad(
    fake_logits: Tensor, kind: str, *, wrt: Wrt = "logits", scale: float = 0.5
) -> Tensor:
    r"""The closed-form derivative of one sample's generator cost.

    With respect to the logit :math:`a` and to :math:`D = \sigma(a)`:

    .. math::
        \begin{array}{lll}
        \text{minimax:} & \partial J / \partial a = -\tfrac12 \sigma(a),
            & \partial J / \partial D = -\tfrac12 (1 - D)^{-1} \\
        \text{non-saturating:} & \partial J / \partial a = -\tfrac12 \sigma(-a),
            & \partial J / \partial D = -\tfrac12 D^{-1} \\
        \text{maximum likelihood:} & \partial J / \partial a = -\tfrac12 e^{a},
            & \partial J / \partial D = -\tfrac12 (1 - D)^{-2}
        \end{array}

    with :math:`D^{-1} = e^{\mathrm{softplus}(-a)}` and
    :math:`(1 - D)^{-1} = e^{\mathrm{softplus}(a)}`, so that nothing divides by a rounded zero.

    Args:
        fake_logits: :math:`a`, any shape.
        kind: ``"minimax"``, ``"non-saturating"`` or ``"maximum-likelihood"``.
        wrt: ``"logits"`` or ``"probs"``.
        scale: the factor, 1/2 in the tutorial.

    Returns:
        The derivative of each sample's cost, the shape of ``fake_logits``.

    Example:
        >>> generator_loss_grad(torch.tensor(0.0), "non-saturating").item()
        -0.25
    """
    _check_kind(kind)
    if wrt not in ("logits", "probs"):
        raise ValueError(f"wrt must be 'logits' or 'probs', got {wrt!r}")
    check_logits(fake_logits, "fake_logits")
    _check_scale(scale)
    a = fake_logits
    if kind == "minimax":
        grad = torch.sigmoid(a) if wrt == "logits" else torch.exp(F.softplus(a))
    elif kind == "non-saturating":
        grad = torch.sigmoid(-a) if wrt == "logits" else torch.exp(F.softplus(-a))
    else:
        grad = torch.exp(a) if wrt == "logits" else torch.exp(2 * F.softplus(a))
    return -scale * grad


def optimal_discriminator(p_data: Tensor, p_model: Tensor) -> Tensor:
    r"""The discriminator that minimises :math:`J^{(D)}` for fixed densities.

    .. math::
        D^*(x) = \frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_{\mathrm{model}}(x)}

    (eq. 2 of Goodfellow et al. 2014, proposition 1), taken as 1/2 where both are 0.

    Args:
        p_data: the data's density or probabilities, any shape.
        p_model: the generator's, the same shape.

    Returns:
        :math:`D^*` at each point, the same shape.

    Example:
        >>> optimal_discriminator(torch.tensor([0.3, 0.0]), torch.tensor([0.1, 0.0])).tolist()
        [0.75, 0.5]
    """
    if p_data.shape != p_model.shape:
        raise ValueError(
            f"p_data and p_model must have the same shape, got {tuple(p_data.shape)} "
            f"and {tuple(p_model.shape)}"
        )
    if (p_data < 0).any() or (p_model < 0).any():
        raise ValueError("p_data and p_model must be non-negative")
    total = p_data + p_model
    return torch.where(total > 0, p_data / torch.where(total > 0, total, 1), 0.5)


def optimal_discriminator_logits(p_data: Tensor, p_model: Tensor) -> Tensor:
    r"""The logit of :func:`optimal_discriminator`: :math:`a^* = \log p_{\mathrm{data}} - \log
    p_{\mathrm{model}}`.

    It is :math:`\pm\infty` where only one density is 0, and 0 where both are. With
    :math:`a^*`, the maximum-likelihood cost's :math:`e^{a}` is the density ratio
    :math:`p_{\mathrm{data}} / p_{\mathrm{model}}`.

    Args:
        p_data: the data's density or probabilities, any shape.
        p_model: the generator's, the same shape.

    Returns:
        :math:`a^*` at each point, the same shape.

    Example:
        >>> optimal_discriminator_logits(torch.tensor([0.3, 0.0]), torch.tensor([0.1, 0.0]))
        tensor([1.0986, 0.0000])
    """
    optimal_discriminator(p_data, p_model)  # checks the arguments
    both_zero = (p_data == 0) & (p_model == 0)
    return torch.where(both_zero, 0.0, torch.log(p_data) - torch.log(p_model))


def gan_value(p_data: Tensor, p_model: Tensor, logits: Tensor, *, dim: int = -1) -> Tensor:
    r"""The value of the game :math:`V(G, D)` for discrete distributions on a common support.

    .. math::
        V(G, D) = \sum_x p_{\mathrm{data}}(x) \log D(x)
                + \sum_x p_{\mathrm{model}}(x) \log\bigl(1 - D(x)\bigr) = -2 J^{(D)}

    (eq. 1 of Goodfellow et al. 2014), with :math:`D = \sigma(a)` given by its logits. At
    :math:`a = a^*` (:func:`optimal_discriminator_logits`) it equals
    :math:`-2 \log 2 + 2\, \mathrm{JS}(p_{\mathrm{data}}, p_{\mathrm{model}})` (theorem 1).
    Terms with zero mass count 0, even where the logit is infinite.

    Args:
        p_data: probabilities, shape ``(..., n)`` (``n`` along ``dim``).
        p_model: probabilities, the same shape.
        logits: the discriminator's logits :math:`a(x)` on the support, the same shape.
        dim: the dimension that holds the support.

    Returns:
        The value, shape ``(...)``.

    Example:
        >>> p = torch.tensor([0.5, 0.5], dtype=torch.float64)
        >>> round(gan_value(p, p, torch.zeros(2, dtype=torch.float64)).item(), 4)  # -log 4
        -1.3863
    """
    if not p_data.shape == p_model.shape == logits.shape:
        raise ValueError("p_data, p_model and logits must have the same shape")
    if torch.isnan(logits).any():
        raise ValueError("logits must not contain NaN")
    # log D = -softplus(-a), log(1 - D) = -softplus(a); zero mass contributes 0
    real = torch.where(p_data > 0, -p_data * F.softplus(-logits), 0.0)
    fake = torch.where(p_model > 0, -p_model * F.softplus(logits), 0.0)
    return (real + fake).sum(dim)
