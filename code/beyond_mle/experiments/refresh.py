"""Refresh the committed outputs of chapter notebooks in place: ``python -m beyond_mle execute``.

A chapter's committed outputs are what the book renders and what nbval compares against, so after
a chapter changes they are re-executed here, cleanly:

* with nbclient, in the notebook's own folder, at its own default parameters (nothing is
  injected, unlike papermill);
* with progress bars off (``BEYOND_MLE_PROGRESS=0``) and ``MPLBACKEND`` removed, so that the
  kernel keeps its inline backend and figures, as ``book/conftest.py`` does for nbval;
* without volatile metadata: execution timestamps and papermill's records are removed, so that a
  refresh changes only what the outputs themselves change;
* atomically: the file is replaced (temporary file, then :func:`os.replace`) only once every cell
  has run, so a failing or interrupted notebook is left byte for byte as it was.

Example::

    from beyond_mle.experiments import refresh_notebook

    seconds = refresh_notebook("book/bleu/differentiable_bleu.ipynb")
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from beyond_mle.experiments.paths import find_root
from beyond_mle.experiments.registry import EXPERIMENTS
from beyond_mle.progress import PROGRESS_VARIABLE

__all__ = [
    "DEFAULT_TIMEOUT",
    "KERNEL_NAME",
    "NotebookRefreshError",
    "check_notebooks",
    "chapter_notebooks",
    "kernel_environment",
    "refresh_notebook",
    "strip_volatile_metadata",
]

#: Seconds one cell may run before the refresh fails.
DEFAULT_TIMEOUT = 1800

#: The kernel every chapter runs in (the package's environment, installed by ``make``).
KERNEL_NAME = "python3"

#: The tag papermill gives the cell it injects; such a cell overrides the notebook's defaults.
INJECTED_TAG = "injected-parameters"


class NotebookRefreshError(RuntimeError):
    """A notebook that could not be refreshed; its file was left untouched.

    Attributes:
        path: the notebook, as it was given.
        cell_index: the failing cell's 0-based position among all the cells of the file as
            it is (markdown cells included); ``None`` when no cell was running (e.g. the kernel
            did not start, or the file could not be read).
        reason: what went wrong, e.g. ``"ValueError: boom"``.
        seconds: the wall time spent before the failure.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        reason: str,
        *,
        cell_index: int | None = None,
        cell_line: str = "",
        seconds: float = 0.0,
    ) -> None:
        """Record the failure.

        Args:
            path: the notebook, as it was given.
            reason: what went wrong.
            cell_index: the failing cell's 0-based index, if a cell was running.
            cell_line: the first line of the failing cell's source, shown for context.
            seconds: the wall time spent before the failure.
        """
        self.path = Path(path)
        self.reason = reason
        self.cell_index = cell_index
        self.cell_line = cell_line
        self.seconds = seconds
        where = "" if cell_index is None else f"cell {cell_index} ({cell_line!r}) raised "
        super().__init__(f"{path}: {where}{reason}; the notebook was left unchanged")


