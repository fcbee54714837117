"""Run a chapter notebook through papermill and store its results with provenance.

A run validates everything before a kernel starts, executes the notebook into a hidden
``book/results/<experiment>/.partial-*`` folder, adds ``provenance.json`` and the executed
``notebook.ipynb``, and only then swaps the folder in for ``book/results/<experiment>/<folder>``.
A failed or interrupted run deletes its partial folder and leaves earlier results untouched.

The executed notebook keeps every cell and every text output, but not its figures: each image
output is replaced by a line that names its type, size and SHA-256 (:func:`drop_figures`). The
chapters draw their figures from ``results.json``; the images would make the stored runs some
ten times larger (about 50 MB for the book's runs) and too large to carry to a lent GPU machine.
"""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import re
import shlex
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from beyond_mle.config import Experiment, ExperimentError, resolve_device
from beyond_mle.experiments.paths import RESULTS_FOLDER, find_root
from beyond_mle.experiments.refresh import KERNEL_NAME
from beyond_mle.experiments.registry import get_experiment
from beyond_mle.experiments.results import save_results
from beyond_mle.experiments.source import git_state
from beyond_mle.progress import PROGRESS_VARIABLE

__all__ = [
    "ExperimentRunError",
    "RECORDED_PACKAGES",
    "check_clean_tree",
    "check_notebook_parameters",
    "drop_figures",
    "result_folder_name",
    "run_command",
    "run_experiment",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9._,-]+")
_MAX_FOLDER_NAME = 120


class ExperimentRunError(RuntimeError):
    """A notebook that failed while the runner executed it."""


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_value_text(item) for item in value)
    return str(value)


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text)


def result_folder_name(preset: str, changed: Mapping[str, Any]) -> str:
    """The results folder of a run: the preset, then ``+key=value`` per override, sorted.

    Only the pure presets get the preset's own folder, so that committed ``book`` and ``paper``
    results never hold a modified run. Characters other than letters, digits and ``. _ , -``
    become ``_``.

    Example:
        >>> result_folder_name("paper", {"seed": 1, "lr": 0.001})
        'paper+lr=0.001+seed=1'
    """
    parts = [
        _safe(preset),
        *(f"{_safe(key)}={_safe(_value_text(changed[key]))}" for key in sorted(changed)),
    ]
    name = "+".join(parts)
    if len(name) > _MAX_FOLDER_NAME:  # keep it a valid file name; the hash keeps it unique
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        name = f"{name[: _MAX_FOLDER_NAME - 13]}-{digest}"
    return name


def run_command(experiment: str, preset: str, changed: Mapping[str, Any]) -> str:
    """The command line that repeats a run."""
    words = ["python", "-m", "beyond_mle", "run", experiment, "--preset", preset]
    for key in sorted(changed):
        words += ["-p", key, _value_text(changed[key])]
    return shlex.join(words)


def check_notebook_parameters(experiment: Experiment, notebook: Path) -> None:
    """Check that the notebook's ``parameters`` cell declares every parameter of the spec.

    Papermill accepts unknown names with only a log line, so a spec that drifted from its
    notebook would otherwise run with parameters silently ignored.

    Raises:
        ExperimentError: naming the parameters the notebook lacks.
    """
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    missing = [name for name in experiment.params if name not in declared]
    if missing:
        raise ExperimentError(
            f"experiment {experiment.name!r}: the parameters cell of {experiment.notebook} does "
            f"not declare {', '.join(missing)}; the specification and the notebook disagree"
        )


