"""Claims of the chapter "Differentiable BLEU and GLEU" (Casas et al. 2018, §2, §3.1, App. A).

Agreement with NLTK is an identity: float64 scores in [0, 1] built from the same counts agree to a
few units of 1e-16, so the tolerance is 1e-12 (the paper's own is 1e-3). The temperature sweep is
decided on the soft score against the score of the argmax. Near one-hot (T = 0.01) five seeds put
them 1e-4 to 0.012 apart, above or below (near-ties between the two largest logits keep some mass
off the argmax), so the bound is 0.05; at the plain softmax (T = 1) they are 0.55 to 0.62 apart,
against a bound of 0.1, and the gap grows by 0.61 to 0.74 from T = 0.1 to T = 1, against a margin
of 0.2. Every seed lies more than seven standard deviations (over the seeds) from each bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from beyond_mle.claims import Claim, Identity, Interval, Ordering

SOURCE = "Casas et al. (2018)"
ONE_HOT = "precise at least up to 10^-3 on strict one-hot inputs (scores in [0, 1])"


def _largest_difference(*names: str):
    """The largest of the agreement's differences from NLTK that are named."""

    def measure(results: Mapping[str, Any]) -> float:
        agreement = results["agreement"]
        return max(float(agreement[name]) for name in names)

    return measure


def _row(results: Mapping[str, Any], temperature: float) -> dict[str, float]:
    """The sweep's row at ``temperature`` (the grid is log-spaced from 0.01 to 100)."""
    sweep = results["sweep"]
    distances = [abs(math.log(t / temperature)) for t in sweep["temperature"]]
    index = min(range(len(distances)), key=distances.__getitem__)
    if distances[index] > 1e-9:
        raise KeyError(f"the sweep has no temperature {temperature:g}")
    return {column: values[index] for column, values in sweep.items()}


def _gap(results: Mapping[str, Any], temperature: float, score: str = "bleu") -> float:
    """|soft score - score of the argmax| at one temperature."""
    row = _row(results, temperature)
    return abs(row[f"soft_{score}"] - row[f"hard_{score}"])


def _peaked_gap(results: Mapping[str, Any]) -> float:
    return max(_gap(results, 0.01, "bleu"), _gap(results, 0.01, "gleu"))


def _softmax_gap(results: Mapping[str, Any]) -> float:
    return min(_gap(results, 1.0, "bleu"), _gap(results, 1.0, "gleu"))


def _flatter_gap(results: Mapping[str, Any]) -> tuple[float, float]:
    return _gap(results, 1.0), _gap(results, 0.1)


CLAIMS = (
    Claim(
        key="corpus-bleu-matches-nltk",
        statement=(
            "On one-hot inputs the differentiable corpus BLEU is NLTK's corpus BLEU (no "
            "smoothing): statistics summed over the corpus before the geometric mean"
        ),
        source=f"{SOURCE}, §3.1; App. A, eqs. (1) and (9)",
        paper=ONE_HOT,
        quantity=(
            "largest |ours - NLTK| of corpus BLEU over the random corpora, from token ids and "
            "from one-hot distributions"
        ),
        measure=_largest_difference("corpus_bleu_ids", "corpus_bleu_one_hot"),
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="corpus-gleu-matches-nltk",
        statement=(
            "On one-hot inputs the differentiable corpus GLEU is NLTK's: matches over the larger "
            "of the hypothesis' and the reference's n-gram totals, pooled over the corpus"
        ),
        source=f"{SOURCE}, §3.1; App. A, eqs. (1) and (7)",
        paper=ONE_HOT,
        quantity=(
            "largest |ours - NLTK| of corpus GLEU over the random corpora, from token ids and "
            "from one-hot distributions"
        ),
        measure=_largest_difference("corpus_gleu_ids", "corpus_gleu_one_hot"),
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="sentence-scores-match-nltk",
        statement="Sentence by sentence, the differentiable BLEU and GLEU are NLTK's",
        source=f"{SOURCE}, §3.1; App. A (sentence-level counts)",
        paper=ONE_HOT,
        quantity="largest |ours - NLTK| of sentence BLEU and sentence GLEU over every sentence",
        measure=_largest_difference("sentence_bleu", "sentence_gleu"),
        test=Identity(0.0, 1e-12),
    ),
    Claim(
        key="peaked-soft-near-hard",
        statement=(
            "As the distributions approach one-hot, the soft scores approach the scores of the "
            "argmax sequence"
        ),
        source=f"{SOURCE}, §3.1",
        paper="the divergence shrinks as the maximum probability grows (no number)",
        quantity=(
            "|soft score - score of the argmax| at temperature 0.01, the larger of BLEU's and "
            "GLEU's (0 to 1)"
        ),
        measure=_peaked_gap,
        test=Interval(None, 0.05),
    ),
    Claim(
        key="softmax-diverges",
        statement=(
            "On a softmax output, which is not one-hot, the soft scores depart from the scores "
            "of the argmax sequence"
        ),
        source=f"{SOURCE}, §3.1",
        paper="results start diverging for non-one-hot inputs such as a softmax output",
        quantity=(
            "|soft score - score of the argmax| at temperature 1 (the plain softmax), the "
            "smaller of BLEU's and GLEU's (0 to 1)"
        ),
        measure=_softmax_gap,
        test=Interval(0.1, None),
    ),
    Claim(
        key="flatter-diverges-more",
        statement=(
            "The lower the largest probability of each distribution, the further the soft score "
            "departs from the hard one"
        ),
        source=f"{SOURCE}, §3.1",
        paper="the lower the maximum probability, the larger the divergence",
        quantity=(
            "|soft BLEU - BLEU of the argmax| at temperature 1 and at temperature 0.1 (flatter "
            "and more peaked softmax; 0 to 1)"
        ),
        measure=_flatter_gap,
        test=Ordering(0.2, "the gap at T = 1", "the gap at T = 0.1"),
    ),
)
