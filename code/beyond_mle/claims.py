"""Claims: what a chapter says a source found, what we measure, and the test that decides it.

A chapter's result is a claim, not a digit. Each :class:`Claim` names its source and location
(paper, section, equation, table or figure), the paper's value where there is one, the quantity
we measure in a run's results (the dict that the chapter saves as ``results.json``), and one of
three tests:

- :class:`Interval`: the measured value lies in ``[low, high]``;
- :class:`Ordering`: one measured value exceeds another by at least a margin;
- :class:`Identity`: the measured value equals an exact one within a tolerance.

A claim is **reproduced** when its test passes on a run and **contradicted** when it fails; a
contradicted claim stays, with the reason declared beside it (``contradicted``, per scale). The
claims of a chapter are declared once, in ``beyond_mle.chapters.<chapter>`` as ``CLAIMS``.

Tolerances that decide a training outcome are set from data: every training experiment was run
at book scale with five seeds (the sweep ``book/results/<experiment>/seeds/``), and the
bounds of each interval and ordering leave every seed at least :data:`SPREAD_MARGIN` standard
deviations (over those seeds) away from the boundary, so that a rerun on another processor,
thread count or seed is decided the same way. ``tests/test_claims.py`` checks that rule on the
committed runs. An identity's tolerance comes from the arithmetic instead (a float64 bound).
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from beyond_mle.config import ChapterConfig

__all__ = [
    "SCALES",
    "SPREAD_MARGIN",
    "VERDICTS",
    "Claim",
    "ClaimError",
    "Evaluation",
    "Identity",
    "Interval",
    "Ordering",
    "at",
    "chapter_claims",
    "chapter_module",
    "claims_table",
    "evaluate_claims",
    "rows",
    "run_scale",
    "show_claims",
    "verdict_lines",
]

#: The scales a claim can be decided at: the chapter's defaults and the paper's preset.
SCALES = ("book", "paper")

#: The verdicts of a claim on a run.
VERDICTS = ("reproduced", "contradicted", "not tested at this scale")

#: Every book-scale seed lies at least this many standard deviations (over the seeds) from the
#: boundary of an interval or ordering.
SPREAD_MARGIN = 2.0


class ClaimError(ValueError):
    """A claim that is declared wrongly, or that a run's results cannot be measured for."""


def _number(value: float | None, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not math.isfinite(float(value))):
        raise ClaimError(f"{name} must be a finite number or None, got {value!r}")


