r"""The chapter "The pull to the average": its parameters, experiment and claims.

Gradient fields of position-free matching losses on two positions (appendix D and figure 6 of
Casas et al. 2018). A hypothesis of two positions is parameterised by two logits
:math:`h = (h_0, h_1)`; each position is a Bernoulli variable with :math:`p_i = \sigma(h_i)`, the
probability of the symbol ``b`` (id 1) rather than ``a`` (id 0). Two losses are studied on this
plane:

* the paper's caricature, a sum of sigmoid cross-entropies that credits *every* hypothesis
  position for *every* reference position,
  :math:`\mathcal{L}(h) = \sum_{i,j} J_{ij}`, :math:`J_{ij} = \mathrm{CE}(\sigma(h_i), r_j)`;
* the real soft BLEU and GLEU of :mod:`beyond_mle.bleu` on the same two-position hypothesis,
  against one reference, several references, or a corpus of sentences that share the
  hypothesis.

The fields are drawn over :math:`(p_0, p_1) \in [0, 1]^2` as the velocity of the probabilities
under gradient flow in the logits, :math:`\dot p_i = -\sigma'(h_i)\, \partial \mathcal{L} /
\partial h_i` (:func:`probability_velocity`); :func:`descend` runs plain gradient descent from
many starts at once and :func:`endpoint_fractions` says where they end.

The starts are drawn uniformly in the probability square (:func:`uniform_logits`) from named
streams of ``config.seed`` (:mod:`beyond_mle.streams`): the gradient descents' from
``"descent starts"`` (:func:`descent_starts`), the points of the notebook's check of autograd
against finite differences from ``"gradient check"``. Every loss descends from the same starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from beyond_mle import streams
from beyond_mle.bleu import (
    BleuStatistics,
    GleuStatistics,
    bleu_from_statistics,
    bleu_statistics,
    gleu_from_statistics,
    gleu_statistics,
)
from beyond_mle.claims import Claim, Identity, Interval, rows
from beyond_mle.config import ChapterConfig, param
from beyond_mle.progress import progress

__all__ = [
    "CLAIMS",
    "SYMBOLS",
    "PullToAverageConfig",
    "bit_cross_entropies",
    "crossed_bit_loss",
    "descend",
    "descent_starts",
    "endpoint_fractions",
    "finite_difference_gradient",
    "gradient",
    "hessian",
    "probability_grid",
    "probability_velocity",
    "soft_score_loss",
    "two_token_probs",
    "uniform_logits",
]

#: The two symbols; a two-token sentence is a list of their ids, e.g. ``[0, 1]`` for "a b".
SYMBOLS = ("a", "b")

LossFn = Callable[[Tensor], Tensor]


def _check_logits(logits: Tensor) -> None:
    if logits.dim() != 2 or logits.shape[-1] != 2:
        raise ValueError(f"logits must have shape (points, 2), got {tuple(logits.shape)}")


def bit_cross_entropies(logits: Tensor, reference_bits: Sequence[int]) -> Tensor:
    r"""The sub-losses :math:`J_{ij} = \mathrm{CE}(\sigma(h_i), r_j)` of all pairs.

    .. math::
        J_{ij} = -r_j \log \sigma(h_i) - (1 - r_j) \log(1 - \sigma(h_i)),
        \qquad \frac{\partial J_{ij}}{\partial h_i} = \sigma(h_i) - r_j

    (the caricature of appendix D of Casas et al. 2018: hypothesis position :math:`i` is
    compared with reference position :math:`j` whatever the two positions are).

    Args:
        logits: :math:`h`, shape ``(points, n_hyp)``.
        reference_bits: the reference :math:`r`, ``n_ref`` values in ``{0, 1}``.

    Returns:
        Shape ``(points, n_hyp, n_ref)``.

    Example:
        >>> j = bit_cross_entropies(torch.zeros(1, 2), [0, 1])
        >>> torch.allclose(j, torch.full((1, 2, 2), 0.6931), atol=1e-4)
        True
    """
    if logits.dim() != 2:
        raise ValueError(
            f"logits must have shape (points, n_hyp), got {tuple(logits.shape)}",
        )
    if len(reference_bits) == 0 or any(bit not in (0, 1) for bit in reference_bits):
        raise ValueError(
            f"reference_bits must be a non-empty list of 0/1, got {reference_bits!r}",
        )
    # (n_ref,)
    ref = torch.tensor(reference_bits, dtype=logits.dtype, device=logits.device)
    h = logits.unsqueeze(-1).expand(-1, -1, ref.numel())  # (P, n_hyp, n_ref)
    return F.binary_cross_entropy_with_logits(h, ref.expand_as(h), reduction="none")


def crossed_bit_loss(logits: Tensor, reference_bits: Sequence[int]) -> Tensor:
    r"""The caricature's total loss :math:`\sum_{i,j} J_{ij}` at each point, shape ``(points,)``.

    Its gradient, :math:`\partial \mathcal{L} / \partial h_i = n_{\mathrm{ref}} \sigma(h_i) -
    \sum_j r_j`, vanishes where every :math:`\sigma(h_i)` is the mean reference bit.

    Example:
        >>> crossed_bit_loss(torch.zeros(1, 2), [0, 1]).shape
        torch.Size([1])
    """
    return bit_cross_entropies(logits, reference_bits).sum((1, 2))


def two_token_probs(logits: Tensor) -> Tensor:
    r"""Token distributions of a two-position hypothesis over ``SYMBOLS``.

    Position :math:`i` is ``b`` with probability :math:`\sigma(h_i)` and ``a`` otherwise.

    Args:
        logits: shape ``(points, 2)``.

    Returns:
        ``probs`` of shape ``(points, 2, 2)``: ``probs[:, i] = (1 - p_i, p_i)``.
    """
    _check_logits(logits)
    p = torch.sigmoid(logits)  # (P, 2)
    return torch.stack([1 - p, p], dim=-1)  # (P, 2 positions, 2 symbols)


def soft_score_loss(
    logits: Tensor,
    corpus: Sequence[Sequence[Sequence[int]]],
    *,
    score: str,
    order: int,
    eps: float = 1e-10,
) -> Tensor:
    r"""The soft BLEU or GLEU loss of a two-position hypothesis, one value per point.

    .. math::
        \mathcal{L}(h) = -\log\bigl(\mathrm{score}(\{(q(h), R_s)\}_{s}) + \epsilon\bigr)

    where every sentence :math:`s` of the corpus has the same hypothesis distributions
    :math:`q(h)` (:func:`two_token_probs`, no EOS) and its own list of references :math:`R_s`;
    the statistics are summed over the sentences before dividing (corpus BLEU and GLEU,
    eq. 7 and 9 of Casas et al. 2018).

    Args:
        logits: shape ``(points, 2)``; every point is scored separately.
        corpus: for each sentence, its references, each two symbol ids, e.g.
            ``[[[0, 1]]]`` (one sentence, reference "a b") or ``[[[0, 1]], [[1, 0]]]``.
        score: ``"bleu"`` (n-gram orders 1..``order``, uniform weights) or ``"gleu"``
            (orders 1..``order``).
        order: the largest n-gram order (1 or 2 fit two tokens).
        eps: inside the logarithm.

    Returns:
        Shape ``(points,)``.
    """
    _check_logits(logits)
    if score not in ("bleu", "gleu"):
        raise ValueError(f"score must be 'bleu' or 'gleu', got {score!r}")
    if len(corpus) == 0:
        raise ValueError("corpus must hold at least one sentence")
    points, n_sent = logits.shape[0], len(corpus)
    probs = two_token_probs(logits)  # (P, 2, 2)
    hyps = probs.repeat_interleave(n_sent, dim=0)  # (P * S, 2, 2), sentence index fastest
    refs = [list(map(list, sentence)) for sentence in corpus] * points
    if score == "bleu":
        stats = bleu_statistics(hyps, refs, max_order=order)
        summed = BleuStatistics(
            *(x.reshape(points, n_sent, *x.shape[1:]).sum(1) for x in vars(stats).values())
        )
        value = bleu_from_statistics(summed, (1.0 / order,) * order, corpus=False)
    else:
        gleu_stats = gleu_statistics(hyps, refs, max_len=order)
        gleu_summed = GleuStatistics(
            *(x.reshape(points, n_sent).sum(1) for x in vars(gleu_stats).values())
        )
        value = gleu_from_statistics(gleu_summed, corpus=False)
    return -torch.log(value + eps)  # (P,)


def gradient(loss_fn: LossFn, logits: Tensor) -> tuple[Tensor, Tensor]:
    """Per-point losses and their gradients w.r.t. the logits, by autograd.

    Args:
        loss_fn: maps ``logits`` ``(points, 2)`` to losses ``(points,)``, each point's loss
            depending on its own logits only.
        logits: shape ``(points, 2)``.

    Returns:
        ``(loss, grad)`` of shapes ``(points,)`` and ``(points, 2)``.
    """
    h = logits.detach().clone().requires_grad_(True)
    loss = loss_fn(h)
    (grad,) = torch.autograd.grad(loss.sum(), h)  # points are independent: the sum separates
    return loss.detach(), grad


def finite_difference_gradient(loss_fn: LossFn, logits: Tensor, step: float = 1e-6) -> Tensor:
    r"""Central differences :math:`(\mathcal{L}(h + \delta e_k) - \mathcal{L}(h - \delta e_k))
    / 2\delta`, shape ``(points, 2)``; use float64 logits."""
    columns = []
    for k in range(logits.shape[-1]):
        shift = torch.zeros_like(logits)
        shift[:, k] = step
        with torch.no_grad():
            columns.append((loss_fn(logits + shift) - loss_fn(logits - shift)) / (2 * step))
    return torch.stack(columns, -1)


def probability_velocity(logits: Tensor, grad: Tensor) -> Tensor:
    r"""The velocity of :math:`p = \sigma(h)` under gradient flow in :math:`h`.

    .. math::
        \dot p_i = \sigma'(h_i)\, \dot h_i = -\sigma(h_i)(1 - \sigma(h_i))
        \frac{\partial \mathcal{L}}{\partial h_i}

    It has the sign of :math:`-\partial \mathcal{L} / \partial h_i` component by component, so
    the fixed points and the side each arrow points to are those of the logit gradient.

    Args:
        logits: shape ``(points, 2)``.
        grad: :math:`\partial \mathcal{L} / \partial h`, the same shape.

    Returns:
        The same shape.
    """
    p = torch.sigmoid(logits)
    return -p * (1 - p) * grad


def probability_grid(n: int, *, dtype: torch.dtype = torch.float64) -> tuple[Tensor, Tensor]:
    r"""An ``n`` x ``n`` grid of cell centres :math:`(k + 1/2)/n` of the unit square.

    With ``n`` odd the centre (0.5, 0.5) is a grid point.

    Args:
        n: points per side (>= 2).
        dtype: of the returned tensors.

    Returns:
        ``(probs, logits)``, both shape ``(n * n, 2)``; ``probs[:, 0]`` varies fastest.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    ticks = (torch.arange(n, dtype=dtype) + 0.5) / n  # (n,)
    p1, p0 = torch.meshgrid(ticks, ticks, indexing="ij")
    probs = torch.stack([p0.reshape(-1), p1.reshape(-1)], -1)  # (n * n, 2)
    return probs, torch.logit(probs)


