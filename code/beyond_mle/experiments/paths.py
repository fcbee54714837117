"""Where the repository and the experiments' results live."""

from __future__ import annotations

import os
from pathlib import Path

from beyond_mle.paths import ROOT_MARKER, find_root

__all__ = ["RESULTS_FOLDER", "ROOT_MARKER", "find_root", "results_folder"]

#: The results of runs, relative to the repository root: ``<experiment>/<preset>/``.
RESULTS_FOLDER = Path("book") / "results"


def results_folder(root: str | os.PathLike[str], experiment: str, preset: str) -> Path:
    """The folder of one run's results: ``<root>/book/results/<experiment>/<preset>``."""
    for part in (experiment, preset):
        if not part or part.startswith(".") or "/" in part or os.sep in part:
            raise ValueError(f"{part!r} is not a results folder name")
    return Path(root) / RESULTS_FOLDER / experiment / preset
