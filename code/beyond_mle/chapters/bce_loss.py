r"""The chapter "The BCE loss of GANs": its parameters, experiments and claims.

Saturation of the generator's costs (Goodfellow 2016, §3.2, as the blog post on GAN gradients
reads its figure 16, and the forum thread "Problem with BCE loss"), and the Wasserstein critic
that the forum offers instead. The experiments:

* :func:`source_statements`: each statement that the blog post and the forum make about the
  costs' slopes (the left end of figure 16, the derivative of BCE), decided in closed form.
* :func:`distance_sweep`: two Gaussians discretised on a grid, moved apart step by step; at
  each distance the Jensen-Shannon divergence, the value of the game at the optimal
  discriminator (:math:`-2 \log 2 + 2\,\mathrm{JS}`, Goodfellow et al. 2014, theorem 1), the
  Wasserstein-1 distance and the W-loss of the exact optimal 1-Lipschitz critic, all exact on
  the grid.
* :func:`saturation_experiment`: a one-dimensional GAN (small MLPs) trained with each generator
  cost of :mod:`beyond_mle.gan_losses`, and with the Wasserstein losses of
  :mod:`beyond_mle.wasserstein`, after the discriminator (or the critic) has had a head start
  against the untrained generator, so that it rejects the generator's samples confidently
  (:math:`D(G(z)) \approx 0`, the left end of figure 16). It logs the generator's gradient
  during the head start and, during training, its norm and the Wasserstein-1 distance between
  generated and real samples.
* :func:`race_experiment`: the same GAN without a head start, one update of each player per
  step, to measure which player gets closer to its optimum faster (the blog's guess that the
  discriminator learns faster), with the chapter's two optimisers and with one optimiser for
  both.

The parameters are the fields of :class:`BceLossConfig`. The GAN's randomness comes from named
streams of ``config.seed`` (:mod:`beyond_mle.streams`), one set per run ``i`` (``0`` to
``n_seeds - 1``): ``"run {i}/initial weights"`` makes both nets (the critic starts from the
discriminator's weights), ``"run {i}/head start"`` draws the batches of the head start (the
same for the discriminator and the critic), ``"run {i}/batches"`` those of training (the same
for every cost), ``"run {i}/head start penalty"`` and ``"run {i}/penalty"`` the interpolation
weights of the critic's gradient penalty, ``"run {i}/race batches"`` the batches of the race,
and ``"run {i}/eval noise"`` and ``"run {i}/eval data"`` the fixed samples of the measurements.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
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
    binary_cross_entropy_grad,
    discriminator_loss,
    gan_value,
    generator_loss,
    generator_loss_grad,
    optimal_discriminator_logits,
)
from beyond_mle.models.mlp import Discriminator, Generator, MLPConfig
from beyond_mle.progress import progress
from beyond_mle.training import GAN_BETAS, AdversarialConfig, fit_adversarial, one_cpu_thread
from beyond_mle.wasserstein import (
    critic_loss,
    gradient_penalty,
    optimal_critic_on_grid,
    wasserstein_generator_loss,
)

__all__ = [
    "CLAIMS",
    "COSTS",
    "ESCAPE_FRACTION",
    "LEFT_END",
    "PENALTIES",
    "RACE_OPTIMISERS",
    "TARGETS",
    "BceLossConfig",
    "binned_js",
    "describe_escapes",
    "distance_sweep",
    "escape_report",
    "head_started_players",
    "race",
    "race_experiment",
    "sample_target",
    "saturation_experiment",
    "source_statements",
    "summarise_race",
    "summarise_runs",
    "train_gan",
    "train_head_start",
]

#: The data distributions of the 1-D GAN: one Gaussian, or an even mixture of two Gaussians
#: centred ``2 * target_std`` on either side of ``target_mean``.
TARGETS = ("gaussian", "mixture")

#: What the generator can be trained with: the three costs of figure 16 against a BCE
#: discriminator, or the Wasserstein generator loss against a critic.
COSTS = (*GENERATOR_LOSSES, "wasserstein")

#: The critic's gradient penalty: only slopes above 1, or any slope other than 1.
PENALTIES = ("one-sided", "two-sided")

#: The race's optimisers: the chapter's (plain gradient descent for the generator, Adam for
#: the discriminator) or one for both (Adam with the discriminator's step size).
RACE_OPTIMISERS = ("chapter", "same")

#: A run has escaped the saturated start when its W1 falls below this fraction of its start.
ESCAPE_FRACTION = 0.5

#: A mean D(G(z)) below this is the left end of figure 16: the samples are rejected.
LEFT_END = 0.05


def source_statements() -> dict[str, list[Any]]:
    r"""Each statement of the blog post and the forum about the costs' slopes, decided exactly.

    The blog's copy gives figure 16 of Goodfellow (2016) as a picture and no values; what it
    states are the curves' shapes at the left end (:math:`D(G(z)) \to 0`, where the
    discriminator wins). Each statement becomes a closed-form quantity of
    :func:`~beyond_mle.gan_losses.generator_loss_grad` (factor 1/2) or of
    :func:`~beyond_mle.gan_losses.binary_cross_entropy_grad`, in float64, with the test that
    decides it. The slopes are taken with respect to the logit :math:`a` (what reaches the
    generator through the chain rule), except where a statement is about the figure's own axis
    :math:`D`.

    Returns:
        Columns of a table, one entry per statement: ``source`` (the blog or the forum),
        ``location`` (where in it), ``statement`` (paraphrased), ``quantity`` (ours),
        ``value``, ``test`` (in words) and ``holds``.
    """
    d = torch.tensor([0.001], dtype=torch.float64)
    a = torch.logit(d)
    grid = torch.logit(torch.linspace(1e-4, 1 - 1e-4, 9999, dtype=torch.float64))

    def slope(kind: str, logits: Tensor = a, wrt: str = "logits") -> Tensor:
        return generator_loss_grad(logits, kind, wrt=wrt).abs()  # type: ignore[arg-type]

    # where |dJ/dD| first reaches twice its value at D = 0 (1/2 for both): the curve "drops"
    on_axis = torch.linspace(1e-5, 1 - 1e-5, 99_999, dtype=torch.float64)

    def drop(kind: str) -> float:
        steep = slope(kind, torch.logit(on_axis), "probs") >= 1.0
        return on_axis[int(steep.to(torch.int8).argmax())].item()

    ml_drop, minimax_drop = drop("maximum-likelihood"), drop("minimax")
    ml_over_minimax = slope("maximum-likelihood", grid) / slope("minimax", grid)
    blog = "blog post on GAN gradients"
    insight = "'Major Insight 2'"
    rows: list[tuple[str, str, str, str, float, str, bool]] = [
        (
            blog,
            f"{insight}, the paragraph after the quoted tutorial sentence",
            "minimax: derivatives close to zero at the left of the figure",
            "minimax |dJ/da| at D = 0.001, as a fraction of its largest value 1/2",
            slope("minimax").item() / 0.5,
            "< 0.01",
            slope("minimax").item() / 0.5 < 0.01,
        ),
        (
            blog,
            f"{insight}, the sentence it quotes from the tutorial",
            "minimax: the gradient vanishes when D rejects the samples with high confidence",
            "minimax |dJ/da| at D = 1e-6 (it is D/2)",
            slope("minimax", torch.logit(torch.tensor([1e-6], dtype=torch.float64))).item(),
            "< 1e-5",
            slope("minimax", torch.logit(torch.tensor([1e-6], dtype=torch.float64))).item() < 1e-5,
        ),
        (
            blog,
            f"{insight}, on the heuristic cost",
            "non-saturating: desirable, strong gradients at the left of the figure",
            "non-saturating |dJ/da| at D = 0.001, as a fraction of its largest value 1/2",
            slope("non-saturating").item() / 0.5,
            "> 0.99",
            slope("non-saturating").item() / 0.5 > 0.99,
        ),
        (
            blog,
            f"{insight}, on the maximum-likelihood cost",
            "maximum likelihood: a flat slope at the left of the figure",
            "maximum-likelihood |dJ/da| at D = 0.001, as a fraction of 1/2",
            slope("maximum-likelihood").item() / 0.5,
            "< 0.01",
            slope("maximum-likelihood").item() / 0.5 < 0.01,
        ),
        (
            blog,
            f"{insight}, on the maximum-likelihood cost",
            "maximum likelihood: slightly better than minimax",
            "maximum-likelihood / minimax slope (= 1/(1 - D)) at D = 0.001; >= 1 at every D",
            (slope("maximum-likelihood") / slope("minimax")).item(),
            "in [1, 1.01], and >= 1 on a grid of D in (0, 1)",
            bool((ml_over_minimax >= 1).all())
            and 1 <= (slope("maximum-likelihood") / slope("minimax")).item() <= 1.01,
        ),
        (
            blog,
            f"{insight}, on the maximum-likelihood cost",
            "maximum likelihood: it decreases rapidly 'sooner' than minimax",
            "smallest D at which |dJ/dD| is twice its value at D = 0: maximum likelihood",
            ml_drop,
            f"< minimax's ({minimax_drop:.3f})",
            ml_drop < minimax_drop,
        ),
        (
            "forum 'Problem with BCE loss'",
            "the reply that writes del a = (a - y) / (a - a^2)",
            "dBCE/dy_hat = -1000 at y = 1, y_hat = 1e-3",
            "(y_hat - y) / (y_hat (1 - y_hat)) at y = 1, y_hat = 0.001",
            binary_cross_entropy_grad(a, 1.0, wrt="probs").item(),
            "= -1000 within 1e-6",
            abs(binary_cross_entropy_grad(a, 1.0, wrt="probs").item() + 1000) < 1e-6,
        ),
        (
            "forum 'Problem with BCE loss'",
            "the last reply (value function against the Week 1 exercise)",
            "as D(G(z)) -> 0 the gradient of log D(G(z)) approaches 1",
            "d log D / da = 1 - D at D = 0.001 (twice the non-saturating slope)",
            2 * slope("non-saturating").item(),
            "within 0.01 of 1",
            abs(2 * slope("non-saturating").item() - 1) < 0.01,
        ),
    ]
    names = ("source", "location", "statement", "quantity", "value", "test", "holds")
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def distance_sweep(
    distances: Tensor, *, std: float = 1.0, grid_points: int = 2001
) -> dict[str, list[float]]:
    r"""Divergences between :math:`\mathcal N(0, \sigma^2)` and :math:`\mathcal N(d, \sigma^2)`.

    Both are discretised on ``grid_points`` points spanning :math:`[-8\sigma, d_{\max} +
    8\sigma]`. At each distance :math:`d`, the optimal discriminator
    :math:`D^* = p / (p + q)` gives the game's value :math:`V(G, D^*)` and the discriminator's
    cross-entropy :math:`J^{(D)}(D^*) = -V / 2`; theorem 1 of Goodfellow et al. (2014) says
    :math:`V(G, D^*) = -2 \log 2 + 2\,\mathrm{JS}(p, q)`. The exact optimal 1-Lipschitz critic
    (:func:`~beyond_mle.wasserstein.optimal_critic_on_grid`) gives the W-loss
    :math:`\sum_x (p - q) f^*`, which the Kantorovich-Rubinstein duality says is :math:`W_1`.

    Args:
        distances: the shifts :math:`d \ge 0`, shape ``(k,)``.
        std: :math:`\sigma > 0`.
        grid_points: points of the grid (>= 10).

    Returns:
        Columns of a table, one entry per distance: ``distance``, ``js``, ``kl`` (of the data
        from the model, :math:`\mathrm{KL}(p \| q)`), ``w1``, ``w1_dual`` (the optimal critic's
        W-loss), ``value_optimal`` (:math:`V(G, D^*)`), ``theorem``
        (:math:`-2 \log 2 + 2\,\mathrm{JS}`) and ``bce_optimal`` (:math:`J^{(D)}` of
        :math:`D^*`, with the factor 1/2).
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
    critic = optimal_critic_on_grid(p, q, support)  # (k, n)
    return {
        "distance": d.tolist(),
        "js": js.tolist(),
        "kl": kl_divergence(p, q).tolist(),
        "w1": wasserstein1_grid(p, q, support).tolist(),
        "w1_dual": ((p - q) * critic).sum(-1).tolist(),
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
    updates of ``d_steps`` discriminator updates each, on batches of ``batch``), the critic's
    gradient penalty (``penalty``, weighted by ``gp_weight``), the data (``target``,
    ``target_mean``, ``target_std``) and the measurements (``eval_samples`` every
    ``log_every`` updates); and the race of :func:`race_experiment` (``race_steps`` updates of
    each player, measured every ``race_log_every``). Its random streams are listed in the
    module's docstring.
    """

    NOTEBOOK = "book/gans/bce_loss.ipynb"
    DESCRIPTION = (
        "The BCE loss of GANs: the three generator costs and their saturation, "
        "Jensen-Shannon against Wasserstein-1 on a grid, a 1-D GAN trained with each cost "
        "(and with a Wasserstein critic) after a head start, and which player learns faster "
        "without one"
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
    gp_weight: float = param(
        10.0, low=0.0, high=1e6, help="weight lambda of the critic's gradient penalty"
    )
    penalty: str = param(
        "one-sided", choices=PENALTIES, help="the critic's penalty: one-sided or two-sided"
    )
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
    log_every: int = param(20, low=1, high=1_000_000, help="updates between measurements")
    race_steps: int = param(
        200, low=1, high=1_000_000, help="updates of each player in the race, no head start"
    )
    race_log_every: int = param(
        5, low=1, high=1_000_000, help="updates between measurements of the race"
    )


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


def binned_js(x: Tensor, y: Tensor, width: float) -> float:
    r"""The Jensen-Shannon divergence between two 1-D samples, binned on a common grid.

    Both samples are counted in equal bins at most ``width`` wide over the range of their
    union. The plug-in estimate is biased upwards where the two overlap (it counts sampling
    noise as difference) and exact where they do not (:math:`\log 2`).

    Args:
        x: one sample, shape ``(n,)``.
        y: another, shape ``(m,)``.
        width: the largest bin width (> 0).

    Returns:
        The estimate, in nats, in :math:`[0, \log 2]`.

    Example:
        >>> round(binned_js(torch.zeros(10), torch.full((10,), 5.0), 0.1), 4)  # log 2
        0.6931
    """
    if not width > 0:
        raise ValueError(f"width must be > 0, got {width}")
    x, y = x.detach().double().cpu(), y.detach().double().cpu()
    low, high = min(x.min().item(), y.min().item()), max(x.max().item(), y.max().item())
    bins = max(1, math.ceil((high - low) / width))
    if high == low:
        return 0.0
    counts = [torch.histogram(v, bins=bins, range=(low, high)).hist for v in (x, y)]
    return js_divergence(counts[0] / counts[0].sum(), counts[1] / counts[1].sum()).item()


def _make_players(config: BceLossConfig, device: torch.device) -> tuple[Generator, Discriminator]:
    shape = MLPConfig(in_features=1, out_features=1, hidden=config.hidden, depth=config.depth)
    g = Generator(shape).to(device)
    d = Discriminator(shape).to(device)
    return g, d


def _generator_cost(scores: Tensor, kind: str) -> Tensor:
    """The generator's mean cost on the discriminator's logits (the critic's scores)."""
    if kind == "wasserstein":
        return wasserstein_generator_loss(scores)
    return generator_loss(scores, kind)


def _critic_objective(
    d: Discriminator, real: Tensor, fake: Tensor, config: BceLossConfig, gen: torch.Generator
) -> Tensor:
    r"""The critic's loss plus :math:`\lambda` times its gradient penalty."""
    loss = critic_loss(d(real), d(fake))
    if config.gp_weight > 0:
        one_sided = config.penalty == "one-sided"
        loss = loss + config.gp_weight * gradient_penalty(
            d, real, fake, generator=gen, one_sided=one_sided
        )
    return loss


def _generator_gradients(
    g: Generator, d: Discriminator, noise: Tensor, kind: str
) -> tuple[float, float, Tensor, Tensor]:
    """The generator's gradient on ``noise`` under cost ``kind``: its norm over the parameters,
    the mean size of each sample's own gradient, and the (detached) scores and samples."""
    with torch.enable_grad():
        samples = g(noise)  # (n, 1)
        scores = d(samples)  # (n,)
        grads = torch.autograd.grad(_generator_cost(scores, kind), [samples, *g.parameters()])
    grad_norm = torch.sqrt(cast(Tensor, sum((grad**2).sum() for grad in grads[1:])))
    # the mean cost's gradient in one sample is that sample's own gradient over n
    per_sample = grads[0].abs().sum(-1) * samples.shape[0]  # (n,)
    return grad_norm.item(), per_sample.mean().item(), scores.detach(), samples.detach()


def train_head_start(
    config: BceLossConfig, *, run: int = 0, critic: bool = False
) -> tuple[Generator, Discriminator, list[dict[str, float | str]]]:
    """Make run ``run``'s two nets and train the discriminator (or the critic) alone.

    Both nets come from the stream ``"run {run}/initial weights"`` of ``config.seed`` (the
    critic starts from the discriminator's weights), the ``head_start`` updates' batches from
    ``"run {run}/head start"`` (the same for both). The discriminator minimises
    :func:`~beyond_mle.gan_losses.discriminator_loss`; the critic
    :func:`~beyond_mle.wasserstein.critic_loss` plus ``gp_weight`` times the ``penalty``
    (interpolation weights from ``"run {run}/head start penalty"``). Both use Adam with
    ``d_lr`` against the untrained generator.

    Every ``log_every`` updates (and before the first) the generator's gradient on the
    evaluation noise is measured, under each cost that the trained net serves (the three of
    figure 16 for the discriminator, the Wasserstein loss for the critic), with the generator
    held fixed: how the signal that the generator would get changes as its opponent learns.

    Args:
        config: the nets' sizes, the head start's length, the data distribution, the seed and
            the device.
        run: the run's index (>= 0).
        critic: train a Wasserstein critic instead of a BCE discriminator.

    Returns:
        ``(generator, discriminator, rows)``, the nets on ``config.device``, one row per cost
        and measurement: ``step`` (updates so far), ``kind``, ``grad_norm`` (over the
        generator's parameters) and ``sample_grad`` (the mean size of the gradient of each
        sample's own cost with respect to that sample).
    """
    device = resolve_device(config.device)
    with one_cpu_thread(device):
        streams.seed_global(config.seed, f"run {run}/initial weights")
        g, d = _make_players(config, device)
        gen = streams.generator(config.seed, f"run {run}/head start")
        penalty_gen = streams.generator(config.seed, f"run {run}/head start penalty")
        eval_noise = g.noise(
            config.eval_samples, generator=streams.generator(config.seed, f"run {run}/eval noise")
        )
        kinds = ("wasserstein",) if critic else GENERATOR_LOSSES
        rows: list[dict[str, float | str]] = []

        def record(step: int) -> None:
            for kind in kinds:
                grad_norm, sample_grad, _, _ = _generator_gradients(g, d, eval_noise, kind)
                rows.append({"step": float(step), "kind": kind, "grad_norm": grad_norm,
                             "sample_grad": sample_grad})  # fmt: skip

        optimiser = torch.optim.Adam(d.parameters(), lr=config.d_lr, betas=GAN_BETAS)
        record(0)
        label = "critic head start" if critic else "head start"
        for step in progress(range(1, config.head_start + 1), desc=label):
            optimiser.zero_grad(set_to_none=True)
            real = sample_target(config.batch, config, generator=gen).to(device)
            with torch.no_grad():
                fake = g.sample(config.batch, generator=gen)
            if critic:
                loss = _critic_objective(d, real, fake, config, penalty_gen)
            else:
                loss = discriminator_loss(d(real), d(fake))
            if not math.isfinite(loss.item()):
                raise FloatingPointError(f"the {label}'s loss is {loss.item()} at update {step}")
            loss.backward()
            optimiser.step()
            if step % config.log_every == 0 or step == config.head_start:
                record(step)
    return g, d, rows


def head_started_players(
    config: BceLossConfig, *, run: int = 0, critic: bool = False
) -> tuple[Generator, Discriminator]:
    """A generator and a discriminator (or critic) for run ``run``, the latter trained ahead.

    The nets of :func:`train_head_start`, without its measurements.

    Args:
        config: the nets' sizes, the head start's length, the data distribution, the seed and
            the device.
        run: the run's index (>= 0).
        critic: a Wasserstein critic instead of a BCE discriminator.

    Returns:
        ``(generator, discriminator)``, on ``config.device``.
    """
    g, d, _ = train_head_start(config, run=run, critic=critic)
    return g, d


def _eval_samples(config: BceLossConfig, g: Generator, run: int, device: torch.device):
    noise = g.noise(
        config.eval_samples, generator=streams.generator(config.seed, f"run {run}/eval noise")
    )
    data = sample_target(
        config.eval_samples,
        config,
        generator=streams.generator(config.seed, f"run {run}/eval data"),
    ).to(device)
    return noise, data


def train_gan(
    kind: str,
    config: BceLossConfig,
    *,
    run: int = 0,
    players: tuple[Generator, Discriminator] | None = None,
) -> list[dict[str, float]]:
    r"""Train the 1-D GAN with the generator cost ``kind`` and log how it learns.

    With a cost of figure 16 the discriminator minimises
    :func:`~beyond_mle.gan_losses.discriminator_loss`; with ``"wasserstein"`` it is a critic
    and minimises :func:`~beyond_mle.wasserstein.critic_loss` plus ``gp_weight`` times its
    gradient penalty (``d_steps`` Adam updates per generator update either way). The generator
    minimises :func:`~beyond_mle.gan_losses.generator_loss` of ``kind`` (or
    :func:`~beyond_mle.wasserstein.wasserstein_generator_loss`) by plain gradient descent,
    whose step is proportional to the gradient, the setting of the saturation argument (Adam
    divides the gradient by its running scale and so hides a small gradient until it falls
    below its :math:`\epsilon`). Before training, and every ``log_every`` generator updates,
    fixed evaluation noise and data give

    * ``w1``: :math:`W_1` between :math:`G(z)` and data samples (``eval_samples`` each);
    * ``grad_norm``: the norm of the gradient of the generator's cost with respect to all its
      parameters, on the evaluation noise (what saturation makes vanish);
    * ``sample_grad``: the mean size of the gradient of each sample's own cost with respect
      to that sample, :math:`|\partial \ell / \partial G(z)|` (for the critic, its slope);
    * ``d_fake``: the mean of :math:`D(G(z))` (``nan`` for the critic); ``logit_fake``: the
      mean logit (the critic's mean score);
    * ``d_loss``: the discriminator's cross-entropy (the critic's loss, without its penalty)
      on the evaluation data and samples.

    The training batches come from the stream ``"run {run}/batches"`` of ``config.seed`` (the
    same for every ``kind``), the penalty's interpolation weights from ``"run {run}/penalty"``,
    the evaluation noise and data from ``"run {run}/eval noise"`` and ``"run {run}/eval data"``.

    Args:
        kind: one of :data:`COSTS`.
        config: sizes, steps, the data distribution, the seed and the device.
        run: the run's index (>= 0), which names its streams.
        players: an initial generator and discriminator (critic for ``"wasserstein"``),
            copied; when ``None`` they are :func:`head_started_players` of ``run``.

    Returns:
        One row per measurement: ``step`` (generator updates so far, 0 first), ``loss`` (the
        generator's mean cost since the previous row; ``nan`` at step 0), the values above and
        ``diverged`` (0.0). A run whose cost becomes infinite or NaN stops there: its last row
        holds that step, ``nan`` values and ``diverged`` = 1.0.
    """
    if kind not in COSTS:
        raise ValueError(f"kind must be one of {', '.join(COSTS)}, got {kind!r}")
    critic = kind == "wasserstein"
    device = resolve_device(config.device)
    with one_cpu_thread(device):
        if players is None:
            players = head_started_players(config, run=run, critic=critic)
        g, d = copy.deepcopy(players[0]).to(device), copy.deepcopy(players[1]).to(device)
        gen = streams.generator(config.seed, f"run {run}/batches")
        penalty_gen = streams.generator(config.seed, f"run {run}/penalty")
        eval_noise, eval_data = _eval_samples(config, g, run, device)

        def d_loss(_: None) -> Tensor:  # each discriminator update on fresh batches
            real = sample_target(config.batch, config, generator=gen).to(device)
            fake = g.sample(config.batch, generator=gen).detach()
            if critic:
                return _critic_objective(d, real, fake, config, penalty_gen)
            return discriminator_loss(d(real), d(fake))

        def g_loss(_: None) -> Tensor:
            return _generator_cost(d(g.sample(config.batch, generator=gen)), kind)

        def evaluate() -> dict[str, float]:
            grad_norm, sample_grad, scores, samples = _generator_gradients(g, d, eval_noise, kind)
            with torch.no_grad():
                real_scores = d(eval_data)
            if critic:
                d_eval = critic_loss(real_scores, scores).item()
                d_fake = math.nan
            else:
                d_eval = discriminator_loss(real_scores, scores).item()
                d_fake = torch.sigmoid(scores).mean().item()
            return {
                "w1": wasserstein1_samples(samples[:, 0], eval_data[:, 0]).item(),
                "grad_norm": grad_norm,
                "sample_grad": sample_grad,
                "d_fake": d_fake,
                "logit_fake": scores.mean().item(),
                "d_loss": d_eval,
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
    config: BceLossConfig, *, kinds: Sequence[str] = COSTS
) -> dict[str, list[dict[str, float | str]]]:
    """Train the 1-D GAN with each cost in ``config.n_seeds`` runs, after a head start.

    For each run, one generator and one head-started discriminator are made (and one
    head-started critic, from the same initial weights and batches, if ``"wasserstein"`` is
    among ``kinds``); every cost starts from copies of the same pair with the same batches, so
    the costs are compared on paired runs; run ``i`` draws from the streams ``"run {i}/..."``
    of ``config.seed``.

    Args:
        config: the GAN's settings, the number of runs, the seed and the device.
        kinds: the costs to train, from :data:`COSTS`.

    Returns:
        ``{"runs": ..., "head_start": ...}``: the rows of :func:`train_gan` and those of
        :func:`train_head_start`, each with its ``run`` (0 to ``n_seeds - 1``) added, and the
        training rows with their ``kind``.
    """
    for kind in kinds:
        if kind not in COSTS:
            raise ValueError(f"kinds must be in {', '.join(COSTS)}, got {kind!r}")
    runs: list[dict[str, float | str]] = []
    head: list[dict[str, float | str]] = []
    families = sorted({kind == "wasserstein" for kind in kinds})  # BCE first, then the critic
    with one_cpu_thread(resolve_device(config.device)):
        for run in range(config.n_seeds):
            players = {}
            for critic in families:
                g, d, rows = train_head_start(config, run=run, critic=critic)
                players[critic] = (g, d)
                head += [{"run": run, **row} for row in rows]
            for kind in kinds:
                history = train_gan(kind, config, run=run, players=players[kind == "wasserstein"])
                runs += [{"kind": kind, "run": run, **row} for row in history]
    return {"runs": runs, "head_start": head}


def _as_rows(table: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]]) -> list[dict]:
    """Rows from a list of rows, a table stored as a dict of lists, or a data frame."""
    if hasattr(table, "to_dict") and not isinstance(table, Mapping):  # a pandas DataFrame
        table = table.to_dict(orient="list")
    if isinstance(table, Mapping):
        names = list(table)
        return [
            dict(zip(names, values, strict=True)) for values in zip(*table.values(), strict=True)
        ]
    return [dict(row) for row in table]


