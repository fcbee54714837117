"""NLTK's own BLEU and GLEU test cases, ported: every input and expected value is NLTK's.

Origins (NLTK 3.8-3.10; each test names its own):

* ``nltk/test/unit/translate/test_bleu.py`` of the nltk/nltk repository (unit tests);
* ``nltk/test/bleu.doctest`` (installed with NLTK);
* the doctests of ``nltk/translate/bleu_score.py`` and ``nltk/translate/gleu_score.py``.

Each case runs three ways: on the word lists themselves (numbered by a shared vocabulary inside
the scores), on a padded id tensor with ``n_references``, and on one-hot distributions with an
EOS after each sentence and a ``reference_mask``. The value is checked as NLTK's test checks it
(an ``ELLIPSIS`` prefix, ``assertAlmostEqual`` to 4 places, or equality) and against NLTK run
live, to 1e-12. ``TestBLEUvsMteval13a`` is not ported: it reads NLTK's ``wmt15_eval`` data
package, which is not installed and is not downloaded here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from nltk.translate import bleu_score as nltk_bleu
from nltk.translate import gleu_score as nltk_gleu

from beyond_mle.bleu import (
    bleu_statistics,
    brevity_penalty,
    closest_reference_lengths,
    corpus_bleu,
    corpus_gleu,
    sentence_bleu,
    sentence_gleu,
)
from beyond_mle.vocabulary import Vocabulary

PATHS = ("words", "ids", "one_hot")
EOS = "<eos>"

# the sentences of NLTK's doctests (bleu_score.py, gleu_score.py)
HYP1 = (
    "It is a guide to action which ensures that the military always obeys the commands of the party"
).split()
HYP2 = "It is to insure the troops forever hearing the activity guidebook that party direct".split()
REF1 = "It is a guide to action that ensures that the military will forever heed Party commands"
REF1 = REF1.split()
REF2 = (
    "It is the guiding principle which guarantees the military forces always being under the "
    "command of the Party"
).split()
REF3 = "It is the practical guide for the army always to heed the directions of the party".split()
HYP_BOOK = "he read the book because he was interested in world history".split()
REF_BOOK = "he was interested in world history because he read the book".split()
LIST_OF_REFERENCES = [[REF1, REF2, REF3], [REF_BOOK]]
HYPOTHESES = [HYP1, HYP_BOOK]
NO_ALIGNMENT = "The candidate has no alignment to any of the references".split()
JOHN = "John loves Mary".split()


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NLTK warns on zero higher-order matches
        return fn(*args, **kwargs)


class Ours:
    """Our scores behind NLTK's signatures (references first), on one input path."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _inputs(self, list_of_references, hypotheses):
        if self.path == "words":
            return hypotheses, list_of_references, {}
        vocab = Vocabulary.build(hypotheses, list_of_references, specials=(EOS,))
        width = 1 + max(len(h) for h in hypotheses)  # room for an EOS after the longest
        ids = vocab.token_ids(hypotheses, pad_id=0, length=width)
        refs, mask = vocab.reference_ids(list_of_references, pad_id=0)
        if self.path == "ids":
            return ids, refs, {"eos_id": 0, "n_references": mask.sum(-1)}
        probs = torch.nn.functional.one_hot(ids, len(vocab)).double()
        return probs, refs, {"eos_id": 0, "reference_mask": mask}

    @staticmethod
    def _value(score: torch.Tensor):
        return score.item() if score.dim() == 0 else score.tolist()

    def corpus_bleu(self, list_of_references, hypotheses, weights=None, smoothing=None, **kw):
        hyps, refs, extra = self._inputs(list_of_references, hypotheses)
        score = corpus_bleu(hyps, refs, weights=weights, smoothing_method=smoothing, **kw, **extra)
        return self._value(score)

    def sentence_bleu(self, references, hypothesis, weights=None, smoothing=None, **kw):
        hyps, refs, extra = self._inputs([references], [hypothesis])
        score = sentence_bleu(
            hyps, refs, weights=weights, smoothing_method=smoothing, **kw, **extra
        )
        return self._value(score[0])

    def corpus_gleu(self, list_of_references, hypotheses, min_len=1, max_len=4):
        hyps, refs, extra = self._inputs(list_of_references, hypotheses)
        return corpus_gleu(hyps, refs, min_len=min_len, max_len=max_len, **extra).item()

    def sentence_gleu(self, references, hypothesis, min_len=1, max_len=4):
        hyps, refs, extra = self._inputs([references], [hypothesis])
        return sentence_gleu(hyps, refs, min_len=min_len, max_len=max_len, **extra)[0].item()

    def modified_precision(self, references, hypothesis, n):
        hyps, refs, extra = self._inputs([references], [hypothesis])
        stats = bleu_statistics(hyps, refs, max_order=n, **extra)
        return (stats.matches[0, n - 1] / stats.totals[0, n - 1]).item()

    def brevity_penalty_of(self, references, hypothesis):
        """NLTK's ``brevity_penalty(closest_ref_length(references, hyp_len), hyp_len)``."""
        hyps, refs, extra = self._inputs([references], [hypothesis])
        stats = bleu_statistics(hyps, refs, max_order=1, **extra)
        return brevity_penalty(hyp_length=stats.hyp_lengths, ref_length=stats.ref_lengths).item()


