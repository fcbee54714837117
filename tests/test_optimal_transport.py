"""Tests of beyond_mle.optimal_transport against POT's exact ``ot.emd2`` and autograd."""

from __future__ import annotations

import ot
import pytest
import torch

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
        (lambda: ipot(torch.rand(2, 2), torch.tensor([0.3, 0.3])), "sum to 1"),
        (lambda: ipot_distance(torch.rand(3, 3), gradient="exact"), "gradient"),
        (lambda: sinkhorn(torch.rand(3, 3), epsilon=-1.0), "epsilon"),
        (lambda: cosine_cost(torch.rand(3, 2), torch.rand(3, 4)), "x and y"),
        (lambda: soft_argmax_embeddings(torch.rand(1, 2, 4), torch.rand(5, 3)), "vocabulary"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
