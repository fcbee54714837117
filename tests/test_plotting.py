"""Tests of beyond_mle.plotting's shared figure helpers."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from beyond_mle.plotting import (  # noqa: E402
    COLUMN_WIDTH_IN,
    FIGURE_DPI,
    FONT_SIZES,
    MIN_FONT_PT,
    figure_size,
    legend_below,
    match_matrix,
    metric_band,
    score_curves,
    seed_intervals,
    set_theme,
    subplots,
)


def test_score_curves_draws_one_panel_per_configuration_and_metric():
    rows = [
        {"length": length, "vocab": vocab, "objective": obj, "step": step, "bleu": 0.5, "gleu": 0.4}
        for length in (8, 12)
        for vocab in (50,)
        for obj in ("ce", "bleu")
        for step in (1, 2)
    ]
    fig = score_curves(pd.DataFrame(rows), title="t", labels={"ce": "CE", "bleu": "BLEU"})
    axes = fig.axes
    assert len(axes) == 2  # one panel per (length, vocab)
    assert axes[0].get_ylabel() == "score of the argmax" and axes[-1].get_xlabel() == "Adam step"
    assert len(axes[0].lines) == 4  # 2 objectives x 2 metrics
    assert [t.get_text() for t in fig.legends[0].get_texts()][:2] == ["CE, BLEU", "CE, GLEU"]
    plt.close(fig)


def test_match_matrix_draws_labelled_axes():
    ax = match_matrix(
        torch.eye(3).numpy(), hyp_labels=["a", "b", "c"], ref_labels=["a", "b", "c"], title="t"
    )
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "t"
    plt.close(ax.figure)


def test_figure_size_fits_the_column_and_wraps():
    assert figure_size(2)[0] == figure_size(3)[0] == COLUMN_WIDTH_IN
    assert figure_size(1)[0] < COLUMN_WIDTH_IN
    assert figure_size(2, 2)[1] == 2 * figure_size(2, 1)[1]
    with pytest.raises(ValueError, match="ncols must be between 1 and 3"):
        figure_size(4)
    fig, axes = subplots(5, sharey=True)
    assert axes.shape == (2, 3) and len(fig.axes) == 5  # the sixth panel removed
    assert fig.get_size_inches()[0] == COLUMN_WIDTH_IN
    plt.close(fig)


def test_theme_fonts_are_readable_at_display_size():
    set_theme()
    sizes = {key: plt.rcParams[key] for key in FONT_SIZES}
    assert min(sizes.values()) >= MIN_FONT_PT
    # a MIN_FONT_PT font on a figure shown at FIGURE_DPI CSS pixels per inch
    assert MIN_FONT_PT * FIGURE_DPI / 72 >= 9.0
    assert plt.rcParams["figure.dpi"] == FIGURE_DPI
    assert plt.rcParams["figure.figsize"][0] <= COLUMN_WIDTH_IN


def test_legend_below_replaces_the_panel_legends():
    fig, axes = subplots(2)
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="a")
        ax.legend()
    legend = legend_below(fig)
    assert all(ax.get_legend() is None for ax in axes) and fig.legends == [legend]
    plt.close(fig)


def test_metric_band_draws_the_mean_and_its_interval():
    summary = pd.DataFrame(
        {
            "lr": [0.1, 0.01, 0.1],
            "metric": ["loss", "loss", "acc"],
            "n": [5, 5, 5],
            "mean": [1.0, 2.0, 0.5],
            "ci_low": [0.5, 1.5, 0.4],
            "ci_high": [1.5, 2.5, 0.6],
        }
    )
    ax = metric_band(summary, "loss", "lr")
    assert list(ax.lines[0].get_xdata()) == [0.01, 0.1] and ax.collections
    assert ax.get_xlabel() == "lr" and "n = 5" in ax.lines[0].get_label()
    with pytest.raises(ValueError, match="no summary row"):
        metric_band(summary, "missing", "lr")
    plt.close(ax.figure)


def test_seed_intervals_draw_one_row_per_table_row():
    table = pd.DataFrame(
        {"label": ["a", "b"], "mean": [1.0, 2.0], "ci_low": [0.5, float("nan")],
         "ci_high": [1.5, float("nan")], "n": [5, 1]}
    )  # fmt: skip
    ax = seed_intervals(table, xlabel="score")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.get_xlabel() == "score" and "1 seeds" in ax.get_title()
    with pytest.raises(ValueError, match="labels must name 2 rows"):
        seed_intervals(table, xlabel="x", labels=["only one"])
    plt.close(ax.figure)
