"""Tests of refreshing committed notebook outputs in place (``python -m beyond_mle execute``).

Two kernel executions, each on a throwaway copy of ``tests/fixtures/tiny_experiment.ipynb``: one
that succeeds and one whose cell raises. The command line's bookkeeping (every chapter, several
notebooks, failures, unknown paths, the timeout) runs with :func:`refresh_notebook` replaced.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import nbformat
import pytest

import beyond_mle.__main__ as cli
from beyond_mle.__main__ import main
from beyond_mle.experiments import EXPERIMENTS, NotebookRefreshError, refresh_notebook
from beyond_mle.experiments.refresh import (
    DEFAULT_TIMEOUT,
    chapter_notebooks,
    check_notebooks,
    kernel_environment,
    strip_volatile_metadata,
)

INLINE = "module://matplotlib_inline.backend_inline"
REPOSITORY = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tiny_experiment.ipynb"

#: Metadata a papermill run or an nbclient run with timings leaves behind.
EXECUTION = {"iopub.execute_input": "2024-01-01T00:00:00Z", "shell.execute_reply": "later"}
PAPERMILL_CELL = {"duration": 0.1, "status": "completed", "exception": False}
PAPERMILL_NOTEBOOK = {"input_path": "in.ipynb", "output_path": "out.ipynb", "parameters": {}}


def _copy(tmp_path: Path, *sources: str, name: str = "tiny.ipynb") -> Path:
    """A copy of the fixture in its own folder, with code cells appended."""
    folder = tmp_path / "chapter"
    folder.mkdir(exist_ok=True)
    notebook = nbformat.read(FIXTURE, as_version=nbformat.NO_CONVERT)
    for index, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        cell.id = f"appended-{index}"
        notebook.cells.append(cell)
    path = folder / name
    nbformat.write(notebook, path)
    return path


def _stale(path: Path) -> None:
    """Give a notebook what earlier runs leave: timings, papermill records, an injected cell."""
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    notebook.metadata["papermill"] = dict(PAPERMILL_NOTEBOOK)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.metadata["execution"] = dict(EXECUTION)
            cell.metadata["papermill"] = dict(PAPERMILL_CELL)
    injected = nbformat.v4.new_code_cell("n = 100\n", metadata={"tags": ["injected-parameters"]})
    injected.id = "injected"
    notebook.cells.insert(2, injected)
    nbformat.write(notebook, path)


@pytest.fixture
def no_kernel(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, int]]:
    """Replace the refresh the command line calls; records (notebook, timeout) per call."""
    calls: list[tuple[Path, int]] = []

    def refresh(path: Path, *, timeout: int = DEFAULT_TIMEOUT) -> float:
        calls.append((Path(path), timeout))
        if "bad" in Path(path).name:
            raise NotebookRefreshError(path, "ValueError: boom", cell_index=4, seconds=0.5)
        return 1.5

    monkeypatch.setattr(cli, "refresh_notebook", refresh)
    return calls


def test_refresh_fills_outputs_and_leaves_no_volatile_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(
        tmp_path,
        "print(progress_enabled())\n"
        "print(os.environ.get('MPLBACKEND', 'unset'))\n"
        "print(os.getcwd())\n"
        "print(squares.tolist())",
    )
    _stale(path)
    os.chmod(path, 0o640)
    before = json.loads(path.read_text(encoding="utf-8"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("BEYOND_MLE_PROGRESS", "1")
    monkeypatch.chdir(tmp_path)  # the kernel must run in the notebook's folder, not here

    seconds = refresh_notebook(path, timeout=120)

    assert seconds > 0
    after = json.loads(path.read_text(encoding="utf-8"))
    assert (after["nbformat"], after["nbformat_minor"]) == (before["nbformat"], 5)
    assert "papermill" not in after["metadata"]
    assert after["metadata"]["kernelspec"] == before["metadata"]["kernelspec"]
    assert [cell["id"] for cell in after["cells"]] == [
        cell["id"] for cell in before["cells"] if cell["id"] != "injected"
    ]
    for cell in after["cells"]:
        assert "execution" not in cell["metadata"]
        assert "papermill" not in cell["metadata"]
    assert after["cells"][1]["metadata"] == {"tags": ["parameters"]}
    code = [cell for cell in after["cells"] if cell["cell_type"] == "code"]
    assert [cell["execution_count"] for cell in code] == [1, 2, 3, 4]
    (output,) = code[-1]["outputs"]
    assert output["output_type"] == "stream" and output["name"] == "stdout"
    progress, backend, cwd, squares = "".join(output["text"]).splitlines()
    assert progress == "False"  # bars off
    assert backend in ("unset", INLINE)  # not the Agg exported here: ipykernel's own default
    assert os.path.samefile(cwd, path.parent)
    assert squares == "[0.0, 1.0, 4.0]"  # the notebook's default n = 3, not the injected 100
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(path.parent)) == [path.name]  # no temporary file left


def test_failing_cell_leaves_the_notebook_untouched_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(tmp_path, "print('before')", "raise ValueError('boom')", name="bad.ipynb")
    _stale(path)
    content = path.read_bytes()

    assert main(["execute", "--timeout", "120", str(path)]) == 1

    assert path.read_bytes() == content
    assert sorted(os.listdir(path.parent)) == [path.name]
    out, err = capsys.readouterr()
    assert f"{path}: FAILED after" in out
    # Cells: markdown, parameters, injected, two fixture cells, print, raise (index 6).
    assert "cell 6 (\"raise ValueError('boom')\") raised ValueError: boom" in " ".join(err.split())
    assert "left unchanged" in err


def test_unknown_path_exits_2_before_any_kernel_starts(
    tmp_path: Path, no_kernel: list[tuple[Path, int]], capsys: pytest.CaptureFixture[str]
) -> None:
    good = shutil.copy(FIXTURE, tmp_path / "tiny.ipynb")
    text = tmp_path / "notes.txt"
    text.write_text("not a notebook")
    missing = tmp_path / "missing.ipynb"

    assert main(["execute", str(good), str(missing)]) == 2
    assert f"no such notebook: {missing}" in " ".join(capsys.readouterr().err.split())
    assert main(["execute", str(text)]) == 2
    assert "not a notebook (.ipynb)" in capsys.readouterr().err
    assert no_kernel == []


def test_every_notebook_is_tried_and_each_gets_a_line(
    tmp_path: Path, no_kernel: list[tuple[Path, int]], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = shutil.copy(FIXTURE, tmp_path / "bad.ipynb")
    good = shutil.copy(FIXTURE, tmp_path / "good.ipynb")

    assert main(["execute", "--timeout", "5", str(bad), str(good), str(good)]) == 1

    assert no_kernel == [(Path(bad), 5), (Path(good), 5)]  # the repeat is refreshed once
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{bad}: FAILED after 0.5 s", f"{good}: refreshed in 1.5 s"]
    assert "cell 4" in err and "ValueError: boom" in err and "1 of 2 notebooks failed" in err


def test_no_argument_refreshes_every_chapter(
    monkeypatch: pytest.MonkeyPatch,
    no_kernel: list[tuple[Path, int]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(REPOSITORY)

    assert main(["execute"]) == 0

    registered = [experiment.notebook for experiment in EXPERIMENTS.values()]
    assert [path.as_posix() for path, _ in no_kernel] == registered
    assert {timeout for _, timeout in no_kernel} == {DEFAULT_TIMEOUT}
    assert len(capsys.readouterr().out.splitlines()) == len(registered)
    assert chapter_notebooks() == [REPOSITORY / notebook for notebook in registered]


def test_timeout_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["execute", "--timeout", "0", str(FIXTURE)]) == 2
    assert "positive number of seconds" in capsys.readouterr().err


def test_strip_volatile_metadata_and_kernel_environment(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    _stale(path)
    notebook = strip_volatile_metadata(nbformat.read(path, as_version=nbformat.NO_CONVERT))
    assert "papermill" not in notebook.metadata
    assert all(not {"execution", "papermill"} & set(cell.metadata) for cell in notebook.cells)
    assert [cell.id for cell in notebook.cells] == ["cell-0", "cell-1", "cell-2", "cell-3"]

    env = kernel_environment({"MPLBACKEND": "Agg", "BEYOND_MLE_PROGRESS": "1", "HOME": "/h"})
    assert env == {"BEYOND_MLE_PROGRESS": "0", "HOME": "/h", "PYTHONHASHSEED": "0"}
    assert check_notebooks([path, path.parent / ".." / "chapter" / path.name]) == [path]
