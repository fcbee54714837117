r"""Sample-quality scores computed from a classifier's class probabilities: Inception, MODE, AM.

A pretrained classifier :math:`C` maps a sample :math:`x` to a distribution :math:`C(x)` over
:math:`K` classes. The scores below see a set of samples only through the matrix of these
distributions, ``probs`` of shape ``(N, K)`` (one row per generated sample), and, for MODE and
AM, ``reference_probs`` of shape ``(M, K)`` (the classifier on the reference, e.g. training,
data). Writing :math:`\bar C = \mathbb{E}_x C(x)` for the generated marginal (the mean of the
rows of ``probs``), :math:`\bar C^{\mathrm{train}}` for the reference marginal and :math:`H` for
the entropy, Zhou, Zhang and Wang (2017), "Inception Score, Label Smoothing, Gradient Vanishing
and -log(D(x)) Alternative", state the three scores as

* the Inception score (Salimans et al. 2016), their eq. (1),
  :math:`\exp\bigl(\mathbb{E}_x \mathrm{KL}(C(x) \,\|\, \bar C)\bigr)`;
* the MODE score (Che et al. 2017), their eq. (2),
  :math:`\exp\bigl(\mathbb{E}_x \mathrm{KL}(C(x) \,\|\, \bar C^{\mathrm{train}})
  - \mathrm{KL}(\bar C \,\|\, \bar C^{\mathrm{train}})\bigr)`;
* the AM score (Zhou et al. 2018), their eq. (5),
  :math:`\mathrm{KL}(\bar C^{\mathrm{train}} \,\|\, \bar C) + \mathbb{E}_x H(C(x))`
  (lower is better).

Their decomposition, eq. (4), :math:`\log \mathrm{IS} = H(\bar C) - \mathbb{E}_x H(C(x))`, follows
from :math:`\mathbb{E}_x \sum_k C_k(x) \log \bar C_k = \sum_k \bar C_k \log \bar C_k`. The same
step applied to the MODE score removes the reference altogether: the cross-entropy
:math:`-\sum_k \bar C_k \log \bar C^{\mathrm{train}}_k` appears in both of its terms and cancels,
so :math:`\log \mathrm{MODE} = H(\bar C) - \mathbb{E}_x H(C(x)) = \log \mathrm{IS}` for every
reference whose marginal is positive wherever :math:`\bar C` is (the equivalence of the two
scores claimed by Zhou, Zhang and Wang). The AM score keeps the reference through
:math:`\mathrm{KL}(\bar C^{\mathrm{train}} \,\|\, \bar C)`.

Conventions: logarithms are natural (nats), :math:`0 \log 0 = 0`; scores are 0-dim tensors in the
dtype of ``probs`` (promoted with that of ``reference_probs``), differentiable in the inputs where
every probability is positive (e.g. ``probs = softmax(logits)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from beyond_mle.divergences import check_distribution

__all__ = [
    "AMScoreTerms",
    "InceptionScoreTerms",
    "am_score",
    "am_score_terms",
    "inception_score",
    "inception_score_terms",
    "mode_score",
]


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
    r"""The two terms of the AM score, eq. (5) of Zhou, Zhang and Wang (2017).

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
        under the reference one, 0-dim: the marginal term of the AM score up to a constant."""
        return self.marginal_kl + self.reference_entropy


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
    marginal = probs.mean(0, keepdim=True)  # (1, K) C_bar
    return torch.exp(_kl(probs, marginal).mean())  # (N,) KL(C(x_i) || C_bar) -> mean -> exp


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
    probs, reference_probs = _check_pair(probs, reference_probs)
    marginal = probs.mean(0)  # (K,) C_bar
    reference = reference_probs.mean(0)  # (K,) C_bar_train
    if ((reference == 0) & (marginal > 0)).any():
        raise ValueError(
            "reference_probs must give the classes used by probs a positive mean probability "
            "(the MODE score is inf - inf otherwise)"
        )
    expected_kl = _kl(probs, reference).mean()  # E_x KL(C(x) || C_bar_train), from (N,)
    marginal_kl = _kl(marginal, reference)  # KL(C_bar || C_bar_train)
    return torch.exp(expected_kl - marginal_kl)


# --------------------------------------------------------------------------------------------
# AM score
# --------------------------------------------------------------------------------------------


def am_score_terms(probs: Tensor, reference_probs: Tensor) -> AMScoreTerms:
    r"""The two terms of the AM score: marginal mismatch and mean prediction entropy.

    .. math::
        \mathrm{KL}\bigl(\bar C^{\mathrm{train}} \,\|\, \bar C\bigr)
        \quad \text{and} \quad \mathbb{E}_x H(C(x))

    (eq. (5) of Zhou, Zhang and Wang 2017; Zhou et al. 2018).

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
    r"""The AM score of a set of samples against reference data (lower is better).

    .. math::
        \mathrm{AM} = \mathrm{KL}\bigl(\bar C^{\mathrm{train}} \,\|\, \bar C\bigr)
            + \mathbb{E}_x H(C(x))

    (Zhou et al. 2018; eq. (5) of Zhou, Zhang and Wang 2017). It is 0 exactly when every
    prediction is one-hot and the generated class marginal equals the reference one.

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
