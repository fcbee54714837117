"""Tests of CoT's objectives by exact enumeration on tiny vocabularies, and of its training step.

The synthetic Turing test of the chapter is tested in ``test_cot_chapter.py``.
"""

from __future__ import annotations

import math

import pytest
import torch

from beyond_mle.cot import (
    all_sequences,
    cot_step,
    generator_loss,
    gradient_agreement,
    jensen_shannon_mc,
    mediator_loss,
    step_kl,
)
from beyond_mle.divergences import js_divergence
from beyond_mle.models.lstm import LSTMConfig, LSTMLanguageModel, normal_init_


def _tiny(seed: int, vocab: int = 3, size: int = 3, std: float = 1.0) -> LSTMLanguageModel:
    model = LSTMLanguageModel(LSTMConfig(vocab_size=vocab, embedding_size=size, hidden_size=size))
    return normal_init_(model, std, generator=torch.Generator().manual_seed(seed)).double()


def test_per_step_objective_is_the_sequence_kl_and_its_gradient():
    gen, med = _tiny(0), _tiny(1)
    seqs = all_sequences(3, 3)  # (27, 3)
    params = list(gen.parameters())
    log_g, log_m = gen.sequence_log_prob(seqs), med.sequence_log_prob(seqs).detach()
    sequence_kl = (log_g.exp() * (log_g - log_m)).sum()  # KL(G || M), by enumeration
    expected = torch.autograd.grad(sequence_kl, params)

    logits = gen(seqs)
    med_log_probs = torch.log_softmax(med(seqs), -1).detach()
    weights = log_g.exp().detach()  # G(s) for the exact expectation
    full = generator_loss(logits, med_log_probs, seqs, gamma=1.0, weights=weights)
    low_var = generator_loss(logits, med_log_probs, seqs, gamma=0.0, weights=weights)
    torch.testing.assert_close(full, sequence_kl)  # Markov backward reduction: same value
    torch.testing.assert_close(low_var, sequence_kl)
    for got, want in zip(
        torch.autograd.grad(full, params, retain_graph=True), expected, strict=True
    ):
        torch.testing.assert_close(got, want)
    # gamma = 0 drops the REINFORCE term: a different gradient
    partial = torch.cat([g.flatten() for g in torch.autograd.grad(low_var, params)])
    exact = torch.cat([g.flatten() for g in expected])
    assert (partial - exact).norm() > 1e-3 * exact.norm()


def test_step_kl_matches_the_closed_form_and_gradcheck():
    gen_logits = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    med = torch.log_softmax(torch.randn(2, 3, 4, dtype=torch.float64), -1)
    p = torch.softmax(gen_logits, -1)
    expected = (p * (p.log() - med)).sum(-1)
    torch.testing.assert_close(step_kl(gen_logits, med), expected)
    assert torch.autograd.gradcheck(lambda z: step_kl(z, med), (gen_logits,))
    assert (step_kl(gen_logits, med) >= 0).all()


def test_mediator_trained_on_a_known_mixture_recovers_it():
    torch.manual_seed(0)
    gen, oracle = _tiny(2, size=2), _tiny(3, size=2)
    seqs = all_sequences(3, 2)  # (9, 2)
    with torch.no_grad():
        mixture = 0.5 * (gen.sequence_log_prob(seqs).exp() + oracle.sequence_log_prob(seqs).exp())
    mediator = _tiny(4, size=8, std=0.1)
    optimiser = torch.optim.Adam(mediator.parameters(), lr=0.03)
    sample_rng = torch.Generator().manual_seed(5)
    for _ in range(300):
        with torch.no_grad():
            fake = gen.sample(256, 2, generator=sample_rng)
            real = oracle.sample(256, 2, generator=sample_rng)
        optimiser.zero_grad()
        mediator_loss(mediator.token_log_probs(fake), mediator.token_log_probs(real)).backward()
        optimiser.step()
    with torch.no_grad():
        learnt = mediator.sequence_log_prob(seqs).exp()
    assert 0.5 * (learnt - mixture).abs().sum() < 0.03  # total variation


def test_mediator_loss_is_the_balanced_nll():
    lp_g = torch.log(torch.tensor([[0.5, 0.25]]))
    lp_p = torch.log(torch.tensor([[0.125, 1.0], [0.5, 0.5]]))
    expected = 0.5 * (-lp_g.mean()) + 0.5 * (-lp_p.mean())
    torch.testing.assert_close(mediator_loss(lp_g, lp_p), expected)


def test_jensen_shannon_mc_matches_the_exact_divergence():
    gen, oracle = _tiny(6), _tiny(7)
    seqs = all_sequences(3, 3)
    with torch.no_grad():
        g, p = gen.sequence_log_prob(seqs), oracle.sequence_log_prob(seqs)
        exact = js_divergence(g.exp(), p.exp())
        rng = torch.Generator().manual_seed(0)
        fake, real = gen.sample(40_000, 3, generator=rng), oracle.sample(40_000, 3, generator=rng)
        estimate = jensen_shannon_mc(
            gen.sequence_log_prob(fake),
            oracle.sequence_log_prob(fake),
            gen.sequence_log_prob(real),
            oracle.sequence_log_prob(real),
        )
    assert abs(estimate.item() - exact.item()) < 0.01
    assert 0.0 < exact.item() < math.log(2)


def test_jensen_shannon_mc_is_bounded_by_log_2():
    big, small = torch.zeros(5), torch.full((5,), -1e6)
    assert jensen_shannon_mc(big, small, small, big).item() == pytest.approx(math.log(2))
    assert jensen_shannon_mc(big, big, big, big).item() == pytest.approx(0.0)


def test_generator_loss_refuses_bad_input():
    logits, tokens = torch.zeros(2, 3, 4), torch.zeros(2, 3, dtype=torch.long)
    med = torch.log_softmax(logits, -1)
    with pytest.raises(ValueError, match="gamma"):
        generator_loss(logits, med, tokens, gamma=2.0)
    with pytest.raises(ValueError, match="token_ids"):
        generator_loss(logits, med, tokens[:, :2])
    with pytest.raises(ValueError, match="weights"):
        generator_loss(logits, med, tokens, weights=torch.ones(3))
    with pytest.raises(ValueError, match="gen_logits"):
        step_kl(logits, med[:, :2])
    with pytest.raises(ValueError, match="vocab_size"):
        all_sequences(10, 10)


def test_cot_step_gives_both_models_gradients():
    gen, med = _tiny(0, vocab=11).float(), _tiny(1, vocab=11, size=6).float()
    data = torch.randint(0, 11, (4, 5), generator=torch.Generator().manual_seed(0))
    loss_g, loss_m = cot_step(gen, med, data, generator=torch.Generator().manual_seed(1))
    (loss_g + loss_m).backward()
    assert all(p.grad is not None for p in gen.parameters())
    assert all(p.grad is not None for p in med.parameters())
    assert loss_g.item() >= 0 and loss_m.item() > 0
    scores = gradient_agreement(
        gen, med, batch=8, length=5, n_batches=3, generator=torch.Generator().manual_seed(2)
    )
    assert -1 <= scores["cosine_mean"] <= 1 and scores["variance_1"] > 0
