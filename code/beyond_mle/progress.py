"""The progress bar of the book's long loops.

Bars go to the terminal or, inside a notebook with ipywidgets, to a widget; without ipywidgets
a notebook gets a text bar. Setting the environment variable ``BEYOND_MLE_PROGRESS=0`` turns
every bar off, as the tests, nbval and the experiment runner's kernels do, so that executed
notebooks hold no progress output.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from typing import Any

from tqdm.std import TqdmWarning
from tqdm.std import tqdm as _text_tqdm

__all__ = ["PROGRESS_VARIABLE", "progress", "progress_enabled"]

#: The environment variable that turns the progress bars off when it is ``"0"``.
PROGRESS_VARIABLE = "BEYOND_MLE_PROGRESS"

_OFF = frozenset({"0", "false", "no", "off"})


def progress_enabled() -> bool:
    """Whether progress bars are shown: unless ``BEYOND_MLE_PROGRESS`` is ``"0"`` (or ``off``)."""
    return os.environ.get(PROGRESS_VARIABLE, "1").strip().lower() not in _OFF


def _auto_tqdm() -> type[_text_tqdm]:
    """``tqdm.auto.tqdm``, without the warning it gives in a kernel that lacks ipywidgets."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm

    return tqdm


def progress(iterable: Iterable[Any] | None = None, **tqdm_kwargs: Any) -> _text_tqdm:
    """A ``tqdm.auto.tqdm`` over ``iterable``, disabled when ``BEYOND_MLE_PROGRESS=0``.

    Args:
        iterable: what to iterate over; ``None`` for a bar updated by hand.
        **tqdm_kwargs: passed to tqdm (``total``, ``desc``, ``leave``, ...). ``disable=True``
            turns this bar off; the environment variable turns every bar off.

    Returns:
        The bar, which iterates over ``iterable``.

    Example:
        >>> sum(progress(range(4), desc="sum"))
        6
    """
    disable = bool(tqdm_kwargs.pop("disable", False)) or not progress_enabled()
    if disable:
        return _text_tqdm(iterable, disable=True, **tqdm_kwargs)
    return _auto_tqdm()(iterable, **tqdm_kwargs)