def _finite(value: Any) -> bool:
    return value is not None and math.isfinite(float(value))


def escape_report(
    runs: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]],
) -> list[dict[str, Any]]:
    """Which runs of each cost escaped the saturated start, and when.

    A run escapes when its last finite :math:`W_1` is below :data:`ESCAPE_FRACTION` times its
    :math:`W_1` at step 0. Runs are told apart by their ``run`` column (``seed`` in results
    written before the runs had names).

    Args:
        runs: the ``runs`` rows of :func:`saturation_experiment`, as rows or as a table.

    Returns:
        One row per cost, in the order of :data:`COSTS`: ``kind``, ``runs``, ``escaped``,
        ``diverged`` (stopped because the cost left the floating-point range),
        ``escaped final W1`` and ``stayed final W1`` (``(low, high)`` or ``None``), and
        ``first step below`` (the range, over the escaped runs, of the first logged step whose
        :math:`W_1` is below the threshold).
    """
    rows = _as_rows(runs)
    if not rows:
        raise ValueError("runs is empty")
    key = "run" if "run" in rows[0] else "seed"
    by_run: dict[tuple[str, Any], list[dict]] = {}
    for row in rows:
        by_run.setdefault((row["kind"], row[key]), []).append(row)
    report = []
    for kind in [k for k in COSTS if any(k == kk for kk, _ in by_run)]:
        escaped, stayed, firsts, diverged, n = [], [], [], 0, 0
        for (k, _), history in by_run.items():
            if k != kind:
                continue
            n += 1
            history = sorted(history, key=lambda r: float(r["step"]))
            diverged += int(any(float(r.get("diverged", 0.0)) == 1.0 for r in history))
            finite = [r for r in history if _finite(r["w1"])]
            threshold = ESCAPE_FRACTION * float(finite[0]["w1"])
            final = float(finite[-1]["w1"])
            if final < threshold:
                escaped.append(final)
                firsts.append(next(float(r["step"]) for r in finite if float(r["w1"]) < threshold))
            else:
                stayed.append(final)

        def span(values: list[float]) -> tuple[float, float] | None:
            return (min(values), max(values)) if values else None

        report.append({"kind": kind, "runs": n, "escaped": len(escaped), "diverged": diverged,
                       "escaped final W1": span(escaped), "stayed final W1": span(stayed),
                       "first step below": span(firsts)})  # fmt: skip
    return report


