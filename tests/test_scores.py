"""Tests of beyond_mle.scores: closed forms, a numpy oracle, Lemma 1, gradients, input checks.

The oracle computes every score with explicit numpy loops over samples and classes, skipping
zero probabilities (the 0 log 0 = 0 convention), independently of the torch code. A second,
independent reference is ``scipy.stats.entropy``: the per-sample KL of the Inception score as
Barratt and Sharma (2018) recommend computing it, and the entropies of the decompositions.
"""

import math

import numpy as np
import pytest
import torch
from scipy.stats import entropy

from beyond_mle.scores import (
    AMScoreTerms,
    InceptionScoreTerms,
    am_score,
    am_score_terms,
    inception_score,
    inception_score_terms,
    mode_score,
)

# --------------------------------------------------------------------------------------------
# Oracle and data
# --------------------------------------------------------------------------------------------


def _np_kl(p: np.ndarray, q: np.ndarray) -> float:
    total = 0.0
    for pk, qk in zip(p, q, strict=True):
        if pk > 0:
            total += math.inf if qk == 0 else pk * math.log(pk / qk)
    return total


def _np_entropy(p: np.ndarray) -> float:
    return -sum(pk * math.log(pk) for pk in p if pk > 0)


def _np_scores(probs: np.ndarray, reference_probs: np.ndarray) -> dict[str, float]:
    marginal, reference = probs.mean(0), reference_probs.mean(0)
    log_is = np.mean([_np_kl(row, marginal) for row in probs])
    log_mode = np.mean([_np_kl(row, reference) for row in probs]) - _np_kl(marginal, reference)
    mean_entropy = np.mean([_np_entropy(row) for row in probs])
    return {
        "is": math.exp(log_is),
        "mode": math.exp(log_mode),
        "am": _np_kl(reference, marginal) + mean_entropy,
        "marginal_entropy": _np_entropy(marginal),
        "mean_entropy": mean_entropy,
    }


def _random_probs(n: int, k: int, seed: int, *, scale: float = 2.0, zeros: bool = False):
    gen = torch.Generator().manual_seed(seed)
    logits = scale * torch.randn(n, k, dtype=torch.float64, generator=gen)
    probs = torch.softmax(logits, -1)
    if zeros:  # exact zeros in some entries, class 0 never predicted
        probs = probs * (torch.rand(n, k, dtype=torch.float64, generator=gen) > 0.3)
        probs[:, 0] = 0.0
        probs[:, 1] += 1e-3  # keep every row non-empty
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


# --------------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------------


def test_inception_score_is_one_for_identical_rows():
    row = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    probs = row.expand(5, 4).clone()
    torch.testing.assert_close(inception_score(probs), torch.tensor(1.0, dtype=torch.float64))
    terms = inception_score_terms(probs)
    torch.testing.assert_close(terms.marginal_entropy, terms.mean_entropy)


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_inception_score_is_k_for_confident_balanced_rows(k):
    probs = torch.eye(k, dtype=torch.float64).repeat(3, 1)  # (3k, k): each class 3 times
    torch.testing.assert_close(inception_score(probs), torch.tensor(float(k), dtype=torch.float64))
    terms = inception_score_terms(probs)
    torch.testing.assert_close(
        terms.marginal_entropy, torch.tensor(math.log(k), dtype=torch.float64)
    )
    torch.testing.assert_close(terms.mean_entropy, torch.tensor(0.0, dtype=torch.float64))


def test_inception_score_lies_between_one_and_k():
    for seed in range(5):
        probs = _random_probs(20, 6, seed, scale=3.0)
        score = inception_score(probs).item()
        assert 1.0 <= score <= 6.0


def test_unbalanced_one_hot_rows_give_exp_of_marginal_entropy():
    # one-hot rows with class frequencies (1/2, 1/4, 1/4): IS = exp(H) = 2 * sqrt(2)
    probs = torch.eye(3, dtype=torch.float64)[[0, 0, 1, 2]]
    torch.testing.assert_close(
        inception_score(probs), torch.tensor(2 * math.sqrt(2), dtype=torch.float64)
    )


def test_am_score_closed_forms():
    probs = torch.eye(4, dtype=torch.float64).repeat(2, 1)
    reference_probs = torch.eye(4, dtype=torch.float64)
    zero = torch.tensor(0.0, dtype=torch.float64)
    torch.testing.assert_close(am_score(probs, reference_probs), zero)
    torch.testing.assert_close(am_score(probs, reference_probs, exponential=True), zero.exp())
    # uniform predictions: marginals match, mean entropy is log K
    uniform = torch.full((3, 4), 0.25, dtype=torch.float64)
    torch.testing.assert_close(am_score(uniform, reference_probs), zero + math.log(4))
    # all samples in one class against a balanced reference: KL(uniform || e_0) = inf
    collapsed = torch.eye(4, dtype=torch.float64)[[0, 0]]
    terms = am_score_terms(collapsed, reference_probs)
    assert math.isinf(terms.marginal_kl.item()) and terms.mean_entropy.item() == 0.0


