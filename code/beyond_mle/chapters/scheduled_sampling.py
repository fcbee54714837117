r"""The chapter "Scheduled sampling is improper": its parameters, experiments and claims.

The objectives and the exact computations (the length-two divergences, the fixed point of
scheduled sampling, the Markov source, the scheduled-sampling loss) are the method module
:mod:`beyond_mle.scheduled_sampling`, the two directions of KL, :math:`\mathrm{JS}_\pi` and the
Gaussian fits on a grid :mod:`beyond_mle.divergences`. This module holds what the chapter trains:

* **scheduled sampling in practice** (:func:`sequence_experiment`): a GRU language model
  (:class:`~beyond_mle.models.gru.GRULanguageModel`) trained with each decay of the
  teacher-forcing probability (:func:`train_language_model`) on sequences of a random Markov
  chain (:func:`markov_source`), whose log-probability of any sequence is exact, so that the
  true :math:`\mathrm{KL}(P \,\|\, Q)` and :math:`\mathrm{KL}(Q \,\|\, P)` of the trained models
  are measured without bias;
* **a GAN with a discriminator prior** (:func:`prior_gan_experiment`): a 1-D GAN whose
  discriminator sees data with prior :math:`\pi` (:func:`train_prior_gan`), fitted to the
  two-mode mixture of :func:`sample_mixture`, which follows :math:`\mathrm{JS}_\pi`;
* **the trade-off behind Huszár's conclusion** (:func:`surprisal_tradeoff`): mixtures of fewer
  and fewer Gaussians fitted exactly on a grid to a mixture of :data:`TRADEOFF_MODES`, under
  each direction of KL, scored by the mean surprisal of their samples under the data
  (:math:`Q_{\mathrm{human}} = P`) and by the likelihood of the data.

Every random draw comes from a named stream of ``config.seed`` (:mod:`beyond_mle.streams`); the
docstrings of :class:`ScheduledSamplingConfig` and of each function say which stream feeds what.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any, cast

import torch
from torch import Tensor, nn

from beyond_mle import streams
from beyond_mle.claims import Claim, Identity, Interval, Ordering, rows
from beyond_mle.config import ChapterConfig, param, resolve_device
from beyond_mle.divergences import (
    cross_entropy,
    fit_gaussian_mixture_on_grid,
    gaussian_mixture_on_grid,
    kl_divergence,
    reverse_kl_divergence,
)
from beyond_mle.gan_losses import binary_cross_entropy, minimax_generator_loss
from beyond_mle.models.gru import GRULanguageModel
from beyond_mle.models.mlp import Discriminator, Generator, MLPConfig
from beyond_mle.progress import progress
from beyond_mle.scheduled_sampling import MarkovSource, random_joint, scheduled_sampling_loss
from beyond_mle.schedules import SCHEDULES, teacher_forcing_probability
from beyond_mle.training import AdversarialConfig, fit_adversarial, one_cpu_thread

__all__ = [
    "CLAIMS",
    "GAN_DEPTH",
    "GAN_HIDDEN",
    "GAN_LR",
    "GAN_START_MEAN",
    "GAN_START_STD",
    "MIXTURE_MODES",
    "MIXTURE_STD",
    "SCHEDULES_COMPARED",
    "TRADEOFF_MODES",
    "TRADEOFF_STD",
    "ScheduledSamplingConfig",
    "grid_support",
    "markov_source",
    "pair_joint",
    "prior_gan_experiment",
    "sample_mixture",
    "sequence_experiment",
    "surprisal_tradeoff",
    "tradeoff_target",
    "train_language_model",
    "train_prior_gan",
]

#: The decays of the teacher-forcing probability the chapter compares; ``"constant"`` is
#: teacher forcing (maximum likelihood).
SCHEDULES_COMPARED = ("constant", "linear", "inverse-sigmoid")

#: The data of the mode-covering experiments: an even mixture of N(-m, s^2) and N(m, s^2).
MIXTURE_MODES = 2.0
MIXTURE_STD = 0.5

#: The data of the trade-off between plausible samples and likelihood: an even mixture of
#: N(m, s^2) for each m of TRADEOFF_MODES, s = TRADEOFF_STD (modes 8 standard deviations apart).
TRADEOFF_MODES = (-4.0, 0.0, 4.0)
TRADEOFF_STD = 0.5

#: The GAN with a discriminator prior: units per hidden layer and hidden layers of its
#: discriminator, Adam's learning rate of both players, and the Gaussian every run starts from
#: (near one mode).
GAN_HIDDEN = 32
GAN_DEPTH = 2
GAN_LR = 0.005
GAN_START_MEAN = 1.5
GAN_START_STD = 0.6


# ----- the package's code as the chapter shows it --------------------------------------------


# ----- sequences of length two -------------------------------------------------------------------


def pair_joint(config: ScheduledSamplingConfig) -> Tensor:
    """The chapter's random joint over pairs of ``pair_vocab`` tokens, from stream ``"pair joint"``.

    Example:
        >>> pair_joint(ScheduledSamplingConfig(pair_vocab=3)).shape
        torch.Size([3, 3])
    """
    return random_joint(config.pair_vocab, generator=streams.generator(config.seed, "pair joint"))


# ----- scheduled sampling in practice: a GRU on a Markov source ----------------------------------


def markov_source(config: ScheduledSamplingConfig) -> MarkovSource:
    """The chapter's Markov chain over ``vocab`` tokens, from the stream ``"markov source"``.

    Its rows are Dirichlet draws of ``concentration``.

    Example:
        >>> markov_source(ScheduledSamplingConfig(vocab=4)).vocab
        4
    """
    generator = streams.generator(config.seed, "markov source")
    return MarkovSource.random(
        config.vocab, concentration=config.concentration, generator=generator
    )


def train_language_model(
    source: MarkovSource,
    schedule: str,
    config: ScheduledSamplingConfig,
    *,
    run: int = 0,
) -> tuple[GRULanguageModel, list[dict[str, float]]]:
    r"""Train a GRU on the source with scheduled sampling under ``schedule`` and measure it.

    The model (embedding ``embed``, state ``hidden``) takes ``steps`` Adam updates of step
    ``lr`` on batches of ``batch`` sequences of ``length`` tokens. The teacher-forcing
    probability of update :math:`i` is :func:`~beyond_mle.schedules.teacher_forcing_probability`
    ``(i, steps, schedule, floor=floor)``; ``"constant"`` is teacher forcing (maximum
    likelihood). Every ``log_every`` updates, fixed sequences give

    * ``kl``: :math:`\mathrm{KL}(P \,\|\, Q) = \mathbb{E}_P[\log P(x) - \log Q(x)]`, the mean
      over ``eval_samples`` sequences from the source (the same for every schedule);
    * ``reverse_kl``: :math:`\mathrm{KL}(Q \,\|\, P) = \mathbb{E}_Q[\log Q(x) - \log P(x)]`,
      over as many free-running samples of the model (drawn with the same noise at every
      measurement);

    both unbiased, since :math:`\log P` and :math:`\log Q` are exact.

    Streams of ``config.seed``: ``f"run {run}/initial weights"`` for the model,
    ``f"run {run}/batches"`` for the batches and the coins and draws of scheduled sampling,
    ``f"run {run}/evaluation data"`` for the source's evaluation sequences and
    ``f"run {run}/model samples"`` for the model's; with the same ``run`` every schedule starts
    from the same weights and sees the same batches.

    Args:
        source: the data's Markov chain.
        schedule: one of :data:`~beyond_mle.schedules.SCHEDULES`.
        config: sizes, steps, learning rate, the seed and the device.
        run: which of the chapter's runs (>= 0): names its streams.

    Returns:
        ``(model, history)``: one row per measurement with ``step``, ``epsilon``, ``loss`` (the
        mean training loss per sequence since the previous row), ``kl`` and ``reverse_kl``.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    device = resolve_device(config.device)
    streams.seed_global(config.seed, f"run {run}/initial weights")
    model = GRULanguageModel(source.vocab, embed=config.embed, hidden=config.hidden).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    gen = streams.generator(config.seed, f"run {run}/batches")
    eval_gen = streams.generator(config.seed, f"run {run}/evaluation data")
    eval_data = source.sample(config.eval_samples, config.length, generator=eval_gen)
    eval_log_p = source.log_prob(eval_data)  # (eval_samples,), float64

    def evaluate() -> dict[str, float]:
        noise = streams.generator(config.seed, f"run {run}/model samples")
        with torch.no_grad():
            log_q = model.log_prob(eval_data.to(device)).double().cpu()
            own = model.sample(config.eval_samples, config.length, generator=noise)
            own_log_q = model.log_prob(own).double().cpu()
        own = own.cpu()
        return {"kl": float((eval_log_p - log_q).mean()),
                "reverse_kl": float((own_log_q - source.log_prob(own)).mean())}  # fmt: skip

    history = [{"step": 0.0, "epsilon": 1.0, "loss": math.nan, **evaluate()}]
    running = 0.0
    for step in progress(range(config.steps), desc=schedule):
        epsilon = teacher_forcing_probability(step, config.steps, schedule, floor=config.floor)
        batch = source.sample(config.batch, config.length, generator=gen).to(device)
        optimiser.zero_grad(set_to_none=True)
        loss = scheduled_sampling_loss(model, batch, epsilon, generator=gen)
        loss.backward()
        optimiser.step()
        running += loss.item()
        if (step + 1) % config.log_every == 0 or step + 1 == config.steps:
            count = step + 1 - int(history[-1]["step"])
            history.append({"step": float(step + 1), "epsilon": epsilon,
                            "loss": running / count, **evaluate()})  # fmt: skip
            running = 0.0
    return model, history


