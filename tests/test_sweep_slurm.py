"""The SLURM backend against a real SLURM: slurmctld and slurmd on this machine, for this module.

The fixture starts munged (with a key and socket of its own), slurmctld and slurmd from Debian's
``slurm-wlm`` and ``munge`` packages, as root, with a one-node cluster in a temporary folder;
it stops them afterwards. Without root or without the packages the test is skipped, saying why;
``BEYOND_MLE_REQUIRE_SLURM=1`` (set by CI, which installs the packages) makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from beyond_mle.experiments.sweep import MANIFEST, SlurmOptions, run_sweep

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_experiments import TINY  # noqa: E402
from test_sweep import root  # noqa: E402, F401 - the committed tiny repository (a fixture)

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue")


def _unavailable() -> str:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "the single-node SLURM needs root to start slurmctld and slurmd"
    missing = [name for name in DAEMONS if shutil.which(name) is None]
    if missing:
        return f"install Debian's slurm-wlm and munge packages (missing: {', '.join(missing)})"
    return ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise TimeoutError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = _unavailable()
    if reason:
        if os.environ.get("BEYOND_MLE_REQUIRE_SLURM"):
            pytest.fail(reason)
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("slurm")
    for name in ("munge", "state", "spool", "log"):
        (base / name).mkdir()
    (base / "munge").chmod(0o755)
    key = base / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    sock = base / "munge" / "munge.socket"
    host = socket.gethostname().split(".")[0]
    conf = base / "slurm.conf"
    conf.write_text(
        "\n".join(
            [
                "ClusterName=beyondmle",
                f"SlurmctldHost={host}(127.0.0.1)",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                f"AuthInfo=socket={sock}",
                "CredType=cred/munge",
                f"StateSaveLocation={base / 'state'}",
                f"SlurmdSpoolDir={base / 'spool'}",
                f"SlurmctldPidFile={base / 'slurmctld.pid'}",
                f"SlurmdPidFile={base / 'slurmd.pid'}",
                f"SlurmctldLogFile={base / 'log' / 'slurmctld.log'}",
                f"SlurmdLogFile={base / 'log' / 'slurmd.log'}",
                f"SlurmctldPort={_free_port()}",
                f"SlurmdPort={_free_port()}",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "MpiDefault=none",
                "ReturnToService=2",
                "SchedulerType=sched/backfill",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core_Memory",
                "DefMemPerCPU=1000",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                f"NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count() or 1} "
                "RealMemory=4000 State=UNKNOWN",
                "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
                "",
            ]
        )
    )
    env = {**os.environ, "SLURM_CONF": str(conf)}
    logs = base / "log"
    started = []
    try:
        munge_args = [
            "munged", "--force", "-F", f"--key-file={key}", f"--socket={sock}",
            f"--pid-file={base / 'munge' / 'munged.pid'}",
            f"--log-file={logs / 'munged.log'}", f"--seed-file={base / 'munge' / 'seed'}",
        ]  # fmt: skip
        for args in (munge_args, ["slurmctld", "-D", "-i"], ["slurmd", "-D"]):
            out = open(logs / f"{args[0]}.out", "w")  # noqa: SIM115 - closed with the daemon
            started.append((subprocess.Popen(args, env=env, stdout=out, stderr=out), out))
            if args[0] == "munged":
                _wait(sock.exists, 20, "munged's socket")

        def idle() -> bool:
            state = subprocess.run(
                ["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True
            )
            return state.returncode == 0 and state.stdout.strip() in {"idle", "mixed"}

        _wait(idle, 60, "the SLURM node to be idle")
        previous = os.environ.get("SLURM_CONF")
        os.environ["SLURM_CONF"] = str(conf)
        yield {"conf": conf, "env": env, "logs": logs}
        if previous is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = previous
    finally:
        # let the jobs' steps finish and report before the daemons go, then cancel the rest
        def queue_empty() -> bool:
            state = subprocess.run(["squeue", "-h"], env=env, capture_output=True, text=True)
            return state.returncode != 0 or not state.stdout.strip()

        try:
            _wait(queue_empty, 60, "the SLURM queue to empty")
        except TimeoutError:
            subprocess.run(["scancel", "--full", "-u", "root"], env=env, capture_output=True)
            time.sleep(2)
        for process, out in reversed(started):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            out.close()
        # a job step whose daemon is gone would linger: stop what runs from this cluster's spool
        subprocess.run(["pkill", "-f", str(base / "spool")], capture_output=True)


def test_a_sweep_runs_as_a_slurm_job_array(slurm, root):  # noqa: F811 - the fixture
    import cloudpickle
    import test_experiments

    cloudpickle.register_pickle_by_value(test_experiments)  # the jobs unpickle TINY by value
    start = time.monotonic()
    options = SlurmOptions(time_min=10, cpus=1)
    sweep = run_sweep(
        TINY, "book", ["n=1:3"], name="slurm", backend="slurm", slurm=options, root=root,
        progress=False,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    logs = sorted((root / "book" / "results" / "tiny" / "slurm" / "slurm").rglob("*"))
    assert [cell.status for cell in sweep.cells] == ["done", "done"], (
        [cell.error for cell in sweep.cells],
        [path.read_text()[-2000:] for path in logs if path.suffix in {".out", ".err"}],
    )
    folder = root / "book" / "results" / "tiny" / "slurm"
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["backend"] == "slurm"
    totals = [json.loads((folder / f"n={n}" / "results.json").read_text())["total"] for n in (1, 2)]
    assert totals == [0, 1]
    assert (folder / "summary.csv").is_file()
    assert any(path.suffix == ".out" for path in logs), "submitit's job logs"
    print(f"two cells through SLURM in {elapsed:.1f} s")
    # resumed: nothing is submitted again
    again = run_sweep(
        TINY, "book", ["n=1:3"], name="slurm", backend="slurm", slurm=options, root=root,
        progress=False,
    )  # fmt: skip
    assert [cell.status for cell in again.cells] == ["kept", "kept"]
