"""Tests of beyond_mle.scheduled_sampling: closed forms of the length-two objectives, the
scheduled-sampling step against teacher forcing, the Markov source against enumeration. The
chapter's experiments are tested in test_scheduled_sampling_chapter.py."""

import itertools
import math

import pytest
import torch

from beyond_mle.divergences import kl_divergence
from beyond_mle.models.gru import GRULanguageModel
from beyond_mle.scheduled_sampling import (
    MarkovSource,
    alternative_divergence,
    minimise_joint,
    ml_divergence,
    model_prefix_divergence,
    random_joint,
    scheduled_sampling_constant,
    scheduled_sampling_divergence,
    scheduled_sampling_fixed_point,
    scheduled_sampling_loss,
    scheduled_sampling_minimiser,
    scheduled_sampling_target,
    split_joint,
)


def _joint(seed=0, vocab=3):
    return random_joint(vocab, generator=torch.Generator().manual_seed(seed))


def _random_model(seed, vocab=3):
    gen = torch.Generator().manual_seed(seed)
    return torch.softmax(
        torch.randn(vocab * vocab, dtype=torch.float64, generator=gen), -1
    ).reshape(vocab, vocab)


def _brute_force_ss(p, q, epsilon):
    """The expected scheduled-sampling loss by summing over (x1, x2, coin, z), less entropies."""
    p1, p2, p_cond = split_joint(p)
    q1, _, q_cond = split_joint(q)
    vocab = p.shape[0]
    loss = 0.0
    for x1, x2 in itertools.product(range(vocab), repeat=2):
        loss -= p[x1, x2] * math.log(q1[x1])
        loss -= epsilon * p[x1, x2] * math.log(q_cond[x1, x2])
        for z in range(vocab):
            loss -= (1 - epsilon) * p[x1, x2] * q1[z] * math.log(q_cond[z, x2])
    entropy = lambda r: -(r * r.log()).sum()  # noqa: E731
    h1, h2 = entropy(p1), entropy(p2)
    h_cond = sum(p1[z] * entropy(p_cond[z]) for z in range(vocab))
    return loss - h1 - epsilon * h_cond - (1 - epsilon) * h2


def test_split_joint_and_ml_is_the_chain_rule():
    p, q = _joint(0), _random_model(1)
    p1, p2, p_cond = split_joint(p)
    torch.testing.assert_close(p1[:, None] * p_cond, p)
    torch.testing.assert_close(p_cond.sum(1), torch.ones(3, dtype=torch.float64))
    q1, _, q_cond = split_joint(q)
    chain = kl_divergence(p1, q1) + (p1 * kl_divergence(p_cond, q_cond)).sum()
    torch.testing.assert_close(ml_divergence(p, q), chain)


@pytest.mark.parametrize("epsilon", [0.0, 0.4, 1.0])
def test_scheduled_sampling_divergence_against_brute_force(epsilon):
    p, q = _joint(2), _random_model(3)
    expected = _brute_force_ss(p, q, epsilon)
    torch.testing.assert_close(scheduled_sampling_divergence(p, q, epsilon), expected)
    if epsilon == 1.0:
        torch.testing.assert_close(scheduled_sampling_divergence(p, q, 1.0), ml_divergence(p, q))


def _brute_force_alternative(p, q):
    """Huszar's D_alternative, second line, by summing over (z, x2) term by term."""
    p1, p2, _ = split_joint(p)
    q1, _, q_cond = split_joint(q)
    vocab = p.shape[0]
    value = sum(p1[y] * math.log(p1[y] / q1[y]) for y in range(vocab))
    for z, x2 in itertools.product(range(vocab), repeat=2):
        value += q1[z] * p2[x2] * math.log(p2[x2] / q_cond[z, x2])
    return value


def test_alternative_is_the_source_s_and_is_improper():
    p, q = _joint(4), _random_model(5)
    torch.testing.assert_close(alternative_divergence(p, q), _brute_force_alternative(p, q))
    # the epsilon = 0 end of D_SS
    torch.testing.assert_close(alternative_divergence(p, q), scheduled_sampling_divergence(p, q, 0))
    p1, p2, p_cond = split_joint(p)
    factorised = p1[:, None] * p2[None, :]
    # improper: zero at the factorised joint, positive at the truth
    assert abs(alternative_divergence(p, factorised).item()) < 1e-12
    at_truth = (p1 * kl_divergence(p2.expand_as(p_cond), p_cond)).sum()  # E_z KL[P_x2 || P_x2|z]
    torch.testing.assert_close(alternative_divergence(p, p), at_truth)
    assert at_truth.item() > 1e-3
    # the source's first line, E_y~P_x1 E_z~Q_x1 KL[P_x2|y || Q_x2|z], is the second plus I(x1; x2)
    q1, _, q_cond = split_joint(q)
    first_line = kl_divergence(p1, q1) + sum(
        p1[y] * q1[z] * kl_divergence(p_cond[y], q_cond[z]) for y in range(3) for z in range(3)
    )
    mutual_information = ml_divergence(p, factorised)
    torch.testing.assert_close(first_line, alternative_divergence(p, q) + mutual_information)


def test_model_prefix_divergence_is_proper():
    p = _joint(4)
    p1, _, p_cond = split_joint(p)
    assert abs(model_prefix_divergence(p, p).item()) < 1e-12
    for seed in range(5, 9):
        q = _random_model(seed)
        q1, _, q_cond = split_joint(q)
        expected = kl_divergence(p1, q1) + (q1 * kl_divergence(p_cond, q_cond)).sum()
        torch.testing.assert_close(model_prefix_divergence(p, q), expected)
        assert model_prefix_divergence(p, q).item() > 0
    factorised = p1[:, None] * p.sum(0)[None, :]
    assert model_prefix_divergence(p, factorised).item() > 1e-3
    found = minimise_joint(lambda q: model_prefix_divergence(p, q), 3)
    torch.testing.assert_close(found, p, atol=1e-5, rtol=0)  # its minimiser is the data
    with pytest.raises(ValueError, match="positive mass"):
        model_prefix_divergence(torch.tensor([[0.5, 0.5], [0.0, 0.0]]), torch.ones(2, 2) / 4)