def describe_escapes(row: Mapping[str, Any]) -> str:
    """One line of :func:`escape_report`, in words.

    Example:
        >>> print(describe_escapes({"kind": "minimax", "runs": 10, "escaped": 4, "diverged": 0,
        ...     "escaped final W1": (0.37, 0.65), "stayed final W1": (3.9, 4.26),
        ...     "first step below": (550.0, 2800.0)}))
        minimax: 4 of 10 runs escaped (W1 below half its start from update 550 to 2800; final W1 0.37 to 0.65); 6 stayed (final W1 3.90 to 4.26)
    """  # noqa: E501

    def span(pair: Sequence[float], digits: str) -> str:
        low, high = pair
        return f"{low:{digits}}" if low == high else f"{low:{digits}} to {high:{digits}}"

    stayed = row["runs"] - row["escaped"]
    line = f"{row['kind']}: {row['escaped']} of {row['runs']} runs escaped"
    if row["escaped"]:
        line += (
            f" (W1 below half its start from update {span(row['first step below'], '.0f')}; "
            f"final W1 {span(row['escaped final W1'], '.2f')})"
        )
    if stayed:
        line += f"; {stayed} stayed"
        if row["stayed final W1"] is not None:
            line += f" (final W1 {span(row['stayed final W1'], '.2f')})"
    if row["diverged"]:
        line += f"; {row['diverged']} of the {row['runs']} were stopped when the cost overflowed"
    return line


