"""Tests of beyond_mle.optimal_transport against POT's exact ``ot.emd2`` and autograd."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import ot
import pytest
import torch

from beyond_mle import optimal_transport
from beyond_mle.optimal_transport import (
    cosine_cost,
    ipot,
    ipot_distance,
    ipot_distance_trace,
    ot_sequence_loss,
    sinkhorn,
    sinkhorn_distance,
    sinkhorn_distance_trace,
    soft_argmax_embeddings,
    transport_cost,
    uniform_marginals,
)
from beyond_mle.training import one_cpu_thread


@pytest.fixture(autouse=True)
def _one_thread():
    with one_cpu_thread():  # small problems: threads only add synchronisation
        yield


def _problem(batch: int, n: int, m: int, *, seed: int, uniform: bool):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, n, 2, generator=gen, dtype=torch.float64)  # points in the unit square
    y = torch.rand(batch, m, 2, generator=gen, dtype=torch.float64)
    cost = torch.cdist(x, y)  # (batch, n, m), Euclidean
    if uniform:
        a = torch.full((batch, n), 1.0 / n, dtype=torch.float64)
        b = torch.full((batch, m), 1.0 / m, dtype=torch.float64)
    else:
        a = torch.rand(batch, n, generator=gen, dtype=torch.float64) + 0.1
        b = torch.rand(batch, m, generator=gen, dtype=torch.float64) + 0.1
        a, b = a / a.sum(-1, keepdim=True), b / b.sum(-1, keepdim=True)
    return cost, a, b


def _emd2(cost, a, b) -> torch.Tensor:
    return torch.tensor(
        [ot.emd2(a[i].numpy(), b[i].numpy(), cost[i].numpy()) for i in range(cost.shape[0])],
        dtype=torch.float64,
    )


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize(("n", "m"), [(7, 5), (30, 50), (100, 100)])
def test_ipot_converges_to_exact_emd(n, m, uniform):
    cost, a, b = _problem(2, n, m, seed=n + m + uniform, uniform=uniform)
    exact = _emd2(cost, a, b)
    plan = ipot(cost, a, b, beta=0.1, iterations=2000, inner_steps=3)
    rel = ((transport_cost(plan, cost) - exact) / exact).abs()
    assert rel.max() < 1e-4, rel
    torch.testing.assert_close(plan.sum(-2), b)  # columns exact
    torch.testing.assert_close(plan.sum(-1), a, atol=1e-6, rtol=1e-3)
    assert (plan >= 0).all()


def test_ipot_defaults_and_single_matrix():
    cost, a, b = _problem(1, 12, 9, seed=3, uniform=True)
    single = ipot_distance(cost[0], beta=0.5, iterations=50)
    batched = ipot_distance(cost, a, b, beta=0.5, iterations=50)
    assert single.dim() == 0
    torch.testing.assert_close(single, batched[0])
    # the authors' batched setting (beta 1, 10 iterations) is still far from the exact cost
    loose = ipot_distance(cost, beta=1.0, iterations=10)
    assert ((loose - _emd2(cost, a, b)) / _emd2(cost, a, b)).abs().item() > 1e-3


def test_padding_is_ignored():
    """Padded rows and columns (zero marginals) change nothing, whatever their cost."""
    cost, a, b = _problem(2, 6, 4, seed=5, uniform=False)
    big = torch.rand(2, 9, 7, dtype=torch.float64) * 5
    big[:, :6, :4] = cost
    a_pad = torch.zeros(2, 9, dtype=torch.float64)
    b_pad = torch.zeros(2, 7, dtype=torch.float64)
    a_pad[:, :6], b_pad[:, :4] = a, b
    for dist in (
        lambda c, x, y: ipot_distance(c, x, y, beta=0.2, iterations=80),
        lambda c, x, y: sinkhorn_distance(c, x, y, epsilon=0.05, iterations=80),
    ):
        torch.testing.assert_close(dist(big, a_pad, b_pad), dist(cost, a, b))
    plan = ipot(big, a_pad, b_pad, beta=0.2, iterations=80)
    assert plan[:, 6:].abs().max() == 0 and plan[:, :, 4:].abs().max() == 0


def test_uniform_marginals():
    mask = torch.tensor([[True, False, True], [True, True, True]])
    torch.testing.assert_close(
        uniform_marginals(mask, torch.float64),
        torch.tensor([[0.5, 0.0, 0.5], [1 / 3, 1 / 3, 1 / 3]], dtype=torch.float64),
    )
    with pytest.raises(ValueError, match="at least one"):
        uniform_marginals(torch.tensor([[False, False]]))


def test_sinkhorn_entropic_bias_and_convergence():
    cost, a, b = _problem(3, 20, 25, seed=11, uniform=False)
    exact = _emd2(cost, a, b)
    biases = [
        (sinkhorn_distance(cost, a, b, epsilon=e, iterations=3000) - exact).min().item()
        for e in (0.1, 0.01)
    ]
    assert biases[0] > biases[1] > 0  # above the exact cost, less so for smaller epsilon
    plan = sinkhorn(cost, a, b, epsilon=0.01, iterations=1000)
    torch.testing.assert_close(plan.sum(-2), b)
    torch.testing.assert_close(plan.sum(-1), a, atol=1e-7, rtol=1e-4)
    # POT's entropic plan (not log domain, epsilon large enough) agrees
    pot_plan = ot.sinkhorn(a[0].numpy(), b[0].numpy(), cost[0].numpy(), 0.1, numItermax=5000)
    ours = sinkhorn(cost[0], a[0], b[0], epsilon=0.1, iterations=5000)
    torch.testing.assert_close(ours, torch.from_numpy(pot_plan), atol=1e-9, rtol=1e-6)


def test_log_domain_survives_small_epsilon():
    cost, a, b = _problem(2, 10, 10, seed=2, uniform=True)
    value = sinkhorn_distance(cost * 10, a, b, epsilon=1e-4, iterations=50)
    assert torch.isfinite(value).all()


def test_traces_end_at_the_distance():
    cost, a, b = _problem(2, 8, 6, seed=4, uniform=False)
    trace = ipot_distance_trace(cost, a, b, beta=0.3, iterations=40)
    assert trace.shape == (40, 2)
    torch.testing.assert_close(trace[-1], ipot_distance(cost, a, b, beta=0.3, iterations=40))
    strace = sinkhorn_distance_trace(cost, a, b, epsilon=0.1, iterations=30)
    torch.testing.assert_close(
        strace[-1], sinkhorn_distance(cost, a, b, epsilon=0.1, iterations=30)
    )


def test_gradcheck_unrolled():
    cost, a, b = _problem(2, 4, 3, seed=6, uniform=False)
    cost.requires_grad_()
    a.requires_grad_()
    b.requires_grad_()

    def fn(c, x, y):
        # renormalise so that the perturbed marginals stay valid
        return ipot_distance(c, x / x.sum(-1, keepdim=True), y / y.sum(-1, keepdim=True),
                             beta=0.3, iterations=8, inner_steps=2)  # fmt: skip

    assert torch.autograd.gradcheck(fn, (cost, a, b))
    assert torch.autograd.gradcheck(
        lambda c: sinkhorn_distance(c, a.detach(), b.detach(), epsilon=0.2, iterations=10),
        (cost,),
    )


def test_envelope_gradient_is_the_plan():
    cost, a, b = _problem(2, 6, 5, seed=8, uniform=False)
    cost.requires_grad_()
    value = ipot_distance(cost, a, b, beta=0.1, iterations=300, gradient="envelope")
    (grad,) = torch.autograd.grad(value.sum(), cost)
    torch.testing.assert_close(grad, ipot(cost.detach(), a, b, beta=0.1, iterations=300))
    unrolled = ipot_distance(cost, a, b, beta=0.1, iterations=300)
    torch.testing.assert_close(value, unrolled)


def test_cosine_cost_and_soft_argmax():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 5, 7, generator=gen, dtype=torch.float64)
    y = torch.randn(2, 4, 7, generator=gen, dtype=torch.float64)
    ref = 1 - torch.nn.functional.cosine_similarity(x[:, :, None], y[:, None], dim=-1)
    torch.testing.assert_close(cosine_cost(x, y), ref)
    table = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    logits = torch.randn(2, 4, 6, generator=gen, dtype=torch.float64)
    cold = soft_argmax_embeddings(logits, table, temperature=1e-4)
    torch.testing.assert_close(cold, table[logits.argmax(-1)])


def test_ot_sequence_loss():
    gen = torch.Generator().manual_seed(1)
    table = torch.randn(9, 5, generator=gen, dtype=torch.float64)
    targets = torch.tensor([[3, 4, 1, 0], [5, 6, 7, 1]])
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    perfect = 50.0 * torch.nn.functional.one_hot(targets, 9).double()
    assert ot_sequence_loss(perfect, targets, table, mask=mask, iterations=100).item() < 1e-6
    # a permutation of the words costs nothing: OT compares sets, not orders
    shuffled = perfect[:, [1, 0, 2, 3]]
    shuffled[0] = perfect[0, [1, 0, 2, 3]]
    assert ot_sequence_loss(shuffled, targets, table, mask=mask, iterations=200).item() < 1e-3
    logits = torch.randn(2, 4, 9, generator=gen, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda z: ot_sequence_loss(z, targets, table, mask=mask, iterations=5), (logits,)
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ipot(torch.rand(3, 3), beta=0.0), "beta"),
        (lambda: ipot(torch.rand(3, 3), iterations=0), "iterations"),
        (lambda: ipot(torch.rand(3, 3), inner_steps=0), "inner_steps"),
        (lambda: ipot(torch.rand(3)), "cost"),
        (lambda: ipot(torch.rand(3, 3), torch.tensor([0.5, 0.5])), "a"),
        (lambda: ipot(torch.rand(3, 3), b=torch.tensor([0.5, 0.6, -0.1])), "b"),
        (lambda: ipot(torch.rand(2, 2), torch.tensor([0.3, 0.3])), "same mass"),
        (lambda: ipot(torch.rand(2, 2), torch.tensor([0.0, 0.0]), torch.zeros(2)), "positive mass"),
        (lambda: ipot(torch.rand(2, 2), torch.tensor([0.5, torch.nan])), "finite"),
        (lambda: ipot(torch.tensor([[0.0, torch.nan], [1.0, 0.0]])), "NaN"),
        (lambda: ipot(torch.tensor([[0.0, -torch.inf], [1.0, 0.0]])), "-inf"),
        (lambda: ipot(torch.tensor([[torch.inf, torch.inf], [1.0, 0.0]])), "no transport plan"),
        (lambda: sinkhorn(torch.tensor([[0.0, torch.nan], [1.0, 0.0]])), "NaN"),
        (lambda: ipot_distance(torch.rand(3, 3), gradient="exact"), "gradient"),
        (lambda: sinkhorn(torch.rand(3, 3), epsilon=-1.0), "epsilon"),
        (lambda: cosine_cost(torch.rand(3, 2), torch.rand(3, 4)), "x and y"),
        (lambda: soft_argmax_embeddings(torch.rand(1, 2, 4), torch.rand(5, 3)), "vocabulary"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- stability: the authors' iteration as the reference, POT's exact solver at every scale ---


def _authors_ipot(cost, a, b, beta: float, iterations: int, inner_steps: int = 1):
    """Algorithm 1 of Xie et al. (2020) as written: multiplicative updates on e^{-C/beta}.

    The reference for the stabilised iterates; valid only while e^{-C/beta} stays in range.
    """
    kernel = torch.exp(-cost / beta)
    plan = a.unsqueeze(-1) * b.unsqueeze(-2)
    sigma = torch.ones_like(b)
    for _ in range(iterations):
        q = kernel * plan
        for _ in range(inner_steps):
            delta = a / (q @ sigma.unsqueeze(-1)).squeeze(-1)
            sigma = b / (q.transpose(-2, -1) @ delta.unsqueeze(-1)).squeeze(-1)
        plan = delta.unsqueeze(-1) * q * sigma.unsqueeze(-2)
    return plan


def _last(plans):
    (plan,) = deque(plans, maxlen=1)
    return plan


def _pot_stabilisation_data():
    """The cost data of POT's stabilisation test (PythonOT/POT, test/test_bregman.py,
    test_sinkhorn_stabilization): squared distances between 100 bins (``dist0``, up to 9801)
    and two Gaussian histograms (means 30 and 40, std 10)."""
    n = 100
    a = torch.from_numpy(ot.datasets.make_1D_gauss(n, m=30, s=10))
    b = torch.from_numpy(ot.datasets.make_1D_gauss(n, m=40, s=10))
    return torch.from_numpy(ot.utils.dist0(n)), a, b


@pytest.mark.parametrize("inner_steps", [1, 3])
def test_log_domain_iterates_are_the_authors(inner_steps):
    """The logarithmic updates give the authors' iterates, step by step, where theirs are valid."""
    cost, a, b = _problem(2, 9, 7, seed=21, uniform=False)
    beta, iterations = 0.05, 120  # R = max C / beta about 25: the authors' updates are exact
    reference = [_authors_ipot(cost, a, b, beta, t, inner_steps) for t in (1, 10, iterations)]
    logs = list(optimal_transport._ipot_log_plans(cost, a, b, beta, iterations, inner_steps))
    for plan, t in zip(reference, (1, 10, iterations), strict=True):
        torch.testing.assert_close(logs[t - 1], plan, atol=1e-13, rtol=1e-9)
    # the public function (row-shifted cost, plain updates here) is the same iteration
    torch.testing.assert_close(
        ipot(cost, a, b, beta=beta, iterations=iterations, inner_steps=inner_steps),
        reference[-1],
        atol=1e-13,
        rtol=1e-9,
    )


