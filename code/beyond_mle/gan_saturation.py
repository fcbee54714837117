r"""The experiments of the chapter "The BCE loss of GANs": saturation of the generator's costs.

Two parts:

* :func:`distance_sweep`: two Gaussians discretised on a grid, moved apart step by step; at
  each distance the Jensen-Shannon divergence, the value of the game at the optimal
  discriminator (:math:`-2 \log 2 + 2\,\mathrm{JS}`, Goodfellow et al. 2014, theorem 1) and the
  Wasserstein-1 distance, all exact on the grid.
* :func:`saturation_experiment`: a one-dimensional GAN (small MLPs) trained with each generator
  cost of :mod:`beyond_mle.gan_losses` after the discriminator has had a head start, so that it
  rejects the generator's samples confidently (:math:`D(G(z)) \approx 0`, the left end of
  figure 16 of Goodfellow 2016). It logs the norm of the generator's gradient and the
  Wasserstein-1 distance between generated and real samples.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import cast

import torch
from torch import Tensor

from beyond_mle.divergences import (
    gaussian_on_grid,
    js_divergence,
    kl_divergence,
    wasserstein1_grid,
    wasserstein1_samples,
)
from beyond_mle.gan_losses import (
    GENERATOR_LOSSES,
    discriminator_loss,
    gan_value,
    generator_loss,
    optimal_discriminator_logits,
)
from beyond_mle.models.mlp import Discriminator, Generator, MLPConfig
from beyond_mle.training import (
    GAN_BETAS,
    AdversarialConfig,
    FitConfig,
    fit,
    fit_adversarial,
    one_cpu_thread,
    seed_everything,
)

__all__ = [
    "TARGETS",
    "GanConfig",
    "distance_sweep",
    "head_started_players",
    "sample_target",
    "saturation_experiment",
    "train_gan",
]

#: The data distributions of the 1-D GAN: one Gaussian, or an even mixture of two Gaussians
#: centred ``2 * target_std`` on either side of ``target_mean``.
TARGETS = ("gaussian", "mixture")


def distance_sweep(
    distances: Tensor, *, std: float = 1.0, grid_points: int = 2001
) -> dict[str, list[float]]:
    r"""Divergences between :math:`\mathcal N(0, \sigma^2)` and :math:`\mathcal N(d, \sigma^2)`.

    Both are discretised on ``grid_points`` points spanning :math:`[-8\sigma, d_{\max} +
    8\sigma]`. At each distance :math:`d`, the optimal discriminator
    :math:`D^* = p / (p + q)` gives the game's value :math:`V(G, D^*)` and the discriminator's
    cross-entropy :math:`J^{(D)}(D^*) = -V / 2`; theorem 1 of Goodfellow et al. (2014) says
    :math:`V(G, D^*) = -2 \log 2 + 2\,\mathrm{JS}(p, q)`.

    Args:
        distances: the shifts :math:`d \ge 0`, shape ``(k,)``.
        std: :math:`\sigma > 0`.
        grid_points: points of the grid (>= 10).

    Returns:
        Columns of a table, one entry per distance: ``distance``, ``js``, ``kl`` (of the data
        from the model, :math:`\mathrm{KL}(p \| q)`), ``w1``, ``value_optimal``
        (:math:`V(G, D^*)`), ``theorem`` (:math:`-2 \log 2 + 2\,\mathrm{JS}`) and
        ``bce_optimal`` (:math:`J^{(D)}` of :math:`D^*`, with the factor 1/2).
    """
    if grid_points < 10:
        raise ValueError(f"grid_points must be >= 10, got {grid_points}")
    if distances.dim() != 1 or distances.numel() == 0 or (distances < 0).any():
        raise ValueError("distances must be a non-empty 1-D tensor of values >= 0")
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std}")
    d = distances.to(torch.float64)
    support = torch.linspace(-8 * std, float(d.max()) + 8 * std, grid_points, dtype=torch.float64)
    p = gaussian_on_grid(support, 0.0, std).expand(d.numel(), -1)  # (k, n): the data
    q = torch.softmax(-0.5 * ((support - d[:, None]) / std) ** 2, -1)  # (k, n): the model
    js = js_divergence(p, q)
    value = gan_value(p, q, optimal_discriminator_logits(p, q))
    return {
        "distance": d.tolist(),
        "js": js.tolist(),
        "kl": kl_divergence(p, q).tolist(),
        "w1": wasserstein1_grid(p, q, support).tolist(),
        "value_optimal": value.tolist(),
        "theorem": (-2 * math.log(2) + 2 * js).tolist(),
        "bce_optimal": (-0.5 * value).tolist(),
    }


@dataclass(frozen=True)
class GanConfig:
    """Settings of the 1-D GAN of :func:`train_gan`.

    Attributes:
        steps: generator updates (>= 1).
        head_start: discriminator updates before the generator's first one (>= 0).
        d_steps: discriminator updates per generator update (>= 1).
        batch: samples of each kind per update (>= 1).
        hidden: units of each hidden layer of both nets.
        depth: hidden layers of both nets.
        lr: the generator's learning rate (plain gradient descent).
        d_lr: Adam's learning rate of the discriminator (head start included).
        target: the data distribution, one of :data:`TARGETS`.
        target_mean: the data's mean.
        target_std: the standard deviation of the data (of each component, for a mixture).
        eval_samples: samples drawn to measure the distance and the gradient norm.
        log_every: generator updates between measurements.
    """

    steps: int = 400
    head_start: int = 300
    d_steps: int = 1
    batch: int = 128
    hidden: int = 32
    depth: int = 2
    lr: float = 0.02
    d_lr: float = 1e-3
    target: str = "gaussian"
    target_mean: float = 4.0
    target_std: float = 0.5
    eval_samples: int = 4096
    log_every: int = 20

    def __post_init__(self) -> None:
        for name, low in (
            ("steps", 1),
            ("head_start", 0),
            ("d_steps", 1),
            ("batch", 1),
            ("hidden", 1),
            ("depth", 1),
            ("eval_samples", 2),
            ("log_every", 1),
        ):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        for name in ("lr", "d_lr"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {self.target!r}")
        if not self.target_std > 0:
            raise ValueError(f"target_std must be > 0, got {self.target_std}")


def sample_target(n: int, config: GanConfig, *, generator: torch.Generator | None = None) -> Tensor:
    """``n`` draws from the data distribution of ``config``, shape ``(n, 1)``, on the CPU.

    Example:
        >>> x = sample_target(10_000, GanConfig(), generator=torch.Generator().manual_seed(0))
        >>> round(x.mean().item(), 1), round(x.std().item(), 1)
        (4.0, 0.5)
    """
    x = torch.randn(n, 1, generator=generator) * config.target_std + config.target_mean
    if config.target == "mixture":
        side = torch.randint(0, 2, (n, 1), generator=generator) * 2 - 1  # -1 or +1
        x = x + 2 * config.target_std * side
    return x


def _make_players(config: GanConfig, device: torch.device) -> tuple[Generator, Discriminator]:
    shape = MLPConfig(in_features=1, out_features=1, hidden=config.hidden, depth=config.depth)
    g = Generator(shape).to(device)
    d = Discriminator(shape).to(device)
    return g, d


def _head_start(
    g: Generator, d: Discriminator, config: GanConfig, gen: torch.Generator, device: torch.device
) -> None:
    """Train the discriminator alone against the untrained generator."""

    def d_loss(_: int) -> Tensor:
        real = sample_target(config.batch, config, generator=gen).to(device)
        with torch.no_grad():
            fake = g.sample(config.batch, generator=gen)
        return discriminator_loss(d(real), d(fake))

    fit_config = FitConfig(steps=config.head_start, lr=config.d_lr, betas=GAN_BETAS,
                           log_every=config.head_start, desc="head start")  # fmt: skip
    fit(d.parameters(), d_loss, fit_config)


def train_gan(
    kind: str,
    config: GanConfig,
    *,
    seed: int = 0,
    device: str | torch.device = "cpu",
    players: tuple[Generator, Discriminator] | None = None,
) -> list[dict[str, float]]:
    r"""Train the 1-D GAN with the generator cost ``kind`` and log how it learns.

    The discriminator minimises :func:`~beyond_mle.gan_losses.discriminator_loss`
    (``d_steps`` Adam updates per generator update); the generator minimises
    :func:`~beyond_mle.gan_losses.generator_loss` of ``kind`` by plain gradient descent, whose
    step is proportional to the gradient, the setting of the saturation argument (Adam divides
    the gradient by its running scale and so hides a small gradient until it falls below its
    :math:`\epsilon`). Before training, and every
    ``log_every`` generator updates, fixed evaluation noise and data give

    * ``w1``: :math:`W_1` between :math:`G(z)` and data samples (``eval_samples`` each);
    * ``grad_norm``: the norm of the gradient of the generator's cost with respect to all its
      parameters, on the evaluation noise (what saturation makes vanish);
    * ``d_fake``: the mean of :math:`D(G(z))`; ``logit_fake``: the mean logit.

    Args:
        kind: one of :data:`~beyond_mle.gan_losses.GENERATOR_LOSSES`.
        config: sizes, steps and the data distribution.
        seed: seeds the nets' initialisation, the head start and the training batches.
        device: where to train.
        players: an initial generator and discriminator (copied); when ``None`` they are made
            from ``seed`` and the discriminator gets its ``head_start`` here.

    Returns:
        One row per measurement: ``step`` (generator updates so far, 0 first), ``loss`` (the
        generator's mean cost since the previous row; ``nan`` at step 0), the values above and
        ``diverged`` (0.0). A run whose cost becomes infinite or NaN stops there: its last row
        holds that step, ``nan`` values and ``diverged`` = 1.0.
    """
    if kind not in GENERATOR_LOSSES:
        raise ValueError(f"kind must be one of {', '.join(GENERATOR_LOSSES)}, got {kind!r}")
    device = torch.device(device)
    with one_cpu_thread(device):
        if players is None:
            players = head_started_players(config, seed=seed, device=device)
        g, d = copy.deepcopy(players[0]).to(device), copy.deepcopy(players[1]).to(device)
        # the training batches: the same for each kind
        gen = torch.Generator().manual_seed(seed + 1)
        eval_noise = g.noise(config.eval_samples, generator=torch.Generator().manual_seed(seed + 2))
        eval_data = sample_target(
            config.eval_samples, config, generator=torch.Generator().manual_seed(seed + 3)
        ).to(device)

        def d_loss(_: None) -> Tensor:  # each discriminator update on fresh batches
            real = sample_target(config.batch, config, generator=gen).to(device)
            fake = g.sample(config.batch, generator=gen).detach()
            return discriminator_loss(d(real), d(fake))

        def g_loss(_: None) -> Tensor:
            return generator_loss(d(g.sample(config.batch, generator=gen)), kind)

        def evaluate() -> dict[str, float]:
            with torch.enable_grad():
                samples = g(eval_noise)  # (eval_samples, 1)
                logits = d(samples)  # (eval_samples,)
                grads = torch.autograd.grad(generator_loss(logits, kind), list(g.parameters()))
            grad_norm = torch.sqrt(cast(Tensor, sum((grad**2).sum() for grad in grads)))
            return {
                "w1": wasserstein1_samples(samples.detach()[:, 0], eval_data[:, 0]).item(),
                "grad_norm": grad_norm.item(),
                "d_fake": torch.sigmoid(logits).mean().item(),
                "logit_fake": logits.mean().item(),
            }

        schedule = AdversarialConfig(
            steps=config.steps,
            lr=config.lr,
            d_lr=config.d_lr,
            generator_optimiser="sgd",
            d_steps=config.d_steps,
            log_every=config.log_every,
            stop_on_divergence=True,
            desc=f"{kind}, seed {seed}",
        )
        return fit_adversarial(
            g.parameters(),
            d.parameters(),
            d_loss,
            g_loss,
            schedule,
            log=lambda step, _, loss: {"step": float(step), "loss": loss, **evaluate()},
        )


def head_started_players(
    config: GanConfig, *, seed: int = 0, device: str | torch.device = "cpu"
) -> tuple[Generator, Discriminator]:
    """A generator and a discriminator made from ``seed``, the discriminator trained ahead.

    Args:
        config: the nets' sizes, the head start's length and the data distribution.
        seed: seeds the initialisation and the head start's batches.
        device: where to put them.

    Returns:
        ``(generator, discriminator)``.
    """
    device = torch.device(device)
    seed_everything(seed)
    g, d = _make_players(config, device)
    if config.head_start > 0:
        _head_start(g, d, config, torch.Generator().manual_seed(seed), device)
    return g, d


def saturation_experiment(
    config: GanConfig,
    *,
    n_seeds: int = 3,
    seed: int = 0,
    device: str | torch.device = "cpu",
    kinds: tuple[str, ...] = GENERATOR_LOSSES,
) -> list[dict[str, float | str]]:
    """Train the 1-D GAN with each generator cost from ``n_seeds`` seeds.

    For each seed, one generator and one head-started discriminator are made and every cost
    starts from copies of the same pair with the same batches, so the costs are compared on
    paired runs.

    Args:
        config: the GAN's settings.
        n_seeds: runs per cost (>= 1); seeds ``seed, seed + 10, ...``.
        seed: the first seed.
        device: where to train.
        kinds: the generator costs to train.

    Returns:
        The rows of :func:`train_gan`, each with its ``kind`` and ``seed`` added.
    """
    if n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1, got {n_seeds}")
    for kind in kinds:
        if kind not in GENERATOR_LOSSES:
            raise ValueError(f"kinds must be in {', '.join(GENERATOR_LOSSES)}, got {kind!r}")
    rows: list[dict[str, float | str]] = []
    with one_cpu_thread(torch.device(device)):
        for run in range(n_seeds):
            run_seed = seed + 10 * run
            players = head_started_players(config, seed=run_seed, device=device)
            for kind in kinds:
                history = train_gan(kind, config, seed=run_seed, device=device, players=players)
                rows += [{"kind": kind, "seed": run_seed, **row} for row in history]
    return rows
