"""The training loops the chapters share: seeded, logged, with a progress bar.

A chapter supplies a loss closure (called once per step) and, optionally, an evaluation closure
(called every ``log_every`` steps and at the end); :func:`fit` runs Adam on the parameters and
returns the log as a list of dictionaries, one per logged step, ready for ``pandas.DataFrame``.
:func:`fit_adversarial` is its two-player form, the alternating updates of a GAN: a closure per
player's loss, one that draws the step's batch, and one that writes a row of the log.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar, cast

import torch
from torch import Tensor

from beyond_mle import streams
from beyond_mle.progress import progress

__all__ = [
    "GAN_BETAS",
    "AdversarialConfig",
    "FitConfig",
    "fit",
    "fit_adversarial",
    "one_cpu_thread",
    "seed_everything",
]

#: Adam's ``(beta1, beta2)`` of both players of a GAN. Radford et al. (2016, section 4) found
#: the default :math:`\beta_1 = 0.9` made training oscillate and 0.5 steadied it; every GAN of
#: the book uses these.
GAN_BETAS = (0.5, 0.999)

#: What :func:`fit_adversarial`'s ``draw`` returns and its loss closures take.
Batch = TypeVar("Batch")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA) from the stream ``"global"`` of ``seed``.

    Returns a CPU generator of the same stream (see :mod:`beyond_mle.streams`).
    """
    streams.seed_global(seed, "global")
    return streams.generator(seed, "global")


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