def summarise_runs(
    runs: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]],
) -> dict[str, list[Any]]:
    """The table of a :func:`saturation_experiment`: each cost at the start and at the end.

    "At the start" is step 0 (after the head start), "at the end" the last step, over the runs
    that reached it (a diverged run is counted in ``diverged`` instead).

    Args:
        runs: the ``runs`` rows of :func:`saturation_experiment`, as rows or as a table.

    Returns:
        Columns, one entry per cost (order of :data:`COSTS`): ``kind``, ``D(G(z)) at start``,
        ``grad norm at start``, ``sample grad at start``, ``W1 at start``, ``W1 at end``,
        ``W1 at end, worst seed``, ``grad norm at end``, ``escaped`` and ``diverged`` (counts
        of :func:`escape_report`) and ``runs``.
    """
    rows = _as_rows(runs)
    last = max(float(r["step"]) for r in rows)
    escapes = {row["kind"]: row for row in escape_report(rows)}
    table: dict[str, list[Any]] = {}

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else math.nan

    for kind in escapes:
        start = [r for r in rows if r["kind"] == kind and float(r["step"]) == 0]
        end = [r for r in rows if r["kind"] == kind and float(r["step"]) == last
               and float(r.get("diverged", 0.0)) == 0.0]  # fmt: skip
        values = {
            "kind": kind,
            "D(G(z)) at start": mean([float(r["d_fake"]) for r in start]),
            "grad norm at start": mean([float(r["grad_norm"]) for r in start]),
            "sample grad at start": mean([float(r.get("sample_grad", math.nan)) for r in start]),
            "W1 at start": mean([float(r["w1"]) for r in start]),
            "W1 at end": mean([float(r["w1"]) for r in end]),
            "W1 at end, worst seed": max((float(r["w1"]) for r in end), default=math.nan),
            "grad norm at end": mean([float(r["grad_norm"]) for r in end]),
            "escaped": escapes[kind]["escaped"],
            "diverged": escapes[kind]["diverged"],
            "runs": escapes[kind]["runs"],
        }
        for name, value in values.items():
            table.setdefault(name, []).append(value)
    return table