def sequence_experiment(
    source: MarkovSource,
    config: ScheduledSamplingConfig,
    *,
    schedules: Sequence[str] = SCHEDULES_COMPARED,
) -> list[dict[str, float | str]]:
    """Train one GRU per schedule and run on ``source``, ``n_seeds`` runs per schedule.

    Run ``i`` of every schedule draws from the streams ``f"run {i}/..."`` of ``config.seed``
    (:func:`train_language_model`): every schedule of a run starts from the same initial
    weights and sees the same batches.

    Args:
        source: the data's Markov chain (:func:`markov_source`).
        config: the experiment's settings, the number of runs, the seed and the device.
        schedules: the decays of :func:`~beyond_mle.schedules.teacher_forcing_probability`.

    Returns:
        The rows of :func:`train_language_model`, each with its ``schedule`` and ``run``.
    """
    for schedule in schedules:
        if schedule not in SCHEDULES:
            raise ValueError(f"schedules must be in {SCHEDULES}, got {schedule!r}")
    rows: list[dict[str, float | str]] = []
    with one_cpu_thread(resolve_device(config.device)):
        for run in range(config.n_seeds):
            for schedule in schedules:
                _, history = train_language_model(source, schedule, config, run=run)
                rows += [{"schedule": schedule, "run": run, **row} for row in history]
    return rows


