r"""scikit-learn's digits: the bundled 8 x 8 images, split once, and resampled to class mixes.

Introduced in the chapter "Inception, MODE and AM scores", where a classifier trained on them
plays the Inception network and a GAN learns them. :func:`load_digits_split` gives the one split
of the book (:func:`sklearn.datasets.load_digits`, 1,797 images, 10 classes, nothing
downloaded); :func:`geometric_mix` and :func:`resample_to_mix` redraw a labelled set so that
its classes follow a given mix (a class-imbalanced reference set, stand-in generators).

Pixels are scaled to :math:`[0, 1]` (the raw values are 0 to 16); every image is a row of 64
numbers, ``(N, 64)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "NUM_CLASSES",
    "PIXELS",
    "DigitsSplit",
    "geometric_mix",
    "load_digits_split",
    "resample_to_mix",
]

#: Classes of the digits data set (0 to 9).
NUM_CLASSES = 10
#: Pixels of one image (8 x 8).
PIXELS = 64


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
            the same held-out images, whatever its own seed).

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
        generator: the random source of the draw.

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