def race(
    config: BceLossConfig, *, run: int = 0, optimiser: str = "chapter"
) -> list[dict[str, float]]:
    r"""Train the 1-D GAN from scratch, no head start, and measure each player's progress.

    Both players start from run ``run``'s initial nets (those of :func:`train_head_start`) and make
    one update per step for ``race_steps`` steps, on batches from ``"run {run}/race batches"``;
    the generator minimises the minimax cost, the game's own. ``optimiser="chapter"`` keeps the
    chapter's optimisers (plain gradient descent with ``lr`` for the generator, Adam with
    ``d_lr`` for the discriminator); ``"same"`` gives both Adam with ``d_lr``.

    Every ``race_log_every`` steps, on the evaluation noise and data, each player's progress
    towards its own optimum is the fraction of its starting gap that it has closed:

    * the discriminator: :math:`(J^{(D)}_0 - J^{(D)}_t) / (J^{(D)}_0 - J^{(D)*}_t)`, where
      :math:`J^{(D)*}_t = \log 2 - \mathrm{JS}(p_{\mathrm{data}}, p_{G_t})` is the best
      cross-entropy against the current generator (JS by :func:`binned_js`, bins a fifth of
      ``target_std`` wide);
    * the generator: :math:`1 - W_1(G_t, \mathrm{data}) / W_1(G_0, \mathrm{data})`, its
      distance to the data (its own cost is measured against a moving discriminator and says
      nothing of its distance to the optimum).

    Args:
        config: the GAN's settings, ``race_steps`` and ``race_log_every``, the seed and device.
        run: the run's index (>= 0).
        optimiser: one of :data:`RACE_OPTIMISERS`.

    Returns:
        One row per measurement: ``step``, ``d_progress``, ``g_progress``, ``d_loss``,
        ``d_optimal`` (:math:`J^{(D)*}_t`), ``w1`` and ``d_fake`` (the mean :math:`D(G(z))`).
    """
    if optimiser not in RACE_OPTIMISERS:
        raise ValueError(
            f"optimiser must be one of {', '.join(RACE_OPTIMISERS)}, got {optimiser!r}"
        )
    device = resolve_device(config.device)
    with one_cpu_thread(device):
        streams.seed_global(config.seed, f"run {run}/initial weights")
        g, d = _make_players(config, device)
        gen = streams.generator(config.seed, f"run {run}/race batches")
        eval_noise, eval_data = _eval_samples(config, g, run, device)
        start: dict[str, float] = {}

        def d_loss(_: None) -> Tensor:
            real = sample_target(config.batch, config, generator=gen).to(device)
            fake = g.sample(config.batch, generator=gen).detach()
            return discriminator_loss(d(real), d(fake))

        def g_loss(_: None) -> Tensor:
            return generator_loss(d(g.sample(config.batch, generator=gen)), "minimax")

        def log(step: int, _: float, __: float) -> dict[str, float]:
            with torch.no_grad():
                samples = g(eval_noise)  # (n, 1)
                fake_logits = d(samples)
                j_d = discriminator_loss(d(eval_data), fake_logits).item()
                w1 = wasserstein1_samples(samples[:, 0], eval_data[:, 0]).item()
            j_best = math.log(2) - binned_js(samples[:, 0], eval_data[:, 0], config.target_std / 5)
            if step == 0:
                start.update(d_loss=j_d, w1=w1)
            gap = start["d_loss"] - j_best
            return {
                "step": float(step),
                "d_progress": (start["d_loss"] - j_d) / gap if gap > 1e-12 else math.nan,
                "g_progress": 1 - w1 / start["w1"],
                "d_loss": j_d,
                "d_optimal": j_best,
                "w1": w1,
                "d_fake": torch.sigmoid(fake_logits).mean().item(),
            }

        same = optimiser == "same"
        schedule = AdversarialConfig(
            steps=config.race_steps,
            lr=config.d_lr if same else config.lr,
            d_lr=config.d_lr,
            generator_optimiser="adam" if same else "sgd",
            d_steps=1,
            log_every=config.race_log_every,
            stop_on_divergence=True,
            desc=f"race ({optimiser}), run {run}",
        )
        return fit_adversarial(g.parameters(), d.parameters(), d_loss, g_loss, schedule, log=log)