# ----- mode covering and mode seeking: a GAN with a discriminator prior --------------------------


def sample_mixture(
    n: int, *, modes: float = MIXTURE_MODES, std: float = MIXTURE_STD, generator: torch.Generator
) -> Tensor:
    r"""``n`` draws of :math:`\tfrac12 \mathcal N(-m, s^2) + \tfrac12 \mathcal N(m, s^2)`,
    shape ``(n, 1)``.

    Example:
        >>> x = sample_mixture(20_000, generator=torch.Generator().manual_seed(0))
        >>> round(x.abs().mean().item(), 1)
        2.0
    """
    side = torch.randint(0, 2, (n, 1), generator=generator) * 2 - 1  # -1 or +1
    return torch.randn(n, 1, generator=generator) * std + modes * side


def train_prior_gan(
    pi: float, config: ScheduledSamplingConfig, *, run: int = 0
) -> dict[str, float]:
    r"""A 1-D GAN whose discriminator weighs data by :math:`\pi` and samples by :math:`1 - \pi`.

    The discriminator (an MLP, :data:`GAN_DEPTH` hidden layers of :data:`GAN_HIDDEN` units)
    minimises :math:`-\pi\, \mathbb{E}_{P} \log D - (1 - \pi)\, \mathbb{E}_{Q} \log(1 - D)`; the
    generator, an affine map of Gaussian noise (so :math:`Q` is a Gaussian, unimodal) that
    starts at mean :data:`GAN_START_MEAN` and standard deviation :data:`GAN_START_STD`,
    minimises the minimax cost :math:`(1 - \pi)\, \mathbb{E}_Q \log(1 - D)`. Against the optimal
    discriminator the game's value is :math:`\mathrm{JS}_\pi(P \,\|\, Q) - H(\pi)` (Huszár
    2015, section 5), so the generator follows :math:`\mathrm{JS}_\pi`. Both players take
    ``gan_steps`` Adam updates of step :data:`GAN_LR` on batches of ``gan_batch`` points of
    :func:`sample_mixture` and of the generator.

    Streams of ``config.seed``: ``f"gan run {run}/initial weights"`` for the discriminator and
    ``f"gan run {run}/batches"`` for the data and the noise; with the same ``run`` every prior
    starts from the same nets and sees the same draws.

    Args:
        pi: the data's prior :math:`\pi`, in (0, 1).
        config: the GAN's steps and batch, the seed and the device.
        run: which of the runs of each prior (>= 0): names its streams.

    Returns:
        ``{"pi", "mean", "std"}``: the fitted Gaussian's mean and standard deviation.
    """
    if not 0.0 < pi < 1.0:
        raise ValueError(f"pi must be in (0, 1), got {pi}")
    device = resolve_device(config.device)
    streams.seed_global(config.seed, f"gan run {run}/initial weights")
    g = Generator(MLPConfig(in_features=1, out_features=1, depth=0)).to(device)  # affine
    affine = cast(nn.Linear, g.net[0])  # depth 0: the net is this one layer
    with torch.no_grad():  # the same start for every pi
        affine.weight.fill_(GAN_START_STD)
        affine.bias.fill_(GAN_START_MEAN)
    d = Discriminator(MLPConfig(in_features=1, hidden=GAN_HIDDEN, depth=GAN_DEPTH)).to(device)
    gen = streams.generator(config.seed, f"gan run {run}/batches")

    def draw() -> tuple[Tensor, Tensor]:
        real = sample_mixture(config.gan_batch, generator=gen)
        return real.to(device), g.sample(config.gan_batch, generator=gen)  # (batch, 1) each

    def d_loss(batch: tuple[Tensor, Tensor]) -> Tensor:
        real, fake = batch
        return (pi * binary_cross_entropy(d(real), 1.0).mean()
                + (1 - pi) * binary_cross_entropy(d(fake.detach()), 0.0).mean())  # fmt: skip

    def g_loss(batch: tuple[Tensor, Tensor]) -> Tensor:
        return minimax_generator_loss(d(batch[1]), scale=1 - pi)

    schedule = AdversarialConfig(
        steps=config.gan_steps, lr=GAN_LR, d_lr=GAN_LR, desc=f"pi = {pi:g}"
    )
    with one_cpu_thread(device):
        fit_adversarial(g.parameters(), d.parameters(), d_loss, g_loss, schedule, draw=draw)
    weight, bias = affine.weight.detach(), affine.bias.detach()
    return {"pi": pi, "mean": float(bias), "std": float(weight.abs())}


