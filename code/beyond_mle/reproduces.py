"""The book page "What reproduces": every chapter's claims on the committed runs.

The page is generated from the claims declared in :mod:`beyond_mle.chapters` and the results
committed under ``book/results``, by ``python -m beyond_mle reproduces`` (which writes
``book/reproduces.md``); ``tests/test_claims.py`` fails when the committed page is stale. For
each claim it lists the source and the paper's value, ours at book scale (the seed-0 run and the
range over every committed book-scale seed) with its verdict, and ours at paper scale with its
verdict, or what the paper-scale run still needs.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beyond_mle.claims import (
    SPREAD_MARGIN,
    VERDICTS,
    Claim,
    Evaluation,
    chapter_claims,
    chapter_module,
    run_scale,
)
from beyond_mle.experiments.paths import RESULTS_FOLDER, find_root
from beyond_mle.experiments.registry import EXPERIMENTS

__all__ = ["PAGE", "Run", "committed_runs", "pending_note", "render_page", "write_page"]

#: The page, relative to the repository root.
PAGE = Path("book") / "reproduces.md"


@dataclass(frozen=True)
class Run:
    """One committed run: its folder, scale, results and provenance."""

    experiment: str
    folder: str
    scale: str
    results: dict[str, Any]
    provenance: dict[str, Any]

    @property
    def seed(self) -> int:
        return int(self.provenance["parameters"]["seed"])


def _run_folders(folder: Path) -> list[tuple[str, Path]]:
    """``(name, path)`` of each run under an experiment's folder, sweep cells included.

    A folder holding a sweep manifest is a sweep: its cells are runs named
    ``<sweep>/<cell>``.
    """
    from beyond_mle.experiments.sweep import MANIFEST

    found = []
    for run in sorted(folder.iterdir()):
        if run.name.startswith(".") or not run.is_dir():
            continue
        if (run / MANIFEST).is_file():
            found += [(f"{run.name}/{cell.name}", cell) for cell in sorted(run.iterdir())]
        else:
            found.append((run.name, run))
    return found


def committed_runs(root: str | os.PathLike[str] | None = None) -> list[Run]:
    """Every run committed under ``book/results`` that has results and provenance, sorted.

    Runs are the folders under ``book/results/<experiment>/`` and the cells of the sweeps
    there (``seeds/seed=1000``: the book-scale seeds are the sweep ``seeds``).
    """
    root = find_root() if root is None else Path(root)
    runs = []
    for experiment in sorted(EXPERIMENTS):
        folder = root / RESULTS_FOLDER / experiment
        if not folder.is_dir():
            continue
        for name, run in _run_folders(folder):
            results, provenance = run / "results.json", run / "provenance.json"
            if not (results.is_file() and provenance.is_file()):
                continue
            provenance_data = json.loads(provenance.read_text(encoding="utf-8"))
            scale = run_scale(experiment, provenance_data["parameters"])
            runs.append(
                Run(
                    experiment,
                    name,
                    scale,
                    json.loads(results.read_text(encoding="utf-8")),
                    provenance_data,
                )
            )
    return runs


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _number(value: float) -> str:
    return f"{value:.3g}"


def _book_column(claim: Claim, runs: Sequence[Run]) -> tuple[str, str, str]:
    """Ours at book scale (mean, 95% interval, n and range over the seeds), the verdict."""
    from beyond_mle.experiments.sweep import mean_interval

    if not runs:
        return "-", "pending: no book-scale run committed", "pending"
    evaluations = [claim.evaluate(run.results, "book") for run in runs]
    values = [float(evaluation.value) for evaluation in evaluations]
    if len(values) > 1 and all(math.isfinite(value) for value in values):
        mean, low, high = mean_interval(values)
        ours = (
            f"{_number(mean)} [{_number(low)}, {_number(high)}], n = {len(values)} "
            f"(range {_number(min(values))} to {_number(max(values))})"
        )
    else:
        first = min(zip(runs, evaluations, strict=True), key=lambda pair: pair[0].seed)[1]
        ours = _number(first.value)
    if "book" not in claim.scales:
        text = "not decided at book scale: the seeds' spread is wider than the effect"
        return ours, text, "not decided"
    return (ours, *_verdict(evaluations))


def _verdict(evaluations: Sequence[Evaluation]) -> tuple[str, str]:
    """The verdict of one or more runs, as text and as its kind."""
    verdicts = {evaluation.verdict for evaluation in evaluations}
    counted = f" ({len(evaluations)} of {len(evaluations)} runs)" if len(evaluations) > 1 else ""
    if len(verdicts) > 1:
        agree = sum(evaluation.verdict == VERDICTS[0] for evaluation in evaluations)
        return f"undecided: {agree} of {len(evaluations)} runs reproduce it", "undecided"
    verdict = verdicts.pop()
    reason = evaluations[0].reason
    return f"**{verdict}**{counted}" + (f": {reason}" if reason else ""), verdict


def _reduced(run: Run) -> str:
    """How a paper-scale run differs from the paper preset (``""`` for the preset as it is)."""
    preset = run.provenance.get("preset", "paper")
    overrides = run.provenance.get("overrides") or {}
    parts = [] if preset == "paper" else [f"preset {preset}"]
    parts += [f"{key}={value}" for key, value in sorted(overrides.items())]
    return "reduced run: " + ", ".join(parts) if parts else ""


def _paper_column(claim: Claim, runs: Sequence[Run], pending: str) -> tuple[str, str, str]:
    """Ours at paper scale (every committed paper-scale run), the verdicts and their kind."""
    if not runs:
        return "-", f"pending: {pending}", "pending"
    labels, verdicts, kinds = [], [], set()
    for run in runs:
        evaluation = claim.evaluate(run.results, "paper")
        label = _number(evaluation.value)
        if _reduced(run):
            label += f" ({_reduced(run)})"
        labels.append(label)
        if "paper" in claim.scales:
            text, kind = _verdict([evaluation])
        else:
            text, kind = "not decided here", "not decided"
        verdicts.append(text)
        kinds.add(kind)
    kind = kinds.pop() if len(kinds) == 1 else "undecided"
    return "; ".join(labels), "; ".join(verdicts), kind


def _title(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        text = "".join(cell["source"]).strip()
        if cell["cell_type"] == "markdown" and text.startswith("# "):
            return text.splitlines()[0][2:].strip()
    return notebook.stem.replace("_", " ")


def _chapter_order(root: Path) -> list[str]:
    """The experiments in the order of the table of contents."""
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    position = {
        name: toc.find(str(Path(spec.notebook).with_suffix("")))
        for name, spec in EXPERIMENTS.items()
    }
    return sorted(position, key=lambda name: (position[name] < 0, position[name], name))


def render_page(root: str | os.PathLike[str] | None = None) -> str:
    """The page "What reproduces" as MyST markdown."""
    root = find_root() if root is None else Path(root)
    runs = committed_runs(root)
    sections = []
    overview = [
        "| chapter | claims | book scale | paper scale |",
        "| --- | --- | --- | --- |",
    ]
    counts = {"book": Counter[str](), "paper": Counter[str]()}
    total = 0
    for experiment in _chapter_order(root):
        claims = chapter_claims(experiment)
        if not claims:
            continue
        spec = EXPERIMENTS[experiment]
        book_runs = [run for run in runs if run.experiment == experiment and run.scale == "book"]
        paper_runs = [run for run in runs if run.experiment == experiment and run.scale == "paper"]
        pending = _pending(experiment, root)
        rows = [
            "| claim | paper | ours, book scale | ours, paper scale |",
            "| --- | --- | --- | --- |",
        ]
        tally = {"book": Counter[str](), "paper": Counter[str]()}
        for claim in claims:
            total += 1
            book, book_verdict, book_kind = _book_column(claim, book_runs)
            paper, paper_verdict, paper_kind = _paper_column(claim, paper_runs, pending)
            tally["book"][book_kind] += 1
            tally["paper"][paper_kind] += 1
            statement, source = claim.statement.rstrip("."), claim.source.rstrip(".")
            described_claim = (
                f"{statement}. *{source}.* Measured: {claim.quantity}; "
                f"test: {claim.test.describe()}"
            )
            rows.append(
                "| "
                + " | ".join(
                    _cell(text)
                    for text in (
                        described_claim,
                        claim.paper,
                        _joined(book_verdict, book),
                        _joined(paper_verdict, paper),
                    )
                )
                + " |"
            )
        seeds = sorted(run.seed for run in book_runs)
        notebook = Path(spec.notebook)
        link = os.path.relpath(notebook.with_suffix(""), PAGE.parent)
        sweeps = sorted({run.folder.split("/")[0] for run in book_runs if "/" in run.folder})
        where = f" (the sweep `{sweeps[0]}`)" if len(sweeps) == 1 else ""
        described = (
            f"Book scale: {len(seeds)} runs at the chapter's defaults{where}, seeds "
            f"{', '.join(map(str, seeds))}; shown: the mean over the seeds, its 95% interval "
            "in square brackets, n, and the range."
            if seeds
            else "No book-scale run is committed."
        )
        paper_text = (
            "Paper scale: " + "; ".join(_run_text(run) for run in paper_runs) + "."
            if paper_runs
            else f"Paper scale: pending ({pending})."
        )
        if paper_runs and all(_reduced(run) for run in paper_runs):
            paper_text += f" The full paper preset is pending ({pending})."
        title = _title(root / notebook)
        for scale in counts:
            counts[scale] += tally[scale]
        overview.append(
            f"| {{doc}}`{title} <{link}>` | {len(claims)} | {_tally(tally['book'])} "
            f"| {_tally(tally['paper'])} |"
        )
        sections.append(
            "\n".join(
                [
                    f"## {title}",
                    "",
                    f"Chapter {{doc}}`{link}`, experiment `{experiment}`. {described} {paper_text}",
                    "",
                    *rows,
                ]
            )
        )
    summary = "; ".join(
        f"at {scale} scale " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts[scale].items()))
        for scale in ("book", "paper")
    )
    header = f"""# What reproduces

