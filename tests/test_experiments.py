"""Tests of the experiment specifications, results files, the runner, the CLI and progress bars.

The runner is checked end to end on ``tests/fixtures/tiny_experiment.ipynb`` (two kernel
executions); its bookkeeping (folders, provenance, clean-up) also with papermill replaced by a
stand-in that writes what an executed notebook would.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import papermill
import pytest
import torch
from papermill.exceptions import PapermillExecutionError

from beyond_mle.__main__ import main
from beyond_mle.experiments import (
    EXPERIMENTS,
    Experiment,
    ExperimentError,
    ExperimentRunError,
    Param,
    common_params,
    find_root,
    get_experiment,
    load_provenance,
    load_results,
    parse_value,
    resolve_device,
    result_folder_name,
    run_experiment,
    save_results,
    to_jsonable,
)
from beyond_mle.experiments.runner import RECORDED_PACKAGES, drop_figures
from beyond_mle.progress import progress, progress_enabled

REPOSITORY = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tiny_experiment.ipynb"

TINY = Experiment(
    name="tiny",
    notebook="book/fixture/tiny_experiment.ipynb",
    description="squares of a few numbers",
    params={
        **common_params(),
        "n": Param(int, 3, low=0, high=100, help="how many squares"),
        "scale": Param(float, 1.0, low=0.0, help="factor applied to the squares"),
    },
    presets={"book": {}, "paper": {"n": 5}},
)

KINDS = Experiment(
    name="kinds",
    notebook="book/kinds.ipynb",
    description="one parameter of each kind",
    params={
        **common_params(),
        "rate": Param(float, 0.5, low=0.0, high=1.0),
        "mode": Param(str, "soft", choices=("soft", "hard")),
        "flag": Param(bool, False),
        "sizes": Param("list[int]", (1, 2), low=1, high=10),
        "temperatures": Param(list[float], [0.1, 1.0], low=0.0),
    },
    presets={"book": {}, "paper": {"rate": 1.0}},
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A repository root holding the tiny experiment's notebook."""
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\n")
    notebook = tmp_path / TINY.notebook
    notebook.parent.mkdir(parents=True)
    shutil.copy(FIXTURE, notebook)
    return tmp_path


@pytest.fixture
def fake_papermill(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Replace papermill's execution by one that writes an executed notebook and results."""
    calls: list[dict] = []

    def execute(input_path, output_path, *, parameters, cwd, **kwargs):
        calls.append({"parameters": parameters, "cwd": cwd, **kwargs})
        executed = nbformat.read(input_path, as_version=4)
        injected = nbformat.v4.new_code_cell(
            f'results_dir = "{parameters["results_dir"]}"',
            metadata={"tags": ["injected-parameters"]},
        )
        executed.cells.insert(2, injected)
        executed.metadata["papermill"] = {"parameters": dict(parameters)}
        nbformat.write(executed, output_path)
        save_results(Path(cwd) / parameters["results_dir"], {"n": parameters["n"]})

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    return calls


def _leftovers(root: Path, experiment: str = "tiny") -> list[str]:
    folder = root / "book" / "results" / experiment
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


# Specifications and validation


def test_registry_entries_are_complete():
    assert "differentiable_bleu" in EXPERIMENTS
    for experiment in EXPERIMENTS.values():
        assert {"seed", "device", "results_dir"} <= set(experiment.params)
        assert experiment.presets["book"] == {}
        experiment.resolve("paper")


def test_differentiable_bleu_specification():
    experiment = get_experiment("differentiable_bleu")
    assert experiment.notebook == "book/bleu/differentiable_bleu.ipynb"
    defaults = experiment.defaults()
    assert defaults["n_corpora"] == 500 and defaults["n_temperatures"] == 13
    assert defaults["device"] == "cpu" and defaults["results_dir"] == ""
    paper, changed = experiment.resolve("paper")
    assert (paper["sweep_batch"], paper["sweep_length"], paper["sweep_vocab"]) == (40, 50, 30_000)
    assert changed == {}  # the pure preset changes nothing relative to itself


def test_validate_parameters_fills_defaults_and_returns_plain_values():
    params = get_experiment("differentiable_bleu").validate({"seed": np.int64(3), "n_corpora": 10})
    assert params["seed"] == 3 and type(params["seed"]) is int
    assert params["n_corpora"] == 10 and params["sweep_vocab"] == 50


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("n_corpora", 0, r"'n_corpora' = 0 is invalid: out of range: expected an integer in \[1, "),
        ("vocab_size", 2_000_000, r"'vocab_size' = 2000000 .* in \[2, 1_000_000\]"),
        ("seed", -1, r"'seed' = -1 .* an integer >= 0"),
        ("seed", 1.5, r"'seed' = 1.5 .* expected an integer"),
        ("seed", True, r"'seed' = True .* expected an integer"),
        ("device", "gpu", r"'device' = 'gpu' .* 'cpu', 'cuda', 'cuda:N' or 'auto'"),
        ("results_dir", 3, r"'results_dir' = 3 .* expected a string"),
    ],
)
def test_validate_parameters_names_parameter_value_and_range(name, value, expected):
    with pytest.raises(ValueError, match=expected):
        get_experiment("differentiable_bleu").validate({name: value})


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("rate", 1.5, r"'rate' = 1.5 .* a number in \[0.0, 1.0\]"),
        ("rate", float("nan"), r"not NaN"),
        ("rate", "0.5", r"expected a number"),
        ("mode", "medium", r"'mode' = 'medium' .* one of 'soft', 'hard'"),
        ("flag", 1, r"'flag' = 1 .* true/false"),
        ("sizes", [1, 11], r"element 11: out of range"),
        ("sizes", "1,2", r"a comma-separated list of ints"),
        ("temperatures", [0.1, -1.0], r"element -1.0"),
    ],
)
def test_each_kind_rejects_invalid_values(name, value, expected):
    with pytest.raises(ExperimentError, match=expected):
        KINDS.validate({name: value})


