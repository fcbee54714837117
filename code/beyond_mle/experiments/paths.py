"""Where the repository and the experiments' results live."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["RESULTS_FOLDER", "ROOT_MARKER", "find_root", "results_folder"]

#: The file that marks the repository root (the book's table of contents).
ROOT_MARKER = "_toc.yml"

#: The results of runs, relative to the repository root: ``<experiment>/<preset>/``.
RESULTS_FOLDER = Path("book") / "results"


def _walk_up(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ROOT_MARKER).is_file():
            return folder
    return None


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The repository root: the nearest folder up from ``start`` that holds ``_toc.yml``.

    Args:
        start: where to start; by default the current directory, then the package's location.

    Returns:
        The absolute path of the root.

    Raises:
        FileNotFoundError: if no folder up from there holds ``_toc.yml``.
    """
    starts = [Path(start)] if start is not None else [Path.cwd(), Path(__file__).parent]
    for folder in starts:
        root = _walk_up(folder.resolve())
        if root is not None:
            return root
    raise FileNotFoundError(
        f"no {ROOT_MARKER} found above {', '.join(str(folder) for folder in starts)}: "
        "run from inside the book's repository or pass its root"
    )


def results_folder(root: str | os.PathLike[str], experiment: str, preset: str) -> Path:
    """The folder of one run's results: ``<root>/book/results/<experiment>/<preset>``."""
    for part in (experiment, preset):
        if not part or part.startswith(".") or "/" in part or os.sep in part:
            raise ValueError(f"{part!r} is not a results folder name")
    return Path(root) / RESULTS_FOLDER / experiment / preset