@pytest.mark.parametrize(("scale", "offset"), [(1e-3, 0.0), (1e3, 0.0), (1.0, 1e3), (25.0, 1e6)])
def test_iterates_do_not_change_with_the_cost_s_units_or_offset(scale, offset):
    """IPOT on s C + k with beta s equals the authors' iteration on C with beta, at any step."""
    cost, a, b = _problem(2, 12, 10, seed=22, uniform=False)
    beta, iterations = 0.1, 200
    reference = _authors_ipot(cost, a, b, beta, iterations)
    plan = ipot(scale * cost + offset, a, b, beta=beta * scale, iterations=iterations)
    torch.testing.assert_close(plan, reference, atol=1e-10, rtol=1e-6)


def test_the_two_updates_agree_on_either_side_of_the_switch():
    """Just below the switch (plain updates) and just above (logarithms), the same plans."""
    cost, a, b = _problem(3, 20, 20, seed=23, uniform=False)
    for dtype, atol in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
        c, x, y = cost.to(dtype), a.to(dtype), b.to(dtype)
        limit = optimal_transport._PLAIN_RANGE * math.log(torch.finfo(dtype).max)
        shifted = optimal_transport._row_shifted(c, y)
        for ratio in (0.9, 1.1):  # R / limit
            beta = shifted.max().item() / (ratio * limit)
            assert optimal_transport._plain_is_safe(shifted, beta) == (ratio < 1)
            plain = _last(optimal_transport._ipot_plans(shifted, x, y, beta, 150, 1))
            logs = _last(optimal_transport._ipot_log_plans(shifted, x, y, beta, 150, 1))
            torch.testing.assert_close(plain, logs, atol=atol, rtol=0)
            torch.testing.assert_close(ipot(c, x, y, beta=beta, iterations=150), logs)


