"""Tests of beyond_mle.divergences: closed forms, brute-force transport plans, properties."""

import itertools
import math

import numpy as np
import pytest
import torch

from beyond_mle.divergences import (
    check_distribution,
    cross_entropy,
    fit_gaussian_mixture_on_grid,
    fit_gaussian_on_grid,
    gaussian_mixture_on_grid,
    gaussian_on_grid,
    generalized_js_divergence,
    js_divergence,
    kl_divergence,
    rbf_mmd,
    reverse_kl_divergence,
    wasserstein1_grid,
    wasserstein1_samples,
)


def _random_pair(shape, seed=0):
    gen = torch.Generator().manual_seed(seed)
    p = torch.rand(shape, dtype=torch.float64, generator=gen) + 0.01
    q = torch.rand(shape, dtype=torch.float64, generator=gen) + 0.01
    return p / p.sum(-1, keepdim=True), q / q.sum(-1, keepdim=True)


def test_kl_matches_numpy_and_the_bernoulli_closed_form():
    p, q = _random_pair((3, 7))
    pn, qn = p.numpy(), q.numpy()
    expected = (pn * np.log(pn / qn)).sum(-1)
    np.testing.assert_allclose(kl_divergence(p, q).numpy(), expected, rtol=1e-12)
    a, b = 0.3, 0.8
    bern = kl_divergence(torch.tensor([a, 1 - a], dtype=torch.float64),
                         torch.tensor([b, 1 - b], dtype=torch.float64))  # fmt: skip
    assert math.isclose(bern.item(), a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b)))
    torch.testing.assert_close(kl_divergence(p, p), torch.zeros(3, dtype=torch.float64))


def test_kl_zero_mass_conventions():
    p = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)
    q = torch.tensor([0.25, 0.25, 0.5], dtype=torch.float64)
    assert math.isclose(kl_divergence(p, q).item(), math.log(2))  # 0 log 0 = 0
    assert math.isinf(kl_divergence(q, p).item())  # q puts mass where p has none


def test_js_matches_entropy_form_and_bounds():
    p, q = _random_pair((5, 9), seed=3)

    def entropy(r):
        return -(r * r.log()).sum(-1)

    m = 0.5 * (p + q)
    torch.testing.assert_close(js_divergence(p, q), entropy(m) - 0.5 * (entropy(p) + entropy(q)))
    torch.testing.assert_close(js_divergence(p, q), js_divergence(q, p))
    assert (js_divergence(p, q) >= 0).all() and (js_divergence(p, q) <= math.log(2)).all()
    disjoint_p = torch.tensor([0.2, 0.8, 0.0, 0.0], dtype=torch.float64)
    disjoint_q = torch.tensor([0.0, 0.0, 0.6, 0.4], dtype=torch.float64)
    assert math.isclose(js_divergence(disjoint_p, disjoint_q).item(), math.log(2))
    assert js_divergence(p, p).abs().max().item() < 1e-15


def test_dim_argument():
    p, q = _random_pair((4, 6), seed=5)
    torch.testing.assert_close(kl_divergence(p.T, q.T, dim=0), kl_divergence(p, q))
    torch.testing.assert_close(js_divergence(p.T, q.T, dim=0), js_divergence(p, q))


def test_js_gradcheck():
    p, q = _random_pair((6,), seed=7)
    logits = p.log().requires_grad_()
    assert torch.autograd.gradcheck(lambda x: js_divergence(torch.softmax(x, -1), q), (logits,))


def test_wasserstein_grid_shift_and_gaussians():
    x = torch.arange(10, dtype=torch.float64)
    p = torch.tensor([0.1, 0.3, 0.6] + [0.0] * 7, dtype=torch.float64)
    q = torch.roll(p, 4)
    assert math.isclose(wasserstein1_grid(p, q, x).item(), 4.0)  # all mass moves by 4
    grid = torch.linspace(-10, 15, 5001, dtype=torch.float64)
    gauss = [torch.softmax(-0.5 * (grid - mu) ** 2, -1) for mu in (0.0, 2.5)]
    assert math.isclose(wasserstein1_grid(*gauss, grid).item(), 2.5, rel_tol=1e-9)
    batch = wasserstein1_grid(torch.stack([p, q]), torch.stack([q, q]), x)
    torch.testing.assert_close(batch, torch.tensor([4.0, 0.0], dtype=torch.float64))