Each chapter states what its sources claim and decides each claim with a test on our own run: an
interval, an ordering with a margin, or an identity with a tolerance. This page gathers every claim
of every chapter, with the paper's own value and its location, our value at book scale (the
chapter's defaults, on a CPU, the run you read) and at paper scale (the paper's preset, where a run
is committed), and the verdict of each. A claim that our run contradicts stays, with the reason.

{total} claims; {summary}.

How the tests are set. An identity's tolerance comes from the arithmetic (agreement in float64 with
a reference implementation or a closed form). A training outcome changes with the seed, and with the
processor and thread count, since a seed fixes the random numbers and not the last bits of the
arithmetic. Every experiment was therefore run at book scale with five seeds, as one sweep
(`python -m beyond_mle sweep <experiment> --grid seed=0:5000:1000 --name seeds`, committed under
`book/results/<experiment>/seeds/`), and the bounds of each interval and the margin of each
ordering leave every one of those runs at least {SPREAD_MARGIN:g} standard deviations (over the
seeds) from the boundary, so that a rerun elsewhere is decided the same way. The value shown
is the mean over the seeds, then its 95% interval in square brackets (mean ± t(0.975, n − 1) ·
sd / √n, with sd over the seeds), n and the range. Where that is not possible at book scale, the
claim is decided at paper scale only. The tests of the package check these rules on the committed
runs, and check that this page is current: it is written by `python -m beyond_mle reproduces`.
"""
    return header + "\n" + "\n".join(overview) + "\n\n" + "\n\n".join(sections) + "\n"


def _joined(verdict: str, ours: str) -> str:
    """A verdict, then our value(s), in one cell."""
    return verdict if ours == "-" else f"{verdict}; ours: {ours}"


def _tally(kinds: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "-"


def _run_text(run: Run) -> str:
    provenance = run.provenance
    device = provenance["device"]["name"]
    minutes = provenance["wall_time_s"] / 60
    revision = (provenance["git"].get("revision") or "unknown")[:10]
    return f"`{run.folder}`, {device}, {minutes:.0f} min, revision {revision}"


#: The GPU suite's estimates (written by ``make gpu-plan``), relative to the repository root.
GPU_PLAN = Path("code") / "benchmarks" / "gpu_plan.json"


def gpu_estimate_minutes(
    experiment: str, root: str | os.PathLike[str] | None = None
) -> float | None:
    """``make gpu-plan``'s estimate of the paper preset's time on one GPU, in minutes.

    ``None`` where there is no plan (outside the repository, or before one is made) or it has no
    estimate for the experiment.
    """
    try:
        base = find_root() if root is None else Path(root)
    except FileNotFoundError:
        return None
    path = base / GPU_PLAN
    if not path.is_file():
        return None
    entry = json.loads(path.read_text()).get("jobs", {}).get(experiment)
    return None if entry is None else entry["gpu_s"] / 60


def _paper_run_needs(experiment: str, root: str | os.PathLike[str] | None = None) -> str:
    """What the paper-scale run needs, as the chapter module states it (``PAPER_RUN``, or
    nothing), with the GPU suite's estimate where it needs a GPU."""
    needs = getattr(chapter_module(experiment), "PAPER_RUN", "")
    minutes = gpu_estimate_minutes(experiment, root) if "GPU" in needs else None
    if minutes is not None:
        needs += (
            f", about {max(minutes, 1):.0f} min of one H200 by make gpu-plan's estimate "
            "(from its counted operations, not a measurement)"
        )
    return needs


