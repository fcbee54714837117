r"""The chapter "The BCE loss of GANs": its parameters, experiments and claims.

Saturation of the generator's costs (Goodfellow 2016, §3.2, and the forum thread "Problem with
BCE loss"). Two experiments:

* :func:`distance_sweep`: two Gaussians discretised on a grid, moved apart step by step; at
  each distance the Jensen-Shannon divergence, the value of the game at the optimal
  discriminator (:math:`-2 \log 2 + 2\,\mathrm{JS}`, Goodfellow et al. 2014, theorem 1) and the
  Wasserstein-1 distance, all exact on the grid.
* :func:`saturation_experiment`: a one-dimensional GAN (small MLPs) trained with each generator
  cost of :mod:`beyond_mle.gan_losses` after the discriminator has had a head start, so that it
  rejects the generator's samples confidently (:math:`D(G(z)) \approx 0`, the left end of
  figure 16 of Goodfellow 2016). It logs the norm of the generator's gradient and the
  Wasserstein-1 distance between generated and real samples.

The parameters are the fields of :class:`BceLossConfig`. The GAN's randomness comes from named
streams of ``config.seed`` (:mod:`beyond_mle.streams`), one set per run ``i`` (``0`` to
``n_seeds - 1``): ``"run {i}/initial weights"`` makes both nets, ``"run {i}/head start"`` draws
the batches of the discriminator's head start, ``"run {i}/batches"`` those of training (the same
for every cost), and ``"run {i}/eval noise"`` and ``"run {i}/eval data"`` the fixed samples of
the measurements.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import Tensor

from beyond_mle import streams
from beyond_mle.claims import Claim, Identity, Interval, Ordering, at
from beyond_mle.config import ChapterConfig, param, resolve_device
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
)

__all__ = [
    "CLAIMS",
    "TARGETS",
    "BceLossConfig",
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
class BceLossConfig(ChapterConfig):
    """The parameters of the chapter "The BCE loss of GANs": the grids and the 1-D GAN.

    ``grid_points`` and ``n_distances`` size :func:`distance_sweep`; the other fields set the
    GAN of :func:`saturation_experiment`: its nets (``hidden`` units in each of ``depth``
    layers), its schedule (``head_start`` discriminator updates, then ``steps`` generator
    updates of ``d_steps`` discriminator updates each, on batches of ``batch``), the data
    (``target``, ``target_mean``, ``target_std``) and the measurements (``eval_samples``
    every ``log_every`` generator updates). Its random streams are listed in the module's
    docstring.
    """

    NOTEBOOK = "book/gans/bce_loss.ipynb"
    DESCRIPTION = (
        "The BCE loss of GANs: the three generator costs and their saturation, "
        "Jensen-Shannon against Wasserstein-1 on a grid, and a 1-D GAN trained with each "
        "cost after a discriminator head start"
    )
    PRESETS = {
        "book": {},
        # More seeds and steps, a bimodal target, wider nets, finer grids.
        "paper": {
            "grid_points": 20_001,
            "n_distances": 161,
            "n_seeds": 10,
            "steps": 3000,
            "head_start": 1000,
            "hidden": 64,
            "target": "mixture",
            "eval_samples": 16_384,
            "log_every": 50,
        },
    }

    grid_points: int = param(
        2001, low=10, high=1_000_000, help="points of the grid of the divergences"
    )
    n_distances: int = param(
        41, low=2, high=10_000, help="distances between the two Gaussians, 0 to 8"
    )
    n_seeds: int = param(3, low=1, high=1000, help="GAN runs per generator cost")
    steps: int = param(400, low=1, high=1_000_000, help="generator updates")
    head_start: int = param(
        300, low=0, high=1_000_000, help="discriminator updates before the first"
    )
    d_steps: int = param(1, low=1, high=100, help="discriminator updates per generator update")
    batch: int = param(128, low=1, high=1_000_000, help="samples of each kind per update")
    hidden: int = param(32, low=1, high=4096, help="units per hidden layer of both nets")
    depth: int = param(2, low=1, high=16, help="hidden layers of both nets")
    lr: float = param(0.02, low=1e-8, high=10.0, help="generator's gradient-descent step size")
    d_lr: float = param(0.001, low=1e-8, high=1.0, help="discriminator's Adam step size")
    target: str = param(
        "gaussian", choices=TARGETS, help="the data distribution: gaussian or mixture"
    )
    target_mean: float = param(4.0, low=-100.0, high=100.0, help="the data's mean")
    target_std: float = param(
        0.5, low=1e-3, high=100.0, help="the data's standard deviation (per mode)"
    )
    eval_samples: int = param(
        4096, low=2, high=10_000_000, help="samples for W1 and the gradient norm"
    )
    log_every: int = param(20, low=1, high=1_000_000, help="generator updates between measurements")


def sample_target(
    n: int, config: BceLossConfig, *, generator: torch.Generator | None = None
) -> Tensor:
    """``n`` draws from the data distribution of ``config``, shape ``(n, 1)``, on the CPU.

    Example:
        >>> x = sample_target(10_000, BceLossConfig(), generator=torch.Generator().manual_seed(0))
        >>> round(x.mean().item(), 1), round(x.std().item(), 1)
        (4.0, 0.5)
    """
    x = torch.randn(n, 1, generator=generator) * config.target_std + config.target_mean
    if config.target == "mixture":
        side = torch.randint(0, 2, (n, 1), generator=generator) * 2 - 1  # -1 or +1
        x = x + 2 * config.target_std * side
    return x


def _make_players(config: BceLossConfig, device: torch.device) -> tuple[Generator, Discriminator]:
    shape = MLPConfig(in_features=1, out_features=1, hidden=config.hidden, depth=config.depth)
    g = Generator(shape).to(device)
    d = Discriminator(shape).to(device)
    return g, d


def _head_start(
    g: Generator,
    d: Discriminator,
    config: BceLossConfig,
    gen: torch.Generator,
    device: torch.device,
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


def head_started_players(config: BceLossConfig, *, run: int = 0) -> tuple[Generator, Discriminator]:
    """A generator and a discriminator for run ``run``, the discriminator trained ahead.

    Both nets come from the stream ``"run {run}/initial weights"`` of ``config.seed``, the
    batches of the ``head_start`` discriminator updates from ``"run {run}/head start"``.

    Args:
        config: the nets' sizes, the head start's length, the data distribution, the seed and
            the device.
        run: the run's index (>= 0).

    Returns:
        ``(generator, discriminator)``, on ``config.device``.
    """
    device = resolve_device(config.device)
    streams.seed_global(config.seed, f"run {run}/initial weights")
    g, d = _make_players(config, device)
    if config.head_start > 0:
        _head_start(g, d, config, streams.generator(config.seed, f"run {run}/head start"), device)
    return g, d


def train_gan(
    kind: str,
    config: BceLossConfig,
    *,
    run: int = 0,
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

    The training batches come from the stream ``"run {run}/batches"`` of ``config.seed`` (the
    same for every ``kind``), the evaluation noise and data from ``"run {run}/eval noise"`` and
    ``"run {run}/eval data"``.

    Args:
        kind: one of :data:`~beyond_mle.gan_losses.GENERATOR_LOSSES`.
        config: sizes, steps, the data distribution, the seed and the device.
        run: the run's index (>= 0), which names its streams.
        players: an initial generator and discriminator (copied); when ``None`` they are
            :func:`head_started_players` of ``run``.

    Returns:
        One row per measurement: ``step`` (generator updates so far, 0 first), ``loss`` (the
        generator's mean cost since the previous row; ``nan`` at step 0), the values above and
        ``diverged`` (0.0). A run whose cost becomes infinite or NaN stops there: its last row
        holds that step, ``nan`` values and ``diverged`` = 1.0.
    """
    if kind not in GENERATOR_LOSSES:
        raise ValueError(f"kind must be one of {', '.join(GENERATOR_LOSSES)}, got {kind!r}")
    device = resolve_device(config.device)
    with one_cpu_thread(device):
        if players is None:
            players = head_started_players(config, run=run)
        g, d = copy.deepcopy(players[0]).to(device), copy.deepcopy(players[1]).to(device)
        gen = streams.generator(config.seed, f"run {run}/batches")
        eval_noise = g.noise(
            config.eval_samples, generator=streams.generator(config.seed, f"run {run}/eval noise")
        )
        eval_data = sample_target(
            config.eval_samples,
            config,
            generator=streams.generator(config.seed, f"run {run}/eval data"),
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
            desc=f"{kind}, run {run}",
        )
        return fit_adversarial(
            g.parameters(),
            d.parameters(),
            d_loss,
            g_loss,
            schedule,
            log=lambda step, _, loss: {"step": float(step), "loss": loss, **evaluate()},
        )