def check_clean_tree(root: Path, allow_dirty: bool) -> dict[str, Any]:
    """The work tree's git state, refusing a dirty tree unless ``allow_dirty``.

    Results written from uncommitted code cannot be traced to a revision, so the runner
    refuses them before a kernel starts; a run that is allowed records ``allowed_dirty``.

    Raises:
        ExperimentError: naming the changed files, when tracked files differ from HEAD.
    """
    state = git_state(root)
    if state["dirty"] and not allow_dirty:
        changed = state["changed"]
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        raise ExperimentError(
            f"the work tree at {root} has uncommitted changes to tracked files ({shown}): "
            "commit them so that the results name the code that made them, or pass "
            "--allow-dirty to record a run from a dirty tree"
        )
    if state["dirty"]:
        state["allowed_dirty"] = True
    return state


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _device_record(requested: str) -> dict[str, Any]:
    """The device asked for, the one it resolved to, the hardware's name and the host CPU.

    The CPU's model and the vector kernels torch chose for it (``cpu_capability``, which
    ``ATEN_CPU_CAPABILITY`` can force) are recorded for GPU runs too: they set the last bits
    of CPU arithmetic, and training amplifies them.
    """
    import torch

    device = resolve_device(requested)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name()
    return {
        "requested": requested,
        "resolved": str(device),
        "name": name,
        "cpu": _cpu_name(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
    }


#: The packages whose versions a run records (distribution names), besides Python's.
RECORDED_PACKAGES = (
    "beyond-mle",
    "torch",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "POT",
    "nltk",
    "matplotlib",
    "papermill",
)


def _versions() -> dict[str, str | None]:
    """The versions of Python and of :data:`RECORDED_PACKAGES` (``None`` if not installed)."""
    from importlib import metadata

    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in RECORDED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """Set an environment variable (inherited by kernels started meanwhile), then restore it."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


#: Output types that :func:`drop_figures` replaces by a line naming them.
FIGURE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "application/pdf")


def drop_figures(notebook: Any) -> int:
    """Replace each image output of an ``nbformat`` notebook by a line that names it; in place.

    A display whose data holds an image keeps only a ``text/plain`` line such as ``[figure not
    stored: image/png, 84,213 bytes, sha256 1f2e...]`` (the size of the decoded image, the hash
    of the stored text), so that the notebook still shows where a figure was and which one.
    Text, HTML tables and errors are kept.

    Returns:
        The number of images replaced.
    """
    dropped = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data or not any(kind in data for kind in FIGURE_TYPES):
                continue
            lines = []
            for kind in FIGURE_TYPES:
                if kind in data:
                    text = data[kind] if isinstance(data[kind], str) else "".join(data[kind])
                    raw = text.encode()
                    size = len(raw) if kind == "image/svg+xml" else len(base64.b64decode(raw))
                    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
                    lines.append(f"[figure not stored: {kind}, {size:,} bytes, sha256 {digest}]")
                    dropped += 1
            output["data"] = {"text/plain": "\n".join(lines)}
            output.get("metadata", {}).clear()
    return dropped


def _tidy_notebook(path: Path, partial: str, final: str, notebook: str, output: str) -> None:
    """Record in the executed notebook where its results live, and drop its figures.

    Args:
        path: the executed notebook.
        partial: the ``results_dir`` the kernel was given (the partial folder).
        final: the same relative to the notebook's folder, once the results are in place.
        notebook: the input notebook relative to the repository root.
        output: the executed notebook's final path relative to the repository root.
    """
    import nbformat

    executed = nbformat.read(path, as_version=4)
    for cell in executed.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace(partial, final)
    record = executed.metadata.get("papermill")
    if record is not None:
        record["input_path"] = notebook
        record["output_path"] = output
        if "results_dir" in record.get("parameters", {}):
            record["parameters"]["results_dir"] = final
    drop_figures(executed)
    nbformat.write(executed, path)


def _swap_in(new: Path, final: Path) -> None:
    """Make ``new`` the folder ``final``: the old one is moved aside, replaced, then deleted."""
    aside = None
    if final.exists():
        aside = Path(tempfile.mkdtemp(prefix=f".partial-old-{final.name}-", dir=final.parent))
        os.replace(final, aside / final.name)
    try:
        os.replace(new, final)
    except BaseException:
        if aside is not None:
            os.replace(aside / final.name, final)
            shutil.rmtree(aside, ignore_errors=True)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def _failure_message(label: str, notebook: str, error: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        lines = (error.source or "").strip().splitlines()
        first = lines[0] if lines else ""
        return (
            f"{label}: cell In [{error.exec_count}] of {notebook} raised "
            f"{error.ename}: {error.evalue} (cell starting {first!r}); no results were written"
        )
    return f"{label}: {type(error).__name__}: {error}; no results were written"


def run_experiment(
    name: str | Experiment,
    preset: str = "book",
    overrides: Mapping[str, Any] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    progress: bool = True,
    allow_dirty: bool = False,
    folder: str | None = None,
) -> Path:
    """Execute an experiment's notebook and store its results, provenance and executed copy.

    Everything is checked before a kernel starts: the experiment, the preset, the override
    names and values (strings, as the command line gives them, are parsed by each parameter's
    kind), the device, and that the notebook declares every parameter. The notebook then runs
    with papermill in its own folder, with ``results_dir`` pointing at a partial folder, and
    with progress bars off inside the kernel. The finished folder holds what the notebook
    saved, ``provenance.json`` and ``notebook.ipynb``, and replaces the previous results.

    Args:
        name: the experiment's name (or an ``Experiment`` that is not registered).
        preset: ``book`` (the notebook's defaults), ``paper`` or another of its presets.
        overrides: parameter values replacing the preset's; ``results_dir`` is the runner's.
        root: the repository root; by default the folder holding ``_toc.yml`` above the
            current directory (or above the package).
        progress: show papermill's bar over the notebook's cells.
        allow_dirty: run even when tracked files differ from the git revision (recorded in
            the provenance as ``git.allowed_dirty``); refused otherwise.
        folder: the results folder relative to ``book/results/<name>`` (a sweep's cells are
            ``<sweep>/<cell>``); by default named from the preset and the changed values.

    Returns:
        The results folder, ``<root>/book/results/<name>/<preset>`` or, when overrides change
        a value, ``<root>/book/results/<name>/<preset>+<key>=<value>...``.

    Raises:
        ExperimentError: an unknown experiment, preset or parameter, an invalid value, CUDA
            requested where there is none, a notebook that is missing or lacks parameters, or
            a dirty work tree without ``allow_dirty``.
        ExperimentRunError: the notebook failed; the message names the failing cell.
        KeyboardInterrupt: the run was interrupted; no results were written.
    """
    experiment = get_experiment(name)
    overrides = dict(overrides or {})
    if "results_dir" in overrides:
        raise ExperimentError(
            "parameter 'results_dir' is set by the runner (book/results/<experiment>/<preset>)"
        )
    parameters, changed = experiment.resolve(preset, overrides)
    root = find_root() if root is None else Path(root).resolve()
    notebook = root / experiment.notebook
    if not notebook.is_file():
        raise ExperimentError(
            f"experiment {experiment.name!r}: notebook {experiment.notebook} not found under {root}"
        )
    check_notebook_parameters(experiment, notebook)
    git = check_clean_tree(root, allow_dirty)

    if folder is None:
        # the device is where a run computes, not what: a GPU run of a preset is that preset's
        # run (provenance records the device), so it does not name the folder
        folder = result_folder_name(
            preset, {name: value for name, value in changed.items() if name != "device"}
        )
    elif not folder or Path(folder).is_absolute() or ".." in Path(folder).parts:
        raise ExperimentError(f"folder must be a relative path inside the results, got {folder!r}")
    experiment_folder = root / RESULTS_FOLDER / experiment.name
    final = experiment_folder / folder
    label = f"experiment {experiment.name!r} (folder {folder})"
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".partial-{final.name}-", dir=final.parent))
    try:
        _execute(experiment, preset, changed, parameters, root, partial, final, progress, git)
        _swap_in(partial, final)
    except KeyboardInterrupt:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    except Exception as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise ExperimentRunError(_failure_message(label, experiment.notebook, error)) from error
    return final


def _execute(
    experiment: Experiment,
    preset: str,
    changed: Mapping[str, Any],
    parameters: dict[str, Any],
    root: Path,
    partial: Path,
    final: Path,
    progress: bool,
    git: dict[str, Any],
) -> None:
    """Run the notebook into ``partial`` and write its provenance there."""
    import papermill

    notebook = root / experiment.notebook
    cwd = notebook.parent
    partial_rel = Path(os.path.relpath(partial, cwd)).as_posix()
    final_rel = Path(os.path.relpath(final, cwd)).as_posix()
    output = partial / "notebook.ipynb"
    import torch

    device = _device_record(parameters["device"])
    started = datetime.now(UTC)
    clock = time.perf_counter()
    with _environment(PROGRESS_VARIABLE, "0"):
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters={**parameters, "results_dir": partial_rel},
            kernel_name=KERNEL_NAME,
            progress_bar=progress,
            cwd=str(cwd),
        )
    wall_time = time.perf_counter() - clock
    _tidy_notebook(
        output,
        partial_rel,
        final_rel,
        experiment.notebook,
        final.relative_to(root).joinpath(output.name).as_posix(),
    )
    provenance = {
        "experiment": experiment.name,
        "preset": preset,
        "overrides": dict(changed),
        "folder": final.relative_to(root).as_posix(),
        "notebook": experiment.notebook,
        "command": run_command(experiment.name, preset, changed),
        "parameters": {**parameters, "results_dir": final_rel},
        "git": git,
        "device": device,
        # BEYOND_MLE_MATMUL_PRECISION, inherited by the kernel: "high" allows TF32 products
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "versions": _versions(),
        "platform": platform.platform(),
        "started": started.isoformat(timespec="seconds"),
        "wall_time_s": round(wall_time, 3),
    }
    save_results(partial, provenance, "provenance.json")
