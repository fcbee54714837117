"""Tests of beyond_mle.models.gru: the GRU language model's exact log-probability."""

import itertools

import pytest
import torch

from beyond_mle.models.gru import GRULanguageModel


def _model(seed=0):
    torch.manual_seed(seed)
    return GRULanguageModel(3, embed=4, hidden=8)


def test_log_prob_is_a_distribution_over_every_sequence():
    model = _model()
    every = torch.tensor(list(itertools.product(range(3), repeat=4)))  # (81, 4)
    with torch.no_grad():
        total = model.log_prob(every).double().exp().sum()
    torch.testing.assert_close(total, torch.tensor(1.0, dtype=torch.float64), atol=1e-6, rtol=0)


def test_forward_matches_step_by_step_decoding():
    model = _model(1)
    tokens = torch.randint(0, 3, (5, 6), generator=torch.Generator().manual_seed(2))
    inputs, state, logits = torch.full((5,), model.bos), None, []
    for t in range(tokens.shape[1]):
        step_logits, state = model.step(inputs, state)
        logits.append(step_logits)
        inputs = tokens[:, t]
    torch.testing.assert_close(model(tokens), torch.stack(logits, 1))


def test_sample_is_seeded_and_in_the_vocabulary():
    model = _model(2)
    a = model.sample(50, 7, generator=torch.Generator().manual_seed(3))
    b = model.sample(50, 7, generator=torch.Generator().manual_seed(3))
    assert a.shape == (50, 7) and torch.equal(a, b)
    assert int(a.min()) >= 0 and int(a.max()) < 3 and model.bos == 3


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="vocab, embed and hidden must be >= 1"):
        GRULanguageModel(0)
