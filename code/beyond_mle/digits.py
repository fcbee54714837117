r"""The experiments of the chapter "Inception, MODE and AM scores", on scikit-learn's digits.

The Inception score needs a classifier and a generator. Here both are small enough for a CPU:
the bundled digits (:func:`sklearn.datasets.load_digits`, 1,797 images of 8 x 8 pixels, 10
classes, nothing downloaded) are split once (:func:`load_digits_split`); an MLP classifier
trained on the training part (:func:`train_classifier`) plays the Inception network of
Salimans et al. (2016); an MLP GAN (:func:`train_digits_gan`) learns the 64 pixel values. Three
experiments follow Zhou, Zhang and Wang (2017):

* :func:`score_tracking_experiment`: Inception, MODE and AM scores and their entropy terms
  (eq. (4) and (5) of the paper) measured while the GAN trains (their figure 2);
* :func:`imbalance_experiment`: with a class-imbalanced reference set, real held-out digits
  resampled to given class mixes stand in for generators: the Inception score prefers the
  uniform mix, the AM score the reference's (their figure 1 and section 2.2);
* :func:`classifier_dependence`: the same samples scored by classifiers that do not fit the
  data (trained on a few images, or on half the classes): the score is a property of the
  classifier as much as of the samples (their section 2.3).

Pixels are scaled to :math:`[0, 1]` (the raw values are 0 to 16); every image is a row of 64
numbers, ``(N, 64)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from beyond_mle.gan_losses import discriminator_loss, generator_loss
from beyond_mle.models.mlp import MLP, Discriminator, Generator, MLPConfig
from beyond_mle.scores import am_score_terms, inception_score, inception_score_terms, mode_score
from beyond_mle.training import (
    AdversarialConfig,
    FitConfig,
    fit,
    fit_adversarial,
    one_cpu_thread,
    seed_everything,
)

__all__ = [
    "NUM_CLASSES",
    "PIXELS",
    "ClassifierConfig",
    "DigitsGanConfig",
    "DigitsSplit",
    "accuracy",
    "classifier_dependence",
    "classifier_probs",
    "generate_digits",
    "geometric_mix",
    "imbalance_experiment",
    "load_digits_split",
    "resample_to_mix",
    "score_summary",
    "score_tracking_experiment",
    "train_classifier",
    "train_digits_gan",
]

#: Classes of the digits data set (0 to 9).
NUM_CLASSES = 10
#: Pixels of one image (8 x 8).
PIXELS = 64


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigitsSplit:
    """The digits, split once into a training and a held-out part.

    Attributes:
        x_train: training images, pixels in [0, 1], shape ``(n_train, 64)``, float32.
        y_train: their classes, shape ``(n_train,)``, int64.
        x_test: held-out images, shape ``(n_test, 64)``.
        y_test: their classes, shape ``(n_test,)``.
    """

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor


def load_digits_split(test_fraction: float = 0.3, split_seed: int = 0) -> DigitsSplit:
    """scikit-learn's bundled digits, scaled to [0, 1] and split with every class in proportion.

    Args:
        test_fraction: the held-out share, in (0, 1).
        split_seed: seeds the split (the book uses 0 throughout, so every chapter run scores
            the same held-out images).

    Returns:
        The split, on the CPU.

    Example:
        >>> split = load_digits_split()
        >>> tuple(split.x_train.shape), tuple(split.x_test.shape)
        ((1257, 64), (540, 64))
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data / 16.0,  # (1797, 64), raw values 0..16
        data.target,
        test_size=test_fraction,
        random_state=split_seed,
        stratify=data.target,
    )
    return DigitsSplit(
        x_train=torch.as_tensor(x_train, dtype=torch.float32),
        y_train=torch.as_tensor(y_train, dtype=torch.int64),
        x_test=torch.as_tensor(x_test, dtype=torch.float32),
        y_test=torch.as_tensor(y_test, dtype=torch.int64),
    )