def _short(value: float | None) -> str:
    """A number in at most four significant digits (``0.95``, ``1.2e-05``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    return f"{value:.4g}"


@dataclass(frozen=True)
class Interval:
    """The measured value lies in ``[low, high]`` (``None``: no bound on that side).

    Example:
        >>> Interval(0.9, None).describe(), Interval(0.9, None).passes(0.95)
        ('>= 0.9', True)
    """

    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        _number(self.low, "Interval.low")
        _number(self.high, "Interval.high")
        if self.low is None and self.high is None:
            raise ClaimError("an Interval needs low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ClaimError(f"Interval is empty: low={self.low!r} > high={self.high!r}")

    def reduce(self, measured: Any) -> float:
        """The measured value as one number."""
        return float(measured)

    def passes(self, value: float) -> bool:
        """Whether ``value`` lies in the interval (a NaN never does)."""
        if math.isnan(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def boundaries(self) -> tuple[float, ...]:
        """The bounds, for the margin a seed keeps from them."""
        return tuple(bound for bound in (self.low, self.high) if bound is not None)

    def describe(self) -> str:
        if self.high is None:
            return f">= {_short(self.low)}"
        if self.low is None:
            return f"<= {_short(self.high)}"
        return f"in [{_short(self.low)}, {_short(self.high)}]"


@dataclass(frozen=True)
class Ordering:
    """The first measured value exceeds the second by at least ``margin``.

    The claim's ``measure`` returns the pair ``(larger, smaller)``; the test is decided on their
    difference.

    Example:
        >>> test = Ordering(0.1, "MLE's NLL_oracle", "CoT's")
        >>> test.describe(), test.passes(test.reduce((4.2, 4.0)))
        ("MLE's NLL_oracle - CoT's >= 0.1", True)
    """

    margin: float
    larger: str
    smaller: str

    def __post_init__(self) -> None:
        _number(self.margin, "Ordering.margin")
        if not self.larger or not self.smaller:
            raise ClaimError("an Ordering names what should be larger and what smaller")

    def reduce(self, measured: Any) -> float:
        try:
            larger, smaller = measured
        except (TypeError, ValueError):
            raise ClaimError(
                f"an Ordering's measure returns (larger, smaller), got {measured!r}"
            ) from None
        return float(larger) - float(smaller)

    def passes(self, value: float) -> bool:
        return not math.isnan(value) and value >= self.margin

    def boundaries(self) -> tuple[float, ...]:
        return (self.margin,)

    def describe(self) -> str:
        return f"{self.larger} - {self.smaller} >= {_short(self.margin)}"


@dataclass(frozen=True)
class Identity:
    """The measured value equals ``expected`` within ``tolerance`` (absolute).

    Example:
        >>> Identity(0.0, 1e-12).describe()
        '|ours - 0| <= 1e-12'
    """

    expected: float
    tolerance: float

    def __post_init__(self) -> None:
        _number(self.expected, "Identity.expected")
        _number(self.tolerance, "Identity.tolerance")
        if self.tolerance < 0:
            raise ClaimError(f"Identity.tolerance must be >= 0, got {self.tolerance!r}")

    def reduce(self, measured: Any) -> float:
        return float(measured)

    def passes(self, value: float) -> bool:
        return not math.isnan(value) and abs(value - self.expected) <= self.tolerance

    def boundaries(self) -> tuple[float, ...]:
        return ()  # decided by the arithmetic's error bound, not by the spread over seeds

    def describe(self) -> str:
        return f"|ours - {_short(self.expected)}| <= {_short(self.tolerance)}"


Test = Interval | Ordering | Identity


@dataclass(frozen=True)
class Claim:
    """One claim of a chapter, decided by a test on a run's results.

    Args:
        key: a short name, unique in the chapter (``ce-teacher-near-1``).
        statement: what the source claims, in the book's words.
        source: the source and the location (``Casas et al. (2018), §3.3, Fig. 4``).
        paper: the paper's value, as the paper gives it (``"about 40 BLEU"``), or ``"-"``.
        quantity: what we measure, in words.
        measure: the measured value from a run's results (the JSON data of ``results.json``):
            a number, or the pair ``(larger, smaller)`` for an :class:`Ordering`.
        test: an :class:`Interval`, :class:`Ordering` or :class:`Identity`.
        scales: the scales at which the test applies (``book``, ``paper`` or both).
        contradicted: for each scale at which our run contradicts the claim, why.
    """

    key: str
    statement: str
    source: str
    paper: str
    quantity: str
    measure: Callable[[Mapping[str, Any]], Any]
    test: Test
    scales: tuple[str, ...] = SCALES
    contradicted: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("key", "statement", "source", "paper", "quantity"):
            if not getattr(self, name):
                raise ClaimError(f"claim {self.key!r}: {name} is empty")
        if not isinstance(self.test, Interval | Ordering | Identity):
            raise ClaimError(f"claim {self.key!r}: test must be an Interval, Ordering or Identity")
        object.__setattr__(self, "scales", tuple(self.scales))
        for scale in (*self.scales, *self.contradicted):
            if scale not in SCALES:
                raise ClaimError(
                    f"claim {self.key!r}: unknown scale {scale!r}; valid: {', '.join(SCALES)}"
                )
        for scale in self.contradicted:
            if scale not in self.scales:
                raise ClaimError(f"claim {self.key!r} is contradicted at {scale!r}, not tested")

    def value(self, results: Mapping[str, Any]) -> float:
        """The measured value as one number (an Ordering's difference)."""
        from beyond_mle.experiments.results import to_jsonable

        try:
            measured = self.measure(to_jsonable(results))
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise ClaimError(
                f"claim {self.key!r}: the results do not hold {self.quantity!r} "
                f"({type(error).__name__}: {error})"
            ) from error
        return self.test.reduce(measured)

    def evaluate(self, results: Mapping[str, Any], scale: str = "book") -> Evaluation:
        """The claim's verdict on one run at ``scale``."""
        if scale not in SCALES:
            raise ClaimError(f"unknown scale {scale!r}; valid: {', '.join(SCALES)}")
        value = self.value(results)
        if scale not in self.scales:  # measured and shown, but not decided here
            return Evaluation(self, scale, value, VERDICTS[2])
        return Evaluation(
            self, scale, value, VERDICTS[0] if self.test.passes(value) else VERDICTS[1]
        )


@dataclass(frozen=True)
class Evaluation:
    """A claim's verdict on one run."""

    claim: Claim
    scale: str
    value: float
    verdict: str

    @property
    def reason(self) -> str:
        """Why the run contradicts the claim ("" when it does not)."""
        if self.verdict != VERDICTS[1]:
            return ""
        return self.claim.contradicted.get(self.scale, "(no reason declared)")

    def ours(self) -> str:
        return _short(self.value)


def rows(table: Mapping[str, Sequence[Any]], **match: Any) -> list[dict[str, Any]]:
    """The rows of a table stored as a dict of lists, each a dict, those equal to ``match``.

    Raises:
        KeyError: when no row matches (so that a claim reports what its results lack).

    Example:
        >>> rows({"kind": ["a", "b"], "v": [1, 2]}, kind="b")
        [{'kind': 'b', 'v': 2}]
    """
    columns = list(table)
    every = [
        dict(zip(columns, values, strict=True)) for values in zip(*table.values(), strict=True)
    ]
    chosen = [row for row in every if all(row[name] == value for name, value in match.items())]
    if not chosen:
        raise KeyError(f"no row matches {match} (columns: {columns})")
    return chosen


def at(*path: str | int | Mapping[str, Any]) -> Callable[[Mapping[str, Any]], Any]:
    """A measure that reads ``results[path[0]][path[1]]...``.

    A string key indexes a dict; an integer indexes a list. A step ``"column=label"`` (or
    several, ``"length=8,objective=bleu"``), or a dict ``{"variant": "minimax, smoothed"}`` for
    labels that hold commas, selects the one row of a table stored as a dict of lists
    (``to_dict(orient="list")``) whose columns hold those labels; the next key then reads that
    row's value in its column.

    Example:
        >>> table = {"summary": {"method": ["mle", "cot"], "nll": [4.0, 4.3]}}
        >>> at("summary", "method=cot", "nll")(table)
        4.3
    """

    def measure(results: Mapping[str, Any]) -> Any:
        node: Any = results
        for step in path:
            if isinstance(step, Mapping) or (isinstance(step, str) and "=" in step):
                if isinstance(step, Mapping):
                    conditions = [(column, str(label)) for column, label in step.items()]
                else:
                    conditions = [part.partition("=")[::2] for part in step.split(",")]
                matching = [
                    row
                    for row in rows(node)
                    if all(str(row[column]) == label for column, label in conditions)
                ]
                if len(matching) != 1:
                    raise KeyError(f"{len(matching)} rows match {step!r}, not one")
                node = matching[0]  # the next key reads this row's value in its column
                continue
            node = node[step]
        return node

    return measure


def chapter_module(experiment: str) -> ModuleType:
    """The module ``beyond_mle.chapters.<experiment>`` of an experiment (its Config's module)."""
    from beyond_mle.experiments.registry import get_experiment

    config = get_experiment(experiment).config
    name = f"beyond_mle.chapters.{experiment}" if config is None else config.__module__
    return importlib.import_module(name)


def chapter_claims(experiment: str) -> tuple[Claim, ...]:
    """The claims declared for an experiment's chapter (``()`` if it declares none).

    The chapter module is ``beyond_mle.chapters.<experiment>``.
    """
    module = chapter_module(experiment)
    claims = tuple(getattr(module, "CLAIMS", ()))
    keys = [claim.key for claim in claims]
    if len(set(keys)) != len(keys):
        raise ClaimError(f"chapter {module.__name__}: claim keys repeat: {keys}")
    return claims


def run_scale(experiment: str, parameters: Mapping[str, Any] | ChapterConfig) -> str:
    """``book`` for a run at the chapter's defaults (any seed or device), else ``paper``.

    The book-scale tolerances were set at the defaults; any other run is judged as the paper's
    experiment is.

    Args:
        experiment: the experiment's name.
        parameters: the run's parameters, or the chapter's configuration.
    """
    from beyond_mle.experiments.registry import get_experiment

    if isinstance(parameters, ChapterConfig):
        parameters = dataclasses.asdict(parameters)
    spec = get_experiment(experiment)
    ignored = {"seed", "device", "results_dir"}
    for name, param in spec.params.items():
        if name in ignored or name not in parameters:
            continue
        default = list(param.default) if param.is_list else param.default
        value = parameters[name]
        value = list(value) if isinstance(value, list | tuple) else value
        if value != default:
            return "paper"
    return "book"


def evaluate_claims(
    experiment: str, results: Mapping[str, Any], scale: str = "book"
) -> list[Evaluation]:
    """Every claim of the experiment's chapter, decided on one run's results."""
    return [claim.evaluate(results, scale) for claim in chapter_claims(experiment)]


def claims_table(experiment: str, results: Mapping[str, Any], scale: str = "book"):
    """The chapter's claims on one run, as a table: claim, source, paper, ours, test, verdict.

    A contradicted claim's verdict carries its declared reason.
    """
    import pandas as pd

    records = []
    for evaluation in evaluate_claims(experiment, results, scale):
        claim = evaluation.claim
        verdict = evaluation.verdict
        if evaluation.reason:
            verdict = f"{verdict}: {evaluation.reason}"
        records.append(
            {
                "claim": claim.statement,
                "source": claim.source,
                "paper": claim.paper,
                "ours": f"{claim.quantity}: {evaluation.ours()}",
                "test": claim.test.describe(),
                "verdict": verdict,
            }
        )
    return pd.DataFrame(records, columns=["claim", "source", "paper", "ours", "test", "verdict"])


def show_claims(experiment: str, results: Mapping[str, Any], scale: str = "book"):
    """The claims table as HTML for a chapter to display, every text in full.

    (pandas' own display of :func:`claims_table` cuts each cell at ``display.max_colwidth``.)
    """
    from IPython.display import HTML

    table = claims_table(experiment, results, scale)
    return HTML(table.to_html(index=False, classes="claims-table", border=0, justify="left"))


def verdict_lines(experiment: str, results: Mapping[str, Any], scale: str = "book") -> str:
    """One line per claim, ``key: verdict``: what a chapter's checked cell prints."""
    evaluations: Sequence[Evaluation] = evaluate_claims(experiment, results, scale)
    width = max((len(e.claim.key) for e in evaluations), default=0)
    lines = [f"{scale} scale, {len(evaluations)} claims"]
    lines += [f"{e.claim.key:<{width}}  {e.verdict}" for e in evaluations]
    return "\n".join(lines)
