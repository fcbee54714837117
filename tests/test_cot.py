"""Tests of CoT's objectives by exact enumeration on tiny vocabularies, and of its training step.

The synthetic Turing test of the chapter is tested in ``test_cot_chapter.py``.
"""

from __future__ import annotations

import math

import pytest
import torch

from beyond_mle.cot import (
    _MeanNLL,
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


class _WholeTensorStepKL(torch.autograd.Function):
    """KL_t and its closed-form gradient as single expressions over the whole tensor: the
    previous implementation, with which the book's results were made."""

    @staticmethod
    def forward(ctx, gen_logits, mediator_log_probs):
        log_g = torch.log_softmax(gen_logits, dim=-1)
        probs = log_g.exp()
        gap = log_g - mediator_log_probs
        kl = (probs * gap).sum(-1)
        ctx.save_for_backward(probs, gap, kl)
        return kl

    @staticmethod
    def backward(ctx, grad_kl):
        probs, gap, kl = ctx.saved_tensors
        return probs * (gap - kl.unsqueeze(-1)) * grad_kl.unsqueeze(-1), None


def _whole_tensor_step_kl(gen_logits, mediator_log_probs, grad_kl):
    logits = gen_logits.detach().requires_grad_()
    kl = _WholeTensorStepKL.apply(logits, mediator_log_probs)
    return kl.detach(), torch.autograd.grad(kl, logits, grad_kl)[0]


@pytest.mark.parametrize("threads", [1, None])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_step_kl_in_chunks_and_blocks_equals_the_whole_tensor_formula(dtype, threads):
    """Bitwise at the book's vocabularies (100, 5,000) whatever the threads, and at 300,000 on
    one thread; with several, a whole-tensor reduction splits a 300,000-long row between them and
    rounds differently, so there the two agree to round-off."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        _step_kl_against_the_whole_tensor_formula(dtype, long_rows_bitwise=threads == 1)
    finally:
        torch.set_num_threads(previous)


def _step_kl_against_the_whole_tensor_formula(dtype, long_rows_bitwise):
    rng = torch.Generator().manual_seed(0)
    # (batch, length, vocab): one chunk, several, chunks that end inside a block, 1 row each
    for batch, length, vocab in [(4, 3, 5), (8, 7, 5000), (6, 20, 5000), (3, 2, 300_000)]:
        for trial in range(3):
            scale = (0.1, 3.0, 30.0)[trial]
            gen_logits = torch.randn(batch, length, vocab, generator=rng, dtype=dtype) * scale
            med = torch.log_softmax(
                torch.randn(batch, length, vocab, generator=rng, dtype=dtype) * scale, -1
            )
            grad_kl = torch.rand(batch, length, generator=rng, dtype=dtype)
            kl_ref, grad_ref = _whole_tensor_step_kl(gen_logits, med, grad_kl)
            cut = int(torch.randint(1, batch, (), generator=rng)) if batch > 1 else batch
            for blocks in (med, [med], [med[:cut], med[cut:]]):
                logits = gen_logits.clone().requires_grad_()
                kl = step_kl(logits, blocks)
                (grad,) = torch.autograd.grad(kl, logits, grad_kl)
                if vocab <= 5000 or long_rows_bitwise:
                    assert torch.equal(kl, kl_ref)  # bitwise: the book's results stay as they are
                    assert torch.equal(grad, grad_ref)
                else:
                    tolerance = {"rtol": 1e-5, "atol": 1e-7}
                    if dtype == torch.float64:
                        tolerance = {"rtol": 1e-9, "atol": 1e-12}  # 300,000 terms
                    torch.testing.assert_close(kl, kl_ref, **tolerance)
                    torch.testing.assert_close(grad, grad_ref, **tolerance)


def test_step_kl_accepts_blocks_of_rows_and_refuses_ones_that_do_not_fit():
    logits = torch.randn(5, 3, 4, dtype=torch.float64, requires_grad=True)
    med = torch.log_softmax(torch.randn(5, 3, 4, dtype=torch.float64), -1)
    assert torch.autograd.gradcheck(lambda z: step_kl(z, [med[:2], med[2:]]), (logits,))
    differentiable = med.clone().requires_grad_()
    torch.testing.assert_close(
        step_kl(logits, [differentiable[:1], differentiable[1:]]), step_kl(logits, med)
    )
    for blocks in ([med[:2]], [med[:2], med[2:, :2]], [], [med, med[:1]]):
        with pytest.raises(ValueError, match="gen_logits"):
            step_kl(logits, blocks)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mean_nll_is_cross_entropy_bitwise(dtype):
    rng = torch.Generator().manual_seed(1)
    for n, vocab in [(7, 3), (56, 5000), (1280, 5000), (3, 300_000)]:
        for upstream in (1.0, 0.37, 3.0):
            logits = torch.randn(n, vocab, generator=rng, dtype=dtype) * 5
            targets = torch.randint(0, vocab, (n,), generator=rng)
            grad_loss = torch.tensor(upstream, dtype=dtype)
            reference = logits.clone().requires_grad_()
            loss_ref = torch.nn.functional.cross_entropy(reference, targets)
            (grad_ref,) = torch.autograd.grad(loss_ref, reference, grad_loss)
            ours = logits.clone().requires_grad_()
            loss, log_probs = _MeanNLL.apply(ours, targets)
            (grad,) = torch.autograd.grad(loss, ours, grad_loss)
            assert torch.equal(loss, loss_ref) and torch.equal(grad, grad_ref)
            assert torch.equal(log_probs, torch.log_softmax(logits, -1))
            assert not log_probs.requires_grad


def _reference_cot_step(gen, mediator, data, *, gamma, generator):
    """The iteration as the book's results were made: one log-softmax of the concatenated
    mediator logits, cross-entropy on the trained rows, the KL on the whole tensor."""
    half, length = data.shape
    samples, gen_logits = gen.sample(2 * half, length, generator=generator, return_logits=True)
    hidden = mediator.hidden(torch.cat([samples, data]))
    trained = mediator.output(torch.cat([hidden[:half], hidden[2 * half :]]))
    with torch.no_grad():
        rest = mediator.output(hidden[half : 2 * half])
        log_m = torch.log_softmax(torch.cat([trained[:half], rest]), dim=-1)
    kl = _WholeTensorStepKL.apply(gen_logits, log_m)
    per_sequence = kl.sum(-1)
    if gamma > 0:
        log_g = torch.log_softmax(gen_logits, dim=-1)
        token_log_g = log_g.gather(-1, samples.unsqueeze(-1)).squeeze(-1)
        future = kl.detach().flip(-1).cumsum(-1).flip(-1) - kl.detach()
        score = (token_log_g * future).sum(-1)
        per_sequence = per_sequence + gamma * (score - score.detach())
    loss_g = per_sequence.mean() / length
    targets = torch.cat([samples[:half], data])
    loss_m = torch.nn.functional.cross_entropy(trained.flatten(0, 1), targets.flatten())
    return loss_g, loss_m


@pytest.mark.parametrize(
    ("vocab", "gen_size", "med_size", "half", "length", "gamma"),
    [(11, 3, 6, 2, 5, 0.0), (50, 8, 16, 4, 6, 1.0), (5000, 8, 12, 4, 7, 0.0)],
)
def test_cot_step_matches_the_reference_iteration_bitwise(
    vocab, gen_size, med_size, half, length, gamma
):
    runs = []
    for step in (cot_step, _reference_cot_step):
        gen = LSTMLanguageModel(LSTMConfig(vocab, gen_size, gen_size))
        med = LSTMLanguageModel(LSTMConfig(vocab, med_size, med_size))
        normal_init_(gen, 0.1, generator=torch.Generator().manual_seed(1))
        normal_init_(med, 0.1, generator=torch.Generator().manual_seed(2))
        params = [*gen.parameters(), *med.parameters()]
        optimisers = torch.optim.Adam(gen.parameters()), torch.optim.Adam(med.parameters())
        noise, data_rng = torch.Generator().manual_seed(3), torch.Generator().manual_seed(4)
        record = []
        for _ in range(3):
            data = torch.randint(0, vocab, (half, length), generator=data_rng)
            losses = step(gen, med, data, gamma=gamma, generator=noise)
            for optimiser in optimisers:
                optimiser.zero_grad(set_to_none=True)
            sum(losses).backward()
            record.append([*losses, *(p.grad for p in params)])
            for optimiser in optimisers:
                optimiser.step()
        record.append([*params, noise.get_state()])
        runs.append(record)
    for new, reference in zip(*runs, strict=True):
        # bitwise: the same draws, losses and gradients as the book's results were made with
        assert all(torch.equal(a, b) for a, b in zip(new, reference, strict=True))


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
