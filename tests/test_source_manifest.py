"""The source manifest that names the code's revision where no .git travels."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from beyond_mle.config import ExperimentError
from beyond_mle.experiments.source import (
    MANIFEST_VARIABLE,
    check_manifest,
    git_state,
    write_manifest,
)


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "code").mkdir(parents=True)
    (root / "book" / "results" / "x").mkdir(parents=True)
    (root / "code" / "a.py").write_text("a = 1\n")
    (root / "book" / "results" / "x" / "results.json").write_text("{}\n")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    return root


def test_a_copy_without_git_is_vouched_for_until_a_file_changes(repository, tmp_path, monkeypatch):
    manifest = write_manifest(repository, repository / ".gpu" / "source.json")
    revision = _git(repository, "rev-parse", "HEAD").strip()
    assert manifest["revision"] == revision
    assert list(manifest["files"]) == ["code/a.py"]  # results are data, not code

    copy = tmp_path / "copy"  # what a GPU machine receives: the files, no .git
    (copy / "code").mkdir(parents=True)
    (copy / "code" / "a.py").write_text("a = 1\n")
    state = check_manifest(copy, repository / ".gpu" / "source.json")
    assert state == {
        "revision": revision,
        "dirty": False,
        "checked_against": "source manifest of 1 tracked files",
    }
    monkeypatch.setenv(MANIFEST_VARIABLE, str(repository / ".gpu" / "source.json"))
    assert git_state(copy)["revision"] == revision  # the runner's record

    (copy / "code" / "a.py").write_text("a = 2\n")
    state = check_manifest(copy)
    assert state is not None and state["dirty"] is True and state["changed"] == ["code/a.py"]
    monkeypatch.delenv(MANIFEST_VARIABLE)
    assert check_manifest(copy) is None
    assert git_state(copy) == {"revision": None, "dirty": None}


def test_a_dirty_tree_gets_no_manifest(repository):
    (repository / "code" / "a.py").write_text("a = 3\n")
    with pytest.raises(ExperimentError, match=r"uncommitted changes \(code/a.py\)"):
        write_manifest(repository, repository / "m.json")
    assert not (repository / "m.json").exists()
    (repository / "code" / "a.py").write_text("a = 1\n")
    (repository / "book" / "results" / "x" / "results.json").write_text('{"new": 1}\n')
    assert json.loads(json.dumps(write_manifest(repository, repository / "m.json")))["revision"]