def _pending(experiment: str, root: str | os.PathLike[str] | None = None) -> str:
    """What What reproduces says a pending paper-scale run needs."""
    return _paper_run_needs(experiment, root) or "run the paper preset"


def pending_note(experiment: str, preset: str = "paper", *, width: int = 88) -> str:
    """What a chapter prints where a preset's committed results would be drawn.

    It says that the run is pending, what it needs (the chapter module's ``PAPER_RUN``, with the
    GPU suite's estimate where it needs a GPU), the command that makes it, and where its folder
    lands; wrapped to ``width`` columns.

    Raises:
        ExperimentError: if there is no experiment of that name or it has no such preset.
    """
    import textwrap

    from beyond_mle.experiments.registry import get_experiment

    spec = get_experiment(experiment)
    if preset not in spec.presets:
        from beyond_mle.config import ExperimentError

        raise ExperimentError(
            f"preset must be one of {', '.join(sorted(spec.presets))} for {experiment!r}, "
            f"got {preset!r}"
        )
    needs = _paper_run_needs(experiment) if preset == "paper" else ""
    device = " -p device cuda" if "GPU" in needs else ""
    head = f"Pending: no run of the {preset} preset of {experiment} is committed yet."
    if needs:
        head += f" It {needs}."
    tail = (
        f"Once {RESULTS_FOLDER}/{experiment}/{preset} is committed, this cell draws it; until "
        f"then the claims below read 'pending' at {preset} scale (see What reproduces)."
    )
    wrapper = textwrap.TextWrapper(width=width, break_on_hyphens=False, break_long_words=False)
    command = f"    python -m beyond_mle run {experiment} --preset {preset}{device}"
    lines = [wrapper.fill(head + " Make it with:"), command]
    if device:
        lines.append(
            wrapper.fill(
                "or with every job that waits for a GPU, make gpu (see Running the experiments)."
            )
        )
    return "\n".join([*lines, wrapper.fill(tail)])


def write_page(root: str | os.PathLike[str] | None = None) -> Path:
    """Write ``book/reproduces.md`` and return its path."""
    from beyond_mle.experiments.results import write_atomic

    root = find_root() if root is None else Path(root)
    return write_atomic(root / PAGE, render_page(root))
