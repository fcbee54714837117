"""Claims of the chapter "Scheduled sampling is improper" (Huszár 2015).

The identities are decided by float64 tolerances (round-off of sums of a few terms of order 1;
the L-BFGS fixed point by its stopping accuracy). The orderings have margins of about half the
smallest gap over the five book-scale seeds: 0.8 for the standard deviations of the fits (gaps
of about 1.5), an order of magnitude for the KLs of the trained GRUs, compared as log10 because
each seed draws its own Markov source and the gaps in nats range from 3.8 to 8.5. Every seed
lies more than two standard deviations (over the seeds) above each margin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import fmean
from typing import Any

from beyond_mle.claims import Claim, Identity, Ordering, rows

_SOURCE = "Huszár (2015)"


def _column(results: Mapping[str, Any], table: str, column: str, **match: Any) -> list[float]:
    """The values of ``column`` in the rows of ``results[table]`` whose columns equal ``match``."""
    return [row[column] for row in rows(results[table], **match)]


def _identity_gap(results: Mapping[str, Any]) -> float:
    """The largest deviation of D_SS - KL(P~ || Q) from the constant C, prefixes ~ P_x1."""
    identity = results["identity"]
    return max(
        *map(abs, identity["spread over Q, prefix ~ P_x1"]),
        *map(abs, identity["mean - C"]),
    )


def _final_log_kl(results: Mapping[str, Any], column: str) -> tuple[float, float]:
    """log10 of the mean final ``column``: (the smaller over the two decays, teacher forcing)."""
    last = max(results["runs"]["step"])
    decays = [
        fmean(_column(results, "runs", column, schedule=schedule, step=last))
        for schedule in ("linear", "inverse-sigmoid")
    ]
    teacher = fmean(_column(results, "runs", column, schedule="constant", step=last))
    return math.log10(min(decays)), math.log10(teacher)


def _fit_std(results: Mapping[str, Any]) -> tuple[float, float]:
    """(std of the KL(P || Q) fit, std of the KL(Q || P) fit)."""
    fits = results["fits"]
    forward = fits["divergence"].index("KL(P || Q), maximum likelihood")
    reverse = fits["divergence"].index("KL(Q || P), reverse")
    return fits["std"][forward], fits["std"][reverse]


def _std_at_extreme_priors(results: Mapping[str, Any], table: str) -> tuple[float, float]:
    """(mean std of the fits at the smallest prior pi, at the largest)."""
    pis = results[table]["pi"]
    return (
        fmean(_column(results, table, "std", pi=min(pis))),
        fmean(_column(results, table, "std", pi=max(pis))),
    )


def _factorised_kl_at_zero(results: Mapping[str, Any]) -> float:
    (value,) = _column(results, "minimisers", "KL(P_x1 P_x2 || Q*)", epsilon=0.0)
    return value


CLAIMS = (
    Claim(
        key="ss-kl-form",
        statement=(
            "With prefixes drawn from P_x1, the scheduled-sampling objective D_SS is a KL "
            "divergence to the mixed target eps P + (1 - eps) Q_x1 P_x2, up to a constant "
            "that does not depend on the model Q"
        ),
        source=f"{_SOURCE}, 'Critique to scheduled sampling', the rewriting of D_SS[P || Q]",
        paper="D_SS[P||Q] = KL[P_x1(eps P_x2|x1 + (1-eps) Q_x1 P_x2 / P_x1) || Q] + C_P,eps",
        quantity="largest |D_SS - KL(target || Q) - C| over 5 random Q and 4 eps, nats",
        measure=_identity_gap,
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="ss-minimiser-segment",
        statement=(
            "The fixed point of scheduled sampling is eps P + (1 - eps) P_x1 P_x2: between the "
            "true joint and the product of its marginals"
        ),
        source=f"{_SOURCE}, 'Critique to scheduled sampling', last bullet",
        paper="the minimiser lies between P and P_x1 P_x2 (no number)",
        quantity="largest |L-BFGS fixed point - closed form| over the eps sweep, probability",
        measure=lambda results: max(results["minimisers"]["|found - closed form|"]),
        test=Identity(0.0, 1e-6),
    ),
    Claim(
        key="ss-factorised-at-zero",
        statement=(
            "At eps = 0 scheduled sampling converges to the factorised P_x1 P_x2, which ignores "
            "the prefix: the objective is improper and the learning rule inconsistent"
        ),
        source=f"{_SOURCE}, 'Critique to scheduled sampling' and 'Conclusion'",
        paper="as eps goes from 1 to 0 the optimum moves from P to P_x1 P_x2",
        quantity="KL(P_x1 P_x2 || fixed point at eps = 0), nats",
        measure=_factorised_kl_at_zero,
        test=Identity(0.0, 1e-9),
    ),
    Claim(
        key="ss-gru-fits-worse",
        statement=(
            "Trained with scheduled sampling decaying to eps = 0, a GRU language model fits the "
            "data worse than with teacher forcing: its KL(P || Q) is ten times larger or more"
        ),
        source=f"{_SOURCE}, 'Conclusion', second bullet",
        paper="no experiment; scheduled sampling does not fix the problems of ML, it concludes",
        quantity=(
            "log10 of the final KL(P || Q) in nats, mean over seeds: the better decay, teacher "
            "forcing"
        ),
        measure=lambda results: _final_log_kl(results, "kl"),
        test=Ordering(1.0, "log10 of scheduled sampling's KL(P || Q)", "of teacher forcing's"),
    ),
    Claim(
        key="ss-gru-samples-worse",
        statement=(
            "Scheduled sampling does not make free-running samples more plausible: their "
            "KL(Q || P) is ten times that of teacher forcing or more"
        ),
        source=f"{_SOURCE}, 'Conclusion', second bullet",
        paper="no experiment; scheduled sampling does not fix the problems of ML, it concludes",
        quantity=(
            "log10 of the final KL(Q || P) of free-running samples in nats, mean over seeds: "
            "the better decay, teacher forcing"
        ),
        measure=lambda results: _final_log_kl(results, "reverse_kl"),
        test=Ordering(1.0, "log10 of scheduled sampling's KL(Q || P)", "of teacher forcing's"),
    ),
    Claim(
        key="kl-covers-reverse-seeks",
        statement=(
            "Fitted to two modes, a Gaussian under KL(P || Q) covers both, and under KL(Q || P) "
            "sits on one"
        ),
        source=f"{_SOURCE}, 'KL(q||p) and KL(p||q)'",
        paper="KL(p||q) makes the model put mass off the data; KL(q||p) does not (no number)",
        quantity="std of the Gaussian fit to N(+-2, 0.5^2): under KL(P || Q), under KL(Q || P)",
        measure=_fit_std,
        test=Ordering(0.8, "the KL(P || Q) fit's std", "the KL(Q || P) fit's"),
    ),
    Claim(
        key="js-pi-interpolates",
        statement=(
            "The generalised JS divergence interpolates between the two KLs: its best Gaussian "
            "covers both modes at a small prior pi and sits on one at a large pi"
        ),
        source=f"{_SOURCE}, 'Generalized adversarial training', JS_pi",
        paper="JS_pi interpolates between maximum likelihood and KL[Q||P] (no number)",
        quantity="std of the exact JS_pi fit on the grid: at the smallest pi, at the largest",
        measure=lambda results: _std_at_extreme_priors(results, "sweep"),
        test=Ordering(0.8, "the std at the smallest pi", "at the largest"),
    ),
    Claim(
        key="gan-prior-interpolates",
        statement=(
            "A GAN whose discriminator has prior pi on the data behaves like maximum likelihood "
            "at a small pi (covers both modes) and like KL(Q || P) at a large pi (one mode)"
        ),
        source=f"{_SOURCE}, 'Generalized adversarial training'",
        paper="adversarial training with JS_pi interpolates between ML and KL[Q||P] (no number)",
        quantity="std of the GAN's Gaussian generator: mean at the smallest pi, at the largest",
        measure=lambda results: _std_at_extreme_priors(results, "gans"),
        test=Ordering(0.8, "the std at the smallest pi", "at the largest"),
    ),
)
