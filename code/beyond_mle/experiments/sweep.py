"""Sweeps: one experiment over a grid of parameter values, on this machine or a SLURM cluster.

A sweep expands its grid (``seed=0:5``, ``lr=1e-3,3e-3``, ...) into cells and runs every cell
through :func:`~beyond_mle.experiments.runner.run_experiment` (papermill, provenance, atomic
folders). Its folder ``book/results/<experiment>/<sweep>/`` holds one folder per cell, the
manifest ``sweep.json`` (every cell's values, folder, status, error and wall time) and, at the
end, ``summary.csv`` and ``summary.json`` (:func:`summarize`).

- Everything is checked before anything runs: every cell's parameters, with the messages of
  ``run``.
- A sweep resumes: a cell whose folder holds a run with the same parameters, made at the same
  clean git revision, is kept; failed, interrupted and missing cells run again.
- A failed cell is recorded with its error; the others go on.
- Backends: ``local`` runs cells in worker processes (``jobs`` at a time, a fresh process and
  so a fresh kernel per cell, which avoids papermill's ZMQ port races); ``slurm`` submits them
  as one SLURM job array through submitit (partition, time, GPUs, memory), the cluster's
  scheduler doing the distribution.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from beyond_mle.config import Experiment, ExperimentError, parse_value
from beyond_mle.experiments.paths import RESULTS_FOLDER, find_root
from beyond_mle.experiments.registry import get_experiment
from beyond_mle.experiments.results import to_jsonable, write_atomic
from beyond_mle.experiments.runner import (
    ExperimentRunError,
    _safe,
    _value_text,
    check_clean_tree,
    check_notebook_parameters,
    run_experiment,
)

__all__ = [
    "BACKENDS",
    "MANIFEST",
    "SUMMARY_RULE",
    "SlurmOptions",
    "Sweep",
    "SweepCell",
    "load_summary",
    "mean_interval",
    "parse_grid",
    "plan_sweep",
    "run_sweep",
    "summarize",
    "table_intervals",
]

MANIFEST = "sweep.json"
BACKENDS = ("local", "slurm")
#: How a summary's interval is made, as summary.json states it.
SUMMARY_RULE = (
    "95% interval of the mean over seeds: mean +- t(0.975, n - 1) * sd / sqrt(n), "
    "sd with n - 1 degrees of freedom; none for n = 1"
)
_RANGE = re.compile(r"^(?P<start>-?\d+):(?P<stop>-?\d+)(?::(?P<step>-?\d+))?$")


@dataclass(frozen=True)
class SlurmOptions:
    """What each SLURM job of a sweep asks for.

    Attributes:
        partition: the partition ("" for the cluster's default).
        time_min: the time limit of one cell, in minutes.
        gpus: GPUs per task (0 for none).
        mem_gb: memory per job in GB (0 for the partition's default).
        cpus: CPUs per task.
        array_parallelism: cells running at once (0: as many as the cluster allows).
    """

    partition: str = ""
    time_min: int = 60
    gpus: int = 0
    mem_gb: int = 0
    cpus: int = 2
    array_parallelism: int = 0

    def __post_init__(self) -> None:
        for name in ("time_min", "cpus"):
            if getattr(self, name) < 1:
                raise ExperimentError(f"slurm {name} must be >= 1, got {getattr(self, name)}")
        for name in ("gpus", "mem_gb", "array_parallelism"):
            if getattr(self, name) < 0:
                raise ExperimentError(f"slurm {name} must be >= 0, got {getattr(self, name)}")


@dataclass
class SweepCell:
    """One grid point of a sweep and what became of it."""

    index: int
    values: dict[str, Any]
    folder: str
    status: str = "pending"  # pending, done, failed, kept
    error: str = ""
    wall_time_s: float = 0.0
    revision: str = ""


@dataclass
class Sweep:
    """A planned sweep: its experiment, preset, grid, fixed overrides and cells."""

    experiment: Experiment
    preset: str
    grid: dict[str, list[Any]]
    fixed: dict[str, Any]
    name: str
    cells: list[SweepCell] = field(default_factory=list)

    def overrides(self, cell: SweepCell) -> dict[str, Any]:
        """The parameter overrides of one cell: the fixed ones, then the cell's values."""
        return {**self.fixed, **cell.values}

    def folder(self, root: Path) -> Path:
        """``book/results/<experiment>/<sweep name>``."""
        return root / RESULTS_FOLDER / self.experiment.name / self.name


def _axis_values(experiment: Experiment, name: str, text: str) -> list[Any]:
    param = experiment.params[name]
    match = _RANGE.match(text.strip())
    if match and param.kind == "int":
        start, stop = int(match.group("start")), int(match.group("stop"))
        step = int(match.group("step") or 1)
        if step == 0:
            raise ExperimentError(f"--grid {name}={text}: the step of a range must not be 0")
        return list(range(start, stop, step))
    # a list parameter's values are separated by ';' (its items by ','), others by ','
    separator = ";" if param.is_list else ","
    return [parse_value(param, item.strip()) for item in text.split(separator) if item.strip()]


def parse_grid(experiment: Experiment | str, specs: Sequence[str]) -> dict[str, list[Any]]:
    """The grid of ``--grid NAME=VALUES`` options, in their order.

    ``VALUES`` is ``START:STOP[:STEP]`` for an integer parameter (Python's ``range``:
    ``seed=0:5`` is 0 to 4), or values separated by commas (``lr=1e-3,3e-3``), or, for a list
    parameter, lists separated by semicolons (``lambdas=0,0.1;0,0.2``).

    Raises:
        ExperimentError: a malformed option, an unknown or repeated parameter, a value that
            does not parse, or an axis with no value.
    """
    spec = get_experiment(experiment)
    if not specs:
        raise ExperimentError("a sweep needs at least one --grid NAME=VALUES")
    grid: dict[str, list[Any]] = {}
    for text in specs:
        name, equals, values = text.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ExperimentError(f"--grid must be NAME=VALUES (e.g. seed=0:5), got {text!r}")
        if name == "results_dir":
            raise ExperimentError("parameter 'results_dir' is set by the runner, not a grid")
        spec.check_names({name: None})
        if name in grid:
            raise ExperimentError(f"--grid {name} is given twice")
        try:
            grid[name] = _axis_values(spec, name, values)
        except ExperimentError as error:
            raise ExperimentError(f"experiment {spec.name!r}: --grid {text!r}: {error}") from None
        if not grid[name]:
            raise ExperimentError(f"--grid {text!r} gives no value")
    return grid


def _cell_folder(values: Mapping[str, Any]) -> str:
    return "+".join(f"{_safe(key)}={_safe(_value_text(value))}" for key, value in values.items())


_NAME = re.compile(r"^[A-Za-z0-9_,+=-][A-Za-z0-9._,+=-]*$")


def _default_name(preset: str, specs: Sequence[str]) -> str:
    axes = []
    for spec in specs:
        key, _, values = spec.partition("=")
        axes.append(f"{_safe(key.strip())}={_safe(values.strip())}")
    return "+".join([f"sweep-{_safe(preset)}", *axes])


def plan_sweep(
    experiment: Experiment | str,
    preset: str,
    grid_specs: Sequence[str],
    overrides: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
) -> Sweep:
    """Expand and check a sweep without running anything.

    Every cell's parameters are resolved as ``run`` resolves them (so a value out of range,
    anywhere in the grid, is refused here with ``run``'s message).

    Raises:
        ExperimentError: a bad grid, preset, override or sweep name.
    """
    spec = get_experiment(experiment)
    grid = parse_grid(spec, grid_specs)
    fixed = dict(overrides or {})
    for key in fixed:
        if key in grid:
            raise ExperimentError(f"parameter {key!r} is both fixed (-p) and swept (--grid)")
    sweep_name = name or _default_name(preset, grid_specs)
    if not _NAME.match(sweep_name) or len(sweep_name) > 120:
        raise ExperimentError(
            "sweep name must use letters, digits and . _ , + = - only (not first: .), at most "
            f"120 characters, got {sweep_name!r}"
        )
    if sweep_name in spec.presets:
        raise ExperimentError(f"sweep name {sweep_name!r} is a preset's folder")
    sweep = Sweep(spec, preset, grid, spec.parse(fixed), sweep_name)
    for index, point in enumerate(itertools.product(*grid.values())):
        values = dict(zip(grid, point, strict=True))
        cell = SweepCell(index, values, _cell_folder(values))
        spec.resolve(preset, sweep.overrides(cell))
        sweep.cells.append(cell)
    return sweep


def _cell_is_current(sweep: Sweep, cell: SweepCell, root: Path, revision: str | None) -> bool:
    """Whether the cell's folder holds a finished run of these parameters at this revision."""
    provenance = sweep.folder(root) / cell.folder / "provenance.json"
    if revision is None or not provenance.is_file():
        return False
    try:
        record = json.loads(provenance.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    parameters, _ = sweep.experiment.resolve(sweep.preset, sweep.overrides(cell))
    recorded = dict(record.get("parameters", {}))
    recorded.pop("results_dir", None)
    expected = to_jsonable({k: v for k, v in parameters.items() if k != "results_dir"})
    git = record.get("git", {})
    return recorded == expected and git.get("revision") == revision and not git.get("dirty")


def _run_cell(payload: dict[str, Any]) -> dict[str, Any]:
    """Run one cell (in a worker process or a SLURM job): its status, error and wall time."""
    start = time.perf_counter()
    try:
        run_experiment(
            payload["experiment"],
            payload["preset"],
            payload["overrides"],
            root=payload["root"],
            progress=False,
            allow_dirty=payload["allow_dirty"],
            folder=payload["folder"],
        )
    except (ExperimentRunError, ExperimentError) as error:
        return {
            "status": "failed",
            "error": str(error)[:2000],
            "seconds": time.perf_counter() - start,
        }
    return {"status": "done", "error": "", "seconds": time.perf_counter() - start}


def _write_manifest(sweep: Sweep, root: Path, extra: Mapping[str, Any]) -> Path:
    manifest = {
        "experiment": sweep.experiment.name,
        "preset": sweep.preset,
        "name": sweep.name,
        "grid": sweep.grid,
        "fixed": sweep.fixed,
        **extra,
        "cells": [asdict(cell) for cell in sweep.cells],
    }
    return write_atomic(
        sweep.folder(root) / MANIFEST, json.dumps(to_jsonable(manifest), indent=1) + "\n"
    )


def run_sweep(
    experiment: Experiment | str,
    preset: str,
    grid_specs: Sequence[str],
    overrides: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    backend: str = "local",
    jobs: int = 1,
    slurm: SlurmOptions | None = None,
    root: str | os.PathLike[str] | None = None,
    progress: bool = True,
    allow_dirty: bool = False,
) -> Sweep:
    """Run (or resume) a sweep, then summarize it.

    Args:
        experiment: the experiment's name (or an ``Experiment``).
        preset: the preset every cell starts from.
        grid_specs: the ``NAME=VALUES`` axes (:func:`parse_grid`).
        overrides: fixed parameter values for every cell (``-p``).
        name: the sweep's folder name (default: ``sweep-<preset>+<grid>``).
        backend: ``local`` or ``slurm``.
        jobs: cells at once with the local backend (a process each).
        slurm: the SLURM resources of each job (default :class:`SlurmOptions`).
        root: the repository root.
        progress: a progress bar over the cells.
        allow_dirty: as for ``run``; a dirty tree's cells are never kept on resume.

    Returns:
        The sweep, with every cell's status.

    Raises:
        ExperimentError: a bad request, refused before anything runs.
    """
    from beyond_mle.progress import progress as bar

    if backend not in BACKENDS:
        raise ExperimentError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if jobs < 1:
        raise ExperimentError(f"jobs must be >= 1, got {jobs}")
    sweep = plan_sweep(experiment, preset, grid_specs, overrides, name=name)
    base = find_root() if root is None else Path(root).resolve()
    notebook = base / sweep.experiment.notebook
    if not notebook.is_file():
        raise ExperimentError(f"notebook {sweep.experiment.notebook} not found under {base}")
    check_notebook_parameters(sweep.experiment, notebook)
    git = check_clean_tree(base, allow_dirty)
    revision = None if git.get("dirty") or not git.get("revision") else str(git["revision"])
    folder = sweep.folder(base)
    folder.mkdir(parents=True, exist_ok=True)
    todo = []
    for cell in sweep.cells:
        if _cell_is_current(sweep, cell, base, revision):
            cell.status, cell.revision = "kept", str(revision)
        else:
            todo.append(cell)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    extra = {"backend": backend, "revision": git.get("revision"), "started": started}
    _write_manifest(sweep, base, extra)
    payloads = {
        cell.index: {
            "experiment": sweep.experiment.name
            if sweep.experiment.name in _registered()
            else sweep.experiment,
            "preset": preset,
            "overrides": sweep.overrides(cell),
            "root": str(base),
            "allow_dirty": allow_dirty,
            "folder": f"{sweep.name}/{cell.folder}",
        }
        for cell in todo
    }
    with bar(total=len(sweep.cells), desc=f"sweep {sweep.name}", disable=not progress) as shown:
        shown.update(len(sweep.cells) - len(todo))

        def record(cell: SweepCell, outcome: Mapping[str, Any]) -> None:
            cell.status, cell.error = outcome["status"], outcome["error"]
            cell.wall_time_s = round(float(outcome["seconds"]), 3)
            cell.revision = str(git.get("revision") or "")
            _write_manifest(sweep, base, extra)
            shown.update(1)

        if backend == "local":
            _run_local(todo, payloads, jobs, record)
        else:
            _run_slurm(todo, payloads, slurm or SlurmOptions(), folder, record)
    extra["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_manifest(sweep, base, extra)
    if any(cell.status in {"done", "kept"} for cell in sweep.cells):
        summarize(folder)
    return sweep


def _registered() -> set[str]:
    from beyond_mle.experiments.registry import EXPERIMENTS

    return set(EXPERIMENTS)


def _run_local(todo, payloads, jobs, record) -> None:
    if jobs == 1:
        for cell in todo:
            record(cell, _run_cell(payloads[cell.index]))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, max_tasks_per_child=1) as pool:
        futures = {pool.submit(_run_cell, payloads[cell.index]): cell for cell in todo}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as error:  # noqa: BLE001 - a dead worker fails its cell only
                outcome = {"status": "failed", "error": f"{type(error).__name__}: {error}",
                           "seconds": 0.0}  # fmt: skip
            record(futures[future], outcome)


def _run_slurm(todo, payloads, options: SlurmOptions, folder: Path, record) -> None:
    try:
        import submitit
    except ImportError as error:
        raise ExperimentError("the slurm backend needs submitit: pip install submitit") from error
    if not todo:
        return
    executor = submitit.AutoExecutor(folder=folder / "slurm" / "%j", cluster="slurm")
    parameters: dict[str, Any] = {
        "timeout_min": options.time_min,
        "cpus_per_task": options.cpus,
        "name": f"beyond_mle-{folder.name}"[:60],
    }
    if options.partition:
        parameters["slurm_partition"] = options.partition
    if options.gpus:
        parameters["slurm_gpus_per_task"] = options.gpus
    if options.mem_gb:
        parameters["mem_gb"] = options.mem_gb
    if options.array_parallelism:
        parameters["slurm_array_parallelism"] = options.array_parallelism
    executor.update_parameters(**parameters)
    jobs = executor.map_array(_run_cell, [payloads[cell.index] for cell in todo])
    pending = dict(zip(jobs, todo, strict=True))
    while pending:
        for job in [job for job in pending if job.done()]:
            cell = pending.pop(job)
            try:
                outcome = job.result()
            except Exception as error:  # noqa: BLE001 - a failed job fails its cell only
                outcome = {"status": "failed", "error": f"slurm job {job.job_id}: {error}"[:2000],
                           "seconds": 0.0}  # fmt: skip
            record(cell, outcome)
        if pending:
            time.sleep(1.0)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(float(value)):
        return float(value)
    return None


def _rows(value: Any) -> list[dict[str, Any]] | None:
    """A table's rows: from a dict of equal-length lists (columns) or a list of dicts."""
    if isinstance(value, Mapping) and value and all(isinstance(v, list) for v in value.values()):
        lengths = {len(v) for v in value.values()}
        if len(lengths) == 1 and lengths != {0}:
            (length,) = lengths
            return [{key: column[i] for key, column in value.items()} for i in range(length)]
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return [dict(row) for row in value]
    return None


def _label(row: Mapping[str, Any]) -> str:
    """What names a table's row: its text and integer fields."""
    return ", ".join(
        f"{key}={value}"
        for key, value in row.items()
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    )


def _scalars(value: Any, prefix: str = "") -> dict[str, float]:
    """The numbers of a results dict, by name.

    A scalar is named by its dotted path (``agreement.max_gap``); a table (a dict of
    equal-length columns, or a list of records) by ``table.column[i: label]``, with ``i`` the
    row and the label its text and integer fields (``summary.final_bleu[3: objective=ce,
    length=8]``); a list of numbers by ``name[i]``. Rows are matched across seeds by position:
    runs of one grid point have the same tables.
    """
    out: dict[str, float] = {}
    name = prefix[:-1]
    rows = _rows(value)
    if rows is not None:
        for i, row in enumerate(rows):
            label = _label(row)
            where = f"[{i}: {label}]" if label else f"[{i}]"
            for key, item in row.items():
                number = _number(item)
                if number is not None and not (
                    isinstance(item, int) and not isinstance(item, bool)
                ):
                    out[f"{name}.{key}{where}"] = number
        return out
    if isinstance(value, Mapping):
        for key, item in value.items():
            out.update(_scalars(item, f"{prefix}{key}."))
        return out
    if isinstance(value, list):
        for i, item in enumerate(value):
            number = _number(item)
            if number is not None:
                out[f"{name}[{i}]"] = number
        return out
    number = _number(value)
    if number is not None and name:
        out[name] = number
    return out


def _t_quantile(n: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, n - 1))


def mean_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """The mean of ``values`` and its 95% interval, by :data:`SUMMARY_RULE`.

    Returns:
        ``(mean, low, high)``; ``low`` and ``high`` are NaN for a single value.

    Example:
        >>> [round(v, 3) for v in mean_interval([1.0, 2.0, 3.0])]
        [2.0, -0.484, 4.484]
    """
    n = len(values)
    if n == 0:
        raise ValueError("mean_interval needs at least one value")
    mean = math.fsum(values) / n
    if n == 1:
        return mean, math.nan, math.nan
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = _t_quantile(n) * std / math.sqrt(n)
    return mean, mean - half, mean + half


def summarize(folder: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``summary.csv`` and ``summary.json`` for a sweep folder.

    Cells are grouped by their grid values other than ``seed``; per group and metric (every
    numeric leaf of ``results.json``, dotted: ``agreement.max_gap``), the mean, the standard
    deviation, the 95% interval of :data:`SUMMARY_RULE` and ``n``, the number of seeds.
    Tables' cells are metrics too, named as :func:`_scalars` names them.

    Returns:
        The two files.

    Raises:
        FileNotFoundError: no sweep manifest in ``folder``.
        ExperimentError: no finished cell to summarize.
    """
    import numpy as np
    import pandas as pd

    base = Path(folder)
    manifest_path = base / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"no {MANIFEST} in {base}: not a sweep folder")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    axes = [axis for axis in manifest["grid"] if axis != "seed"]
    rows = []
    for cell in manifest["cells"]:
        results = base / cell["folder"] / "results.json"
        if cell["status"] not in {"done", "kept"} or not results.is_file():
            continue
        values = _scalars(json.loads(results.read_text(encoding="utf-8")))
        point = {axis: _value_text(cell["values"][axis]) for axis in axes}
        rows += [{**point, "metric": metric, "value": v} for metric, v in values.items()]
    if not rows:
        raise ExperimentError(f"sweep {base.name}: no finished cell to summarize")
    table = pd.DataFrame(rows)
    summary = []
    for keys, group in table.groupby([*axes, "metric"], sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        seeds = [float(v) for v in group["value"]]
        n = len(seeds)
        mean, low, high = mean_interval(seeds)
        std = statistics.stdev(seeds) if n > 1 else math.nan
        summary.append(
            {
                **dict(zip([*axes, "metric"], keys, strict=True)),
                "n": n,
                "mean": mean,
                "std": std,
                "ci_low": low,
                "ci_high": high,
            }
        )
    frame = pd.DataFrame(summary)
    csv_path = write_atomic(base / "summary.csv", frame.to_csv(index=False))
    document = {
        "experiment": manifest["experiment"],
        "preset": manifest["preset"],
        "sweep": manifest["name"],
        "grid": manifest["grid"],
        "group_by": axes,
        "over": "seed" if "seed" in manifest["grid"] else "cells",
        "rule": SUMMARY_RULE,
        "rows": [
            {key: (None if isinstance(v, float) and np.isnan(v) else v) for key, v in row.items()}
            for row in summary
        ],
    }
    json_path = write_atomic(base / "summary.json", json.dumps(document, indent=1) + "\n")
    return csv_path, json_path


def load_summary(experiment: str, sweep: str, root: str | os.PathLike[str] | None = None):
    """A committed sweep's summary as a DataFrame (``None`` when it is not committed)."""
    import pandas as pd

    path = find_root(root) / RESULTS_FOLDER / experiment / sweep / "summary.csv"
    return pd.read_csv(path) if path.is_file() else None


_CELL = re.compile(r"^(?P<table>[^\[]+)\.(?P<column>[^.\[]+)\[(?P<row>\d+)(?:: (?P<label>.*))?\]$")


def table_intervals(summary, table: str, column: str):
    """One column of a results table over the seeds: per row its mean, interval and n.

    Args:
        summary: a sweep summary (:func:`load_summary`).
        table: the table's path in ``results.json`` (``summary``, ``final``).
        column: the column (``final_bleu``, ``BLEU``).

    Returns:
        A DataFrame with columns ``row``, ``label``, ``mean``, ``ci_low``, ``ci_high``, ``n``
        (and the sweep's grid axes), in the table's row order.

    Raises:
        ValueError: the summary has no such column.
    """
    import pandas as pd

    picked = []
    for record in summary.to_dict(orient="records"):
        match = _CELL.match(str(record["metric"]))
        if match and match["table"] == table and match["column"] == column:
            picked.append({**record, "row": int(match["row"]), "label": match["label"] or ""})
    if not picked:
        raise ValueError(f"the summary has no column {column!r} of a table {table!r}")
    return pd.DataFrame(picked).sort_values("row").reset_index(drop=True)