@pytest.mark.parametrize(
    ("scale", "offset"),
    [
        (1.0, 0.0),  # POT's data as it is: costs up to 9801
        (25.0, 0.0),  # costs up to 2.5e5
        (1 / 9801, 0.0),  # normalised by its maximum, as in POT's test_barycenter_stabilization
        (1e-3, 1e3),
        (1e3, 1e6),
    ],
)
def test_ipot_reaches_exact_emd_on_pot_stabilisation_data(scale, offset):
    """Within 1e-4 of POT's ot.emd2 at every scale and offset, beta 1/100 of the cost's range."""
    base, a, b = _pot_stabilisation_data()
    cost = scale * base + offset
    plan = ipot(cost, a, b, beta=0.01 * scale * base.max().item(), iterations=3000)
    exact = ot.emd2(a.numpy(), b.numpy(), cost.numpy())
    assert abs(transport_cost(plan, cost).item() - exact) / exact < 1e-4
    # the offset-free cost of the same plan: what the offset could hide
    exact_unshifted = ot.emd2(a.numpy(), b.numpy(), (scale * base).numpy())
    unshifted = transport_cost(plan, scale * base).item()
    assert abs(unshifted - exact_unshifted) / exact_unshifted < 1e-4
    torch.testing.assert_close(plan.sum(-2), b)
    torch.testing.assert_close(plan.sum(-1), a, atol=1e-5, rtol=0)