def race_experiment(
    config: BceLossConfig, *, optimisers: Sequence[str] = RACE_OPTIMISERS
) -> list[dict[str, float | str]]:
    """:func:`race` for each run and each of ``optimisers``.

    Returns:
        The rows of :func:`race`, each with its ``optimiser`` and ``run`` added.
    """
    rows: list[dict[str, float | str]] = []
    for optimiser in optimisers:
        for run in range(config.n_seeds):
            rows += [{"optimiser": optimiser, "run": run, **row}
                     for row in race(config, run=run, optimiser=optimiser)]  # fmt: skip
    return rows


def _halfway_step(history: list[dict], column: str) -> float | None:
    """The first step after 0 at which ``column`` is at least 1/2, or ``None``."""
    for row in sorted(history, key=lambda r: float(r["step"])):
        if float(row["step"]) > 0 and float(row[column]) >= 0.5:
            return float(row["step"])
    return None


def summarise_race(
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]], race_steps: int
) -> dict[str, list[Any]]:
    """The race's table: how soon each player gets halfway to its optimum.

    A player's halfway step is the first measured step at which its progress is at least 1/2;
    a player that never gets there within ``race_steps`` counts as ``race_steps`` (a lower
    bound: the means below understate its lag).

    Returns:
        Columns, one entry per optimiser setting: ``optimiser``, ``D halfway step`` and
        ``G halfway step`` (means over the runs), ``D halfway first`` (runs in which the
        discriminator got there strictly first), ``D never halfway`` and ``G never halfway``
        (runs), ``lowest D(G(z))`` (the mean over runs of each run's lowest mean
        :math:`D(G(z))`), ``left end reached`` (runs whose mean :math:`D(G(z))` fell below
        :data:`LEFT_END`) and ``runs``.
    """
    table: dict[str, list[Any]] = {}
    all_rows = _as_rows(rows)
    for optimiser in [o for o in RACE_OPTIMISERS if any(r["optimiser"] == o for r in all_rows)]:
        by_run: dict[Any, list[dict]] = {}
        for row in all_rows:
            if row["optimiser"] == optimiser:
                by_run.setdefault(row["run"], []).append(row)
        d_half = [_halfway_step(history, "d_progress") for history in by_run.values()]
        g_half = [_halfway_step(history, "g_progress") for history in by_run.values()]
        d_steps = [float(race_steps) if step is None else step for step in d_half]
        g_steps = [float(race_steps) if step is None else step for step in g_half]
        lowest = [min(float(r["d_fake"]) for r in history) for history in by_run.values()]
        n = len(by_run)
        values = {
            "optimiser": optimiser,
            "D halfway step": sum(d_steps) / n,
            "G halfway step": sum(g_steps) / n,
            "D halfway first": sum(ds < gs for ds, gs in zip(d_steps, g_steps, strict=True)),
            "D never halfway": sum(step is None for step in d_half),
            "G never halfway": sum(step is None for step in g_half),
            "lowest D(G(z))": sum(lowest) / n,
            "left end reached": sum(value < LEFT_END for value in lowest),
            "runs": n,
        }
        for name, value in values.items():
            table.setdefault(name, []).append(value)
    return table