def test_each_kind_accepts_valid_values():
    params = KINDS.validate(
        {"rate": 1, "mode": "hard", "flag": np.bool_(True), "sizes": (3,), "temperatures": []}
    )
    assert params["rate"] == 1.0 and type(params["rate"]) is float
    assert params["flag"] is True
    assert params["sizes"] == [3] and params["temperatures"] == []
    assert KINDS.defaults()["temperatures"] == [0.1, 1.0]


def test_unknown_parameter_lists_valid_names():
    with pytest.raises(ValueError, match="no parameter 'n_corpra'") as error:
        get_experiment("differentiable_bleu").validate({"n_corpra": 5})
    message = str(error.value)
    assert "did you mean 'n_corpora'" in message
    for name in get_experiment("differentiable_bleu").params:
        assert name in message


def test_unknown_experiment_lists_valid_names():
    with pytest.raises(ValueError, match="valid experiments: .*differentiable_bleu"):
        get_experiment("differentiable-blue")
    with pytest.raises(ValueError, match="did you mean 'differentiable_bleu'"):
        get_experiment("differentiable-bleu")


def test_specifications_reject_inconsistent_definitions():
    with pytest.raises(ValueError, match="default 0 is invalid"):
        Param(int, 0, low=1)
    with pytest.raises(ValueError, match="unknown parameter kind"):
        Param(complex, 0j)
    with pytest.raises(ValueError, match="missing parameters"):
        Experiment("x", "x.ipynb", "", {"seed": Param(int, 0)}, {"book": {}, "paper": {}})
    with pytest.raises(ValueError, match="preset 'paper'.*'n' = 500"):
        Experiment("x", "x.ipynb", "", TINY.params, {"book": {}, "paper": {"n": 500}})


def test_cuda_requested_without_cuda_fails_clearly(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for device in ("cuda", "cuda:1"):
        with pytest.raises(ValueError, match=f"'{device}' was requested but CUDA is not available"):
            get_experiment("differentiable_bleu").validate({"device": device})
    assert get_experiment("differentiable_bleu").validate({"device": "auto"})["device"] == "auto"
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")


# Command-line strings


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (int, "42", 42),
        (int, "1_000", 1000),
        (float, "1e-3", 0.001),
        (bool, "true", True),
        (bool, "False", False),
        (bool, "0", False),
        (bool, "yes", True),
        (str, "cuda", "cuda"),
        ("list[int]", "1, 2,3", [1, 2, 3]),
        ("list[float]", "[0.5, 2]", [0.5, 2.0]),
        ("list[float]", "", []),
    ],
)
def test_parse_value_by_kind(kind, text, expected):
    default = (
        () if str(kind).startswith("list") else {int: 0, float: 0.0, bool: False}.get(kind, "")
    )
    value = parse_value(Param(kind, default), text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("kind", "text"), [(int, "1.5"), (int, "ten"), (bool, "maybe")])