@pytest.fixture(params=PATHS)
def ours(request) -> Ours:
    return Ours(request.param)


def doctest_prefix(value: float, expected: str) -> None:
    """A doctest's ``ELLIPSIS`` match of ``repr(value)`` against ``expected...``."""
    assert repr(float(value)).startswith(expected), (value, expected)


def close(value, expected, tol: float = 1e-12) -> None:
    """Within ``tol`` of the value NLTK computes live (lists elementwise)."""
    values = value if isinstance(value, list) else [value]
    targets = expected if isinstance(expected, list) else [expected]
    assert len(values) == len(targets)
    for v, t in zip(values, targets, strict=True):
        assert abs(v - t) <= tol, (v, t)


# ------------------------------------------------------------ nltk/translate/bleu_score.py


def test_doctest_sentence_bleu(ours):
    """``sentence_bleu``'s docstring: BLEU-4, zero 3- and 4-gram overlap, method1, BLEU-5."""
    refs = [REF1, REF2, REF3]
    value = ours.sentence_bleu(refs, HYP1)
    doctest_prefix(value, "0.5045")
    close(value, _quiet(nltk_bleu.sentence_bleu, refs, HYP1))
    value = ours.sentence_bleu(refs, HYP2)
    assert round(value, 4) == 0.0
    close(value, _quiet(nltk_bleu.sentence_bleu, refs, HYP2))
    value = ours.sentence_bleu(refs, HYP2, smoothing=1)
    doctest_prefix(value, "0.0370")
    method1 = nltk_bleu.SmoothingFunction().method1
    close(value, nltk_bleu.sentence_bleu(refs, HYP2, smoothing_function=method1))
    weights = (1.0 / 5.0,) * 5
    value = ours.sentence_bleu(refs, HYP1, weights)
    doctest_prefix(value, "0.3920")
    close(value, nltk_bleu.sentence_bleu(refs, HYP1, weights))


def test_doctest_sentence_bleu_with_several_weights(ours):
    """``sentence_bleu``'s docstring: BLEU-2, BLEU-3 and BLEU-4 in one computation."""
    refs = [REF1, REF2, REF3]
    weights = [(1.0 / 2.0,) * 2, (1.0 / 3.0,) * 3, (1.0 / 4.0,) * 4]
    values = ours.sentence_bleu(refs, HYP1, weights)
    for value, expected in zip(values, ("0.7453", "0.6240", "0.5045"), strict=True):
        doctest_prefix(value, expected)
    close(values, nltk_bleu.sentence_bleu(refs, HYP1, weights))