def test_ipot_reaches_exact_emd_on_pot_median_normalised_costs():
    """POT's test_stabilized_vs_sinkhorn_multidim (test/test_bregman.py): dist0(100) / median,
    one Gaussian (mean 20, std 5) to two (60, 8 and 30, 4); the default beta suffices."""
    n = 100
    base = ot.utils.dist0(n)
    cost = torch.from_numpy(base / np.median(base)).expand(2, n, n)
    a = torch.from_numpy(ot.datasets.make_1D_gauss(n, m=20, s=5)).expand(2, n)
    b = torch.stack(
        [
            torch.from_numpy(ot.datasets.make_1D_gauss(n, m=mu, s=sd))
            for mu, sd in ((60, 8), (30, 4))
        ]
    )
    exact = _emd2(cost, a, b)
    value = ipot_distance(cost, a, b, iterations=2000)
    assert ((value - exact) / exact).abs().max() < 1e-4


def test_the_issue_s_costs_with_the_default_beta():
    """Each of these gave NaN or 0 before the logarithmic updates (issue 14, item 2)."""
    cost, a, b = _problem(1, 30, 30, seed=0, uniform=True)
    exact = _emd2(cost, a, b)
    # shifted by +1000: the same plan as the unshifted cost, so exactly 1000 more
    torch.testing.assert_close(
        ipot_distance(cost + 1000, a, b), ipot_distance(cost, a, b) + 1000, atol=1e-9, rtol=0
    )
    converged = ipot(cost + 1000, a, b, beta=0.1, iterations=2000, inner_steps=3)
    assert ((transport_cost(converged, cost) - exact) / exact).abs().max() < 1e-4
    # scaled by 1000: beta is 1/2000 of the range now, and more iterations reach the optimum
    scaled = ipot_distance(1000 * cost, a, b, iterations=5000)
    assert ((scaled - 1000 * exact) / (1000 * exact)).abs().max() < 1e-4
    # POT's data (up to 1e4) and 25 times it (2.5e5): beta 0.5 is 1/20,000 of the range or less
    base, a, b = _pot_stabilisation_data()
    for scale in (1.0, 25.0):
        with pytest.warns(RuntimeWarning, match="far from a transport plan"):
            plan = ipot(scale * base, a, b)
        assert torch.isfinite(plan).all()
        torch.testing.assert_close(plan.sum(-2), b)  # a finite plan, columns exact, rows far off
    # the module docstring's claim: 5,000 iterations of the default beta stay 1e-3 off on 1e4
    exact = ot.emd2(a.numpy(), b.numpy(), base.numpy())
    assert abs(ipot_distance(base, a, b, iterations=5000).item() - exact) / exact > 1e-3


