"""Where the book's repository is: the folder that holds its table of contents."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ROOT_MARKER", "find_root"]

#: The file that marks the repository root (the book's table of contents).
ROOT_MARKER = "_toc.yml"


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
