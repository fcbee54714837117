r"""Gumbel-softmax samples, soft and straight-through (Jang, Gu and Poole 2017).

A sample of the categorical distribution :math:`\mathrm{softmax}(\ell)` is
:math:`\arg\max_k (\ell_k + g_k)` with :math:`g_k` standard Gumbel noise. Its relaxation replaces
the argmax by a softmax at temperature :math:`\tau`:

.. math::
    y = \mathrm{softmax}\bigl((\ell + g) / \tau\bigr).

The straight-through variant returns the one-hot argmax in the forward pass and the gradient of
the soft sample :math:`y` in the backward pass.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["gumbel_noise", "gumbel_softmax"]


def gumbel_noise(shape: torch.Size | tuple[int, ...], *, like: Tensor, generator=None) -> Tensor:
    """Standard Gumbel noise ``-log(-log U)``, with ``U`` uniform in (0, 1), in ``like``'s dtype."""
    tiny = torch.finfo(like.dtype).tiny
    u = torch.rand(shape, dtype=like.dtype, device=like.device, generator=generator)
    return -torch.log(-torch.log(u.clamp(tiny, 1.0 - 1e-7)))


def gumbel_softmax(
    logits: Tensor, temperature: float, *, hard: bool = False, generator=None
) -> Tensor:
    r"""A Gumbel-softmax sample of ``softmax(logits)`` along the last axis.

    Args:
        logits: unnormalised scores, shape ``(..., vocab)``.
        temperature: :math:`\tau > 0`; small values give nearly one-hot soft samples.
        hard: return the one-hot argmax in the forward pass, with the soft sample's gradient
            (straight-through).
        generator: the random source of the noise.

    Returns:
        A tensor of the shape of ``logits`` whose rows lie on the simplex.

    Example:
        >>> logits = torch.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
        >>> y = gumbel_softmax(logits, 0.5, hard=True, generator=torch.Generator().manual_seed(0))
        >>> y.detach().sum().item(), sorted(y.detach().flatten().tolist())
        (1.0, [0.0, 0.0, 1.0])
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    noise = gumbel_noise(logits.shape, like=logits, generator=generator)
    soft = torch.softmax((logits + noise) / temperature, dim=-1)
    if not hard:
        return soft
    index = soft.argmax(dim=-1, keepdim=True)
    one_hot = torch.zeros_like(soft).scatter_(-1, index, 1.0)
    return one_hot - soft.detach() + soft  # forward: one_hot; backward: d soft
