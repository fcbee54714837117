r"""Scheduled sampling and its objective: the methods of "Scheduled sampling is improper".

Everything here is exact where it can be:

* **Sequences of length two** (Huszár 2015, 'Critique to scheduled sampling'). A joint
  :math:`P(x_1, x_2)` is a ``(V, V)`` matrix. Maximum likelihood minimises
  :math:`D_{\mathrm{ML}} = \mathrm{KL}(P \,\|\, Q)` (:func:`ml_divergence`); scheduled sampling
  (Bengio et al. 2015) feeds the model, in place of the true first token, a token :math:`z`
  drawn from the model itself with probability :math:`1 - \epsilon`, but keeps the true second
  token as the target, and so minimises :math:`D_{\mathrm{SS}}` of
  :func:`scheduled_sampling_divergence`, a KL to the target of
  :func:`scheduled_sampling_target` up to :func:`scheduled_sampling_constant`, whose minimiser
  (:func:`scheduled_sampling_minimiser`, found by optimisation in
  :func:`scheduled_sampling_fixed_point`) slides from :math:`P` to the factorised
  :math:`P_{x_1} P_{x_2}` as :math:`\epsilon` goes from 1 to 0. Its :math:`\epsilon = 0` end is
  Huszár's improper :math:`D_{\mathrm{alternative}}` (:func:`alternative_divergence`); the
  book's proper variant, which scores the data's continuation of the model's prefix, is
  :func:`model_prefix_divergence`.
* **Sequences of many tokens**: :func:`scheduled_sampling_loss`, the loss of a batch for a
  :class:`~beyond_mle.models.gru.GRULanguageModel`, and :class:`MarkovSource`, a random Markov
  chain whose log-probability and entropy of any sequence are exact, so that the true
  :math:`\mathrm{KL}(P \,\|\, Q)` and :math:`\mathrm{KL}(Q \,\|\, P)` of a trained model can be
  measured without bias.

The two directions of KL and the generalised :math:`\mathrm{JS}_\pi` are in
:mod:`beyond_mle.divergences`; the chapter's experiments (GRUs trained on a Markov source, the
GAN with a discriminator prior) in :mod:`beyond_mle.chapters.scheduled_sampling`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from beyond_mle.divergences import check_distribution, kl_divergence
from beyond_mle.models.gru import GRULanguageModel

__all__ = [
    "MarkovSource",
    "alternative_divergence",
    "minimise_joint",
    "ml_divergence",
    "model_prefix_divergence",
    "random_joint",
    "scheduled_sampling_constant",
    "scheduled_sampling_divergence",
    "scheduled_sampling_fixed_point",
    "scheduled_sampling_loss",
    "scheduled_sampling_minimiser",
    "scheduled_sampling_target",
    "split_joint",
]


# ----------------------------------------------------------------------------------------------
# Sequences of length two
# ----------------------------------------------------------------------------------------------


def _check_joint(joint: Tensor, name: str) -> None:
    if joint.dim() != 2 or joint.shape[0] != joint.shape[1] or joint.shape[0] < 1:
        raise ValueError(f"{name} must be a square (V, V) joint, got shape {tuple(joint.shape)}")
    check_distribution(joint.reshape(-1), name)


def _check_epsilon(epsilon: float) -> None:
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")


def split_joint(joint: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    r"""The marginals and the conditional of a joint :math:`P(x_1, x_2)`.

    Args:
        joint: :math:`P(x_1, x_2)`, shape ``(V, V)``, rows indexed by :math:`x_1`.

    Returns:
        ``(first, second, conditional)``: :math:`P_{x_1}` and :math:`P_{x_2}`, shape ``(V,)``,
        and :math:`P_{x_2 | x_1}`, shape ``(V, V)`` (a row of zeros where
        :math:`P_{x_1} = 0`).

    Example:
        >>> first, second, cond = split_joint(torch.tensor([[0.5, 0.0], [0.25, 0.25]]))
        >>> first.tolist(), second.tolist(), cond[1].tolist()
        ([0.5, 0.5], [0.75, 0.25], [0.5, 0.5])
    """
    first, second = joint.sum(1), joint.sum(0)  # (V,), (V,)
    safe = torch.where(first > 0, first, torch.ones_like(first))
    return first, second, joint / safe[:, None]


def random_joint(vocab: int, *, concentration: float = 0.5, generator: torch.Generator) -> Tensor:
    r"""A random joint over pairs, every entry drawn from a Dirichlet of the given concentration.

    Args:
        vocab: :math:`V \ge 2`.
        concentration: the Dirichlet's parameter (> 0); small values give peaked conditionals,
            so that :math:`x_2` depends strongly on :math:`x_1`.
        generator: the random numbers.

    Returns:
        :math:`P(x_1, x_2)`, float64, shape ``(V, V)``, every entry positive.
    """
    if vocab < 2:
        raise ValueError(f"vocab must be >= 2, got {vocab}")
    if not concentration > 0:
        raise ValueError(f"concentration must be > 0, got {concentration}")
    alpha = torch.full((vocab, vocab), concentration, dtype=torch.float64)
    gamma = _gamma(alpha, generator).clamp_min(1e-12)  # Dirichlet = normalised Gamma draws
    return gamma / gamma.sum()


def ml_divergence(p: Tensor, q: Tensor) -> Tensor:
    r"""The maximum-likelihood divergence of length-two sequences, :math:`D_{\mathrm{ML}}`.

    .. math::
        D_{\mathrm{ML}}[P \,\|\, Q] = \mathrm{KL}[P \,\|\, Q]
          = \mathrm{KL}[P_{x_1} \,\|\, Q_{x_1}]
          + \mathbb{E}_{z \sim P_{x_1}} \mathrm{KL}[P_{x_2 | x_1 = z} \,\|\, Q_{x_2 | x_1 = z}]

    (Huszár 2015, 'Critique to scheduled sampling', :math:`D_{ML}`; the chain rule of KL).

    Args:
        p: the data's joint, shape ``(V, V)``.
        q: the model's joint, shape ``(V, V)``.

    Returns:
        A scalar, in nats.
    """
    _check_joint(p, "p")
    _check_joint(q, "q")
    return kl_divergence(p.reshape(-1), q.reshape(-1))


def alternative_divergence(p: Tensor, q: Tensor) -> Tensor:
    r"""Huszár's :math:`D_{\mathrm{alternative}}`: the model's prefix, the data's marginal target.

    .. math::
        D_{\mathrm{alternative}}[P \,\|\, Q] = \mathrm{KL}[P_{x_1} \,\|\, Q_{x_1}]
          + \mathbb{E}_{z \sim Q_{x_1}} \mathrm{KL}[P_{x_2} \,\|\, Q_{x_2 | x_1 = z}]

    (Huszár 2015, 'Critique to scheduled sampling', the second line of
    :math:`D_{\mathrm{alternative}}`). It is the objective of scheduled sampling when every
    prefix is the model's own sample: the :math:`\epsilon = 0` end of
    :func:`scheduled_sampling_divergence`. The target :math:`x_2`
    was drawn with the data's :math:`x_1`, independently of the fed :math:`z`, so it is scored
    against the marginal :math:`P_{x_2}`. It is *improper*: it is 0 at the factorised
    :math:`Q = P_{x_1} P_{x_2}` and at the data's :math:`P` it is
    :math:`\mathbb{E}_{z \sim P_{x_1}} \mathrm{KL}[P_{x_2} \,\|\, P_{x_2 | x_1 = z}] > 0` unless
    the two tokens are independent. The first line of the source,
    :math:`\mathbb{E}_{y \sim P_{x_1}} \mathbb{E}_{z \sim Q_{x_1}} \mathrm{KL}[P_{x_2 | x_1 = y}
    \,\|\, Q_{x_2 | x_1 = z}]`, exceeds this second term by the mutual information
    :math:`I(x_1; x_2)` of the data, a constant of :math:`P`. The proper variant that scores the
    data's continuation of the model's prefix is :func:`model_prefix_divergence`.

    Args:
        p: the data's joint, shape ``(V, V)``.
        q: the model's joint, shape ``(V, V)``.

    Returns:
        A scalar, in nats.

    Example:
        >>> p = torch.tensor([[0.4, 0.1], [0.1, 0.4]], dtype=torch.float64)
        >>> factorised = torch.full((2, 2), 0.25, dtype=torch.float64)
        >>> round(alternative_divergence(p, factorised).item(), 6)  # the factorised joint: 0
        0.0
        >>> round(alternative_divergence(p, p).item(), 4)  # the data: KL[(.5, .5) || (.8, .2)]
        0.2231
    """
    return scheduled_sampling_divergence(p, q, 0.0)


def model_prefix_divergence(p: Tensor, q: Tensor) -> Tensor:
    r"""The book's proper variant: the data's *conditional* scored at the model's own prefixes.

    .. math::
        D_{\mathrm{prefix}}[P \,\|\, Q] = \mathrm{KL}[P_{x_1} \,\|\, Q_{x_1}]
          + \mathbb{E}_{z \sim Q_{x_1}} \mathrm{KL}[P_{x_2 | x_1 = z} \,\|\, Q_{x_2 | x_1 = z}]

    Not in Huszár (2015): the objective one may have hoped scheduled sampling minimises, which
    feeds the model's prefix :math:`z` and asks for the data's continuation *of* :math:`z`. It
    is a proper divergence when :math:`P` gives every first token positive mass: both terms
    are non-negative, and they vanish together only at :math:`Q = P` (the first forces
    :math:`Q_{x_1} = P_{x_1}`, and then the second every conditional). Scheduled sampling
    cannot minimise it from data: a training pair holds the data's continuation of the data's
    :math:`x_1`, not of :math:`z`.

    Args:
        p: the data's joint, shape ``(V, V)``, every row of positive mass.
        q: the model's joint, shape ``(V, V)``.

    Returns:
        A scalar, in nats.

    Example:
        >>> p = torch.tensor([[0.4, 0.1], [0.1, 0.4]], dtype=torch.float64)
        >>> factorised = torch.full((2, 2), 0.25, dtype=torch.float64)
        >>> round(model_prefix_divergence(p, p).item(), 6)
        0.0
        >>> round(model_prefix_divergence(p, factorised).item(), 4)  # KL[(.8, .2) || (.5, .5)]
        0.1927
    """
    _check_joint(p, "p")
    _check_joint(q, "q")
    p1, _, p_cond = split_joint(p)
    q1, _, q_cond = split_joint(q)
    if (p1 <= 0).any():
        raise ValueError("p must give every first token positive mass")
    return kl_divergence(p1, q1) + (q1 * _row_kl(p_cond, q_cond)).sum()


def _row_kl(p_rows: Tensor, q_rows: Tensor) -> Tensor:
    """KL between matching rows, shape ``(V,)``; 0 log 0 = 0."""
    return (torch.xlogy(p_rows, p_rows) - torch.xlogy(p_rows, q_rows)).sum(-1)


def scheduled_sampling_divergence(
    p: Tensor, q: Tensor, epsilon: float, *, prefix_probs: Tensor | None = None
) -> Tensor:
    r"""The expected scheduled-sampling loss of length-two sequences, as a divergence.

    A pair :math:`(x_1, x_2) \sim P` is drawn; the model scores :math:`x_1`, then is fed
    :math:`z = x_1` with probability :math:`\epsilon` and :math:`z \sim Q_{x_1}` otherwise, and
    scores :math:`x_2` given :math:`z`. The expected loss, less the entropy of the targets, is

    .. math::
        D_{\mathrm{SS}}[P \,\|\, Q] = \mathrm{KL}[P_{x_1} \,\|\, Q_{x_1}]
          + \epsilon\, \mathbb{E}_{z \sim P_{x_1}}
              \mathrm{KL}[P_{x_2 | x_1 = z} \,\|\, Q_{x_2 | x_1 = z}]
          + (1 - \epsilon)\, \mathbb{E}_{z \sim Q_{x_1}}
              \mathrm{KL}[P_{x_2} \,\|\, Q_{x_2 | x_1 = z}]

    (Huszár 2015, 'Critique to scheduled sampling', the first line of :math:`D_{SS}`): when the
    prefix is the model's, it is independent of the target,
    whose distribution is the marginal :math:`P_{x_2}`. :math:`\epsilon = 1` is
    :math:`D_{\mathrm{ML}}`.

    Args:
        p: the data's joint, shape ``(V, V)``.
        q: the model's joint, shape ``(V, V)``.
        epsilon: the probability :math:`\epsilon` of feeding the true first token, in [0, 1].
        prefix_probs: the distribution of the sampled prefix, shape ``(V,)``; ``None`` for the
            model's own :math:`Q_{x_1}`, differentiated like the rest. Pass
            ``q.sum(1).detach()`` for the gradient of the procedure, which does not
            differentiate through the sample.

    Returns:
        A scalar, in nats.

    Example:
        >>> p = torch.tensor([[0.4, 0.1], [0.1, 0.4]], dtype=torch.float64)
        >>> factorised = torch.full((2, 2), 0.25, dtype=torch.float64)
        >>> round(scheduled_sampling_divergence(p, factorised, 0.0).item(), 6)  # P_x2 = 1/2
        0.0
    """
    _check_joint(p, "p")
    _check_joint(q, "q")
    _check_epsilon(epsilon)
    p1, p2, p_cond = split_joint(p)
    q1, _, q_cond = split_joint(q)
    prefix = q1 if prefix_probs is None else prefix_probs
    if prefix_probs is not None:
        check_distribution(prefix_probs, "prefix_probs")
    teacher = (p1 * _row_kl(p_cond, q_cond)).sum()  # E_{z ~ P_x1} KL[P_x2|z || Q_x2|z]
    sampled = (prefix * _row_kl(p2.expand_as(q_cond), q_cond)).sum()  # E_{z ~ Q_x1} KL[P_x2 || .]
    return kl_divergence(p1, q1) + epsilon * teacher + (1 - epsilon) * sampled


def scheduled_sampling_target(
    p: Tensor, epsilon: float, *, prefix_probs: Tensor | None = None
) -> Tensor:
    r"""The joint :math:`\tilde P_\epsilon` whose KL to the model scheduled sampling minimises.

    .. math::
        \tilde P_\epsilon(x_1, x_2) = P_{x_1}(x_1) \Bigl(\epsilon P_{x_2 | x_1}(x_2 | x_1)
            + (1 - \epsilon) \frac{R(x_1)}{P_{x_1}(x_1)} P_{x_2}(x_2)\Bigr)
          = \epsilon P(x_1, x_2) + (1 - \epsilon) R(x_1) P_{x_2}(x_2)

    (Huszár 2015, 'Critique to scheduled sampling', the last line of :math:`D_{SS}`, with
    :math:`R = Q_{x_1}` the distribution of the sampled prefix; the source's middle line prints
    the weight of :math:`P_{x_2}` as :math:`Q_{x_1}(z) / Q_{x_1}(z)`, its last line as
    :math:`(1 - \epsilon)\, Q_{x_1} / P_{x_1}`, which this follows).
    Its first marginal is :math:`\epsilon P_{x_1} + (1 - \epsilon) R`; when :math:`R = P_{x_1}`
    it is :math:`P_{x_1}`, and :math:`\tilde P_\epsilon = \epsilon P + (1 - \epsilon) P_{x_1}
    P_{x_2}`, the minimiser of :func:`scheduled_sampling_minimiser`.

    Args:
        p: the data's joint, shape ``(V, V)``.
        epsilon: the probability of feeding the true first token, in [0, 1].
        prefix_probs: :math:`R`, shape ``(V,)``; ``None`` for :math:`P_{x_1}`.

    Returns:
        :math:`\tilde P_\epsilon`, shape ``(V, V)``, summing to 1.
    """
    _check_joint(p, "p")
    _check_epsilon(epsilon)
    p1, p2, _ = split_joint(p)
    prefix = p1 if prefix_probs is None else prefix_probs
    if prefix_probs is not None:
        check_distribution(prefix_probs, "prefix_probs")
    return epsilon * p + (1 - epsilon) * prefix[:, None] * p2[None, :]


def scheduled_sampling_constant(p: Tensor, epsilon: float) -> Tensor:
    r"""The constant :math:`C` of :math:`D_{\mathrm{SS}} = \mathrm{KL}[\tilde P_\epsilon \,\|\,
    Q] + C`, which holds for every :math:`Q` whose first marginal is the prefix's distribution
    :math:`P_{x_1}`.

    .. math::
        C = \mathbb{E}_{z \sim P_{x_1}} H\bigl[\epsilon P_{x_2 | x_1 = z}
              + (1 - \epsilon) P_{x_2}\bigr]
            - \epsilon\, H[X_2 \mid X_1] - (1 - \epsilon)\, H[X_2] \;\ge\; 0,

    a Jensen gap of the entropy, 0 at :math:`\epsilon \in \{0, 1\}`.

    Args:
        p: the data's joint, shape ``(V, V)``.
        epsilon: in [0, 1].

    Returns:
        A scalar, in nats.
    """
    _check_joint(p, "p")
    _check_epsilon(epsilon)
    p1, p2, p_cond = split_joint(p)
    mixed = epsilon * p_cond + (1 - epsilon) * p2[None, :]  # (V, V), rows of P~_{x2|x1}

    def entropy(rows: Tensor) -> Tensor:
        return -torch.xlogy(rows, rows).sum(-1)

    conditional_entropy = (p1 * entropy(p_cond)).sum()
    return (p1 * entropy(mixed)).sum() - epsilon * conditional_entropy - (1 - epsilon) * entropy(p2)


def scheduled_sampling_minimiser(p: Tensor, epsilon: float) -> Tensor:
    r"""The fixed point of scheduled sampling on length-two sequences, in closed form.

    .. math::
        Q^*_\epsilon = \epsilon\, P + (1 - \epsilon)\, P_{x_1} P_{x_2}

    The first term of :math:`D_{\mathrm{SS}}` sets :math:`Q_{x_1} = P_{x_1}`; with the prefix
    drawn from it, each conditional :math:`Q_{x_2 | x_1 = z}` minimises a cross-entropy
    against the mixture :math:`\epsilon P_{x_2 | x_1 = z} + (1 - \epsilon) P_{x_2}`. At
    :math:`\epsilon = 1` it is :math:`P`; at :math:`\epsilon = 0` the factorised
    :math:`P_{x_1} P_{x_2}`, which ignores the prefix.

    Args:
        p: the data's joint, shape ``(V, V)``.
        epsilon: in [0, 1].

    Returns:
        :math:`Q^*_\epsilon`, shape ``(V, V)``.
    """
    return scheduled_sampling_target(p, epsilon)


def minimise_joint(
    objective: Callable[[Tensor], Tensor],
    vocab: int,
    *,
    init: Tensor | None = None,
    max_iter: int = 500,
) -> Tensor:
    """Minimise ``objective(q)`` over joints ``q = softmax(logits)`` of shape ``(V, V)`` by L-BFGS.

    Args:
        objective: maps a joint, float64 ``(V, V)``, to a scalar tensor.
        vocab: :math:`V`.
        init: the starting joint (the uniform one when ``None``).
        max_iter: L-BFGS iterations (>= 1).

    Returns:
        The minimising joint, shape ``(V, V)``, detached.
    """
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    start = torch.zeros(vocab * vocab, dtype=torch.float64) if init is None else init.log()
    logits = start.reshape(-1).clone().requires_grad_()
    optimiser = torch.optim.LBFGS(
        [logits], max_iter=max_iter, line_search_fn="strong_wolfe",
        tolerance_grad=1e-12, tolerance_change=1e-15,
    )  # fmt: skip

    def closure() -> Tensor:
        optimiser.zero_grad()
        loss = objective(torch.softmax(logits, -1).reshape(vocab, vocab))
        loss.backward()
        return loss

    optimiser.step(closure)
    return torch.softmax(logits.detach(), -1).reshape(vocab, vocab)


def scheduled_sampling_fixed_point(p: Tensor, epsilon: float, *, rounds: int = 3) -> Tensor:
    r"""Where scheduled sampling on length-two sequences converges, found by optimisation.

    The procedure draws the prefix from the model but does not differentiate through the draw:
    its expected gradient is that of :math:`D_{\mathrm{SS}}` with the prefix's distribution
    :math:`R` held fixed. Each round sets :math:`R` to the current :math:`Q_{x_1}` and minimises
    :func:`scheduled_sampling_divergence` over the joint by L-BFGS (:func:`minimise_joint`),
    starting from the uniform joint; a fixed point :math:`Q = \arg\min_Q D_{\mathrm{SS}}(Q; R =
    Q_{x_1})` is what the procedure's updates leave unchanged.

    Args:
        p: the data's joint, shape ``(V, V)``.
        epsilon: in [0, 1].
        rounds: updates of :math:`R` (>= 1).

    Returns:
        The fixed point, shape ``(V, V)``.
    """
    _check_joint(p, "p")
    _check_epsilon(epsilon)
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    vocab = p.shape[0]
    q = torch.full_like(p, 1.0 / vocab**2)
    for _ in range(rounds):
        prefix = q.sum(1)

        def objective(joint: Tensor, prefix: Tensor = prefix) -> Tensor:
            return scheduled_sampling_divergence(p, joint, epsilon, prefix_probs=prefix)

        q = minimise_joint(objective, vocab)
    return q


# ----------------------------------------------------------------------------------------------
# Sequences of many tokens: a Markov source and the scheduled-sampling loss of a language model
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkovSource:
    r"""A first-order Markov chain over ``V`` tokens: :math:`P(x) = \pi_0(x_1)\prod_t
    A(x_{t-1}, x_t)`.

    Attributes:
        initial: :math:`\pi_0`, shape ``(V,)``.
        transition: :math:`A`, rows summing to 1, shape ``(V, V)``.
    """

    initial: Tensor
    transition: Tensor

    def __post_init__(self) -> None:
        check_distribution(self.initial, "initial")
        check_distribution(self.transition, "transition")
        if self.transition.shape != (self.initial.numel(), self.initial.numel()):
            raise ValueError(
                f"transition must have shape (V, V) = {(self.initial.numel(),) * 2}, "
                f"got {tuple(self.transition.shape)}"
            )

    @classmethod
    def random(
        cls, vocab: int, *, concentration: float = 0.3, generator: torch.Generator
    ) -> MarkovSource:
        """A chain whose rows are Dirichlet draws of ``concentration`` (small: peaked rows).

        Example:
            >>> src = MarkovSource.random(5, generator=torch.Generator().manual_seed(0))
            >>> src.sample(3, 7, generator=torch.Generator().manual_seed(1)).shape
            torch.Size([3, 7])
        """
        if vocab < 2:
            raise ValueError(f"vocab must be >= 2, got {vocab}")
        if not concentration > 0:
            raise ValueError(f"concentration must be > 0, got {concentration}")
        # Dirichlet draws as normalised Gamma draws, from ``generator``
        alpha = torch.full((vocab + 1, vocab), concentration, dtype=torch.float64)
        gamma = _gamma(alpha, generator)
        rows = gamma / gamma.sum(-1, keepdim=True)
        initial = torch.full((vocab,), 1.0 / vocab, dtype=torch.float64)
        return cls(initial=initial, transition=rows[1:])

    @property
    def vocab(self) -> int:
        """The number of tokens :math:`V`."""
        return self.initial.numel()

    def sample(self, n: int, length: int, *, generator: torch.Generator) -> Tensor:
        """``n`` sequences of ``length`` tokens, shape ``(n, length)``, dtype long."""
        if n < 1 or length < 1:
            raise ValueError(f"n and length must be >= 1, got {n} and {length}")
        tokens = torch.empty(n, length, dtype=torch.long)
        tokens[:, 0] = torch.multinomial(self.initial.expand(n, -1), 1, generator=generator)[:, 0]
        for t in range(1, length):
            rows = self.transition[tokens[:, t - 1]]  # (n, V)
            tokens[:, t] = torch.multinomial(rows, 1, generator=generator)[:, 0]
        return tokens

    def log_prob(self, tokens: Tensor) -> Tensor:
        """The exact :math:`\\log P(x)` of each sequence, shape ``(n,)``, float64."""
        log_a = self.transition.log()
        first = self.initial.log()[tokens[:, 0]]  # (n,)
        steps = log_a[tokens[:, :-1], tokens[:, 1:]].sum(-1)  # (n,)
        return first + steps

    def entropy(self, length: int) -> float:
        r"""The exact entropy :math:`H(P)` of sequences of ``length`` tokens, in nats.

        .. math::
            H(P) = H(\pi_0) + \sum_{t=2}^{T} \sum_x P(x_{t-1} = x)\, H(A_{x \cdot})
        """
        if length < 1:
            raise ValueError(f"length must be >= 1, got {length}")
        row_entropy = -torch.xlogy(self.transition, self.transition).sum(-1)  # (V,)
        marginal = self.initial
        total = -torch.xlogy(marginal, marginal).sum()
        for _ in range(1, length):
            total = total + (marginal * row_entropy).sum()
            marginal = marginal @ self.transition
        return float(total)

    def factorised_kl(self, length: int) -> float:
        r"""The KL from the source to the product of its per-position marginals, in nats.

        .. math::
            \mathrm{KL}\Bigl[P \,\Big\|\, \prod_t P_{x_t}\Bigr] = \sum_{t=1}^{T} H(P_{x_t}) - H(P)

        The many-token analogue of :math:`\mathrm{KL}[P \| P_{x_1} P_{x_2}]`: the best a model
        that ignores its prefix can do.
        """
        marginal, total = self.initial, 0.0
        for _ in range(length):
            total += float(-torch.xlogy(marginal, marginal).sum())
            marginal = marginal @ self.transition
        return total - self.entropy(length)


def _gamma(alpha: Tensor, generator: torch.Generator) -> Tensor:
    """Gamma(alpha, 1) draws through ``generator`` (Marsaglia-Tsang with the boost for alpha < 1).

    ``torch._standard_gamma`` takes no generator; this keeps the source reproducible from its
    own generator whatever else uses the global one.
    """
    boosted = alpha + 1.0  # Gamma(a) = Gamma(a + 1) * U^(1/a)
    d = boosted - 1.0 / 3.0
    c = 1.0 / torch.sqrt(9.0 * d)
    out = torch.empty_like(alpha)
    todo = torch.ones_like(alpha, dtype=torch.bool)
    while todo.any():
        x = torch.randn(alpha.shape, dtype=alpha.dtype, generator=generator)
        u = torch.rand(alpha.shape, dtype=alpha.dtype, generator=generator)
        v = (1 + c * x) ** 3
        ok = (v > 0) & (torch.log(u.clamp_min(1e-300)) < 0.5 * x**2 + d - d * v + d * torch.log(
            v.clamp_min(1e-300)))  # fmt: skip
        take = todo & ok
        out[take] = (d * v)[take]
        todo &= ~ok
    u = torch.rand(alpha.shape, dtype=alpha.dtype, generator=generator).clamp_min(1e-300)
    return out * u ** (1.0 / alpha)


def scheduled_sampling_loss(
    model: GRULanguageModel, tokens: Tensor, epsilon: float, *, generator: torch.Generator
) -> Tensor:
    r"""The scheduled-sampling loss of a batch (Bengio et al. 2015, section 2.4).

    At each position :math:`t \ge 2` a coin of bias :math:`\epsilon` decides whether the model
    is fed the true token :math:`x_{t-1}` or a token sampled from its own prediction at
    :math:`t - 1` (no gradient flows through the draw); the target is always the true
    :math:`x_t`:

    .. math::
        \ell = -\frac1B \sum_b \sum_t \log Q(x_t \mid \tilde x_{<t}), \qquad
        \tilde x_{t-1} = \begin{cases} x_{t-1} & \text{with probability } \epsilon \\
        \hat x_{t-1} \sim Q(\cdot \mid \tilde x_{<t-1}) & \text{otherwise.} \end{cases}

    With :math:`\epsilon = 1` it is the teacher-forced negative log-likelihood,
    :math:`-\frac1B \sum_b \log Q(x^{(b)})`.

    Args:
        model: the language model.
        tokens: true sequences, shape ``(B, T)``.
        epsilon: the probability of feeding the true token, in [0, 1].
        generator: the random numbers of the coins and the draws (CPU).

    Returns:
        The mean loss per sequence, a scalar.
    """
    _check_epsilon(epsilon)
    batch, length = tokens.shape
    device = tokens.device
    inputs = torch.full((batch,), model.bos, dtype=torch.long, device=device)
    state, total = None, tokens.new_zeros((), dtype=torch.float32)
    for t in range(length):
        logits, state = model.step(inputs, state)  # (B, V)
        total = total + F.cross_entropy(logits, tokens[:, t], reduction="sum")
        if t + 1 == length:
            break
        truth = tokens[:, t]
        if epsilon >= 1.0:
            inputs = truth
            continue
        probs = torch.softmax(logits.detach().double(), -1).cpu()
        sampled = torch.multinomial(probs, 1, generator=generator)[:, 0].to(device)
        coin = (torch.rand(batch, generator=generator) < epsilon).to(device)  # True: the truth
        inputs = torch.where(coin, truth, sampled)
    return total / batch