def kernel_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a refreshing kernel starts with.

    Progress bars are turned off and ``MPLBACKEND`` is removed, as ``book/conftest.py`` does
    for nbval, so that the kernel keeps its inline backend and the figures. ``PYTHONHASHSEED``
    defaults to ``0``, as the Makefile exports it, so that set and dict orders match nbval's.

    Args:
        base: the environment to start from (default: ``os.environ``); it is not modified.

    Returns:
        A new mapping of environment variables.
    """
    env = dict(os.environ if base is None else base)
    env[PROGRESS_VARIABLE] = "0"
    env.pop("MPLBACKEND", None)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def strip_volatile_metadata(notebook: Any) -> Any:
    """Remove what changes on every execution without changing the notebook, in place.

    Removed: each cell's ``metadata["execution"]`` (nbclient's timestamps), papermill's
    ``metadata["papermill"]`` records of the notebook and of each cell, and any cell papermill
    injected (tagged ``injected-parameters``), which would override the notebook's defaults.

    Args:
        notebook: an ``nbformat`` v4 notebook.

    Returns:
        The same notebook.
    """
    notebook.metadata.pop("papermill", None)
    notebook.cells = [
        cell for cell in notebook.cells if INJECTED_TAG not in cell.metadata.get("tags", [])
    ]
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
    return notebook


def _first_line(source: str) -> str:
    lines = source.strip().splitlines()
    return lines[0] if lines else ""


def _reason(error: BaseException) -> str:
    """A one-line description of an execution failure."""
    from nbclient.exceptions import CellExecutionError

    if isinstance(error, CellExecutionError):
        return f"{error.ename}: {error.evalue}"
    text = _first_line(str(error))
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _write_atomically(notebook: Any, path: Path) -> None:
    """Write ``notebook`` to ``path`` through a temporary file in the same folder.

    The notebook keeps its nbformat version; the file keeps its permissions.
    """
    import nbformat

    text = nbformat.writes(notebook, version=nbformat.NO_CONVERT)
    if not text.endswith("\n"):
        text += "\n"
    mode = stat.S_IMODE(path.stat().st_mode)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def refresh_notebook(
    path: str | os.PathLike[str], *, timeout: int | None = DEFAULT_TIMEOUT
) -> float:
    """Re-execute a notebook in place at its default parameters and write back clean outputs.

    The notebook runs with nbclient in kernel ``python3``, in its own folder, with the
    environment of :func:`kernel_environment`. Once every cell has run, volatile metadata is
    removed (:func:`strip_volatile_metadata`) and the file is replaced atomically, keeping its
    nbformat version and cell ids. If anything fails, the file is not touched.

    Args:
        path: the notebook (``.ipynb``, nbformat 4).
        timeout: seconds each cell may run (``None``: no limit).

    Returns:
        The wall time in seconds, from reading the notebook to writing it back.

    Raises:
        FileNotFoundError: the notebook does not exist.
        NotebookRefreshError: the notebook could not be read, or a cell raised, timed out or
            killed the kernel; its message names the notebook, the cell's 0-based index and
            the error.
    """
    import nbformat
    from nbclient import NotebookClient

    started = time.perf_counter()
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"no such notebook: {path}")
    try:
        notebook = nbformat.read(file, as_version=nbformat.NO_CONVERT)
    except Exception as error:  # invalid JSON or not a notebook
        raise NotebookRefreshError(path, f"could not be read: {_reason(error)}") from error
    if notebook.get("nbformat") != 4:
        raise NotebookRefreshError(
            path, f"nbformat {notebook.get('nbformat')} is not supported (4 is needed)"
        )
    # Where each cell that runs sits in the file (injected cells are dropped before the run).
    positions = [
        index
        for index, cell in enumerate(notebook.cells)
        if INJECTED_TAG not in cell.metadata.get("tags", [])
    ]
    strip_volatile_metadata(notebook)

    running: dict[str, Any] = {"index": None, "line": ""}

    def on_cell_execute(cell: Any, cell_index: int) -> None:
        running["index"] = positions[cell_index]
        running["line"] = _first_line(cell.source)

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        record_timing=False,
        resources={"metadata": {"path": str(file.resolve().parent)}},
        on_cell_execute=on_cell_execute,
    )
    try:
        client.execute(env=kernel_environment())
    except Exception as error:
        raise NotebookRefreshError(
            path,
            _reason(error),
            cell_index=running["index"],
            cell_line=running["line"],
            seconds=time.perf_counter() - started,
        ) from error
    strip_volatile_metadata(notebook)
    _write_atomically(notebook, file)
    return time.perf_counter() - started


def chapter_notebooks(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Every registered experiment's notebook, i.e. every chapter, in registration order.

    Args:
        root: the repository root (default: :func:`find_root`).

    Returns:
        Absolute paths, without duplicates.
    """
    base = find_root() if root is None else Path(root).resolve()
    notebooks: list[Path] = []
    for experiment in EXPERIMENTS.values():
        notebook = base / experiment.notebook
        if notebook not in notebooks:
            notebooks.append(notebook)
    return notebooks


def check_notebooks(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Check that every path is an existing ``.ipynb`` file, before any kernel starts.

    Args:
        paths: notebooks as given on the command line.

    Returns:
        The paths as given, without repeats (the same file named twice is kept once).

    Raises:
        FileNotFoundError: naming every path that is missing or not a notebook.
    """
    checked: list[Path] = []
    seen: set[Path] = set()
    missing: list[str] = []
    not_notebooks: list[str] = []
    for given in paths:
        path = Path(given)
        if not path.is_file():
            missing.append(str(given))
        elif path.suffix != ".ipynb":
            not_notebooks.append(str(given))
        elif path.resolve() not in seen:
            seen.add(path.resolve())
            checked.append(path)
    problems = []
    if missing:
        problems.append(f"no such notebook: {', '.join(missing)}")
    if not_notebooks:
        problems.append(f"not a notebook (.ipynb): {', '.join(not_notebooks)}")
    if problems:
        raise FileNotFoundError("; ".join(problems) + "; nothing was executed")
    return checked
