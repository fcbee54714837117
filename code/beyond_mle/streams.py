"""Named random streams derived from one seed.

An experiment draws its randomness from several independent sources: the training data, the
held-out data, the initial weights, the order of the batches, sampling noise. Offsetting one
seed by hand (``seed + 1`` for the test data, ``seed + 1`` again for the noise elsewhere) makes
two streams collide by accident, and makes seed ``s + 1`` of one run share a stream with seed
``s`` of another. Here every stream is named, and its seed is a hash of ``(seed, name)``:

>>> stream_seed(0, "test data") == stream_seed(0, "train data")
False
>>> stream_seed(1, "train data") == stream_seed(0, "train data")
False
>>> stream_seed(0, "train data") == stream_seed(0, "train data")
True

A name may carry an index, e.g. ``f"run {i}"`` for the ``i``-th of several runs.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import torch

__all__ = ["generator", "numpy_generator", "seed_global", "stream_seed"]

_BITS = 63


def stream_seed(seed: int, name: str) -> int:
    """The seed of stream ``name`` under the experiment's ``seed``: 63 bits of a BLAKE2b hash.

    Args:
        seed: the experiment's seed (an integer >= 0).
        name: the stream's name, e.g. ``"test data"`` or ``"gumbel noise"``.

    Raises:
        ValueError: if ``seed`` is negative or not an integer, or ``name`` is empty.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    digest = hashlib.blake2b(f"{int(seed)}\x00{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> (64 - _BITS)


def generator(seed: int, name: str, device: torch.device | str | None = None) -> torch.Generator:
    """A torch generator on ``device`` (CPU by default) seeded for stream ``name``."""
    made = torch.Generator() if device is None else torch.Generator(device=device)
    return made.manual_seed(stream_seed(seed, name))


def numpy_generator(seed: int, name: str) -> np.random.Generator:
    """A NumPy generator seeded for stream ``name``."""
    return np.random.default_rng(stream_seed(seed, name))


def seed_global(seed: int, name: str = "initial weights") -> None:
    """Seed Python's, NumPy's and torch's global state (CPU and CUDA) for stream ``name``.

    Modules draw their initial weights from torch's global state; seeding it by name before
    building a model makes the weights a stream like the others.
    """
    value = stream_seed(seed, name)
    random.seed(value)
    np.random.seed(value % 2**32)  # noqa: NPY002 (seeds code that uses the global state)
    torch.manual_seed(value)