def prior_gan_experiment(config: ScheduledSamplingConfig) -> list[dict[str, float]]:
    """Train the GAN of :func:`train_prior_gan` ``gan_seeds`` times for each prior of ``gan_pis``.

    Returns:
        One row per run: ``pi``, ``run``, and the fitted ``mean`` and ``std``.
    """
    out = []
    with one_cpu_thread(resolve_device(config.device)):
        for pi in config.gan_pis:
            for run in range(config.gan_seeds):
                fit = train_prior_gan(pi, config, run=run)
                out.append({"pi": fit["pi"], "run": run, "mean": fit["mean"], "std": fit["std"]})
    return out


# ----- Huszár's trade-off: plausible samples against the likelihood of the data ------------------


def grid_support(config: ScheduledSamplingConfig) -> Tensor:
    """The chapter's 1-D grid: ``grid_points`` points from -8 to 8, float64.

    Example:
        >>> grid_support(ScheduledSamplingConfig(grid_points=81))[:2].tolist()
        [-8.0, -7.8]
    """
    return torch.linspace(-8.0, 8.0, config.grid_points, dtype=torch.float64)


def tradeoff_target(support: Tensor) -> Tensor:
    r"""The data of the trade-off: an even mixture of :math:`\mathcal N(m, s^2)`, :math:`m` in
    :data:`TRADEOFF_MODES`, :math:`s` = :data:`TRADEOFF_STD`, on ``support``.

    Example:
        >>> p = tradeoff_target(torch.linspace(-8, 8, 801, dtype=torch.float64))
        >>> round(p.sum().item(), 6), int(p.argmax()) in (200, 400, 600)
        (1.0, True)
    """
    means = torch.tensor(TRADEOFF_MODES, dtype=support.dtype)
    return gaussian_mixture_on_grid(support, means, torch.full_like(means, TRADEOFF_STD))


