"""Tests of beyond_mle.gumbel: the straight-through estimator and the soft sample."""

import pytest
import torch

from beyond_mle.gumbel import gumbel_softmax


def test_hard_sample_is_one_hot_and_carries_the_soft_gradient():
    logits = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(4, 6, dtype=torch.float64)
    hard = gumbel_softmax(logits, 0.5, hard=True, generator=torch.Generator().manual_seed(1))
    assert set(hard.detach().unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(hard.detach().sum(-1), torch.ones(4, dtype=torch.float64))
    (grad_hard,) = torch.autograd.grad((hard * weights).sum(), logits)
    soft = gumbel_softmax(logits, 0.5, hard=False, generator=torch.Generator().manual_seed(1))
    (grad_soft,) = torch.autograd.grad((soft * weights).sum(), logits)
    torch.testing.assert_close(grad_hard, grad_soft)
    assert torch.equal(hard.detach().argmax(-1), soft.detach().argmax(-1))


def test_samples_follow_the_categorical_distribution():
    logits = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    draws = gumbel_softmax(logits.expand(20000, 3), 1.0, hard=True, generator=gen)
    frequencies = draws.mean(0)
    torch.testing.assert_close(frequencies, torch.softmax(logits, -1), atol=0.015, rtol=0)


def test_soft_sample_gradcheck_and_bad_temperature():
    logits = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)

    def sample(x):
        return gumbel_softmax(x, 0.7, generator=torch.Generator().manual_seed(3))

    assert torch.autograd.gradcheck(sample, (logits,))
    with pytest.raises(ValueError, match="temperature"):
        gumbel_softmax(logits, 0.0)