def test_forbidden_pairs_get_no_mass():
    """+inf marks a forbidden pair, which gets no mass, as in POT's ot.emd."""
    # POT's own handling of +inf, on the 2 x 2 problem it solves directly (0.9.7)
    pot_cases = [
        ([[0.0, math.inf], [1.0, 0.0]], [[0.5, 0.0], [0.0, 0.5]]),
        ([[math.inf, 1.0], [1.0, math.inf]], [[0.0, 0.5], [0.5, 0.0]]),
    ]
    half = np.array([0.5, 0.5])
    for rows, expected in pot_cases:
        cost = torch.tensor(rows, dtype=torch.float64)
        np.testing.assert_allclose(ot.emd(half, half, cost.numpy()), expected)
        plan = ipot(cost, iterations=300)
        torch.testing.assert_close(
            plan, torch.tensor(expected, dtype=torch.float64), atol=1e-8, rtol=0
        )
        assert transport_cost(plan, cost).item() == pytest.approx(ot.emd2(half, half, cost.numpy()))
    # a larger problem: POT 0.9.7's dense solver calls it infeasible with +inf entries, so the
    # reference gives the forbidden pairs a prohibitive finite cost instead
    gen = torch.Generator().manual_seed(7)
    base = torch.cdist(*torch.rand(2, 9, 2, generator=gen, dtype=torch.float64))
    forbid = torch.rand(9, 9, generator=gen) < 0.3
    forbid.fill_diagonal_(False)  # the identity stays allowed: a plan exists
    cost = base.masked_fill(forbid, math.inf)
    u = torch.full((9,), 1 / 9, dtype=torch.float64)
    exact = ot.emd2(u.numpy(), u.numpy(), base.masked_fill(forbid, 1e6).numpy())
    for scale, beta, inner in ((1.0, 0.1, 3), (1000.0, 100.0, 3), (1.0, 0.02, 1)):  # plain, logs
        plan = ipot(scale * cost, u, u, beta=beta, iterations=2000, inner_steps=inner)
        assert plan[forbid].abs().max() == 0
        assert transport_cost(plan, cost).item() == pytest.approx(exact, rel=1e-6)
    # gradients stay finite, and zero at the forbidden pairs, on either kind of update
    for beta in (0.1, 0.01):
        c = cost.clone().requires_grad_()
        (grad,) = torch.autograd.grad(ipot_distance(c, u, u, beta=beta, iterations=20), c)
        assert torch.isfinite(grad).all() and grad[forbid].abs().max() == 0
    entropic = sinkhorn(cost, u, u, epsilon=0.05, iterations=300)
    assert torch.isfinite(entropic).all() and entropic[forbid].abs().max() == 0
    # a padded row may be forbidden everywhere; a kept row may not
    padded = torch.cat([cost, torch.full((1, 9), math.inf, dtype=torch.float64)])
    a_pad = torch.cat([u, torch.zeros(1, dtype=torch.float64)])
    torch.testing.assert_close(ipot(padded, a_pad, u, beta=0.1, iterations=50)[:9],
                               ipot(cost, u, u, beta=0.1, iterations=50))  # fmt: skip
    with pytest.raises(ValueError, match="no transport plan"):
        ipot(padded, torch.full((10,), 0.1, dtype=torch.float64), torch.full((9,), 1 / 9))
    assert transport_cost(torch.eye(2), torch.tensor([[0.0, math.inf], [math.inf, 0.0]])) == 0
    assert transport_cost(torch.ones(2, 2), torch.tensor([[0.0, math.inf], [1.0, 0.0]])) == math.inf