def surprisal_tradeoff(config: ScheduledSamplingConfig) -> list[dict[str, float | str]]:
    r"""Fit mixtures of :math:`k` Gaussians to :func:`tradeoff_target` under both KLs, for
    every :math:`k` from the number of its modes down to 1, and score each fit both ways.

    The model family shrinks with :math:`k`; at :math:`k` = ``len(TRADEOFF_MODES)`` it holds
    the data. Each fit (:func:`~beyond_mle.divergences.fit_gaussian_mixture_on_grid`) keeps the
    best of one start with the means spread evenly over the modes' range and
    ``tradeoff_starts`` starts with means drawn uniformly from it (stream ``"mixture starts"``
    of ``config.seed``), every start with standard deviations of 1. On the grid of
    :func:`grid_support`, with spacing :math:`\Delta` and densities
    :math:`p(x_i) = p_i / \Delta`:

    * ``plausibility`` :math:`= \mathbb{E}_{x \sim Q} \log p(x) = -H(Q, P) - \log \Delta`: the
      mean log-density of the model's samples under the data, minus their mean surprisal to an
      observer whose model of the world is the data (Huszár's :math:`Q_{\mathrm{human}} = P`);
    * ``likelihood`` :math:`= \mathbb{E}_{x \sim P} \log q(x)`: what maximum likelihood
      maximises;
    * ``data`` :math:`= -H(P) = \mathbb{E}_{x \sim P} \log p(x)`, the value of both for the
      data itself.

    Returns:
        One row per ``(components, divergence)``: ``components`` (:math:`k`), ``divergence``
        (``"KL(P || Q)"`` or ``"KL(Q || P)"``), ``value`` (the divergence at the fit),
        ``plausibility``, ``likelihood``, ``data`` (nats per sample), ``std`` (the largest
        standard deviation of the fit's components), and the fit's ``means``, ``stds`` and
        ``weights`` (lists of :math:`k`).
    """
    support = grid_support(config)
    log_spacing = math.log(float(support[1] - support[0]))
    target = tradeoff_target(support)
    data = -float(cross_entropy(target, target)) - log_spacing
    low, high = min(TRADEOFF_MODES), max(TRADEOFF_MODES)
    gen = streams.generator(config.seed, "mixture starts")
    divergences = {"KL(P || Q)": kl_divergence, "KL(Q || P)": reverse_kl_divergence}
    rows: list[dict[str, float | str]] = []
    for k in range(len(TRADEOFF_MODES), 0, -1):
        spread = torch.linspace(low, high, k + 2, dtype=torch.float64)[1:-1]  # (k,)
        starts = [(spread.tolist(), 1.0)]
        for _ in range(config.tradeoff_starts):
            drawn = low + (high - low) * torch.rand(k, dtype=torch.float64, generator=gen)
            starts.append((drawn.tolist(), 1.0))
        for name, divergence in divergences.items():
            with one_cpu_thread():  # small problems: threads only add synchronisation
                fit = fit_gaussian_mixture_on_grid(target, support, divergence, starts)
            q = fit["probs"]
            rows.append({
                "components": float(k), "divergence": name, "value": fit["value"],
                "plausibility": -float(cross_entropy(q, target)) - log_spacing,
                "likelihood": -float(cross_entropy(target, q)) - log_spacing,
                "data": data, "std": max(fit["stds"]), "means": fit["means"],
                "stds": fit["stds"], "weights": fit["weights"],
            })  # fmt: skip
    return rows


