r"""The chapter "Inception, MODE and AM scores": its parameters, experiments and claims.

The Inception score needs a classifier and a generator. Here both are small enough for a CPU:
scikit-learn's bundled digits (:mod:`beyond_mle.tasks.digits`, split once); an MLP classifier
trained on the training part (:func:`train_classifier`) plays the Inception network of
Salimans et al. (2016); an MLP GAN (:func:`train_digits_gan`) learns the 64 pixel values. Three
experiments and a closed form follow Zhou, Zhang and Wang (2017):

* :func:`score_tracking_experiment`: the Inception and MODE scores, both AM scores (eq. (5) of
  the paper and the later AM-GAN form of Zhou et al. 2018) and their terms (eqs. (4) and (5))
  measured while the GAN trains (their §2.4 and figure 2);
* :func:`imbalance_experiment`: with a class-imbalanced reference set, real held-out digits
  resampled to given class mixes stand in for generators: the Inception score prefers the
  uniform mix; how each AM score ranks the mixes (their §2.1-2.2);
* :func:`classifier_dependence`: the same samples scored by classifiers that do not fit the
  data (trained on a few images, or on half the classes): the score is a property of the
  classifier as much as of the samples (their §2.3 asks for a classifier trained on the data
  at hand);
* :func:`confident_am_scores`: both AM scores in closed form for predictions that are one-hot
  up to a uniform share ``eps``, where they rank class mixes differently.

The scores themselves are those of :mod:`beyond_mle.scores`. The parameters are the fields of
:class:`ScoresConfig`. The randomness comes from named streams of ``config.seed``
(:mod:`beyond_mle.streams`): a classifier trained under the name ``c`` (``"classifier"`` for
the chapter's own) takes its initial weights from ``"c/initial weights"`` and its batches from
``"c/batches"``; GAN run ``i`` takes both nets from ``"run {i}/initial weights"``, its batches
from ``"run {i}/batches"`` and its fixed evaluation noise from ``"run {i}/eval noise"``;
resampling ``i`` of the imbalance experiment draws from ``"imbalance draw {i}"``, and the few
images of the poorly fitted classifier come from ``"few images"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from beyond_mle import streams
from beyond_mle.claims import Claim, Identity, Interval, Ordering, at
from beyond_mle.config import ChapterConfig, param, resolve_device
from beyond_mle.gan_losses import discriminator_loss, generator_loss
from beyond_mle.models.mlp import MLP, Discriminator, Generator, MLPConfig
from beyond_mle.scores import (
    am_score_2017,
    am_score_2017_by_class,
    am_score_2017_terms,
    am_score_terms,
    inception_score,
    inception_score_terms,
    mode_score,
)
from beyond_mle.tasks.digits import (
    NUM_CLASSES,
    PIXELS,
    DigitsSplit,
    geometric_mix,
    resample_to_mix,
)
from beyond_mle.training import AdversarialConfig, FitConfig, fit, fit_adversarial, one_cpu_thread

__all__ = [
    "CLAIMS",
    "CLASSIFIER_BATCH",
    "CLASSIFIER_DEPTH",
    "CLASSIFIER_LR",
    "GAN_DEPTH",
    "SUBSET_CLASSES",
    "CONFIDENCE_LEVELS",
    "RANKED_SCORES",
    "ScoresConfig",
    "accuracy",
    "classifier_dependence",
    "classifier_probs",
    "confident_am_scores",
    "generate_digits",
    "imbalance_experiment",
    "mix_rankings",
    "score_summary",
    "rise_over_noise",
    "score_tracking_experiment",
    "stand_in_mixes",
    "train_classifier",
    "train_digits_gan",
]

#: Hidden layers of every classifier (of ``classifier_hidden`` units each).
CLASSIFIER_DEPTH = 2
#: Images per Adam step of the classifiers (all of them when there are fewer).
CLASSIFIER_BATCH = 128
#: Adam's learning rate of the classifiers.
CLASSIFIER_LR = 2e-3
#: Hidden layers of both nets of the digits GAN (of ``hidden`` units each).
GAN_DEPTH = 2
#: The classes of the classifier trained on half the classes.
SUBSET_CLASSES = (0, 1, 2, 3, 4)
#: The shares ``eps`` of uniform mass in the confident predictions of :func:`confident_am_scores`
#: at which the chapter compares the two AM scores' rankings.
CONFIDENCE_LEVELS = (0.2, 0.1, 0.05, 1e-2, 1e-3, 1e-4, 1e-6)


@dataclass(frozen=True)
class ScoresConfig(ChapterConfig):
    """The parameters of the chapter "Inception, MODE and AM scores".

    ``n_random`` sizes the check of Lemma 1; ``classifier_steps`` and ``classifier_hidden``
    set every classifier (:func:`train_classifier`); ``gan_steps`` to ``log_every`` the digits
    GAN and its measurements (:func:`train_digits_gan`, ``n_seeds`` runs); ``imbalance`` to
    ``imbalance_seeds`` the class-imbalance experiment; ``few_per_class`` the poorly fitted
    classifier of :func:`classifier_dependence`. Its random streams are listed in the module's
    docstring.
    """

    NOTEBOOK = "book/gans/scores.ipynb"
    DESCRIPTION = (
        "Inception, MODE and AM scores: Lemma 1 and MODE = Inception checked numerically, "
        "a digits classifier as the Inception network, a digits GAN scored while it "
        "trains, a class-imbalanced reference, and classifiers that do not fit the data"
    )
    PRESETS = {
        "book": {},
        # The scale of the paper's protocol on this data: more and longer GAN runs, 5,000
        # images per score (Salimans et al. use 50,000 CIFAR-10 images), more resamplings.
        "paper": {
            "n_random": 2000,
            "classifier_steps": 2000,
            "gan_steps": 10_000,
            "n_seeds": 5,
            "eval_samples": 5000,
            "log_every": 100,
            "imbalance_samples": 5000,
            "imbalance_seeds": 20,
        },
    }

    n_random: int = param(200, low=1, high=1_000_000, help="random inputs of the Lemma 1 check")
    classifier_steps: int = param(400, low=1, high=1_000_000, help="Adam steps of each classifier")
    classifier_hidden: int = param(
        128, low=1, high=4096, help="units per hidden layer of the classifiers"
    )
    gan_steps: int = param(2000, low=1, high=1_000_000, help="updates of each player")
    n_seeds: int = param(2, low=1, high=1000, help="GAN runs")
    batch: int = param(64, low=1, high=100_000, help="images of each kind per update")
    noise_dim: int = param(16, low=1, high=4096, help="dimensions of the GAN's noise")
    hidden: int = param(128, low=1, high=4096, help="units per hidden layer of both GAN nets")
    lr: float = param(0.002, low=1e-8, high=1.0, help="generator's Adam step size")
    d_lr: float = param(0.002, low=1e-8, high=1.0, help="discriminator's Adam step size")
    eval_samples: int = param(
        1000, low=2, high=10_000_000, help="generated images scored per measurement"
    )
    log_every: int = param(100, low=1, high=1_000_000, help="updates between scores")
    imbalance: float = param(
        10.0, low=1.0, high=1e6, help="most over least frequent reference class"
    )
    imbalance_samples: int = param(
        1000, low=1, high=10_000_000, help="images per stand-in generator"
    )
    imbalance_seeds: int = param(5, low=1, high=10_000, help="resamplings of each mix")
    few_per_class: int = param(
        3, low=1, high=100, help="images per class of the poorly fitted classifier"
    )


# The classifier that plays the Inception network


def train_classifier(
    x: Tensor,
    y: Tensor,
    config: ScoresConfig,
    *,
    num_classes: int = NUM_CLASSES,
    name: str = "classifier",
) -> MLP:
    """An MLP classifier of images, trained by cross-entropy with Adam.

    The net has :data:`CLASSIFIER_DEPTH` hidden layers of ``config.classifier_hidden`` units
    and trains for ``config.classifier_steps`` steps of :data:`CLASSIFIER_BATCH` images
    (Adam, :data:`CLASSIFIER_LR`). Its initial weights come from the stream
    ``"{name}/initial weights"`` of ``config.seed``, its batches from ``"{name}/batches"``.

    Args:
        x: training images, shape ``(M, 64)``.
        y: their classes in ``[0, num_classes)``, shape ``(M,)``.
        config: the classifier's width and steps, the seed and the device.
        num_classes: the classifier's outputs :math:`K`.
        name: names the classifier's streams.

    Returns:
        The classifier in evaluation mode: images ``(N, 64)`` to logits ``(N, num_classes)``.
    """
    if x.dim() != 2 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(
            f"x must be (M, features) with M = len(y) > 0, got {tuple(x.shape)} and "
            f"{tuple(y.shape)}"
        )
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError(f"y must hold classes in [0, {num_classes}), got {y.min()}..{y.max()}")
    device = resolve_device(config.device)
    with one_cpu_thread(device):
        streams.seed_global(config.seed, f"{name}/initial weights")
        shape = MLPConfig(in_features=x.shape[1], out_features=num_classes,
                          hidden=config.classifier_hidden, depth=CLASSIFIER_DEPTH,
                          activation="relu")  # fmt: skip
        model = MLP(shape).to(device)
        x, y = x.to(device), y.to(device)
        gen = streams.generator(config.seed, f"{name}/batches")

        def loss(_: int) -> Tensor:
            index = torch.randint(x.shape[0], (min(CLASSIFIER_BATCH, x.shape[0]),), generator=gen)
            return F.cross_entropy(model(x[index]), y[index])

        fit_config = FitConfig(steps=config.classifier_steps, lr=CLASSIFIER_LR,
                               log_every=config.classifier_steps, desc=name)  # fmt: skip
        fit(model.parameters(), loss, fit_config)
    return model.eval()


@torch.no_grad()
def classifier_probs(classifier: nn.Module, x: Tensor) -> Tensor:
    """The classifier's class probabilities :math:`C(x)`, in float64 for the scores.

    Args:
        classifier: images ``(N, 64)`` to logits ``(N, K)``.
        x: images, shape ``(N, 64)``.

    Returns:
        Probabilities, shape ``(N, K)``, float64, on the CPU.
    """
    device = next(classifier.parameters()).device
    logits = classifier(x.to(device)).double().cpu()  # (N, K)
    return torch.softmax(logits, -1)


@torch.no_grad()
def accuracy(classifier: nn.Module, x: Tensor, y: Tensor) -> float:
    """The share of images whose most probable class is their own.

    Example:
        >>> net = MLP(MLPConfig(in_features=64, out_features=10, hidden=4, depth=1))
        >>> 0.0 <= accuracy(net, torch.zeros(3, 64), torch.tensor([0, 1, 2])) <= 1.0
        True
    """
    return (classifier_probs(classifier, x).argmax(-1) == y.cpu()).double().mean().item()


def score_summary(probs: Tensor, reference_probs: Tensor) -> dict[str, float]:
    r"""Every score of the chapter and its terms, for one set of samples.

    Args:
        probs: the classifier on the samples, shape ``(N, K)``.
        reference_probs: the classifier on the reference data, shape ``(M, K)``.

    Returns:
        ``inception`` (eq. (1)), ``mode`` (eq. (2); ``nan`` when the reference marginal misses
        a class the samples use), ``am_2017`` (eq. (5) of Zhou, Zhang and Wang 2017, higher is
        better; ``nan`` when the generated marginal misses a class of the reference), ``am``
        and ``am_exp`` (the AM-GAN form of Zhou et al. 2018, lower is better, and its
        exponential), ``marginal_entropy`` :math:`H(\bar C^G)`, ``mean_entropy``
        :math:`\mathbb{E}_x H(C(x))`, ``marginal_kl``
        :math:`\mathrm{KL}(\bar C^{\mathrm{train}} \| \bar C^G)`, ``cross_entropy``
        :math:`H(\bar C^{\mathrm{train}}, \bar C^G)` and ``mean_cross_entropy``
        :math:`\mathbb{E}_x H(\bar C^{\mathrm{train}}, C(x))`, all in nats.
    """
    is_terms = inception_score_terms(probs)
    am_terms = am_score_terms(probs, reference_probs)
    am_2017_terms = am_score_2017_terms(probs, reference_probs)
    try:
        mode = mode_score(probs, reference_probs).item()
    except ValueError:  # the reference gives a class used by the samples no mass
        mode = float("nan")
    try:
        am_2017 = am_score_2017(probs, reference_probs).item()
    except ValueError:  # the samples give a class of the reference no mass: inf - inf
        am_2017 = float("nan")
    return {
        "inception": inception_score(probs).item(),
        "mode": mode,
        "am_2017": am_2017,
        "am": am_terms.score.item(),
        "am_exp": am_terms.score.exp().item(),
        "marginal_entropy": is_terms.marginal_entropy.item(),
        "mean_entropy": is_terms.mean_entropy.item(),
        "marginal_kl": am_terms.marginal_kl.item(),
        "cross_entropy": am_terms.cross_entropy.item(),
        "mean_cross_entropy": am_2017_terms.mean_cross_entropy.item(),
    }


# The digits GAN


def generate_digits(
    generator_net: Generator, n: int, *, generator: torch.Generator | None = None
) -> Tensor:
    """``n`` images of the digits GAN: :math:`\\sigma(G(z))`, pixels in (0, 1), ``(n, 64)``."""
    with torch.no_grad():
        return torch.sigmoid(generator_net.sample(n, generator=generator))


def train_digits_gan(
    x_train: Tensor, classifier: nn.Module, config: ScoresConfig, *, run: int = 0
) -> tuple[list[dict[str, float]], Generator]:
    r"""Train an MLP GAN on the digits and score its samples as it learns.

    The generator maps :math:`z \sim \mathcal N(0, I)` (``noise_dim`` dimensions) to 64 logits
    whose sigmoids are the pixels; the discriminator maps 64 pixels to one logit; both have
    :data:`GAN_DEPTH` hidden layers of ``hidden`` units. Each of the ``gan_steps`` steps makes
    one update of the discriminator (:func:`~beyond_mle.gan_losses.discriminator_loss`) and one
    of the generator (the non-saturating cost :math:`-\tfrac12 \log D(G(z))`), both with Adam,
    on batches of ``batch``. Before training and every ``log_every`` steps, ``eval_samples``
    images from fixed noise are classified and scored against the classifier's probabilities on
    ``x_train`` (:func:`score_summary`).

    Both nets come from the stream ``"run {run}/initial weights"`` of ``config.seed``, the
    batches from ``"run {run}/batches"``, the evaluation noise from ``"run {run}/eval noise"``.

    Args:
        x_train: the training images, shape ``(M, 64)``; also the reference of MODE and AM.
        classifier: images to logits ``(N, K)``, used only to score (never trained here).
        config: sizes, steps, learning rates, the measurement schedule, the seed and the device.
        run: the run's index (>= 0), which names its streams.

    Returns:
        ``(history, generator)``: one row per measurement, ``step`` (0 first), ``d_loss`` and
        ``g_loss`` (means since the previous row; ``nan`` at step 0) and the values of
        :func:`score_summary`; and the trained generator.
    """
    if x_train.dim() != 2 or x_train.shape[1] != PIXELS:
        raise ValueError(f"x_train must have shape (M, {PIXELS}), got {tuple(x_train.shape)}")
    device = resolve_device(config.device)
    with one_cpu_thread(device):
        streams.seed_global(config.seed, f"run {run}/initial weights")
        hidden = config.hidden
        g = Generator(
            MLPConfig(
                in_features=config.noise_dim, out_features=PIXELS, hidden=hidden, depth=GAN_DEPTH
            )
        )
        d = Discriminator(
            MLPConfig(in_features=PIXELS, out_features=1, hidden=hidden, depth=GAN_DEPTH)
        )
        g, d = g.to(device), d.to(device)
        data = x_train.to(device)
        reference_probs = classifier_probs(classifier, data)  # (M, K)
        gen = streams.generator(config.seed, f"run {run}/batches")
        eval_noise = g.noise(
            config.eval_samples, generator=streams.generator(config.seed, f"run {run}/eval noise")
        )

        def draw() -> tuple[Tensor, Tensor]:
            real = data[torch.randint(data.shape[0], (config.batch,), generator=gen)]
            return real, torch.sigmoid(g.sample(config.batch, generator=gen))  # (batch, 64) each

        def d_loss(batch: tuple[Tensor, Tensor]) -> Tensor:
            real, fake = batch
            return discriminator_loss(d(real), d(fake.detach()))

        def g_loss(batch: tuple[Tensor, Tensor]) -> Tensor:
            return generator_loss(d(batch[1]), "non-saturating")

        def measure(step: int, d_loss: float, g_loss: float) -> dict[str, float]:
            with torch.no_grad():
                probs = classifier_probs(classifier, torch.sigmoid(g(eval_noise)))  # (n, K)
            summary = score_summary(probs, reference_probs)
            return {"step": float(step), "d_loss": d_loss, "g_loss": g_loss, **summary}

        schedule = AdversarialConfig(
            steps=config.gan_steps,
            lr=config.lr,
            d_lr=config.d_lr,
            log_every=config.log_every,
            desc=f"digits GAN, run {run}",
        )
        history = fit_adversarial(
            g.parameters(), d.parameters(), d_loss, g_loss, schedule, draw=draw, log=measure
        )
    return history, g.eval()


def score_tracking_experiment(
    split: DigitsSplit, classifier: nn.Module, config: ScoresConfig
) -> tuple[list[dict[str, float]], dict[int, Generator]]:
    """Train the digits GAN in ``config.n_seeds`` runs and score each as it learns.

    Run ``i`` draws from the streams ``"run {i}/..."`` of ``config.seed``
    (:func:`train_digits_gan`).

    Args:
        split: the digits; the GAN learns ``x_train``, which is also the reference.
        classifier: the scoring classifier.
        config: the GAN's settings, the number of runs, the seed and the device.

    Returns:
        The rows of :func:`train_digits_gan`, each with its ``run`` (0 to ``n_seeds - 1``),
        and the trained generator of each run, by run.
    """
    rows: list[dict[str, float]] = []
    generators: dict[int, Generator] = {}
    for run in range(config.n_seeds):
        history, g = train_digits_gan(split.x_train, classifier, config, run=run)
        rows += [{"run": float(run), **row} for row in history]
        generators[run] = g
    return rows, generators


# Class imbalance: the Inception score ignores the reference, the AM score does not


def stand_in_mixes(imbalance: float) -> dict[str, Tensor]:
    """The class mixes of the stand-in generators of :func:`imbalance_experiment`, by name.

    Args:
        imbalance: the reference's most over least frequent class (:func:`geometric_mix`).

    Returns:
        ``uniform mix``, ``reference mix``, ``reversed mix`` and ``five classes``, each a
        float64 tensor of shape ``(10,)`` on the simplex.

    Example:
        >>> [round(v, 3) for v in stand_in_mixes(10.0)["five classes"].tolist()[4:6]]
        [0.2, 0.0]
    """
    reference_mix = geometric_mix(imbalance)  # (K,)
    half = torch.cat([torch.full((5,), 0.2, dtype=torch.float64), torch.zeros(5).double()])
    return {
        "uniform mix": geometric_mix(1.0),
        "reference mix": reference_mix,
        "reversed mix": reference_mix.flip(0),
        "five classes": half,
    }


def imbalance_experiment(
    split: DigitsSplit, classifier: nn.Module, config: ScoresConfig
) -> list[dict[str, float | str]]:
    r"""Score stand-in generators against a class-imbalanced reference set.

    The reference is the training images resampled to :func:`geometric_mix`
    ``(config.imbalance)``. The "generators" are held-out images resampled
    (``config.imbalance_samples`` each, as many as the reference) to

    * ``uniform mix``: every class equally often;
    * ``reference mix``: the reference's mix, the ideal generator for this reference;
    * ``reversed mix``: the reference's mix with the classes' order reversed;
    * ``five classes``: classes 0 to 4 only, equally often (half the modes dropped, the
      reference's five most frequent kept).

    Draw ``i`` (of ``config.imbalance_seeds``) resamples the reference and the four mixes from
    the stream ``"imbalance draw {i}"`` of ``config.seed``.

    Args:
        split: the digits.
        classifier: the scoring classifier.
        config: the imbalance, the sizes and number of draws, and the seed.

    Returns:
        One row per draw and generator: ``generator``, ``draw``, :func:`score_summary` and
        ``am_2017_class_0`` to ``am_2017_class_9``, each class's share of the AM score of
        eq. (5) (:func:`~beyond_mle.scores.am_score_2017_by_class`).
    """
    reference_mix = geometric_mix(config.imbalance)  # (K,)
    mixes = stand_in_mixes(config.imbalance)
    n_samples = config.imbalance_samples
    rows: list[dict[str, float | str]] = []
    for draw in range(config.imbalance_seeds):
        gen = streams.generator(config.seed, f"imbalance draw {draw}")
        x_ref, _ = resample_to_mix(split.x_train, split.y_train, reference_mix, n_samples,
                                   generator=gen)  # fmt: skip
        reference_probs = classifier_probs(classifier, x_ref)
        for name, mix in mixes.items():
            x, _ = resample_to_mix(split.x_test, split.y_test, mix, n_samples, generator=gen)
            probs = classifier_probs(classifier, x)
            by_class = am_score_2017_by_class(probs, reference_probs).tolist()  # (K,)
            rows.append({
                "generator": name,
                "draw": float(draw),
                **score_summary(probs, reference_probs),
                **{f"am_2017_class_{k}": value for k, value in enumerate(by_class)},
            })  # fmt: skip
    return rows


def confident_am_scores(mix: Tensor, reference_mix: Tensor, eps: float) -> tuple[float, float]:
    r"""Both AM scores, in closed form, of predictions that are one-hot up to a uniform share.

    Each generated sample of class :math:`j` (with frequency :math:`g_j`, ``mix``) gets the
    prediction :math:`q_j = (1 - \epsilon) e_j + \epsilon / K`, and the reference marginal is
    :math:`c` (``reference_mix``). With :math:`\bar g = (1 - \epsilon) g + \epsilon / K` the
    generated marginal and :math:`\langle g, c \rangle = \sum_j g_j c_j`,

    .. math::
        \mathrm{AM}_{2017} = (1 - \langle g, c \rangle) \log\frac{K}{\epsilon}
            - \langle g, c \rangle \log\Bigl(1 - \epsilon + \frac{\epsilon}{K}\Bigr)
            - H(c, \bar g), \qquad
        \mathrm{AM}_{2018} = \mathrm{KL}(c \,\|\, \bar g) + H(q_j),

    since :math:`H(c, q_j) = -c_j \log(1 - \epsilon + \epsilon/K) - (1 - c_j) \log(\epsilon/K)`
    and every :math:`q_j` has the same entropy. As :math:`\epsilon \to 0`,
    :math:`\mathrm{AM}_{2018} \to \mathrm{KL}(c \| g)`, smallest (0) at :math:`g = c`, while
    :math:`\mathrm{AM}_{2017}` grows like :math:`(1 - \langle g, c\rangle - c(Z)) \log(K/\epsilon)`
    (:math:`Z` the classes :math:`g` misses): the larger, the less the generator's classes
    overlap the reference's common ones.

    Args:
        mix: the generated class frequencies :math:`g`, shape ``(K,)``, on the simplex.
        reference_mix: the reference marginal :math:`c`, shape ``(K,)``, on the simplex.
        eps: :math:`\epsilon \in (0, 1]`.

    Returns:
        ``(am_2017, am_2018)`` in nats: eq. (5) of Zhou, Zhang and Wang (2017), higher is
        better, and the AM-GAN form of Zhou et al. (2018), lower is better.

    Example:
        >>> c = torch.tensor([0.75, 0.25], dtype=torch.float64)
        >>> am17, am18 = confident_am_scores(c, c, 0.1)
        >>> round(am17, 4), round(am18, 4)
        (0.5915, 0.2001)
    """
    if mix.shape != reference_mix.shape or mix.dim() != 1:
        raise ValueError("mix and reference_mix must be 1-D tensors of the same length K")
    if not 0 < eps <= 1:
        raise ValueError(f"eps must lie in (0, 1], got {eps}")
    k = mix.shape[0]
    mix, reference_mix = mix.double(), reference_mix.double()
    high, low = 1 - eps + eps / k, eps / k  # a prediction's probability of its class, of others
    overlap = (mix * reference_mix).sum().item()  # <g, c>
    marginal = (1 - eps) * mix + eps / k  # g_bar
    cross_entropy = -torch.xlogy(reference_mix, marginal).sum().item()  # H(c, g_bar)
    am_2017 = -overlap * math.log(high) - (1 - overlap) * math.log(low) - cross_entropy
    entropy = -(high * math.log(high) + (k - 1) * low * math.log(low))  # H(q_j), any j
    kl = torch.xlogy(reference_mix, reference_mix).sum().item() + cross_entropy  # KL(c || g_bar)
    return am_2017, kl + entropy


#: The scores :func:`mix_rankings` ranks by: column, name, and whether higher is better.
RANKED_SCORES = (
    ("inception", "Inception score", True),
    ("am_2017", "AM score, eq. (5)", True),
    ("am", "AM-GAN score", False),
)


def mix_rankings(table: Mapping[str, Sequence[Any]]) -> dict[str, list[str]]:
    """The stand-in generators of a mean imbalance table in order, best first, for each score.

    Args:
        table: the mean over draws of each generator, as a dict of lists with a ``generator``
            column (``imbalance_table`` of the results); scores it lacks are left out, so that
            results made before a score was added still rank by the others.

    Returns:
        For each score of :data:`RANKED_SCORES` in ``table``, its name and the generators from
        best to worst.

    Example:
        >>> mix_rankings({"generator": ["a", "b"], "inception": [2.0, 3.0], "am": [0.1, 0.2]})
        {'Inception score': ['b', 'a'], 'AM-GAN score': ['a', 'b']}
    """
    names = list(table["generator"])
    ranked = {}
    for column, name, higher_better in RANKED_SCORES:
        if column in table:
            values = dict(zip(names, table[column], strict=True))
            ranked[name] = sorted(
                names, key=lambda mix: -values[mix] if higher_better else values[mix]
            )
    return ranked


# The score depends on the classifier


def classifier_dependence(
    split: DigitsSplit,
    sample_sets: Mapping[str, Tensor],
    config: ScoresConfig,
    *,
    subset_classes: Sequence[int] = SUBSET_CLASSES,
) -> list[dict[str, float | str]]:
    """The Inception score of the same sample sets under classifiers of different fit.

    Three classifiers of the same shape (:func:`train_classifier` of ``config``) are trained:
    ``full`` on the whole training part (the chapter's classifier: the same streams,
    ``"classifier/..."``); ``few samples`` on ``config.few_per_class`` images of each class,
    chosen from the stream ``"few images"`` (streams ``"few-sample classifier/..."``); ``half
    the classes`` on the images of ``subset_classes`` only, with that many outputs (streams
    ``"half-class classifier/..."``).

    Args:
        split: the digits.
        sample_sets: named image sets to score, each ``(N, 64)``.
        config: the classifiers' width and steps, ``few_per_class``, the seed and the device.
        subset_classes: the classes of the ``half the classes`` classifier (>= 2 distinct).

    Returns:
        One row per classifier and sample set: ``classifier``, ``classes`` (its outputs K),
        ``accuracy`` (on the held-out images of its classes), ``samples`` and ``inception``.
    """
    subset = sorted(set(subset_classes))
    if len(subset) < 2 or subset[0] < 0 or subset[-1] >= NUM_CLASSES:
        raise ValueError(f"subset_classes must name >= 2 classes in [0, {NUM_CLASSES})")
    gen = streams.generator(config.seed, "few images")
    few = torch.cat([
        torch.nonzero(split.y_train == k).squeeze(-1)[
            torch.randperm(int((split.y_train == k).sum()), generator=gen)[:config.few_per_class]
        ]
        for k in range(NUM_CLASSES)
    ])  # fmt: skip
    in_subset = torch.isin(split.y_train, torch.tensor(subset))
    relabel = torch.full((NUM_CLASSES,), -1, dtype=torch.int64)
    relabel[subset] = torch.arange(len(subset))  # class k -> its position in the subset
    trained = {
        "full": (train_classifier(split.x_train, split.y_train, config),
                 list(range(NUM_CLASSES))),
        "few samples": (train_classifier(split.x_train[few], split.y_train[few], config,
                                         name="few-sample classifier"),
                        list(range(NUM_CLASSES))),
        "half the classes": (train_classifier(split.x_train[in_subset],
                                              relabel[split.y_train[in_subset]], config,
                                              num_classes=len(subset),
                                              name="half-class classifier"), subset),
    }  # fmt: skip
    rows: list[dict[str, float | str]] = []
    for name, (model, classes) in trained.items():
        mask = torch.isin(split.y_test, torch.tensor(classes))
        held_out = accuracy(model, split.x_test[mask], relabel[split.y_test[mask]]
                            if len(classes) < NUM_CLASSES else split.y_test[mask])  # fmt: skip
        for samples_name, x in sample_sets.items():
            rows.append({
                "classifier": name,
                "classes": float(len(classes)),
                "accuracy": held_out,
                "samples": samples_name,
                "inception": inception_score(classifier_probs(model, x)).item(),
            })  # fmt: skip
    return rows


# Claims
#
# The identities of eq. (4) are decided by float64 tolerances (a few hundred rounding errors of
# sums of at most 59 terms). The orderings and the correlation state the paper's claims (the
# Inception score prefers a uniform class mix, the AM score of eq. (5) the reference's, the two
# scores agree while a GAN trains, the AM score's cross-entropy keeps falling, the AM score needs
# no exponential); their margins leave each of the five book-scale seeds at least
# ``SPREAD_MARGIN`` standard deviations (over those seeds) away. The AM score of eq. (5) is the
# paper's; the AM-GAN form (Zhou et al. 2018) has a claim of its own.

SOURCE = "Zhou, Zhang and Wang (2017)"
AM_GAN = (
    "Zhou et al. (2018), the AM score of AM-GAN as computed by the authors' code "
    "(ZhimingZhou/AM-GANs-refactored, common/score.py, AMScore.am_score)"
)
OTHER_MIXES = ("uniform mix", "reversed mix", "five classes")


def _largest_log_gap(results: Mapping[str, Any]) -> float:
    """The largest |log MODE - log IS| over the random inputs, the class mixes and the GAN runs."""
    gaps = [results["mode_max_gap"]]
    for table in (results["imbalance_rows"], results["runs"]):
        gaps += [
            abs(math.log(mode) - math.log(inception))
            for mode, inception in zip(table["mode"], table["inception"], strict=True)
        ]
    return max(gaps)


def _is_am_rank_correlation(results: Mapping[str, Any]) -> float:
    """Spearman's correlation between the Inception score and the AM score of eq. (5)."""
    import pandas as pd

    runs = results["runs"]
    return float(pd.Series(runs["inception"]).corr(pd.Series(runs["am_2017"]), method="spearman"))


def rise_over_noise(runs: Mapping[str, Sequence[Any]], column: str = "am_2017") -> float:
    """How far a score rises over the GAN runs, in units of its late fluctuation.

    Per run: (the mean over the second half of the measurements - the first measurement) / (the
    standard deviation over the second half); then the mean over runs.

    Args:
        runs: the measurements of :func:`score_tracking_experiment` (a dict of lists or a
            data frame), with ``run``, ``step`` and ``column``.
        column: the score.

    Returns:
        The mean ratio over runs.

    Example:
        >>> runs = {"run": [0] * 5, "step": [0, 1, 2, 3, 4], "am_2017": [0.0, 1, 9, 11, 10]}
        >>> rise_over_noise(runs)
        10.0
    """
    import pandas as pd

    frame = pd.DataFrame(runs)
    last = frame["step"].max()
    ratios = []
    for _, run in frame.groupby("run"):
        late = run.loc[run["step"] >= last / 2, column]
        first = run.loc[run["step"] == run["step"].min(), column].iloc[0]
        ratios.append((late.mean() - first) / late.std())
    return float(sum(ratios) / len(ratios))


def _cross_entropy_half_and_end(results: Mapping[str, Any]) -> tuple[float, float]:
    """H(C_bar^train, C_bar^G) half-way through the GAN runs and at their end (mean over seeds)."""
    runs = results["runs"]
    last = max(runs["step"])
    half = min(runs["step"], key=lambda step: abs(step - last / 2))

    def mean_at(step: float) -> float:
        pairs = zip(runs["step"], runs["cross_entropy"], strict=True)
        values = [value for at_step, value in pairs if at_step == step]
        return sum(values) / len(values)

    return mean_at(half), mean_at(last)


def _real_noise_gap(classifier: str) -> Any:
    real = at("dependence_table", f"classifier={classifier}", "real held-out")
    noise = at("dependence_table", f"classifier={classifier}", "uniform noise")
    return lambda results: real(results) - noise(results)


def _mix_mean(mix: str, column: str) -> Any:
    return at("imbalance_table", f"generator={mix}", column)


CLAIMS = (
    Claim(
        key="is-two-entropies",
        statement=(
            "Lemma 1 makes the log of the Inception score the entropy of the generated class "
            "marginal minus the mean entropy of the predictions"
        ),
        source=f"{SOURCE}, §2.1, Lemma 1, eqs. (3)-(4)",
        paper="-",
        quantity=(
            "largest |log IS - (H(C_bar^G) - E_x H(C(x)))| over random prediction matrices "
            "(float64)"
        ),
        measure=at("lemma_max_gap"),
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="mode-equals-is",
        statement=(
            "The MODE score equals the Inception score: the training data's class marginal "
            "cancels out of it"
        ),
        source=f"{SOURCE}, §2.1, eq. (4)",
        paper="Inception score = MODE score",
        quantity=(
            "largest |log MODE - log IS| over random inputs, the resampled class mixes and every "
            "GAN measurement (float64)"
        ),
        measure=_largest_log_gap,
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="is-prefers-uniform",
        statement=(
            "The Inception score ignores the class distribution of the data: with an imbalanced "
            "reference it scores a uniform class mix above the reference's own mix"
        ),
        source=f"{SOURCE}, §2 (opening) and §2.1 (after eq. (4))",
        paper="the H(C_bar^G) term rewards a uniform class marginal (no experiment)",
        quantity=(
            "mean Inception score of real held-out digits resampled to a uniform mix and to the "
            "reference's 10:1 mix"
        ),
        measure=lambda results: (
            _mix_mean("uniform mix", "inception")(results),
            _mix_mean("reference mix", "inception")(results),
        ),
        test=Ordering(1.0, "IS of the uniform mix", "IS of the reference mix"),
    ),
    Claim(
        key="am-prefers-reference",
        statement=(
            "The AM score of eq. (5) takes the reference's class distribution into account: it "
            "scores the reference's own mix above the uniform mix and the reversed mix"
        ),
        source=f"{SOURCE}, §2.2, eq. (5)",
        paper=(
            "its second term is largest when the generated marginal equals the training "
            "data's (no experiment on class mixes)"
        ),
        quantity=(
            "mean AM score of eq. (5) (nats, higher is better) of the reference mix and of the "
            "better of the uniform and reversed mixes"
        ),
        measure=lambda results: (
            _mix_mean("reference mix", "am_2017")(results),
            max(_mix_mean(mix, "am_2017")(results) for mix in ("uniform mix", "reversed mix")),
        ),
        test=Ordering(0.03, "AM (eq. 5) of the reference mix", "best of uniform, reversed"),
    ),
    Claim(
        key="am-gan-prefers-reference",
        statement=(
            "The AM score of AM-GAN, 0 exactly for confident predictions in the reference's "
            "class proportions, scores the reference's own mix best (lowest) of the four mixes"
        ),
        source=AM_GAN,
        paper="-",
        quantity=(
            "mean AM-GAN score (nats, lower is better) of the best other mix (uniform, reversed, "
            "five classes) and of the reference mix"
        ),
        measure=lambda results: (
            min(_mix_mean(mix, "am")(results) for mix in OTHER_MIXES),
            _mix_mean("reference mix", "am")(results),
        ),
        test=Ordering(0.1, "lowest AM-GAN score of the other mixes", "of the reference mix"),
    ),
    Claim(
        key="is-and-am-agree",
        statement=(
            "The Inception score and the AM score of eq. (5) rank a GAN's samples consistently "
            "while it trains"
        ),
        source=f"{SOURCE}, §2.4, Fig. 2 (top)",
        paper="fairly consistent with each other",
        quantity=(
            "Spearman's correlation between the Inception score and the AM score of eq. (5) "
            "(both higher is better) over every GAN measurement"
        ),
        measure=_is_am_rank_correlation,
        test=Interval(0.5, None),
        contradicted={
            "paper": (
                "over the paper preset's longer GAN runs the rank correlation of the two "
                "scores is about 0.25, against 0.8 to 0.93 over the book-scale seeds: the two "
                "scores order the later measurements differently"
            )
        },
    ),
    Claim(
        key="am-informative-without-exp",
        statement=(
            "Without an exponential, the AM score of eq. (5) is informative: over a GAN's "
            "training it rises by many times its own late fluctuation"
        ),
        source=f"{SOURCE}, §2.3 (last paragraph) and §2.4, Fig. 2 (top)",
        paper="informative enough without the exponential transformation (no number)",
        quantity=(
            "rise of the AM score of eq. (5) from the first measurement to the mean of the "
            "second half of training, over its standard deviation in the second half, mean over "
            "GAN runs"
        ),
        measure=lambda results: rise_over_noise(results["runs"]),
        # 3 of its own standard deviations: at book scale the seeds rise by 10 to 18
        test=Interval(3.0, None),
    ),
    Claim(
        key="cross-entropy-keeps-falling",
        statement=(
            "With a classifier trained on the data, the AM score's cross-entropy term "
            "H(C_bar^train, C_bar^G) decreases steadily as the GAN trains"
        ),
        source=f"{SOURCE}, §2.4, Fig. 2 (bottom right)",
        paper="stably decreasing",
        quantity=(
            "H(C_bar^train, C_bar^G) (nats) half-way through the GAN runs and at their end, "
            "mean over seeds"
        ),
        measure=_cross_entropy_half_and_end,
        test=Ordering(0.0, "cross-entropy half-way", "at the end"),
        # At book scale it falls in every seed, by 0.09 to 0.67 nats: too spread to decide.
        scales=("paper",),
        contradicted={
            "paper": (
                "with a constant learning rate our digits GAN peaks around the middle of its "
                "10,000 updates and then slowly loses classes: the cross-entropy rises again, "
                "and the Inception score falls with it"
            ),
        },
    ),
    Claim(
        key="score-depends-on-classifier",
        statement=(
            "The classifier should be one trained on the data at hand: a classifier that fits "
            "the data poorly (the book's test) leaves real images closer to noise"
        ),
        source=f"{SOURCE}, §2.3",
        paper="C should be a classifier pre-trained on the given dataset",
        quantity=(
            "Inception score of real held-out digits minus that of uniform noise, under the "
            "full classifier and under one trained on 3 images per class"
        ),
        measure=lambda results: (
            _real_noise_gap("full")(results),
            _real_noise_gap("few samples")(results),
        ),
        test=Ordering(0.5, "real - noise, full classifier", "few-sample classifier"),
    ),
)
