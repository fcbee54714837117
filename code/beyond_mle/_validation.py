"""The argument checks and the reduction that the loss modules share.

:mod:`~beyond_mle.gan_losses` and :mod:`~beyond_mle.label_smoothing` take logits and a
``reduction`` alike. The module is private (nothing here is a method of its own); its names are
public so that both import them from this one place.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch
from torch import Tensor

__all__ = ["REDUCTIONS", "Reduction", "check_logits", "check_reduction", "reduce_values"]

#: How a loss of one value per element is returned: their mean, their sum, or all of them.
Reduction = Literal["mean", "sum", "none"]
#: The values of :data:`Reduction`.
REDUCTIONS: tuple[str, ...] = get_args(Reduction)


def check_logits(logits: Tensor, name: str = "logits") -> None:
    """Raise ``ValueError`` unless ``logits`` is a floating-point tensor without NaN.

    Infinite logits are accepted: a loss computed through ``softplus`` stays finite where its
    value is.
    """
    if not isinstance(logits, Tensor) or not torch.is_floating_point(logits):
        raise ValueError(f"{name} must be a floating-point tensor")
    if torch.isnan(logits).any():
        raise ValueError(f"{name} must not contain NaN")


def check_reduction(reduction: str) -> None:
    """Raise ``ValueError`` unless ``reduction`` is one of :data:`REDUCTIONS`."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def reduce_values(values: Tensor, reduction: str) -> Tensor:
    """``values`` reduced by ``reduction`` (checked by :func:`check_reduction`).

    Example:
        >>> reduce_values(torch.tensor([1.0, 2.0, 3.0]), "mean").item()
        2.0
    """
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values