# ----- the parameters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledSamplingConfig(ChapterConfig):
    """The parameters of the chapter "Scheduled sampling is improper".

    Streams of ``seed`` (:mod:`beyond_mle.streams`): ``"pair joint"`` for the length-two joint
    (:func:`pair_joint`), ``"markov source"`` for the Markov chain (:func:`markov_source`),
    ``f"run {i}/initial weights"``, ``f"run {i}/batches"``, ``f"run {i}/evaluation data"`` and
    ``f"run {i}/model samples"`` for the ``i``-th GRU of every schedule
    (:func:`train_language_model`), ``f"gan run {k}/initial weights"`` and
    ``f"gan run {k}/batches"`` for the ``k``-th GAN of every prior (:func:`train_prior_gan`);
    ``"mixture starts"`` for the random starts of the mixture fits (:func:`surprisal_tradeoff`);
    the notebook adds ``"random models"`` (the models of the identity checks) and
    ``"empirical draws"`` (the sample of the empirical distribution).
    """

    NOTEBOOK = "book/sequences/scheduled_sampling.ipynb"
    DESCRIPTION = (
        "Scheduled sampling is improper: its length-two objective and minimiser, GRU language "
        "models trained with teacher forcing and scheduled sampling on a Markov source, "
        "mode covering against mode seeking, the generalised JS_pi and a GAN with prior pi"
    )
    PRESETS = {
        "book": {},
        # More seeds, longer training and sequences, finer sweeps, more GAN runs.
        "paper": {
            "n_epsilons": 51,
            "length": 16,
            "steps": 800,
            "eval_samples": 5000,
            "log_every": 80,
            "n_seeds": 5,
            "grid_points": 2001,
            "n_pis": 99,
            "gan_pis": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
            "gan_steps": 1500,
            "gan_batch": 256,
            "gan_seeds": 4,
        },
    }

    pair_vocab: int = param(4, low=2, high=64, help="tokens of the length-two joint")
    n_epsilons: int = param(11, low=2, high=1001, help="values of epsilon from 1 to 0")
    vocab: int = param(6, low=2, high=1000, help="tokens of the Markov source")
    length: int = param(12, low=2, high=1000, help="tokens per sequence")
    concentration: float = param(
        0.3, low=1e-3, high=100.0, help="Dirichlet parameter of the chain's rows"
    )
    embed: int = param(16, low=1, high=4096, help="embedding size of the GRU")
    hidden: int = param(32, low=1, high=4096, help="state size of the GRU")
    steps: int = param(240, low=1, high=1_000_000, help="Adam updates per language model")
    batch: int = param(64, low=1, high=1_000_000, help="sequences per update")
    lr: float = param(0.01, low=1e-6, high=1.0, help="Adam's learning rate of the GRU")
    floor: float = param(0.0, low=0.0, high=1.0, help="smallest teacher-forcing probability")
    eval_samples: int = param(1000, low=2, high=10_000_000, help="sequences per KL estimate")
    log_every: int = param(40, low=1, high=1_000_000, help="updates between measurements")
    n_seeds: int = param(2, low=1, high=1000, help="language models per schedule")
    grid_points: int = param(801, low=50, high=1_000_000, help="points of the 1-D grid")
    tradeoff_starts: int = param(
        3, low=0, high=1000, help="random starts of each mixture fit, besides the spread one"
    )
    n_pis: int = param(21, low=3, high=10_001, help="values of pi in the exact sweep")
    gan_pis: tuple[float, ...] = param(
        (0.1, 0.3, 0.5, 0.7, 0.9),
        low=0.001,
        high=0.999,
        help="priors pi of the GAN's discriminator",
    )
    gan_steps: int = param(600, low=1, high=1_000_000, help="updates of each GAN player")
    gan_batch: int = param(128, low=1, high=1_000_000, help="samples per GAN update")
    gan_seeds: int = param(1, low=1, high=1000, help="GAN runs per pi")

    def check(self) -> None:
        if not self.gan_pis:
            raise self.invalid("gan_pis", "at least one prior")


# ----- the claims --------------------------------------------------------------------------------
#
# The identities are decided by float64 tolerances (round-off of sums of a few terms of order 1;
# the L-BFGS fixed point by its stopping accuracy). The orderings have margins of about half the
# smallest gap over the five book-scale seeds: 0.8 for the standard deviations of the fits (gaps
# of about 1.5), an order of magnitude for the KLs of the trained GRUs, compared as log10 because
# each seed draws its own Markov source and the gaps in nats range from 3.8 to 8.5. Every seed
# lies more than two standard deviations (over the seeds) above each margin. The trade-off's fits
# are exact computations on the grid whose seeds only draw the optimiser's random starts; all five
# book-scale seeds find the same fits (the KL(P || Q) fit's plausibility 3.09 nats below the
# reverse fit's, against a margin of 1; the reverse fits within 0.0016 nats of -H(P), against a
# bound of 0.01, which leaves room for the grid's resolution and the fits' stopping accuracy).

_SOURCE = "Huszár (2015)"


def _column(results: Mapping[str, Any], table: str, column: str, **match: Any) -> list[float]:
    """The values of ``column`` in the rows of ``results[table]`` whose columns equal ``match``."""
    return [row[column] for row in rows(results[table], **match)]


def _identity_gap(results: Mapping[str, Any]) -> float:
    """The largest deviation of D_SS - KL(P~ || Q) from the constant C, prefixes ~ P_x1."""
    identity = results["identity"]
    return max(
        *map(abs, identity["spread over Q, prefix ~ P_x1"]),
        *map(abs, identity["mean - C"]),
    )


def _final_log_kl(results: Mapping[str, Any], column: str) -> tuple[float, float]:
    """log10 of the mean final ``column``: (the smaller over the two decays, teacher forcing)."""
    last = max(results["runs"]["step"])
    decays = [
        fmean(_column(results, "runs", column, schedule=schedule, step=last))
        for schedule in ("linear", "inverse-sigmoid")
    ]
    teacher = fmean(_column(results, "runs", column, schedule="constant", step=last))
    return math.log10(min(decays)), math.log10(teacher)