def descend(
    loss_fn: LossFn, logits: Tensor, *, lr: float, steps: int, desc: str = "descent"
) -> Tensor:
    r"""Plain gradient descent from many starts at once.

    .. math::
        h \leftarrow h - \eta\, \nabla_h \mathcal{L}(h)

    Args:
        loss_fn: per-point losses, as in :func:`gradient`.
        logits: the starts, shape ``(points, 2)``.
        lr: the step size :math:`\eta` (> 0).
        steps: number of steps (>= 1).
        desc: the progress bar's label.

    Returns:
        The final logits, shape ``(points, 2)``.
    """
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    h = logits.detach().clone()
    for _ in progress(range(steps), desc=desc):
        _, grad = gradient(loss_fn, h)
        h = h - lr * grad
    return h


def hessian(loss_fn: LossFn, logits: Tensor) -> Tensor:
    """The Hessian of one point's loss w.r.t. its two logits, by autograd.

    Its eigenvalues classify a fixed point: both positive, a minimum (attracting under gradient
    descent); of both signs, a saddle.

    Args:
        loss_fn: per-point losses, as in :func:`gradient`.
        logits: one point, shape ``(2,)``.

    Returns:
        Shape ``(2, 2)``.
    """
    if logits.shape != (2,):
        raise ValueError(f"logits must have shape (2,), got {tuple(logits.shape)}")
    return torch.autograd.functional.hessian(lambda h: loss_fn(h.unsqueeze(0)).sum(), logits)