def test_doctest_corpus_bleu(ours):
    """``corpus_bleu``'s docstring: the corpus score, the mean of sentence scores, weights."""
    value = ours.corpus_bleu(LIST_OF_REFERENCES, HYPOTHESES)
    doctest_prefix(value, "0.5920")
    close(value, nltk_bleu.corpus_bleu(LIST_OF_REFERENCES, HYPOTHESES))
    score1 = ours.sentence_bleu([REF1, REF2, REF3], HYP1)
    score2 = ours.sentence_bleu([REF_BOOK], HYP_BOOK)
    doctest_prefix((score1 + score2) / 2, "0.6223")
    weights = (0.1, 0.3, 0.5, 0.1)
    value = ours.corpus_bleu(LIST_OF_REFERENCES, HYPOTHESES, weights=weights)
    doctest_prefix(value, "0.5818")
    close(value, nltk_bleu.corpus_bleu(LIST_OF_REFERENCES, HYPOTHESES, weights=weights))
    weights = [(0.5, 0.5), (0.333, 0.333, 0.334), (0.25, 0.25, 0.25, 0.25), (0.2,) * 5]
    values = ours.corpus_bleu(LIST_OF_REFERENCES, HYPOTHESES, weights=weights)
    for value, expected in zip(values, ("0.8242", "0.7067", "0.5920", "0.4719"), strict=True):
        doctest_prefix(value, expected)
    close(values, nltk_bleu.corpus_bleu(LIST_OF_REFERENCES, HYPOTHESES, weights=weights))


def test_doctest_modified_precision(ours):
    """``modified_precision``'s docstring: "the the the ...", "of the", and MT outputs."""
    refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
    doctest_prefix(
        ours.modified_precision(refs, "the the the the the the the".split(), 1), "0.2857"
    )
    refs = [REF1, REF2, REF3]
    assert ours.modified_precision(refs, "of the".split(), 1) == 1.0
    assert ours.modified_precision(refs, "of the".split(), 2) == 1.0
    doctest_prefix(ours.modified_precision(refs, HYP1, 1), "0.9444")
    doctest_prefix(ours.modified_precision(refs, HYP2, 1), "0.5714")
    assert ours.modified_precision(refs, HYP1, 2) == 0.5882352941176471
    doctest_prefix(ours.modified_precision(refs, HYP2, 2), "0.07692")


@pytest.mark.parametrize(
    ("ref_lengths", "hyp_length", "expected"),
    [
        ((12, 15, 17), 12, 1.0),  # the example of the BLEU paper
        ((28, 28), 12, 0.2635971381157267),
        ((13, 2), 12, "0.9200"),
        ((11, 8), 7, "0.8668"),  # mteval-v13a.pl, from its line 705
        ((11, 8, 6, 7), 7, 1.0),
    ],
)
def test_doctest_brevity_penalty(ours, ref_lengths, hyp_length, expected):
    """``brevity_penalty``'s docstring, through ``closest_ref_length`` (lists of ``'a'``)."""
    refs = [["a"] * n for n in ref_lengths]
    value = ours.brevity_penalty_of(refs, ["a"] * hyp_length)
    if isinstance(expected, str):
        doctest_prefix(value, expected)
    else:
        assert value == expected
    closest = nltk_bleu.closest_ref_length(refs, hyp_length)
    close(value, nltk_bleu.brevity_penalty(closest, hyp_length))


def test_doctest_brevity_penalty_ties_take_the_shorter_reference_in_any_order():
    """``brevity_penalty``'s docstring: references of 13 and 11 tokens, hypothesis of 12."""
    hyp = torch.tensor([12.0], dtype=torch.float64)
    for lengths in ([13, 11], [11, 13]):
        ref = closest_reference_lengths(hyp, torch.tensor([lengths]), torch.ones(1, 2, dtype=bool))
        assert ref.item() == 11
        assert brevity_penalty(hyp_length=hyp, ref_length=ref).item() == 1


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (None, "0.4118"),
        (0, "0.4118"),
        (1, "0.4118"),
        (2, "0.4452"),
        (3, "0.4118"),
        (4, "0.4118"),
        (5, "0.4905"),
        (6, "0.4135"),
        (7, "0.4905"),
    ],
)
def test_doctest_smoothing_function(ours, method, expected):
    """``SmoothingFunction.__init__``'s docstring: hypothesis1 against reference1, methods 0-7."""
    value = ours.sentence_bleu([REF1], HYP1, smoothing=method)
    doctest_prefix(value, expected)
    chencherry = nltk_bleu.SmoothingFunction()
    function = None if method is None else getattr(chencherry, f"method{method}")
    close(value, nltk_bleu.sentence_bleu([REF1], HYP1, smoothing_function=function))