def saturation_experiment(
    config: BceLossConfig, *, kinds: tuple[str, ...] = GENERATOR_LOSSES
) -> list[dict[str, float | str]]:
    """Train the 1-D GAN with each generator cost in ``config.n_seeds`` runs.

    For each run, one generator and one head-started discriminator are made and every cost
    starts from copies of the same pair with the same batches, so the costs are compared on
    paired runs; run ``i`` draws from the streams ``"run {i}/..."`` of ``config.seed``.

    Args:
        config: the GAN's settings, the number of runs, the seed and the device.
        kinds: the generator costs to train.

    Returns:
        The rows of :func:`train_gan`, each with its ``kind`` and ``run`` (0 to
        ``n_seeds - 1``) added.
    """
    for kind in kinds:
        if kind not in GENERATOR_LOSSES:
            raise ValueError(f"kinds must be in {', '.join(GENERATOR_LOSSES)}, got {kind!r}")
    rows: list[dict[str, float | str]] = []
    with one_cpu_thread(resolve_device(config.device)):
        for run in range(config.n_seeds):
            players = head_started_players(config, run=run)
            for kind in kinds:
                history = train_gan(kind, config, run=run, players=players)
                rows += [{"kind": kind, "run": run, **row} for row in history]
    return rows


# Claims
#
# Of Goodfellow's tutorial (as the blog reads it) and the forum. The tutorial's values, the
# optimal discriminator's theorem and W1 of two shifted Gaussians are identities, decided to the
# arithmetic's precision (float64 on a grid whose tails are cut at 8 standard deviations). JS's
# flatness is a closed form on the grid. The training outcomes of the 1-D GAN are decided with
# bounds set from five book-scale seeds: the gradient ratio of at least 10 (one order of
# magnitude) and the bounds on W1 leave every seed more than two standard deviations (over the
# seeds) away.