def test_unnormalised_marginals_with_equal_mass_as_pot():
    """POT's ot.emd2 accepts marginals with the same mass, not only probability vectors."""
    cost, a, b = _problem(2, 7, 5, seed=24, uniform=False)
    mass = 3.0
    exact = torch.tensor(
        [ot.emd2(mass * a[i].numpy(), mass * b[i].numpy(), cost[i].numpy()) for i in range(2)],
        dtype=torch.float64,
    )
    torch.testing.assert_close(exact, mass * _emd2(cost, a, b))
    plan = ipot(cost, mass * a, mass * b, beta=0.1, iterations=2000, inner_steps=3)
    assert (((transport_cost(plan, cost) - exact) / exact).abs() < 1e-4).all()
    torch.testing.assert_close(plan.sum(-1), mass * a, atol=1e-6, rtol=1e-3)
    torch.testing.assert_close(
        plan, mass * ipot(cost, a, b, beta=0.1, iterations=2000, inner_steps=3)
    )
    # masses that differ: POT refuses them, and so does ipot, naming the sums
    with pytest.raises(AssertionError, match="same sum"):
        ot.emd2(3 * a[0].numpy(), 2 * b[0].numpy(), cost[0].numpy())
    with pytest.raises(ValueError, match="same mass"):
        ipot(cost, 3 * a, 2 * b)
    with pytest.raises(ValueError, match="None is uniform with mass 1"):
        ipot(cost, 3 * a)
    # a gap within the tolerance: b is rescaled to a's mass, as POT does
    nudged = ipot(cost, a, b * (1 + 5e-5), beta=0.1, iterations=50)
    torch.testing.assert_close(nudged, ipot(cost, a, b, beta=0.1, iterations=50))


