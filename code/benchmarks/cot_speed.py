"""CoT's time per epoch over maximum likelihood's, measured side by side in one run.

    python code/benchmarks/cot_speed.py                  # CPU, the paper's scale
    python code/benchmarks/cot_speed.py --quick          # CPU, a fraction of an epoch
    python code/benchmarks/cot_speed.py --device cuda    # GPU

At the scale of the synthetic Turing test (vocabulary 5,000, length 20, batch 64, generator of
size 32, mediator of size 64), times the updates of one epoch (9,984 / 64 = 156 updates) of
maximum likelihood (a teacher-forced forward and backward of the generator) and of CoT (one
iteration = :func:`beyond_mle.cot.cot_step`: the generator samples 64 sequences keeping its
logits, the mediator reads them and 32 data sequences in one forward pass, one backward and two
Adam steps). Lu et al. (2019, section 5.1) report 53.94 s against 16.14 s per epoch, a ratio of
3.3. Timings are medians of ``--repeats`` runs after a warm-up; on a GPU each run is closed by
``torch.cuda.synchronize()``. ``--json PATH`` also writes the figures.

The same run then profiles ``--profile`` further CoT iterations (``torch.profiler``) and prints
where an iteration's time goes: the ranges that :func:`~beyond_mle.cot.cot_step` marks
(sampling, the mediator's forward pass, the losses), the backward pass and the optimiser
(zeroing, clipping and the two Adam steps), each in milliseconds per iteration and in updates of
maximum likelihood (``cot_stages_s`` in the JSON), beside the timed iteration, so that the
profiler's own cost shows. On a GPU the stages are the device time of their kernels.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from timing import median_time, sync
from torch.autograd import DeviceType
from torch.profiler import ProfilerActivity, profile, record_function

from beyond_mle import streams
from beyond_mle.cot import cot_step
from beyond_mle.models.lstm import LSTMConfig, LSTMLanguageModel, normal_init_


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per figure (>= 1)")
    parser.add_argument("--updates", type=int, default=156, help="updates per epoch (9984 / 64)")
    parser.add_argument("--quick", action="store_true", help="time 10 updates, 1 repeat")
    parser.add_argument("--vocab", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    parser.add_argument("--profile", type=int, default=10, help="iterations profiled (>= 0)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.updates, args.repeats = 10, 1
    if args.repeats < 1 or args.updates < 1 or args.vocab < 2 or args.threads < 1:
        parser.error("--repeats, --updates and --threads must be >= 1, --vocab >= 2")
    if args.profile < 0:
        parser.error("--profile must be >= 0")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: CUDA is not available on this machine")
    torch.set_num_threads(args.threads)

    batch, length = 64, 20
    gen = LSTMLanguageModel(LSTMConfig(args.vocab, 32, 32))
    med = LSTMLanguageModel(LSTMConfig(args.vocab, 64, 64))
    # named streams of seed 0 (beyond_mle.streams): the timings do not depend on the draws
    gen = normal_init_(gen, 0.1, generator=streams.generator(0, "generator weights")).to(device)
    med = normal_init_(med, 0.1, generator=streams.generator(0, "mediator weights")).to(device)
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.9, 0.95))
    opt_m = torch.optim.Adam(med.parameters(), lr=3e-3, betas=(0.9, 0.95))
    data = torch.randint(
        0,
        args.vocab,
        (args.updates, batch, length),
        generator=streams.generator(0, "data", device),
        device=device,
    )
    rng = streams.generator(0, "training noise", device)

    def mle_epoch() -> None:
        for i in range(args.updates):
            opt_g.zero_grad(set_to_none=True)
            logits = gen(data[i])  # (B, T, V)
            F.cross_entropy(logits.flatten(0, 1), data[i].flatten()).backward()
            torch.nn.utils.clip_grad_norm_(gen.parameters(), 5.0)
            opt_g.step()

    def cot_iteration(i: int) -> None:
        loss_g, loss_m = cot_step(gen, med, data[i, : batch // 2], generator=rng)
        with record_function(STAGES[3]):
            opt_g.zero_grad(set_to_none=True)
            opt_m.zero_grad(set_to_none=True)
            (loss_g + loss_m).backward()
        with record_function(STAGES[4]):
            torch.nn.utils.clip_grad_norm_(gen.parameters(), 5.0)
            torch.nn.utils.clip_grad_norm_(med.parameters(), 5.0)
            opt_g.step()
            opt_m.step()

    def cot_epoch() -> None:
        for i in range(args.updates):
            cot_iteration(i)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    print(
        f"device: {device} ({name or platform.machine()}), torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU threads; {args.updates} updates of batch {batch}, "
        f"length {length}, vocabulary {args.vocab:,}"
    )
    mle_s = median_time(mle_epoch, device, args.repeats)
    cot_s = median_time(cot_epoch, device, args.repeats)
    scale = 156 / args.updates
    figures = {
        "device": str(device),
        "updates": args.updates,
        "mle_s": mle_s,
        "cot_s": cot_s,
        "mle_epoch_s": mle_s * scale,
        "cot_epoch_s": cot_s * scale,
        "ratio": cot_s / mle_s,
        "paper_ratio": 53.94 / 16.14,
    }
    print(f"  MLE epoch (156 updates)    {figures['mle_epoch_s']:8.2f} s")
    print(f"  CoT epoch (156 iterations) {figures['cot_epoch_s']:8.2f} s")
    print(
        f"  CoT / MLE                  {figures['ratio']:8.2f}   "
        f"(Lu et al. 2019: 53.94 s / 16.14 s = {figures['paper_ratio']:.2f})"
    )
    if args.profile:
        stages = profile_stages(cot_iteration, args.profile, args.updates, device)
        mle_update = mle_s / args.updates
        figures["cot_stages_s"] = stages
        stages["timed (epoch / iterations)"] = cot_s / args.updates
        print(f"  one CoT iteration, profiled over {args.profile} iterations:")
        for stage, seconds in stages.items():
            print(
                f"    {stage:26s} {seconds * 1e3:8.2f} ms  {seconds / mle_update:5.2f} MLE updates"
            )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2)
    return 0


#: The profiled stages of a CoT iteration: the ranges cot_step marks, then the benchmark's.
STAGES = (
    "cot_step: sampling",
    "cot_step: mediator forward",
    "cot_step: losses",
    "backward",
    "optimiser",
)


def profile_stages(
    iteration: Callable[[int], None], iterations: int, updates: int, device: torch.device
) -> dict[str, float]:
    """Seconds per iteration of each of :data:`STAGES`, the rest, and the profiled total.

    ``iteration(i)`` runs CoT iteration ``i`` (batch ``i % updates``) under ``torch.profiler``.
    On a GPU a stage's time is the device time of the kernels it launched; the total is the
    wall time, synchronised, so that the rest is what the stages do not account for.
    """
    activities = [ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities) as prof:
        start = time.perf_counter()
        for i in range(iterations):
            iteration(i % updates)
        sync(device)
        total = (time.perf_counter() - start) / iterations
    micros = dict.fromkeys(STAGES, 0.0)
    for event in prof.events():  # the CPU ranges (on a GPU, their kernels' device time)
        if event.name in micros and event.device_type == DeviceType.CPU:
            on_gpu = device.type == "cuda"
            micros[event.name] += event.device_time_total if on_gpu else event.cpu_time_total
    stages = {stage: value * 1e-6 / iterations for stage, value in micros.items()}
    stages["rest"] = max(0.0, total - sum(stages.values()))
    stages["total (profiled)"] = total
    return stages


if __name__ == "__main__":
    raise SystemExit(main())