def _fit_std(results: Mapping[str, Any]) -> tuple[float, float]:
    """(std of the KL(P || Q) fit, std of the KL(Q || P) fit)."""
    fits = results["fits"]
    forward = fits["divergence"].index("KL(P || Q), maximum likelihood")
    reverse = fits["divergence"].index("KL(Q || P), reverse")
    return fits["std"][forward], fits["std"][reverse]


def _std_at_extreme_priors(results: Mapping[str, Any], table: str) -> tuple[float, float]:
    """(mean std of the fits at the smallest prior pi, at the largest)."""
    pis = results[table]["pi"]
    return (
        fmean(_column(results, table, "std", pi=min(pis))),
        fmean(_column(results, table, "std", pi=max(pis))),
    )


def _tradeoff(results: Mapping[str, Any], column: str, divergence: str) -> list[float]:
    """``column`` of the ``divergence`` fits of the trade-off, from the largest family down."""
    table = results["tradeoff"]
    return [
        value
        for value, name in zip(table[column], table["divergence"], strict=True)
        if name == divergence
    ]


def _plausibility_smallest_family(results: Mapping[str, Any]) -> tuple[float, float]:
    """E_Q log p of the one-Gaussian fits: (under KL(Q || P), under KL(P || Q))."""
    return (
        _tradeoff(results, "plausibility", "KL(Q || P)")[-1],
        _tradeoff(results, "plausibility", "KL(P || Q)")[-1],
    )


def _reverse_plausibility_loss(results: Mapping[str, Any]) -> float:
    """The largest shortfall of the KL(Q || P) fits' E_Q log p below the data's -H(P)."""
    data = results["tradeoff"]["data"][0]
    return max(data - value for value in _tradeoff(results, "plausibility", "KL(Q || P)"))


def _factorised_kl_at_zero(results: Mapping[str, Any]) -> float:
    (value,) = _column(results, "minimisers", "KL(P_x1 P_x2 || Q*)", epsilon=0.0)
    return value