def test_parse_value_rejects_malformed_strings(kind, text):
    with pytest.raises(ExperimentError, match=repr(text)):
        parse_value(Param(kind, {int: 0, bool: False}[kind]), text)


def test_resolve_parses_strings_and_names_folder_by_changed_values():
    params, changed = TINY.resolve("paper", {"scale": "2.5", "n": "5", "seed": 0})
    assert params["scale"] == 2.5 and params["n"] == 5
    assert changed == {"scale": 2.5}  # n=5 is the preset's value, seed=0 the default
    assert result_folder_name("paper", changed) == "paper+scale=2.5"
    assert result_folder_name("book", {}) == "book"
    folder = result_folder_name("book", {"sizes": [1, 2], "mode": "a/b c", "flag": True})
    assert folder == "book+flag=true+mode=a_b_c+sizes=1,2"
    long = result_folder_name("paper", {"temperatures": list(range(100))})
    assert len(long) == 120 and long != result_folder_name("paper", {"temperatures": [0] * 100})


# Results files


def test_to_jsonable_converts_tensors_arrays_and_scalars():
    converted = to_jsonable(
        {
            "tensor": torch.tensor([[1.0, 2.0]], requires_grad=True),
            "scalar": torch.tensor(3),
            "array": np.arange(3, dtype=np.int32),
            "float32": np.float32(0.5),
            "flag": np.bool_(True),
            "nested": ({"path": Path("a/b")},),
            7: None,
        }
    )
    assert converted == {
        "tensor": [[1.0, 2.0]],
        "scalar": 3,
        "array": [0, 1, 2],
        "float32": 0.5,
        "flag": True,
        "nested": [{"path": "a/b"}],
        "7": None,
    }
    json.dumps(converted)
    with pytest.raises(TypeError, match="cannot store a object"):
        to_jsonable(object())


def test_save_results_writes_nothing_for_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert save_results("", {"a": 1}) is None
    assert list(tmp_path.iterdir()) == []


def test_save_results_writes_json_and_csv(tmp_path):
    import pandas as pd

    path = save_results(tmp_path / "out", {"bleu": torch.tensor(0.25), "n": np.int64(4)})
    assert path == tmp_path / "out" / "results.json"
    assert json.loads(path.read_text()) == {"bleu": 0.25, "n": 4}
    frame = pd.DataFrame({"temperature": [0.1, 1.0], "bleu": [0.9, 0.4]})
    csv = save_results(tmp_path / "out", frame, name="sweep.csv")
    pd.testing.assert_frame_equal(pd.read_csv(csv), frame)
    with pytest.raises(ValueError, match="must end in .json or .csv"):
        save_results(tmp_path, {}, name="results.txt")


def test_save_results_is_atomic(tmp_path, monkeypatch):
    path = save_results(tmp_path, {"old": 1})

    def broken_fsync(descriptor):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        save_results(tmp_path, {"new": 2})
    assert json.loads(path.read_text()) == {"old": 1}
    assert [child.name for child in tmp_path.iterdir()] == ["results.json"]
    with pytest.raises(TypeError):
        save_results(tmp_path, {"new": object()})
    assert json.loads(path.read_text()) == {"old": 1}


def test_load_results_finds_root_and_returns_none_when_absent(root, monkeypatch):
    folder = root / "book" / "results" / "tiny" / "paper"
    save_results(folder, {"total": 30})
    save_results(folder, {"preset": "paper"}, name="provenance.json")
    monkeypatch.chdir(root / "book" / "fixture")
    assert find_root() == root
    assert load_results("tiny", "paper") == {"total": 30}
    assert load_provenance("tiny", "paper") == {"preset": "paper"}
    assert load_results("tiny", "book") is None
    assert load_results("tiny", "paper", root=root / "book") is None


# The runner, with papermill replaced