# Claims
#
# Of the blog post on GAN gradients (its reading of Goodfellow's figure 16, and its guess that
# the discriminator learns faster), of the forum thread, and of Goodfellow et al. (2014). The
# statements about the slopes, the optimal discriminator's theorem, the optimal critic and W1 of
# two shifted Gaussians are identities, decided to the arithmetic's precision (float64 on a grid
# whose tails are cut at 8 standard deviations). JS's flatness is a closed form on the grid. The
# training outcomes of the 1-D GAN and the race are decided with bounds set from five
# book-scale seeds, each seed more than two standard deviations (over the seeds) away. Ratios of
# gradient norms are decided in orders of magnitude (log10 >= 1): over seeds they spread by
# factors (140 to 410 for non-saturating / minimax), which a bound on the ratio itself cannot
# clear by two standard deviations.

BLOG = "Blog post on GAN gradients, 'Major Insight 2'"
TUTORIAL = f"Goodfellow (2016), Fig. 16, as the {BLOG[0].lower()}{BLOG[1:]} reads it"
FORUM = "Forum thread 'Problem with BCE loss'"
RACE_SOURCE = (
    "Blog post on GAN gradients, footnote 2; the lecture quoted in the forum thread "
    "'Problem with BCE loss' (the reply that quotes the end of the lecture)"
)


def _summary(results: Mapping[str, Any], kind: str, column: str) -> float:
    return float(at("summary", f"kind={kind}", column)(results))


def _statements_holding(results: Mapping[str, Any]) -> float:
    holds = results["source_statements"]["holds"]
    return sum(bool(value) for value in holds) / len(holds)


def _gradient_ratio(kind: str, over: str = "minimax"):
    """``kind`` / ``over`` generator gradient norm at the first generator update."""

    def measure(results: Mapping[str, Any]) -> float:
        column = "grad norm at start"
        return _summary(results, kind, column) / _summary(results, over, column)

    return measure


def _log_gradient_ratio(kind: str, over: str):
    ratio = _gradient_ratio(kind, over)

    def measure(results: Mapping[str, Any]) -> float:
        return math.log10(ratio(results))

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


def _dual_error(results: Mapping[str, Any]) -> float:
    sweep = results["sweep"]
    return max(abs(w - d) for w, d in zip(sweep["w1_dual"], sweep["w1"], strict=True))


def _js_end_slopes(results: Mapping[str, Any]) -> float:
    """The larger secant slope of JS over the first and the last step of the distance sweep."""
    distance, js = results["sweep"]["distance"], results["sweep"]["js"]
    first = (js[1] - js[0]) / (distance[1] - distance[0])
    last = (js[-1] - js[-2]) / (distance[-1] - distance[-2])
    if not math.isfinite(first + last):
        raise ValueError("the sweep's JS is not finite")
    return max(abs(first), abs(last))


def _halfway_steps(optimiser: str):
    """(the generator's, the discriminator's) mean halfway step in the race."""

    def measure(results: Mapping[str, Any]) -> tuple[float, float]:
        def column(name: str) -> float:
            return float(at("race_summary", f"optimiser={optimiser}", name)(results))

        return column("G halfway step"), column("D halfway step")

    return measure