def endpoint_fractions(
    probs: Tensor, landmarks: dict[str, tuple[float, float]], *, tol: float = 0.05
) -> dict[str, float]:
    """The fraction of end points within ``tol`` (Euclidean) of each landmark, and elsewhere.

    Args:
        probs: end points :math:`(p_0, p_1)`, shape ``(points, 2)``.
        landmarks: name -> point; they should lie more than ``2 * tol`` apart.
        tol: the radius (> 0).

    Returns:
        name -> fraction, plus ``"elsewhere"``; the values sum to 1.

    Example:
        >>> endpoint_fractions(torch.tensor([[0.5, 0.5], [0.0, 0.9]]), {"centre": (0.5, 0.5)})
        {'centre': 0.5, 'elsewhere': 0.5}
    """
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    near_any = torch.zeros(probs.shape[0], dtype=torch.bool, device=probs.device)
    fractions = {}
    for name, point in landmarks.items():
        near = (probs - torch.tensor(point, dtype=probs.dtype, device=probs.device)).norm(dim=-1)
        near = near < tol
        fractions[name] = near.double().mean().item()
        near_any |= near
    fractions["elsewhere"] = (~near_any).double().mean().item()
    return fractions


def uniform_logits(seed: int, stream: str, n: int) -> Tensor:
    r"""The logits of ``n`` points drawn uniformly in the probability square, float64.

    Args:
        seed: the experiment's seed.
        stream: the name of the stream the points come from (:mod:`beyond_mle.streams`).
        n: how many points (>= 1).

    Returns:
        :math:`\operatorname{logit}(u)` for :math:`u \sim U(0, 1)^2`, shape ``(n, 2)``.

    Example:
        >>> uniform_logits(0, "gradient check", 3).shape
        torch.Size([3, 2])
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    generator = streams.generator(seed, stream)
    return torch.logit(torch.rand(n, 2, generator=generator, dtype=torch.float64))


def descent_starts(config: PullToAverageConfig) -> Tensor:
    """The ``config.n_starts`` starts of the gradient descents: stream ``"descent starts"``.

    Returns:
        Logits, shape ``(n_starts, 2)``, float64.
    """
    return uniform_logits(config.seed, "descent starts", config.n_starts)


@dataclass(frozen=True)
class PullToAverageConfig(ChapterConfig):
    """The parameters of the chapter "The pull to the average": the fields' grid and the descents.

    The fields are tiny and computed on the CPU whatever ``device`` says; the starts of the
    descents come from the stream ``"descent starts"`` of ``seed`` (:func:`descent_starts`).
    """

    NOTEBOOK = "book/bleu/pull_to_average.ipynb"
    DESCRIPTION = (
        "The pull to the average: gradient fields of the 2-bit cross-entropy caricature and "
        "of the soft BLEU and GLEU on a two-token, two-symbol problem, and their fixed points"
    )
    PRESETS = {
        "book": {},
        # Figure 6 of Casas et al. gives no grid and runs no descent: the paper's scale is a
        # finer grid (41 x 41) and ten times as many descents, four times as long.
        "paper": {"grid": 41, "n_starts": 2_000, "descent_steps": 2_000},
    }

    grid: int = param(
        15, low=3, high=401, help="arrows per side of each vector field (odd: 0.5 on it)"
    )
    n_starts: int = param(200, low=1, high=1_000_000, help="random starts of the gradient descents")
    descent_steps: int = param(
        500, low=1, high=1_000_000, help="gradient-descent steps from each start"
    )
    descent_lr: float = param(
        1.0, low=1e-6, high=100.0, help="gradient-descent step size on the logits"
    )


# Claims
#
# Casas et al. (2018), §5 and appendix D, figure 6. The caricature's fixed point, its Hessian
# (2 sigma'(0) I = I/2) and the stationary points of the real losses are closed forms, decided to
# 1e-12 in float64. Where gradient descent ends is decided on fractions of the random starts: the
# bounds (a majority at the average; every unigram descent on the ridge) lie far from every one of
# five book-scale seeds, whose fractions spread by less than 0.02.

SOURCE = "Casas et al. (2018)"
UNIGRAM = ("BLEU-1, ref a b", "GLEU-1, ref a b")
CORPUS = ("BLEU-2, corpus {a b, b a}", "GLEU-2, corpus {a b, b a}")


def _column(results: Mapping[str, Any], column: str, losses: tuple[str, ...] = ()) -> list[Any]:
    """One column of the fixed-point table, for the losses named (all of them if none)."""
    chosen = [
        row[column] for row in rows(results["fixed_points"]) if not losses or row["loss"] in losses
    ]
    if not chosen or (losses and len(chosen) != len(losses)):
        raise KeyError(f"the fixed-point table lacks {column!r} for {losses or 'any loss'}")
    return chosen


def _eigenvalues(text: str) -> list[float]:
    """The Hessian's eigenvalues as the table prints them (``"[-0.125  0.125]"``)."""
    return [float(value) for value in text.strip("[]").split()]


