r"""Cooperative training (CoT, Lu et al. 2019): the mediator and generator objectives.

Introduced in the chapter "Cooperative training". CoT trains a generator :math:`G_\theta` of
sequences together with a *mediator* :math:`M_\phi`, both autoregressive models.

**Mediator** (Lu et al. 2019, the objective :math:`J_m` under Lemma 1, the mixture density
decomposition, whose gradient it shares with :math:`\mathrm{KL}(M^* \| M_\phi)`). The mediator
is fitted by maximum likelihood to the balanced mixture :math:`\tfrac12 (P + G)` of data and
generator samples:

.. math::
    J_m(\phi) = \tfrac12\, \mathbb{E}_{s \sim P}\bigl[-\log M_\phi(s)\bigr]
              + \tfrac12\, \mathbb{E}_{s \sim G}\bigl[-\log M_\phi(s)\bigr],

minimised by :math:`M^* = \tfrac12 (P + G)`; then
:math:`\mathrm{JSD}(G \| P) = \tfrac12 \mathrm{KL}(G \| M^*) + \tfrac12 \mathrm{KL}(P \| M^*)`.

**Generator** (Lu et al. 2019, :math:`J_g`, Lemma 2, the "Markov backward reduction", eq. (12),
applied recursively). The generator minimises the part of the JSD that depends on it,
:math:`\mathrm{KL}(G \| M)` (the paper maximises :math:`J_g = -\tfrac12 \mathrm{KL}(G \| M)`,
and drops the :math:`\tfrac12` after the recursion), which the chain rule of an autoregressive
model splits over steps:

.. math::
    \mathrm{KL}(G \| M) = \sum_{t=1}^{T} \mathbb{E}_{s_{<t} \sim G}
        \Bigl[\pi_g(\cdot \mid s_{<t})^\top
              \bigl(\log \pi_g(\cdot \mid s_{<t}) - \log \pi_m(\cdot \mid s_{<t})\bigr)\Bigr]
    = \sum_t \mathbb{E}_{s_{<t} \sim G}\, \mathrm{KL}_t(s_{<t}).

Its gradient has two parts: the gradient of each step's KL at fixed prefixes (computed exactly
over the vocabulary), and a REINFORCE term through the prefixes' probabilities,

.. math::
    \nabla_\theta \mathrm{KL}(G \| M) = \mathbb{E}_{s \sim G} \sum_t
        \Bigl[\nabla_\theta \mathrm{KL}_t(s_{<t})
        + \gamma\, \nabla_\theta \log \pi_g(s_t \mid s_{<t}) \sum_{u > t} \mathrm{KL}_u(s_{<u})
        \Bigr], \qquad \gamma = 1.

The paper weights the REINFORCE term by :math:`\gamma` (its :math:`\nabla_\theta J^\gamma_{g,t}`,
which scores the prefix's :math:`\log G_\theta(s_t)` with the same step's KL; summed over the
steps, that is the reward-to-go form above) and trains without it, :math:`\gamma = 0`
('Conclusion': no REINFORCE), which trades a bias for much lower variance (the paper's Fig. 3).
:func:`generator_loss` gives a surrogate whose value is the KL estimate and whose gradient is
this sum for any :math:`\gamma`.

:func:`cot_step` computes both losses of one CoT iteration from one forward pass of each model,
and :func:`gradient_agreement` compares the generator's gradient estimates with and without the
REINFORCE term. The chapter's benchmark (the synthetic Turing test, training maximum likelihood,
scheduled sampling and CoT against an LSTM oracle) is :mod:`beyond_mle.chapters.cot`.

All quantities are in nats; ``token_ids`` are ``(batch, length)``, logits ``(batch, length,
vocab)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from beyond_mle.models.lstm import LSTMLanguageModel

__all__ = [
    "all_sequences",
    "cot_step",
    "generator_loss",
    "gradient_agreement",
    "jensen_shannon_mc",
    "mediator_loss",
    "step_kl",
]


def step_kl(gen_logits: Tensor, mediator_log_probs: Tensor) -> Tensor:
    r"""Each step's :math:`\mathrm{KL}_t = \pi_g^\top (\log \pi_g - \log \pi_m)` on given prefixes.

    Args:
        gen_logits: the generator's logits ``(batch, length, vocab)`` on its own prefixes.
        mediator_log_probs: the mediator's log-probabilities on the same prefixes, same shape.

    Returns:
        ``(batch, length)``, differentiable in both inputs.

    Example:
        >>> logits = torch.zeros(1, 2, 3)
        >>> step_kl(logits, torch.log_softmax(logits, -1)).tolist()
        [[0.0, 0.0]]
    """
    if gen_logits.shape != mediator_log_probs.shape or gen_logits.dim() != 3:
        raise ValueError(
            "gen_logits and mediator_log_probs must both be (batch, length, vocab), got "
            f"{tuple(gen_logits.shape)} and {tuple(mediator_log_probs.shape)}"
        )
    if mediator_log_probs.requires_grad:
        log_g = torch.log_softmax(gen_logits, dim=-1)  # log pi_g: (B, T, V)
        return (log_g.exp() * (log_g - mediator_log_probs)).sum(-1)  # (B, T)
    return _StepKL.apply(gen_logits, mediator_log_probs)


class _StepKL(torch.autograd.Function):
    r""":func:`step_kl` for a constant mediator, with the gradient in closed form.

    With :math:`a = \log \pi_g - \log \pi_m` and :math:`\mathrm{KL}_t = \pi_g^\top a`, the
    gradient with respect to the logits is :math:`\pi_g \odot (a - \mathrm{KL}_t)`: one pass
    over the vocabulary instead of autograd's several.
    """

    @staticmethod
    def forward(ctx, gen_logits: Tensor, mediator_log_probs: Tensor) -> Tensor:
        log_g = torch.log_softmax(gen_logits, dim=-1)  # (B, T, V)
        probs = log_g.exp()
        gap = log_g.sub_(mediator_log_probs)  # a = log pi_g - log pi_m, in place
        kl = (probs * gap).sum(-1)  # (B, T)
        ctx.save_for_backward(probs, gap, kl)
        return kl

    @staticmethod
    def backward(ctx, grad_kl: Tensor) -> tuple[Tensor, None]:
        probs, gap, kl = ctx.saved_tensors
        return probs * (gap - kl.unsqueeze(-1)) * grad_kl.unsqueeze(-1), None


def generator_loss(
    gen_logits: Tensor,
    mediator_log_probs: Tensor,
    token_ids: Tensor,
    *,
    gamma: float = 0.0,
    weights: Tensor | None = None,
) -> Tensor:
    r"""CoT's generator loss: an estimate of :math:`\mathrm{KL}(G \| M)` per sequence.

    .. math::
        L = \sum_b w_b \sum_t \Bigl[\mathrm{KL}_t(s^b_{<t})
            + \gamma\, \log \pi_g(s^b_t \mid s^b_{<t})\, \bigl[R^b_t\bigr]_{\text{stop}}
            - \gamma\, \bigl[\log \pi_g(s^b_t \mid s^b_{<t})\, R^b_t\bigr]_{\text{stop}}\Bigr],
        \qquad R^b_t = \sum_{u > t} \mathrm{KL}_u(s^b_{<u})

    (Lu et al. 2019, :math:`\nabla_\theta J^\gamma_{g,t}` summed over the steps, with the
    REINFORCE term weighted by :math:`\gamma` and regrouped by step of the sampled token). The
    last term
    only cancels the second's value, so :math:`L` equals the KL estimate for every
    :math:`\gamma`; its gradient is the estimate of :math:`\nabla \mathrm{KL}(G \| M)` above.
    The mediator's log-probabilities are treated as constants.

    Args:
        gen_logits: the generator's logits ``(batch, length, vocab)`` on the sequences
            ``token_ids``, which it sampled.
        mediator_log_probs: the mediator's log-probabilities on them, same shape.
        token_ids: the sampled sequences ``(batch, length)``.
        gamma: the weight of the REINFORCE term, in [0, 1]; CoT trains with 0.
        weights: the weight of each sequence ``(batch,)``; ``None``: ``1 / batch`` (a Monte
            Carlo average). With all sequences of a tiny vocabulary and their probabilities
            under the generator (detached) the loss is exact.

    Returns:
        A scalar, in nats per sequence.
    """
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must lie in [0, 1], got {gamma}")
    if token_ids.shape != gen_logits.shape[:2]:
        raise ValueError(
            f"token_ids must be {tuple(gen_logits.shape[:2])} (batch, length), "
            f"got {tuple(token_ids.shape)}"
        )
    kl = step_kl(gen_logits, mediator_log_probs.detach())  # KL_t: (B, T)
    per_sequence = kl.sum(-1)  # (B,)
    if gamma > 0:
        log_g = torch.log_softmax(gen_logits, dim=-1)
        token_log_g = log_g.gather(-1, token_ids.unsqueeze(-1)).squeeze(-1)  # (B, T)
        future = kl.detach().flip(-1).cumsum(-1).flip(-1) - kl.detach()  # R_t = sum_{u>t}: (B, T)
        score = (token_log_g * future).sum(-1)  # (B,)
        per_sequence = per_sequence + gamma * (score - score.detach())
    if weights is None:
        return per_sequence.mean()
    if weights.shape != per_sequence.shape:
        raise ValueError(f"weights must be ({per_sequence.shape[0]},), got {tuple(weights.shape)}")
    return (weights * per_sequence).sum()


def mediator_loss(log_probs_generated: Tensor, log_probs_data: Tensor) -> Tensor:
    r"""The mediator's balanced negative log-likelihood :math:`J_m`, per token.

    .. math::
        J_m = \tfrac12\, \overline{-\log \pi_m(s_t \mid s_{<t})}^{\,s \sim G}
            + \tfrac12\, \overline{-\log \pi_m(s_t \mid s_{<t})}^{\,s \sim P}

    (Lu et al. 2019, :math:`J_m` under Lemma 1, divided by the length).

    Args:
        log_probs_generated: the mediator's token log-probabilities on generator samples
            ``(batch_g, length)``.
        log_probs_data: the same on data ``(batch_p, length)``.

    Returns:
        A scalar, in nats per token.
    """
    if log_probs_generated.dim() != 2 or log_probs_data.dim() != 2:
        raise ValueError("log_probs_generated and log_probs_data must be (batch, length)")
    return -0.5 * (log_probs_generated.mean() + log_probs_data.mean())


def jensen_shannon_mc(
    log_g_on_g: Tensor, log_p_on_g: Tensor, log_g_on_p: Tensor, log_p_on_p: Tensor
) -> Tensor:
    r"""A Monte Carlo estimate of :math:`\mathrm{JSD}(G \| P)` from exact sequence log-probs.

    .. math::
        \mathrm{JSD}(G \| P) = \tfrac12\, \mathbb{E}_{s \sim G}
            \log \frac{2 G(s)}{G(s) + P(s)}
          + \tfrac12\, \mathbb{E}_{s \sim P} \log \frac{2 P(s)}{G(s) + P(s)} .

    Every term is at most :math:`\log 2`, so the estimate is too; it is unbiased, and may fall
    slightly below 0 when :math:`G \approx P`.

    Args:
        log_g_on_g, log_p_on_g: :math:`\log G(s)` and :math:`\log P(s)` on samples of ``G``,
            ``(n,)``.
        log_g_on_p, log_p_on_p: the same on samples of ``P``, ``(m,)``.

    Returns:
        The estimate in nats, a scalar.

    Example:
        >>> far = torch.tensor([0.0]), torch.tensor([-1e9])
        >>> round(jensen_shannon_mc(*far, *far[::-1]).item(), 4)  # disjoint supports: log 2
        0.6931
    """
    log2 = math.log(2.0)
    on_g = log2 + log_g_on_g - torch.logaddexp(log_g_on_g, log_p_on_g)  # (n,)
    on_p = log2 + log_p_on_p - torch.logaddexp(log_g_on_p, log_p_on_p)  # (m,)
    return 0.5 * (on_g.mean() + on_p.mean())


def all_sequences(vocab_size: int, length: int) -> Tensor:
    """Every sequence of ``length`` tokens over ``vocab_size`` tokens, ``(vocab^length, length)``.

    For exact sums over a tiny vocabulary (at most 100,000 sequences).

    Example:
        >>> all_sequences(2, 2).tolist()
        [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    if vocab_size < 1 or length < 1 or vocab_size**length > 100_000:
        raise ValueError(
            f"vocab_size ** length must lie in [1, 100_000], got {vocab_size} ** {length}"
        )
    return torch.tensor(list(itertools.product(range(vocab_size), repeat=length)))


def cot_step(
    gen: LSTMLanguageModel,
    mediator: LSTMLanguageModel,
    data: Tensor,
    *,
    gamma: float = 0.0,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """The two losses of one CoT iteration, from one forward pass of each model.

    The generator samples ``batch = data.shape[0] * 2`` sequences, keeping its logits (its only
    forward pass). The mediator reads those samples and the data in one batch: its
    log-probabilities on all samples feed the generator's loss (:func:`generator_loss`, per
    token), and those on the first half of the samples and on ``data`` its own balanced loss
    (:func:`mediator_loss`, here as one cross-entropy over the two equal halves). Only the rows
    the mediator learns from keep a graph through its output layer. The two losses touch
    disjoint parameters: one ``backward`` of their sum gives both gradients.

    Args:
        gen: the generator.
        mediator: the mediator.
        data: a batch of data ``(batch / 2, length)``.
        gamma: the REINFORCE weight of the generator's gradient.
        generator: the random source of the samples.

    Returns:
        ``(generator_loss, mediator_loss)``, scalars with graphs.
    """
    half, length = data.shape
    samples, gen_logits = gen.sample(2 * half, length, generator=generator, return_logits=True)
    # the mediator's LSTM reads all 3 half sequences once: samples, then data
    hidden = mediator.hidden(torch.cat([samples, data]))  # (3 half, T, H_m)
    # its output layer: with a graph on the rows it learns from (half samples, the data) ...
    trained = mediator.output(torch.cat([hidden[:half], hidden[2 * half :]]))  # (2 half, T, V)
    with torch.no_grad():  # ... and without one on the other half of the samples
        rest = mediator.output(hidden[half : 2 * half])  # (half, T, V)
        log_m = torch.log_softmax(torch.cat([trained[:half], rest]), dim=-1)  # (2 half, T, V)
    loss_g = generator_loss(gen_logits, log_m, samples, gamma=gamma) / length
    targets = torch.cat([samples[:half], data])  # (2 half, T)
    # J_m: the two halves have the same size, so the mean over all tokens is the balanced mean
    loss_m = F.cross_entropy(trained.flatten(0, 1), targets.flatten())
    return loss_g, loss_m


def _flat_grad(loss: Tensor, params: Sequence[Tensor], retain_graph: bool) -> Tensor:
    return torch.cat(
        [g.reshape(-1) for g in torch.autograd.grad(loss, params, retain_graph=retain_graph)]
    )


def gradient_agreement(
    gen: LSTMLanguageModel,
    mediator: LSTMLanguageModel,
    *,
    batch: int,
    length: int,
    n_batches: int,
    generator: torch.Generator | None = None,
) -> dict[str, float]:
    r"""How the generator's gradients with :math:`\gamma = 0` and :math:`\gamma = 1` compare.

    On ``n_batches`` independent batches of samples, computes both gradient estimates on the
    same samples and returns: ``cosine_mean``, the cosine similarity of their means over the
    batches; ``cosine_batch``, the mean over batches of the per-batch cosine; and ``variance_0``,
    ``variance_1``, the total variance (trace of the covariance) of each estimate over batches.

    Returns:
        The four numbers as a dictionary.
    """
    if n_batches < 2:
        raise ValueError(f"n_batches must be >= 2, got {n_batches}")
    params = [p for p in gen.parameters() if p.requires_grad]
    grads0, grads1 = [], []
    for _ in range(n_batches):
        samples, logits = gen.sample(batch, length, generator=generator, return_logits=True)
        with torch.no_grad():
            log_m = torch.log_softmax(mediator(samples), dim=-1)
        loss0 = generator_loss(logits, log_m, samples, gamma=0.0)
        loss1 = generator_loss(logits, log_m, samples, gamma=1.0)
        grads0.append(_flat_grad(loss0, params, retain_graph=True))
        grads1.append(_flat_grad(loss1, params, retain_graph=False))
    g0, g1 = torch.stack(grads0), torch.stack(grads1)  # (K, P)
    return {
        "cosine_mean": F.cosine_similarity(g0.mean(0), g1.mean(0), dim=0).item(),
        "cosine_batch": F.cosine_similarity(g0, g1, dim=1).mean().item(),
        "variance_0": g0.var(0).sum().item(),
        "variance_1": g1.var(0).sum().item(),
    }