def test_gradcheck_logarithmic_updates_with_padding():
    """gradcheck through the logarithmic updates (R = max C / beta > the switch), padded."""
    cost, a, b = _problem(1, 4, 3, seed=25, uniform=False)
    beta = 0.01  # R about 100 > 44: logarithms
    assert not optimal_transport._plain_is_safe(optimal_transport._row_shifted(cost, b), beta)
    a_pad = torch.cat([a, torch.zeros(1, 1, dtype=torch.float64)], -1)
    b_pad = torch.cat([torch.zeros(1, 1, dtype=torch.float64), b], -1)
    big = torch.rand(1, 5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    big[:, :4, 1:] = cost
    big.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda c: ipot_distance(c, a_pad, b_pad, beta=beta, iterations=6, inner_steps=2), (big,)
    )
    x, y = a.clone().requires_grad_(), b.clone().requires_grad_()

    def fn(c, p, q):
        return ipot_distance(c, p / p.sum(-1, keepdim=True), q / q.sum(-1, keepdim=True),
                             beta=beta, iterations=6)  # fmt: skip

    assert torch.autograd.gradcheck(fn, (cost.clone().requires_grad_(), x, y))


def test_doctests_of_the_module_pass():
    import doctest

    assert doctest.testmod(optimal_transport).failed == 0


def test_the_iterates_without_a_graph_are_those_with_one():
    """The buffered loop (no gradient needed) and the autograd one give the same plans."""
    gen = torch.Generator().manual_seed(7)
    cost = torch.rand(3, 6, 5, generator=gen, dtype=torch.float64)
    a = torch.rand(3, 6, generator=gen, dtype=torch.float64)
    b = torch.rand(3, 5, generator=gen, dtype=torch.float64)
    a[0, -1] = 0.0  # padding
    b = b / b.sum(-1, keepdim=True) * a.sum(-1, keepdim=True)
    with_graph = [
        t.detach().clone()
        for t in optimal_transport._ipot_plans(cost.requires_grad_(), a, b, 0.5, 30, 2)
    ]
    without = [
        t.clone() for t in optimal_transport._ipot_plans_no_graph(cost.detach(), a, b, 0.5, 30, 2)
    ]
    assert len(with_graph) == len(without) == 30
    for mine, reference in zip(without, with_graph, strict=True):
        torch.testing.assert_close(mine, reference, rtol=1e-12, atol=1e-15)
    envelope = ipot_distance(cost, a, b, gradient="envelope", iterations=30)
    unrolled = ipot_distance(cost.detach(), a, b, iterations=30)
    torch.testing.assert_close(envelope.detach(), unrolled)


def _random_padded_problem(seed: int, dtype: torch.dtype = torch.float64):
    """A random batch with padded rows and columns (zero marginals) and random sizes."""
    gen = torch.Generator().manual_seed(seed)
    batch, n, m = (int(v) for v in torch.randint(1, 9, (3,), generator=gen))
    cost = torch.rand(batch, n, m, generator=gen, dtype=torch.float64) * 2
    a = torch.rand(batch, n, generator=gen, dtype=torch.float64)
    b = torch.rand(batch, m, generator=gen, dtype=torch.float64)
    a[torch.rand(batch, n, generator=gen) < 0.25] = 0.0  # padding
    b[torch.rand(batch, m, generator=gen) < 0.25] = 0.0
    a[:, 0], b[:, -1] = a[:, 0] + 0.1, b[:, -1] + 0.1  # every row keeps a position
    b = b / b.sum(-1, keepdim=True) * a.sum(-1, keepdim=True)
    return cost.to(dtype), a.to(dtype), b.to(dtype)