def _hessian_off_half(results: Mapping[str, Any]) -> float:
    return max(abs(value - 0.5) for value in results["caricature"]["hessian_eigenvalues_centre"])


def _largest_fraction_at_average(results: Mapping[str, Any]) -> float:
    return max(_column(results, "-> avg"))


def _unigram_on_ridge(results: Mapping[str, Any]) -> float:
    return min(_column(results, "on ridge", UNIGRAM))


def _corpus_gradient(results: Mapping[str, Any]) -> float:
    return max(_column(results, "|grad| at avg", CORPUS))


def _corpus_smallest_eigenvalue(results: Mapping[str, Any]) -> float:
    return min(min(_eigenvalues(text)) for text in _column(results, "Hessian eig at avg", CORPUS))


CLAIMS = (
    Claim(
        key="caricature-stationary-at-average",
        statement=(
            "In the two-bit caricature (every hypothesis bit against every reference bit), the "
            "sub-losses' gradients cancel at the average of the reference bits"
        ),
        source=f"{SOURCE}, App. D, Fig. 6",
        paper="the combined field pushes towards the mean of the reference bits, [0.5, 0.5]",
        quantity="norm of the caricature's logit gradient at (0.5, 0.5), reference 0 1",
        measure=lambda results: results["caricature"]["grad_norm_centre"],
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="caricature-average-attracts",
        statement="The caricature's stationary point at the average is a minimum, not a saddle",
        source=f"{SOURCE}, App. D, Fig. 6 (the field converges on the centre)",
        paper="-",
        quantity="largest |Hessian eigenvalue - 1/2| at (0.5, 0.5) (closed form: I/2)",
        measure=_hessian_off_half,
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="caricature-descent-ends-at-average",
        statement="Gradient descent on the caricature ends at the average from every start",
        source=f"{SOURCE}, App. D, Fig. 6",
        paper="[0.5, 0.5]",
        quantity="largest distance from (0.5, 0.5) of the descents' end points (probabilities)",
        measure=lambda results: results["caricature"]["max_distance"],
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="soft-scores-descend-to-average",
        statement=(
            "The same holds for the real BLEU and GLEU losses: gradient descent pulls each "
            "hypothesis token to the average of the reference tokens"
        ),
        source=f"{SOURCE}, §5 and App. D (its last paragraph)",
        paper="no number: the caricature's reasoning is extended to BLEU and GLEU",
        quantity=(
            "largest fraction, over the six soft BLEU and GLEU losses, of the random starts "
            "whose descent ends within 0.05 of (0.5, 0.5)"
        ),
        measure=_largest_fraction_at_average,
        test=Interval(0.5, None),
        contradicted={
            "book": (
                "no start ends near the average under a loss with bigrams, and at most a few "
                "percent under the unigram losses, whose descents stop anywhere on the ridge "
                "p0 + p1 = 1; the bigram losses end at a reference"
            ),
            "paper": (
                "as at book scale: the unigram losses stop anywhere on the ridge p0 + p1 = 1 "
                "and the bigram losses end at a reference, never at the average"
            ),
        },
    ),
    Claim(
        key="unigram-ridge-holds-average",
        statement=(
            "Matching unigrams regardless of position cannot tell the average from the "
            "reference: every descent of unigram BLEU and GLEU ends on the line of optima "
            "through both"
        ),
        source=f"{SOURCE}, §5 (one sub-task per pair of hypothesis and reference n-grams)",
        paper="-",
        quantity=(
            "smaller of BLEU-1's and GLEU-1's fraction of descents ending within 0.05 of the "
            "ridge p0 + p1 = 1"
        ),
        measure=_unigram_on_ridge,
        test=Interval(0.99, None),
    ),
    Claim(
        key="conflicting-references-balance-at-average",
        statement=(
            "With two conflicting references (a b and b a), the sub-tasks balance at the "
            "average: it is a stationary point of corpus BLEU-2 and GLEU-2"
        ),
        source=f"{SOURCE}, §5 (mutually incompatible sub-tasks)",
        paper="-",
        quantity="larger gradient norm at (0.5, 0.5) of corpus BLEU-2 and GLEU-2 on {a b, b a}",
        measure=_corpus_gradient,
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="conflicting-references-attract-to-average",
        statement=(
            "That balance attracts: the average is a minimum of corpus BLEU-2 and GLEU-2 "
            "with the two conflicting references"
        ),
        source=f"{SOURCE}, §5 and App. D",
        paper="the combined loss pushes each hypothesis token towards the reference average",
        quantity=(
            "smallest Hessian eigenvalue (logits) at (0.5, 0.5) of corpus BLEU-2 and GLEU-2 on "
            "{a b, b a}, rounded to 3 decimals"
        ),
        measure=_corpus_smallest_eigenvalue,
        test=Interval(0.0, None),
        contradicted={
            "book": (
                "the average is a saddle (eigenvalues -0.125 and 0.125 for BLEU-2): it attracts "
                "along p0 = p1 and repels across, and descents leave it for a reference"
            ),
            "paper": (
                "the average is a saddle (eigenvalues -0.125 and 0.125 for BLEU-2): it attracts "
                "along p0 = p1 and repels across, and descents leave it for a reference"
            ),
        },
    ),
)
