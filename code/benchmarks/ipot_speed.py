"""Speed and accuracy of batched IPOT against POT's exact EMD and Sinkhorn, side by side.

    python code/benchmarks/ipot_speed.py                 # CPU
    python code/benchmarks/ipot_speed.py --device cuda   # batched IPOT on the GPU

The problem is the OT sequence loss's: a batch of 64 pairs of 50 x 50 token sets with
300-dimensional embeddings, the cosine cost, uniform marginals. Timed in one run:

1. ours, on the cost matrix that POT gets too: batched IPOT (``--beta``, ``--iterations``),
   forward and backward to the cost, with the envelope gradient (the plan held constant; the
   iterations need no graph) and with the gradient through the unrolled iterations;
2. ours with the cosine cost included (from the embeddings, forward and backward), as a
   training step pays it, and the cosine cost alone;
3. POT's exact ``ot.emd2`` in a loop over the batch, on the CPU (forward only; its gradient
   with respect to the cost is the plan it returns);
4. POT's ``ot.sinkhorn2`` in a loop over the batch, on the CPU (forward only, ``--epsilon``).

Prints the median times, the ratios (the envelope one beside its target, issue 20: IPOT at
least twice as fast as the exact solver), each method's relative error against the exact cost,
and how far the float32 plan without a graph (the envelope gradient's, a scaled kernel) is from
the float32 plan of the unrolled iterations (autograd's, the authors' updates as written).
Timings are medians of ``--repeats`` runs after a warm-up, the methods timed in turn within each
run, so that the load of a shared machine falls on all of them alike; on a GPU every timed
region is closed by ``torch.cuda.synchronize()``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import ot
import torch
from timing import sync

from beyond_mle.optimal_transport import cosine_cost, ipot, ipot_distance

#: The speed ratio emd2 loop / IPOT (envelope gradient, forward and backward) asked for.
TARGET_RATIO = 2.0


def median_times(
    fns: dict[str, Callable[[], object]], device: torch.device, repeats: int
) -> dict[str, float]:
    """Median wall time of each of ``fns`` in seconds, all timed in turn within each repeat."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():  # warm-up
        fn()
    sync(device)
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            sync(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--beta", type=float, default=0.5)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--epsilon", type=float, default=0.01)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, args.length, args.dim, generator=gen)
    y = torch.randn(args.batch, args.length, args.dim, generator=gen)
    x_dev = x.to(device, copy=True).requires_grad_()
    y_dev = y.to(device)

    def ours(gradient: str = "envelope", with_cost: bool = True) -> torch.Tensor:
        x_dev.grad = None
        cost_dev = cosine_cost(x_dev, y_dev) if with_cost else given_cost
        value = ipot_distance(
            cost_dev, beta=args.beta, iterations=args.iterations, gradient=gradient
        )
        value.sum().backward()
        return value.detach()

    given_cost = cosine_cost(x_dev, y_dev).detach().requires_grad_()

    def cost_only() -> None:
        x_dev.grad = None
        cosine_cost(x_dev, y_dev).sum().backward()

    cost = cosine_cost(x.double(), y.double()).numpy()  # (B, n, m), the exact reference's input
    a = np.full(args.length, 1.0 / args.length)

    def emd_loop() -> np.ndarray:
        return np.array([ot.emd2(a, a, c) for c in cost])

    def sinkhorn_loop() -> np.ndarray:
        return np.array([float(ot.sinkhorn2(a, a, c, args.epsilon)) for c in cost])

    timed = median_times(
        {
            "envelope": lambda: ours("envelope", False),
            "unrolled": lambda: ours("unrolled", False),
            "ours": lambda: ours("envelope", True),
            "cost": cost_only,
            "emd": emd_loop,
            "sinkhorn": sinkhorn_loop,
        },
        device,
        args.repeats,
    )
    t_envelope, t_unrolled, t_ours = timed["envelope"], timed["unrolled"], timed["ours"]
    t_cost, t_emd, t_sink = timed["cost"], timed["emd"], timed["sinkhorn"]
    exact = emd_loop()
    ipot64 = ipot_distance(
        torch.from_numpy(cost), beta=args.beta, iterations=args.iterations
    ).numpy()
    ipot32 = ours().cpu().double().numpy()
    sink = sinkhorn_loop()
    settings = {"beta": args.beta, "iterations": args.iterations}
    with torch.no_grad():
        plan_no_graph = ipot(given_cost.detach(), **settings)  # scaled kernel
    plan_graph = ipot(given_cost, **settings).detach()  # autograd's iterates
    plan_gap = (plan_no_graph - plan_graph).abs().max().item() / plan_graph.abs().max().item()
    unrolled = ours("unrolled", False)
    distance_gap = (
        ((ipot_distance(given_cost.detach(), **settings) - unrolled).abs() / unrolled).max().item()
    )

    def rel(v: np.ndarray) -> str:
        err = np.abs(v - exact) / exact
        return f"median {np.median(err):.2e}, max {err.max():.2e}"

    print(
        f"batch {args.batch}, {args.length} x {args.length}, embedding {args.dim}, "
        f"device {device}, torch threads {args.threads}"
    )
    it = f"beta {args.beta}, {args.iterations} it."
    print(f"IPOT ({it}) on the cost, fwd+bwd, envelope gradient: {t_envelope * 1e3:8.1f} ms")
    print(f"IPOT ({it}) on the cost, fwd+bwd, unrolled gradient: {t_unrolled * 1e3:8.1f} ms")
    print(f"cosine cost from the embeddings, fwd+bwd:              {t_cost * 1e3:8.1f} ms")
    print(f"cosine cost + IPOT, fwd+bwd, envelope gradient:        {t_ours * 1e3:8.1f} ms")
    print(f"POT ot.emd2, loop over the batch (fwd):                {t_emd * 1e3:8.1f} ms")
    print(f"POT ot.sinkhorn2 (eps {args.epsilon}), loop (fwd):            {t_sink * 1e3:8.1f} ms")
    ratio = t_emd / t_envelope
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(
        f"speed ratio emd2 loop / IPOT on the cost, envelope:  {ratio:6.2f}"
        f"   (target >= {TARGET_RATIO:g}: {verdict})"
    )
    print(f"speed ratio emd2 loop / IPOT on the cost, unrolled:  {t_emd / t_unrolled:6.2f}")
    print(f"speed ratio sinkhorn2 loop / IPOT on the cost, env.: {t_sink / t_envelope:6.2f}")
    print(f"relative error against exact EMD: IPOT float32 {rel(ipot32)}")
    print(f"                                  IPOT float64 {rel(ipot64)}")
    print(f"                                  Sinkhorn     {rel(sink)}")
    print(
        f"float32, without a graph against the unrolled iterates: plan {plan_gap:.1e} of its "
        f"largest entry, distance {distance_gap:.1e} relative"
    )


if __name__ == "__main__":
    main()
