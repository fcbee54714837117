"""Claims of the chapter "The BCE loss of GANs" (Goodfellow's tutorial via the blog; the forum).

The tutorial's values, the optimal discriminator's theorem and W1 of two shifted Gaussians are
identities, decided to the arithmetic's precision (float64 on a grid whose tails are cut at 8
standard deviations). JS's flatness is a closed form on the grid. The training outcomes of the
1-D GAN are decided with bounds set from five book-scale seeds: the gradient ratio of at least 10
(one order of magnitude) and the bounds on W1 leave every seed more than two standard deviations
(over the seeds) away.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from beyond_mle.claims import Claim, Identity, Interval, Ordering, at

TUTORIAL = "Goodfellow (2016), §3.2, Fig. 16 (as the blog post on GAN gradients reads them)"
FORUM = "Forum thread 'Problem with BCE loss'"


def _summary(results: Mapping[str, Any], kind: str, column: str) -> float:
    return float(at("summary", f"kind={kind}", column)(results))


def _agreeing_fraction(results: Mapping[str, Any]) -> float:
    agree = results["reference_table"]["agree"]
    return sum(bool(value) for value in agree) / len(agree)


def _gradient_ratio(kind: str):
    """Non-saturating / ``kind`` generator gradient norm at the first generator update."""

    def measure(results: Mapping[str, Any]) -> float:
        column = "grad norm at start"
        return _summary(results, "non-saturating", column) / _summary(results, kind, column)

    return measure


def _final_w1(results: Mapping[str, Any]) -> tuple[float, float]:
    return _summary(results, "minimax", "W1 at end"), _summary(
        results, "non-saturating", "W1 at end"
    )


def _minimax_progress(results: Mapping[str, Any]) -> float:
    return _summary(results, "minimax", "W1 at start") - _summary(results, "minimax", "W1 at end")


def _theorem_error(results: Mapping[str, Any]) -> float:
    sweep = results["sweep"]
    return max(abs(v - t) for v, t in zip(sweep["value_optimal"], sweep["theorem"], strict=True))


def _w1_error(results: Mapping[str, Any]) -> float:
    sweep = results["sweep"]
    return max(abs(w - d) for w, d in zip(sweep["w1"], sweep["distance"], strict=True))


def _js_end_slopes(results: Mapping[str, Any]) -> float:
    """The larger secant slope of JS over the first and the last step of the distance sweep."""
    distance, js = results["sweep"]["distance"], results["sweep"]["js"]
    first = (js[1] - js[0]) / (distance[1] - distance[0])
    last = (js[-1] - js[-2]) / (distance[-1] - distance[-2])
    if not math.isfinite(first + last):
        raise ValueError("the sweep's JS is not finite")
    return max(abs(first), abs(last))


CLAIMS = (
    Claim(
        key="costs-match-tutorial",
        statement=(
            "The three generator costs and their slopes, written on logits, take the values of "
            "the tutorial's curves (minimax, non-saturating and maximum likelihood)"
        ),
        source=f"{TUTORIAL}; eqs. 9, 13 and 15 of the tutorial",
        paper="curves of J against D(G(z)), no table (9 values read off at D = 0.001, 0.5, 0.975)",
        quantity="fraction of the 9 read-off costs and slopes that ours match to their digits",
        measure=_agreeing_fraction,
        test=Identity(1.0, 0.0),
    ),
    Claim(
        key="minimax-gradient-vanishes",
        statement=(
            "When the discriminator rejects the samples confidently, the minimax cost's gradient "
            "vanishes while the non-saturating cost's stays large"
        ),
        source=TUTORIAL,
        paper="no gradient once the discriminator rejects the samples with confidence (no number)",
        quantity=(
            "non-saturating / minimax norm of the generator's gradient at its first update, "
            "after the discriminator's head start"
        ),
        measure=_gradient_ratio("minimax"),
        test=Interval(10.0, None),
    ),
    Claim(
        key="ml-gradient-vanishes",
        statement=(
            "The maximum-likelihood cost is flat at the same end: its gradient is as small as "
            "the minimax one's when the samples are rejected"
        ),
        source=TUTORIAL,
        paper="flat at the left of Fig. 16, like the minimax curve (no number)",
        quantity=(
            "non-saturating / maximum-likelihood norm of the generator's gradient at its first "
            "update, after the discriminator's head start"
        ),
        measure=_gradient_ratio("maximum-likelihood"),
        test=Interval(10.0, None),
    ),
    Claim(
        key="non-saturating-learns",
        statement=(
            "From a confident discriminator, the non-saturating generator reaches the data while "
            "the minimax one does not"
        ),
        source=TUTORIAL,
        paper="a large gradient at the left of Fig. 16, so the generator improves fast (no number)",
        quantity="W1(generated, data) after training, mean over seeds: minimax and non-saturating",
        measure=_final_w1,
        test=Ordering(1.0, "minimax's final W1", "non-saturating's"),
    ),
    Claim(
        key="minimax-stalls",
        statement="The minimax generator barely moves while its samples are rejected",
        source=TUTORIAL,
        paper="derivatives near zero at the left of Fig. 16, where training starts (no number)",
        quantity="minimax's W1 at the start minus W1 after training, mean over seeds",
        measure=_minimax_progress,
        test=Interval(None, 0.5),
        contradicted={
            "paper": (
                "in 3,000 updates 4 of the 10 minimax generators creep out of the saturated "
                "region (one before update 600, two only after 2,700) and then learn: "
                "saturation delays the minimax cost rather than stopping it"
            )
        },
    ),
    Claim(
        key="optimal-discriminator-gives-js",
        statement=(
            "Against the optimal discriminator D* = p/(p+q), the game's value is -log 4 plus "
            "twice the Jensen-Shannon divergence"
        ),
        source=f"{FORUM} (GAN loss and JS); Goodfellow et al. (2014), Prop. 1 and Thm. 1",
        paper="V(G, D*) = -log 4 + 2 JS(p_data, p_model)",
        quantity="largest |V(G, D*) - (-2 log 2 + 2 JS)| over the distance sweep (nats)",
        measure=_theorem_error,
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="js-flat-at-both-ends",
        statement=(
            "The cost the game minimises is flat at both ends: near zero when the distributions "
            "overlap, stuck at log 2 when they are far apart"
        ),
        source=f"{FORUM} (the cost function is flat on both sides)",
        paper="flat on both sides, bounded above (no number)",
        quantity=(
            "larger secant slope of JS over the first and the last step of the sweep of "
            "distances 0 to 8 between two unit Gaussians (nats per unit; W1's slope is 1)"
        ),
        measure=_js_end_slopes,
        test=Interval(None, 0.05),
    ),
    Claim(
        key="w1-is-linear",
        statement="The Earth mover's (Wasserstein-1) distance grows linearly, with the same slope",
        source=f"{FORUM} (the Earth mover's loss is linear)",
        paper="linear, with the same gradient at every point",
        quantity="largest |W1 - d| over the sweep of distances d between two unit Gaussians",
        measure=_w1_error,
        test=Identity(0.0, 1e-9),
    ),
)