def test_wasserstein_samples_equal_size_against_every_matching():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, dtype=torch.float64, generator=gen)
    y = torch.randn(6, dtype=torch.float64, generator=gen) + 1.0
    best = min(
        sum(abs(x[i] - y[j]).item() for i, j in enumerate(perm)) / 6
        for perm in itertools.permutations(range(6))
    )
    assert math.isclose(wasserstein1_samples(x, y).item(), best, rel_tol=1e-12)


def test_wasserstein_samples_unequal_size_against_grid():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(7, dtype=torch.float64, generator=gen)
    y = torch.randn(4, dtype=torch.float64, generator=gen) * 2
    support = torch.cat([x, y]).sort().values
    p = (support[:, None] == x[None]).double().sum(1) / 7
    q = (support[:, None] == y[None]).double().sum(1) / 4
    torch.testing.assert_close(wasserstein1_samples(x, y), wasserstein1_grid(p, q, support))
    # repeating a sample does not change its empirical distribution
    torch.testing.assert_close(wasserstein1_samples(x, torch.cat([x, x])), x.new_zeros(()))


def test_wasserstein_samples_gradcheck():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(5, dtype=torch.float64, generator=gen, requires_grad=True)
    y = torch.randn(3, dtype=torch.float64, generator=gen)
    assert torch.autograd.gradcheck(lambda a: wasserstein1_samples(a, y), (x,))
    assert torch.autograd.gradcheck(lambda a: wasserstein1_samples(a, y[:5]), (x[:3],))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: kl_divergence(torch.ones(2) / 2, torch.ones(3) / 3), "same shape"),
        (lambda: js_divergence(torch.tensor([0.5, 0.6]), torch.ones(2) / 2), "sum to 1"),
        (lambda: js_divergence(torch.tensor([1.5, -0.5]), torch.ones(2) / 2), "non-negative"),
        (lambda: check_distribution(torch.ones(2, dtype=torch.long), "p"), "floating-point"),
        (lambda: wasserstein1_grid(torch.ones(2) / 2, torch.ones(2) / 2, torch.tensor([1.0, 0.0])),
         "strictly increasing"),
        (lambda: wasserstein1_grid(torch.ones(2) / 2, torch.ones(2) / 2, torch.zeros(3)), "points"),
        (lambda: wasserstein1_samples(torch.zeros(0), torch.zeros(2)), "non-empty 1-D"),
        (lambda: wasserstein1_samples(torch.tensor([math.inf]), torch.zeros(2)), "finite"),
    ],
)  # fmt: skip
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- reverse KL and the generalised Jensen-Shannon divergence (chapter "Scheduled sampling") --


def test_reverse_kl_swaps_the_arguments():
    p, q = _random_pair((3, 5), seed=11)
    torch.testing.assert_close(reverse_kl_divergence(p, q), kl_divergence(q, p))
    pn, qn = p.numpy(), q.numpy()
    np.testing.assert_allclose(reverse_kl_divergence(p, q).numpy(), (qn * np.log(qn / pn)).sum(-1))


def test_generalized_js_half_is_js_and_bounds():
    p, q = _random_pair((4, 8), seed=12)
    torch.testing.assert_close(generalized_js_divergence(p, q, 0.5), js_divergence(p, q))
    for pi in (0.0, 0.2, 0.7, 1.0):
        entropy = -sum(w * math.log(w) for w in (pi, 1 - pi) if w > 0)
        value = generalized_js_divergence(p, q, pi)
        assert (value >= -1e-15).all() and (value <= entropy + 1e-12).all()
        # JS_pi(p || q) = JS_{1 - pi}(q || p)
        torch.testing.assert_close(value, generalized_js_divergence(q, p, 1 - pi))
    disjoint_p = torch.tensor([0.3, 0.7, 0.0], dtype=torch.float64)
    disjoint_q = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    h = -(0.2 * math.log(0.2) + 0.8 * math.log(0.8))
    assert math.isclose(generalized_js_divergence(disjoint_p, disjoint_q, 0.2).item(), h)


def test_generalized_js_entropy_form():
    p, q = _random_pair((7,), seed=13)
    pi = 0.3

    def entropy(r):
        return -(r * r.log()).sum(-1)

    expected = entropy(pi * p + (1 - pi) * q) - pi * entropy(p) - (1 - pi) * entropy(q)
    torch.testing.assert_close(generalized_js_divergence(p, q, pi), expected)


