"""Count the tensor operations a computation dispatches, their FLOPs and bytes, to size GPU runs.

:class:`OpCounter` is a ``TorchDispatchMode``: inside it every ATen operation that reaches a
kernel is counted, with the floating-point operations of the matrix products and convolutions
(PyTorch's own FLOP formulas, :mod:`torch.utils.flop_counter`) and the bytes of the tensors it
reads and writes. From those three sums :func:`gpu_seconds` estimates the time the same work
takes on a GPU, each operation costing the largest of a launch, its arithmetic and its memory
traffic (:data:`H200`: the constants of the lent machine, stated and conservative).

A whole notebook can be counted without changing it: with ``BEYOND_MLE_COUNT_OPS=FOLDER`` in its
environment, importing :mod:`beyond_mle` enters a counter for the rest of the process and writes
its totals as JSON to ``FOLDER/<pid>.json`` (every second, after each notebook cell and at
exit); every process that imports the package (the runner, the notebook's kernel) writes its
own file, and :func:`read_counts` sums them.

Example::

    with OpCounter() as counter:
        model(batch).sum().backward()
    print(counter.totals(), gpu_seconds(counter.totals()))
"""

from __future__ import annotations

import atexit
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import flop_registry

__all__ = [
    "COUNT_VARIABLE",
    "GPUModel",
    "H200",
    "OpCounter",
    "count_from_environment",
    "gpu_seconds",
]

#: Environment variable naming the folder an imported :mod:`beyond_mle` counts into.
COUNT_VARIABLE = "BEYOND_MLE_COUNT_OPS"

# Operations that only describe a tensor (views, shapes): no kernel runs for them.
_NO_KERNEL = frozenset(
    {
        "view",
        "_unsafe_view",
        "reshape",
        "expand",
        "permute",
        "transpose",
        "t",
        "unsqueeze",
        "squeeze",
        "select",
        "slice",
        "alias",
        "as_strided",
        "detach",
        "unbind",
        "split",
        "split_with_sizes",
        "chunk",
        "narrow",
        "diagonal",
        "sym_size",
        "sym_stride",
        "sym_numel",
        "sym_storage_offset",
        "is_same_size",
        "lift_fresh",
        "_to_copy_meta",
        "empty",
        "empty_like",
        "empty_strided",
        "_local_scalar_dense",
    }
)


def _tensor_bytes(values: Any) -> int:
    flat, _ = tree_flatten(values)
    return sum(t.numel() * t.element_size() for t in flat if isinstance(t, torch.Tensor))


class OpCounter(TorchDispatchMode):
    """Counts kernels, FLOPs and bytes of the ATen operations run inside it (any device).

    Attributes:
        ops: operations that run a kernel (views and shape queries excluded).
        flops: floating-point operations of the matrix products, convolutions and attention.
        bytes: bytes of every such operation's tensor inputs and outputs.
        seconds: :func:`gpu_seconds` of each operation, summed under ``model``.
    """

    def __init__(self, model: GPUModel | None = None) -> None:
        super().__init__()
        self.model = model or H200
        self.ops = 0
        self.flops = 0
        self.bytes = 0
        self.seconds = 0.0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        packet = func.overloadpacket
        if packet.__name__ not in _NO_KERNEL:
            flops = 0
            if packet in flop_registry:
                flops = int(flop_registry[packet](*args, **kwargs, out_val=out))
            moved = _tensor_bytes((args, kwargs)) + _tensor_bytes(out)
            self.ops += 1
            self.flops += flops
            self.bytes += moved
            self.seconds += self.model.op_seconds(flops, moved)
        return out

    def totals(self) -> dict[str, float]:
        """``ops``, ``flops``, ``bytes`` and the estimated ``gpu_s`` so far."""
        return {"ops": self.ops, "flops": self.flops, "bytes": self.bytes, "gpu_s": self.seconds}


@dataclass(frozen=True)
class GPUModel:
    """A GPU as three rates: per-launch cost, matrix throughput and memory bandwidth.

    Attributes:
        name: what it models.
        launch_s: seconds per operation however small: PyTorch's eager dispatch and the launch
            (a few microseconds each on a fast host; CUDA graphs would remove most of it).
        flops_per_s: sustained float32 matrix throughput with TF32 (a fraction of the peak:
            the book's matrices are small).
        bytes_per_s: sustained memory bandwidth (a copy's read plus write bytes over time).
    """

    name: str
    launch_s: float
    flops_per_s: float
    bytes_per_s: float

    def op_seconds(self, flops: float, moved: float) -> float:
        """One operation: the largest of its launch, its arithmetic and its memory traffic."""
        return max(self.launch_s, flops / self.flops_per_s, moved / self.bytes_per_s)


#: The lent machine (one H200): 10 us per eager operation, 100 TFLOP/s of TF32 products (a
#: fifth of the dense peak), 3 TB/s (a copy measured 4.3 TB/s there).
H200 = GPUModel("NVIDIA H200, eager PyTorch", launch_s=10e-6, flops_per_s=100e12, bytes_per_s=3e12)


def gpu_seconds(totals: Mapping[str, float], model: GPUModel = H200) -> float:
    """The estimate from the sums alone: every launch, FLOP and byte paid one after another.

    Never below :attr:`OpCounter.seconds`, which pays each operation the largest of the three;
    use it where only the sums are known.
    """
    return (
        totals["ops"] * model.launch_s
        + totals["flops"] / model.flops_per_s
        + totals["bytes"] / model.bytes_per_s
    )


class _FileCounter(OpCounter):
    """An :class:`OpCounter` that writes its totals to a file every second and at exit."""

    def __init__(self, path: Path, every_s: float = 1.0) -> None:
        super().__init__()
        self.path = path
        self.every_s = every_s
        self.started = time.perf_counter()
        self.last = self.started

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = super().__torch_dispatch__(func, types, args, kwargs)
        now = time.perf_counter()
        if now - self.last > self.every_s:
            self.write()
        return out

    def write(self) -> None:
        self.last = time.perf_counter()
        record = {**self.totals(), "wall_s": self.last - self.started, "pid": os.getpid()}
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(record))
        os.replace(temporary, self.path)


def count_from_environment() -> OpCounter | None:
    """Enter a process-wide counter if ``BEYOND_MLE_COUNT_OPS`` names a folder; else nothing."""
    target = os.environ.get(COUNT_VARIABLE)
    if not target:
        return None
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    counter = _FileCounter(folder / f"{os.getpid()}.json")
    counter.__enter__()
    atexit.register(counter.write)
    try:  # in a notebook's kernel, also after every cell: a kernel may be stopped before exit
        from IPython import get_ipython
    except ImportError:
        return counter
    shell = get_ipython()
    if shell is not None:
        shell.events.register("post_run_cell", lambda *args: counter.write())
    return counter


def read_counts(folder: str | os.PathLike[str]) -> dict[str, float]:
    """The sums over every process that counted into ``folder`` (``processes``: how many)."""
    records = [json.loads(path.read_text()) for path in sorted(Path(folder).glob("*.json"))]
    totals: dict[str, float] = {k: sum(r[k] for r in records) for k in ("ops", "flops", "bytes")}
    totals["gpu_s"] = sum(r["gpu_s"] for r in records)
    totals["processes"] = len(records)
    return totals
