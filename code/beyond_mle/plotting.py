"""The book's seaborn theme and the figure helpers its chapters share."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.axes import Axes

__all__ = ["PALETTE", "match_matrix", "score_curves", "set_theme", "vector_field"]

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


def vector_field(
    x: np.ndarray,
    y: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    *,
    title: str,
    ax: Axes | None = None,
    xlabel: str = "$p_0$",
    ylabel: str = "$p_1$",
    points: dict[str, tuple[float, float]] | None = None,
    normalise: bool = True,
    limits: tuple[float, float] = (0.0, 1.0),
) -> Axes:
    """Draw a labelled vector field: one arrow per point, coloured by its length.

    Introduced in the chapter "The pull to the average". With ``normalise`` every arrow has the
    same length, so that the direction reads everywhere; its colour gives the field's
    magnitude on a log scale (dark: small). Zero vectors are drawn as dots.

    Args:
        x: arrow positions along the horizontal axis, any shape.
        y: positions along the vertical axis, the same shape.
        u: horizontal components, the same shape.
        v: vertical components, the same shape.
        title: the panel's title.
        ax: where to draw; a new figure when ``None``.
        xlabel: the horizontal axis' label.
        ylabel: the vertical axis' label.
        points: named points to mark (fixed points, references), label -> ``(x, y)``.
        normalise: draw unit arrows coloured by magnitude, or arrows of their true length.
        limits: the range of both axes.

    Returns:
        The axes drawn on.
    """
    x, y, u, v = (np.asarray(a, dtype=float).ravel() for a in (x, y, u, v))
    if not x.size == y.size == u.size == v.size:
        raise ValueError(
            f"x, y, u, v must have the same size, got {x.size, y.size, u.size, v.size}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4.2))
    speed = np.hypot(u, v)
    moving = speed > 1e-12 * max(float(speed.max(initial=0.0)), 1e-300)
    if normalise:
        u = np.where(moving, u / np.where(moving, speed, 1.0), 0.0)
        v = np.where(moving, v / np.where(moving, speed, 1.0), 0.0)
    colour = np.log10(np.where(moving, speed, np.nan))
    ax.quiver(
        x[moving], y[moving], u[moving], v[moving], colour[moving],
        cmap="viridis", pivot="mid", angles="xy", width=0.006,
        scale=1.3 * np.sqrt(x.size) if normalise else None,
    )  # fmt: skip
    ax.plot(x[~moving], y[~moving], ".", color="0.3", markersize=4)
    for k, (label, (px, py)) in enumerate((points or {}).items()):
        ax.plot(px, py, "o", color=PALETTE[3 + k % 4], markersize=8, markeredgecolor="k",
                label=label, zorder=5)  # fmt: skip
    if points:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8, ncol=2)
    ax.set_xlim(*limits)
    ax.set_ylim(*limits)
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    return ax


def score_curves(
    curves,
    *,
    title: str,
    labels: dict[str, str],
    metrics: Sequence[str] = ("bleu", "gleu"),
    xlabel: str = "Adam step",
) -> plt.Figure:
    """Score against step, one column per ``(length, vocab)`` configuration, one row per metric.

    Args:
        curves: a DataFrame with columns ``length``, ``vocab``, ``objective``, ``step`` and one
            column per metric (scores in [0, 1]).
        title: the figure's title.
        labels: the legend label of each objective, in drawing order.
        metrics: the score columns, one row of panels each.
        xlabel: the label of the step axis.

    Returns:
        The figure (shown by the caller).
    """
    configs = curves[["length", "vocab"]].drop_duplicates().to_numpy().tolist()
    fig, axes = plt.subplots(
        len(metrics),
        len(configs),
        figsize=(3.1 * len(configs) + 1, 2.8 * len(metrics)),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for col, (length, vocab) in enumerate(configs):
        config = curves[(curves.length == length) & (curves.vocab == vocab)]
        for row, metric in enumerate(metrics):
            ax = axes[row, col]
            for k, (objective, label) in enumerate(labels.items()):
                run = config[config.objective == objective]
                ax.plot(run.step, run[metric], color=PALETTE[k], label=label)
            ax.set_title(f"L = {length}, V = {vocab:,}", fontsize=10)
            ax.set_ylim(-0.02, 1.02)
            if col == 0:
                ax.set_ylabel(f"{metric.upper()} of the argmax")
            if row == len(metrics) - 1:
                ax.set_xlabel(xlabel)
    axes[0, 0].legend(fontsize=8, loc="center right")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
