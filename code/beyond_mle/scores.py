r"""Sample-quality scores computed from a classifier's class probabilities: Inception, MODE, AM.

A pretrained classifier :math:`C` maps a sample :math:`x` to a distribution :math:`C(x)` over
:math:`K` classes. The scores below see a set of samples only through the matrix of these
distributions, ``probs`` of shape ``(N, K)`` (one row per generated sample), and, for MODE and
AM, ``reference_probs`` of shape ``(M, K)`` (the classifier on the reference, e.g. training,
data). Writing :math:`\bar C = \mathbb{E}_x C(x)` for the generated marginal (the mean of the
rows of ``probs``), :math:`\bar C^{\mathrm{train}}` for the reference marginal and :math:`H` for
the entropy, Zhou, Zhang and Wang (2017), "Inception Score, Label Smoothing, Gradient Vanishing
and -log(D(x)) Alternative", state the scores as

* the Inception score (Salimans et al. 2016), their eq. (1),
  :math:`\exp\bigl(\mathbb{E}_x \mathrm{KL}(C(x) \,\|\, \bar C)\bigr)`;
* the MODE score (Che et al. 2017), their eq. (2),
  :math:`\exp\bigl(\mathbb{E}_x \mathrm{KL}(C(x) \,\|\, \bar C^{\mathrm{train}})
  - \mathrm{KL}(\bar C \,\|\, \bar C^{\mathrm{train}})\bigr)`;
* their AM score, eq. (5) of their section 2.2 (:func:`am_score_2017`, higher is better), which
  swaps the arguments of both KL terms of the MODE score:
  :math:`\mathbb{E}_x \mathrm{KL}(\bar C^{\mathrm{train}} \,\|\, C(x))
  - \mathrm{KL}(\bar C^{\mathrm{train}} \,\|\, \bar C)
  = \mathbb{E}_x H(\bar C^{\mathrm{train}}, C(x)) - H(\bar C^{\mathrm{train}}, \bar C)`,
  two cross-entropies, with no exponential.

The AM score of the later AM-GAN paper (Zhou et al. 2018, "Activation Maximization Generative
Adversarial Nets", ICLR; the form computed by ``AMScore.am_score`` in the authors' code,
ZhimingZhou/AM-GANs-refactored ``common/score.py``) is a different quantity, lower is better:
:math:`\mathrm{KL}(\bar C^{\mathrm{train}} \,\|\, \bar C) + \mathbb{E}_x H(C(x))`
(:func:`am_score`). The two share the marginal term and differ in the per-sample one:

.. math::
    \mathrm{AM}_{2017} + \mathrm{AM}_{2018}
    = \mathbb{E}_x\bigl[H(C(x)) + H(\bar C^{\mathrm{train}}, C(x))\bigr]
      - H(\bar C^{\mathrm{train}}).

Their decomposition, eq. (4), :math:`\log \mathrm{IS} = H(\bar C) - \mathbb{E}_x H(C(x))`, follows
from :math:`\mathbb{E}_x \sum_k C_k(x) \log \bar C_k = \sum_k \bar C_k \log \bar C_k` (their
Lemma 1, eq. (3): the cross-entropy is linear in its first argument). The same step applied to
the MODE score removes the reference altogether: the cross-entropy
:math:`-\sum_k \bar C_k \log \bar C^{\mathrm{train}}_k` appears in both of its terms and cancels,
so :math:`\log \mathrm{MODE} = H(\bar C) - \mathbb{E}_x H(C(x)) = \log \mathrm{IS}` for every
reference whose marginal is positive wherever :math:`\bar C` is (the equivalence of the two
scores claimed by Zhou, Zhang and Wang). Both AM scores keep the reference.

Conventions: logarithms are natural (nats), :math:`0 \log 0 = 0`; scores are 0-dim tensors in the
dtype of ``probs`` (promoted with that of ``reference_probs``), differentiable in the inputs where
every probability is positive (e.g. ``probs = softmax(logits)``).

One score or the mean over splits. :func:`inception_score` and :func:`mode_score` give one score
of all ``N`` rows. Published Inception scores are instead a mean and standard deviation: those
of the score of each of 10 disjoint splits of the samples, as Salimans et al. (2016) computed
their figures (their code, below), and this is what :func:`inception_score_splits` and
:func:`mode_score_splits` return. The two are different
numbers: the score of a split sees only its own marginal, whose entropy is biased low on few
rows, so the split mean is as a rule below the one-score figure, the more so the more classes
and the fewer rows per split. How the rows are split differs between the implementations people
compare with; ``convention`` picks one (the choice is recorded in the result):

========================  =======================  ==========================  ==============
``convention``            row order                split ``i`` (of ``S``)      std
========================  =======================  ==========================  ==============
``"salimans2016"``        as given                 rows ``iN//S`` to           population
                                                   ``(i+1)N//S - 1``           (ddof 0)
``"torch-fidelity"``      ``numpy.random.          as ``"salimans2016"``       population
                          RandomState(seed)        after the permutation       (ddof 0)
                          .permutation(N)``,
                          seed 2020 by default
``"torchmetrics"``        ``torch.randperm(N)``    ``torch.chunk``: blocks of  sample
                          (the global torch RNG    ``ceil(N/S)`` rows, the     (ddof 1)
                          unless ``seed`` is       last one shorter; fewer
                          given)                   than ``S`` blocks if the
                                                   rows run out first
========================  =======================  ==========================  ==============

``"salimans2016"`` is ``get_inception_score`` of openai/improved-gan
(``inception_score/model.py``), the code behind the paper's numbers; ``"torch-fidelity"`` is
``isc_features_to_metric`` of toshas/torch-fidelity (``torch_fidelity/metric_isc.py``, options
``isc_splits``, ``samples_shuffle``, ``rng_seed``), which reproduces the first on unshuffled
input; ``"torchmetrics"`` is ``InceptionScore.compute`` of Lightning-AI/torchmetrics
(``src/torchmetrics/image/inception.py``). In the first two every row is used and split sizes
differ by at most one, the remainder of ``N / S`` going to splits spread over the range; in the
third all blocks but the last have ``ceil(N/S)`` rows (12 rows in ``S = 10``: six blocks of 2).
Those libraries take logits and apply the softmax themselves (torch-fidelity in float64); on
``probs = softmax(logits)`` the functions here agree with them to rounding. Unlike the original
code (``np.log(part)``), a zero probability is no ``nan`` here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from beyond_mle.divergences import check_distribution

__all__ = [
    "SPLIT_CONVENTIONS",
    "AMScore2017Terms",
    "AMScoreTerms",
    "InceptionScoreTerms",
    "SplitScores",
    "am_score",
    "am_score_2017",
    "am_score_2017_by_class",
    "am_score_2017_terms",
    "am_score_terms",
    "inception_score",
    "inception_score_splits",
    "inception_score_terms",
    "mode_score",
    "mode_score_splits",
]

SPLIT_CONVENTIONS = ("salimans2016", "torch-fidelity", "torchmetrics")
"""The split conventions of :func:`inception_score_splits` (see the module docstring)."""

_TORCH_FIDELITY_SEED = 2020  # torch-fidelity's default rng_seed


@dataclass(frozen=True)
class InceptionScoreTerms:
    r"""The two entropies of eq. (4) of Zhou, Zhang and Wang (2017).

    Attributes:
        marginal_entropy: :math:`H(\bar C)`, the entropy of the mean prediction (diversity),
            0-dim.
        mean_entropy: :math:`\mathbb{E}_x H(C(x))`, the mean entropy of the predictions
            (confidence), 0-dim.
    """

    marginal_entropy: Tensor
    mean_entropy: Tensor

    @property
    def log_score(self) -> Tensor:
        r""":math:`\log \mathrm{IS} = H(\bar C) - \mathbb{E}_x H(C(x))`, 0-dim."""
        return self.marginal_entropy - self.mean_entropy


@dataclass(frozen=True)
class AMScoreTerms:
    r"""The two terms of the AM score of AM-GAN (Zhou et al. 2018), lower is better.

    Attributes:
        marginal_kl: :math:`\mathrm{KL}(\bar C^{\mathrm{train}} \,\|\, \bar C)`, how far the
            generated class marginal is from the reference one, 0-dim (``inf`` when the
            generated marginal misses a reference class).
        mean_entropy: :math:`\mathbb{E}_x H(C(x))`, the mean entropy of the predictions, 0-dim.
        reference_entropy: :math:`H(\bar C^{\mathrm{train}})`, the entropy of the reference
            marginal, 0-dim: a constant of the reference data, not of the generator.
    """

    marginal_kl: Tensor
    mean_entropy: Tensor
    reference_entropy: Tensor

    @property
    def score(self) -> Tensor:
        """The AM score, the sum of the two terms, 0-dim."""
        return self.marginal_kl + self.mean_entropy

    @property
    def cross_entropy(self) -> Tensor:
        r""":math:`H(\bar C^{\mathrm{train}}, \bar C) = \mathrm{KL}(\bar C^{\mathrm{train}} \,\|\,
        \bar C) + H(\bar C^{\mathrm{train}})`, the cross-entropy of the generated marginal
        under the reference one, 0-dim: the marginal term of this score up to a constant."""
        return self.marginal_kl + self.reference_entropy


@dataclass(frozen=True)
class AMScore2017Terms:
    r"""The two cross-entropies of the AM score, eq. (5) of Zhou, Zhang and Wang (2017).

    Attributes:
        mean_cross_entropy: :math:`\mathbb{E}_x H(\bar C^{\mathrm{train}}, C(x))`, the mean
            cross-entropy of each prediction under the reference marginal, 0-dim (``inf`` when
            some prediction is 0 on a class the reference holds).
        marginal_cross_entropy: :math:`H(\bar C^{\mathrm{train}}, \bar C)`, the cross-entropy of
            the generated marginal under the reference one, 0-dim.
    """

    mean_cross_entropy: Tensor
    marginal_cross_entropy: Tensor

    @property
    def score(self) -> Tensor:
        r"""Eq. (5): :math:`\mathbb{E}_x H(\bar C^{\mathrm{train}}, C(x))
        - H(\bar C^{\mathrm{train}}, \bar C)`, 0-dim, higher is better."""
        return self.mean_cross_entropy - self.marginal_cross_entropy


@dataclass(frozen=True)
class SplitScores:
    r"""A score computed on each of ``S`` disjoint splits of the samples, with its mean and spread.

    Attributes:
        scores: the score of each split, shape ``(S,)``, in split order.
        mean: the mean of ``scores``, 0-dim: the figure papers report.
        std: the standard deviation of ``scores``, 0-dim, with ``ddof`` degrees of freedom
            removed (``nan`` for one split when ``ddof`` is 1): the figure after the
            :math:`\pm`.
        sizes: the number of rows in each split.
        ddof: 0 (population std) or 1 (sample std), as ``convention`` prescribes.
        convention: the split convention, one of :data:`SPLIT_CONVENTIONS`.
    """

    scores: Tensor
    mean: Tensor
    std: Tensor
    sizes: tuple[int, ...]
    ddof: int
    convention: str


# --------------------------------------------------------------------------------------------
# Inputs and shared pieces
# --------------------------------------------------------------------------------------------


def _check_probs(probs: Tensor, name: str) -> None:
    if not isinstance(probs, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(probs).__name__}")
    if probs.dim() != 2:
        raise ValueError(f"{name} must be 2-D (samples, classes), got shape {tuple(probs.shape)}")
    if probs.shape[0] == 0 or probs.shape[1] == 0:
        raise ValueError(
            f"{name} must hold at least one sample and one class, got shape {tuple(probs.shape)}"
        )
    # floating point, finite, non-negative, rows summing to 1 within 1e-5
    check_distribution(probs, name, dim=-1)


def _check_pair(probs: Tensor, reference_probs: Tensor) -> tuple[Tensor, Tensor]:
    _check_probs(probs, "probs")
    _check_probs(reference_probs, "reference_probs")
    if probs.shape[1] != reference_probs.shape[1]:
        raise ValueError(
            "probs and reference_probs must have the same number of classes K, got "
            f"{probs.shape[1]} and {reference_probs.shape[1]}"
        )
    dtype = torch.promote_types(probs.dtype, reference_probs.dtype)
    return probs.to(dtype), reference_probs.to(dtype)


def _entropy(probs: Tensor) -> Tensor:
    """Row entropies, ``(..., K) -> (...)``, with 0 log 0 = 0."""
    return -torch.xlogy(probs, probs).sum(-1)


def _kl(p: Tensor, q: Tensor) -> Tensor:
    """KL(p || q) along the last dimension, broadcasting; 0 where p = 0, inf where p > 0 = q."""
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(-1)


def _split_indices(
    n: int, splits: int, convention: str, seed: int | None, device: torch.device
) -> list[Tensor]:
    """The row indices of each split of ``n`` rows under ``convention`` (validated first)."""
    if convention not in SPLIT_CONVENTIONS:
        raise ValueError(f"convention must be one of {SPLIT_CONVENTIONS}, got {convention!r}")
    if isinstance(splits, bool) or not isinstance(splits, int) or not 1 <= splits <= n:
        raise ValueError(
            f"splits must be an integer from 1 to the number of samples N = {n}, got {splits!r}"
        )
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32
    ):
        raise ValueError(f"seed must be None or an integer in [0, 2**32), got {seed!r}")
    if convention == "salimans2016":
        if seed is not None:
            raise ValueError(
                "seed must be None for convention 'salimans2016', which keeps the rows in order"
            )
        order = torch.arange(n)
    elif convention == "torch-fidelity":
        rng = np.random.RandomState(_TORCH_FIDELITY_SEED if seed is None else seed)
        order = torch.from_numpy(rng.permutation(n))
    else:  # torchmetrics: the global RNG, as the library, unless a seed is given
        gen = None if seed is None else torch.Generator().manual_seed(seed)
        order = torch.randperm(n, generator=gen)
    order = order.to(device)
    if convention == "torchmetrics":  # torch.chunk: blocks of ceil(n / splits) rows
        size = math.ceil(n / splits)
        return list(order.split(size))
    bounds = [i * n // splits for i in range(splits + 1)]  # rows [i n // S, (i + 1) n // S)
    return [order[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def _summarise(scores: list[Tensor], parts: list[Tensor], convention: str) -> SplitScores:
    stacked = torch.stack(scores)  # (S,)
    ddof = 1 if convention == "torchmetrics" else 0
    if stacked.numel() > ddof:
        std = stacked.std(correction=ddof)
    else:  # the sample std of one value is undefined (torch.std warns and gives nan)
        std = torch.full((), math.nan, dtype=stacked.dtype, device=stacked.device)
    return SplitScores(
        scores=stacked,
        mean=stacked.mean(),
        std=std,
        sizes=tuple(int(part.numel()) for part in parts),
        ddof=ddof,
        convention=convention,
    )


# --------------------------------------------------------------------------------------------
# Inception score
# --------------------------------------------------------------------------------------------


def inception_score_terms(probs: Tensor) -> InceptionScoreTerms:
    r"""The marginal and mean entropies whose difference is the log Inception score.

    .. math::
        \log \mathrm{IS} = H(\bar C) - \mathbb{E}_x H(C(x)),
        \qquad \bar C = \frac1N \sum_{i=1}^N C(x_i)

    (eq. (4) of Zhou, Zhang and Wang 2017): a high score needs diverse predictions (large
    :math:`H(\bar C)`, at most :math:`\log K`) that are each confident (small
    :math:`H(C(x))`).

    Args:
        probs: the classifier's probabilities on the generated samples, shape ``(N, K)``.

    Returns:
        The two entropies (nats), each 0-dim.

    Raises:
        ValueError: if ``probs`` is not a non-empty 2-D floating tensor of rows on the simplex.

    Example:
        >>> probs = torch.tensor([[1.0, 0.0], [0.5, 0.5]], dtype=torch.float64)
        >>> terms = inception_score_terms(probs)
        >>> round(terms.marginal_entropy.item(), 4), round(terms.mean_entropy.item(), 4)
        (0.5623, 0.3466)
    """
    _check_probs(probs, "probs")
    marginal = probs.mean(0)  # (K,) the generated class marginal C_bar
    return InceptionScoreTerms(
        marginal_entropy=_entropy(marginal),  # H(C_bar)
        mean_entropy=_entropy(probs).mean(),  # E_x H(C(x)), from (N,) row entropies
    )


def inception_score(probs: Tensor) -> Tensor:
    r"""The Inception score of a set of samples, from the classifier's probabilities.

    .. math::
        \mathrm{IS} = \exp\Bigl(\mathbb{E}_x\, \mathrm{KL}\bigl(C(x) \,\|\, \bar C\bigr)\Bigr),
        \qquad \bar C = \frac1N \sum_{i=1}^N C(x_i)

    (Salimans et al. 2016; eq. (1) of Zhou, Zhang and Wang 2017). It lies in :math:`[1, K]`:
    1 when all rows are equal, :math:`K` when the rows are one-hot and the classes balanced.
    Computed from the KL form directly; :func:`inception_score_terms` gives the entropy form.

    Args:
        probs: the classifier's probabilities on the generated samples, shape ``(N, K)``.

    Returns:
        The score, 0-dim, differentiable in ``probs`` where ``probs > 0``.

    Raises:
        ValueError: if ``probs`` is not a non-empty 2-D floating tensor of rows on the simplex.

    Example:
        >>> probs = torch.eye(4, dtype=torch.float64)  # confident and balanced: IS = K
        >>> round(inception_score(probs).item(), 6)
        4.0
    """
    _check_probs(probs, "probs")
    return _inception_score(probs)


def _inception_score(probs: Tensor) -> Tensor:
    marginal = probs.mean(0, keepdim=True)  # (1, K) C_bar
    return torch.exp(_kl(probs, marginal).mean())  # (N,) KL(C(x_i) || C_bar) -> mean -> exp


def inception_score_splits(
    probs: Tensor,
    splits: int = 10,
    *,
    convention: str = "torch-fidelity",
    seed: int | None = None,
) -> SplitScores:
    r"""The Inception score of each of ``splits`` disjoint splits of the samples, its mean and std.

    .. math::
        \mathrm{IS}_s = \exp\Bigl(\frac{1}{|S_s|} \sum_{i \in S_s}
            \mathrm{KL}\bigl(C(x_i) \,\|\, \bar C_s\bigr)\Bigr),
        \qquad \bar C_s = \frac{1}{|S_s|} \sum_{i \in S_s} C(x_i),

    reported as the mean and standard deviation of :math:`\mathrm{IS}_1, \dots, \mathrm{IS}_S`,
    as the code of Salimans et al. (2016) reports it (openai/improved-gan
    ``inception_score/model.py``, 10 splits by default). Each split is scored against its own
    marginal :math:`\bar C_s`, so the mean is not :func:`inception_score` of all rows: it is lower
    as a rule, since the mean of the :math:`H(\bar C_s)` is at most :math:`H(\bar C)` (the
    entropy is concave) and falls short of it by their small-sample bias. With ``splits=1`` the
    mean is :func:`inception_score` itself under every convention (the order of the rows does
    not matter).

    Args:
        probs: the classifier's probabilities on the generated samples, shape ``(N, K)``.
        splits: the number of splits ``S``, from 1 to ``N`` (10 in all three libraries).
        convention: how rows are ordered and split and which std is taken, one of
            :data:`SPLIT_CONVENTIONS`: ``"salimans2016"`` (rows in the given order, contiguous
            splits, population std: the original code), ``"torch-fidelity"`` (the same after
            torch-fidelity's seeded numpy permutation: ``calculate_metrics(isc=True)``) or
            ``"torchmetrics"`` (a ``torch.randperm`` permutation, ``torch.chunk`` blocks,
            sample std: ``InceptionScore().compute()``); see the module docstring.
        seed: the permutation's seed: with ``"torch-fidelity"``, the ``rng_seed`` of
            ``numpy.random.RandomState`` (``None``: torch-fidelity's default 2020); with
            ``"torchmetrics"``, the seed of a fresh ``torch.Generator`` (``None``: torch's
            global generator, as torchmetrics uses, so the draw advances it); must be ``None``
            with ``"salimans2016"``.

    Returns:
        The per-split scores (shape ``(S,)``, fewer than ``splits`` under ``"torchmetrics"`` when
        ``ceil(N / S)``-row blocks run out first), their mean and std, the split sizes and the
        convention; differentiable in ``probs`` where ``probs > 0``.

    Raises:
        ValueError: if ``probs`` is not a non-empty 2-D floating tensor of rows on the simplex,
            if ``splits`` is not an integer from 1 to ``N``, if ``convention`` is unknown, or if
            ``seed`` is not ``None`` or an integer in ``[0, 2**32)`` (or is given with
            ``"salimans2016"``).

    Example:
        >>> probs = torch.eye(2, dtype=torch.float64).repeat(3, 1)  # classes 0, 1, 0, 1, 0, 1
        >>> result = inception_score_splits(probs, splits=2, convention="salimans2016")
        >>> [round(v, 4) for v in result.scores.tolist()], result.sizes  # 3 / 2 ** (2 / 3)
        ([1.8899, 1.8899], (3, 3))
        >>> round(result.mean.item(), 4), result.std.item() < 1e-12  # both splits: classes 0, 1, 0
        (1.8899, True)
        >>> round(inception_score(probs).item(), 6)  # one score of all six rows
        2.0
    """
    _check_probs(probs, "probs")
    parts = _split_indices(probs.shape[0], splits, convention, seed, probs.device)
    scores = [_inception_score(probs[part]) for part in parts]  # IS_s of each (|S_s|, K) split
    return _summarise(scores, parts, convention)


# --------------------------------------------------------------------------------------------
# MODE score
# --------------------------------------------------------------------------------------------


def mode_score(probs: Tensor, reference_probs: Tensor) -> Tensor:
    r"""The MODE score of a set of samples against reference data.

    .. math::
        \mathrm{MODE} = \exp\Bigl(\mathbb{E}_x\, \mathrm{KL}\bigl(C(x) \,\|\,
            \bar C^{\mathrm{train}}\bigr) - \mathrm{KL}\bigl(\bar C \,\|\,
            \bar C^{\mathrm{train}}\bigr)\Bigr)

    (Che et al. 2017; eq. (2) of Zhou, Zhang and Wang 2017), with :math:`\bar C` and
    :math:`\bar C^{\mathrm{train}}` the means of the rows of ``probs`` and ``reference_probs``.
    The cross-entropy with :math:`\bar C^{\mathrm{train}}` cancels between the two terms, so the
    value equals :func:`inception_score` whatever the reference (see the module docstring); it is
    computed here from the formula as written.

    Args:
        probs: the classifier's probabilities on the generated samples, shape ``(N, K)``.
        reference_probs: its probabilities on the reference data, shape ``(M, K)``.

    Returns:
        The score, 0-dim.

    Raises:
        ValueError: if an input is not a non-empty 2-D floating tensor of rows on the simplex,
            if the two have different ``K``, or if the reference marginal is 0 on a class the
            generated marginal uses (both KL terms are then infinite and the difference
            undefined).

    Example:
        >>> probs = torch.tensor([[0.9, 0.1], [0.2, 0.8]], dtype=torch.float64)
        >>> reference_probs = torch.tensor([[0.7, 0.3]], dtype=torch.float64)
        >>> round(mode_score(probs, reference_probs).item(), 4)
        1.3171
        >>> round(inception_score(probs).item(), 4)
        1.3171
    """
    probs, reference = _check_mode_inputs(probs, reference_probs)
    return _mode_score(probs, reference)


def _check_mode_inputs(probs: Tensor, reference_probs: Tensor) -> tuple[Tensor, Tensor]:
    """The promoted ``probs`` and the reference marginal, checked for the MODE score."""
    probs, reference_probs = _check_pair(probs, reference_probs)
    reference = reference_probs.mean(0)  # (K,) C_bar_train
    if ((reference == 0) & (probs.mean(0) > 0)).any():
        raise ValueError(
            "reference_probs must give the classes used by probs a positive mean probability "
            "(the MODE score is inf - inf otherwise)"
        )
    return probs, reference


def _mode_score(probs: Tensor, reference: Tensor) -> Tensor:
    marginal = probs.mean(0)  # (K,) C_bar
    expected_kl = _kl(probs, reference).mean()  # E_x KL(C(x) || C_bar_train), from (N,)
    marginal_kl = _kl(marginal, reference)  # KL(C_bar || C_bar_train)
    return torch.exp(expected_kl - marginal_kl)


def mode_score_splits(
    probs: Tensor,
    reference_probs: Tensor,
    splits: int = 10,
    *,
    convention: str = "torch-fidelity",
    seed: int | None = None,
) -> SplitScores:
    r"""The MODE score of each of ``splits`` disjoint splits of the samples, its mean and std.

    .. math::
        \mathrm{MODE}_s = \exp\Bigl(\frac{1}{|S_s|} \sum_{i \in S_s}
            \mathrm{KL}\bigl(C(x_i) \,\|\, \bar C^{\mathrm{train}}\bigr)
            - \mathrm{KL}\bigl(\bar C_s \,\|\, \bar C^{\mathrm{train}}\bigr)\Bigr)

    (eq. (2) of Zhou, Zhang and Wang 2017 on each split), the generated samples split as by
    :func:`inception_score_splits` and the reference kept whole: :math:`\bar C^{\mathrm{train}}`
    is a property of the data, not an estimate to average. The reference cancels on every split
    as it does on all rows (see the module docstring), so each :math:`\mathrm{MODE}_s` equals
    :math:`\mathrm{IS}_s` and the result equals that of :func:`inception_score_splits` with the
    same ``splits``, ``convention`` and ``seed``; it is computed here from the formula as written.

    Args:
        probs: the classifier's probabilities on the generated samples, shape ``(N, K)``.
        reference_probs: its probabilities on the reference data, shape ``(M, K)``.
        splits: the number of splits of ``probs``, from 1 to ``N``.
        convention: one of :data:`SPLIT_CONVENTIONS`, as in :func:`inception_score_splits`.
        seed: the permutation's seed, as in :func:`inception_score_splits`.

    Returns:
        The per-split scores, their mean and std, the split sizes and the convention.

    Raises:
        ValueError: as :func:`mode_score` for the inputs, and as :func:`inception_score_splits`
            for ``splits``, ``convention`` and ``seed``.

    Example:
        >>> probs = torch.eye(2, dtype=torch.float64).repeat(3, 1)
        >>> reference_probs = torch.tensor([[0.7, 0.3]], dtype=torch.float64)
        >>> result = mode_score_splits(probs, reference_probs, splits=2, convention="salimans2016")
        >>> [round(v, 4) for v in result.scores.tolist()]  # as inception_score_splits
        [1.8899, 1.8899]
    """
    probs, reference = _check_mode_inputs(probs, reference_probs)
    parts = _split_indices(probs.shape[0], splits, convention, seed, probs.device)
    scores = [_mode_score(probs[part], reference) for part in parts]  # MODE_s of each split
    return _summarise(scores, parts, convention)


# --------------------------------------------------------------------------------------------
# AM scores: eq. (5) of Zhou, Zhang and Wang (2017), and the AM-GAN form (Zhou et al. 2018)
# --------------------------------------------------------------------------------------------


def am_score_2017_terms(probs: Tensor, reference_probs: Tensor) -> AMScore2017Terms:
    r"""The two cross-entropies of the AM score as first proposed (higher is better).

    .. math::
        \mathbb{E}_x H\bigl(\bar C^{\mathrm{train}}, C(x)\bigr)
        \quad \text{and} \quad H\bigl(\bar C^{\mathrm{train}}, \bar C\bigr)

    (eq. (5) of Zhou, Zhang and Wang 2017, §2.2), with
    :math:`H(p, q) = -\sum_k p_k \log q_k` and :math:`0 \log q = 0`.

    Args:
        probs: the classifier's probabilities on the generated samples, shape ``(N, K)``.
        reference_probs: its probabilities on the reference data, shape ``(M, K)``.

    Returns:
        The two cross-entropies (nats), each 0-dim; ``mean_cross_entropy`` is ``inf`` when a
        prediction is 0 on a class the reference holds (one-hot predictions, for instance).

    Raises:
        ValueError: if an input is not a non-empty 2-D floating tensor of rows on the simplex,
            or if the two have different ``K``.

    Example:
        >>> probs = torch.tensor([[0.5, 0.5], [0.25, 0.75]], dtype=torch.float64)
        >>> reference_probs = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
        >>> terms = am_score_2017_terms(probs, reference_probs)
        >>> round(terms.mean_cross_entropy.item(), 4), round(terms.marginal_cross_entropy.item(), 4)
        (0.7651, 0.7254)
    """
    probs, reference_probs = _check_pair(probs, reference_probs)
    reference = reference_probs.mean(0, keepdim=True)  # (1, K) C_bar_train
    marginal = probs.mean(0, keepdim=True)  # (1, K) C_bar
    return AMScore2017Terms(
        mean_cross_entropy=-torch.xlogy(reference, probs).sum(-1).mean(),  # E_x H(C_train, C(x))
        marginal_cross_entropy=-torch.xlogy(reference, marginal).sum(),  # H(C_train, C_bar)
    )


def am_score_2017(probs: Tensor, reference_probs: Tensor) -> Tensor:
    r"""The AM score of eq. (5) of Zhou, Zhang and Wang (2017): two cross-entropies, higher better.

    .. math::
        \mathrm{AM}_{2017}
        = \mathbb{E}_x \mathrm{KL}\bigl(\bar C^{\mathrm{train}} \,\|\, C(x)\bigr)
          - \mathrm{KL}\bigl(\bar C^{\mathrm{train}} \,\|\, \bar C\bigr)
        = \mathbb{E}_x H\bigl(\bar C^{\mathrm{train}}, C(x)\bigr)
          - H\bigl(\bar C^{\mathrm{train}}, \bar C\bigr)

    (§2.2 of the paper: the MODE score's KL terms with their arguments swapped; no exponential).
    The paper reads the first term as rewarding samples whose predictions are far from the
    reference marginal and the second as rewarding a generated marginal equal to the reference.
    Writing it per class,
    :math:`\mathrm{AM}_{2017} = \sum_k \bar C^{\mathrm{train}}_k \bigl(\log \mathbb{E}_x C_k(x)
    - \mathbb{E}_x \log C_k(x)\bigr)`: a weighted sum of Jensen gaps, so it is :math:`\ge 0`,
    0 exactly when the predictions do not vary over the samples (on the reference's classes), and
    unbounded above (``inf`` as soon as one prediction is 0 on a class the reference holds while
    the generated marginal is not).

    Args:
        probs: the classifier's probabilities on the generated samples, shape ``(N, K)``.
        reference_probs: its probabilities on the reference data, shape ``(M, K)``.

    Returns:
        The score (nats), 0-dim, differentiable in both inputs where they are positive.

    Raises:
        ValueError: if an input is not a non-empty 2-D floating tensor of rows on the simplex,
            if the two have different ``K``, or if the generated marginal is 0 on a class the
            reference holds (both terms are then infinite and the difference undefined).

    Example:
        >>> probs = torch.tensor([[0.5, 0.5], [0.25, 0.75]], dtype=torch.float64)
        >>> reference_probs = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
        >>> round(am_score_2017(probs, reference_probs).item(), 4)  # (1/4) log(75/64)
        0.0397
        >>> am_score_2017(probs[:1].expand(3, 2), reference_probs).item()  # identical rows
        0.0
    """
    probs, reference_probs = _check_pair(probs, reference_probs)
    if ((reference_probs.mean(0) > 0) & (probs.mean(0) == 0)).any():
        raise ValueError(
            "probs must give every class of the reference a positive mean probability "
            "(the AM score of eq. (5) is inf - inf otherwise)"
        )
    return am_score_2017_terms(probs, reference_probs).score


def am_score_2017_by_class(probs: Tensor, reference_probs: Tensor) -> Tensor:
    r"""Each class's share of the AM score of eq. (5): the reference-weighted Jensen gaps.

    .. math::
        \mathrm{AM}_{2017} = \sum_k \bar C^{\mathrm{train}}_k J_k, \qquad
        J_k = \log \mathbb{E}_x C_k(x) - \mathbb{E}_x \log C_k(x) \ge 0,

    since :math:`\mathbb{E}_x H(\bar C^{\mathrm{train}}, C(x)) = -\sum_k \bar C^{\mathrm{train}}_k
    \mathbb{E}_x \log C_k(x)` and :math:`H(\bar C^{\mathrm{train}}, \bar C) = -\sum_k
    \bar C^{\mathrm{train}}_k \log \mathbb{E}_x C_k(x)`. :math:`J_k` is the spread of
    :math:`\log C_k(x)` over the samples (Jensen's inequality for the concave logarithm): it is
    0 when :math:`C_k(x)` is the same for every sample, and large when the class's probability
    ranges over orders of magnitude, whether or not any sample belongs to the class.

    Args:
        probs: the classifier's probabilities on the generated samples, shape ``(N, K)``.
        reference_probs: its probabilities on the reference data, shape ``(M, K)``.

    Returns:
        :math:`\bar C^{\mathrm{train}}_k J_k` for each class, shape ``(K,)`` (0 where the
        reference marginal is 0; ``inf`` where some prediction, not all, is 0 on a reference
        class); the entries sum to :func:`am_score_2017`.

    Raises:
        ValueError: as :func:`am_score_2017`.

    Example:
        >>> probs = torch.tensor([[0.5, 0.5], [0.25, 0.75]], dtype=torch.float64)
        >>> reference_probs = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
        >>> [round(v, 4) for v in am_score_2017_by_class(probs, reference_probs).tolist()]
        [0.0294, 0.0102]
    """
    am_score_2017(probs, reference_probs)  # checks the inputs and the supports
    probs, reference_probs = _check_pair(probs, reference_probs)
    reference = reference_probs.mean(0)  # (K,) C_bar_train
    mean_log = torch.xlogy(reference, probs).mean(0)  # (K,) c_k E_x log C_k(x)
    log_mean = torch.xlogy(reference, probs.mean(0))  # (K,) c_k log E_x C_k(x)
    return log_mean - mean_log


def am_score_terms(probs: Tensor, reference_probs: Tensor) -> AMScoreTerms:
    r"""The two terms of the AM score of AM-GAN: marginal mismatch and mean prediction entropy.

    .. math::
        \mathrm{KL}\bigl(\bar C^{\mathrm{train}} \,\|\, \bar C\bigr)
        \quad \text{and} \quad \mathbb{E}_x H(C(x))

    (Zhou et al. 2018, as computed by ``AMScore.am_score`` of the authors' code,
    ZhimingZhou/AM-GANs-refactored ``common/score.py``; not eq. (5) of Zhou, Zhang and Wang
    2017, which is :func:`am_score_2017_terms`).

    Args:
        probs: the classifier's probabilities on the generated samples, shape ``(N, K)``.
        reference_probs: its probabilities on the reference data, shape ``(M, K)``.

    Returns:
        The two terms (nats), each 0-dim, and the reference's entropy :math:`H(\bar
        C^{\mathrm{train}})` that turns the first into a cross-entropy; ``marginal_kl`` is
        ``inf`` when the generated marginal is 0 on a class the reference uses.

    Raises:
        ValueError: if an input is not a non-empty 2-D floating tensor of rows on the simplex,
            or if the two have different ``K``.

    Example:
        >>> probs = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
        >>> reference_probs = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
        >>> am_score_terms(probs, reference_probs).marginal_kl.item()  # a class never generated
        inf
    """
    probs, reference_probs = _check_pair(probs, reference_probs)
    marginal = probs.mean(0)  # (K,) C_bar
    reference = reference_probs.mean(0)  # (K,) C_bar_train
    return AMScoreTerms(
        marginal_kl=_kl(reference, marginal),  # KL(C_bar_train || C_bar)
        mean_entropy=_entropy(probs).mean(),  # E_x H(C(x))
        reference_entropy=_entropy(reference),  # H(C_bar_train)
    )


def am_score(probs: Tensor, reference_probs: Tensor, *, exponential: bool = False) -> Tensor:
    r"""The AM score of AM-GAN (Zhou et al. 2018) against reference data (lower is better).

    .. math::
        \mathrm{AM}_{2018} = \mathrm{KL}\bigl(\bar C^{\mathrm{train}} \,\|\, \bar C\bigr)
            + \mathbb{E}_x H(C(x))

    (Zhou et al. 2018, the form of ``AMScore.am_score`` in the authors' code; the AM score of
    eq. (5) of Zhou, Zhang and Wang 2017 is :func:`am_score_2017`, a different quantity, higher
    is better). It is 0 exactly when every prediction is one-hot and the generated class
    marginal equals the reference one. The two are tied by
    :math:`\mathrm{AM}_{2017} + \mathrm{AM}_{2018} = \mathbb{E}_x[H(C(x))
    + H(\bar C^{\mathrm{train}}, C(x))] - H(\bar C^{\mathrm{train}})`.

    Args:
        probs: the classifier's probabilities on the generated samples, shape ``(N, K)``.
        reference_probs: its probabilities on the reference data, shape ``(M, K)``.
        exponential: return :math:`\exp(\mathrm{AM})` instead of :math:`\mathrm{AM}`.

    Returns:
        The score, 0-dim (nats, or its exponential), differentiable in both inputs where they are
        positive.

    Raises:
        ValueError: if an input is not a non-empty 2-D floating tensor of rows on the simplex,
            or if the two have different ``K``.

    Example:
        >>> probs = torch.eye(3, dtype=torch.float64)
        >>> reference_probs = torch.eye(3, dtype=torch.float64)
        >>> am_score(probs, reference_probs).item()
        0.0
        >>> am_score(probs, reference_probs, exponential=True).item()
        1.0
    """
    score = am_score_terms(probs, reference_probs).score
    return torch.exp(score) if exponential else score
