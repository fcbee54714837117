r"""The Wasserstein GAN: the critic's and the generator's losses and the 1-Lipschitz constraint.

Introduced in the chapter "The BCE loss of GANs", as the answer the forum thread "Problem with
BCE loss" gives to saturation. The critic :math:`f` outputs an unbounded score (no sigmoid), and
by the Kantorovich-Rubinstein duality the Wasserstein-1 distance is its best gap over
1-Lipschitz functions (Arjovsky et al. 2017, eq. 3):

.. math::
    W_1(p_{\mathrm{data}}, p_{\mathrm{model}})
        = \sup_{\|f\|_L \le 1}\; \mathbb{E}_{x \sim p_{\mathrm{data}}} f(x)
                              - \mathbb{E}_{z} f(G(z)).

The critic maximises the gap (:func:`critic_loss` is its negative) and the generator maximises
:math:`\mathbb{E}_z f(G(z))` (:func:`wasserstein_generator_loss` is its negative); neither loss
has a logarithm, so nothing saturates when the critic separates the two samples. The supremum is
over 1-Lipschitz critics, a constraint that a network meets only approximately: by clipping every
weight to :math:`[-c, c]` after each update (Arjovsky et al. 2017, algorithm 1,
:func:`clip_weights_`), or by penalising the norm of the critic's gradient on points between the
two samples (Gulrajani et al. 2017, eq. 3, :func:`gradient_penalty`). On a 1-D grid the best
critic is known in closed form (:func:`optimal_critic_on_grid`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import Tensor

from beyond_mle._validation import Reduction, check_logits, check_reduction, reduce_values

__all__ = [
    "clip_weights_",
    "critic_input_gradients",
    "critic_loss",
    "gradient_penalty",
    "interpolates",
    "optimal_critic_on_grid",
    "wasserstein_estimate",
    "wasserstein_generator_loss",
]

Critic = Callable[[Tensor], Tensor]


def _check_scores(real_scores: Tensor, fake_scores: Tensor) -> None:
    check_logits(real_scores, "real_scores")
    check_logits(fake_scores, "fake_scores")
    if real_scores.numel() == 0 or fake_scores.numel() == 0:
        raise ValueError("real_scores and fake_scores must not be empty")


def wasserstein_estimate(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""The critic's gap between data and samples: the dual estimate of :math:`W_1`.

    .. math::
        \widehat W = \overline{f(x)} - \overline{f(G(z))}

    It is :math:`W_1` when :math:`f` is an optimal 1-Lipschitz critic (Arjovsky et al. 2017,
    eq. 3), :math:`K\, W_1` at most for a :math:`K`-Lipschitz one.

    Args:
        real_scores: :math:`f(x)` on data, any shape.
        fake_scores: :math:`f(G(z))` on generated samples, any shape.

    Returns:
        A scalar tensor.

    Example:
        >>> x = torch.tensor([3.0, 5.0])
        >>> wasserstein_estimate(x, x - 2).item()  # the critic f(x) = x on a shift by 2
        2.0
    """
    _check_scores(real_scores, fake_scores)
    return real_scores.mean() - fake_scores.mean()


def critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""The critic's loss, the negative of :func:`wasserstein_estimate`.

    .. math::
        L_{\mathrm{critic}} = \overline{f(G(z))} - \overline{f(x)}

    The critic minimises it, that is maximises :math:`f(x) - f(G(z))` (the forum's "D(x) -
    D(G(z))", Arjovsky et al. 2017, algorithm 1). A Lipschitz constraint must come with it:
    alone, the loss is unbounded below (scale :math:`f` up).

    Args:
        real_scores: :math:`f(x)` on data, any shape.
        fake_scores: :math:`f(G(z))` on generated samples, any shape.

    Returns:
        A scalar tensor.

    Example:
        >>> critic_loss(torch.tensor([1.0, 3.0]), torch.tensor([0.0])).item()
        -2.0
    """
    return -wasserstein_estimate(real_scores, fake_scores)


def wasserstein_generator_loss(fake_scores: Tensor, *, reduction: Reduction = "mean") -> Tensor:
    r"""The generator's loss: minus the critic's mean score on its samples.

    .. math::
        L_G = -\mathbb{E}_z f(G(z)), \qquad \frac{\partial L_G}{\partial f(G(z))} = -1

    (Arjovsky et al. 2017, algorithm 1; the forum's generator loss "D(G(z))", maximised). Its
    derivative with respect to the critic's score is :math:`-1` whatever the score: the
    generator's gradient is the critic's slope :math:`\nabla_x f` at its samples, which a
    logarithm never scales down.

    Args:
        fake_scores: :math:`f(G(z))`, any shape.
        reduction: ``"mean"`` (the expectation over the batch), ``"sum"`` or ``"none"``.

    Returns:
        A scalar, or the loss of each sample (the shape of ``fake_scores``) with ``"none"``.

    Example:
        >>> wasserstein_generator_loss(torch.tensor([1.0, 2.0])).item()
        -1.5
    """
    check_logits(fake_scores, "fake_scores")
    check_reduction(reduction)
    return reduce_values(-fake_scores, reduction)


def clip_weights_(parameters: Iterable[Tensor], clip: float) -> None:
    r"""Clip every entry of ``parameters`` to :math:`[-c, c]`, in place.

    The constraint of Arjovsky et al. (2017), algorithm 1 (:math:`c = 0.01` there), applied
    after each of the critic's updates. The set of nets with weights in :math:`[-c, c]` is
    compact, so they are all :math:`K`-Lipschitz for one :math:`K` that depends on :math:`c`
    and the architecture; the critic then estimates :math:`K\, W_1`, not :math:`W_1`.

    Args:
        parameters: the critic's tensors (weights and biases), modified in place.
        clip: :math:`c > 0`.

    Example:
        >>> w = torch.nn.Parameter(torch.tensor([-0.5, 0.003, 0.2]))
        >>> clip_weights_([w], 0.01)
        >>> [round(v, 4) for v in w.tolist()]
        [-0.01, 0.003, 0.01]
    """
    if not clip > 0:
        raise ValueError(f"clip must be > 0, got {clip}")
    with torch.no_grad():
        for tensor in parameters:
            tensor.clamp_(-clip, clip)


def interpolates(real: Tensor, fake: Tensor, eps: Tensor) -> Tensor:
    r"""Points on the segments between paired data and samples.

    .. math::
        \hat x = \epsilon\, x + (1 - \epsilon)\, \tilde x

    (Gulrajani et al. 2017, algorithm 1), with one :math:`\epsilon` per pair.

    Args:
        real: data, shape ``(n, ...)``.
        fake: generated samples, the same shape.
        eps: :math:`\epsilon \in [0, 1]`, shape ``(n,)``.

    Returns:
        :math:`\hat x`, the shape of ``real``.

    Example:
        >>> interpolates(torch.tensor([[4.0]]), torch.tensor([[0.0]]), torch.tensor([0.25]))
        tensor([[1.]])
    """
    if real.shape != fake.shape or real.dim() < 1:
        raise ValueError(
            f"real and fake must have the same shape (n, ...), got {tuple(real.shape)} "
            f"and {tuple(fake.shape)}"
        )
    if eps.shape != real.shape[:1]:
        raise ValueError(f"eps must have shape ({real.shape[0]},), got {tuple(eps.shape)}")
    if ((eps < 0) | (eps > 1)).any():
        raise ValueError("eps must lie in [0, 1]")
    eps = eps.reshape(-1, *([1] * (real.dim() - 1))).to(real.dtype)  # (n, 1, ...)
    return eps * real + (1 - eps) * fake


def critic_input_gradients(critic: Critic, x: Tensor, *, create_graph: bool = False) -> Tensor:
    r"""The gradient of the critic's score with respect to its input, one per sample.

    .. math::
        g_i = \nabla_x f(x)\big|_{x = x_i}

    computed as the gradient of :math:`\sum_i f(x_i)`, which is exact for a critic that scores
    each sample on its own (no batch normalisation).

    Args:
        critic: maps ``(n, ...)`` to scores of shape ``(n,)``.
        x: the points, shape ``(n, ...)``.
        create_graph: keep the graph, so that a loss of the gradients can be backpropagated
            into the critic's parameters (the gradient penalty does).

    Returns:
        The gradients, the shape of ``x``.

    Example:
        >>> critic = lambda x: (3 * x).sum(-1)  # slope 3 everywhere
        >>> critic_input_gradients(critic, torch.zeros(2, 1)).tolist()
        [[3.0], [3.0]]
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        scores = critic(x)
        if scores.shape != x.shape[:1]:
            raise ValueError(f"critic must return shape ({x.shape[0]},), got {tuple(scores.shape)}")
        (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=create_graph)
    return grad


def gradient_penalty(
    critic: Critic,
    real: Tensor,
    fake: Tensor,
    *,
    eps: Tensor | None = None,
    generator: torch.Generator | None = None,
    one_sided: bool = False,
) -> Tensor:
    r"""The penalty on the critic's gradient norm between data and samples.

    .. math::
        P = \mathbb{E}_{\hat x}\bigl(\|\nabla_{\hat x} f(\hat x)\|_2 - 1\bigr)^2
        \qquad\text{or, one-sided,}\qquad
        \mathbb{E}_{\hat x} \max\bigl(0,\, \|\nabla_{\hat x} f(\hat x)\|_2 - 1\bigr)^2

    on the :func:`interpolates` :math:`\hat x` of the batch. The critic minimises
    :func:`critic_loss` :math:`+\, \lambda P` (Gulrajani et al. 2017, eq. 3, two-sided, with
    :math:`\lambda = 10`). The two-sided form also pulls slopes below 1 up, towards the critic's
    current sign: a critic that starts with the wrong slope can settle there (for a linear
    critic :math:`f(x) = s x` between point masses a distance :math:`\Delta` apart, the loss
    :math:`-s \Delta + \lambda (|s| - 1)^2` has a local minimum at :math:`s = \Delta / (2\lambda)
    - 1 < 0` whenever :math:`\Delta < 2 \lambda`); the one-sided form penalises only slopes
    above 1 and has no such minimum.

    The gradients are taken with ``create_graph=True``: the penalty is differentiable in the
    critic's parameters.

    Args:
        critic: maps ``(n, ...)`` to scores of shape ``(n,)``.
        real: data, shape ``(n, ...)``.
        fake: generated samples, the same shape (detached from the generator).
        eps: the interpolation weights, shape ``(n,)``; drawn uniformly from ``generator``
            when ``None``.
        generator: the random generator of ``eps``.
        one_sided: penalise only gradient norms above 1.

    Returns:
        A scalar tensor, :math:`P` without the factor :math:`\lambda`.

    Example:
        >>> critic = lambda x: (3 * x).sum(-1)  # slope 3: (3 - 1)^2 at every point
        >>> gradient_penalty(critic, torch.ones(4, 1), torch.zeros(4, 1)).item()
        4.0
    """
    if eps is None:
        eps = torch.rand(real.shape[0], generator=generator).to(real.device)
    points = interpolates(real.detach(), fake.detach(), eps)
    grad = critic_input_gradients(critic, points, create_graph=True)  # (n, ...)
    excess = grad.flatten(1).norm(dim=1) - 1  # (n,)
    if one_sided:
        excess = excess.clamp(min=0)
    return (excess**2).mean()


def optimal_critic_on_grid(p: Tensor, q: Tensor, support: Tensor) -> Tensor:
    r"""An optimal 1-Lipschitz critic between two distributions on a 1-D grid.

    With :math:`p` the data and :math:`q` the model, :math:`\sum_i (p_i - q_i) f(x_i) =
    \sum_i (F_q(x_i) - F_p(x_i)) (f(x_{i+1}) - f(x_i))` (summation by parts), so the critic
    with slope :math:`\mathrm{sign}(F_q - F_p)` on each interval attains

    .. math::
        \sum_i (p_i - q_i)\, f^*(x_i) = \sum_i \bigl|F_p(x_i) - F_q(x_i)\bigr| (x_{i+1} - x_i)
            = W_1(p, q),

    the bound of the Kantorovich-Rubinstein duality: the W-loss of this critic is exact. Its
    slope is :math:`\pm 1` wherever the CDFs differ, however far apart the distributions are.

    Args:
        p: the data's probabilities on ``support``, shape ``(..., n)``.
        q: the model's probabilities, the same shape.
        support: the points, strictly increasing, shape ``(n,)``.

    Returns:
        :math:`f^*` on the grid, 0 at the first point, shape ``(..., n)``.

    Example:
        >>> x = torch.arange(4, dtype=torch.float64)
        >>> p = torch.tensor([0, 0, 0, 1.0], dtype=torch.float64)  # data at 3
        >>> q = torch.tensor([1.0, 0, 0, 0], dtype=torch.float64)  # model at 0
        >>> optimal_critic_on_grid(p, q, x).tolist()
        [0.0, 1.0, 2.0, 3.0]
    """
    if support.dim() != 1 or support.numel() < 2:
        raise ValueError(f"support must be a 1-D grid of >= 2 points, got {tuple(support.shape)}")
    if p.shape != q.shape or p.shape[-1] != support.numel():
        raise ValueError(
            f"p and q must have the same shape (..., {support.numel()}), got {tuple(p.shape)} "
            f"and {tuple(q.shape)}"
        )
    if (support.diff() <= 0).any():
        raise ValueError("support must be strictly increasing")
    slope = torch.sign(q.cumsum(-1) - p.cumsum(-1))[..., :-1]  # on [x_i, x_{i+1}), (..., n-1)
    steps = slope * support.diff().to(slope.dtype)
    return torch.cat([torch.zeros_like(steps[..., :1]), steps.cumsum(-1)], -1)