CLAIMS = (
    Claim(
        key="ss-kl-form",
        statement=(
            "With prefixes drawn from P_x1, the scheduled-sampling objective D_SS is a KL "
            "divergence to the mixed target eps P + (1 - eps) Q_x1 P_x2, up to a constant "
            "that does not depend on the model Q"
        ),
        source=f"{_SOURCE}, 'Critique to Scheduled Sampling', the last line of D_SS[P || Q]",
        paper="D_SS[P||Q] = KL[P_x1(eps P_x2|x1 + (1-eps) Q_x1 P_x2 / P_x1) || Q] + C_P,eps",
        quantity="largest |D_SS - KL(target || Q) - C| over 5 random Q and 4 eps, nats",
        measure=_identity_gap,
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="ss-minimiser-segment",
        statement=(
            "The fixed point of scheduled sampling is eps P + (1 - eps) P_x1 P_x2: between the "
            "true joint and the product of its marginals"
        ),
        source=f"{_SOURCE}, 'Critique to Scheduled Sampling', last bullet",
        paper="the minimiser lies between P and P_x1 P_x2 (no number)",
        quantity="largest |L-BFGS fixed point - closed form| over the eps sweep, probability",
        measure=lambda results: max(results["minimisers"]["|found - closed form|"]),
        test=Identity(0.0, 1e-6),
    ),
    Claim(
        key="ss-factorised-at-zero",
        statement=(
            "At eps = 0 scheduled sampling converges to the factorised P_x1 P_x2, which ignores "
            "the prefix: the objective is improper and the learning rule inconsistent"
        ),
        source=f"{_SOURCE}, 'Contribution', first bullet, and 'Critique to Scheduled Sampling'",
        paper="as eps goes from 1 to 0 the optimum moves from P to P_x1 P_x2",
        quantity="KL(P_x1 P_x2 || fixed point at eps = 0), nats",
        measure=_factorised_kl_at_zero,
        test=Identity(0.0, 1e-9),
    ),
    Claim(
        key="ss-gru-fits-worse",
        statement=(
            "Trained with scheduled sampling decaying to eps = 0, a GRU language model fits the "
            "data worse than with teacher forcing: its KL(P || Q) is ten times larger or more"
        ),
        source=f"{_SOURCE}, 'Conclusion', second bullet",
        paper="no experiment; scheduled sampling does not fix the problems of ML, it concludes",
        quantity=(
            "log10 of the final KL(P || Q) in nats, mean over seeds: the better decay, teacher "
            "forcing"
        ),
        measure=lambda results: _final_log_kl(results, "kl"),
        test=Ordering(1.0, "log10 of scheduled sampling's KL(P || Q)", "of teacher forcing's"),
    ),
    Claim(
        key="ss-gru-samples-worse",
        statement=(
            "Scheduled sampling does not make free-running samples more plausible: their "
            "KL(Q || P) is ten times that of teacher forcing or more"
        ),
        source=f"{_SOURCE}, 'Conclusion', second bullet",
        paper="no experiment; scheduled sampling does not fix the problems of ML, it concludes",
        quantity=(
            "log10 of the final KL(Q || P) of free-running samples in nats, mean over seeds: "
            "the better decay, teacher forcing"
        ),
        measure=lambda results: _final_log_kl(results, "reverse_kl"),
        test=Ordering(1.0, "log10 of scheduled sampling's KL(Q || P)", "of teacher forcing's"),
    ),
    Claim(
        key="kl-covers-reverse-seeks",
        statement=(
            "Fitted to two modes, a Gaussian under KL(P || Q) covers both, and under KL(Q || P) "
            "sits on one"
        ),
        source=f"{_SOURCE}, 'KL(q||p) and KL(p||q)'",
        paper=(
            "under KL(p||q), q(s) > 0 where p(s) -> 0 costs little, so the model generates "
            "samples off the data; KL(q||p) is what should be minimised (no number)"
        ),
        quantity="std of the Gaussian fit to N(+-2, 0.5^2): under KL(P || Q), under KL(Q || P)",
        measure=_fit_std,
        test=Ordering(0.8, "the KL(P || Q) fit's std", "the KL(Q || P) fit's"),
    ),
    Claim(
        key="ml-samples-implausible",
        statement=(
            "With a model family too small for the data, maximum likelihood's samples are far "
            "less plausible to an observer who knows the data distribution than those of the "
            "fit under KL(Q || P): 1 nat per sample or more"
        ),
        source=(
            f"{_SOURCE}, 'Two Assumption and A Conclusion' (quality as the surprisal "
            "log Q_human(x), with Q_human = P) and 'Conclusion', first bullet"
        ),
        paper=(
            "'Safer is better!'; maximum likelihood should not be the objective if the goal is "
            "realistic samples (no number)"
        ),
        quantity=(
            "E_Q log p(x) of one Gaussian fitted to three modes, nats per sample: under "
            "KL(Q || P), under KL(P || Q)"
        ),
        measure=_plausibility_smallest_family,
        test=Ordering(1.0, "the KL(Q || P) fit's E_Q log p", "the KL(P || Q) fit's"),
    ),
    Claim(
        key="reverse-kl-keeps-plausibility",
        statement=(
            "Under KL(Q || P) the fitted mixtures keep the data's own plausibility, -H(P), at "
            "every model size: they drop modes rather than put mass between them"
        ),
        source=f"{_SOURCE}, 'Conclusion', third bullet (KL[Q || P] as the idealised objective)",
        paper="KL[Q || P] could serve as an idealised objective (no number)",
        quantity=(
            "largest -H(P) - E_Q log p(x) of the KL(Q || P) mixture fits with 3, 2 and 1 "
            "components, nats per sample"
        ),
        measure=_reverse_plausibility_loss,
        test=Interval(None, 0.01),
    ),
    Claim(
        key="js-pi-interpolates",
        statement=(
            "The generalised JS divergence interpolates between the two KLs: its best Gaussian "
            "covers both modes at a small prior pi and sits on one at a large pi"
        ),
        source=f"{_SOURCE}, 'Generalized Adversarial Training' (JS_pi) and 'Contribution'",
        paper="JS_pi interpolates between maximum likelihood and KL[Q||P] (no number)",
        quantity="std of the exact JS_pi fit on the grid: at the smallest pi, at the largest",
        measure=lambda results: _std_at_extreme_priors(results, "sweep"),
        test=Ordering(0.8, "the std at the smallest pi", "at the largest"),
    ),
    Claim(
        key="gan-prior-interpolates",
        statement=(
            "A GAN whose discriminator has prior pi on the data behaves like maximum likelihood "
            "at a small pi (covers both modes) and like KL(Q || P) at a large pi (one mode)"
        ),
        source=f"{_SOURCE}, 'Contribution', third bullet, and 'Generalized Adversarial Training'",
        paper="adversarial training with JS_pi interpolates between ML and KL[Q||P] (no number)",
        quantity="std of the GAN's Gaussian generator: mean at the smallest pi, at the largest",
        measure=lambda results: _std_at_extreme_priors(results, "gans"),
        test=Ordering(0.8, "the std at the smallest pi", "at the largest"),
    ),
)
