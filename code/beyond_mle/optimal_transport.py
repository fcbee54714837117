r"""Optimal transport between token sets: batched IPOT, entropic Sinkhorn and the OT sequence loss.

Introduced in the chapter "Optimal transport for sequence learning" (Chen et al. 2019, who
compute the transport with the IPOT method of Xie et al. 2020). For a cost matrix
:math:`C \in \mathbb{R}^{n \times m}` and marginals :math:`a \in \Delta_n`, :math:`b \in \Delta_m`
the (exact) optimal transport distance is the linear program

.. math::
    W(a, b; C) = \min_{T \in \Pi(a, b)} \langle T, C \rangle, \qquad
    \Pi(a, b) = \{T \ge 0 : T \mathbf{1}_m = a,\ T^\top \mathbf{1}_n = b\}.

**IPOT** (inexact proximal point, Algorithm 1 of Xie et al.; Algorithm 1 of Chen et al.)
solves it by proximal point steps with the KL divergence as the proximity,
:math:`T^{(t+1)} = \arg\min_{T \in \Pi(a, b)} \langle T, C \rangle + \beta\,
\mathrm{KL}(T \,\|\, T^{(t)})`. Each step is an entropic problem with kernel
:math:`Q = e^{-C/\beta} \odot T^{(t)}`, solved inexactly by ``inner_steps`` Sinkhorn updates
(one, in practice). In exact arithmetic its fixed points are the exact optimum for any
:math:`\beta > 0`, so the entropic bias vanishes as the iterations go on. What holds
numerically: :math:`\beta` is in the cost's units (scaling ``cost`` and ``beta`` together,
or shifting a row of ``cost``, leaves every iterate unchanged to round-off), and the
iterations needed grow with the cost's range over :math:`\beta`. With :math:`\beta` 1/100 of
the range, 3,000 iterations reach POT's exact ``ot.emd2`` within :math:`10^{-4}` relative on
POT's own stabilisation problem at every scale and offset the tests try (largest costs from 1
to :math:`10^7`, offsets up to :math:`10^6`); with :math:`\beta` 1/20,000 of the range (the
default 0.5 on costs up to :math:`10^4`), 50 iterations are far off (a warning says so) and
5,000 still more than :math:`10^{-3}`. The updates run as the authors write them while
:math:`e^{-C/\beta}` stays well inside the floating range, and on logarithms otherwise (the
same iterates; nothing under- or overflows).

**Costs and marginals.** A ``+inf`` cost marks a forbidden pair, which gets no mass (as in
POT's ``ot.emd``); NaN and ``-inf`` costs are errors. The marginals ``a`` and ``b`` need not sum
to 1, but every row of ``a`` must have the mass of the matching row of ``b`` (as POT requires),
to a relative :math:`10^{-4}`; ``b`` is then rescaled to ``a``'s mass (as POT does), and the
distance is that of the unnormalised problem, :math:`\langle T, C \rangle` with
:math:`T \mathbf{1} = a`.

**Sinkhorn** (Cuturi 2013) solves the entropic problem
:math:`\min_{T \in \Pi(a, b)} \langle T, C \rangle - \varepsilon H(T)` once; its plan is blurred
by :math:`\varepsilon`, and its cost stays above the exact one. It is computed here in the log
domain, so that small :math:`\varepsilon` does not underflow.

**Padding.** Marginals may hold zeros: a zero in ``a`` (``b``) marks a padded row (column),
which receives no mass. :func:`uniform_marginals` turns a padding mask into uniform marginals
over the positions that are kept.

**Gradients.** ``gradient="unrolled"`` differentiates through every iteration (as the authors'
code does); ``gradient="envelope"`` runs the iterations without a graph and returns
:math:`\langle T, C \rangle` with the plan held constant, whose gradient with respect to the
cost is the plan :math:`T` itself. At the exact optimum this is the gradient of :math:`W` (the
envelope theorem, Danskin's theorem for the linear program), it costs no memory per
iteration, but it ignores how a finite number of iterations moves the plan with the cost.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "GRADIENTS",
    "cosine_cost",
    "ipot",
    "ipot_distance",
    "ipot_distance_trace",
    "ot_sequence_loss",
    "sinkhorn",
    "sinkhorn_distance",
    "sinkhorn_distance_trace",
    "soft_argmax_embeddings",
    "transport_cost",
    "uniform_marginals",
]

_T = TypeVar("_T")

#: How the distance is differentiated: through the iterations, or with the plan held constant.
GRADIENTS = ("unrolled", "envelope")

#: Relative gap allowed between the masses of ``a`` and ``b`` (``b`` is rescaled to ``a``'s).
_MASS_RTOL = 1e-4

#: IPOT uses the authors' multiplicative updates while ``max |C - min_j C| / beta`` is at most
#: this fraction of ``log(largest float)``, and the logarithmic updates beyond.
_PLAIN_RANGE = 1 / 16

#: :func:`ipot` warns when its plan's row sums miss ``a`` by more than this share of the mass.
_FAR_FROM_PLAN = 0.1


def uniform_marginals(mask: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """Uniform weights over the kept positions of each row of ``mask``, zero at padding.

    Args:
        mask: boolean ``(batch, n)`` or ``(n,)``, True where a position is kept; every row
            keeps at least one position.
        dtype: the floating type of the result.

    Returns:
        The marginals, the shape of ``mask``, each row summing to 1.

    Example:
        >>> uniform_marginals(torch.tensor([True, True, False, True])).tolist()
        [0.3333333432674408, 0.3333333432674408, 0.0, 0.3333333432674408]
    """
    if mask.dtype != torch.bool:
        raise ValueError(f"mask must be boolean, got {mask.dtype}")
    kept = mask.sum(-1, keepdim=True)
    if (kept == 0).any():
        raise ValueError("mask must keep at least one position in every row")
    return mask.to(dtype) / kept.to(dtype)


def _prepare(
    cost: Tensor, a: Tensor | None, b: Tensor | None
) -> tuple[Tensor, Tensor, Tensor, bool]:
    """Batched ``(cost, a, b)`` of shapes ``(B, n, m)``, ``(B, n)``, ``(B, m)``, checked.

    ``b`` comes back rescaled to the mass of ``a`` (as POT's ``ot.emd`` does), so that a plan
    with column sums ``b`` can have row sums ``a``.
    """
    if cost.dim() not in (2, 3):
        raise ValueError(f"cost must be (n, m) or (batch, n, m), got shape {tuple(cost.shape)}")
    if not cost.is_floating_point():
        raise ValueError(f"cost must be a floating tensor, got {cost.dtype}")
    single = cost.dim() == 2
    c = cost.unsqueeze(0) if single else cost  # (B, n, m)
    batch, n, m = c.shape
    if n == 0 or m == 0:
        raise ValueError(f"cost must have at least one row and one column, got {tuple(c.shape)}")
    marginals = []
    for name, w, size in (("a", a, n), ("b", b, m)):
        if w is None:
            w = torch.full((batch, size), 1.0 / size, dtype=c.dtype, device=c.device)
        else:
            w = w.to(c.dtype)
            w = w.unsqueeze(0).expand(batch, -1) if w.dim() == 1 else w
            if w.shape != (batch, size):
                raise ValueError(f"{name} must have shape ({batch}, {size}), got {tuple(w.shape)}")
            if not torch.isfinite(w).all():
                raise ValueError(f"{name} must be finite, got a NaN or infinite entry")
            if (w < 0).any():
                raise ValueError(f"{name} must be non-negative (a marginal), got a negative entry")
            if not (w.detach().sum(-1) > 0).all():
                raise ValueError(f"each row of {name} must have a positive mass, got a zero row")
        marginals.append(w)
    a_, b_ = marginals
    if a is not None or b is not None:
        # equal masses, as POT's ot.emd asks; b is rescaled to a's mass (exactly 1 when equal)
        mass_a, mass_b = a_.sum(-1, keepdim=True), b_.sum(-1, keepdim=True)  # (B, 1)
        gap = (mass_a - mass_b).detach().abs()
        if (gap > _MASS_RTOL * torch.maximum(mass_a, mass_b).detach()).any():
            raise ValueError(
                f"a and b must have the same mass in every row (within a relative {_MASS_RTOL:g};"
                f" None is uniform with mass 1), got sums {mass_a.squeeze(-1).tolist()} and "
                f"{mass_b.squeeze(-1).tolist()}"
            )
        b_ = b_ * (mass_a / mass_b)
    _check_cost_values(c, a_ > 0, b_ > 0)
    return c, a_, b_, single


def _check_cost_values(c: Tensor, rows: Tensor, cols: Tensor) -> None:
    """Reject NaN and -inf costs, and +inf (forbidden) on a whole kept row or column.

    ``rows`` ``(B, n)`` and ``cols`` ``(B, m)`` are True at the kept (unpadded) positions.
    """
    c = c.detach()
    if torch.isfinite(c.sum()):  # the common case: a NaN or infinite entry makes the sum one
        return
    if torch.isnan(c).any():
        raise ValueError(f"cost must not hold NaN, got {int(torch.isnan(c).sum())} NaN entries")
    if torch.isneginf(c).any():
        raise ValueError("cost must be > -inf (the transport cost would be unbounded below)")
    allowed = ~torch.isposinf(c) & rows.unsqueeze(-1) & cols.unsqueeze(-2)  # (B, n, m)
    if not ((allowed.any(-1) | ~rows).all() and (allowed.any(-2) | ~cols).all()):
        raise ValueError(
            "cost is +inf (forbidden) on every kept column of some kept row, or every kept row "
            "of some kept column: no transport plan exists"
        )


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


def _check_count(name: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def _check_gradient(gradient: str) -> None:
    if gradient not in GRADIENTS:
        raise ValueError(f"gradient must be one of {GRADIENTS}, got {gradient!r}")


def _safe_divide(num: Tensor, den: Tensor) -> Tensor:
    """``num / den`` where ``den > 0``, 0 elsewhere (padding), with finite gradients."""
    positive = den > 0
    return torch.where(positive, num / torch.where(positive, den, torch.ones_like(den)), 0.0)


def _ipot_plans(c: Tensor, a: Tensor, b: Tensor, beta: float, iterations: int, inner_steps: int):
    """Yield IPOT's plan ``(B, n, m)`` after each proximal step (Algorithm 1 of Xie et al.)."""
    kernel = torch.exp(-c / beta)  # A = e^{-C / beta}: (B, n, m)
    plan = a.unsqueeze(-1) * b.unsqueeze(-2)  # T^(0) = a b^T, feasible, zero at padding
    sigma = torch.ones_like(b)  # (B, m)
    for _ in range(iterations):
        q = kernel * plan  # Q = A (.) T^(t): (B, n, m)
        for _ in range(inner_steps):
            delta = _safe_divide(a, (q @ sigma.unsqueeze(-1)).squeeze(-1))  # a / (Q sigma): (B, n)
            sigma = _safe_divide(b, (q.transpose(1, 2) @ delta.unsqueeze(-1)).squeeze(-1))  # (B, m)
        plan = delta.unsqueeze(-1) * q * sigma.unsqueeze(-2)  # diag(delta) Q diag(sigma)
        yield plan


def _quotient(num: Tensor, den: Tensor) -> Tensor:
    """``num / den``, 0 where that is not finite (``den = 0``: padding); no gradient."""
    return torch.div(num, den).nan_to_num_(0.0, 0.0, 0.0)


def _ipot_scalings(
    c: Tensor,
    a: Tensor,
    b: Tensor,
    beta: float,
    iterations: int,
    inner_steps: int,
    fold_every: int | None = None,
):
    r"""IPOT's plan after each step as scalings of a kernel, ``(d, K, e)``; no gradient.

    The iterates of :func:`_ipot_plans`, kept as :math:`T^{(t)} = \mathrm{diag}(d)\, K\,
    \mathrm{diag}(e)`. Then :math:`Q = A \odot T^{(t)} = \mathrm{diag}(d)\, (A \odot K)\,
    \mathrm{diag}(e)`: one product :math:`K \leftarrow A \odot K` per step, and the updates
    :math:`\delta = a / (Q\sigma)`, :math:`\sigma = b / (Q^\top\delta)` act on vectors only,
    :math:`d \odot \delta = a / (K (e \odot \sigma))` and
    :math:`e \odot \sigma = b / (K^\top (d \odot \delta))`, which are the new :math:`d` and
    :math:`e` (the same iterates as the authors' updates in exact arithmetic). The products
    with a vector run as ``bmm`` with the vector on the left, a row times ``K`` or ``K^T``.

    ``K`` starts as :math:`A \odot T^{(0)}`, zero at padding, and loses up to a factor
    :math:`e^{-R}` per step (:math:`R = \max |C| / \beta`, as in :func:`_plain_is_safe`) that
    the scalings gain; every ``fold_every`` steps (by default :func:`_fold_period`, which keeps
    both well inside the floating range) the scalings are folded into ``K``, which becomes the
    plan, and :math:`d = e = 1`.

    Args:
        c: the row-shifted cost ``(B, n, m)``; a, b: the marginals ``(B, n)``, ``(B, m)``.
        beta, iterations, inner_steps: as in :func:`ipot`.
        fold_every: steps between two folds (>= 1); ``None``: :func:`_fold_period`.

    Yields:
        ``(d, K, e)`` of shapes ``(B, 1, n)``, ``(B, n, m)``, ``(B, 1, m)`` after each step
        (rows; the plan is ``d.mT * K * e``). ``K`` is one buffer, updated in place by the next
        step: use it before asking for the next.
    """
    if fold_every is None:
        fold_every = _fold_period(_largest_finite_abs(c) / beta, c.dtype)
    kernel = torch.div(c, -beta).exp_()  # A = e^{-C / beta}: (B, n, m), as (-C) / beta
    # K = A (.) T^(0), T^(0) = a b^T, d = e = 1: zero at padding, so that K only decays
    k = torch.mul(kernel, a.unsqueeze(-1)).mul_(b.unsqueeze(-2))
    k_t = k.mT  # K^T, a view: (B, m, n)
    a_row, b_row = a.unsqueeze(-2), b.unsqueeze(-2)  # vectors as rows: (B, 1, n), (B, 1, m)
    d, e = torch.ones_like(a_row), torch.ones_like(b_row)
    e_sigma = e  # e (.) sigma, with sigma = 1 at the start
    for step in range(1, iterations + 1):
        if step > 1:
            k.mul_(kernel)  # A (.) K: Q = diag(d) K diag(e)
        for _ in range(inner_steps):
            # d (.) delta = a / (K (e (.) sigma)), e (.) sigma = b / (K^T (d (.) delta))
            d_delta = _quotient(a_row, torch.bmm(e_sigma, k_t))  # (B, 1, n)
            e_sigma = _quotient(b_row, torch.bmm(d_delta, k))  # (B, 1, m)
        sigma = _quotient(e_sigma, e)  # the last sigma, which the next step starts from
        d, e = d_delta, e_sigma  # T^(t+1) = diag(d delta) K diag(e sigma)
        if step % fold_every == 0:
            k.mul_(d.mT).mul_(e)  # K = T^(t+1)
            d, e = torch.ones_like(d), torch.ones_like(e)
        e_sigma = e * sigma
        yield d, k, e


def _scaled_plan(d: Tensor, k: Tensor, e: Tensor, out: Tensor | None = None) -> Tensor:
    r"""The plan :math:`\mathrm{diag}(d)\, K\, \mathrm{diag}(e)` of :func:`_ipot_scalings`."""
    return torch.mul(k, d.mT, out=out).mul_(e)


def _ipot_plans_no_graph(
    c: Tensor,
    a: Tensor,
    b: Tensor,
    beta: float,
    iterations: int,
    inner_steps: int,
    fold_every: int | None = None,
):
    """The plans of :func:`_ipot_scalings` after each step, in one buffer; no gradient.

    The plan yielded is overwritten by the next step: use it before asking for the next.
    """
    plan = torch.empty_like(c)
    for d, k, e in _ipot_scalings(c, a, b, beta, iterations, inner_steps, fold_every):
        yield _scaled_plan(d, k, e, out=plan)


def _masked_logsumexp(x: Tensor, keep: Tensor, dim: int) -> Tensor:
    """``logsumexp`` over ``dim`` where ``keep`` (the result's shape) is True, 0 elsewhere.

    The dropped slices (padding) may hold only ``-inf``; zeroing them first keeps their value
    and their gradient finite (``torch.where`` alone would let a NaN gradient through).
    """
    return torch.logsumexp(torch.where(keep.unsqueeze(dim), x, 0.0), dim=dim)


def _ipot_log_plans(
    c: Tensor, a: Tensor, b: Tensor, beta: float, iterations: int, inner_steps: int
):
    """Yield the plans of :func:`_ipot_plans`, computed on their logarithms.

    The same iterates, with every product a sum and every sum over a row or column a
    ``logsumexp``: nothing under- or overflows, whatever the size of ``C / beta``.
    """
    rows, cols = a > 0, b > 0  # kept positions: (B, n), (B, m)
    log_a, log_b = _log_marginal(a), _log_marginal(b)
    log_kernel = -c / beta  # log A: (B, n, m), -inf at forbidden pairs
    log_plan = log_a.unsqueeze(-1) + log_b.unsqueeze(-2)  # log T^(0) = log a b^T
    log_sigma = torch.zeros_like(b)  # (B, m)
    for _ in range(iterations):
        log_q = log_kernel + log_plan  # log Q = log A + log T^(t)
        for _ in range(inner_steps):
            # log delta = log a - log(Q sigma), log sigma = log b - log(Q^T delta)
            log_delta = log_a - _masked_logsumexp(log_q + log_sigma.unsqueeze(-2), rows, -1)
            log_sigma = log_b - _masked_logsumexp(log_q + log_delta.unsqueeze(-1), cols, -2)
        log_plan = log_delta.unsqueeze(-1) + log_q + log_sigma.unsqueeze(-2)
        yield torch.exp(log_plan)


def _largest_finite_abs(shifted: Tensor) -> float:
    """``max |C_ij|`` over the finite entries of ``shifted`` (``+inf`` marks forbidden pairs)."""
    top = shifted.abs().amax()
    if not torch.isfinite(top):
        top = torch.where(torch.isfinite(shifted), shifted.abs(), 0.0).amax()
    return top.item()


def _plain_is_safe(shifted: Tensor, beta: float) -> bool:
    r"""Whether the authors' multiplicative updates stay well inside the dtype's range.

    ``shifted`` is the cost less its row minima. With :math:`R = \max |C_{ij}| / \beta` over
    its finite entries, the kernel :math:`e^{-C/\beta}` lies in :math:`[e^{-R}, e^{R}]`
    (:math:`[e^{-R}, 1]` on the kept columns); :math:`R` is kept below
    :data:`_PLAIN_RANGE` times :math:`\log` of the largest float: 5.5 in float32, 44 in
    float64. Below it the two agree to round-off on problems that converge (tests); above,
    plan entries that underflow to 0 stay 0 under multiplicative updates, and the plain
    iterates drift from the exact-arithmetic ones.
    """
    return _largest_finite_abs(shifted) <= _plain_limit(shifted.dtype) * beta


def _plain_limit(dtype: torch.dtype) -> float:
    """The largest :math:`R` of :func:`_plain_is_safe` for ``dtype``."""
    return _PLAIN_RANGE * math.log(torch.finfo(dtype).max)


def _fold_period(r: float, dtype: torch.dtype) -> int:
    r"""Steps between two folds of :func:`_ipot_scalings` for a kernel range :math:`R`.

    In :math:`F` steps ``K`` loses at most :math:`e^{-FR}` against the plan and the scalings
    gain as much; :math:`F R` is kept within a quarter of :math:`\log` of the largest float
    (22 in float32, 177 in float64): 4 steps at the largest :math:`R` of the plain updates.
    """
    budget = math.log(torch.finfo(dtype).max) / 4
    return max(1, int(min(budget / r, 2**30))) if r > 0 else 2**30


def _row_shifted(c: Tensor, b: Tensor) -> Tensor:
    r"""``C - min_j C_ij`` over the kept columns ``b_j > 0`` (no shift for a row without one).

    IPOT's iterates do not change when a row of the cost is shifted by a constant (the factor
    :math:`e^{-s_i/\beta}` it puts on row :math:`i` of :math:`Q` is undone by :math:`\delta_i`),
    so this loses nothing and removes offsets such as ``C + 1000``. The shift is held constant
    for autograd, which the same invariance makes exact.
    """
    c_det = c.detach()
    if not bool((b > 0).all()):  # padded columns do not count
        c_det = torch.where(b.unsqueeze(-2) > 0, c_det, torch.inf)  # (B, n, m)
    shift = c_det.amin(-1, keepdim=True)  # (B, n, 1)
    shift = torch.where(torch.isfinite(shift), shift, 0.0)
    return c - shift


def _ipot_iterates(
    c: Tensor,
    a: Tensor,
    b: Tensor,
    beta: float,
    iterations: int,
    inner_steps: int,
    *,
    every_step: bool = True,
) -> Iterator[Tensor]:
    """IPOT's plans after each step: the authors' updates where they are safe, else on logs.

    All run on the row-shifted cost (:func:`_row_shifted`), which changes no iterate. Where no
    gradient is needed the authors' updates run as :func:`_ipot_scalings`, which yield only the
    last plan when ``every_step`` is False; IPOT's plan is the last one yielded in every case.
    """
    shifted = _row_shifted(c, b)
    top = _largest_finite_abs(shifted.detach())
    if not top <= _plain_limit(c.dtype) * beta:  # as _plain_is_safe
        return _ipot_log_plans(shifted, a, b, beta, iterations, inner_steps)
    if torch.is_grad_enabled() and any(t.requires_grad for t in (shifted, a, b)):
        return _ipot_plans(shifted, a, b, beta, iterations, inner_steps)
    fold_every = _fold_period(top / beta, c.dtype)
    if every_step:
        return _ipot_plans_no_graph(shifted, a, b, beta, iterations, inner_steps, fold_every)
    d, k, e = _last(_ipot_scalings(shifted, a, b, beta, iterations, inner_steps, fold_every))
    return iter((_scaled_plan(d, k, e, out=k),))  # K is no longer needed: the plan in place


def _last(iterates: Iterable[_T]) -> _T:
    """The last of ``iterates``."""
    (last,) = deque(iterates, maxlen=1)
    return last


def ipot(
    cost: Tensor,
    a: Tensor | None = None,
    b: Tensor | None = None,
    *,
    beta: float = 0.5,
    iterations: int = 50,
    inner_steps: int = 1,
) -> Tensor:
    r"""The transport plan of IPOT, differentiable through its iterations.

    .. math::
        T^{(t+1)} = \arg\min_{T \in \Pi(a, b)} \langle T, C \rangle
            + \beta\, \mathrm{KL}(T \,\|\, T^{(t)}),

    solved inexactly with :math:`Q = e^{-C/\beta} \odot T^{(t)}` and ``inner_steps`` updates
    :math:`\delta = a / (Q\sigma)`, :math:`\sigma = b / (Q^\top \delta)`, then
    :math:`T^{(t+1)} = \mathrm{diag}(\delta)\, Q\, \mathrm{diag}(\sigma)` (Algorithm 1 of Xie et
    al. 2020, with arbitrary marginals; Algorithm 1 of Chen et al. 2019, which writes uniform
    marginals, :math:`\delta = 1 / (n Q \sigma)` and :math:`\sigma = 1 / (m Q^\top \delta)`,
    and calls :math:`1 / \beta` the generalised step size).

    The iterates are those of the authors' multiplicative updates; where
    :math:`e^{-C/\beta}` would come near the limits of the floating range they are computed
    on logarithms instead, so that large, shifted or scaled costs neither underflow to 0 nor
    give NaN.

    Args:
        cost: ``(batch, n, m)`` or ``(n, m)``; ``+inf`` marks a forbidden pair (no mass), NaN
            and ``-inf`` are errors.
        a: row marginals ``(batch, n)`` or ``(n,)``, non-negative, each row with a positive
            mass equal to that of ``b``'s row (to a relative :math:`10^{-4}`); zeros mark
            padding. ``None``: uniform with mass 1.
        b: column marginals ``(batch, m)`` or ``(m,)``, as ``a``; rescaled to ``a``'s mass.
            ``None``: uniform with mass 1.
        beta: the proximity weight :math:`\beta > 0` (step size :math:`1 / \beta`), in the
            units of ``cost`` (0.5 in the authors' code, for the cosine cost in
            :math:`[0, 2]`; the paper's summary gives no value); the iterations needed grow
            with the cost's range over ``beta``.
        iterations: proximal steps (>= 1; 50 in the authors' code).
        inner_steps: Sinkhorn updates per proximal step (>= 1; 1 in practice).

    Returns:
        The plan, the shape of ``cost``. Its column sums are ``b`` exactly; its row sums tend to
        ``a`` as the iterations go on. A ``RuntimeWarning`` says when they still miss ``a`` by
        more than 10% of the mass (too few iterations for ``beta``).

    Example:
        >>> cost = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
        >>> ipot(cost, iterations=200).round(decimals=4).tolist()
        [[0.5, 0.0], [0.0, 0.5]]
    """
    _check_positive("beta", beta)
    _check_count("iterations", iterations)
    _check_count("inner_steps", inner_steps)
    c, a_, b_, single = _prepare(cost, a, b)
    plan = _last(_ipot_iterates(c, a_, b_, beta, iterations, inner_steps, every_step=False))
    _warn_if_far_from_a_plan(plan, a_, beta, iterations)
    return plan.squeeze(0) if single else plan


def _warn_if_far_from_a_plan(plan: Tensor, a: Tensor, beta: float, iterations: int) -> None:
    """Warn when the rows of ``plan`` miss ``a`` by more than :data:`_FAR_FROM_PLAN`."""
    with torch.no_grad():
        miss = ((plan.sum(-1) - a).abs().sum(-1) / a.sum(-1)).max().item()  # share of the mass
    if miss > _FAR_FROM_PLAN:
        warnings.warn(
            f"IPOT's plan is far from a transport plan after {iterations} iterations: its row "
            f"sums miss a by {miss:.0%} of the mass. beta={beta} is in the cost's units and "
            f"may be small against the cost's range (or forbidden pairs leave no plan); raise "
            f"beta or iterations.",
            RuntimeWarning,
            stacklevel=3,
        )


def transport_cost(plan: Tensor, cost: Tensor) -> Tensor:
    r""":math:`\langle T, C \rangle = \sum_{ij} T_{ij} C_{ij}` over the last two dimensions.

    A forbidden pair (:math:`C_{ij} = +\infty`) without mass adds nothing (not
    :math:`0 \cdot \infty`), as in POT's ``ot.emd2``; with mass, the cost is :math:`+\infty`.

    Example:
        >>> transport_cost(torch.eye(2) / 2, torch.ones(2, 2)).item()
        1.0
        >>> transport_cost(torch.eye(2) / 2, torch.tensor([[1.0, torch.inf], [0.0, 1.0]])).item()
        1.0
    """
    if cost.numel() and torch.isfinite(cost.detach().amax()):  # one reduction: no +inf
        return (plan * cost).sum((-2, -1))
    forbidden = torch.isposinf(cost)
    if not forbidden.any():
        return (plan * cost).sum((-2, -1))
    # zero the forbidden costs before the product, so that neither value nor gradient is NaN
    value = (plan * torch.where(forbidden, 0.0, cost)).sum((-2, -1))
    return torch.where(((plan > 0) & forbidden).any(-1).any(-1), torch.inf, value)


def ipot_distance(
    cost: Tensor,
    a: Tensor | None = None,
    b: Tensor | None = None,
    *,
    beta: float = 0.5,
    iterations: int = 50,
    inner_steps: int = 1,
    gradient: str = "unrolled",
) -> Tensor:
    r"""The IPOT estimate of the optimal transport distance, :math:`\langle T, C \rangle`.

    .. math::
        W_{\mathrm{IPOT}}(a, b; C) = \langle T^{(K)}, C \rangle,

    with :math:`T^{(K)}` the plan of :func:`ipot` (Chen et al. 2019: :math:`\mathcal{L}_{ot}` of
    'Semantic Matching with Optimal Transport', computed by Algorithm 1, which returns
    :math:`\langle T, C \rangle`).

    Args:
        cost, a, b, beta, iterations, inner_steps: as in :func:`ipot`.
        gradient: ``"unrolled"``: differentiate through the iterations (the authors' choice,
            exact for the finite iteration). ``"envelope"``: iterate without a graph and hold
            the plan constant, so that the gradient with respect to ``cost`` is the plan (the
            gradient of the exact distance at the optimum; memory independent of
            ``iterations``); ``a`` and ``b`` then get no gradient.

    Returns:
        Shape ``(batch,)``, or a scalar for an ``(n, m)`` cost.

    Example:
        >>> cost = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
        >>> round(ipot_distance(cost, b=torch.tensor([1.0, 0.0])).item(), 6)
        0.5
    """
    _check_gradient(gradient)
    if gradient == "envelope":
        with torch.no_grad():
            plan = ipot(
                cost.detach(),
                None if a is None else a.detach(),
                None if b is None else b.detach(),
                beta=beta,
                iterations=iterations,
                inner_steps=inner_steps,
            )
    else:
        plan = ipot(cost, a, b, beta=beta, iterations=iterations, inner_steps=inner_steps)
    return transport_cost(plan, cost)


def ipot_distance_trace(
    cost: Tensor,
    a: Tensor | None = None,
    b: Tensor | None = None,
    *,
    beta: float = 0.5,
    iterations: int = 50,
    inner_steps: int = 1,
) -> Tensor:
    """:math:`\\langle T^{(t)}, C \\rangle` after every proximal step ``t = 1 .. iterations``.

    Arguments as in :func:`ipot`; no gradient.

    Returns:
        Shape ``(iterations, batch)`` (``(iterations,)`` for an ``(n, m)`` cost).
    """
    _check_positive("beta", beta)
    _check_count("iterations", iterations)
    _check_count("inner_steps", inner_steps)
    with torch.no_grad():
        c, a_, b_, single = _prepare(cost, a, b)
        trace = torch.stack(
            [transport_cost(t, c) for t in _ipot_iterates(c, a_, b_, beta, iterations, inner_steps)]
        )  # (iterations, B)
    return trace.squeeze(1) if single else trace


def _log_marginal(w: Tensor) -> Tensor:
    """``log w``, ``-inf`` at zeros (padding), with a finite gradient everywhere."""
    return torch.where(w > 0, torch.log(w.clamp_min(torch.finfo(w.dtype).tiny)), -torch.inf)


def _sinkhorn_plans(c: Tensor, a: Tensor, b: Tensor, epsilon: float, iterations: int):
    """Yield the log-domain Sinkhorn plan ``(B, n, m)`` after each pair of updates."""
    rows, cols = a > 0, b > 0  # kept positions: (B, n), (B, m)
    log_a, log_b = _log_marginal(a), _log_marginal(b)  # (B, n), (B, m)
    f = torch.zeros_like(a)  # potentials f_i, g_j
    g = torch.where(cols, 0.0, -torch.inf).to(c.dtype)
    scaled = -c / epsilon  # (B, n, m), -inf at forbidden pairs
    for _ in range(iterations):
        # f_i = eps log a_i - eps log sum_j exp((g_j - C_ij) / eps), and g likewise
        f = epsilon * (log_a - _masked_logsumexp(scaled + g.unsqueeze(-2) / epsilon, rows, -1))
        g = epsilon * (log_b - _masked_logsumexp(scaled + f.unsqueeze(-1) / epsilon, cols, -2))
        yield torch.exp(scaled + (f.unsqueeze(-1) + g.unsqueeze(-2)) / epsilon)


def sinkhorn(
    cost: Tensor,
    a: Tensor | None = None,
    b: Tensor | None = None,
    *,
    epsilon: float = 0.1,
    iterations: int = 100,
) -> Tensor:
    r"""The plan of entropic optimal transport by Sinkhorn's iterations, in the log domain.

    .. math::
        T_\varepsilon = \arg\min_{T \in \Pi(a, b)} \langle T, C \rangle - \varepsilon H(T),
        \qquad T_{ij} = \exp\bigl((f_i + g_j - C_{ij}) / \varepsilon\bigr),

    with the potentials updated alternately,
    :math:`f_i = \varepsilon \log a_i - \varepsilon \log \sum_j e^{(g_j - C_{ij})/\varepsilon}`
    and the same for :math:`g` (Cuturi 2013, eq. 2, in the log domain).

    Args:
        cost: ``(batch, n, m)`` or ``(n, m)``.
        a: row marginals as in :func:`ipot`; ``None``: uniform.
        b: column marginals; ``None``: uniform.
        epsilon: the entropic regularisation :math:`\varepsilon > 0`.
        iterations: pairs of updates (>= 1).

    Returns:
        The plan, the shape of ``cost``; its column sums are ``b`` exactly.

    Example:
        >>> cost = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
        >>> sinkhorn(cost, epsilon=1.0).round(decimals=3).tolist()
        [[0.366, 0.134], [0.134, 0.366]]
    """
    _check_positive("epsilon", epsilon)
    _check_count("iterations", iterations)
    c, a_, b_, single = _prepare(cost, a, b)
    (plan,) = deque(_sinkhorn_plans(c, a_, b_, epsilon, iterations), maxlen=1)  # the last
    return plan.squeeze(0) if single else plan


def sinkhorn_distance(
    cost: Tensor,
    a: Tensor | None = None,
    b: Tensor | None = None,
    *,
    epsilon: float = 0.1,
    iterations: int = 100,
) -> Tensor:
    r"""The transport cost :math:`\langle T_\varepsilon, C \rangle` of Sinkhorn's plan.

    It is at least the exact distance: the entropic bias. Arguments as in :func:`sinkhorn`.

    Returns:
        Shape ``(batch,)``, or a scalar for an ``(n, m)`` cost.
    """
    return transport_cost(sinkhorn(cost, a, b, epsilon=epsilon, iterations=iterations), cost)


def sinkhorn_distance_trace(
    cost: Tensor,
    a: Tensor | None = None,
    b: Tensor | None = None,
    *,
    epsilon: float = 0.1,
    iterations: int = 100,
) -> Tensor:
    """:math:`\\langle T^{(t)}, C \\rangle` after every Sinkhorn iteration; no gradient.

    Returns:
        Shape ``(iterations, batch)`` (``(iterations,)`` for an ``(n, m)`` cost).
    """
    _check_positive("epsilon", epsilon)
    _check_count("iterations", iterations)
    with torch.no_grad():
        c, a_, b_, single = _prepare(cost, a, b)
        trace = torch.stack(
            [transport_cost(t, c) for t in _sinkhorn_plans(c, a_, b_, epsilon, iterations)]
        )
    return trace.squeeze(1) if single else trace


def cosine_cost(x: Tensor, y: Tensor, eps: float = 1e-8) -> Tensor:
    r"""The cosine cost between two sets of embeddings.

    .. math::
        C_{ij} = 1 - \frac{x_i^\top y_j}{\lVert x_i \rVert\, \lVert y_j \rVert}

    (the cost Chen et al. 2019 use between word embeddings; their Algorithm 1 writes a generic
    :math:`c(z_i, z'_j)`), in :math:`[0, 2]`.

    Args:
        x: ``(batch, n, d)`` or ``(n, d)``.
        y: ``(batch, m, d)`` or ``(m, d)``, the same leading shape.
        eps: guards the division for zero vectors.

    Returns:
        ``(batch, n, m)`` or ``(n, m)``.

    Example:
        >>> cosine_cost(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 2.0]])).tolist()
        [[0.0, 1.0]]
    """
    if x.dim() != y.dim() or x.dim() not in (2, 3) or x.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"x and y must be (n, d) and (m, d), or (batch, n, d) and (batch, m, d), "
            f"got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    x_unit = F.normalize(x, dim=-1, eps=eps)
    y_unit = F.normalize(y, dim=-1, eps=eps)
    return 1.0 - x_unit @ y_unit.transpose(-2, -1)


def soft_argmax_embeddings(logits: Tensor, embedding: Tensor, temperature: float = 1.0) -> Tensor:
    r"""The expected embedding under the softened output distribution (soft-argmax).

    .. math::
        \hat w_t = E^\top \mathrm{softmax}(\mathrm{logits}_t / \tau)

    (Algorithm 2 of Chen et al. 2019, lines 7-8: the model's belief
    :math:`\hat w_t = \text{Soft-argmax}(v_t)` embedded as :math:`E^\top \hat w_t`;
    :math:`\tau \to 0` gives the embedding of the argmax).

    Args:
        logits: ``(batch, length, vocab)``.
        embedding: the word embedding matrix :math:`E`, ``(vocab, dim)``.
        temperature: :math:`\tau > 0`.

    Returns:
        ``(batch, length, dim)``.
    """
    _check_positive("temperature", temperature)
    if logits.shape[-1] != embedding.shape[0]:
        raise ValueError(
            f"logits' vocabulary ({logits.shape[-1]}) must match embedding's rows "
            f"({embedding.shape[0]})"
        )
    return torch.softmax(logits / temperature, dim=-1) @ embedding


def ot_sequence_loss(
    logits: Tensor,
    targets: Tensor,
    embedding: Tensor,
    *,
    mask: Tensor | None = None,
    beta: float = 0.5,
    iterations: int = 50,
    temperature: float = 1.0,
    gradient: str = "unrolled",
) -> Tensor:
    r"""The OT sequence loss :math:`\mathcal{L}_{seq}` of Chen et al. (2019, Algorithm 2).

    .. math::
        \mathcal{L}_{\mathrm{OT}} = \frac1B \sum_b \langle T_b, C_b \rangle, \qquad
        C_{b,ts} = 1 - \cos(\hat w_{bt}, e_{y_{bs}}),

    averaged over the batch, where :math:`\hat w_{bt}` is :func:`soft_argmax_embeddings` of the
    decoder's logits, :math:`e_{y_{bs}}` the embedding of reference token :math:`s`, and
    :math:`T_b` the IPOT plan with uniform marginals over the kept (unpadded) positions of each
    side.

    Args:
        logits: the decoder's outputs ``(batch, length, vocab)``.
        targets: reference token ids ``(batch, ref_length)``.
        embedding: the word embedding matrix ``(vocab, dim)``.
        mask: boolean ``(batch, ref_length)``, True at reference positions that count (words and
            EOS); the hypothesis positions kept are those of the same indices (teacher forcing
            aligns the two), so it needs ``length == ref_length``. ``None``: keep everything.
        beta, iterations: IPOT's settings (0.5 and 50, the authors' code's).
        temperature: the soft-argmax temperature :math:`\tau`.
        gradient: ``"unrolled"`` or ``"envelope"`` (see :func:`ipot_distance`).

    Returns:
        A scalar tensor.
    """
    if logits.dim() != 3 or targets.dim() != 2 or logits.shape[0] != targets.shape[0]:
        raise ValueError(
            f"logits must be (batch, length, vocab) and targets (batch, ref_length), "
            f"got {tuple(logits.shape)} and {tuple(targets.shape)}"
        )
    hyp = soft_argmax_embeddings(logits, embedding, temperature)  # (B, L, D)
    ref = embedding[targets]  # (B, R, D)
    cost = cosine_cost(hyp, ref)  # (B, L, R)
    if mask is None:
        a = b = None
    else:
        if mask.shape != targets.shape or logits.shape[1] != targets.shape[1]:
            raise ValueError(
                f"mask must have the targets' shape {tuple(targets.shape)} and logits the same "
                f"length, got mask {tuple(mask.shape)} and logits {tuple(logits.shape)}"
            )
        a = b = uniform_marginals(mask, cost.dtype)
    distance = ipot_distance(cost, a, b, beta=beta, iterations=iterations, gradient=gradient)
    return distance.mean()