TUTORIAL = "Goodfellow (2016), §3.2, Fig. 16 (as the blog post on GAN gradients reads them)"
FORUM = "Forum thread 'Problem with BCE loss'"


def _summary(results: Mapping[str, Any], kind: str, column: str) -> float:
    return float(at("summary", f"kind={kind}", column)(results))


def _agreeing_fraction(results: Mapping[str, Any]) -> float:
    agree = results["reference_table"]["agree"]
    return sum(bool(value) for value in agree) / len(agree)


def _gradient_ratio(kind: str):
    """Non-saturating / ``kind`` generator gradient norm at the first generator update."""

    def measure(results: Mapping[str, Any]) -> float:
        column = "grad norm at start"
        return _summary(results, "non-saturating", column) / _summary(results, kind, column)

    return measure


def _final_w1(results: Mapping[str, Any]) -> tuple[float, float]:
    return _summary(results, "minimax", "W1 at end"), _summary(
        results, "non-saturating", "W1 at end"
    )


def _minimax_progress(results: Mapping[str, Any]) -> float:
    return _summary(results, "minimax", "W1 at start") - _summary(results, "minimax", "W1 at end")


def _theorem_error(results: Mapping[str, Any]) -> float:
    sweep = results["sweep"]
    return max(abs(v - t) for v, t in zip(sweep["value_optimal"], sweep["theorem"], strict=True))


def _w1_error(results: Mapping[str, Any]) -> float:
    sweep = results["sweep"]
    return max(abs(w - d) for w, d in zip(sweep["w1"], sweep["distance"], strict=True))


def _js_end_slopes(results: Mapping[str, Any]) -> float:
    """The larger secant slope of JS over the first and the last step of the distance sweep."""
    distance, js = results["sweep"]["distance"], results["sweep"]["js"]
    first = (js[1] - js[0]) / (distance[1] - distance[0])
    last = (js[-1] - js[-2]) / (distance[-1] - distance[-2])
    if not math.isfinite(first + last):
        raise ValueError("the sweep's JS is not finite")
    return max(abs(first), abs(last))


