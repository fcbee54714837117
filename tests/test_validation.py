"""Tests of beyond_mle._validation: the checks and the reduction the loss modules share."""

import pytest
import torch

from beyond_mle._validation import REDUCTIONS, check_logits, check_reduction, reduce_values


def test_reduce_values_by_each_reduction():
    values = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    assert REDUCTIONS == ("mean", "sum", "none")
    assert reduce_values(values, "mean").item() == 3.0
    assert reduce_values(values, "sum").item() == 12.0
    assert reduce_values(values, "none") is values
    for reduction in REDUCTIONS:
        check_reduction(reduction)


def test_check_logits_accepts_infinities_and_refuses_nan_and_integers():
    check_logits(torch.tensor([-torch.inf, 0.0, torch.inf]))
    with pytest.raises(ValueError, match="fake_logits must not contain NaN"):
        check_logits(torch.tensor([0.0, torch.nan]), "fake_logits")
    with pytest.raises(ValueError, match="logits must be a floating-point tensor"):
        check_logits(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="logits must be a floating-point tensor"):
        check_logits([0.5])


def test_check_reduction_names_the_choices():
    with pytest.raises(ValueError, match="'mean', 'sum' or 'none', got 'max'"):
        check_reduction("max")
