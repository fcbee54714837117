"""Decay schedules of scheduled sampling (Bengio et al., 2015, section 2.4).

Scheduled sampling feeds the decoder, at each step, the ground-truth previous token with
probability :math:`\\epsilon_i` and its own sampled token otherwise, where :math:`i` counts
training updates and :math:`\\epsilon_i` decays from 1 (teacher forcing) towards a floor. The
paper proposes three decays:

.. math::

    \\text{linear: } \\epsilon_i = \\max(\\epsilon_{\\min}, 1 - c\\, i), \\qquad
    \\text{exponential: } \\epsilon_i = k^i, \\qquad
    \\text{inverse sigmoid: } \\epsilon_i = \\frac{k}{k + \\exp(i / k)}.

Here each schedule is parameterised by the number of updates ``total`` over which it decays, so
that the three can be compared on one training budget.
"""

from __future__ import annotations

import math

__all__ = ["SCHEDULES", "teacher_forcing_probability"]

#: The decays :func:`teacher_forcing_probability` knows.
SCHEDULES = ("constant", "linear", "exponential", "inverse-sigmoid")


def teacher_forcing_probability(
    step: int, total: int, kind: str = "linear", *, floor: float = 0.0
) -> float:
    """The probability :math:`\\epsilon_i` of feeding the ground truth at update ``step``.

    Args:
        step: The update :math:`i`, from 0.
        total: Updates over which the schedule decays: ``linear`` reaches ``floor`` at ``total``;
            ``exponential`` reaches 1% of its start at ``total``; ``inverse-sigmoid`` crosses 1/2
            at ``total / 2``. ``constant`` ignores it.
        kind: One of :data:`SCHEDULES`. ``constant`` returns ``floor`` when it is positive and
            1 otherwise: ``floor=1`` (or 0) is teacher forcing, ``floor=0.5`` a fixed mixture.
        floor: The smallest probability, in [0, 1].

    Returns:
        :math:`\\epsilon_i` in [floor, 1].

    Example:
        >>> teacher_forcing_probability(0, 100, "linear")
        1.0
        >>> teacher_forcing_probability(50, 100, "linear")
        0.5
        >>> round(teacher_forcing_probability(50, 100, "inverse-sigmoid"), 3)
        0.5
    """
    if kind not in SCHEDULES:
        raise ValueError(f"kind must be one of {SCHEDULES}, got {kind!r}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if total < 1:
        raise ValueError(f"total must be >= 1, got {total}")
    if not 0.0 <= floor <= 1.0:
        raise ValueError(f"floor must be in [0, 1], got {floor}")
    if kind == "constant":
        return floor if floor > 0 else 1.0
    if kind == "linear":
        value = 1.0 - step / total
    elif kind == "exponential":
        value = 0.01 ** (step / total)
    else:
        # k / (k + exp(i / k)) with k chosen so that the midpoint k * ln k sits at total / 2.
        k = _inverse_sigmoid_k(total / 2)
        value = k / (k + math.exp(min(step / k, 700.0)))
    return max(floor, min(1.0, value))


def _inverse_sigmoid_k(midpoint: float) -> float:
    """The k > 1 with k ln k = midpoint (the inverse sigmoid's 1/2 crossing), by bisection."""
    low, high = 1.0 + 1e-12, max(2.0, midpoint + 2.0)
    for _ in range(200):
        mid = (low + high) / 2
        if mid * math.log(mid) < midpoint:
            low = mid
        else:
            high = mid
    return (low + high) / 2