CLAIMS = (
    Claim(
        key="costs-match-tutorial",
        statement=(
            "The three generator costs and their slopes, written on logits, take the values of "
            "the tutorial's curves (minimax, non-saturating and maximum likelihood)"
        ),
        source=f"{TUTORIAL}; eqs. 9, 13 and 15 of the tutorial",
        paper="curves of J against D(G(z)), no table (9 values read off at D = 0.001, 0.5, 0.975)",
        quantity="fraction of the 9 read-off costs and slopes that ours match to their digits",
        measure=_agreeing_fraction,
        test=Identity(1.0, 0.0),
    ),
    Claim(
        key="minimax-gradient-vanishes",
        statement=(
            "When the discriminator rejects the samples confidently, the minimax cost's gradient "
            "vanishes while the non-saturating cost's stays large"
        ),
        source=TUTORIAL,
        paper="no gradient once the discriminator rejects the samples with confidence (no number)",
        quantity=(
            "non-saturating / minimax norm of the generator's gradient at its first update, "
            "after the discriminator's head start"
        ),
        measure=_gradient_ratio("minimax"),
        test=Interval(10.0, None),
    ),
    Claim(
        key="ml-gradient-vanishes",
        statement=(
            "The maximum-likelihood cost is flat at the same end: its gradient is as small as "
            "the minimax one's when the samples are rejected"
        ),
        source=TUTORIAL,
        paper="flat at the left of Fig. 16, like the minimax curve (no number)",
        quantity=(
            "non-saturating / maximum-likelihood norm of the generator's gradient at its first "
            "update, after the discriminator's head start"
        ),
        measure=_gradient_ratio("maximum-likelihood"),
        test=Interval(10.0, None),
    ),
    Claim(
        key="non-saturating-learns",
        statement=(
            "From a confident discriminator, the non-saturating generator reaches the data while "
            "the minimax one does not"
        ),
        source=TUTORIAL,
        paper="a large gradient at the left of Fig. 16, so the generator improves fast (no number)",
        quantity="W1(generated, data) after training, mean over seeds: minimax and non-saturating",
        measure=_final_w1,
        test=Ordering(1.0, "minimax's final W1", "non-saturating's"),
    ),
    Claim(
        key="minimax-stalls",
        statement="The minimax generator barely moves while its samples are rejected",
        source=TUTORIAL,
        paper="derivatives near zero at the left of Fig. 16, where training starts (no number)",
        quantity="minimax's W1 at the start minus W1 after training, mean over seeds",
        measure=_minimax_progress,
        test=Interval(None, 0.5),
        contradicted={
            "paper": (
                "in 3,000 updates 4 of the 10 minimax generators creep out of the saturated "
                "region (one before update 600, two only after 2,700) and then learn: "
                "saturation delays the minimax cost rather than stopping it"
            )
        },
    ),
    Claim(
        key="optimal-discriminator-gives-js",
        statement=(
            "Against the optimal discriminator D* = p/(p+q), the game's value is -log 4 plus "
            "twice the Jensen-Shannon divergence"
        ),
        source=f"{FORUM} (GAN loss and JS); Goodfellow et al. (2014), Prop. 1 and Thm. 1",
        paper="V(G, D*) = -log 4 + 2 JS(p_data, p_model)",
        quantity="largest |V(G, D*) - (-2 log 2 + 2 JS)| over the distance sweep (nats)",
        measure=_theorem_error,
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="js-flat-at-both-ends",
        statement=(
            "The cost the game minimises is flat at both ends: near zero when the distributions "
            "overlap, stuck at log 2 when they are far apart"
        ),
        source=f"{FORUM} (the cost function is flat on both sides)",
        paper="flat on both sides, bounded above (no number)",
        quantity=(
            "larger secant slope of JS over the first and the last step of the sweep of "
            "distances 0 to 8 between two unit Gaussians (nats per unit; W1's slope is 1)"
        ),
        measure=_js_end_slopes,
        test=Interval(None, 0.05),
    ),
    Claim(
        key="w1-is-linear",
        statement="The Earth mover's (Wasserstein-1) distance grows linearly, with the same slope",
        source=f"{FORUM} (the Earth mover's loss is linear)",
        paper="linear, with the same gradient at every point",
        quantity="largest |W1 - d| over the sweep of distances d between two unit Gaussians",
        measure=_w1_error,
        test=Identity(0.0, 1e-9),
    ),
)