# --------------------------------------------------------------------------------------------
# The numpy oracle
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zeros", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scores_match_the_numpy_oracle(seed, zeros):
    probs = _random_probs(17, 7, seed, zeros=zeros)
    reference_probs = _random_probs(11, 7, seed + 100)
    expected = _np_scores(probs.numpy(), reference_probs.numpy())
    is_terms = inception_score_terms(probs)
    am_terms = am_score_terms(probs, reference_probs)
    got = {
        "is": inception_score(probs).item(),
        "mode": mode_score(probs, reference_probs).item(),
        "am": am_score(probs, reference_probs).item(),
        "marginal_entropy": is_terms.marginal_entropy.item(),
        "mean_entropy": is_terms.mean_entropy.item(),
    }
    for name, value in expected.items():
        assert math.isclose(got[name], value, rel_tol=1e-12, abs_tol=1e-12), name
    assert math.isclose(am_terms.score.item(), expected["am"], rel_tol=1e-12)
    assert isinstance(is_terms, InceptionScoreTerms) and isinstance(am_terms, AMScoreTerms)


@pytest.mark.parametrize("zeros", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scores_match_scipy_entropy(seed, zeros):
    """scipy.stats.entropy(p) is H(p), entropy(p, q) is KL(p || q); both in nats."""
    probs = _random_probs(23, 8, seed, scale=3.0, zeros=zeros)
    reference_probs = _random_probs(13, 8, seed + 200)
    p, r = probs.numpy(), reference_probs.numpy()
    marginal, reference = p.mean(0), r.mean(0)
    log_is = np.mean([entropy(row, marginal) for row in p])
    log_mode = np.mean([entropy(row, reference) for row in p]) - entropy(marginal, reference)
    mean_entropy = np.mean([entropy(row) for row in p])
    am = entropy(reference, marginal) + mean_entropy
    assert math.isclose(inception_score(probs).item(), math.exp(log_is), rel_tol=1e-12)
    assert math.isclose(
        mode_score(probs, reference_probs).item(), math.exp(log_mode), rel_tol=1e-12
    )
    assert math.isclose(am_score(probs, reference_probs).item(), am, rel_tol=1e-12)
    assert math.isclose(
        am_score(probs, reference_probs, exponential=True).item(), math.exp(am), rel_tol=1e-12
    )
    is_terms = inception_score_terms(probs)
    assert math.isclose(is_terms.marginal_entropy.item(), entropy(marginal), rel_tol=1e-12)
    assert math.isclose(is_terms.mean_entropy.item(), mean_entropy, rel_tol=1e-12)
    am_terms = am_score_terms(probs, reference_probs)
    assert math.isclose(am_terms.reference_entropy.item(), entropy(reference), rel_tol=1e-12)
    # the cross-entropy H(C_train, C_G) = KL(C_train || C_G) + H(C_train)
    cross_entropy = entropy(reference, marginal) + entropy(reference)
    assert math.isclose(am_terms.cross_entropy.item(), cross_entropy, rel_tol=1e-12)


def test_inception_score_matches_scipy_on_a_known_example():
    # two classes, predictions (1, 0) and (1/2, 1/2): marginal (3/4, 1/4)
    probs = torch.tensor([[1.0, 0.0], [0.5, 0.5]], dtype=torch.float64)
    expected = math.exp(0.5 * (math.log(4 / 3) + 0.5 * math.log(2 / 3) + 0.5 * math.log(2)))
    scipy_value = math.exp(np.mean([entropy(row, [0.75, 0.25]) for row in probs.numpy()]))
    assert math.isclose(scipy_value, expected, rel_tol=1e-14)
    assert math.isclose(inception_score(probs).item(), expected, rel_tol=1e-14)


def test_zero_probabilities_give_no_nan():
    probs = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], dtype=torch.float64)
    reference_probs = torch.tensor([[0.5, 0.5, 0.0]], dtype=torch.float64)
    values = [
        inception_score(probs),
        mode_score(probs, reference_probs),
        am_score(probs, reference_probs),
        *vars(inception_score_terms(probs)).values(),
    ]
    assert all(torch.isfinite(v) for v in values)


# --------------------------------------------------------------------------------------------
# Lemma 1 and the IS / MODE equivalence
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_lemma_1_log_is_equals_difference_of_entropies(seed):
    """E_x KL(C(x) || C_bar) = H(C_bar) - E_x H(C(x)) to float64 precision."""
    gen = torch.Generator().manual_seed(seed)
    n, k = (int(v) for v in torch.randint(1, 40, (2,), generator=gen))
    probs = _random_probs(n, k, seed, scale=float(1 + seed), zeros=seed % 2 == 1 and k > 2)
    log_is = inception_score(probs).log()
    terms = inception_score_terms(probs)
    torch.testing.assert_close(log_is, terms.log_score, rtol=0.0, atol=1e-13)


