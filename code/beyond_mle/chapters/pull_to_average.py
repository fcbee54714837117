"""Claims of the chapter "The pull to the average" (Casas et al. 2018, §5 and App. D, Fig. 6).

The caricature's fixed point, its Hessian (2 sigma'(0) I = I/2) and the stationary points of the
real losses are closed forms, decided to 1e-12 in float64. Where gradient descent ends is decided
on fractions of the random starts: the bounds (a majority at the average; every unigram descent
on the ridge) lie far from every one of five book-scale seeds, whose fractions spread by less
than 0.02.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beyond_mle.claims import Claim, Identity, Interval, rows

SOURCE = "Casas et al. (2018)"
UNIGRAM = ("BLEU-1, ref a b", "GLEU-1, ref a b")
CORPUS = ("BLEU-2, corpus {a b, b a}", "GLEU-2, corpus {a b, b a}")


def _column(results: Mapping[str, Any], column: str, losses: tuple[str, ...] = ()) -> list[Any]:
    """One column of the fixed-point table, for the losses named (all of them if none)."""
    chosen = [
        row[column] for row in rows(results["fixed_points"]) if not losses or row["loss"] in losses
    ]
    if not chosen or (losses and len(chosen) != len(losses)):
        raise KeyError(f"the fixed-point table lacks {column!r} for {losses or 'any loss'}")
    return chosen


def _eigenvalues(text: str) -> list[float]:
    """The Hessian's eigenvalues as the table prints them (``"[-0.125  0.125]"``)."""
    return [float(value) for value in text.strip("[]").split()]


def _hessian_off_half(results: Mapping[str, Any]) -> float:
    return max(abs(value - 0.5) for value in results["caricature"]["hessian_eigenvalues_centre"])


def _largest_fraction_at_average(results: Mapping[str, Any]) -> float:
    return max(_column(results, "-> avg"))


def _unigram_on_ridge(results: Mapping[str, Any]) -> float:
    return min(_column(results, "on ridge", UNIGRAM))


def _corpus_gradient(results: Mapping[str, Any]) -> float:
    return max(_column(results, "|grad| at avg", CORPUS))


def _corpus_smallest_eigenvalue(results: Mapping[str, Any]) -> float:
    return min(min(_eigenvalues(text)) for text in _column(results, "Hessian eig at avg", CORPUS))


CLAIMS = (
    Claim(
        key="caricature-stationary-at-average",
        statement=(
            "In the two-bit caricature (every hypothesis bit against every reference bit), the "
            "sub-losses' gradients cancel at the average of the reference bits"
        ),
        source=f"{SOURCE}, App. D, Fig. 6",
        paper="the combined field pushes towards the mean of the reference bits, [0.5, 0.5]",
        quantity="norm of the caricature's logit gradient at (0.5, 0.5), reference 0 1",
        measure=lambda results: results["caricature"]["grad_norm_centre"],
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="caricature-average-attracts",
        statement="The caricature's stationary point at the average is a minimum, not a saddle",
        source=f"{SOURCE}, App. D, Fig. 6 (the field converges on the centre)",
        paper="-",
        quantity="largest |Hessian eigenvalue - 1/2| at (0.5, 0.5) (closed form: I/2)",
        measure=_hessian_off_half,
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="caricature-descent-ends-at-average",
        statement="Gradient descent on the caricature ends at the average from every start",
        source=f"{SOURCE}, App. D, Fig. 6",
        paper="[0.5, 0.5]",
        quantity="largest distance from (0.5, 0.5) of the descents' end points (probabilities)",
        measure=lambda results: results["caricature"]["max_distance"],
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="soft-scores-descend-to-average",
        statement=(
            "The same holds for the real BLEU and GLEU losses: gradient descent pulls each "
            "hypothesis token to the average of the reference tokens"
        ),
        source=f"{SOURCE}, §5 and App. D (its last paragraph)",
        paper="no number: the caricature's reasoning is extended to BLEU and GLEU",
        quantity=(
            "largest fraction, over the six soft BLEU and GLEU losses, of the random starts "
            "whose descent ends within 0.05 of (0.5, 0.5)"
        ),
        measure=_largest_fraction_at_average,
        test=Interval(0.5, None),
        contradicted={
            "book": (
                "no start ends near the average under a loss with bigrams, and at most a few "
                "percent under the unigram losses, whose descents stop anywhere on the ridge "
                "p0 + p1 = 1; the bigram losses end at a reference"
            ),
            "paper": (
                "as at book scale: the unigram losses stop anywhere on the ridge p0 + p1 = 1 "
                "and the bigram losses end at a reference, never at the average"
            ),
        },
    ),
    Claim(
        key="unigram-ridge-holds-average",
        statement=(
            "Matching unigrams regardless of position cannot tell the average from the "
            "reference: every descent of unigram BLEU and GLEU ends on the line of optima "
            "through both"
        ),
        source=f"{SOURCE}, §5 (one sub-task per pair of hypothesis and reference n-grams)",
        paper="-",
        quantity=(
            "smaller of BLEU-1's and GLEU-1's fraction of descents ending within 0.05 of the "
            "ridge p0 + p1 = 1"
        ),
        measure=_unigram_on_ridge,
        test=Interval(0.99, None),
    ),
    Claim(
        key="conflicting-references-balance-at-average",
        statement=(
            "With two conflicting references (a b and b a), the sub-tasks balance at the "
            "average: it is a stationary point of corpus BLEU-2 and GLEU-2"
        ),
        source=f"{SOURCE}, §5 (mutually incompatible sub-tasks)",
        paper="-",
        quantity="larger gradient norm at (0.5, 0.5) of corpus BLEU-2 and GLEU-2 on {a b, b a}",
        measure=_corpus_gradient,
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="conflicting-references-attract-to-average",
        statement=(
            "That balance attracts: the average is a minimum of corpus BLEU-2 and GLEU-2 "
            "with the two conflicting references"
        ),
        source=f"{SOURCE}, §5 and App. D",
        paper="the combined loss pushes each hypothesis token towards the reference average",
        quantity=(
            "smallest Hessian eigenvalue (logits) at (0.5, 0.5) of corpus BLEU-2 and GLEU-2 on "
            "{a b, b a}, rounded to 3 decimals"
        ),
        measure=_corpus_smallest_eigenvalue,
        test=Interval(0.0, None),
        contradicted={
            "book": (
                "the average is a saddle (eigenvalues -0.125 and 0.125 for BLEU-2): it attracts "
                "along p0 = p1 and repels across, and descents leave it for a reference"
            ),
            "paper": (
                "the average is a saddle (eigenvalues -0.125 and 0.125 for BLEU-2): it attracts "
                "along p0 = p1 and repels across, and descents leave it for a reference"
            ),
        },
    ),
)
