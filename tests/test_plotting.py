"""Tests of beyond_mle.plotting's shared figure helpers."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from beyond_mle.plotting import match_matrix, score_curves  # noqa: E402


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
    assert len(axes) == 4
    assert axes[0].get_ylabel() == "BLEU of the argmax" and axes[-1].get_xlabel() == "Adam step"
    assert len(axes[0].lines) == 2
    plt.close(fig)


def test_match_matrix_draws_labelled_axes():
    ax = match_matrix(
        torch.eye(3).numpy(), hyp_labels=["a", "b", "c"], ref_labels=["a", "b", "c"], title="t"
    )
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "t"
    plt.close(ax.figure)