def test_generalized_js_limits_are_the_two_kls():
    p, q = _random_pair((6,), seed=14)
    small = 1e-6
    forward = generalized_js_divergence(p, q, small) / small
    backward = generalized_js_divergence(p, q, 1 - small) / small
    torch.testing.assert_close(forward, kl_divergence(p, q), rtol=1e-4, atol=0)
    torch.testing.assert_close(backward, kl_divergence(q, p), rtol=1e-4, atol=0)


def test_generalized_js_gradcheck():
    p, q = _random_pair((5,), seed=15)
    logits = q.log().requires_grad_()

    def fn(x):
        return generalized_js_divergence(p, torch.softmax(x, -1), 0.3)

    assert torch.autograd.gradcheck(fn, (logits,))


def test_generalized_js_rejects_bad_pi():
    with pytest.raises(ValueError, match="pi must be in"):
        generalized_js_divergence(torch.ones(2) / 2, torch.ones(2) / 2, 1.5)


def test_gaussian_on_grid_moments():
    grid = torch.linspace(-15, 15, 6001, dtype=torch.float64)
    p = gaussian_on_grid(grid, 1.5, 2.0)
    assert math.isclose(p.sum().item(), 1.0, rel_tol=1e-12)
    mean = (p * grid).sum()
    assert math.isclose(mean.item(), 1.5, rel_tol=1e-6)
    assert math.isclose(((p * (grid - mean) ** 2).sum().sqrt()).item(), 2.0, rel_tol=1e-3)


def test_gaussian_on_grid_is_differentiable_in_mean_and_std():
    grid = torch.linspace(-4, 4, 41, dtype=torch.float64)
    theta = torch.tensor([0.3, 1.2], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: gaussian_on_grid(grid, t[0], t[1]), (theta,))


@pytest.mark.parametrize(
    ("support", "std", "match"),
    [
        (torch.linspace(0, 1, 5), 0.0, "std must be > 0"),
        (torch.zeros(1), 1.0, "1-D grid of >= 2 points"),
        (torch.zeros(2, 3), 1.0, "1-D grid of >= 2 points"),
    ],
)
def test_gaussian_on_grid_rejects_bad_input(support, std, match):
    with pytest.raises(ValueError, match=match):
        gaussian_on_grid(support, 0.0, std)


def test_gaussian_fit_mode_covering_and_seeking():
    x = torch.linspace(-8, 8, 801, dtype=torch.float64)
    p = 0.5 * gaussian_on_grid(x, -2.0, 0.5) + 0.5 * gaussian_on_grid(x, 2.0, 0.5)
    covering = fit_gaussian_on_grid(p, x, kl_divergence)
    assert abs(covering["mean"]) < 1e-4 and math.isclose(
        covering["std"], math.sqrt(4.25), rel_tol=1e-3
    )
    seeking = fit_gaussian_on_grid(p, x, lambda a, b: kl_divergence(b, a))
    assert math.isclose(abs(seeking["mean"]), 2.0, rel_tol=1e-3) and seeking["std"] < 0.51
    js = fit_gaussian_on_grid(p, x, lambda a, b: generalized_js_divergence(a, b, 0.9))
    assert abs(js["mean"]) > 1.9
    with pytest.raises(ValueError, match="starts"):
        fit_gaussian_on_grid(p, x, kl_divergence, starts=())


def test_rbf_mmd_against_a_double_sum_and_shifts():
    gen = torch.Generator().manual_seed(0)
    data = torch.randn(1000, 2, generator=gen)
    other = torch.randn(1000, 2, generator=gen)
    near, far = rbf_mmd(data, other), rbf_mmd(data, other + 1.0)
    assert rbf_mmd(data, data).item() == 0.0
    assert 0 <= near.item() < 0.01 < far.item()
    x, y = data[:30].double(), other[:20].double()

    def k(u, v):
        return sum(math.exp(-((u - v) ** 2).sum().item() / (2 * h * h)) for h in (0.1, 0.5, 2.0))

    direct = (
        sum(k(a, b) for a in x for b in x) / 900
        + sum(k(a, b) for a in y for b in y) / 400
        - 2 * sum(k(a, b) for a in x for b in y) / 600
    )
    assert rbf_mmd(x, y).item() == pytest.approx(direct, rel=1e-9)
    with pytest.raises(ValueError, match="shapes"):
        rbf_mmd(data, torch.zeros(5, 3))
    with pytest.raises(ValueError, match="bandwidths"):
        rbf_mmd(data, other, bandwidths=(0.0,))


