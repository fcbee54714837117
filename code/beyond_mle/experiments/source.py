"""The code's revision where no git repository travels: a manifest of the tracked files.

A lent GPU machine receives a copy of the work tree without ``.git``. Before it goes,
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

__all__ = ["MANIFEST_VARIABLE", "check_manifest", "write_manifest"]

#: The environment variable naming the manifest on a machine without ``.git``.
MANIFEST_VARIABLE = "BEYOND_MLE_SOURCE_MANIFEST"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ExperimentError(f"git {' '.join(args)} failed in {root}: {done.stderr.strip()}")
    return done.stdout


def write_manifest(root: Path, path: Path) -> dict[str, Any]:
    """Record the clean revision of ``root`` and the hash of each tracked file, into ``path``.

    Raises:
        ExperimentError: outside a git work tree, or where tracked files outside the results
            differ from the revision (commit them first).
    """
    revision = _git(root, "rev-parse", "HEAD").strip()
    status = _git(
        root,
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        ".",
        f":(exclude){RESULTS_FOLDER.as_posix()}",
    )
    if status.strip():
        changed = [line[3:] for line in status.splitlines()]
        raise ExperimentError(
            f"the work tree at {root} has uncommitted changes ({', '.join(changed[:5])}): "
            "commit them before writing a source manifest"
        )
    files = {
        name: _sha256(root / name)
        for name in _git(root, "ls-files", "-z").split("\0")
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
