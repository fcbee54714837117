"""Tests of the gradient fields of the pull to the average (beyond_mle.chapters.pull_to_average)."""

import math
from dataclasses import replace

import pytest
import torch

from beyond_mle.bleu import corpus_bleu, corpus_gleu
from beyond_mle.chapters.pull_to_average import (
    PullToAverageConfig,
    bit_cross_entropies,
    crossed_bit_loss,
    descend,
    descent_starts,
    endpoint_fractions,
    finite_difference_gradient,
    gradient,
    hessian,
    probability_grid,
    probability_velocity,
    soft_score_loss,
    two_token_probs,
    uniform_logits,
)
from beyond_mle.experiments import get_experiment

F64 = torch.float64


def _points(n=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.logit(0.05 + 0.9 * torch.rand(n, 2, generator=gen, dtype=F64))


def test_sub_losses_are_cross_entropies_with_the_closed_form_gradient():
    h = _points()
    j = bit_cross_entropies(h, [0, 1])
    p = torch.sigmoid(h)
    torch.testing.assert_close(j[:, :, 0], -torch.log(1 - p))
    torch.testing.assert_close(j[:, :, 1], -torch.log(p))
    _, grad = gradient(lambda x: crossed_bit_loss(x, [0, 1]), h)
    torch.testing.assert_close(grad, 2 * p - 1)  # sum_j (sigma(h_i) - r_j)
    with pytest.raises(ValueError, match="reference_bits"):
        bit_cross_entropies(h, [0, 2])


def test_caricature_fixed_point_is_the_mean_bit():
    loss = lambda x: crossed_bit_loss(x, [0, 1])  # noqa: E731
    _, grad = gradient(loss, torch.zeros(1, 2, dtype=F64))
    assert grad.abs().max().item() == 0.0
    torch.testing.assert_close(
        hessian(loss, torch.zeros(2, dtype=F64)), 0.5 * torch.eye(2, dtype=F64)
    )
    ends = torch.sigmoid(descend(loss, _points(), lr=1.0, steps=200))
    torch.testing.assert_close(ends, torch.full_like(ends, 0.5))
    ends = torch.sigmoid(
        descend(lambda x: crossed_bit_loss(x, [0, 1, 1]), _points(), lr=1.0, steps=300)
    )
    torch.testing.assert_close(ends, torch.full_like(ends, 2 / 3))


def test_two_token_probs_and_hard_corners_give_the_exact_scores():
    corners = torch.tensor([[-30.0, 30.0], [30.0, -30.0]], dtype=F64)  # "a b" and "b a"
    probs = two_token_probs(corners)
    torch.testing.assert_close(probs.sum(-1), torch.ones(2, 2, dtype=F64))
    for k, hyp in enumerate(([0, 1], [1, 0])):
        for score, exact in (("bleu", corpus_bleu), ("gleu", corpus_gleu)):
            kwargs = {"max_order": 2} if score == "bleu" else {"max_len": 2}
            want = exact([hyp], [[[0, 1]]], **kwargs).item()
            got = soft_score_loss(corners[k : k + 1], [[[0, 1]]], score=score, order=2).item()
            assert math.exp(-got) - 1e-10 == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize("score", ["bleu", "gleu"])
@pytest.mark.parametrize("corpus", [[[[0, 1]]], [[[0, 1]], [[1, 0]]], [[[0, 1], [1, 0]]]])
def test_soft_score_gradient_matches_finite_differences(score, corpus):
    h = _points(10, seed=1)
    h = h[(torch.sigmoid(h).sum(-1) - 1).abs() > 0.01]  # away from the kink of min()
    loss = lambda x: soft_score_loss(x, corpus, score=score, order=2)  # noqa: E731
    _, grad = gradient(loss, h)
    torch.testing.assert_close(grad, finite_difference_gradient(loss, h), atol=1e-7, rtol=1e-6)


def test_bigram_bleu_closed_form_and_corpus_saddle():
    h = _points(8, seed=2)
    p0, p1 = torch.sigmoid(h).unbind(-1)
    s = p0 + p1
    unigram = (1 + torch.minimum(s, 2 - s)) / 2
    bigram = (1 - p0) * p1
    expected = -torch.log(torch.sqrt(unigram * bigram) + 1e-10)
    torch.testing.assert_close(soft_score_loss(h, [[[0, 1]]], score="bleu", order=2), expected)
    corpus = lambda x: soft_score_loss(x, [[[0, 1]], [[1, 0]]], score="bleu", order=2)  # noqa: E731
    _, grad = gradient(corpus, torch.zeros(1, 2, dtype=F64))
    assert grad.abs().max().item() < 1e-12
    eig = torch.linalg.eigvalsh(hessian(corpus, torch.zeros(2, dtype=F64)))
    assert eig[0] < 0 < eig[1]  # a saddle


def test_velocity_grid_and_endpoints():
    probs, logits = probability_grid(5)
    assert probs.shape == (25, 2) and (probs[12] == 0.5).all()
    torch.testing.assert_close(torch.sigmoid(logits), probs)
    grad = torch.ones_like(logits)
    torch.testing.assert_close(probability_velocity(logits, grad), -probs * (1 - probs))
    ends = torch.tensor([[0.5, 0.5], [0.01, 0.99], [0.3, 0.3]], dtype=F64)
    fractions = endpoint_fractions(ends, {"avg": (0.5, 0.5), "ab": (0.0, 1.0)})
    assert fractions == pytest.approx({"avg": 1 / 3, "ab": 1 / 3, "elsewhere": 1 / 3})
    with pytest.raises(ValueError, match="score"):
        soft_score_loss(logits, [[[0, 1]]], score="rouge", order=2)
    with pytest.raises(ValueError, match="n must"):
        probability_grid(1)


def test_starts_come_from_named_streams_uniform_in_the_square():
    config = PullToAverageConfig(n_starts=500)
    starts = descent_starts(config)
    assert starts.shape == (500, 2) and starts.dtype == F64
    assert torch.equal(starts, descent_starts(config))
    assert not torch.equal(starts, descent_starts(replace(config, seed=1)))
    assert not torch.equal(starts, uniform_logits(config.seed, "gradient check", 500))
    probs = torch.sigmoid(starts)
    assert 0.45 < probs.mean().item() < 0.55 and probs.min() > 0 and probs.max() < 1
    with pytest.raises(ValueError, match="n must"):
        uniform_logits(0, "gradient check", 0)


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"grid": 2}, "grid"),
        ({"grid": 402}, "grid"),
        ({"n_starts": 0}, "n_starts"),
        ({"descent_steps": 0}, "descent_steps"),
        ({"descent_lr": 0.0}, "descent_lr"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_config_values_raise_naming_the_parameter(values, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        PullToAverageConfig(**values)


def test_presets_construct():
    assert get_experiment("pull_to_average").config is PullToAverageConfig
    paper = PullToAverageConfig.preset("paper")
    assert (paper.grid, paper.n_starts, paper.descent_steps) == (41, 2000, 2000)
    assert PullToAverageConfig.preset("book") == PullToAverageConfig()
