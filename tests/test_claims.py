"""Claims: the tests' kinds, and every chapter's claims evaluated on every committed run.

The committed results are data: a change to the package or to a claim that alters what a
committed run means fails here on any machine, without a rerun.
"""

from __future__ import annotations

import functools
import statistics
from collections import defaultdict

import pytest

from beyond_mle.claims import (
    SPREAD_MARGIN,
    Claim,
    ClaimError,
    Identity,
    Interval,
    Ordering,
    at,
    chapter_claims,
    claims_table,
    rows,
    run_scale,
    verdict_lines,
)
from beyond_mle.experiments import EXPERIMENTS, find_root
from beyond_mle.reproduces import PAGE, committed_runs, render_page

RUNS = committed_runs()
BOOK_SEEDS = 5


def _claim(test, **kwargs) -> Claim:
    fields = dict(statement="s", source="src", paper="-", quantity="q", measure=at("x"))
    return Claim("k", test=test, **{**fields, **kwargs})


# The kinds of test


def test_interval_ordering_identity_decide_and_describe():
    assert Interval(0.5, 1.0).passes(0.5) and not Interval(0.5, 1.0).passes(1.01)
    assert Interval(None, 0.4).describe() == "<= 0.4" and Interval(0.4).describe() == ">= 0.4"
    assert not Interval(0.0, 1.0).passes(float("nan"))
    ordering = Ordering(0.1, "a", "b")
    assert ordering.reduce((3.0, 2.5)) == 0.5 and ordering.passes(0.5)
    assert not ordering.passes(ordering.reduce((2.5, 3.0)))
    assert Identity(1.0, 1e-9).passes(1.0 + 1e-10) and not Identity(1.0, 1e-9).passes(1.1)
    assert Identity(0.0, 1e-12).boundaries() == ()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Interval(), "needs low, high or both"),
        (lambda: Interval(2.0, 1.0), "empty"),
        (lambda: Interval(float("nan"), 1.0), "finite"),
        (lambda: Identity(0.0, -1.0), "tolerance must be >= 0"),
        (lambda: Ordering(0.1, "", "b"), "names what should be larger"),
        (lambda: _claim(Interval(0.0), scales=("huge",)), "unknown scale 'huge'"),
        (lambda: _claim(Interval(0.0), statement=""), "statement is empty"),
        (
            lambda: _claim(Interval(0.0), scales=("paper",), contradicted={"book": "r"}),
            "contradicted at 'book', not tested",
        ),
    ],
)
def test_bad_declarations_are_refused(make, message):
    with pytest.raises(ClaimError, match=message):
        make()


def test_claim_verdicts_and_reasons():
    claim = _claim(Interval(0.9), contradicted={"paper": "too few steps"})
    assert claim.evaluate({"x": 0.95}, "book").verdict == "reproduced"
    low = claim.evaluate({"x": 0.5}, "paper")
    assert low.verdict == "contradicted" and low.reason == "too few steps"
    assert claim.evaluate({"x": 0.5}, "book").reason == "(no reason declared)"
    only_paper = _claim(Interval(0.9), scales=("paper",))
    untested = only_paper.evaluate({"x": 0.5}, "book")
    assert untested.verdict == "not tested at this scale" and untested.value == 0.5
    with pytest.raises(ClaimError, match="results do not hold 'q'"):
        claim.evaluate({"y": 1.0})
    with pytest.raises(ClaimError, match="Ordering's measure returns"):
        _claim(Ordering(0.0, "a", "b")).evaluate({"x": 1.0})


def test_at_reads_rows_of_stored_tables():
    table = {"t": {"n": [8, 8, 12], "kind": ["a", "b", "a"], "v": [1.0, 2.0, 3.0]}}
    assert at("t", "n=8,kind=b", "v")(table) == 2.0
    assert at("t", "v", 2)(table) == 3.0
    assert at("t", {"n": 12, "kind": "a"}, "v")(table) == 3.0
    with pytest.raises(KeyError, match="2 rows match"):
        at("t", "n=8", "v")(table)
    assert rows(table["t"], n=8) == [
        {"n": 8, "kind": "a", "v": 1.0},
        {"n": 8, "kind": "b", "v": 2.0},
    ]
    with pytest.raises(KeyError, match="no row matches"):
        rows(table["t"], kind="c")


def test_run_scale_is_book_only_at_the_defaults():
    spec = EXPERIMENTS["token_copying"]
    defaults = {name: param.default for name, param in spec.params.items()}
    assert run_scale("token_copying", {**defaults, "seed": 7, "device": "cuda"}) == "book"
    assert run_scale("token_copying", {**defaults, "steps": defaults["steps"] + 1}) == "paper"


# Every chapter's claims on the committed runs


def test_every_chapter_declares_claims_and_five_book_scale_seeds():
    for name in EXPERIMENTS:
        claims = chapter_claims(name)
        assert len(claims) >= 3, f"{name}: {len(claims)} claims declared"
        seeds = {run.seed for run in RUNS if run.experiment == name and run.scale == "book"}
        assert len(seeds) >= BOOK_SEEDS, f"{name}: book-scale runs for seeds {sorted(seeds)}"


