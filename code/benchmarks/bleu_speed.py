"""Speed of the differentiable BLEU loss and of the id path, measured side by side in one run.

    python code/benchmarks/bleu_speed.py                 # CPU
    python code/benchmarks/bleu_speed.py --device cuda   # GPU: also the memory-traffic floor

Prints three comparisons, each a ratio of times measured in this run:

1. Forward + backward of the soft BLEU loss at the scale of the reversal task of Casas et al.
   (batch 40, length 50, vocabulary 30,000) against the memory-traffic floor: the bytes of the
   input distributions read once and of their gradient written once, over the copy bandwidth
   measured on the same device (a large tensor copied, read plus write bytes over time).
2. The same with the softmax of the logits included (what a training step pays).
3. Corpus BLEU and GLEU of 10,000 hard sentence pairs: the id path against NLTK's corpus_bleu and
   corpus_gleu (on the CPU), with the scores checked equal.

Each ratio is printed with its target from issue 20 (measured on the CPU): the loss at most 3x
the floor, the id path at least 50x and the list path (conversion included) at least 20x faster
than NLTK; GLEU is reported beside them. For scale, the time to write a freshly allocated tensor
of the gradient's size is printed too: on the CPU its first write pays a page fault per page,
which the floor (a copy into memory already touched) does not.

Timings are medians of ``--repeats`` runs after a warm-up; on a GPU every timed region is closed
by ``torch.cuda.synchronize()``. ``--json PATH`` also writes the figures, with each target, its
bound and whether it was met.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import warnings

import torch
from nltk.translate import bleu_score as nltk_bleu
from nltk.translate import gleu_score as nltk_gleu
from timing import median_time

from beyond_mle.bleu import bleu_loss, corpus_bleu, corpus_gleu

#: issue 20's targets: (figure, "<=" or ">=", bound)
TARGETS = (
    ("loss_over_floor", "<=", 3.0),
    ("bleu_speedup_from_lists", ">=", 20.0),
    ("bleu_speedup", ">=", 50.0),
)


def copy_bandwidth(device: torch.device, n_bytes: int, repeats: int) -> float:
    """Bytes per second moved by a device-to-device copy (read plus write)."""
    src = torch.empty(n_bytes // 4, dtype=torch.float32, device=device).uniform_()
    dst = torch.empty_like(src)
    seconds = median_time(lambda: dst.copy_(src), device, repeats)
    return 2 * src.numel() * 4 / seconds


def soft_loss_timing(
    device: torch.device, batch: int, length: int, vocab: int, repeats: int
) -> dict[str, float]:
    gen = torch.Generator(device).manual_seed(0)
    logits = torch.randn(batch, length, vocab, device=device, generator=gen)
    refs = torch.randint(1, vocab, (batch, length), device=device, generator=gen)
    probs = torch.softmax(logits, -1).requires_grad_()

    def loss_only() -> None:
        probs.grad = None
        bleu_loss(probs, refs, eos_id=0).backward()

    leaf = logits.clone().requires_grad_()

    def with_softmax() -> None:
        leaf.grad = None
        bleu_loss(torch.softmax(leaf, -1), refs, eos_id=0).backward()

    loss_s = median_time(loss_only, device, repeats)
    softmax_s = median_time(with_softmax, device, repeats)
    fresh_s = median_time(lambda: torch.zeros_like(probs), device, repeats)
    n_bytes = 2 * probs.numel() * probs.element_size()  # distributions read + gradient written
    bandwidth = copy_bandwidth(device, max(n_bytes, 256 << 20), repeats)
    floor_s = n_bytes / bandwidth
    return {
        "loss_fwd_bwd_s": loss_s,
        "softmax_loss_fwd_bwd_s": softmax_s,
        "fresh_zeros_s": fresh_s,
        "traffic_bytes": n_bytes,
        "copy_bandwidth_GBps": bandwidth / 1e9,
        "floor_s": floor_s,
        "loss_over_floor": loss_s / floor_s,
        "softmax_loss_over_floor": softmax_s / floor_s,
    }


def hard_corpus(
    n_pairs: int, vocab: int, seed: int
) -> tuple[list, list, torch.Tensor, torch.Tensor]:
    """Sentence pairs of 10 to 30 tokens; hypotheses are references with random edits."""
    rng = random.Random(seed)
    refs, hyps = [], []
    for _ in range(n_pairs):
        ref = [rng.randrange(1, vocab) for _ in range(rng.randint(10, 30))]
        rate = rng.uniform(0.1, 0.6)
        hyp = [t if rng.random() > rate else rng.randrange(1, vocab) for t in ref]
        hyps.append(hyp[: rng.randint(len(hyp) - 3, len(hyp))])
        refs.append([ref])

    def padded(rows: list[list[int]]) -> torch.Tensor:
        width = max(len(r) for r in rows)
        return torch.tensor([r + [-1] * (width - len(r)) for r in rows])

    return hyps, refs, padded(hyps), padded([r[0] for r in refs])


def id_path_timing(n_pairs: int, repeats: int) -> dict[str, float]:
    hyps, refs, hyp_ids, ref_ids = hard_corpus(n_pairs, vocab=1000, seed=0)
    cpu = torch.device("cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nltk_bleu_s = median_time(lambda: nltk_bleu.corpus_bleu(refs, hyps), cpu, repeats)
        nltk_gleu_s = median_time(lambda: nltk_gleu.corpus_gleu(refs, hyps), cpu, repeats)
        expected_bleu = nltk_bleu.corpus_bleu(refs, hyps)
        expected_gleu = nltk_gleu.corpus_gleu(refs, hyps)
    ours_bleu_s = median_time(lambda: corpus_bleu(hyp_ids, ref_ids), cpu, repeats)
    ours_gleu_s = median_time(lambda: corpus_gleu(hyp_ids, ref_ids), cpu, repeats)
    lists_bleu_s = median_time(lambda: corpus_bleu(hyps, refs), cpu, repeats)
    diff_bleu = abs(corpus_bleu(hyp_ids, ref_ids).item() - expected_bleu)
    diff_gleu = abs(corpus_gleu(hyp_ids, ref_ids).item() - expected_gleu)
    return {
        "pairs": n_pairs,
        "nltk_corpus_bleu_s": nltk_bleu_s,
        "ids_corpus_bleu_s": ours_bleu_s,
        "lists_corpus_bleu_s": lists_bleu_s,
        "bleu_speedup": nltk_bleu_s / ours_bleu_s,
        "bleu_speedup_from_lists": nltk_bleu_s / lists_bleu_s,
        "nltk_corpus_gleu_s": nltk_gleu_s,
        "ids_corpus_gleu_s": ours_gleu_s,
        "gleu_speedup": nltk_gleu_s / ours_gleu_s,
        "bleu": expected_bleu,
        "abs_diff_bleu": diff_bleu,
        "abs_diff_gleu": diff_gleu,
    }


def target_checks(figures: dict[str, float]) -> dict[str, dict[str, float | str | bool]]:
    """Each target of :data:`TARGETS` with the measured figure and whether it is met."""
    checks: dict[str, dict[str, float | str | bool]] = {}
    for name, sense, bound in TARGETS:
        value = figures[name]
        met = value <= bound if sense == "<=" else value >= bound
        checks[name] = {"value": value, "sense": sense, "bound": bound, "met": met}
    return checks


def target_note(check: dict[str, float | str | bool]) -> str:
    verdict = "met" if check["met"] else "NOT met"
    return f"(target {check['sense']} {check['bound']:g}x: {verdict})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per figure (>= 1)")
    parser.add_argument("--pairs", type=int, default=10_000, help="sentence pairs for the id path")
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--vocab", type=int, default=30_000)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.pairs < 1 or min(args.batch, args.length, args.vocab) < 2:
        parser.error("--repeats and --pairs must be >= 1; --batch, --length, --vocab >= 2")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: CUDA is not available on this machine")

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    print(
        f"device: {device} ({name or platform.machine()}), torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU threads"
    )
    soft = soft_loss_timing(device, args.batch, args.length, args.vocab, args.repeats)
    ids = id_path_timing(args.pairs, args.repeats)
    checks = target_checks({**soft, **ids})
    print(
        f"\nsoft BLEU loss, batch {args.batch} x length {args.length} x vocab {args.vocab:,} "
        f"(float32)"
    )
    print(
        f"  forward+backward             {soft['loss_fwd_bwd_s'] * 1e3:9.2f} ms"
        f"   {soft['loss_over_floor']:6.2f} x floor   {target_note(checks['loss_over_floor'])}"
    )
    print(
        f"  softmax + forward+backward   {soft['softmax_loss_fwd_bwd_s'] * 1e3:9.2f} ms"
        f"   {soft['softmax_loss_over_floor']:6.2f} x floor"
    )
    print(
        f"  memory-traffic floor         {soft['floor_s'] * 1e3:9.2f} ms"
        f"   ({soft['traffic_bytes'] / 1e6:.0f} MB at {soft['copy_bandwidth_GBps']:.0f} GB/s copy)"
    )
    print(
        f"  fresh zeros of that size     {soft['fresh_zeros_s'] * 1e3:9.2f} ms"
        "   (a new tensor written once: page faults on the CPU)"
    )
    print(
        f"\ncorpus scores of {ids['pairs']:,} hard sentence pairs (CPU), "
        f"|ours - NLTK| = {ids['abs_diff_bleu']:.1e} (BLEU), {ids['abs_diff_gleu']:.1e} (GLEU)"
    )
    print(f"  NLTK corpus_bleu             {ids['nltk_corpus_bleu_s'] * 1e3:9.2f} ms")
    print(
        f"  ids corpus_bleu              {ids['ids_corpus_bleu_s'] * 1e3:9.2f} ms"
        f"   {ids['bleu_speedup']:6.1f} x faster   {target_note(checks['bleu_speedup'])}"
    )
    print(
        f"  lists corpus_bleu            {ids['lists_corpus_bleu_s'] * 1e3:9.2f} ms"
        f"   {ids['bleu_speedup_from_lists']:6.1f} x faster   "
        f"{target_note(checks['bleu_speedup_from_lists'])} (conversion included)"
    )
    print(f"  NLTK corpus_gleu             {ids['nltk_corpus_gleu_s'] * 1e3:9.2f} ms")
    print(
        f"  ids corpus_gleu              {ids['ids_corpus_gleu_s'] * 1e3:9.2f} ms"
        f"   {ids['gleu_speedup']:6.1f} x faster"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "device": str(device),
                    "device_name": name,
                    "soft": soft,
                    "ids": ids,
                    "targets": checks,
                },
                f,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
