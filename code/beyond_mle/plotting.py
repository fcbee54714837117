"""The book's seaborn theme and the figure helpers its chapters share.

Figures are drawn for the book's text column (688 CSS px at a 1280 px window): a figure
:data:`COLUMN_WIDTH_IN` inches wide at :data:`FIGURE_DPI` dots per inch, with the inline
backend's margins, is shown at its own size, never scaled down, so a font of
:data:`MIN_FONT_PT` points is at least 9 px on screen. In a notebook, :func:`set_theme` also
turns on the inline backend's "retina" output: the PNG holds twice the pixels and tells the page
to show it at the figure's width.

:func:`figure_size` and :func:`subplots` size one-, two- and three-panel figures (more panels wrap
onto rows); :func:`legend_below` puts a figure's legend under its panels, off the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "COLUMN_WIDTH_IN",
    "FONT_SIZES",
    "FIGURE_DPI",
    "MAX_COLUMNS",
    "MIN_FONT_PT",
    "PALETTE",
    "figure_size",
    "legend_below",
    "metric_band",
    "seed_intervals",
    "match_matrix",
    "score_curves",
    "set_theme",
    "subplots",
    "vector_field",
]

#: Colours in the order the chapters use them (colour-blind safe).
PALETTE = sns.color_palette("colorblind")

#: The figure width that fills the text column, in inches at :data:`FIGURE_DPI`: 6.6 in x 100 dpi
#: is 660 px, and the 0.1 in margin the inline backend adds on each side makes 680 px.
COLUMN_WIDTH_IN = 6.6
#: Dots per inch of a figure at its display size (a CSS pixel per dot).
FIGURE_DPI = 100
#: The smallest font the theme sets, in points: 7 pt at 100 dpi is 9.7 px on screen.
MIN_FONT_PT = 7.0
#: Panels side by side at most; more wrap onto further rows.
MAX_COLUMNS = 3

#: Font sizes of the theme, in points (all at least MIN_FONT_PT).
FONT_SIZES: dict[str, Any] = {
    "font.size": 9.0,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "legend.fontsize": 8.0,
    "legend.title_fontsize": 8.0,
    "figure.titlesize": 10.0,
}

_PANEL_WIDTH = {1: 0.72, 2: 1.0, 3: 1.0}  # of the column, by panels per row


def set_theme() -> None:
    """Apply the book's figure style: seaborn's whitegrid, the colour-blind palette, the fonts.

    Sizes are those of :data:`FONT_SIZES` at :data:`FIGURE_DPI`; figures are laid out with
    matplotlib's constrained layout. In an IPython kernel the inline backend writes retina PNGs.
    """
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update(
        {
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": FIGURE_DPI,
            "figure.figsize": figure_size(1),
            "figure.constrained_layout.use": True,
            "axes.titleweight": "bold",
            "legend.frameon": True,
            "legend.framealpha": 0.9,
        }
    )
    for key, size in FONT_SIZES.items():
        plt.rcParams[key] = size  # type: ignore[index]
    _retina_inline()


def _retina_inline() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("retina")


def figure_size(
    ncols: int = 1, nrows: int = 1, *, aspect: float = 0.75, extra_height: float = 0.0
) -> tuple[float, float]:
    """The size, in inches, of a figure of ``nrows`` x ``ncols`` panels for the book's column.

    One panel takes 72% of the column, two or three the whole column.

    Args:
        ncols: panels per row, 1 to :data:`MAX_COLUMNS`.
        nrows: rows of panels, at least 1.
        aspect: each panel's height over its width.
        extra_height: inches added for a suptitle or a legend below the panels.

    Returns:
        ``(width, height)`` in inches.
    """
    if not 1 <= ncols <= MAX_COLUMNS:
        raise ValueError(
            f"ncols must be between 1 and {MAX_COLUMNS} (wrap more panels onto rows), got {ncols}"
        )
    if nrows < 1:
        raise ValueError(f"nrows must be at least 1, got {nrows}")
    if not 0.1 <= aspect <= 3.0:
        raise ValueError(f"aspect must be between 0.1 and 3, got {aspect}")
    if extra_height < 0:
        raise ValueError(f"extra_height must be >= 0, got {extra_height}")
    width = COLUMN_WIDTH_IN * _PANEL_WIDTH[ncols]
    return width, nrows * aspect * width / ncols + extra_height


def subplots(
    panels: int = 1,
    *,
    ncols: int | None = None,
    aspect: float = 0.75,
    extra_height: float = 0.0,
    **kwargs: Any,
) -> tuple[Figure, Any]:
    """``plt.subplots`` for ``panels`` panels at the column's width, wrapped onto rows.

    Args:
        panels: how many panels, at least 1.
        ncols: panels per row (default: all of them, up to :data:`MAX_COLUMNS`).
        aspect: each panel's height over its width.
        extra_height: inches added for a suptitle or a legend below.
        **kwargs: passed to ``plt.subplots`` (``sharex``, ``sharey``, ``squeeze``, ...).

    Returns:
        The figure and its axes, as ``plt.subplots`` returns them; a wrapped grid's unused
        panels are removed.
    """
    if panels < 1:
        raise ValueError(f"panels must be at least 1, got {panels}")
    ncols = min(panels, MAX_COLUMNS) if ncols is None else ncols
    nrows = math.ceil(panels / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=figure_size(ncols, nrows, aspect=aspect, extra_height=extra_height),
        **kwargs,
    )
    flat = np.atleast_1d(axes).ravel()
    for ax in flat[panels:]:
        ax.remove()
    return fig, axes


def legend_below(fig: Figure, ax: Axes | None = None, *, ncol: int | None = None, **kwargs: Any):
    """One legend for the whole figure, centred under its panels, off the data.

    Args:
        fig: the figure.
        ax: the axes whose handles to show (default: the first axes with labelled artists).
        ncol: legend columns (default: all entries on one row, at most 4).
        **kwargs: passed to ``Figure.legend``.

    Returns:
        The legend.
    """
    axes = [ax] if ax is not None else fig.axes
    for candidate in axes:
        handles, labels = candidate.get_legend_handles_labels()
        if handles:
            break
    else:
        raise ValueError("legend_below: no labelled artist in the figure")
    for candidate in fig.axes:
        legend = candidate.get_legend()
        if legend is not None:
            legend.remove()
    return fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=ncol or min(len(labels), 4),
        **kwargs,
    )


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
        width = min(0.6 * len(ref_labels) + 2, COLUMN_WIDTH_IN)
        _, ax = plt.subplots(figsize=(width, 0.5 * len(hyp_labels) + 1.5))
    sns.heatmap(
        np.asarray(matrix),
        ax=ax,
        vmin=0.0,
        vmax=vmax,
        cmap="Blues",
        annot=True,
        fmt=fmt,
        annot_kws={"fontsize": 7.5},
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
        _, ax = plt.subplots(figsize=figure_size(1, aspect=1.0))
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
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ax.set_xlim(*limits)
    ax.set_ylim(*limits)
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


def score_curves(
    curves,
    *,
    title: str,
    labels: dict[str, str],
    metrics: Sequence[str] = ("bleu", "gleu"),
    xlabel: str = "Adam step",
    ncols: int = 2,
) -> Figure:
    """Score against step: one panel per ``(length, vocab)`` configuration, wrapped in rows.

    In each panel the objective is the colour and the metric the line style (solid for the
    first metric, dashed, dotted for the next); one legend under the panels names both.

    Args:
        curves: a DataFrame with columns ``length``, ``vocab``, ``objective``, ``step`` and one
            column per metric (scores in [0, 1]).
        title: the figure's title.
        labels: the legend label of each objective, in drawing order.
        metrics: the score columns (at most three), one line style each.
        xlabel: the label of the step axis.
        ncols: panels per row.

    Returns:
        The figure (shown by the caller).
    """
    styles = ("-", "--", ":")
    if not 1 <= len(metrics) <= len(styles):
        raise ValueError(f"metrics must name 1 to {len(styles)} columns, got {list(metrics)}")
    configs = curves[["length", "vocab"]].drop_duplicates().to_numpy().tolist()
    fig, axes = subplots(
        len(configs),
        ncols=min(ncols, len(configs)),
        aspect=0.62,
        extra_height=0.7,
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    flat = axes.ravel()
    for panel, (length, vocab) in enumerate(configs):
        ax = flat[panel]
        config = curves[(curves.length == length) & (curves.vocab == vocab)]
        for k, (objective, label) in enumerate(labels.items()):
            run = config[config.objective == objective]
            for metric, style in zip(metrics, styles, strict=False):
                ax.plot(
                    run.step,
                    run[metric],
                    color=PALETTE[k],
                    linestyle=style,
                    label=f"{label}, {metric.upper()}",
                )
        ax.set_title(f"L = {length}, V = {vocab:,}")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("score of the argmax")
        ax.label_outer()
    legend_below(fig, flat[0], ncol=len(metrics) if len(labels) > 2 else 2 * len(metrics))
    fig.suptitle(title)
    return fig


def metric_band(
    summary,
    metric: str,
    axis: str,
    *,
    ax: Axes | None = None,
    label: str | None = None,
    color: Any = None,
    where: dict[str, Any] | None = None,
) -> Axes:
    """A sweep's metric against one grid axis: the mean over seeds, its 95% interval as a band.

    Args:
        summary: a sweep summary (``summary.csv`` as a DataFrame: columns ``metric``, ``mean``,
            ``ci_low``, ``ci_high``, ``n`` and one per grid axis other than the seed).
        metric: the metric's name (a dotted path of ``results.json``).
        axis: the grid axis along the horizontal axis.
        ax: where to draw; a new figure when ``None``.
        label: the line's legend label (default: the metric, with n).
        color: the line's colour.
        where: values of the other grid axes to select, e.g. ``{"vocab": 50}``.

    Returns:
        The axes drawn on.

    Raises:
        ValueError: no row of the summary has that metric (and selection).
    """
    rows = summary[summary["metric"] == metric]
    for key, value in (where or {}).items():
        rows = rows[rows[key].astype(str) == str(value)]
    if rows.empty:
        raise ValueError(f"metric_band: no summary row for metric {metric!r} with {where or {}}")
    rows = rows.sort_values(axis)
    if ax is None:
        _, ax = plt.subplots(figsize=figure_size(1))
    n = int(rows["n"].min())
    line = ax.plot(rows[axis], rows["mean"], marker="o", color=color,
                   label=label or f"{metric} (n = {n})")[0]  # fmt: skip
    ax.fill_between(rows[axis], rows["ci_low"], rows["ci_high"], color=line.get_color(),
                    alpha=0.2, linewidth=0)  # fmt: skip
    ax.set_xlabel(axis)
    ax.set_ylabel(metric)
    return ax


def seed_intervals(
    table,
    *,
    ax: Axes | None = None,
    xlabel: str,
    labels: Sequence[str] | None = None,
    color: Any = None,
) -> Axes:
    """Each row's mean over the seeds with its 95% interval, one horizontal line per row.

    Args:
        table: rows of :func:`beyond_mle.experiments.sweep.table_intervals`.
        ax: where to draw; a new figure when ``None``.
        xlabel: the quantity and its unit.
        labels: the rows' names (default: the table's labels).
        color: the points' colour.

    Returns:
        The axes drawn on.
    """
    names = list(labels) if labels is not None else list(table["label"])
    if len(names) != len(table):
        raise ValueError(f"labels must name {len(table)} rows, got {len(names)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(COLUMN_WIDTH_IN, 0.28 * len(table) + 1.0))
    y = np.arange(len(table))[::-1]
    mean = table["mean"].to_numpy(dtype=float)
    low = table["ci_low"].to_numpy(dtype=float)
    high = table["ci_high"].to_numpy(dtype=float)
    known = np.isfinite(low) & np.isfinite(high)  # no interval for a single seed
    errors = np.vstack([np.where(known, mean - low, 0.0), np.where(known, high - mean, 0.0)])
    ax.errorbar(mean, y, xerr=errors, fmt="o", color=color or PALETTE[0], capsize=3)
    ax.set_yticks(y, names)
    ax.set_xlabel(xlabel)
    n = int(table["n"].min())
    ax.set_title(f"mean and 95% interval over {n} seeds")
    return ax