def test_cross_entropy_is_entropy_plus_kl():
    p, q = _random_pair((4, 7), seed=11)
    pn, qn = p.numpy(), q.numpy()
    np.testing.assert_allclose(cross_entropy(p, q).numpy(), -(pn * np.log(qn)).sum(-1), rtol=1e-12)
    torch.testing.assert_close(cross_entropy(p, q), cross_entropy(p, p) + kl_divergence(p, q))
    zero = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)
    other = torch.tensor([0.25, 0.25, 0.5], dtype=torch.float64)
    assert math.isclose(cross_entropy(zero, other).item(), math.log(4))  # 0 log q = 0
    assert math.isinf(cross_entropy(other, zero).item())  # mass where the scored has none


def test_gaussian_mixture_on_grid_against_its_components():
    x = torch.linspace(-10, 10, 2001, dtype=torch.float64)
    means = torch.tensor([-3.0, 1.0, 4.0], dtype=torch.float64)
    stds = torch.tensor([0.5, 1.0, 0.7], dtype=torch.float64)
    weights = torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64)
    mixture = gaussian_mixture_on_grid(x, means, stds, 2 * weights)  # weights are normalised
    # on a fine grid each component's discretisation holds almost all its mass
    expected = sum(
        w * gaussian_on_grid(x, m, s) for m, s, w in zip(means, stds, weights, strict=True)
    )
    torch.testing.assert_close(mixture, expected, atol=1e-12, rtol=1e-9)
    one = gaussian_mixture_on_grid(x, means[:1], stds[:1])
    torch.testing.assert_close(one, gaussian_on_grid(x, -3.0, 0.5))
    theta = torch.cat([means, stds, weights]).requires_grad_()
    coarse = torch.linspace(-6, 6, 25, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda t: gaussian_mixture_on_grid(coarse, t[:3], t[3:6], t[6:]), (theta,)
    )


def test_mixture_fits_recover_the_data_and_seek_modes():
    x = torch.linspace(-8, 8, 801, dtype=torch.float64)
    three = torch.tensor([-4.0, 0.0, 4.0], dtype=torch.float64)
    p = gaussian_mixture_on_grid(x, three, torch.full((3,), 0.5, dtype=torch.float64))
    for divergence in (kl_divergence, reverse_kl_divergence):
        fit = fit_gaussian_mixture_on_grid(p, x, divergence, [((-2.0, 0.5, 2.0), 1.0)])
        assert fit["value"] < 1e-8
        np.testing.assert_allclose(sorted(fit["means"]), [-4.0, 0.0, 4.0], atol=1e-3)
        torch.testing.assert_close(fit["probs"], p, atol=1e-6, rtol=0)
    # two components: the reverse KL puts each on a mode, value log(3 / 2), from a start near
    # two modes; the start between them is only a local minimum
    starts = [((-1.0, 1.0), 1.0), ((-4.5, 3.0), 1.0)]
    seeking = fit_gaussian_mixture_on_grid(p, x, reverse_kl_divergence, starts)
    assert math.isclose(seeking["value"], math.log(1.5), rel_tol=1e-3)
    assert max(seeking["stds"]) < 0.51
    local = fit_gaussian_mixture_on_grid(p, x, reverse_kl_divergence, starts[:1])
    assert local["value"] > seeking["value"] + 0.01
    with pytest.raises(ValueError, match="starts"):
        fit_gaussian_mixture_on_grid(p, x, kl_divergence, [])
    with pytest.raises(ValueError, match="same number"):
        fit_gaussian_mixture_on_grid(p, x, kl_divergence, [((0.0,), 1.0), ((0.0, 1.0), 1.0)])
    with pytest.raises(ValueError, match="std must be > 0"):
        fit_gaussian_mixture_on_grid(p, x, kl_divergence, [((0.0,), 0.0)])


@pytest.mark.parametrize(
    ("means", "stds", "weights", "match"),
    [
        ([0.0], [0.0], None, "stds must be > 0"),
        ([0.0, 1.0], [1.0], None, "means and stds"),
        ([0.0], [1.0], [-1.0], "weights"),
    ],
)
def test_gaussian_mixture_rejects_bad_input(means, stds, weights, match):
    t = lambda v: None if v is None else torch.tensor(v, dtype=torch.float64)  # noqa: E731
    with pytest.raises(ValueError, match=match):
        gaussian_mixture_on_grid(torch.linspace(-1, 1, 5, dtype=torch.float64),
                                 t(means), t(stds), t(weights))  # fmt: skip
