"""The code's revision where no git repository travels: a manifest of the tracked files.

The revision a run records comes from git (:func:`git_state`). A lent GPU machine, though,
receives a copy of the work tree without ``.git``. Before it goes,
:func:`write_manifest` records the clean revision and the SHA-256 of every tracked file outside
``book/results``; there, with ``BEYOND_MLE_SOURCE_MANIFEST`` naming that file, the runner calls
:func:`check_manifest`, which names the revision only if every file is still as recorded, so that
a run's provenance can say which code made it (``git.checked_against``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from beyond_mle.config import ExperimentError
from beyond_mle.experiments.paths import RESULTS_FOLDER

__all__ = ["MANIFEST_VARIABLE", "check_manifest", "git_state", "write_manifest"]

#: The environment variable naming the manifest on a machine without ``.git``.
MANIFEST_VARIABLE = "BEYOND_MLE_SOURCE_MANIFEST"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(root: Path, *args: str) -> str | None:
    """The output of ``git -C root ARGS``, stripped; ``None`` if git fails or is missing."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _tree_state(root: Path, revision: str | None) -> dict[str, Any]:
    """``revision`` and whether tracked files outside the results differ from it."""
    status = _git(
        root,
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        ".",
        f":(exclude){RESULTS_FOLDER.as_posix()}",
    )
    state: dict[str, Any] = {
        "revision": revision,
        "dirty": None if status is None else bool(status),
    }
    if status:
        state["changed"] = [line[2:].strip() for line in status.splitlines()]
    return state


def git_state(root: Path) -> dict[str, Any]:
    """The revision of the work tree and whether tracked files differ from it.

    Committed results (``book/results``) are what runs write, not code that makes them: a run
    that replaces one leaves the tree clean for the next. ``dirty`` is ``None`` outside a git
    work tree, unless a manifest (``$BEYOND_MLE_SOURCE_MANIFEST``) vouches for the files
    (:func:`check_manifest`); a dirty tree also lists the changed files.
    """
    revision = _git(root, "rev-parse", "HEAD")
    if revision is None:  # no git here: a copy of the tree may carry a source manifest
        vouched = check_manifest(root)
        if vouched is not None:
            return vouched
    return _tree_state(root, revision)


def write_manifest(root: Path, path: Path) -> dict[str, Any]:
    """Record the clean revision of ``root`` and the hash of each tracked file, into ``path``.

    Raises:
        ExperimentError: outside a git work tree, or where tracked files outside the results
            differ from the revision (commit them first).
    """
    revision = _git(root, "rev-parse", "HEAD")
    if revision is None:
        raise ExperimentError(
            f"{root} is not a git work tree (or git is missing): a source manifest names the "
            "git revision of the files"
        )
    state = _tree_state(root, revision)
    if state["dirty"]:
        raise ExperimentError(
            f"the work tree at {root} has uncommitted changes "
            f"({', '.join(state['changed'][:5])}): commit them before writing a source manifest"
        )
    files = {
        name: _sha256(root / name)
        for name in (_git(root, "ls-files", "-z") or "").split("\0")
        if name and not name.startswith(RESULTS_FOLDER.as_posix() + "/") and (root / name).is_file()
    }
    manifest = {"revision": revision, "files": files}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=0, sort_keys=True) + "\n")
    return manifest


def check_manifest(root: Path, path: Path | None = None) -> dict[str, Any] | None:
    """The git state that a manifest vouches for, or ``None`` where none is named.

    ``path`` defaults to ``$BEYOND_MLE_SOURCE_MANIFEST``. Returns ``{"revision", "dirty",
    "checked_against"}``; ``dirty`` is True, with ``changed`` listing the files, if any tracked
    file is missing or differs.
    """
    if path is None:
        named = os.environ.get(MANIFEST_VARIABLE)
        if not named:
            return None
        path = Path(named)
    manifest = json.loads(Path(path).read_text())
    changed = [
        name
        for name, digest in manifest["files"].items()
        if not (root / name).is_file() or _sha256(root / name) != digest
    ]
    state: dict[str, Any] = {
        "revision": manifest["revision"],
        "dirty": bool(changed),
        "checked_against": f"source manifest of {len(manifest['files'])} tracked files",
    }
    if changed:
        state["changed"] = changed
    return state
