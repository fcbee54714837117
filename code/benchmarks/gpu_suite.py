"""Every job that waits for a GPU, run in order of value within a wall-time budget.

    python code/benchmarks/gpu_suite.py plan                 # estimates, measured here (no GPU)
    python code/benchmarks/gpu_suite.py run --out DIR        # on the GPU machine (make gpu)
    python code/benchmarks/gpu_suite.py run --dry-run --out DIR   # each job a few steps, CPU
    python code/benchmarks/gpu_suite.py unpack DIR           # here: the results into the book

The jobs (:data:`JOBS`), in order: the paper presets that need a GPU (token copying, the
teacher-forcing leakage, sequence reversal and optimal transport, up to three at once on the
GPU, then CoT alone, since its results hold timings), then the three benchmarks on the GPU
(``bleu_speed``, ``ipot_speed``, ``cot_speed``), one at a time. A preset job runs through the
book's runner (``python -m beyond_mle run EXP --preset paper -p device cuda``) into
``book/results/<exp>/paper``, with TF32 matrix products (``BEYOND_MLE_MATMUL_PRECISION=high``,
recorded in the provenance) and the algorithms unchanged.

Budget: a job starts only if its estimate (``gpu_plan.json`` beside this file, written by
``plan``) fits in what is left, and is stopped when the budget runs out (the runner then leaves
no partial folder). Jobs are resumable across suites: a preset whose committed results were made
on a GPU with the preset's parameters is skipped, so each suite goes on where the last stopped.

Output (``--out``, at most 8 files, as the lent machine returns them): ``suite.json`` (each
job's status, times and estimate, the device, the versions, the source revision), ``suite.log``
(what every job printed) and ``results.tar.gz`` (the new result folders and the benchmarks'
JSON), which ``unpack`` puts in place here: ``book/results/<exp>/paper`` and
``code/benchmarks/results/<benchmark>-cuda.json``.

Estimates (``plan``): each preset job runs three times on this machine with the paper's model
on a little data (1 step, 2 steps, and 2 steps with one more evaluation), counting the tensor
operations, FLOPs and bytes it dispatches (:mod:`beyond_mle.opcount`). Their differences give
the cost of a step and of an evaluation, extrapolated to the preset's steps and evaluations and
priced on the GPU model :data:`beyond_mle.opcount.H200` (each operation the largest of a 10 us
launch, its FLOPs at 100 TFLOP/s and its bytes at 3 TB/s). An estimate, not a measurement:
``suite.json`` records the measured time beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PLAN_FILE = HERE / "gpu_plan.json"
BENCHMARK_RESULTS = HERE / "results"
#: What a lent machine returns: at most this many files from the output folder.
MAX_OUTPUT_FILES = 8
#: Seconds held back from the budget for packing the output.
RESERVE_S = 20.0


@dataclass(frozen=True)
class Job:
    """One GPU job: a benchmark script or a paper preset of an experiment.

    Attributes:
        name: the job's name (the benchmark's script stem or the experiment's name).
        kind: ``"benchmark"`` or ``"preset"``.
        argv: a benchmark's arguments on the GPU (``{json}`` is its JSON output file).
        dry_argv: a benchmark's arguments for a dry run on the CPU (tiny sizes).
        dry: a preset's overrides for a dry run: a few steps on little data (and a smaller
            vocabulary or shorter sentences where the paper's would take minutes on a CPU).
        probe: the overrides that ``plan`` keeps in its three counted runs: the paper's model
            on little data.
        step_key, every_key: the parameters of the training length and of the evaluation
            period (``steps`` and ``log_every``, or ``epochs`` and ``eval_every``).
        eval_key: the parameter an evaluation's cost grows with (``n_test``), or ``None``.
        units: the training updates of a run, from its parameters.
        tie: overrides that follow from the training length (``pretrain_steps`` below it).
        preset: the preset a preset job runs.
        exclusive: the preset records timings, so it runs alone on the GPU.
    """

    name: str
    kind: str
    argv: tuple[str, ...] = ()
    dry_argv: tuple[str, ...] = ()
    dry: Mapping[str, Any] = field(default_factory=dict)
    probe: Mapping[str, Any] = field(default_factory=dict)
    step_key: str = "steps"
    every_key: str = "log_every"
    eval_key: str | None = "n_test"
    units: Callable[[Mapping[str, Any]], float] = lambda p: float(p["steps"])
    tie: Callable[[int], Mapping[str, Any]] = lambda steps: {}
    preset: str = "paper"
    exclusive: bool = False

    def evaluations(self, p: Mapping[str, Any]) -> int:
        """Evaluations of a run: before training, every period, and at the end."""
        steps, every = int(p[self.step_key]), int(p[self.every_key])
        return steps // every + 1 + (steps % every != 0)

    def probes(self) -> list[dict[str, Any]]:
        """``plan``'s three runs: (1 step, 2 evaluations), (2, 2) and (2, 3)."""
        runs = []
        for steps, every in ((1, 1), (2, 2), (2, 1)):
            runs.append(
                {**self.probe, self.step_key: steps, self.every_key: every, **self.tie(steps)}
            )
        return runs