@pytest.mark.filterwarnings("ignore:IPOT's plan is far from a transport plan")
@pytest.mark.parametrize("seed", range(24))
def test_the_scaled_iterates_are_the_authors_on_random_padded_problems(seed):
    """The scaled-kernel loop gives the autograd loop's plans at every step, in float64, with
    padding, for several beta, inner steps and fold periods (1: fold every step)."""
    cost, a, b = _random_padded_problem(seed)
    gen = torch.Generator().manual_seed(100 + seed)
    beta = [0.05, 0.2, 0.5, 2.0][seed % 4]
    inner_steps = 1 + seed % 3
    iterations = int(torch.randint(1, 60, (), generator=gen))
    shifted = optimal_transport._row_shifted(cost, b)
    assert optimal_transport._plain_is_safe(shifted, beta)
    reference = [
        t.detach().clone()
        for t in optimal_transport._ipot_plans(
            shifted.clone().requires_grad_(), a, b, beta, iterations, inner_steps
        )
    ]
    for fold_every in (None, 1, 3):
        plans = optimal_transport._ipot_plans_no_graph(
            shifted, a, b, beta, iterations, inner_steps, fold_every
        )
        for mine, theirs in zip(plans, reference, strict=True):
            torch.testing.assert_close(mine, theirs, rtol=1e-12, atol=1e-15)
    last = ipot(cost, a, b, beta=beta, iterations=iterations, inner_steps=inner_steps)
    torch.testing.assert_close(last, reference[-1], rtol=1e-12, atol=1e-15)


def test_the_scaled_iterates_with_forbidden_pairs():
    """+inf costs: no mass, and the same plans as the autograd loop, at every step."""
    cost, a, b = _random_padded_problem(3)
    cost = cost.clone()
    cost[:, 0, 1:] = math.inf  # a kept row allowed in its first column only
    cost[:, -1, :] = math.inf  # the last row forbidden everywhere: padded
    a = a.clone()
    a[:, -1] = 0.0
    b = b / b.sum(-1, keepdim=True) * a.sum(-1, keepdim=True)
    shifted = optimal_transport._row_shifted(cost, b)
    reference = list(optimal_transport._ipot_plans(shifted.requires_grad_(), a, b, 0.3, 40, 2))
    plans = optimal_transport._ipot_plans_no_graph(shifted.detach(), a, b, 0.3, 40, 2, 3)
    for mine, theirs in zip(plans, reference, strict=True):
        torch.testing.assert_close(mine, theirs.detach(), rtol=1e-12, atol=1e-15)
        assert torch.isfinite(mine).all() and mine[torch.isinf(cost)].abs().max() == 0


@pytest.mark.parametrize("ratio", [0.3, 0.95])
def test_the_scaled_iterates_in_float32_near_the_switch(ratio):
    """In float32, with R = max C / beta up to the switch to logarithms (K decays by e^-R per
    step; the folds keep it in range), the plans stay close to the float64 ones."""
    cost, a, b = _problem(4, 30, 25, seed=26, uniform=False)
    a_pad = torch.cat([a, torch.zeros(4, 3, dtype=torch.float64)], -1)
    b_pad = torch.cat([torch.zeros(4, 2, dtype=torch.float64), b], -1)
    big = torch.rand(4, 33, 27, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    big[:, :30, 2:] = cost
    big[:, 30:] -= 3.0  # padded entries below the row minima: kernel entries above 1
    shifted = optimal_transport._row_shifted(big, b_pad)
    limit = optimal_transport._plain_limit(torch.float32)
    beta = shifted.abs().max().item() / (ratio * limit)
    assert optimal_transport._fold_period(ratio * limit, torch.float32) >= 4
    for iterations in (7, 300):
        exact = ipot(big, a_pad, b_pad, beta=beta, iterations=iterations)
        single = ipot(big.float(), a_pad.float(), b_pad.float(), beta=beta, iterations=iterations)
        assert torch.isfinite(single).all()
        torch.testing.assert_close(single.double(), exact, atol=1e-7, rtol=1e-4)
        assert single[:, 30:].abs().max() == 0 and single[:, :, :2].abs().max() == 0
