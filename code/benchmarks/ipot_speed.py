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

Prints the median times, the ratios, and each method's relative error against the exact cost.
Timings are medians of ``--repeats`` runs after a warm-up; on a GPU every timed region is closed
by ``torch.cuda.synchronize()``.
"""

from __future__ import annotations

import argparse

import numpy as np
import ot
import torch
from timing import median_time

from beyond_mle.optimal_transport import cosine_cost, ipot_distance


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

    t_envelope = median_time(lambda: ours("envelope", False), device, args.repeats)
    t_unrolled = median_time(lambda: ours("unrolled", False), device, args.repeats)
    t_ours = median_time(lambda: ours("envelope", True), device, args.repeats)
    t_cost = median_time(cost_only, device, args.repeats)
    t_emd = median_time(emd_loop, torch.device("cpu"), args.repeats)
    t_sink = median_time(sinkhorn_loop, torch.device("cpu"), args.repeats)
    exact = emd_loop()
    ipot64 = ipot_distance(
        torch.from_numpy(cost), beta=args.beta, iterations=args.iterations
    ).numpy()
    ipot32 = ours().cpu().double().numpy()
    sink = sinkhorn_loop()

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
    print(f"speed ratio emd2 loop / IPOT on the cost, envelope:  {t_emd / t_envelope:6.2f}")
    print(f"speed ratio emd2 loop / IPOT on the cost, unrolled:  {t_emd / t_unrolled:6.2f}")
    print(f"speed ratio sinkhorn2 loop / IPOT on the cost, env.: {t_sink / t_envelope:6.2f}")
    print(f"relative error against exact EMD: IPOT float32 {rel(ipot32)}")
    print(f"                                  IPOT float64 {rel(ipot64)}")
    print(f"                                  Sinkhorn     {rel(sink)}")


if __name__ == "__main__":
    main()