# ------------------------------------------------------------ nltk/test/bleu.doctest


def test_bleu_doctest_no_alignment_scores_zero(ours):
    """bleu.doctest: a candidate with no alignment to any reference scores 0 (weights (1,))."""
    assert ours.sentence_bleu([NO_ALIGNMENT], JOHN, (1,)) == 0


def test_bleu_doctest_smoothing_method4(ours):
    """bleu.doctest: Chen and Cherry's method 4 on a short hypothesis, in percent."""
    refs = ["It is a place of quiet contemplation .".split()]
    hyp = "It is .".split()
    value = ours.sentence_bleu(refs, hyp, smoothing=4) * 100
    doctest_prefix(value, "4.4267")
    method4 = nltk_bleu.SmoothingFunction().method4
    close(value, nltk_bleu.sentence_bleu(refs, hyp, smoothing_function=method4) * 100, 1e-10)


# ------------------------------------------------------------ nltk/test/unit/translate/test_bleu.py


def test_unit_modified_precision(ours):
    """TestBLEU.test_modified_precision: the paper's examples, to 4 places and by rounding."""
    refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
    hyp = "the the the the the the the".split()
    p1 = ours.modified_precision(refs, hyp, 1)
    assert round(p1, 4) == 0.2857
    assert round(p1 - 0.28571428, 4) == 0
    assert ours.modified_precision(refs, hyp, 2) == 0.0
    refs = [REF1, REF2, REF3]
    assert ours.modified_precision(refs, "of the".split(), 1) == 1.0
    assert ours.modified_precision(refs, "of the".split(), 2) == 1.0
    for hyp, n, places, rounded in [
        (HYP1, 1, 0.94444444, 0.9444),
        (HYP2, 1, 0.57142857, 0.5714),
        (HYP1, 2, 0.58823529, 0.5882),
        (HYP2, 2, 0.07692307, 0.0769),
    ]:
        value = ours.modified_precision(refs, hyp, n)
        assert round(value - places, 4) == 0
        assert round(value, 4) == rounded
        close(value, float(nltk_bleu.modified_precision(refs, hyp, n)))


def test_unit_brevity_penalty(ours):
    """TestBLEU.test_brevity_penalty: mteval-v13a.pl's brevity_penalty_closest cases."""
    value = ours.brevity_penalty_of([["a"] * 11, ["a"] * 8], ["a"] * 7)
    assert round(value - 0.8669, 4) == 0
    assert ours.brevity_penalty_of([["a"] * 11, ["a"] * 8, ["a"] * 6, ["a"] * 7], ["a"] * 7) == 1.0


def test_unit_zero_and_full_matches(ours):
    """TestBLEU.test_zero_matches and test_full_matches: BLEU-n for n below len(hypothesis)."""
    for n in range(1, len(JOHN)):
        weights = (1.0 / n,) * n
        assert ours.sentence_bleu([NO_ALIGNMENT], JOHN, weights) == 0
        assert ours.sentence_bleu([JOHN], JOHN, weights) == 1.0


def test_unit_partial_matches_hypothesis_longer_than_reference(ours):
    """TestBLEU: no 4-gram match, so BLEU is 0 to 4 places."""
    hyp = "John loves Mary who loves Mike".split()
    value = ours.sentence_bleu([JOHN], hyp)
    assert round(value, 4) == 0.0
    close(value, _quiet(nltk_bleu.sentence_bleu, [JOHN], hyp))


def test_unit_n_bigger_than_hypothesis_length(ours):
    """TestBLEUFringeCases: BLEU-4 of a 3-token hypothesis is 0 to 4 places, even if exact."""
    n = len(JOHN) + 1
    weights = (1.0 / n,) * n
    value = ours.sentence_bleu(["John loves Mary ?".split()], JOHN, weights)
    assert round(value, 4) == 0.0
    close(value, _quiet(nltk_bleu.sentence_bleu, ["John loves Mary ?".split()], JOHN, weights))
    value = ours.sentence_bleu([JOHN], JOHN, weights)
    assert round(value, 4) == 0.0
    close(value, _quiet(nltk_bleu.sentence_bleu, [JOHN], JOHN, weights))