@pytest.mark.parametrize("seed", range(6))
def test_mode_score_equals_inception_score(seed):
    """The reference cross-entropy cancels in eq. (2): MODE = IS for any positive reference."""
    probs = _random_probs(25, 5, seed, zeros=seed % 2 == 1)
    expected = inception_score(probs)
    # the reference taken as the generated marginal itself: the KL term vanishes
    torch.testing.assert_close(mode_score(probs, probs), expected, rtol=1e-13, atol=0.0)
    torch.testing.assert_close(
        mode_score(probs, probs.mean(0, keepdim=True)), expected, rtol=1e-13, atol=0.0
    )
    # and any other reference with a positive marginal
    for reference_probs in (_random_probs(9, 5, seed + 50, scale=4.0), torch.eye(5).double()):
        torch.testing.assert_close(
            mode_score(probs, reference_probs), expected, rtol=1e-12, atol=0.0
        )


def test_am_score_depends_on_the_reference_and_mode_score_does_not():
    probs = _random_probs(30, 4, 3)
    ref_a, ref_b = _random_probs(10, 4, 4), _random_probs(10, 4, 5, scale=5.0)
    assert mode_score(probs, ref_a).item() == pytest.approx(mode_score(probs, ref_b).item())
    assert abs(am_score(probs, ref_a).item() - am_score(probs, ref_b).item()) > 1e-3


# --------------------------------------------------------------------------------------------
# Gradients and dtypes
# --------------------------------------------------------------------------------------------


def test_gradcheck_inception_score_through_softmax():
    logits = torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z: inception_score(torch.softmax(z, -1)), (logits,))
    assert torch.autograd.gradcheck(
        lambda z: inception_score_terms(torch.softmax(z, -1)).log_score, (logits,)
    )


def test_gradcheck_mode_and_am_scores_through_softmax():
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(5, 3, dtype=torch.float64, generator=gen).requires_grad_(True)
    ref_logits = torch.randn(4, 3, dtype=torch.float64, generator=gen).requires_grad_(True)

    def am(z, r):
        return am_score(torch.softmax(z, -1), torch.softmax(r, -1), exponential=True)

    def mode(z, r):
        return mode_score(torch.softmax(z, -1), torch.softmax(r, -1))

    assert torch.autograd.gradcheck(am, (logits, ref_logits))
    assert torch.autograd.gradcheck(mode, (logits, ref_logits))


def test_float32_inputs_keep_their_dtype_and_agree_with_float64():
    probs = _random_probs(12, 5, 7)
    reference_probs = _random_probs(8, 5, 8)
    score32 = inception_score(probs.float())
    assert score32.dtype == torch.float32
    torch.testing.assert_close(score32.double(), inception_score(probs), rtol=1e-5, atol=0.0)
    # mixed dtypes are promoted
    assert am_score(probs.float(), reference_probs).dtype == torch.float64


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------

_GOOD = torch.full((3, 4), 0.25, dtype=torch.float64)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (torch.full((4,), 0.25, dtype=torch.float64), "probs must be 2-D"),
        (torch.full((2, 3, 4), 0.25, dtype=torch.float64), "probs must be 2-D"),
        (torch.zeros(0, 4, dtype=torch.float64), "probs must hold at least one sample"),
        (torch.zeros(3, 0, dtype=torch.float64), "probs must hold at least one sample"),
        (torch.tensor([[1.5, -0.5]], dtype=torch.float64), "probs must hold finite, non-negative"),
        (torch.tensor([[0.5, 0.6]], dtype=torch.float64), "probs must sum to 1"),
        (torch.tensor([[math.nan, 1.0]], dtype=torch.float64), "probs must hold finite"),
        (torch.tensor([[1, 0]]), "probs must be a floating-point tensor"),
        (np.full((3, 4), 0.25), "probs must be a torch.Tensor"),
    ],
)
def test_bad_probs_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        inception_score(bad)
    with pytest.raises(ValueError, match=match):
        inception_score_terms(bad)
    with pytest.raises(ValueError, match=f"^{match}"):
        mode_score(bad, _GOOD)
    with pytest.raises(ValueError, match=f"^{match}"):
        am_score(bad, _GOOD)
    with pytest.raises(ValueError, match=f"reference_{match}"):
        am_score_terms(_GOOD, bad)
    with pytest.raises(ValueError, match=f"reference_{match}"):
        mode_score(_GOOD, bad)


def test_class_count_mismatch_and_mode_support_raise():
    with pytest.raises(ValueError, match="same number of classes K, got 4 and 3"):
        mode_score(_GOOD, torch.full((2, 3), 1 / 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="same number of classes K"):
        am_score(_GOOD, torch.full((2, 3), 1 / 3, dtype=torch.float64))
    reference_probs = torch.tensor([[0.5, 0.5, 0.0, 0.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match="reference_probs must give the classes used by probs"):
        mode_score(_GOOD, reference_probs)