def test_runner_writes_pure_preset_folder_and_replaces_it(root, fake_papermill):
    first = run_experiment(TINY, "paper", {"n": "5"}, root=root, progress=False)
    assert first == root / "book" / "results" / "tiny" / "paper"
    call = fake_papermill[0]
    assert call["kernel_name"] == "python3" and call["progress_bar"] is False
    assert call["cwd"] == str(root / "book" / "fixture")
    assert call["parameters"]["results_dir"].startswith("../results/tiny/.partial-paper-")
    assert sorted(path.name for path in first.iterdir()) == [
        "notebook.ipynb",
        "provenance.json",
        "results.json",
    ]
    provenance = json.loads((first / "provenance.json").read_text())
    assert provenance["overrides"] == {} and provenance["git"] == {"revision": None, "dirty": None}
    executed = nbformat.read(first / "notebook.ipynb", as_version=4)
    assert executed.cells[2].source == 'results_dir = "../results/tiny/paper"'

    run_experiment(TINY, "paper", {"seed": "1"}, root=root, progress=False)
    run_experiment(TINY, "paper", {"n": 7}, root=root, progress=False)
    assert json.loads((root / "book/results/tiny/paper+n=7/results.json").read_text()) == {"n": 7}
    run_experiment(TINY, "paper", root=root, progress=False)
    assert sorted(path.name for path in first.parent.iterdir()) == [
        "paper",
        "paper+n=7",
        "paper+seed=1",
    ]


def _git_repo(root: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "fixture")


def test_runner_refuses_a_dirty_tree_unless_allowed(root, fake_papermill):
    _git_repo(root)
    clean = run_experiment(TINY, root=root, progress=False)
    git = json.loads((clean / "provenance.json").read_text())["git"]
    assert git["dirty"] is False and len(git["revision"]) == 40

    run_experiment(TINY, "paper", root=root, progress=False)  # results only: still clean
    subprocess.run(["git", "-C", str(root), "add", "book/results"], check=True)
    again = run_experiment(TINY, "paper", root=root, progress=False)
    assert json.loads((again / "provenance.json").read_text())["git"]["dirty"] is False

    (root / "_toc.yml").write_text("format: jb-book\nroot: book/other\n")
    before = (clean / "provenance.json").read_text()
    with pytest.raises(ExperimentError, match=r"uncommitted changes.*_toc\.yml.*--allow-dirty"):
        run_experiment(TINY, root=root, progress=False)
    assert len(fake_papermill) == 3 and (clean / "provenance.json").read_text() == before

    dirty = run_experiment(TINY, root=root, progress=False, allow_dirty=True)
    git = json.loads((dirty / "provenance.json").read_text())["git"]
    assert git["dirty"] is True and git["allowed_dirty"] is True and git["changed"] == ["_toc.yml"]


def test_runner_cleans_up_after_interrupt(root, fake_papermill, monkeypatch):
    first = run_experiment(TINY, root=root, progress=False)
    before = (first / "provenance.json").read_text()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(TINY, root=root, progress=False)
    assert (first / "provenance.json").read_text() == before
    assert _leftovers(root) == []


def test_runner_rejects_bad_requests_before_running(root, fake_papermill):
    with pytest.raises(ExperimentError, match="no preset 'papr'.*valid presets: book"):
        run_experiment(TINY, "papr", root=root)
    with pytest.raises(ExperimentError, match="no parameter 'm'.*valid parameters: device, n"):
        run_experiment(TINY, overrides={"m": "1"}, root=root)
    with pytest.raises(ExperimentError, match="'n' = 101 is invalid"):
        run_experiment(TINY, overrides={"n": "101"}, root=root)
    with pytest.raises(ExperimentError, match="'results_dir' is set by the runner"):
        run_experiment(TINY, overrides={"results_dir": "x"}, root=root)
    drifted = Experiment(
        "tiny", TINY.notebook, "", {**TINY.params, "extra": Param(int, 0)}, TINY.presets
    )
    with pytest.raises(ExperimentError, match="does not declare extra"):
        run_experiment(drifted, root=root)
    (root / TINY.notebook).unlink()
    with pytest.raises(ExperimentError, match="notebook book/fixture/tiny_experiment.ipynb not"):
        run_experiment(TINY, root=root)
    assert fake_papermill == []
    assert not (root / "book" / "results").exists() or _leftovers(root) == []


# The command line


def test_cli_list_shows_experiments_presets_and_parameters(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for text in ("differentiable_bleu", "book/bleu/differentiable_bleu.ipynb", "paper"):
        assert text in out
    assert "n_corpora=10000" in out and "[1, 1_000_000]" in out and "random seed" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "differentiable-blue"], "no experiment named 'differentiable-blue'"),
        (["run", "differentiable_bleu", "--preset", "huge"], "no preset 'huge'"),
        (["run", "differentiable_bleu", "-p", "n_corpra", "5"], "no parameter 'n_corpra'"),
        (["run", "differentiable_bleu", "-p", "n_corpora", "0"], "'n_corpora' = 0 is invalid"),
        (["run", "differentiable_bleu", "-p", "seed", "x"], "'x' is not an integer"),
        (["list", "nothing"], "no experiment named 'nothing'"),
    ],
)
def test_cli_errors_exit_2_with_message(argv, expected, capsys):
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("beyond-mle: error:") and expected in err
    assert "Traceback" not in err


