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
from torch.profiler import record_function

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


def step_kl(gen_logits: Tensor, mediator_log_probs: Tensor | Sequence[Tensor]) -> Tensor:
    r"""Each step's :math:`\mathrm{KL}_t = \pi_g^\top (\log \pi_g - \log \pi_m)` on given prefixes.

    Args:
        gen_logits: the generator's logits ``(batch, length, vocab)`` on its own prefixes.
        mediator_log_probs: the mediator's log-probabilities on the same prefixes, same shape;
            or that tensor's rows as consecutive blocks ``(batch_i, length, vocab)`` along the
            batch, which spares the copy into one tensor.

    Returns:
        ``(batch, length)``, differentiable in both inputs.

    Example:
        >>> logits = torch.zeros(1, 2, 3)
        >>> step_kl(logits, torch.log_softmax(logits, -1)).tolist()
        [[0.0, 0.0]]
    """
    parts = _blocks(mediator_log_probs)
    shapes = [tuple(part.shape) for part in parts]
    if (
        gen_logits.dim() != 3
        or not parts
        or any(part.shape[1:] != gen_logits.shape[1:] or part.dim() != 3 for part in parts)
        or sum(part.shape[0] for part in parts) != gen_logits.shape[0]
    ):
        raise ValueError(
            "gen_logits and mediator_log_probs must both be (batch, length, vocab), got "
            f"{tuple(gen_logits.shape)} and {shapes[0] if len(shapes) == 1 else shapes}"
        )
    if any(part.requires_grad for part in parts):
        log_g = torch.log_softmax(gen_logits, dim=-1)  # log pi_g: (B, T, V)
        return (log_g.exp() * (log_g - torch.cat(parts))).sum(-1)  # (B, T)
    return _StepKL.apply(gen_logits, *parts)


def _blocks(tensors: Tensor | Sequence[Tensor]) -> tuple[Tensor, ...]:
    """A tensor, or the blocks of its rows, as a tuple of blocks."""
    return (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)


