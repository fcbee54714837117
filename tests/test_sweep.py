"""Sweeps: grids, cells, resume, failures, summaries, the local backend and the CLI.

Most tests run the tiny experiment with papermill replaced by a stand-in (as the runner's tests
do); one runs real kernels in two worker processes. The SLURM backend is tested against a real
single-node SLURM in ``test_sweep_slurm.py``.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import nbformat
import papermill
import pytest
from scipy import stats
from test_experiments import FIXTURE, TINY

from beyond_mle.__main__ import main
from beyond_mle.config import Experiment, ExperimentError, Param, common_params
from beyond_mle.experiments import save_results
from beyond_mle.experiments.sweep import (
    MANIFEST,
    SUMMARY_RULE,
    SlurmOptions,
    parse_grid,
    plan_sweep,
    run_sweep,
    summarize,
)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A committed repository root holding the tiny experiment's notebook."""
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\n")
    notebook = tmp_path / TINY.notebook
    notebook.parent.mkdir(parents=True)
    shutil.copy(FIXTURE, notebook)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "fixture")
    return tmp_path


@pytest.fixture
def fake_papermill(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Papermill replaced: results {"value": seed * scale, "n": n}; scale 13 fails."""
    calls: list[dict] = []

    def execute(input_path, output_path, *, parameters, cwd, **kwargs):
        calls.append(dict(parameters))
        if parameters["scale"] == 13.0:
            raise RuntimeError("unlucky scale")
        nbformat.write(nbformat.read(input_path, as_version=4), output_path)
        results = {"value": parameters["seed"] * parameters["scale"], "n": parameters["n"]}
        save_results(Path(cwd) / parameters["results_dir"], results)

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    return calls


# Grids


def test_grids_read_ranges_lists_and_list_parameters():
    assert parse_grid(TINY, ["seed=0:5"]) == {"seed": [0, 1, 2, 3, 4]}
    assert parse_grid(TINY, ["seed=0:3000:1000", "scale=0.5,2"]) == {
        "seed": [0, 1000, 2000],
        "scale": [0.5, 2.0],
    }
    listed = Experiment(
        name="listed",
        notebook="x.ipynb",
        description="",
        params={**common_params(), "sizes": Param("list[int]", (1,), low=1)},
        presets={"book": {}, "paper": {}},
    )
    assert parse_grid(listed, ["sizes=1,2;3"]) == {"sizes": [[1, 2], [3]]}


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([], "at least one --grid"),
        (["seed"], "must be NAME=VALUES"),
        (["nope=1,2"], "has no parameter .nope.; valid parameters"),
        (["seed=3:3"], "gives no value"),
        (["seed=0:4:0"], "step of a range must not be 0"),
        (["seed=1", "seed=2"], "given twice"),
        (["scale=big"], "is not a number"),
        (["results_dir=a,b"], "set by the runner"),
    ],
)
def test_bad_grids_are_refused_with_a_clear_message(specs, message):
    with pytest.raises(ExperimentError, match=message):
        parse_grid(TINY, specs)


def test_every_cell_is_checked_before_anything_runs(root, fake_papermill):
    with pytest.raises(ExperimentError, match=r"parameter 'n' = 500 is invalid: out of range"):
        run_sweep(TINY, "book", ["n=3,500"], root=root, progress=False)
    with pytest.raises(ExperimentError, match="both fixed"):
        plan_sweep(TINY, "book", ["n=1,2"], {"n": "3"})
    with pytest.raises(ExperimentError, match="unknown preset|preset"):
        plan_sweep(TINY, "huge", ["n=1,2"])
    with pytest.raises(ExperimentError, match="backend must be one of local, slurm"):
        run_sweep(TINY, "book", ["n=1"], backend="mpi", root=root)
    with pytest.raises(ExperimentError, match="time_min must be >= 1"):
        SlurmOptions(time_min=0)
    assert fake_papermill == [] and not (root / "book" / "results").exists()


def test_cells_expand_the_grid_in_order_with_folders_named_by_values():
    sweep = plan_sweep(TINY, "paper", ["seed=0:2", "scale=1,2"], {"n": "4"})
    assert sweep.name == "sweep-paper+seed=0_2+scale=1,2"
    assert [cell.values for cell in sweep.cells] == [
        {"seed": 0, "scale": 1.0},
        {"seed": 0, "scale": 2.0},
        {"seed": 1, "scale": 1.0},
        {"seed": 1, "scale": 2.0},
    ]
    assert sweep.cells[1].folder == "seed=0+scale=2.0"
    assert sweep.overrides(sweep.cells[1]) == {"n": 4, "seed": 0, "scale": 2.0}


# Running, resuming, failing


def test_a_sweep_writes_cells_manifest_and_summary(root, fake_papermill):
    sweep = run_sweep(TINY, "book", ["seed=0:4", "scale=1,2"], root=root, progress=False)
    folder = root / "book" / "results" / "tiny" / sweep.name
    assert [cell.status for cell in sweep.cells] == ["done"] * 8
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["grid"] == {"seed": [0, 1, 2, 3], "scale": [1.0, 2.0]}
    assert all(
        (folder / cell["folder"] / "provenance.json").is_file() for cell in manifest["cells"]
    )
    assert not [path for path in folder.iterdir() if path.name.startswith(".partial")]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["group_by"] == ["scale"] and summary["rule"] == SUMMARY_RULE
    row = next(r for r in summary["rows"] if r["scale"] == "2.0" and r["metric"] == "value")
    values = [0.0, 2.0, 4.0, 6.0]
    half = stats.t.ppf(0.975, 3) * stats.tstd(values) / math.sqrt(4)
    assert row["n"] == 4 and row["mean"] == pytest.approx(3.0)
    assert row["std"] == pytest.approx(stats.tstd(values))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((3.0 - half, 3.0 + half))
    assert (folder / "summary.csv").read_text().startswith("scale,metric,n,mean,std")


def test_a_sweep_resumes_keeping_what_is_current(root, fake_papermill):
    run_sweep(TINY, "book", ["seed=0:3"], name="s", root=root, progress=False)
    assert len(fake_papermill) == 3
    again = run_sweep(TINY, "book", ["seed=0:4"], name="s", root=root, progress=False)
    assert [cell.status for cell in again.cells] == ["kept", "kept", "kept", "done"]
    assert len(fake_papermill) == 4  # only the new cell ran
    # a cell whose folder was removed (or never finished) runs again
    shutil.rmtree(root / "book" / "results" / "tiny" / "s" / "seed=1")
    third = run_sweep(TINY, "book", ["seed=0:4"], name="s", root=root, progress=False)
    assert [cell.status for cell in third.cells] == ["kept", "done", "kept", "kept"]
    # a new revision of the code reruns everything
    (root / "README").write_text("changed")
    _git(root, "add", "README")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "next")
    fourth = run_sweep(TINY, "book", ["seed=0:4"], name="s", root=root, progress=False)
    assert [cell.status for cell in fourth.cells] == ["done"] * 4


def test_a_failed_cell_is_recorded_and_the_others_go_on(root, fake_papermill):
    sweep = run_sweep(TINY, "book", ["scale=1,13,2"], name="f", root=root, progress=False)
    assert [cell.status for cell in sweep.cells] == ["done", "failed", "done"]
    assert "unlucky scale" in sweep.cells[1].error
    manifest = json.loads((root / "book" / "results" / "tiny" / "f" / MANIFEST).read_text())
    assert manifest["cells"][1]["status"] == "failed" and "unlucky" in manifest["cells"][1]["error"]
    assert not (root / "book" / "results" / "tiny" / "f" / "scale=13.0").exists()
    again = run_sweep(TINY, "book", ["scale=1,13,2"], name="f", root=root, progress=False)
    assert [cell.status for cell in again.cells] == ["kept", "failed", "kept"]


def test_summarize_refuses_what_is_not_a_sweep(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a sweep folder"):
        summarize(tmp_path)


def test_the_cli_runs_resumes_and_summarizes(root, fake_papermill, capsys):
    args = ["sweep", "tiny", "--grid", "seed=0:2", "--name", "c", "--root", str(root)]
    args += ["--no-progress", "-p", "n", "4"]
    from beyond_mle.experiments.registry import EXPERIMENTS

    EXPERIMENTS["tiny"] = TINY
    try:
        assert main(args) == 0
        assert "2 cells (2 done)" in capsys.readouterr().out
        assert main(args) == 0
        assert "2 cells (2 kept)" in capsys.readouterr().out
        folder = root / "book" / "results" / "tiny" / "c"
        assert main(["summarize", str(folder)]) == 0
        assert (
            main(["sweep", "tiny", "--grid", "seed=0:2", "--grid", "n=500", "--root", str(root)])
            == 2
        )
        assert "out of range" in capsys.readouterr().err
    finally:
        EXPERIMENTS.pop("tiny")


def test_local_workers_run_real_kernels_one_process_each(root):
    """Two worker processes, three cells, real papermill kernels."""
    sweep = run_sweep(TINY, "book", ["n=1:4"], name="real", jobs=2, root=root, progress=False)
    assert [cell.status for cell in sweep.cells] == ["done"] * 3, [c.error for c in sweep.cells]
    folder = root / "book" / "results" / "tiny" / "real"
    totals = [
        json.loads((folder / f"n={n}" / "results.json").read_text())["total"] for n in (1, 2, 3)
    ]
    assert totals == [0, 1, 5]


def test_tables_in_results_are_summarized_cell_by_cell():
    from beyond_mle.experiments.sweep import _scalars

    results = {
        "summary": {"objective": ["ce", "bleu"], "length": [8, 8], "final": [1.0, 0.25]},
        "history": [{"step": 0.0, "loss": 2.0}, {"step": 10.0, "loss": 1.5}],
        "levels": {"chance": 0.5, "echo": True, "name": "x"},
        "curve": [0.1, 0.2],
    }
    assert _scalars(results) == {
        "summary.final[0: objective=ce, length=8]": 1.0,
        "summary.final[1: objective=bleu, length=8]": 0.25,
        "history.step[0]": 0.0,
        "history.loss[0]": 2.0,
        "history.step[1]": 10.0,
        "history.loss[1]": 1.5,
        "levels.chance": 0.5,
        "levels.echo": 1.0,
        "curve[0]": 0.1,
        "curve[1]": 0.2,
    }


def test_table_intervals_pick_one_column_in_row_order():
    import pandas as pd

    from beyond_mle.experiments.sweep import table_intervals

    summary = pd.DataFrame(
        {
            "metric": ["t.x[1: k=b]", "t.x[0: k=a]", "t.y[0: k=a]", "other"],
            "n": [5, 5, 5, 5], "mean": [2.0, 1.0, 3.0, 0.0],
            "std": [0.1] * 4, "ci_low": [1.9, 0.9, 2.9, 0.0], "ci_high": [2.1, 1.1, 3.1, 0.0],
        }
    )  # fmt: skip
    table = table_intervals(summary, "t", "x")
    assert list(table["label"]) == ["k=a", "k=b"] and list(table["mean"]) == [1.0, 2.0]
    with pytest.raises(ValueError, match="no column 'z'"):
        table_intervals(summary, "t", "z")
