"""Claims of the chapter "Teacher-forcing leakage" (Casas et al. 2018, §3.4).

The paper describes the leak in words, without numbers; each bound reads its words ("always
generated the previous gold token": a leakage rate of at least 0.9; "very good in training, very
poor in test": a gap of at least 0.35 GLEU, about half the smallest over five book-scale seeds).
Every seed lies more than two standard deviations clear of each bound. The echo's leakage rate
is an identity of the construction, a ratio of integer counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beyond_mle.claims import Claim, Identity, Interval, Ordering, at

SOURCE = "Casas et al. (2018), §3.4"


def _final(loss_name: str, column: str):
    """A measure reading ``column`` of the final row of the model trained on ``loss_name``."""

    def measure(results: Mapping[str, Any]) -> float:
        rows = [row for row in results["final"] if row["loss_name"] == loss_name]
        if len(rows) != 1:
            raise KeyError(f"{len(rows)} final rows for loss {loss_name!r}, not one")
        return rows[0][column]

    return measure


def _xent_leak_over_chance(results: Mapping[str, Any]) -> float:
    return _final("xent", "leakage")(results) - _final("xent", "chance")(results)


def _gleu_tf_over_echo(results: Mapping[str, Any]) -> float:
    return _final("gleu", "tf_gleu")(results) - results["levels"]["GLEU of the echo"]


#: What the paper preset still needs (no GPU run of it is committed yet): 2 losses x 10,000
#: steps of a 6-layer, 256-wide Transformer decoder over 32,768 words.
PAPER_RUN = "needs a GPU, about 10 min (an estimate from its size, not a measurement)"

CLAIMS = (
    Claim(
        key="gleu-loss-echoes-gold",
        statement=(
            "A GLEU loss on teacher-forced outputs teaches the decoder to emit, at each "
            "position, the previous gold token it was fed"
        ),
        source=f"{SOURCE}, first paragraph",
        paper="every output token is the gold token fed at that step (no number)",
        quantity=(
            "GLEU model's final leakage rate: share of held-out positions whose teacher-forced "
            "prediction equals the gold token fed there (0 to 1)"
        ),
        measure=_final("gleu", "leakage"),
        test=Interval(0.9, None),
    ),
    Claim(
        key="training-score-good-test-poor",
        statement=(
            "The echo scores well under teacher forcing and poorly when the model decodes on "
            "its own"
        ),
        source=f"{SOURCE}, first paragraph",
        paper="high during training, low at test time (no number)",
        quantity=(
            "GLEU model's final held-out corpus GLEU, teacher-forced and free-running greedy "
            "(0 to 1)"
        ),
        measure=lambda results: (
            _final("gleu", "tf_gleu")(results),
            _final("gleu", "free_gleu")(results),
        ),
        test=Ordering(0.35, "teacher-forced GLEU", "free-running GLEU"),
    ),
    Claim(
        key="training-score-is-the-echo",
        statement=(
            "The GLEU model's teacher-forced score is that of the exact echo of the gold prefix: "
            "the leak, not the task, earns it"
        ),
        source=f"{SOURCE} (described, not measured there)",
        paper="-",
        quantity=(
            "GLEU model's final teacher-forced held-out GLEU minus the GLEU of the exact echo "
            "of the gold targets"
        ),
        measure=_gleu_tf_over_echo,
        test=Interval(-0.05, 0.05),
    ),
    Claim(
        key="cross-entropy-does-not-leak",
        statement=(
            "Cross-entropy under teacher forcing does not echo its input: its leakage rate is "
            "the gold sequence's own (chance)"
        ),
        source=f"{SOURCE}, second paragraph",
        paper="no leak under cross-entropy (no number)",
        quantity="cross-entropy model's final leakage rate minus the chance level",
        measure=_xent_leak_over_chance,
        test=Interval(-0.05, 0.05),
    ),
    Claim(
        key="leak-ruins-free-running",
        statement=(
            "Decoding freely, the GLEU-trained model falls far below the cross-entropy model "
            "trained on the same data"
        ),
        source=f"{SOURCE}, first paragraph",
        paper="low at test time (no number)",
        quantity="final free-running held-out corpus GLEU of the cross-entropy and GLEU models",
        measure=lambda results: (
            _final("xent", "free_gleu")(results),
            _final("gleu", "free_gleu")(results),
        ),
        test=Ordering(0.45, "cross-entropy's free-running GLEU", "the GLEU model's"),
    ),
    Claim(
        key="echo-leaks-fully",
        statement=(
            "The leakage rate measures the echo: the gold targets shifted one place score "
            "exactly 1 on it"
        ),
        source=f"{SOURCE} (the behaviour described; the measure is the chapter's)",
        paper="-",
        quantity="leakage rate of the exact echo of the held-out gold targets",
        measure=at("levels", "leakage of the echo"),
        test=Identity(1.0, 1e-12),
    ),
)