def _chunk_rows(row_size: int) -> int:
    """Rows of ``row_size`` elements in a chunk of about 2^18 elements (1 MiB of floats)."""
    return max(1, (1 << 18) // max(1, row_size))


def _row_chunks(rows: int, row_size: int) -> list[slice]:
    """Consecutive slices that cover ``rows`` rows, :func:`_chunk_rows` rows each.

    Elementwise operations, log-softmaxes and sums over a row give the same values chunk by
    chunk as over the whole tensor (tested); in chunks of this size, the passes after the first
    over a chunk read it from the cache instead of the memory.
    """
    step = _chunk_rows(row_size)
    return [slice(start, min(start + step, rows)) for start in range(0, rows, step)]


class _StepKL(torch.autograd.Function):
    r""":func:`step_kl` for a constant mediator, with the gradient in closed form.

    With :math:`a = \log \pi_g - \log \pi_m` and :math:`\mathrm{KL}_t = \pi_g^\top a`, the
    gradient with respect to the logits is :math:`\pi_g \odot (a - \mathrm{KL}_t)`: one pass
    over the vocabulary instead of autograd's several. The mediator's log-probabilities come as
    blocks of rows along the batch; both passes run chunk by chunk (:func:`_row_chunks`).
    """

    @staticmethod
    def forward(ctx, gen_logits: Tensor, *mediator_log_probs: Tensor) -> Tensor:
        vocab = gen_logits.shape[-1]
        logits = gen_logits.reshape(-1, vocab)  # (B T, V): one row per prefix
        gap = torch.empty_like(logits)  # a = log pi_g - log pi_m
        probs = torch.empty_like(logits)  # pi_g
        kl = logits.new_empty(logits.shape[0])  # KL_t = pi_g^T a: (B T,)
        product = logits.new_empty(min(_chunk_rows(vocab), logits.shape[0]), vocab)
        offset = 0
        for block in mediator_log_probs:
            log_m = block.reshape(-1, vocab)  # (B_i T, V), the rows that follow offset
            for chunk in _row_chunks(log_m.shape[0], vocab):
                rows = slice(offset + chunk.start, offset + chunk.stop)
                torch.log_softmax(logits[rows], dim=-1, out=gap[rows])  # log pi_g
                torch.exp(gap[rows], out=probs[rows])
                gap[rows].sub_(log_m[chunk])
                into = product[: chunk.stop - chunk.start]
                torch.sum(torch.mul(probs[rows], gap[rows], out=into), dim=-1, out=kl[rows])
            offset += log_m.shape[0]
        probs, gap, kl = (
            probs.view_as(gen_logits),
            gap.view_as(gen_logits),
            kl.view(gen_logits.shape[:-1]),
        )
        ctx.save_for_backward(probs, gap, kl)
        ctx.blocks = len(mediator_log_probs)
        return kl

    @staticmethod
    def backward(ctx, grad_kl: Tensor) -> tuple[Tensor | None, ...]:
        probs, gap, kl = ctx.saved_tensors
        vocab = gap.shape[-1]
        # pi_g * (a - KL_t) * grad, evaluated left to right, in one new buffer
        grad = torch.empty_like(gap)  # (B, T, V)
        flat, flat_probs, flat_gap = (x.view(-1, vocab) for x in (grad, probs, gap))  # (B T, V)
        flat_kl, flat_grad_kl = kl.reshape(-1, 1), grad_kl.reshape(-1, 1)  # (B T, 1)
        for rows in _row_chunks(flat.shape[0], vocab):
            torch.sub(flat_gap[rows], flat_kl[rows], out=flat[rows])
            flat[rows].mul_(flat_probs[rows]).mul_(flat_grad_kl[rows])
        return (grad, *[None] * ctx.blocks)


class _MeanNLL(torch.autograd.Function):
    """``F.cross_entropy`` (the mean) of logits ``(n, V)``, with their log-softmax as an output.

    The same values and gradient as ``F.cross_entropy`` (targets in ``[0, V)``), whose gradient
    is that of ``F.nll_loss`` (zeros, with :math:`-g / n` at each target) through the backward
    kernel of the log-softmax; here both run chunk by chunk (:func:`_row_chunks`), through one
    small buffer of zeros instead of a full one. The log-softmax comes out without a gradient,
    for reuse.
    """

    @staticmethod
    def forward(ctx, logits: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
        log_probs = torch.log_softmax(logits, dim=-1)  # (n, V)
        ctx.save_for_backward(log_probs, targets)
        ctx.mark_non_differentiable(log_probs)
        ctx.set_materialize_grads(False)  # no tensor of zeros for log_probs' gradient
        return F.nll_loss(log_probs, targets), log_probs

    @staticmethod
    def backward(ctx, grad_loss: Tensor, unused: Tensor | None) -> tuple[Tensor, None]:
        log_probs, targets = ctx.saved_tensors
        n, vocab = log_probs.shape
        grad = torch.empty_like(log_probs)  # (n, V)
        grad_nll = log_probs.new_zeros(min(_chunk_rows(vocab), n), vocab)
        value = -(grad_loss / n)  # F.nll_loss's gradient at the targets
        for rows in _row_chunks(n, vocab):
            chunk, index = grad_nll[: rows.stop - rows.start], targets[rows].unsqueeze(1)
            chunk.scatter_(1, index, value.expand(index.shape))
            torch._log_softmax_backward_data(chunk, log_probs[rows], -1, grad.dtype, out=grad[rows])
            chunk.scatter_(1, index, 0.0)  # zeros again for the next chunk
        return grad, None


def generator_loss(
    gen_logits: Tensor,
    mediator_log_probs: Tensor | Sequence[Tensor],
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
        mediator_log_probs: the mediator's log-probabilities on them, same shape, or its blocks
            of rows along the batch (as for :func:`step_kl`).
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
    constant = [part.detach() for part in _blocks(mediator_log_probs)]
    kl = step_kl(gen_logits, constant)  # KL_t: (B, T)
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
    the mediator learns from keep a graph through its output layer. Every row's log-softmax is
    computed once: that of the cross-entropy also serves the generator's loss, which reads the
    mediator's log-probabilities as two blocks of rows instead of one concatenated tensor. The
    two losses touch disjoint parameters: one ``backward`` of their sum gives both gradients.
    The stages are marked for ``torch.profiler`` (``cot_step: sampling``, ``cot_step: mediator
    forward``, ``cot_step: losses``), which ``code/benchmarks/cot_speed.py`` reads.

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
    with record_function("cot_step: sampling"):
        samples, gen_logits = gen.sample(
            2 * half, length, generator=generator, return_logits=True
        )  # (2 half, T), (2 half, T, V)
    with record_function("cot_step: mediator forward"):
        # the mediator's LSTM reads all 3 half sequences once: samples, then data
        hidden = mediator.hidden(torch.cat([samples, data]))  # (3 half, T, H_m)
        # its output layer: with a graph on the rows it learns from (half samples, the data) ...
        trained = mediator.output(torch.cat([hidden[:half], hidden[2 * half :]]))  # (2 half, T, V)
        with torch.no_grad():  # ... and without one on the other half of the samples
            rest = torch.log_softmax(mediator.output(hidden[half : 2 * half]), dim=-1)
    with record_function("cot_step: losses"):
        targets = torch.cat([samples[:half], data])  # (2 half, T)
        # J_m: the two halves have the same size, so the mean over all tokens is the balanced
        # mean; its log-softmax is also log pi_m on the first half of the samples
        loss_m, log_trained = _MeanNLL.apply(trained.flatten(0, 1), targets.flatten())
        del trained  # the backward pass does not need it
        # log pi_m on all samples, as two blocks of rows: the first half of log_trained, then rest
        log_m = [log_trained.view(2 * half, length, -1)[:half], rest]
        loss_g = generator_loss(gen_logits, log_m, samples, gamma=gamma) / length
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