def geometric_mix(imbalance: float, num_classes: int = NUM_CLASSES) -> Tensor:
    r"""A class mix whose frequencies fall geometrically from class 0 to the last class.

    .. math::
        \pi_k \propto \rho^{-k / (K - 1)}, \qquad \pi_0 / \pi_{K-1} = \rho

    Args:
        imbalance: :math:`\rho \ge 1`, the ratio of the most to the least frequent class
            (1 gives the uniform mix).
        num_classes: :math:`K \ge 1`.

    Returns:
        The mix, shape ``(K,)``, float64, summing to 1.

    Example:
        >>> mix = geometric_mix(4.0, 3)
        >>> [round(v, 4) for v in mix.tolist()]
        [0.5714, 0.2857, 0.1429]
    """
    if not imbalance >= 1:
        raise ValueError(f"imbalance must be >= 1, got {imbalance}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    k = torch.arange(num_classes, dtype=torch.float64)
    weights = imbalance ** (-k / max(num_classes - 1, 1))  # (K,)
    return weights / weights.sum()


def resample_to_mix(
    x: Tensor, y: Tensor, mix: Tensor, n: int, *, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """``n`` images drawn with replacement so that the classes follow ``mix`` exactly.

    Class :math:`k` gets ``round(n * mix[k])`` images (the largest remainders settle the
    rounding), each drawn uniformly among the images of that class.

    Args:
        x: images, shape ``(M, 64)``.
        y: their classes in ``[0, K)``, shape ``(M,)``.
        mix: class frequencies, shape ``(K,)``, non-negative, summing to 1; a class with
            positive frequency must have at least one image.
        n: images to draw (>= 1).
        generator: seeds the draw.

    Returns:
        ``(images, classes)``, shapes ``(n, 64)`` and ``(n,)``, sorted by class.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    mix = mix.to(torch.float64)
    if mix.dim() != 1 or (mix < 0).any() or abs(mix.sum().item() - 1) > 1e-6:
        raise ValueError("mix must be a 1-D tensor of non-negative class frequencies summing to 1")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must hold as many rows, got {x.shape[0]} and {y.shape[0]}")
    exact = mix * n  # (K,)
    counts = exact.floor().long()
    short = n - int(counts.sum())
    counts[torch.argsort(exact - counts, descending=True)[:short]] += 1  # largest remainders
    picks = []
    for k, count in enumerate(counts.tolist()):
        members = torch.nonzero(y == k).squeeze(-1)  # (n_k,)
        if count == 0:
            continue
        if members.numel() == 0:
            raise ValueError(f"mix gives class {k} a positive frequency but y has no image of it")
        picks.append(members[torch.randint(members.numel(), (count,), generator=generator)])
    index = torch.cat(picks)  # (n,)
    return x[index], y[index]


# --------------------------------------------------------------------------------------------
# The classifier that plays the Inception network
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassifierConfig:
    """Settings of :func:`train_classifier`.

    Attributes:
        hidden: units of each hidden layer (>= 1).
        depth: hidden layers (>= 0).
        steps: Adam steps on mini-batches (>= 1).
        batch: images per step (>= 1).
        lr: Adam's learning rate (> 0).
    """

    hidden: int = 128
    depth: int = 2
    steps: int = 400
    batch: int = 128
    lr: float = 2e-3

    def __post_init__(self) -> None:
        for name, low in (("hidden", 1), ("depth", 0), ("steps", 1), ("batch", 1)):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")


def train_classifier(
    x: Tensor,
    y: Tensor,
    config: ClassifierConfig = ClassifierConfig(),  # noqa: B008 (frozen, never mutated)
    *,
    num_classes: int = NUM_CLASSES,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> MLP:
    """An MLP classifier of images, trained by cross-entropy with Adam.

    Args:
        x: training images, shape ``(M, 64)``.
        y: their classes in ``[0, num_classes)``, shape ``(M,)``.
        config: the net's shape and the optimisation.
        num_classes: the classifier's outputs :math:`K`.
        seed: seeds the initialisation and the batches.
        device: where to train.

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
    device = torch.device(device)
    with one_cpu_thread(device):
        seed_everything(seed)
        shape = MLPConfig(in_features=x.shape[1], out_features=num_classes,
                          hidden=config.hidden, depth=config.depth, activation="relu")  # fmt: skip
        model = MLP(shape).to(device)
        x, y = x.to(device), y.to(device)
        gen = torch.Generator().manual_seed(seed)

        def loss(_: int) -> Tensor:
            index = torch.randint(x.shape[0], (min(config.batch, x.shape[0]),), generator=gen)
            return F.cross_entropy(model(x[index]), y[index])

        fit_config = FitConfig(steps=config.steps, lr=config.lr, log_every=config.steps,
                               desc="classifier")  # fmt: skip
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
        a class the samples use), ``am`` and ``am_exp`` (eq. (5), and its exponential),
        ``marginal_entropy`` :math:`H(\bar C^G)`, ``mean_entropy``
        :math:`\mathbb{E}_x H(C(x))`, ``marginal_kl``
        :math:`\mathrm{KL}(\bar C^{\mathrm{train}} \| \bar C^G)` and ``cross_entropy``
        :math:`H(\bar C^{\mathrm{train}}, \bar C^G)`, all in nats.
    """
    is_terms = inception_score_terms(probs)
    am_terms = am_score_terms(probs, reference_probs)
    try:
        mode = mode_score(probs, reference_probs).item()
    except ValueError:  # the reference gives a class used by the samples no mass
        mode = float("nan")
    return {
        "inception": inception_score(probs).item(),
        "mode": mode,
        "am": am_terms.score.item(),
        "am_exp": am_terms.score.exp().item(),
        "marginal_entropy": is_terms.marginal_entropy.item(),
        "mean_entropy": is_terms.mean_entropy.item(),
        "marginal_kl": am_terms.marginal_kl.item(),
        "cross_entropy": am_terms.cross_entropy.item(),
    }


# --------------------------------------------------------------------------------------------
# The digits GAN
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigitsGanConfig:
    """Settings of :func:`train_digits_gan`.

    Attributes:
        steps: updates of each player (>= 1).
        batch: images of each kind per update (>= 1).
        noise_dim: dimensions of the generator's Gaussian noise (>= 1).
        hidden: units of each hidden layer of both nets (>= 1).
        depth: hidden layers of both nets (>= 1).
        lr: the generator's Adam learning rate (> 0).
        d_lr: the discriminator's Adam learning rate (> 0).
        eval_samples: generated images scored at each measurement (>= 2).
        log_every: updates between measurements (>= 1).
    """

    steps: int = 2000
    batch: int = 64
    noise_dim: int = 16
    hidden: int = 128
    depth: int = 2
    lr: float = 2e-3
    d_lr: float = 2e-3
    eval_samples: int = 1000
    log_every: int = 100

    def __post_init__(self) -> None:
        for name, low in (("steps", 1), ("batch", 1), ("noise_dim", 1), ("hidden", 1),
                          ("depth", 1), ("eval_samples", 2), ("log_every", 1)):  # fmt: skip
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        for name in ("lr", "d_lr"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")


def generate_digits(
    generator_net: Generator, n: int, *, generator: torch.Generator | None = None
) -> Tensor:
    """``n`` images of the digits GAN: :math:`\\sigma(G(z))`, pixels in (0, 1), ``(n, 64)``."""
    with torch.no_grad():
        return torch.sigmoid(generator_net.sample(n, generator=generator))


def train_digits_gan(
    x_train: Tensor,
    classifier: nn.Module,
    config: DigitsGanConfig = DigitsGanConfig(),  # noqa: B008 (frozen, never mutated)
    *,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> tuple[list[dict[str, float]], Generator]:
    r"""Train an MLP GAN on the digits and score its samples as it learns.

    The generator maps :math:`z \sim \mathcal N(0, I)` to 64 logits whose sigmoids are the
    pixels; the discriminator maps 64 pixels to one logit. Each step makes one update of the
    discriminator (:func:`~beyond_mle.gan_losses.discriminator_loss`) and one of the generator
    (the non-saturating cost :math:`-\tfrac12 \log D(G(z))`), both with Adam. Before training
    and every ``log_every`` steps, ``eval_samples`` images from fixed noise are classified and
    scored against the classifier's probabilities on ``x_train`` (:func:`score_summary`).

    Args:
        x_train: the training images, shape ``(M, 64)``; also the reference of MODE and AM.
        classifier: images to logits ``(N, K)``, used only to score (never trained here).
        config: sizes, steps, learning rates and the measurement schedule.
        seed: seeds the nets and the batches.
        device: where to train.

    Returns:
        ``(history, generator)``: one row per measurement, ``step`` (0 first), ``d_loss`` and
        ``g_loss`` (means since the previous row; ``nan`` at step 0) and the values of
        :func:`score_summary`; and the trained generator.
    """
    if x_train.dim() != 2 or x_train.shape[1] != PIXELS:
        raise ValueError(f"x_train must have shape (M, {PIXELS}), got {tuple(x_train.shape)}")
    device = torch.device(device)
    with one_cpu_thread(device):
        seed_everything(seed)
        hidden, depth = config.hidden, config.depth
        g = Generator(
            MLPConfig(in_features=config.noise_dim, out_features=PIXELS, hidden=hidden, depth=depth)
        )
        d = Discriminator(MLPConfig(in_features=PIXELS, out_features=1, hidden=hidden, depth=depth))
        g, d = g.to(device), d.to(device)
        data = x_train.to(device)
        reference_probs = classifier_probs(classifier, data)  # (M, K)
        gen = torch.Generator().manual_seed(seed + 1)  # the training batches
        eval_noise = g.noise(config.eval_samples, generator=torch.Generator().manual_seed(seed + 2))

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
            steps=config.steps,
            lr=config.lr,
            d_lr=config.d_lr,
            log_every=config.log_every,
            desc=f"digits GAN, seed {seed}",
        )
        history = fit_adversarial(
            g.parameters(), d.parameters(), d_loss, g_loss, schedule, draw=draw, log=measure
        )
    return history, g.eval()


def score_tracking_experiment(
    split: DigitsSplit,
    classifier: nn.Module,
    config: DigitsGanConfig = DigitsGanConfig(),  # noqa: B008 (frozen, never mutated)
    *,
    n_seeds: int = 2,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> tuple[list[dict[str, float]], dict[int, Generator]]:
    """Train the digits GAN from ``n_seeds`` seeds and score each as it learns.

    Args:
        split: the digits; the GAN learns ``x_train``, which is also the reference.
        classifier: the scoring classifier.
        config: the GAN's settings.
        n_seeds: runs (>= 1), with seeds ``seed, seed + 1, ...``.
        seed: the first seed.
        device: where to train.

    Returns:
        The rows of :func:`train_digits_gan`, each with its ``seed``, and the trained generator
        of each seed.
    """
    if n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1, got {n_seeds}")
    rows: list[dict[str, float]] = []
    generators: dict[int, Generator] = {}
    for run_seed in range(seed, seed + n_seeds):
        history, g = train_digits_gan(
            split.x_train, classifier, config, seed=run_seed, device=device
        )
        rows += [{"seed": float(run_seed), **row} for row in history]
        generators[run_seed] = g
    return rows, generators


# --------------------------------------------------------------------------------------------
# Class imbalance: the Inception score ignores the reference, the AM score does not
# --------------------------------------------------------------------------------------------


def imbalance_experiment(
    split: DigitsSplit,
    classifier: nn.Module,
    *,
    imbalance: float = 10.0,
    n_samples: int = 1000,
    n_seeds: int = 5,
    seed: int = 0,
) -> list[dict[str, float | str]]:
    r"""Score stand-in generators against a class-imbalanced reference set.

    The reference is the training images resampled to :func:`geometric_mix` ``(imbalance)``.
    The "generators" are held-out images resampled (``n_samples`` each) to

    * ``uniform mix``: every class equally often;
    * ``reference mix``: the reference's mix, the ideal generator for this reference;
    * ``reversed mix``: the reference's mix with the classes' order reversed;
    * ``five classes``: classes 0 to 4 only, equally often (half the modes dropped).

    Args:
        split: the digits.
        classifier: the scoring classifier.
        imbalance: the reference's ratio of most to least frequent class (>= 1).
        n_samples: images per stand-in generator and in the reference (>= 1).
        n_seeds: independent resamplings (>= 1), seeds ``seed, seed + 1, ...``.
        seed: the first seed.

    Returns:
        One row per seed and generator: ``generator``, ``seed`` and :func:`score_summary`.
    """
    if n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1, got {n_seeds}")
    reference_mix = geometric_mix(imbalance)  # (K,)
    half = torch.cat([torch.full((5,), 0.2, dtype=torch.float64), torch.zeros(5).double()])
    mixes = {
        "uniform mix": geometric_mix(1.0),
        "reference mix": reference_mix,
        "reversed mix": reference_mix.flip(0),
        "five classes": half,
    }
    rows: list[dict[str, float | str]] = []
    for run_seed in range(seed, seed + n_seeds):
        gen = torch.Generator().manual_seed(run_seed)
        x_ref, _ = resample_to_mix(split.x_train, split.y_train, reference_mix, n_samples,
                                   generator=gen)  # fmt: skip
        reference_probs = classifier_probs(classifier, x_ref)
        for name, mix in mixes.items():
            x, _ = resample_to_mix(split.x_test, split.y_test, mix, n_samples, generator=gen)
            summary = score_summary(classifier_probs(classifier, x), reference_probs)
            rows.append({"generator": name, "seed": float(run_seed), **summary})
    return rows


# --------------------------------------------------------------------------------------------
# The score depends on the classifier
# --------------------------------------------------------------------------------------------


def classifier_dependence(
    split: DigitsSplit,
    sample_sets: Mapping[str, Tensor],
    config: ClassifierConfig = ClassifierConfig(),  # noqa: B008 (frozen, never mutated)
    *,
    few_per_class: int = 3,
    subset_classes: Sequence[int] = (0, 1, 2, 3, 4),
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> list[dict[str, float | str]]:
    """The Inception score of the same sample sets under classifiers of different fit.

    Three classifiers of the same shape (``config``) are trained: ``full`` on the whole
    training part; ``few samples`` on ``few_per_class`` images of each class; ``half the
    classes`` on the images of ``subset_classes`` only, with that many outputs.

    Args:
        split: the digits.
        sample_sets: named image sets to score, each ``(N, 64)``.
        config: the classifiers' shape and optimisation.
        few_per_class: training images per class of the ``few samples`` classifier (>= 1).
        subset_classes: the classes of the ``half the classes`` classifier (>= 2 distinct).
        seed: seeds the choice of the few images and the training.
        device: where to train.

    Returns:
        One row per classifier and sample set: ``classifier``, ``classes`` (its outputs K),
        ``accuracy`` (on the held-out images of its classes), ``samples`` and ``inception``.
    """
    if few_per_class < 1:
        raise ValueError(f"few_per_class must be >= 1, got {few_per_class}")
    subset = sorted(set(subset_classes))
    if len(subset) < 2 or subset[0] < 0 or subset[-1] >= NUM_CLASSES:
        raise ValueError(f"subset_classes must name >= 2 classes in [0, {NUM_CLASSES})")
    gen = torch.Generator().manual_seed(seed)
    few = torch.cat([
        torch.nonzero(split.y_train == k).squeeze(-1)[
            torch.randperm(int((split.y_train == k).sum()), generator=gen)[:few_per_class]
        ]
        for k in range(NUM_CLASSES)
    ])  # fmt: skip
    in_subset = torch.isin(split.y_train, torch.tensor(subset))
    relabel = torch.full((NUM_CLASSES,), -1, dtype=torch.int64)
    relabel[subset] = torch.arange(len(subset))  # class k -> its position in the subset
    trained = {
        "full": (train_classifier(split.x_train, split.y_train, config, seed=seed,
                                  device=device), list(range(NUM_CLASSES))),
        "few samples": (train_classifier(split.x_train[few], split.y_train[few], config,
                                         seed=seed, device=device), list(range(NUM_CLASSES))),
        "half the classes": (train_classifier(split.x_train[in_subset],
                                              relabel[split.y_train[in_subset]], config,
                                              num_classes=len(subset), seed=seed,
                                              device=device), subset),
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
