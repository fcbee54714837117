"""The GPU suite (code/benchmarks/gpu_suite.py): its dry run on the CPU, its plan, its pieces."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "code" / "benchmarks"))

import gpu_suite  # noqa: E402

PRESETS = [job.name for job in gpu_suite.JOBS if job.kind == "preset"]
BENCHMARKS = [job.name for job in gpu_suite.JOBS if job.kind == "benchmark"]


@pytest.mark.xdist_group("gpu-suite-dry-run")
def test_dry_run_runs_every_job_and_unpacks(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(ROOT / "code/benchmarks/gpu_suite.py"), "run", "--dry-run"]
        + ["--out", str(out), "--budget", "1800"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    log = (out / "suite.log").read_text() if (out / "suite.log").is_file() else ""
    assert done.returncode == 0, done.stdout + done.stderr + log[-3000:]
    summary = json.loads((out / "suite.json").read_text())
    assert [r["job"] for r in summary["jobs"]] == [job.name for job in gpu_suite.JOBS]
    assert all(r["status"] == "done" for r in summary["jobs"]), summary["jobs"]
    shared = [r for r in summary["jobs"] if r["kind"] == "preset" and r["job"] != "cot"]
    assert any(r.get("beside") for r in shared)  # presets share the device
    assert all("beside" not in r for r in summary["jobs"] if r["kind"] == "benchmark")
    (cot,) = [r for r in summary["jobs"] if r["job"] == "cot"]
    assert "beside" not in cot  # its results hold timings: it runs alone
    assert summary["dry_run"] is True and summary["versions"]["torch"]
    assert len(list(out.iterdir())) <= gpu_suite.MAX_OUTPUT_FILES
    with tarfile.open(out / "results.tar.gz") as archive:
        names = archive.getnames()
    for name in PRESETS:
        assert any(
            n.startswith(f"results/{name}/paper+") and n.endswith("results.json") for n in names
        )
    assert {"benchmarks/bleu_speed-cpu.json", "benchmarks/cot_speed-cpu.json"} <= set(names)

    placed = gpu_suite.unpack(out, root=tmp_path / "repo", benchmarks=tmp_path / "bench")
    assert (tmp_path / "bench" / "cot_speed-cpu.json").is_file()
    provenance = [p / "provenance.json" for p in placed if p.is_dir()]
    assert len(provenance) == len(PRESETS)
    for path in provenance:
        record = json.loads(path.read_text())
        assert record["device"]["resolved"] == "cpu" and record["preset"] == "paper"


def test_committed_plan_lists_every_job_with_an_estimate():
    planned = gpu_suite.load_plan()
    assert planned is not None, f"no {gpu_suite.PLAN_FILE}: run make gpu-plan"
    assert set(planned["jobs"]) == {job.name for job in gpu_suite.JOBS}
    for name in PRESETS:
        entry = planned["jobs"][name]
        assert entry["gpu_s"] > 0 and entry["steps"] > 0 and entry["ops_per_step"] > 0
        assert entry["flops_per_step"] > 0
    text = io.StringIO()
    gpu_suite.print_plan(planned, 540.0, out=text)
    lines = text.getvalue().splitlines()
    assert len(lines) == 3 + len(gpu_suite.JOBS)
    for job, line in zip(gpu_suite.JOBS, lines[3:], strict=True):
        assert line.startswith(job.name) and ("runs " in line or "does not fit" in line)


def test_the_schedule_runs_presets_together_then_timers_alone():
    estimates = {job.name: 30.0 for job in gpu_suite.JOBS if job.kind == "benchmark"}
    estimates.update(
        token_copying=300.0,
        teacher_forcing_leakage=200.0,
        sequence_reversal=5000.0,
        optimal_transport=150.0,
        cot=100.0,
    )
    planned = {"jobs": {name: {"gpu_s": value} for name, value in estimates.items()}}
    slots = gpu_suite.schedule(planned, 540.0, parallel=3)
    assert slots["token_copying"] == (0.0, 300.0)
    assert slots["teacher_forcing_leakage"] == (0.0, 200.0)
    assert slots["sequence_reversal"] is None  # 5,000 s never fits
    assert slots["optimal_transport"] == (0.0, 150.0)  # the third slot
    assert slots["cot"] == (300.0, 400.0)  # alone, once the shared ones are done
    assert slots["bleu_speed"] == (400.0, 430.0) and slots["cot_speed"] == (460.0, 490.0)
    one_at_a_time = gpu_suite.schedule(planned, 540.0, parallel=1)
    assert one_at_a_time["token_copying"] == (0.0, 300.0)
    assert one_at_a_time["teacher_forcing_leakage"] == (300.0, 500.0)
    assert one_at_a_time["optimal_transport"] is None  # 500 + 150 > 520
    assert one_at_a_time["cot"] is None and one_at_a_time["bleu_speed"] is None


def test_plan_probes_differ_in_steps_then_in_evaluations():
    for job in gpu_suite.JOBS:
        if job.kind != "preset":
            continue
        a, b, c = job.probes()
        assert (a[job.step_key], b[job.step_key], c[job.step_key]) == (1, 2, 2)
        assert [job.evaluations(p) for p in (a, b, c)] == [2, 2, 3]
    paper = gpu_suite._paper_parameters("sequence_reversal", "paper")
    assert gpu_suite.job_named("sequence_reversal").evaluations(paper) == 10_000 // 250 + 1


def _write_provenance(root: Path, name: str, resolved: str, **changes) -> None:
    parameters = gpu_suite._paper_parameters(name, "paper")
    parameters.update(changes)
    folder = root / "book" / "results" / name / "paper"
    folder.mkdir(parents=True)
    record = {"device": {"resolved": resolved}, "parameters": parameters}
    (folder / "provenance.json").write_text(json.dumps(record))


def test_a_preset_is_done_only_when_made_on_a_gpu_with_its_parameters(tmp_path):
    job = gpu_suite.job_named("token_copying")
    assert not gpu_suite.completed_on_gpu(job, tmp_path)
    _write_provenance(tmp_path, "token_copying", "cuda:0")
    assert gpu_suite.completed_on_gpu(job, tmp_path)
    _write_provenance(tmp_path, "cot", "cpu")
    assert not gpu_suite.completed_on_gpu(gpu_suite.job_named("cot"), tmp_path)
    _write_provenance(tmp_path, "sequence_reversal", "cuda:0", steps=5)
    assert not gpu_suite.completed_on_gpu(gpu_suite.job_named("sequence_reversal"), tmp_path)


def test_the_pot_wheel_loses_only_its_bsp_extension(tmp_path):
    wheel = tmp_path / "pot-0.9.7-cp312-cp312-manylinux_x86_64.whl"
    record = "ot/__init__.py,sha256=x,10\not/bsp/bsp_wrap.cpython-312.so,sha256=y,99\n"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("ot/__init__.py", "from .bsp import x\n")
        archive.writestr("ot/bsp/bsp_wrap.cpython-312.so", b"\0" * 4096)
        archive.writestr("pot-0.9.7.dist-info/RECORD", record)
    assert gpu_suite.slim_pot_wheel(wheel) is True
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        stub = archive.read("ot/bsp/bsp_wrap.py").decode()
        rows = archive.read("pot-0.9.7.dist-info/RECORD").decode().splitlines()
    assert names == {"ot/__init__.py", "ot/bsp/bsp_wrap.py", "pot-0.9.7.dist-info/RECORD"}
    assert rows[0] == "ot/__init__.py,sha256=x,10" and rows[1].startswith("ot/bsp/bsp_wrap.py,")
    namespace: dict = {}
    exec(stub, namespace)
    with pytest.raises(RuntimeError, match="left out"):
        namespace["bsp_solve_c"]()
    assert gpu_suite.slim_pot_wheel(wheel) is False


def test_the_tree_and_the_carried_folders_fit_what_the_gpu_machine_receives():
    """Tracked files, plus the wheels (17.5 MB with POT slimmed) and the oracle (1.2 MB)."""
    carried = gpu_suite._tracked_bytes(ROOT) + gpu_suite.WHEELS_BYTES + gpu_suite.ORACLE_BYTES
    assert carried < gpu_suite.CARRY_LIMIT * 0.9, f"{carried / 2**20:.1f} MiB"


def test_bad_requests_fail_before_any_job(tmp_path, capsys):
    with pytest.raises(SystemExit):
        gpu_suite.main(["run", "--out", str(tmp_path), "--budget", "5", "--dry-run"])
    assert "--budget must be > 20 seconds" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="no job 'nope'"):
        gpu_suite.main(["run", "--out", str(tmp_path), "--dry-run", "--only", "nope"])
    with pytest.raises(SystemExit):
        gpu_suite.main(["run", "--out", str(tmp_path)])  # no CUDA here
    assert "no CUDA device here" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