def test_cli_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_cli_run_and_notebook_failure(root, fake_papermill, monkeypatch, capsys):
    monkeypatch.setitem(EXPERIMENTS, "tiny", TINY)
    monkeypatch.chdir(root)
    assert main(["run", "tiny", "-p", "n", "4", "--no-progress"]) == 0
    assert capsys.readouterr().out.strip() == "results: book/results/tiny/book+n=4"
    assert main(["run", "tiny", "-p", "n", "4", "-p", "n", "5"]) == 2
    assert "given twice" in capsys.readouterr().err

    def failing(*args, **kwargs):
        raise PapermillExecutionError(3, 2, "squares = 1 / 0", "ZeroDivisionError", "no", [])

    monkeypatch.setattr(papermill, "execute_notebook", failing)
    assert main(["run", "tiny", "-p", "n", "4"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "cell In [2] of book/fixture/tiny_experiment.ipynb raised ZeroDivisionError" in err
    assert "no results were written" in err
    assert json.loads((root / "book/results/tiny/book+n=4/results.json").read_text()) == {"n": 4}


# The runner end to end, with a kernel


def test_runner_executes_notebook_end_to_end(root):
    folder = run_experiment(TINY, "paper", {"scale": "2.5"}, root=root, progress=False)
    assert folder == root / "book" / "results" / "tiny" / "paper+scale=2.5"

    results = load_results("tiny", "paper+scale=2.5", root=root)
    assert results["squares"] == [0.0, 2.5, 10.0, 22.5, 40.0] and results["total"] == 75.0
    assert results["progress"] is False  # the runner turns progress bars off in the kernel
    assert Path(results["cwd"]) == (root / "book" / "fixture").resolve()
    # papermill's kernel_name="python3" resolves to this environment's interpreter
    assert Path(results["python"]).resolve() == Path(sys.executable).resolve()

    provenance = load_provenance("tiny", "paper+scale=2.5", root=root)
    assert provenance["experiment"] == "tiny" and provenance["preset"] == "paper"
    assert provenance["notebook"] == TINY.notebook
    assert provenance["overrides"] == {"scale": 2.5}
    assert provenance["parameters"] == {
        "seed": 0,
        "device": "cpu",
        "results_dir": "../results/tiny/paper+scale=2.5",
        "n": 5,
        "scale": 2.5,
    }
    assert provenance["command"] == ("python -m beyond_mle run tiny --preset paper -p scale 2.5")
    assert provenance["device"]["requested"] == "cpu" and provenance["device"]["name"]
    assert set(provenance["versions"]) == {"python", *RECORDED_PACKAGES}
    assert provenance["versions"]["numpy"] and provenance["versions"]["POT"]
    assert provenance["device"]["cpu"] and provenance["device"]["cpu_capability"]
    assert provenance["started"].endswith("+00:00") and provenance["wall_time_s"] > 0

    executed = nbformat.read(folder / "notebook.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'results_dir = "../results/tiny/paper+scale=2.5"' in injected[0].source
    assert executed.metadata.papermill.input_path == TINY.notebook

    # A notebook that raises leaves no partial folder and the previous results as they were.
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    notebook = nbformat.read(root / TINY.notebook, as_version=4)
    notebook.cells.insert(3, nbformat.v4.new_code_cell('raise RuntimeError("the run fails")'))
    nbformat.write(notebook, root / TINY.notebook)
    with pytest.raises(ExperimentRunError, match="raised RuntimeError: the run fails") as error:
        run_experiment(TINY, "paper", {"scale": 2.5}, root=root, progress=False)
    assert "cell In [4]" in str(error.value)  # [2] is the injected parameters
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before
    assert _leftovers(root) == []


# Every registered experiment against its notebook


def _assert_specification_matches(experiment: Experiment, notebook: Path) -> None:
    declared = papermill.inspect_notebook(str(notebook))
    assert sorted(declared) == sorted(experiment.params), "the parameter names differ"
    for name, param in experiment.params.items():
        default = ast.literal_eval(declared[name]["default"])
        assert param.normalise(default) == param.normalise(param.default), name
        assert declared[name]["help"] == param.help, f"{name}: the comment is not the help"


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_specification_matches_notebook_parameters(name):
    experiment = EXPERIMENTS[name]
    notebook = REPOSITORY / experiment.notebook
    if not notebook.exists():
        pytest.skip(f"{experiment.notebook} does not exist yet")
    _assert_specification_matches(experiment, notebook)


def test_specification_check_catches_drift():
    _assert_specification_matches(TINY, FIXTURE)
    drifted = Experiment(
        "tiny", TINY.notebook, "", {**TINY.params, "n": Param(int, 4)}, TINY.presets
    )
    with pytest.raises(AssertionError, match="n"):
        _assert_specification_matches(drifted, FIXTURE)


# Progress bars


def test_progress_is_disabled_by_environment(monkeypatch):
    monkeypatch.setenv("BEYOND_MLE_PROGRESS", "0")
    assert progress_enabled() is False
    bar = progress(range(3))
    assert bar.disable and list(bar) == [0, 1, 2]


def test_progress_is_enabled_by_default(monkeypatch, capsys):
    monkeypatch.delenv("BEYOND_MLE_PROGRESS", raising=False)
    assert progress_enabled() is True
    bar = progress(range(3), desc="counting", file=sys.stderr)
    assert not bar.disable and sum(bar) == 3
    assert "counting" in capsys.readouterr().err
    assert progress(range(3), disable=True).disable


def test_drop_figures_keeps_text_and_names_each_image():
    png = base64.b64encode(b"\x89PNG" + bytes(range(256)) * 4).decode()
    notebook = nbformat.v4.new_notebook()
    figure = nbformat.v4.new_output(
        "display_data", data={"image/png": png + "\n", "text/plain": "<Figure size 660x300>"}
    )
    figure.metadata["image/png"] = {"width": 660}
    table = nbformat.v4.new_output("execute_result", data={"text/html": "<table/>"})
    stream = nbformat.v4.new_output("stream", text="a result\n")
    svg = nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg>x</svg>"})
    notebook.cells = [
        nbformat.v4.new_code_cell("draw()", outputs=[stream, figure, table]),
        nbformat.v4.new_code_cell("svg()", outputs=[svg]),
        nbformat.v4.new_markdown_cell("text"),
    ]
    assert drop_figures(notebook) == 2
    first, second = notebook.cells[0].outputs, notebook.cells[1].outputs
    digest = hashlib.sha256((png + "\n").encode()).hexdigest()[:16]
    assert first[1].data == {
        "text/plain": f"[figure not stored: image/png, 1,028 bytes, sha256 {digest}]"
    }
    assert first[1].metadata == {}
    assert first[0].text == "a result\n" and first[2].data == {"text/html": "<table/>"}
    assert second[0].data["text/plain"].startswith("[figure not stored: image/svg+xml, 12 bytes")
    nbformat.validate(notebook)
    assert drop_figures(notebook) == 0  # nothing left to drop


def test_runner_stores_the_notebook_without_figures(root, fake_papermill, monkeypatch):
    execute = papermill.execute_notebook

    def with_a_figure(input_path, output_path, **kwargs):
        execute(input_path, output_path, **kwargs)
        executed = nbformat.read(output_path, as_version=4)
        executed.cells[-1].outputs = [
            nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})
        ]
        nbformat.write(executed, output_path)

    monkeypatch.setattr(papermill, "execute_notebook", with_a_figure)
    folder = run_experiment(TINY, "paper", root=root, progress=False)
    executed = nbformat.read(folder / "notebook.ipynb", as_version=4)
    (output,) = executed.cells[-1].outputs
    assert output.data["text/plain"].startswith("[figure not stored: image/png, 8 bytes")


def test_a_device_override_keeps_the_presets_folder(root, fake_papermill, monkeypatch):
    monkeypatch.setattr("beyond_mle.config.check_device", lambda device: None)
    monkeypatch.setattr("beyond_mle.experiments.runner._device_record", lambda d: {"requested": d})
    folder = run_experiment(TINY, "paper", {"device": "cuda", "n": 6}, root=root, progress=False)
    assert folder.name == "paper+n=6"
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["overrides"] == {"device": "cuda", "n": 6}
    assert provenance["parameters"]["device"] == "cuda"
    assert provenance["float32_matmul_precision"] == "highest"
