"""The training loop the chapters share: seeded, logged, with a progress bar.

A chapter supplies a loss closure (called once per step) and, optionally, an evaluation closure
(called every ``log_every`` steps and at the end); :func:`fit` runs Adam on the parameters and
returns the log as a list of dictionaries, one per logged step, ready for ``pandas.DataFrame``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from beyond_mle.progress import progress

__all__ = ["FitConfig", "fit", "one_cpu_thread", "seed_everything"]


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA); return a CPU generator seeded the same."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (seeds code that uses the global state)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@contextmanager
def one_cpu_thread(device: torch.device | str = "cpu") -> Iterator[None]:
    """On the CPU, run torch on one thread inside the block (restored after it).

    Small models gain nothing from splitting an operation across threads, and on a shared
    machine the threads' synchronisation makes them many times slower. Other devices are left
    as they are.
    """
    if torch.device(device).type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class FitConfig:
    """Settings of :func:`fit`.

    Attributes:
        steps: optimisation steps (>= 1).
        lr: Adam's learning rate (> 0).
        betas: Adam's ``(beta1, beta2)``.
        log_every: evaluate and log every this many steps (>= 1); the last step is always logged.
        clip_grad_norm: clip the gradients' global norm to this value, or ``None``.
        desc: the progress bar's label.
    """

    steps: int
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    log_every: int = 100
    clip_grad_norm: float | None = None
    desc: str = "training"

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must lie in [0, 1), got {self.betas}")
        if self.log_every < 1:
            raise ValueError(f"log_every must be >= 1, got {self.log_every}")
        if self.clip_grad_norm is not None and not self.clip_grad_norm > 0:
            raise ValueError(f"clip_grad_norm must be > 0 or None, got {self.clip_grad_norm}")


def fit(
    parameters: Iterable[Tensor],
    loss_fn: Callable[[int], Tensor],
    config: FitConfig,
    *,
    evaluate: Callable[[], dict[str, float]] | None = None,
) -> list[dict[str, float]]:
    """Minimise ``loss_fn(step)`` with Adam and log it, with ``evaluate()``, as training goes.

    Args:
        parameters: the tensors to optimise.
        loss_fn: returns the scalar loss of one step (it draws its own batch); called with the
            0-based step index.
        config: steps, learning rate, betas, logging interval, gradient clipping.
        evaluate: returns named scores of the current parameters; it runs under
            ``torch.no_grad()``, and its values are logged beside the step's loss.

    Returns:
        One dictionary per logged step: ``step`` (1-based), ``loss`` (the mean training loss
        since the previous log) and the values of ``evaluate``.

    Raises:
        FloatingPointError: if the loss becomes NaN or infinite, naming the step.
    """
    params = [p for p in parameters if p.requires_grad]
    if not params:
        raise ValueError("parameters holds no tensor that requires a gradient")
    optimiser = torch.optim.Adam(params, lr=config.lr, betas=config.betas)
    history: list[dict[str, float]] = []
    running, count = 0.0, 0
    for step in progress(range(config.steps), desc=config.desc):
        optimiser.zero_grad(set_to_none=True)
        loss = loss_fn(step)
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"the loss is {value} at step {step + 1}")
        loss.backward()
        if config.clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(params, config.clip_grad_norm)
        optimiser.step()
        running, count = running + value, count + 1
        if (step + 1) % config.log_every == 0 or step + 1 == config.steps:
            row = {"step": float(step + 1), "loss": running / count}
            if evaluate is not None:
                with torch.no_grad():
                    row.update({k: float(v) for k, v in evaluate().items()})
            history.append(row)
            running, count = 0.0, 0
    return history
