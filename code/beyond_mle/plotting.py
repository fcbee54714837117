"""The book's seaborn theme and the figure helpers its chapters share."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.axes import Axes

__all__ = ["PALETTE", "match_matrix", "set_theme"]

#: Colours in the order the chapters use them (colour-blind safe).
PALETTE = sns.color_palette("colorblind")


def set_theme() -> None:
    """Apply the book's figure style: seaborn's whitegrid, the colour-blind palette, 110 dpi."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "axes.titleweight": "bold"})


def match_matrix(
    matrix: np.ndarray,
    *,
    hyp_labels: Sequence[str],
    ref_labels: Sequence[str],
    title: str,
    ax: Axes | None = None,
    fmt: str = ".2f",
    vmax: float = 1.0,
) -> Axes:
    """Draw a match matrix: rows are hypothesis positions, columns reference positions.

    Args:
        matrix: values in ``[0, vmax]``, shape ``(len(hyp_labels), len(ref_labels))``.
        hyp_labels: one label per hypothesis position (row).
        ref_labels: one label per reference position (column).
        title: the panel's title.
        ax: where to draw; a new figure when ``None``.
        fmt: the format of the numbers written in the cells.
        vmax: the top of the colour scale.

    Returns:
        The axes drawn on.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(0.6 * len(ref_labels) + 2, 0.5 * len(hyp_labels) + 1.5))
    sns.heatmap(
        np.asarray(matrix),
        ax=ax,
        vmin=0.0,
        vmax=vmax,
        cmap="Blues",
        annot=True,
        fmt=fmt,
        annot_kws={"fontsize": 8},
        cbar=False,
        xticklabels=list(ref_labels),
        yticklabels=list(hyp_labels),
        linewidths=0.5,
        linecolor="white",
    )
    ax.set_xlabel("reference position (token)")
    ax.set_ylabel("hypothesis position (token)")
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=0)
    ax.tick_params(axis="y", rotation=0)
    return ax