def test_committed_runs_were_made_from_clean_trees():
    for run in RUNS:
        git = run.provenance["git"]
        assert git["dirty"] is False, f"{run.experiment}/{run.folder}: made from a dirty tree"


@pytest.mark.parametrize("run", RUNS, ids=lambda run: f"{run.experiment}/{run.folder}")
def test_committed_run_decides_every_claim_as_declared(run):
    """A claim is contradicted on a committed run exactly where a reason is declared."""
    for claim in chapter_claims(run.experiment):
        evaluation = claim.evaluate(run.results, run.scale)
        if evaluation.verdict == "not tested at this scale":
            continue
        declared = run.scale in claim.contradicted
        assert (evaluation.verdict == "contradicted") == declared, (
            f"{run.experiment}/{run.folder}: claim {claim.key!r} is {evaluation.verdict} "
            f"({claim.quantity} = {evaluation.value!r}, test {claim.test.describe()}), but "
            + ("a reason for a contradiction is declared" if declared else "no reason is declared")
        )


@functools.cache
def _book_values() -> dict[tuple[str, str], list[float]]:
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for run in RUNS:
        if run.scale != "book":
            continue
        for claim in chapter_claims(run.experiment):
            if "book" in claim.scales and claim.test.boundaries():
                values[run.experiment, claim.key].append(claim.value(run.results))
    return values


@pytest.mark.parametrize(("experiment", "key"), sorted(_book_values()), ids=lambda part: str(part))
def test_book_scale_bounds_leave_every_seed_clear_of_the_boundary(experiment, key):
    """Every seed is decided alike, at least SPREAD_MARGIN standard deviations from a bound."""
    values = _book_values()[experiment, key]
    claim = next(claim for claim in chapter_claims(experiment) if claim.key == key)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    for bound in claim.test.boundaries():
        closest = min(abs(value - bound) for value in values)
        assert closest >= SPREAD_MARGIN * spread, (
            f"{experiment}: claim {key!r}: a seed lies {closest:.3g} from the bound {bound:g}, "
            f"less than {SPREAD_MARGIN:g} x the spread over seeds ({spread:.3g}); values {values}"
        )
    assert len({claim.test.passes(value) for value in values}) == 1


def test_claims_table_and_verdict_lines_of_a_committed_run():
    run = next(run for run in RUNS if run.experiment == "token_copying" and run.scale == "book")
    table = claims_table(run.experiment, run.results, run.scale)
    assert list(table.columns) == ["claim", "source", "paper", "ours", "test", "verdict"]
    assert len(table) == len(chapter_claims(run.experiment))
    lines = verdict_lines(run.experiment, run.results, run.scale).splitlines()
    assert lines[0] == f"book scale, {len(table)} claims" and len(lines) == len(table) + 1


def test_the_page_what_reproduces_is_current():
    page = find_root() / PAGE
    assert page.is_file(), f"{PAGE} is missing: write it with 'python -m beyond_mle reproduces'"
    assert page.read_text(encoding="utf-8") == render_page(), (
        f"{PAGE} is stale: regenerate it with 'python -m beyond_mle reproduces'"
    )


def test_the_examples_in_the_docstrings_run():
    import doctest

    import beyond_mle.claims

    assert doctest.testmod(beyond_mle.claims).failed == 0


def test_pending_note_says_what_the_run_needs_and_the_command():
    from beyond_mle.reproduces import pending_note

    note = pending_note("token_copying")
    assert "needs a GPU" in note
    assert "    python -m beyond_mle run token_copying --preset paper -p device cuda" in note
    assert "make gpu (see Running the experiments)" in note
    assert all(len(line) <= 88 for line in note.splitlines())
    assert "-p device cuda" not in pending_note("bce_loss")
    assert "make gpu" not in pending_note("bce_loss")
    with pytest.raises(ValueError, match="preset must be one of"):
        pending_note("bce_loss", "huge")


def test_the_gpu_estimate_comes_from_the_plan(tmp_path):
    from beyond_mle.reproduces import GPU_PLAN, _pending, gpu_estimate_minutes

    assert gpu_estimate_minutes("token_copying", tmp_path) is None
    assert _pending("token_copying", tmp_path) == "needs a GPU"
    (tmp_path / GPU_PLAN).parent.mkdir(parents=True)
    (tmp_path / GPU_PLAN).write_text('{"jobs": {"token_copying": {"gpu_s": 450.0}}}')
    assert gpu_estimate_minutes("token_copying", tmp_path) == 7.5
    assert gpu_estimate_minutes("cot", tmp_path) is None
    assert _pending("token_copying", tmp_path).startswith(
        "needs a GPU, about 8 min of one H200 by make gpu-plan's estimate"
    )
    assert _pending("bce_loss", tmp_path) == "run the paper preset"