def test_unit_empty_hypothesis_and_references(ours):
    """TestBLEUFringeCases: empty hypothesis, empty reference, or both, score 0."""
    assert ours.sentence_bleu([NO_ALIGNMENT], []) == 0
    assert ours.sentence_bleu([[]], JOHN) == 0
    assert ours.sentence_bleu([[]], []) == 0


def test_unit_length_one_hypothesis_with_method4(ours):
    """TestBLEUFringeCases.test_length_one_hypothesis: method 4 on one token runs (ln 1 = 0)."""
    value = ours.sentence_bleu([NO_ALIGNMENT], ["Foo"], smoothing=4)
    method4 = nltk_bleu.SmoothingFunction().method4
    close(value, nltk_bleu.sentence_bleu([NO_ALIGNMENT], ["Foo"], smoothing_function=method4))


def test_unit_reference_or_hypothesis_shorter_than_fourgrams(ours):
    """TestBLEUFringeCases: 'let go it' against 'let it go' is 0 to 4 places."""
    value = ours.sentence_bleu(["let it go".split()], "let go it".split())
    assert round(value, 4) == 0.0
    close(value, _quiet(nltk_bleu.sentence_bleu, ["let it go".split()], "let go it".split()))


def test_unit_numpy_weights(ours):
    """TestBLEUFringeCases.test_numpy_weights: weights as a numpy array."""
    assert ours.sentence_bleu([NO_ALIGNMENT], JOHN, np.array([0.25] * 4)) == 0


def test_unit_corpus_bleu_with_bad_sentence(ours):
    """TestBLEUWithBadSentence: a garbled hypothesis scores 0 to 4 places."""
    hyp = "Teo S yb , oe uNb , R , T t , , t Tue Ar saln S , , 5istsi l , 5oe R ulO sae oR R"
    ref = (
        "Their tasks include changing a pump on the faulty stokehold ."
        "Likewise , two species that are very similar in morphology "
        "were distinguished using genetics ."
    )
    references, hypotheses = [[ref.split()]], [hyp.split()]
    value = ours.corpus_bleu(references, hypotheses)
    assert round(value, 4) == 0.0
    close(value, _quiet(nltk_bleu.corpus_bleu, references, hypotheses))


def test_unit_corpus_bleu_with_multiple_weights(ours):
    """TestBLEUWithMultipleWeights: several weight vectors equal the scores one by one."""
    weights = [(1, 0, 0, 0), (0.25, 0.25, 0.25, 0.25), (0, 0, 0, 0, 1)]
    values = ours.corpus_bleu(LIST_OF_REFERENCES, HYPOTHESES, weights=weights)
    for value, weight in zip(values, weights, strict=True):
        assert value == ours.corpus_bleu(LIST_OF_REFERENCES, HYPOTHESES, weights=weight)
    close(values, _quiet(nltk_bleu.corpus_bleu, LIST_OF_REFERENCES, HYPOTHESES, weights=weights))


# ------------------------------------------------------------ nltk/translate/gleu_score.py


def test_doctest_sentence_gleu(ours):
    """``sentence_gleu``'s docstring: "the the the ..." and two MT outputs."""
    ref = "the cat is on the mat".split()
    hyp = "the the the the the the the".split()
    value = ours.sentence_gleu([ref], hyp)
    doctest_prefix(value, "0.0909")
    close(value, nltk_gleu.sentence_gleu([ref], hyp))
    for hyp, expected in ((HYP1, "0.4393"), (HYP2, "0.1206")):
        value = ours.sentence_gleu([REF1], hyp)
        doctest_prefix(value, expected)
        close(value, nltk_gleu.sentence_gleu([REF1], hyp))


def test_doctest_corpus_gleu(ours):
    """``corpus_gleu``'s docstring: the corpus score and the mean of two sentence scores."""
    value = ours.corpus_gleu(LIST_OF_REFERENCES, HYPOTHESES)
    doctest_prefix(value, "0.5673")
    close(value, nltk_gleu.corpus_gleu(LIST_OF_REFERENCES, HYPOTHESES))
    score1 = ours.sentence_gleu([REF1], HYP1)
    score2 = ours.sentence_gleu([REF_BOOK], HYP_BOOK)
    doctest_prefix((score1 + score2) / 2, "0.6144")