CLAIMS = (
    Claim(
        key="slopes-as-the-sources-state",
        statement=(
            "Every statement the blog makes about the left end of figure 16 (minimax and "
            "maximum likelihood flat, maximum likelihood slightly better and dropping sooner, "
            "non-saturating steep) and every derivative the forum states holds for the costs "
            "written on logits"
        ),
        source=f"{BLOG}; {FORUM} (the replies on the derivative of BCE)",
        paper=(
            "shapes only, no values (the blog's copy shows figure 16 as a picture); the forum: "
            "-1000 at y = 1, y_hat = 1e-3, and a gradient of log D that approaches 1"
        ),
        quantity="fraction of the 8 statements of source_statements() that hold in closed form",
        measure=_statements_holding,
        test=Identity(1.0, 0.0),
    ),
    Claim(
        key="minimax-gradient-vanishes",
        statement=(
            "When the discriminator rejects the samples confidently, the minimax cost's gradient "
            "vanishes while the non-saturating cost's stays large"
        ),
        source=f"{TUTORIAL}, and the tutorial's sentence that the blog quotes",
        paper="the generator's gradient vanishes once D rejects its samples confidently (no value)",
        quantity=(
            "log10 of the non-saturating / minimax norm of the generator's gradient at its "
            "first update, after the discriminator's head start"
        ),
        measure=_log_gradient_ratio("non-saturating", "minimax"),
        test=Interval(1.0, None),
    ),
    Claim(
        key="ml-gradient-vanishes",
        statement=(
            "The maximum-likelihood cost is flat at the same end: its gradient is as small as "
            "the minimax one's when the samples are rejected"
        ),
        source=TUTORIAL,
        paper="a flat slope at the left of Fig. 16, slightly better than minimax (no number)",
        quantity=(
            "log10 of the non-saturating / maximum-likelihood norm of the generator's gradient "
            "at its first update, after the discriminator's head start"
        ),
        measure=_log_gradient_ratio("non-saturating", "maximum-likelihood"),
        test=Interval(1.0, None),
    ),
    Claim(
        key="non-saturating-learns",
        statement=(
            "From a confident discriminator, the non-saturating generator reaches the data while "
            "the minimax one does not"
        ),
        source=TUTORIAL,
        paper="a strong gradient at the left of Fig. 16: the generator improves fast (no value)",
        quantity="W1(generated, data) after training, mean over seeds: minimax and non-saturating",
        measure=_final_w1,
        test=Ordering(1.0, "minimax's final W1", "non-saturating's"),
    ),
    Claim(
        key="minimax-stalls",
        statement="The minimax generator barely moves while its samples are rejected",
        source=TUTORIAL,
        paper="derivatives close to zero at the left of Fig. 16, where training starts (no number)",
        quantity="minimax's W1 at the start minus W1 after training, mean over seeds",
        measure=_minimax_progress,
        test=Interval(None, 0.5),
        contradicted={
            "paper": (
                "over 3,000 updates some minimax generators creep out of the saturated region "
                "and then learn (the chapter counts them from the run): saturation delays the "
                "minimax cost rather than stopping it"
            )
        },
    ),
    Claim(
        key="wgan-gradient-does-not-vanish",
        statement=(
            "The Wasserstein losses have no logarithm: a critic trained as long as the "
            "discriminator, against the same poor generator, still gives it a gradient where "
            "the minimax cost's has vanished"
        ),
        source=(
            f"{FORUM} (the reply giving the critic's loss D(x) - D(G(z)) and the generator's "
            "D(G(z)), 'no log'); Arjovsky et al. (2017)"
        ),
        paper="the W-loss is linear in the critic's output, with no log (no number)",
        quantity=(
            "log10 of the Wasserstein / minimax norm of the generator's gradient at its first "
            "update, after equal head starts of the critic and the discriminator"
        ),
        measure=_log_gradient_ratio("wasserstein", "minimax"),
        test=Interval(1.0, None),
    ),
    Claim(
        key="discriminator-learns-faster",
        statement=(
            "Without a head start, the discriminator gets close to its optimum before the "
            "generator gets close to the data"
        ),
        source=RACE_SOURCE,
        paper="perhaps the discriminator simply learns faster (a guess; no number)",
        quantity=(
            "updates until the generator has closed half its W1, minus updates until the "
            "discriminator has closed half the gap to its best cross-entropy (means over runs; "
            "one update each per step, the chapter's optimisers)"
        ),
        measure=_halfway_steps("chapter"),
        test=Ordering(20.0, "the generator's halfway step", "the discriminator's"),
    ),
    Claim(
        key="discriminator-learns-faster-same-optimiser",
        statement=(
            "The discriminator learns faster than the generator even when both use the same "
            "optimiser and step size"
        ),
        source=RACE_SOURCE,
        paper="perhaps the discriminator simply learns faster (a guess; no number)",
        quantity=(
            "the same difference of halfway steps, both players on Adam with the "
            "discriminator's step size"
        ),
        measure=_halfway_steps("same"),
        test=Ordering(20.0, "the generator's halfway step", "the discriminator's"),
        contradicted={
            "book": (
                "with one optimiser and step size for both, the generator closes half its W1 "
                "within about 50 updates while the discriminator does not get halfway to its "
                "optimum in the race: which player is faster is set by the optimisers and "
                "step sizes, not by the game"
            ),
            "paper": (
                "the same at the paper preset's sizes: with one optimiser and step size for "
                "both, the generator gets halfway first"
            ),
        },
    ),
    Claim(
        key="optimal-discriminator-gives-js",
        statement=(
            "Against the optimal discriminator D* = p/(p+q), the game's value is -log 4 plus "
            "twice the Jensen-Shannon divergence"
        ),
        source=(
            f"Goodfellow et al. (2014), Prop. 1 and Thm. 1; {FORUM} (the replies that relate "
            "the GAN loss to KL and, 'more precisely', JS)"
        ),
        paper="C(G) = -log 4 + 2 JSD(p_data || p_g) (Thm. 1); the forum names JS, no formula",
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
        source=(
            f"{FORUM} (the first reply: flat on both sides; pedrorohde's reply: bounded, with a "
            "small derivative when the distributions are far apart)"
        ),
        paper="flat on both sides; cannot go up to infinity, values 'between 0 and 1' (no number)",
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
        source=f"{FORUM} (the asker's update on the Earth mover's loss)",
        paper="linear, with the same gradient at every point",
        quantity="largest |W1 - d| over the sweep of distances d between two unit Gaussians",
        measure=_w1_error,
        test=Identity(0.0, 1e-9),
    ),
    Claim(
        key="optimal-critic-gives-w1",
        statement=(
            "The W-loss of the best 1-Lipschitz critic is the Wasserstein-1 distance "
            "(Kantorovich-Rubinstein duality)"
        ),
        source=f"Arjovsky et al. (2017), eq. 3; {FORUM} (the W-loss and the Lipschitz constraint)",
        paper="W(P_r, P_g) = sup over 1-Lipschitz f of E_r f - E_g f",
        quantity=(
            "largest |sum (p - q) f* - W1| over the distance sweep, f* the exact optimal critic "
            "on the grid"
        ),
        measure=_dual_error,
        test=Identity(0.0, 1e-9),
    ),
)