def test_ss_is_improper_at_epsilon_zero():
    p = _joint(4)
    factorised = p.sum(1)[:, None] * p.sum(0)[None, :]
    # at epsilon = 0 the factorised joint scores 0 while the truth scores > 0
    assert abs(scheduled_sampling_divergence(p, factorised, 0.0).item()) < 1e-12
    assert scheduled_sampling_divergence(p, p, 0.0).item() > 1e-3


@pytest.mark.parametrize("epsilon", [0.0, 0.3, 0.8, 1.0])
def test_kl_to_the_target_plus_constant(epsilon):
    p = _joint(6)
    target = scheduled_sampling_target(p, epsilon)
    torch.testing.assert_close(target.sum(1), p.sum(1))  # the prefix's marginal is P_x1
    constant = scheduled_sampling_constant(p, epsilon)
    assert constant.item() >= -1e-15
    for seed in range(4):
        q = _random_model(10 + seed)
        ss = scheduled_sampling_divergence(p, q, epsilon, prefix_probs=p.sum(1))
        kl = kl_divergence(target.reshape(-1), q.reshape(-1))
        torch.testing.assert_close(ss, kl + constant)


def test_fixed_point_matches_the_closed_form_and_slides_to_the_factorised_joint():
    p = _joint(7)
    factorised = p.sum(1)[:, None] * p.sum(0)[None, :]
    torch.testing.assert_close(scheduled_sampling_minimiser(p, 1.0), p)
    torch.testing.assert_close(scheduled_sampling_minimiser(p, 0.0), factorised)
    for epsilon in (0.0, 0.5):
        found = scheduled_sampling_fixed_point(p, epsilon)
        torch.testing.assert_close(
            found, scheduled_sampling_minimiser(p, epsilon), atol=1e-6, rtol=0
        )


def test_minimise_joint_finds_the_ml_optimum():
    p = _joint(8)
    found = minimise_joint(lambda q: ml_divergence(p, q), 3)
    torch.testing.assert_close(found, p, atol=1e-6, rtol=0)


def test_ss_divergence_gradcheck():
    p = _joint(9)
    logits = _random_model(20).log().reshape(-1).requires_grad_()

    def fn(x):
        return scheduled_sampling_divergence(p, torch.softmax(x, -1).reshape(3, 3), 0.4)

    assert torch.autograd.gradcheck(fn, (logits,))


def test_markov_source_log_prob_sums_to_one_and_entropy():
    src = MarkovSource.random(3, generator=torch.Generator().manual_seed(0))
    every = torch.tensor(list(itertools.product(range(3), repeat=4)))  # (81, 4)
    log_p = src.log_prob(every)
    torch.testing.assert_close(log_p.exp().sum(), torch.tensor(1.0, dtype=torch.float64))
    entropy = -(log_p.exp() * log_p).sum()
    assert math.isclose(src.entropy(4), entropy.item(), rel_tol=1e-10)
    marginals = [torch.bincount(every[:, t], weights=log_p.exp(), minlength=3) for t in range(4)]
    log_product = sum(marginals[t][every[:, t]].log() for t in range(4))
    factorised = (log_p.exp() * (log_p - log_product)).sum()
    assert math.isclose(src.factorised_kl(4), factorised.item(), rel_tol=1e-10)
    sample = src.sample(20_000, 2, generator=torch.Generator().manual_seed(1))
    freq = torch.bincount(sample[:, 0] * 3 + sample[:, 1], minlength=9).double() / 20_000
    torch.testing.assert_close(freq, (src.initial[:, None] * src.transition).reshape(-1),
                               atol=0.02, rtol=0)  # fmt: skip


def test_ss_loss_with_epsilon_one_is_teacher_forcing():
    torch.manual_seed(0)
    model = GRULanguageModel(5, embed=4, hidden=8)
    tokens = torch.randint(0, 5, (7, 6), generator=torch.Generator().manual_seed(1))
    loss = scheduled_sampling_loss(model, tokens, 1.0, generator=torch.Generator())
    torch.testing.assert_close(loss, -model.log_prob(tokens).mean())
    # log Q sums to 1 over every sequence of length 2
    every = torch.tensor(list(itertools.product(range(5), repeat=2)))
    torch.testing.assert_close(model.log_prob(every).exp().sum(), torch.tensor(1.0))
    # epsilon = 0 feeds the model's own samples: another loss, still finite
    other = scheduled_sampling_loss(model, tokens, 0.0, generator=torch.Generator().manual_seed(2))
    assert math.isfinite(other.item()) and not math.isclose(other.item(), loss.item())


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: scheduled_sampling_divergence(_joint(), _joint(), 1.5), "epsilon must be in"),
        (lambda: ml_divergence(torch.ones(2, 3) / 6, torch.ones(2, 3) / 6), "square"),
        (lambda: scheduled_sampling_target(torch.ones(2, 2), 0.5), "sum to 1"),
        (lambda: MarkovSource.random(1, generator=torch.Generator()), "vocab must be"),
        (
            lambda: MarkovSource.random(3, concentration=0.0, generator=torch.Generator()),
            "concentration must be",
        ),
        (lambda: scheduled_sampling_fixed_point(_joint(), 0.5, rounds=0), "rounds must be"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