def _cot_updates(p: Mapping[str, Any]) -> float:
    return float(p["epochs"] * (p["n_train"] // p["batch"]))


def _ot_steps(p: Mapping[str, Any]) -> float:
    return float(p["steps"] * p["n_seeds"])


_LITTLE_DATA = {"n_train": 400, "n_test": 40}
_OT_PROBLEMS = {"n_seeds": 1, "n_problems": 1, "max_iterations": 50}
_COT_DATA = {"n_train": 128, "n_test": 64, "eval_samples": 64}

#: The suite, in its order: the presets (results that decide claims), then the benchmarks.
JOBS: tuple[Job, ...] = (
    Job("token_copying", "preset", dry={"steps": 2, "log_every": 2}, eval_key=None),
    Job(
        "teacher_forcing_leakage",
        "preset",
        dry={"steps": 1, "log_every": 1, "vocab_size": 1000, "max_len": 8, **_LITTLE_DATA},
        probe=_LITTLE_DATA,
    ),
    Job(
        "sequence_reversal",
        "preset",
        dry={"steps": 1, "log_every": 1, "vocab_size": 1000, "max_len": 12, **_LITTLE_DATA},
        probe=_LITTLE_DATA,
    ),
    Job(
        "optimal_transport",
        "preset",
        dry={"steps": 2, "pretrain_steps": 1, "log_every": 2, **_OT_PROBLEMS, **_LITTLE_DATA},
        probe={**_OT_PROBLEMS, **_LITTLE_DATA},
        units=_ot_steps,
        tie=lambda steps: {"pretrain_steps": steps // 2},
    ),
    Job(
        "cot",
        "preset",
        dry={"epochs": 1, "eval_every": 1, **_COT_DATA},
        probe=_COT_DATA,
        step_key="epochs",
        every_key="eval_every",
        eval_key="eval_samples",
        units=_cot_updates,
        exclusive=True,  # its results hold each epoch's time
    ),
    Job(
        "bleu_speed",
        "benchmark",
        argv=("--device", "cuda", "--json", "{json}"),
        dry_argv=("--repeats", "1", "--pairs", "50", "--batch", "2", "--length", "6")
        + ("--json", "{json}"),
    ),
    Job(
        "ipot_speed",
        "benchmark",
        argv=("--device", "cuda"),
        dry_argv=("--repeats", "1", "--batch", "2", "--length", "6", "--dim", "4"),
    ),
    Job(
        "cot_speed",
        "benchmark",
        argv=("--device", "cuda", "--json", "{json}"),
        dry_argv=("--repeats", "1", "--vocab", "50", "--updates", "2", "--profile", "2")
        + ("--json", "{json}"),
    ),
)


def suite_groups(jobs: Sequence[Job], parallel: int) -> list[tuple[list[Job], int]]:
    """The suite's order: its groups of jobs, each with how many run at once.

    The presets that time nothing, ``parallel`` at a time; then those that record timings
    (:attr:`Job.exclusive`), alone; then the benchmarks, one at a time.
    """
    return [
        ([j for j in jobs if j.kind == "preset" and not j.exclusive], max(parallel, 1)),
        ([j for j in jobs if j.kind == "preset" and j.exclusive], 1),
        ([j for j in jobs if j.kind == "benchmark"], 1),
    ]


def _estimate(planned: Mapping[str, Any], name: str) -> float | None:
    """A job's estimated seconds in a plan, or ``None``."""
    return planned["jobs"].get(name, {}).get("gpu_s")


def job_named(name: str) -> Job:
    for job in JOBS:
        if job.name == name:
            return job
    raise SystemExit(f"no job {name!r}: the jobs are {', '.join(j.name for j in JOBS)}")


# --------------------------------------------------------------------------------------------
# Running one job in a subprocess, with a deadline


def _environment(extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    code = str(ROOT / "code")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (code, env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONHASHSEED", "0")
    env["BEYOND_MLE_PROGRESS"] = "0"
    env.update(extra)
    return env


@dataclass
class _Running:
    """A job's process, started in its own process group, its output going to its own log."""

    job: Job
    record: dict[str, Any]
    process: subprocess.Popen
    log: Path
    started: float
    made: Path | None
    beside: set[str] = field(default_factory=set)


def _start(
    job: Job,
    record: dict[str, Any],
    argv: list[str],
    env: Mapping[str, str],
    log: Path,
    made: Path | None,
) -> _Running:
    with open(log, "w") as handle:
        handle.write(f"$ {' '.join(argv)}\n")
        handle.flush()
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=dict(env),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return _Running(job, record, process, log, time.monotonic(), made)


def _stop(running: _Running) -> None:
    """Stop a job at the budget: SIGINT first (the runner then removes its partial folder)."""
    os.killpg(running.process.pid, signal.SIGINT)
    try:
        running.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(running.process.pid, signal.SIGKILL)
        running.process.wait()


def _finish(running: _Running, code: int | None) -> None:
    seconds = time.monotonic() - running.started
    record = running.record
    record["seconds"] = round(seconds, 1)
    if code is None:
        record["status"] = "stopped at the budget"
    else:
        record["status"] = "done" if code == 0 else f"failed (exit {code})"
    if running.beside:
        record["beside"] = sorted(running.beside)
    with open(running.log, "a") as handle:
        handle.write(f"[{record['status']} after {seconds:.1f} s]\n")


def _wait_all(deadline: float, slots: int, queue: list, launch) -> None:
    """Run ``queue`` (callables that start a job or return None) ``slots`` at a time."""
    running: list[_Running] = []
    while queue or running:
        while queue and len(running) < slots:
            started = queue.pop(0)()
            if started is not None:
                for other in running:
                    other.beside.add(started.job.name)
                    started.beside.add(other.job.name)
                running.append(started)
        if not running:
            continue
        time.sleep(0.2)
        for job in list(running):
            code = job.process.poll()
            if code is None and time.monotonic() < deadline:
                continue
            if code is None:
                _stop(job)
            _finish(job, code)
            launch(job)
            running.remove(job)


def _paper_parameters(name: str, preset: str) -> dict[str, Any]:
    from beyond_mle.experiments.registry import get_experiment

    parameters, _ = get_experiment(name).resolve(preset, {})
    return parameters


def completed_on_gpu(job: Job, root: Path = ROOT) -> bool:
    """Whether the committed results of a preset job were made on a GPU, with its parameters."""
    provenance = root / "book" / "results" / job.name / job.preset / "provenance.json"
    if job.kind != "preset" or not provenance.is_file():
        return False
    record = json.loads(provenance.read_text())
    if not str(record.get("device", {}).get("resolved", "")).startswith("cuda"):
        return False
    expected = _paper_parameters(job.name, job.preset)
    made = record.get("parameters", {})
    skip = {"device", "results_dir"}
    return all(made.get(k) == v for k, v in expected.items() if k not in skip)


def preset_argv(job: Job, device: str, overrides: Mapping[str, Any], folder: Path | None) -> list:
    argv = [sys.executable, "-m", "beyond_mle", "run", job.name, "--preset", job.preset]
    for key, value in {"device": device, **overrides}.items():
        argv += ["-p", key, str(value)]
    argv.append("--no-progress")
    if folder is not None:  # dry runs: a scratch copy of the repository, never the book's results
        argv += ["--root", str(folder), "--allow-dirty"]
    return argv


def _scratch_root(where: Path) -> Path:
    """A minimal copy of the repository for dry runs (the runner writes results inside it)."""
    scratch = where / "repo"
    if not scratch.exists():
        ignore = shutil.ignore_patterns("_build", ".ipynb_checkpoints", "__pycache__")
        shutil.copytree(ROOT / "book", scratch / "book", ignore=ignore)
        for name in ("_toc.yml", "_config.yml"):
            shutil.copy(ROOT / name, scratch / name)
    return scratch


def count_preset(job: Job, overrides: Mapping[str, Any], where: Path, log: Any) -> dict[str, Any]:
    """Run a preset job on the CPU with ``overrides``, counting its operations; the totals."""
    from beyond_mle.opcount import read_counts

    counts = where / f"{job.name}-{len(list(where.glob(job.name + '-*')))}"
    env = _environment({"BEYOND_MLE_COUNT_OPS": str(counts)})
    argv = preset_argv(job, "cpu", overrides, _scratch_root(where))
    log.write(f"$ {' '.join(argv)}\n")
    log.flush()
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"counted run of {job.name} failed (exit {done.returncode})")
    return {**read_counts(counts), "cpu_s": seconds}


# --------------------------------------------------------------------------------------------
# plan


def plan(where: Path, log: Any, jobs: tuple[Job, ...] = JOBS) -> dict[str, Any]:
    """Estimate each preset job's GPU time from three counted runs (see the module's text).

    With costs ``A`` (1 step, 2 evaluations), ``B`` (2, 2) and ``C`` (2, 3) of the paper's model
    on little data, a step costs ``B - A`` and an evaluation ``C - B`` (scaled by the paper's
    evaluation size over the probe's); what is left of ``A`` is the setup. The estimate is the
    setup plus the preset's steps and evaluations at those costs.
    """
    from beyond_mle.opcount import H200

    estimates: dict[str, Any] = {}
    for job in jobs:
        if job.kind != "preset":
            estimates[job.name] = {"gpu_s": 30.0, "how": "a benchmark: set, not counted"}
            continue
        paper = _paper_parameters(job.name, job.preset)
        probes = job.probes()
        a, b, c = (count_preset(job, probe, where, log) for probe in probes)
        units = [job.units({**paper, **probe}) for probe in probes]
        scale = paper[job.eval_key] / probes[0][job.eval_key] if job.eval_key else 1.0
        entry: dict[str, Any] = {"how": "three counted runs, extrapolated"}
        for key in ("ops", "flops", "bytes", "gpu_s"):
            step = (b[key] - a[key]) / (units[1] - units[0])
            evaluation = max(c[key] - b[key], 0.0)
            setup = max(a[key] - step * units[0] - 2 * evaluation, 0.0)
            entry[key] = (
                setup + step * job.units(paper) + evaluation * scale * job.evaluations(paper)
            )
            entry[f"{key}_per_step"] = step
            entry[f"{key}_per_evaluation"] = evaluation * scale
        entry["gpu_s"] = round(entry["gpu_s"], 1)
        entry["steps"] = job.units(paper)
        entry["evaluations"] = job.evaluations(paper)
        entry["probe_cpu_s"] = [round(run["cpu_s"], 1) for run in (a, b, c)]
        estimates[job.name] = entry
    return {
        "model": {
            "name": H200.name,
            "launch_s": H200.launch_s,
            "flops_per_s": H200.flops_per_s,
            "bytes_per_s": H200.bytes_per_s,
        },
        "measured_on": platform.processor() or platform.machine(),
        "made": datetime.now(UTC).isoformat(timespec="seconds"),
        "jobs": estimates,
    }


def schedule(
    planned: Mapping[str, Any], budget_s: float, parallel: int = 3
) -> dict[str, tuple[float, float] | None]:
    """When each job would start and end in a suite of ``budget_s``, by the estimates.

    The same order and rules as :func:`run_suite`: the shared presets ``parallel`` at a time
    (each taking its estimate, as if alone), the exclusive ones alone, then the benchmarks one at
    a time; a job starts only if its estimate fits in what is left. ``None``: it would not start.
    """
    deadline = budget_s - RESERVE_S
    times: dict[str, tuple[float, float] | None] = {}
    now = 0.0
    for group, slots in suite_groups(JOBS, parallel):
        ends: list[float] = []
        for job in group:
            estimate = _estimate(planned, job.name)
            if len(ends) >= slots:  # wait for the first slot to free
                ends.sort()
                now = max(now, ends.pop(0))
            if estimate is None or estimate > deadline - now:
                times[job.name] = None
                continue
            times[job.name] = (now, now + estimate)
            ends.append(now + estimate)
        now = max([now, *ends])
    return times


def print_plan(
    planned: Mapping[str, Any], budget_s: float, out: Any = sys.stdout, parallel: int = 3
) -> None:
    """One line per job: its estimate, steps, operations and GFLOP per step, and its slot."""
    model = planned["model"]
    print(
        f"GPU model ({model['name']}): {model['launch_s'] * 1e6:.0f} us per operation, "
        f"{model['flops_per_s'] / 1e12:.0f} TFLOP/s, {model['bytes_per_s'] / 1e12:.1f} TB/s",
        file=out,
    )
    print(f"A suite of {budget_s:.0f} s, {parallel} presets at once on the GPU:", file=out)
    head = f"{'job':24} {'estimate':>9} {'steps':>8} {'ops/step':>9} {'GFLOP/step':>10}"
    print(f"{head}  in the suite", file=out)
    slots = schedule(planned, budget_s, parallel)
    for job in JOBS:
        entry = planned["jobs"].get(job.name)
        if entry is None:
            print(f"{job.name:24} {'(none)':>9}", file=out)
            continue
        steps = f"{entry['steps']:,.0f}" if "steps" in entry else "-"
        ops = f"{entry['ops_per_step']:,.0f}" if "ops_per_step" in entry else "-"
        flop = f"{entry['flops_per_step'] / 1e9:,.2f}" if "flops_per_step" in entry else "-"
        slot = slots.get(job.name)
        when = f"runs {slot[0]:,.0f}-{slot[1]:,.0f} s" if slot else "does not fit"
        print(
            f"{job.name:24} {entry['gpu_s']:8.0f}s {steps:>8} {ops:>9} {flop:>10}  {when}",
            file=out,
        )


def load_plan() -> dict[str, Any] | None:
    return json.loads(PLAN_FILE.read_text()) if PLAN_FILE.is_file() else None


# --------------------------------------------------------------------------------------------
# run


def _versions() -> dict[str, Any]:
    import torch

    versions: dict[str, Any] = {"python": platform.python_version(), "torch": torch.__version__}
    versions["cuda"] = torch.version.cuda
    if torch.cuda.is_available():
        versions["gpu"] = torch.cuda.get_device_name(0)
    return versions


def run_suite(
    out: Path,
    budget_s: float,
    *,
    dry_run: bool,
    only: list[str] | None = None,
    parallel: int = 3,
) -> dict[str, Any]:
    """Run the jobs within ``budget_s``; write ``suite.json``, the log and the archive.

    The presets that time nothing run first, ``parallel`` at a time: they are bound by kernel
    launches, which leave the GPU mostly idle, so that sharing it costs each little
    (``suite.json`` names the jobs each one ran beside). Presets that record timings
    (:attr:`Job.exclusive`) then run alone, and the benchmarks last, one at a time. A job starts
    only if its estimate fits in what is left.
    """
    from beyond_mle.experiments.runner import result_folder_name
    from beyond_mle.experiments.source import check_manifest

    out.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + budget_s - RESERVE_S
    planned = load_plan() or {"jobs": {}}
    device = "cpu" if dry_run else "cuda"
    precision = "highest" if dry_run else "high"  # PyTorch's default on the CPU; TF32 on a GPU
    made: list[Path] = []
    records: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="gpu-suite-"))
    bench_out = work / "benchmarks"
    bench_out.mkdir()
    logs = work / "logs"
    logs.mkdir()
    source = check_manifest(ROOT)
    scratch = _scratch_root(work) if dry_run else None

    def launcher(job: Job):
        record: dict[str, Any] = {"job": job.name, "kind": job.kind}
        record["estimate_s"] = _estimate(planned, job.name)
        records.append(record)

        def launch() -> _Running | None:
            estimate, left = record["estimate_s"], deadline - time.monotonic()
            if not dry_run and completed_on_gpu(job):
                record["status"] = "skipped: its committed results were made on a GPU"
            elif not dry_run and estimate is not None and estimate > left:
                record["status"] = f"skipped: estimate {estimate:.0f} s > {left:.0f} s left"
            elif left <= 1:
                record["status"] = "skipped: no budget left"
            else:
                return _launch(job, record)
            print(f"{job.name:26} {record['status']}", flush=True)
            return None

        return launch

    def _launch(job: Job, record: dict[str, Any]) -> _Running:
        log = logs / f"{job.name}.log"
        if job.kind == "benchmark":
            json_path = bench_out / f"{job.name}-{device}.json"
            args = job.dry_argv if dry_run else job.argv
            argv = [sys.executable, str(HERE / f"{job.name}.py")]
            argv += [a.replace("{json}", str(json_path)) for a in args]
            return _start(job, record, argv, _environment({}), log, json_path)
        env = _environment({"BEYOND_MLE_MATMUL_PRECISION": precision})
        if source is not None:
            env["BEYOND_MLE_SOURCE_MANIFEST"] = os.environ["BEYOND_MLE_SOURCE_MANIFEST"]
        overrides = job.dry if dry_run else {}
        folder = result_folder_name(job.preset, overrides)
        target = (scratch or ROOT) / "book" / "results" / job.name / folder
        return _start(job, record, preset_argv(job, device, overrides, scratch), env, log, target)

    def landed(running: _Running) -> None:
        print(f"{running.job.name:26} {running.record['status']}", flush=True)
        if running.record["status"] == "done" and running.made is not None:
            if running.made.exists():
                made.append(running.made)

    selected = [job for job in JOBS if not only or job.name in only]
    for group, slots in suite_groups(selected, parallel):
        _wait_all(deadline, slots, [launcher(job) for job in group], landed)

    with open(out / "suite.log", "w") as log:
        for job in selected:
            path = logs / f"{job.name}.log"
            if path.is_file():
                log.write(path.read_text() + "\n")
    summary = {
        "suite": "code/benchmarks/gpu_suite.py",
        "dry_run": dry_run,
        "budget_s": budget_s,
        "parallel": parallel,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "platform": platform.platform(),
        "versions": _versions(),
        "float32_matmul_precision": precision,
        "jobs": records,
    }
    with tarfile.open(out / "results.tar.gz", "w:gz") as archive:
        for path in made:
            if path.parent == bench_out:
                archive.add(path, arcname=f"benchmarks/{path.name}")
            else:
                archive.add(path, arcname=f"results/{path.parent.name}/{path.name}")
    (out / "suite.json").write_text(json.dumps(summary, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return summary


def unpack(out: Path, root: Path = ROOT, benchmarks: Path = BENCHMARK_RESULTS) -> list[Path]:
    """Put a suite's results in place: result folders under the book, benchmark JSON here."""
    placed = []
    with tarfile.open(out / "results.tar.gz") as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if ".." in parts or Path(member.name).is_absolute():
                raise SystemExit(f"refusing the archive member {member.name!r}")
        staging = Path(tempfile.mkdtemp(prefix="gpu-unpack-"))
        archive.extractall(staging, filter="data")
    for folder in sorted((staging / "results").glob("*/*")):
        target = root / "book" / "results" / folder.parent.name / folder.name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(folder, target)
        placed.append(target)
    for path in sorted((staging / "benchmarks").glob("*.json")):
        target = benchmarks / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
        placed.append(target)
    shutil.rmtree(staging, ignore_errors=True)
    return placed


#: What the lent machine lacks (its image has torch, numpy, scipy, pandas, matplotlib, seaborn,
#: scikit-learn, tqdm, requests, pyyaml): papermill and its kernel, NLTK, POT. Fetched as wheels
#: for its Python (3.12) at the versions of requirements.lock.
DEVICE_WHEELS = (
    "papermill nbclient nbformat jupyter_client jupyter_core ipykernel ipython "
    "ipython_pygments_lexers traitlets comm debugpy tornado pyzmq "
    "matplotlib-inline prompt_toolkit pexpect ptyprocess jedi parso stack_data "
    "executing asttokens pure_eval wcwidth fastjsonschema jsonschema referencing rpds-py "
    "jsonschema-specifications tenacity platformdirs defusedxml nltk pot"
).split()
DEVICE_PYTHON = "3.12"
#: The most the lent machine receives: the tracked tree and the carried folders together.
CARRY_LIMIT = 64 << 20
CARRIED = (".whl", ".data", ".gpu")
#: What the carried folders weigh (measured 2026-12-01: the wheels above with POT slimmed, and
#: the oracle), for the test that the tracked tree leaves room for them.
WHEELS_BYTES = 17_538_768
ORACLE_BYTES = 1_237_998


#: POT's BSP extension (175 MB unpacked, 31 MB of its 33 MB wheel), which the book never calls,
#: is replaced in the carried wheel by a module that says so when it is called.
_POT_BSP = "ot/bsp/bsp_wrap"
_POT_BSP_STUB = (
    '"""Not carried to the GPU machine (its 175 MB extension; the book does not use BSP)."""\n\n\n'
    "def _absent(*args, **kwargs):\n"
    '    raise RuntimeError("ot.bsp was left out of this installation of POT")\n\n\n'
    "bsp_solve_c = merge_bijections_c = _absent\n"
)


def slim_pot_wheel(wheel: Path) -> bool:
    """Rewrite a POT wheel without its BSP extension (a stub in its place); True if changed."""
    import base64
    import hashlib
    import zipfile

    with zipfile.ZipFile(wheel) as source:
        names = source.namelist()
        if not any(n.startswith(_POT_BSP) and n.endswith(".so") for n in names):
            return False
        slimmed = wheel.with_suffix(".slim")
        with zipfile.ZipFile(slimmed, "w", zipfile.ZIP_DEFLATED) as target:
            digest = base64.urlsafe_b64encode(hashlib.sha256(_POT_BSP_STUB.encode()).digest())
            stub = f"{_POT_BSP}.py,sha256={digest.rstrip(b'=').decode()},{len(_POT_BSP_STUB)}"
            for name in names:
                if name.startswith(_POT_BSP) and name.endswith(".so"):
                    continue
                data = source.read(name)
                if name.endswith(".dist-info/RECORD"):
                    rows = [r for r in data.decode().splitlines() if not r.startswith(_POT_BSP)]
                    data = ("\n".join([*rows, stub]) + "\n").encode()
                target.writestr(source.getinfo(name), data)
            target.writestr(f"{_POT_BSP}.py", _POT_BSP_STUB)
    os.replace(slimmed, wheel)
    return True


def _locked_versions(lock: Path) -> dict[str, str]:
    versions = {}
    for line in lock.read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            versions[name.strip().lower().replace("_", "-")] = version.split()[0].strip()
    return versions


def _tracked_bytes(root: Path) -> int:
    names = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z"], capture_output=True, text=True, check=True
    ).stdout.split("\0")
    return sum((root / n).stat().st_size for n in names if n and (root / n).is_file())


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def prepare(root: Path = ROOT, fetch: bool = True) -> dict[str, Any]:
    """Here, before a GPU run: wheels in ``.whl``, the oracle in ``.data``, the manifest.

    Returns the sizes of what will travel; fails if it is over :data:`CARRY_LIMIT`.
    """
    from beyond_mle.experiments.source import write_manifest
    from beyond_mle.models.lstm import ORACLE_FILE_NAME, oracle_file

    wheels = root / ".whl"
    if fetch and not any(wheels.glob("*.whl")):
        locked = _locked_versions(root / "requirements.lock")
        pins = [f"{n}=={locked[n.lower().replace('_', '-')]}" for n in DEVICE_WHEELS]
        platforms = []
        for tag in ("manylinux_2_17", "manylinux2014", "manylinux_2_28", "manylinux_2_34"):
            platforms += ["--platform", f"{tag}_x86_64"]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                DEVICE_PYTHON,
                "--implementation",
                "cp",
                *platforms,
                "-d",
                str(wheels),
                *pins,
            ],
            check=True,
        )
    for wheel in wheels.glob("pot-*.whl"):
        slim_pot_wheel(wheel)
    oracle = oracle_file()
    if oracle is not None and oracle.parent != root / ".data":
        (root / ".data").mkdir(exist_ok=True)
        shutil.copy(oracle, root / ".data" / ORACLE_FILE_NAME)
    manifest = write_manifest(root, root / ".gpu" / "source.json")
    sizes = {"tracked": _tracked_bytes(root)}
    sizes.update({name: _folder_bytes(root / name) for name in CARRIED if (root / name).is_dir()})
    total = sum(sizes.values())
    if total > CARRY_LIMIT:
        raise SystemExit(
            f"what would travel is {total / 2**20:.1f} MiB, over the {CARRY_LIMIT >> 20} MiB "
            f"the lent machine receives: {sizes}"
        )
    return {"revision": manifest["revision"], "sizes": sizes, "total": total}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    planning = commands.add_parser("plan", help="estimate each job's GPU time (no GPU needed)")
    planning.add_argument("--budget", type=float, default=540.0, help="seconds (default 540)")
    planning.add_argument("--write", action="store_true", help=f"also write {PLAN_FILE.name}")
    planning.add_argument("--show", action="store_true", help="print the committed plan only")
    planning.add_argument(
        "--only", nargs="*", metavar="JOB", help="count only these (the rest kept from the file)"
    )
    running = commands.add_parser("run", help="run the jobs within the budget")
    running.add_argument("--out", required=True, help="the output folder ($OUT on the machine)")
    running.add_argument("--budget", type=float, default=540.0, help="seconds (default 540)")
    running.add_argument("--dry-run", action="store_true", help="each job a few steps, on the CPU")
    running.add_argument("--only", nargs="*", metavar="JOB", help="only these jobs")
    running.add_argument(
        "--parallel", type=int, default=3, help="presets sharing the GPU at once (default 3)"
    )
    commands.add_parser("prepare", help="here: wheels, oracle and manifest to carry")
    unpacking = commands.add_parser("unpack", help="put a suite's results in place here")
    unpacking.add_argument("out", help="the folder the suite wrote")
    args = parser.parse_args(argv)

    if args.command == "plan":
        if args.budget <= 0:
            parser.error(f"--budget must be > 0 seconds, got {args.budget}")
        if args.show:
            planned = load_plan()
            if planned is None:
                parser.error(f"no {PLAN_FILE} yet: run plan without --show")
        else:
            with tempfile.TemporaryDirectory(prefix="gpu-plan-") as where:
                with open(Path(where) / "plan.log", "w") as log:
                    jobs = tuple(job_named(n) for n in args.only) if args.only else JOBS
                    try:
                        planned = plan(Path(where), log, jobs)
                    except RuntimeError as error:
                        log.flush()
                        sys.stderr.write((Path(where) / "plan.log").read_text()[-4000:])
                        parser.exit(1, f"plan: {error}\n")
            earlier = load_plan()
            if args.only and earlier is not None:  # keep the other jobs' estimates
                planned["jobs"] = {**earlier["jobs"], **planned["jobs"]}
            if args.write:
                PLAN_FILE.write_text(json.dumps(planned, indent=2) + "\n")
        print_plan(planned, args.budget)
        return 0
    if args.command == "run":
        if args.budget <= RESERVE_S:
            parser.error(f"--budget must be > {RESERVE_S:.0f} seconds, got {args.budget}")
        if args.parallel < 1:
            parser.error(f"--parallel must be >= 1, got {args.parallel}")
        for name in args.only or []:
            job_named(name)
        if not args.dry_run:
            import torch

            from beyond_mle.experiments.source import MANIFEST_VARIABLE

            if not torch.cuda.is_available():
                parser.error("no CUDA device here: run with --dry-run to try the jobs on the CPU")
            if not (ROOT / ".git").exists() and not os.environ.get(MANIFEST_VARIABLE):
                parser.error(
                    f"no .git and no {MANIFEST_VARIABLE}: the results could not name their code; "
                    "run `make gpu-prepare` where the repository is, and carry .gpu"
                )
        summary = run_suite(
            Path(args.out),
            args.budget,
            dry_run=args.dry_run,
            only=args.only,
            parallel=args.parallel,
        )
        failed = [r["job"] for r in summary["jobs"] if r["status"].startswith("failed")]
        print(f"suite: {len(summary['jobs'])} jobs, failed: {', '.join(failed) or 'none'}")
        return 1 if failed else 0
    if args.command == "prepare":
        ready = prepare()
        mib = {name: round(size / 2**20, 1) for name, size in ready["sizes"].items()}
        print(
            f"revision {ready['revision']}; MiB to carry: {mib}, "
            f"{ready['total'] / 2**20:.1f} in all"
        )
        print(
            "on the GPU machine: run(command='bash code/benchmarks/gpu.sh', "
            f"carry={list(CARRIED)}, timeout_s=600); then here: "
            "python code/benchmarks/gpu_suite.py unpack <the returned folder>"
        )
        return 0
    for path in unpack(Path(args.out)):
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