def _check_schedule(
    steps: int, lrs: dict[str, float], betas: tuple[float, float], log_every: int
) -> None:
    """The checks that :class:`FitConfig` and :class:`AdversarialConfig` share."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    for name, lr in lrs.items():
        if not lr > 0:
            raise ValueError(f"{name} must be > 0, got {lr}")
    if not all(0 <= b < 1 for b in betas):
        raise ValueError(f"betas must lie in [0, 1), got {betas}")
    if log_every < 1:
        raise ValueError(f"log_every must be >= 1, got {log_every}")


def _trainable(parameters: Iterable[Tensor], name: str) -> list[Tensor]:
    """The tensors of ``parameters`` that require a gradient; at least one."""
    params = [p for p in parameters if p.requires_grad]
    if not params:
        raise ValueError(f"{name} holds no tensor that requires a gradient")
    return params


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
        _check_schedule(self.steps, {"lr": self.lr}, self.betas, self.log_every)
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
    params = _trainable(parameters, "parameters")
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


@dataclass(frozen=True)
class AdversarialConfig:
    """Settings of :func:`fit_adversarial`.

    Attributes:
        steps: generator updates (>= 1).
        lr: the generator's learning rate (> 0).
        d_lr: the discriminator's learning rate (> 0).
        betas: Adam's ``(beta1, beta2)``, of both players.
        generator_optimiser: ``"adam"``, or ``"sgd"`` for plain gradient descent, whose step is
            proportional to the gradient (the discriminator always uses Adam).
        d_steps: discriminator updates before each generator update (>= 0; 0 freezes the
            discriminator after its head start).
        head_start: discriminator updates before the generator's first one (>= 0).
        log_every: log every this many steps (>= 1); step 0 and the last step are always logged.
        stop_on_divergence: when the generator's loss becomes NaN or infinite, record the step
            and stop instead of raising (the rows then carry a ``diverged`` column).
        desc: the progress bar's label.
    """

    steps: int
    lr: float = 1e-3
    d_lr: float = 1e-3
    betas: tuple[float, float] = GAN_BETAS
    generator_optimiser: str = "adam"
    d_steps: int = 1
    head_start: int = 0
    log_every: int = 100
    stop_on_divergence: bool = False
    desc: str = "GAN"

    def __post_init__(self) -> None:
        _check_schedule(self.steps, {"lr": self.lr, "d_lr": self.d_lr}, self.betas, self.log_every)
        if self.generator_optimiser not in ("adam", "sgd"):
            raise ValueError(
                f"generator_optimiser must be 'adam' or 'sgd', got {self.generator_optimiser!r}"
            )
        for name in ("d_steps", "head_start"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


def fit_adversarial(
    generator_parameters: Iterable[Tensor],
    discriminator_parameters: Iterable[Tensor],
    d_loss_fn: Callable[[Batch], Tensor],
    g_loss_fn: Callable[[Batch], Tensor],
    config: AdversarialConfig,
    *,
    draw: Callable[[], Batch] | None = None,
    log: Callable[[int, float, float], dict[str, float]] | None = None,
) -> list[dict[str, float]]:
    r"""Train a generator and a discriminator in turn, the two players of a GAN, and log the game.

    Each step follows algorithm 1 of Goodfellow et al. (2014): ``d_steps`` updates of the
    discriminator's parameters :math:`\phi` on :math:`J^{(D)}`, then one update of the
    generator's :math:`\theta` on :math:`J^{(G)}`, each player's gradient taken with the other
    fixed:

    .. math::
        \phi \leftarrow \phi - \eta_D\, \mathrm{Adam}\bigl(\nabla_\phi J^{(D)}\bigr)
        \quad (\text{d\_steps times}), \qquad
        \theta \leftarrow \theta - \eta_G\, \mathrm{Adam}\bigl(\nabla_\theta J^{(G)}\bigr).

    A step first calls ``draw()``, whose batch (data and generated samples, say) both players'
    losses receive; closures that draw their own batches, e.g. a fresh one per discriminator
    update, leave ``draw`` out and receive ``None``. The generated samples' graph may be
    shared: ``d_loss_fn`` detaches them, ``g_loss_fn`` backpropagates through them.

    Args:
        generator_parameters: the generator's tensors.
        discriminator_parameters: the discriminator's tensors.
        d_loss_fn: the discriminator's scalar loss on a batch.
        g_loss_fn: the generator's scalar loss on a batch, computed after the discriminator's
            updates of the step.
        config: steps, learning rates, betas, the generator's optimiser, the discriminator's
            updates per step and head start, the logging interval, what a divergence does.
        draw: draws a step's batch; called once per step and once per head-start update.
        log: ``log(step, d_loss, g_loss)`` returns the row of the log at ``step``: step 0
            (after the head start, with ``nan`` losses), every ``log_every`` steps and the last
            one, with the players' mean losses since the previous row (``nan`` for the
            discriminator when ``d_steps`` is 0). It runs with gradients enabled (a row may
            hold a gradient's norm).

    Returns:
        The rows of ``log`` (none without it). With ``stop_on_divergence`` each row ends with
        ``diverged`` (0.0), and a run whose generator's loss left the floating-point range ends
        with a row that holds that step, ``nan`` elsewhere and ``diverged`` = 1.0.

    Raises:
        FloatingPointError: if the generator's loss becomes NaN or infinite, naming the step,
            unless ``stop_on_divergence`` (a NaN in the discriminator shows there too).

    Example:
        >>> softplus = torch.nn.functional.softplus
        >>> g, d = torch.nn.Linear(1, 1), torch.nn.Linear(1, 1)
        >>> def draw():
        ...     return torch.randn(8, 1) + 3, g(torch.randn(8, 1))  # (real, fake)
        >>> def d_loss(batch):
        ...     real, fake = batch
        ...     return softplus(-d(real)).mean() + softplus(d(fake.detach())).mean()
        >>> def g_loss(batch):
        ...     return softplus(-d(batch[1])).mean()  # the non-saturating cost
        >>> rows = fit_adversarial(g.parameters(), d.parameters(), d_loss, g_loss,
        ...                        AdversarialConfig(steps=20, log_every=10), draw=draw,
        ...                        log=lambda step, dl, gl: {"step": step, "g_loss": gl})
        >>> [row["step"] for row in rows]
        [0, 10, 20]
    """
    g_params = _trainable(generator_parameters, "generator_parameters")
    d_params = _trainable(discriminator_parameters, "discriminator_parameters")
    if config.generator_optimiser == "sgd":
        g_opt: torch.optim.Optimizer = torch.optim.SGD(g_params, lr=config.lr)
    else:
        g_opt = torch.optim.Adam(g_params, lr=config.lr, betas=config.betas)
    d_opt = torch.optim.Adam(d_params, lr=config.d_lr, betas=config.betas)

    def next_batch() -> Batch:  # without draw, the closures receive None
        return cast(Batch, None) if draw is None else draw()

    def update_discriminator(batch: Batch) -> float:
        d_opt.zero_grad(set_to_none=True)
        loss = d_loss_fn(batch)
        loss.backward()
        d_opt.step()
        return loss.item()

    history: list[dict[str, float]] = []

    def record(step: int, d_loss: float, g_loss: float) -> None:
        if log is not None:
            row = log(step, d_loss, g_loss)
            history.append({**row, "diverged": 0.0} if config.stop_on_divergence else row)

    for _ in range(config.head_start):
        update_discriminator(next_batch())
    record(0, math.nan, math.nan)
    d_sum = g_sum = 0.0
    d_count, last = 0, 0
    for step in progress(range(1, config.steps + 1), desc=config.desc):
        batch = next_batch()
        for _ in range(config.d_steps):
            d_sum += update_discriminator(batch)
            d_count += 1
        g_opt.zero_grad(set_to_none=True)
        loss = g_loss_fn(batch)
        value = loss.item()
        if not math.isfinite(value):
            if not config.stop_on_divergence:
                raise FloatingPointError(f"the generator's loss is {value} at step {step}")
            # e.g. the maximum-likelihood cost, unbounded below: record where, and stop
            nan_row = dict.fromkeys(history[0] if history else (), math.nan)
            history.append({**nan_row, "step": float(step), "diverged": 1.0})
            break
        loss.backward()
        g_opt.step()
        g_sum += value
        if step % config.log_every == 0 or step == config.steps:
            record(step, d_sum / d_count if d_count else math.nan, g_sum / (step - last))
            d_sum = g_sum = 0.0
            d_count, last = 0, step
    return history
