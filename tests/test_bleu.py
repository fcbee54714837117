"""Tests of beyond_mle.bleu against NLTK (the reference oracle), autograd and closed forms."""

from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest
import torch
from nltk.translate import bleu_score as nltk_bleu
from nltk.translate import gleu_score as nltk_gleu

from beyond_mle import bleu as bleu_module
from beyond_mle.bleu import (
    BleuSmoothing,
    bleu_from_statistics,
    bleu_loss,
    bleu_statistics,
    brevity_penalty,
    corpus_bleu,
    corpus_gleu,
    gleu_loss,
    gleu_statistics,
    length_mask,
    ngram_matches,
    reference_ngram_counts,
    sentence_bleu,
    sentence_gleu,
    smoothed_precisions,
    unigram_matches,
)
from beyond_mle.vocabulary import Vocabulary

TOL = 1e-9


def nltk_corpus_bleu(refs, hyps, weights=(0.25, 0.25, 0.25, 0.25), method=None, **kw):
    function = (
        None if method is None else getattr(nltk_bleu.SmoothingFunction(**kw), f"method{method}")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NLTK warns on zero higher-order matches
        return nltk_bleu.corpus_bleu(refs, hyps, weights=weights, smoothing_function=function)


def nltk_sentence_bleu(refs, hyp, weights=(0.25, 0.25, 0.25, 0.25), method=None, **kw):
    function = (
        None if method is None else getattr(nltk_bleu.SmoothingFunction(**kw), f"method{method}")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nltk_bleu.sentence_bleu(refs, hyp, weights=weights, smoothing_function=function)


def random_corpus(rng: random.Random, *, max_refs: int = 3, max_len: int = 10):
    """A small corpus with repeated tokens, short and empty sentences and few matches."""
    batch = rng.randint(1, 6)
    vocab = rng.randint(2, 8)
    hyps = [[rng.randrange(vocab) for _ in range(rng.randint(0, max_len))] for _ in range(batch)]
    refs = [
        [
            [rng.randrange(vocab) for _ in range(rng.randint(1, max_len))]
            for _ in range(rng.randint(1, max_refs))
        ]
        for _ in range(batch)
    ]
    return hyps, refs


def crop(row: list[int], eos_id: int) -> list[int]:
    return row[: row.index(eos_id)] if eos_id in row else row


# ------------------------------------------------------------------ agreement with NLTK


@pytest.mark.parametrize("seed", range(4))
def test_corpus_scores_equal_nltk_on_token_lists(seed):
    rng = random.Random(seed)
    for _ in range(300):
        hyps, refs = random_corpus(rng)
        ours = corpus_bleu(hyps, refs).item()
        assert abs(ours - nltk_corpus_bleu(refs, hyps)) <= TOL
        ours = corpus_gleu(hyps, refs).item()
        assert abs(ours - nltk_gleu.corpus_gleu(refs, hyps)) <= TOL


def test_sentence_scores_equal_nltk():
    rng = random.Random(7)
    for _ in range(200):
        hyps, refs = random_corpus(rng)
        bleu = sentence_bleu(hyps, refs)
        gleu = sentence_gleu(hyps, refs)
        for i, (hyp, ref) in enumerate(zip(hyps, refs, strict=True)):
            assert abs(bleu[i].item() - nltk_sentence_bleu(ref, hyp)) <= TOL
            assert abs(gleu[i].item() - nltk_gleu.sentence_gleu(ref, hyp)) <= TOL


@pytest.mark.parametrize(
    "weights", [(1.0,), (0.5, 0.5), (0.2, 0.3, 0.5), (0.1, 0.2, 0.3, 0.2, 0.2), (0.0, 1.0)]
)
def test_weights_and_orders_equal_nltk(weights):
    rng = random.Random(len(weights))
    for _ in range(100):
        hyps, refs = random_corpus(rng)
        ours = corpus_bleu(hyps, refs, max_order=len(weights), weights=weights).item()
        assert abs(ours - nltk_corpus_bleu(refs, hyps, weights)) <= TOL


@pytest.mark.parametrize("orders", [(1, 1), (1, 2), (2, 4), (3, 3)])
def test_gleu_orders_equal_nltk(orders):
    rng = random.Random(sum(orders))
    for _ in range(100):
        hyps, refs = random_corpus(rng)
        ours = corpus_gleu(hyps, refs, min_len=orders[0], max_len=orders[1]).item()
        expected = nltk_gleu.corpus_gleu(refs, hyps, min_len=orders[0], max_len=orders[1])
        assert abs(ours - expected) <= TOL


def test_one_hot_probs_and_ids_with_eos_equal_nltk():
    """The soft path on one-hot rows, the id path and NLTK on cropped lists agree."""
    gen = torch.Generator().manual_seed(0)
    vocab, eos = 6, 0
    for _ in range(200):
        batch, length, ref_len = 3, 9, 8
        ids = torch.randint(0, vocab, (batch, length), generator=gen)
        ref = torch.randint(0, vocab, (batch, ref_len), generator=gen)
        probs = torch.nn.functional.one_hot(ids, vocab).double()
        hyps = [crop(row.tolist(), eos) for row in ids]
        refs = [[crop(row.tolist(), eos)] for row in ref]
        expected_bleu = nltk_corpus_bleu(refs, hyps)
        expected_gleu = nltk_gleu.corpus_gleu(refs, hyps)
        for hyp_input in (probs, ids):
            assert abs(corpus_bleu(hyp_input, ref, eos_id=eos).item() - expected_bleu) <= TOL
            assert abs(corpus_gleu(hyp_input, ref, eos_id=eos).item() - expected_gleu) <= TOL


def test_several_references_as_a_padded_tensor():
    refs = [[[1, 2, 3, 4], [1, 2, 2]], [[3, 3, 1], [2, 3, 1, 1, 4]]]
    hyps = [[1, 2, 2, 4], [3, 1, 1, 4]]
    tensor = torch.full((2, 2, 5), -1)
    for b, rs in enumerate(refs):
        for r, ref in enumerate(rs):
            tensor[b, r, : len(ref)] = torch.tensor(ref)
    weights = (0.5, 0.5)
    expected = nltk_corpus_bleu(refs, hyps, weights)
    assert abs(corpus_bleu(hyps, tensor, max_order=2, weights=weights).item() - expected) <= TOL
    expected = nltk_gleu.corpus_gleu(refs, hyps)
    assert abs(corpus_gleu(hyps, tensor).item() - expected) <= TOL


# ------------------------------------------------------------------ NLTK's edge cases


def test_no_unigram_match_scores_zero():
    assert corpus_bleu([[1, 1, 1]], [[[2, 3]]]).item() == 0.0
    assert corpus_gleu([[1, 1, 1]], [[[2, 3]]]).item() == 0.0


def test_zero_higher_order_match_is_tiny_not_zero_as_nltk():
    hyps, refs = [[1, 2, 3, 4]], [[[4, 3, 2, 1]]]
    ours = corpus_bleu(hyps, refs).item()
    expected = nltk_corpus_bleu(refs, hyps)
    assert 0 < expected < 1e-70
    assert abs(ours - expected) <= TOL


def test_empty_hypothesis_and_empty_corpus():
    assert corpus_bleu([[]], [[[1, 2]]]).item() == 0.0
    assert corpus_gleu([[]], [[[1, 2]]]).item() == 0.0  # not 1: an empty sentence matches nothing
    assert corpus_gleu([], []).item() == 0.0
    assert corpus_bleu([], []).item() == 0.0


def test_closest_reference_length_prefers_the_shorter_on_ties():
    stats = bleu_statistics([[1, 2, 3, 4]], [[[1, 2, 3, 4, 5, 6], [1, 2]]])
    assert stats.ref_lengths.item() == 2.0  # |6-4| == |2-4|: NLTK takes the shorter


def test_repeated_reference_ngrams_are_counted_once():
    # reference "a a", hypothesis "a b": one clipped unigram match, not two
    ours = bleu_statistics([[0, 1]], [[[0, 0]]], max_order=1).matches.item()
    per_position = bleu_statistics(
        [[0, 1]], [[[0, 0]]], max_order=1, unique_reference_ngrams=False
    ).matches.item()
    assert ours == 1.0
    assert per_position == 2.0


# ------------------------------------------------------------------ building blocks


def test_length_mask_and_expected_length():
    probs = torch.tensor([[[0.1, 0.9], [0.5, 0.5], [0.2, 0.8]]], dtype=torch.float64)
    mask = length_mask(probs, eos_id=0)
    torch.testing.assert_close(mask, torch.tensor([[0.9, 0.45, 0.36]], dtype=torch.float64))
    assert length_mask(probs, None).sum().item() == 3


def test_ngram_matches_are_products_along_diagonals():
    gen = torch.Generator().manual_seed(1)
    m1 = torch.rand(2, 6, 5, generator=gen, dtype=torch.float64)
    m3 = ngram_matches(m1, 3)
    assert m3.shape == (2, 4, 3)
    for i in range(4):
        for j in range(3):
            expected = m1[:, i, j] * m1[:, i + 1, j + 1] * m1[:, i + 2, j + 2]
            torch.testing.assert_close(m3[:, i, j], expected)
    assert ngram_matches(m1, 7).shape == (2, 0, 0)


def test_unigram_matches_gather_reference_tokens():
    probs = torch.softmax(torch.randn(2, 3, 5, dtype=torch.float64), -1)
    ref = torch.tensor([[4, 0, -1], [1, 1, 2]])
    m1 = unigram_matches(probs, ref)
    assert m1.shape == (2, 3, 3)
    torch.testing.assert_close(m1[0, :, 0], probs[0, :, 4])
    assert (m1[0, :, 2] == 0).all()  # padding matches nothing


def test_reference_counts_and_validity():
    counts, valid = reference_ngram_counts(torch.tensor([[5, 6, 5, 6, 7, 2, 9]]), 2, eos_id=2)
    assert counts.tolist() == [[2, 1, 2, 1, 0, 0]]
    assert valid.tolist() == [[True, True, False, True, False, False]]


def test_brevity_penalty_closed_form():
    c = torch.tensor([12.0, 12.0, 12.0, 0.0], dtype=torch.float64)
    r = torch.tensor([12.0, 13.0, 2.0, 4.0], dtype=torch.float64)
    expected = [nltk_bleu.brevity_penalty(int(ri), int(ci)) for ci, ri in zip(c, r, strict=True)]
    expected = torch.tensor(expected, dtype=torch.float64)
    torch.testing.assert_close(brevity_penalty(hyp_length=c, ref_length=r), expected)


# ------------------------------------------------------------------ gradients


def _soft_case(seed: int):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(3, 6, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    refs = torch.randint(1, 5, (3, 2, 5), generator=gen)
    refs[0, 1, 3:] = -1
    return logits, refs


@pytest.mark.parametrize(
    "score",
    [
        lambda p, r: corpus_bleu(p, r, eos_id=0),
        lambda p, r: sentence_bleu(p, r, eos_id=0, max_order=2),
        lambda p, r: corpus_gleu(p, r, eos_id=0),
        lambda p, r: sentence_gleu(p, r, eos_id=0, min_len=2, max_len=3),
        lambda p, r: bleu_loss(p, r, eos_id=0, level="sentence"),
        lambda p, r: gleu_loss(p, r),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_gradcheck_on_soft_inputs(score, seed):
    logits, refs = _soft_case(seed)
    assert torch.autograd.gradcheck(lambda x: score(torch.softmax(x, -1), refs), (logits,))


@pytest.mark.parametrize("loss", [bleu_loss, gleu_loss])
def test_finite_gradients_at_one_hot_inputs(loss):
    ids = torch.tensor([[1, 2, 1, 0, 3], [0, 0, 0, 0, 0], [3, 3, 3, 3, 3]])
    probs = torch.nn.functional.one_hot(ids, 4).double().requires_grad_()
    refs = torch.tensor([[1, 2, 3], [1, 1, 2], [3, 3, 0]])
    for level in ("corpus", "sentence"):
        probs.grad = None
        value = loss(probs, refs, eos_id=0, level=level)
        value.backward()
        assert torch.isfinite(value)
        assert torch.isfinite(probs.grad).all()


def test_soft_score_approaches_hard_score_as_temperature_falls():
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(4, 8, 6, generator=gen, dtype=torch.float64)
    refs = torch.randint(0, 6, (4, 7), generator=gen)
    hard = corpus_bleu(logits.argmax(-1), refs, eos_id=0, max_order=2)
    soft = corpus_bleu(torch.softmax(logits / 1e-3, -1), refs, eos_id=0, max_order=2)
    assert abs(soft.item() - hard.item()) < 1e-6


# ------------------------------------------------------------------ clear errors


def _probs(*shape):
    return torch.softmax(torch.zeros(*shape), -1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: corpus_bleu(_probs(2, 3, 4), torch.zeros(3, 2, dtype=torch.long)), "batch size"),
        (lambda: corpus_bleu(_probs(2, 3), torch.zeros(2, 2, dtype=torch.long)), "shape"),
        (lambda: corpus_bleu(-_probs(1, 3, 4), torch.zeros(1, 2, dtype=torch.long)), "non-neg"),
        (lambda: corpus_bleu(2 * _probs(1, 3, 4), torch.zeros(1, 2, dtype=torch.long)), "sum to 1"),
        (
            lambda: corpus_bleu(_probs(1, 3, 4), torch.zeros(1, 2, dtype=torch.long), eos_id=4),
            "eos",
        ),
        (lambda: corpus_bleu(_probs(1, 3, 4), torch.full((1, 2), 9)), "reference token ids"),
        (lambda: corpus_bleu([[1]], [[[1]]], max_order=4, weights=(0.5, 0.5)), "max_order"),
        (lambda: corpus_bleu([[1]], [[[1]]], max_order=2, weights=(-1, 2)), "weights"),
        (lambda: corpus_bleu([[1]], [[[1]]], max_order=0), "max_order"),
        (lambda: corpus_gleu([[1]], [[[1]]], min_len=3, max_len=2), "min_len"),
        (lambda: corpus_bleu([[1]], [[1]]), "lists of references"),
        (lambda: corpus_bleu([[1], [2]], [[[1]]]), "one list of references"),
        (lambda: corpus_bleu(_probs(1, 3, 4), torch.zeros(1, 2)), "integer"),
        (lambda: bleu_loss(_probs(1, 3, 4), torch.zeros(1, 2, dtype=torch.long), eps=0), "eps"),
        (lambda: corpus_bleu([[1]], [[[1]]], weights=[(0.5, 0.5), 0.5]), "list of weight"),
        (lambda: corpus_bleu([[1]], [[[1]]], weights=[]), "weight"),
        (lambda: corpus_bleu([[1]], [[[1]]], weights=[(1.0,), ()]), "empty"),
        (lambda: corpus_bleu([[1]], [[[1]]], weights="0.5"), "weight"),
        (lambda: corpus_bleu([[1]], [[[1]]], weights=[(1,), (1, 2)], max_order=3), "max_order"),
        (
            lambda: bleu_loss(
                _probs(1, 3, 4), torch.zeros(1, 2, dtype=torch.long), weights=[(1,), (1, 1)]
            ),
            "one weight vector",
        ),
        (lambda: corpus_bleu([[1]], [[[1]]], smoothing_method=8), "smoothing method"),
        (lambda: corpus_bleu([[1]], [[[1]]], smoothing_method="method9"), "smoothing method"),
        (lambda: corpus_bleu([[1]], [[[1]]], smoothing_method="add-one"), "smoothing_method"),
        (lambda: corpus_bleu([[1]], [[[1]]], smoothing_method=1.5), "smoothing_method"),
        (lambda: BleuSmoothing(1, epsilon=0), "epsilon"),
        (lambda: BleuSmoothing(6, alpha=float("nan")), "alpha"),
        (lambda: corpus_bleu([[1]], [[[1]]], auto_reweigh=1), "auto_reweigh"),
        (
            lambda: corpus_bleu([[1]], [[[1]]], reference_mask=torch.ones(1, 1, dtype=torch.bool)),
            "references tensor",
        ),
        (
            lambda: corpus_bleu(
                [[1]],
                torch.ones(1, 2, 3, dtype=torch.long),
                reference_mask=torch.ones(1, 3, dtype=torch.bool),
            ),
            "shape",
        ),
        (
            lambda: corpus_bleu(
                [[1]], torch.ones(1, 2, 3, dtype=torch.long), reference_mask=torch.ones(1, 2)
            ),
            "bool",
        ),
        (
            lambda: corpus_bleu(
                [[1]],
                torch.ones(1, 2, 3, dtype=torch.long),
                reference_mask=torch.zeros(1, 2, dtype=torch.bool),
            ),
            "no reference",
        ),
        (
            lambda: corpus_bleu([[1]], torch.ones(1, 2, 3, dtype=torch.long), n_references=[3]),
            "n_references",
        ),
        (
            lambda: corpus_bleu([[1]], torch.ones(1, 2, 3, dtype=torch.long), n_references=[1.0]),
            "n_references",
        ),
        (
            lambda: corpus_bleu([[1]], torch.ones(1, 2, 3, dtype=torch.long), n_references=[1, 1]),
            "n_references",
        ),
        (
            lambda: corpus_gleu(
                [[1]],
                torch.ones(1, 2, 3, dtype=torch.long),
                n_references=[1],
                reference_mask=torch.ones(1, 2, dtype=torch.bool),
            ),
            "not both",
        ),
        (lambda: corpus_bleu([["a", 1]], [[["a"]]]), "mix token strings"),
        (lambda: corpus_bleu([["a"]], [[["a"]]], eos_id=0), "eos_id"),
        (lambda: corpus_bleu([["a"]], torch.zeros(1, 2, dtype=torch.long)), "int token ids"),
        (
            lambda: bleu_loss(_probs(1, 3, 4), torch.zeros(1, 2, dtype=torch.long), level="x"),
            "level",
        ),
    ],
)
def test_bad_inputs_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_long_sentences_take_the_matrix_path_and_still_equal_nltk():
    """References over 64 tokens do not fit one bit-set word; the general path scores them."""
    rng = random.Random(11)
    for _ in range(20):
        hyps = [[rng.randrange(5) for _ in range(rng.randint(60, 90))] for _ in range(3)]
        refs = [[[rng.randrange(5) for _ in range(rng.randint(60, 90))]] for _ in range(3)]
        assert abs(corpus_bleu(hyps, refs).item() - nltk_corpus_bleu(refs, hyps)) <= TOL
        assert abs(corpus_gleu(hyps, refs).item() - nltk_gleu.corpus_gleu(refs, hyps)) <= TOL


# ------------------------------------------------------------------ ragged references (item 1)

HYP1 = (
    "It is a guide to action which ensures that the military always obeys the commands of the party"
).split()
REF1 = "It is a guide to action that ensures that the military will forever heed Party commands"
REF2 = (
    "It is the guiding principle which guarantees the military forces always being under the "
    "command of the Party"
)
REF3 = "It is the practical guide for the army always to heed the directions of the party"
JOHN = "John loves Mary".split()


def test_eos_padded_reference_rows_are_absent_with_a_mask():
    """The issue's corpus: hypothesis 1 of NLTK's doctest with its three references, plus "John
    loves Mary" with one. Unmarked, the two EOS rows of the second sentence are empty references
    whose length 0 is the closest to 3; marked absent they take no part, as in NLTK."""
    hyps = [HYP1, JOHN]
    refs = [[REF1.split(), REF2.split(), REF3.split()], ["John loves Mary who loves Mike".split()]]
    expected = nltk_corpus_bleu(refs, hyps)
    assert round(expected, 4) == 0.4471
    vocab = Vocabulary.build(hyps, refs, specials=("<eos>",))
    ids = vocab.token_ids(hyps, pad_id=0)
    ref_ids, mask = vocab.reference_ids(refs, pad_id=0)  # the second sentence: one row, two EOS
    assert round(corpus_bleu(ids, ref_ids, eos_id=0).item(), 4) == 0.5158  # empty references
    probs = torch.nn.functional.one_hot(ids, len(vocab)).double()
    for hyp_input in (ids, probs):
        ours = corpus_bleu(hyp_input, ref_ids, eos_id=0, reference_mask=mask).item()
        assert abs(ours - expected) <= TOL
        ours = corpus_bleu(hyp_input, ref_ids, eos_id=0, n_references=mask.sum(-1)).item()
        assert abs(ours - expected) <= TOL
        ours = corpus_gleu(hyp_input, ref_ids, eos_id=0, reference_mask=mask).item()
        assert abs(ours - nltk_gleu.corpus_gleu(refs, hyps)) <= TOL
    assert abs(corpus_bleu(hyps, refs).item() - expected) <= TOL  # nested lists
    assert abs(corpus_bleu(vocab.encode(hyps), vocab.encode(refs)).item() - expected) <= TOL


@pytest.mark.parametrize("seed", range(3))
def test_ragged_reference_tensors_with_a_mask_equal_nltk(seed):
    """Absent rows anywhere among the references, filled with tokens, change nothing."""
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    vocab, eos = 9, 0  # random_corpus draws ids 0..7, shifted to 1..8
    for _ in range(60):
        hyps, refs = random_corpus(rng, max_refs=4)
        hyps = [[t + 1 for t in h] for h in hyps]  # ids 1..vocab, 0 is EOS
        refs = [[[t + 1 for t in r] for r in rs] for rs in refs]
        batch, n_refs, width = len(hyps), 4, 11
        ref_ids = torch.randint(1, vocab, (batch, n_refs, width), generator=gen)
        mask = torch.zeros(batch, n_refs, dtype=torch.bool)
        for b, rs in enumerate(refs):
            rows = sorted(
                rng.sample(range(n_refs), len(rs))
            )  # in order: GLEU's ties pick the first
            for row, ref in zip(rows, rs, strict=True):
                ref_ids[b, row] = eos
                ref_ids[b, row, : len(ref)] = torch.tensor(ref)
                mask[b, row] = True
        ids = torch.full((batch, width), eos)
        for b, h in enumerate(hyps):
            ids[b, : len(h)] = torch.tensor(h, dtype=torch.long)
        probs = torch.nn.functional.one_hot(ids, vocab).double()
        for hyp_input in (ids, probs):
            kw = {"eos_id": eos, "reference_mask": mask}
            assert (
                abs(corpus_bleu(hyp_input, ref_ids, **kw).item() - nltk_corpus_bleu(refs, hyps))
                <= TOL
            )
            expected = nltk_gleu.corpus_gleu(refs, hyps)
            assert abs(corpus_gleu(hyp_input, ref_ids, **kw).item() - expected) <= TOL
            bleu = sentence_bleu(hyp_input, ref_ids, **kw)
            gleu = sentence_gleu(hyp_input, ref_ids, **kw)
            for b in range(batch):
                assert abs(bleu[b].item() - nltk_sentence_bleu(refs[b], hyps[b])) <= TOL
                assert abs(gleu[b].item() - nltk_gleu.sentence_gleu(refs[b], hyps[b])) <= TOL


# ------------------------------------------------------------------ weights (items 3 and 4)

SEVERAL_WEIGHTS = [(1.0,), (0.5, 0.5), (0.2, 0.3, 0.5), (0.25, 0.25, 0.25, 0.25), (0, 0, 0, 0, 1)]


def test_several_weight_vectors_at_once_equal_nltk():
    rng = random.Random(5)
    for _ in range(100):
        hyps, refs = random_corpus(rng)
        ours = corpus_bleu(hyps, refs, weights=SEVERAL_WEIGHTS)
        assert ours.shape == (len(SEVERAL_WEIGHTS),)
        expected = nltk_corpus_bleu(refs, hyps, SEVERAL_WEIGHTS)
        expected = [0.0] * len(SEVERAL_WEIGHTS) if expected == 0 else expected
        torch.testing.assert_close(
            ours, torch.tensor(expected, dtype=torch.float64), rtol=0, atol=TOL
        )
        per_sentence = sentence_bleu(hyps, refs, weights=SEVERAL_WEIGHTS)
        assert per_sentence.shape == (len(hyps), len(SEVERAL_WEIGHTS))
        for b, (hyp, ref) in enumerate(zip(hyps, refs, strict=True)):
            for j, w in enumerate(SEVERAL_WEIGHTS):
                assert abs(per_sentence[b, j].item() - nltk_sentence_bleu(ref, hyp, w)) <= TOL


def test_weight_vectors_as_arrays_and_tensors():
    hyps, refs = [[1, 2, 3, 4, 2]], [[[1, 2, 3, 2, 4]]]
    weights = [(0.5, 0.5), (0.2, 0.3, 0.5)]
    expected = corpus_bleu(hyps, refs, weights=weights)
    ragged = [np.array(w) for w in weights]
    torch.testing.assert_close(corpus_bleu(hyps, refs, weights=ragged), expected)
    square = [(0.5, 0.5, 0.0), (0.2, 0.3, 0.5)]
    from_list = corpus_bleu(hyps, refs, weights=square)
    torch.testing.assert_close(corpus_bleu(hyps, refs, weights=np.array(square)), from_list)
    torch.testing.assert_close(corpus_bleu(hyps, refs, weights=torch.tensor(square)), from_list)
    one = corpus_bleu(hyps, refs, weights=torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(one, expected[0])


def test_max_order_is_taken_from_the_weights():
    rng = random.Random(8)
    for _ in range(50):
        hyps, refs = random_corpus(rng)
        for weights in ((0.5, 0.5), (1.0,), (0.1, 0.2, 0.3, 0.2, 0.2)):
            ours = corpus_bleu(hyps, refs, weights=weights).item()
            assert abs(ours - nltk_corpus_bleu(refs, hyps, weights)) <= TOL
            assert ours == corpus_bleu(hyps, refs, weights=weights, max_order=len(weights)).item()
    assert corpus_bleu([[1, 2]], [[[1, 2]]], max_order=2).item() == 1.0  # uniform 1 / max_order


# ------------------------------------------------------------------ brevity penalty (item 5)


def test_brevity_penalty_takes_keywords_only_and_equals_nltk():
    c = torch.tensor([12.0, 12.0, 12.0, 0.0, 7.0], dtype=torch.float64)
    r = torch.tensor([12.0, 13.0, 2.0, 4.0, 8.0], dtype=torch.float64)
    with pytest.raises(TypeError):
        brevity_penalty(c, r)  # NLTK's order is the reverse: refuse positions
    ours = brevity_penalty(ref_length=r, hyp_length=c)
    for value, ci, ri in zip(ours, c, r, strict=True):
        expected = nltk_bleu.brevity_penalty(closest_ref_len=int(ri), hyp_len=int(ci))
        assert abs(value.item() - expected) <= TOL


# ------------------------------------------------------------------ smoothing (item 6)


def nltk_fraction(numerator: int, denominator: int):
    return nltk_bleu.Fraction(numerator, denominator, _normalize=False)


def oracle_corpus_bleu(refs, hyps, method, *, order=4, alpha=5.0, k=5.0):
    """Corpus BLEU with NLTK's smoothing formulas applied to the corpus's statistics.

    NLTK's corpus_bleu smooths the corpus precisions, but its methods 5 and 6 read the extra
    5-gram precision and the hypothesis n-gram counts from the last sentence only. Here every
    statistic is the corpus sum of NLTK's ``modified_precision``; methods 0-4 are NLTK's own
    functions, 5 and 6 the same formulas written out. On one sentence it is NLTK's score.
    """
    num, den, ngrams = [0] * (order + 1), [0] * (order + 1), [0] * (order + 1)
    hyp_len = ref_len = 0
    for rs, h in zip(refs, hyps, strict=True):
        for n in range(1, order + 2):
            q = nltk_bleu.modified_precision(rs, h, n)
            num[n - 1] += q.numerator
            den[n - 1] += q.denominator
            ngrams[n - 1] += max(len(h) - n + 1, 0)
        hyp_len += len(h)
        ref_len += nltk_bleu.closest_ref_length(rs, len(h))
    if num[0] == 0:
        return 0.0
    p = [nltk_fraction(a, b) for a, b in zip(num, den, strict=True)]
    raw_next = p[order]
    p = p[:order]
    chencherry = nltk_bleu.SmoothingFunction(alpha=alpha, k=k)
    if method in (4, 7):
        p = chencherry.method4(p, None, None, hyp_len)
    elif method <= 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # method0 warns on a zero precision
            p = getattr(chencherry, f"method{method}")(p)
    if method in (5, 7):
        above = p[1:] + [raw_next]
        smoothed, out = p[0] + 1, []
        for n in range(order):
            smoothed = (smoothed + p[n] + above[n]) / 3
            out.append(smoothed)
        p = out
    if method == 6:
        for n in range(2, order):
            prior = 0 if p[n - 2] == 0 else p[n - 1] ** 2 / p[n - 2]
            p[n] = (num[n] + alpha * prior) / (ngrams[n] + alpha)
    bp = nltk_bleu.brevity_penalty(ref_len, hyp_len)
    return bp * math.exp(math.fsum(math.log(q) / order for q in p if q > 0))


def _bigram_free(refs, hyp) -> bool:
    """Some unigram matches but no bigram match: method 6 cannot run."""
    return (
        nltk_bleu.modified_precision(refs, hyp, 1).numerator > 0
        and nltk_bleu.modified_precision(refs, hyp, 2).numerator == 0
    )


@pytest.mark.parametrize("method", range(8))
def test_smoothed_sentence_bleu_equals_nltk_on_ids_and_one_hot(method):
    rng = random.Random(100 + method)
    checked = 0
    for _ in range(150):
        hyps, refs = random_corpus(rng, max_len=8)
        if method == 6:
            keep = [
                i for i, (h, r) in enumerate(zip(hyps, refs, strict=True)) if not _bigram_free(r, h)
            ]
            hyps, refs = [hyps[i] for i in keep], [refs[i] for i in keep]
            if not hyps:
                continue
        ours = sentence_bleu(hyps, refs, smoothing_method=method)
        for b, (hyp, ref) in enumerate(zip(hyps, refs, strict=True)):
            try:
                expected = nltk_sentence_bleu(ref, hyp, method=method)
            except AssertionError:  # NLTK's method 6 asserts a nonzero trigram precision
                expected = oracle_corpus_bleu([ref], [hyp], method)
            assert abs(ours[b].item() - expected) <= TOL
            checked += 1
        # the soft path on one-hot rows, with EOS after each sentence
        width = 1 + max(len(h) for h in hyps)
        ids = torch.tensor([[t + 1 for t in h] + [0] * (width - len(h)) for h in hyps])
        probs = torch.nn.functional.one_hot(ids, 9).double()
        shifted = [[[t + 1 for t in r] for r in rs] for rs in refs]
        one_hot = sentence_bleu(probs, shifted, eos_id=0, smoothing_method=method)
        torch.testing.assert_close(one_hot, ours, rtol=0, atol=TOL)
    assert checked > 100


@pytest.mark.parametrize("method", range(8))
def test_smoothed_corpus_bleu_equals_nltk_or_its_formulas_on_the_corpus(method):
    """Methods 0-4 equal NLTK's corpus_bleu; 5-7 equal NLTK's formulas on corpus statistics."""
    rng = random.Random(200 + method)
    for _ in range(120):
        hyps, refs = random_corpus(rng, max_len=8)
        if method == 6 and any(_bigram_free(r, h) for r, h in zip(refs, hyps, strict=True)):
            continue
        if method == 6 and corpus_bleu(hyps, refs, max_order=2).item() > 0:
            stats = bleu_statistics(hyps, refs)
            if stats.matches.sum(0)[1] == 0:
                continue
        ours = corpus_bleu(hyps, refs, smoothing_method=method).item()
        oracle = oracle_corpus_bleu(refs, hyps, method)
        assert abs(ours - oracle) <= TOL
        if method <= 4 or len(hyps) == 1:
            try:
                expected = nltk_corpus_bleu(refs, hyps, method=method)
            except AssertionError:  # NLTK's method 6 asserts a nonzero trigram precision
                continue
            assert abs(ours - expected) <= TOL


def test_the_corpus_oracle_is_nltk_on_one_sentence():
    rng = random.Random(9)
    for _ in range(100):
        hyps, refs = random_corpus(rng, max_len=8)
        hyp, ref = hyps[0], refs[0]
        for method in range(8):
            try:
                expected = nltk_sentence_bleu(ref, hyp, method=method)
            except AssertionError:
                continue
            assert abs(oracle_corpus_bleu([ref], [hyp], method) - expected) <= TOL


@pytest.mark.parametrize(
    ("method", "params"), [(1, {"epsilon": 0.01}), (4, {"k": 3}), (6, {"alpha": 2})]
)
def test_smoothing_parameters_equal_nltk(method, params):
    rng = random.Random(method)
    smoothing = BleuSmoothing(method, **params)
    for _ in range(100):
        hyps, refs = random_corpus(rng, max_len=8)
        hyp, ref = hyps[0], refs[0]
        try:
            expected = nltk_sentence_bleu(ref, hyp, method=method, **params)
        except AssertionError:
            continue
        assert abs(sentence_bleu([hyp], [ref], smoothing_method=smoothing).item() - expected) <= TOL


def test_smoothing_is_named_by_number_or_nltk_name():
    hyps, refs = [[1, 2, 3, 1]], [[[1, 2, 4, 1, 3]]]
    values = {
        corpus_bleu(hyps, refs, smoothing_method=m).item()
        for m in (3, "method3", "3", BleuSmoothing(3))
    }
    assert len(values) == 1
    stats = bleu_statistics(hyps, refs, max_order=5)
    torch.testing.assert_close(
        smoothed_precisions(stats, 5, corpus=False).shape, torch.Size([1, 4])
    )
    assert (
        bleu_from_statistics(stats, (0.25,) * 4, smoothing_method=5).item()
        == corpus_bleu(hyps, refs, smoothing_method=5).item()
    )


def test_method6_needs_a_bigram_match_and_interpolates_where_nltk_asserts():
    # a bigram match but no trigram match: NLTK asserts, the formula is defined
    hyp, ref = [1, 2, 5, 3, 6], [1, 2, 3, 4]
    with pytest.raises(AssertionError):
        nltk_sentence_bleu([ref], hyp, method=6)
    ours = sentence_bleu([hyp], [[ref]], smoothing_method=6).item()
    assert abs(ours - oracle_corpus_bleu([[ref]], [hyp], 6)) <= TOL
    with pytest.raises(ValueError, match="bigram precision"):
        sentence_bleu([[1, 5, 2]], [[[1, 2, 3]]], smoothing_method=6)
    with pytest.raises(ValueError, match="max_order >= 3"):
        corpus_bleu([[1, 2, 3]], [[[1, 2, 3]]], weights=(0.5, 0.5), smoothing_method=6)


@pytest.mark.parametrize("method", [None, 1, 3])
def test_auto_reweigh_equals_nltk(method):
    rng = random.Random(31)
    for _ in range(150):
        hyps, refs = random_corpus(rng, max_len=5)
        function = (
            None if method is None else getattr(nltk_bleu.SmoothingFunction(), f"method{method}")
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = nltk_bleu.corpus_bleu(
                refs, hyps, smoothing_function=function, auto_reweigh=True
            )
        ours = corpus_bleu(hyps, refs, smoothing_method=method, auto_reweigh=True).item()
        assert abs(ours - expected) <= TOL
        per_sentence = sentence_bleu(hyps, refs, smoothing_method=method, auto_reweigh=True)
        for b, (hyp, ref) in enumerate(zip(hyps, refs, strict=True)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = nltk_bleu.sentence_bleu(
                    ref, hyp, smoothing_function=function, auto_reweigh=True
                )
            assert abs(per_sentence[b].item() - expected) <= TOL


def test_auto_reweigh_on_a_short_exact_hypothesis():
    # "John loves Mary" against itself: BLEU-4 is ~0 without reweighing, 1 with it
    assert corpus_bleu([[1, 2, 3]], [[[1, 2, 3]]]).item() < 1e-70
    assert corpus_bleu([[1, 2, 3]], [[[1, 2, 3]]], auto_reweigh=True).item() == 1.0


@pytest.mark.parametrize("method", range(8))
@pytest.mark.parametrize("level", ["corpus", "sentence"])
def test_gradcheck_of_the_smoothed_scores(method, level):
    logits, refs = _soft_case(method)
    score = corpus_bleu if level == "corpus" else sentence_bleu

    def smoothed(x):
        return score(torch.softmax(x, -1), refs, eos_id=0, smoothing_method=method)

    assert torch.autograd.gradcheck(smoothed, (logits,))


@pytest.mark.parametrize("method", [1, 2, 3])
def test_gradcheck_of_the_smoothed_loss_on_short_sequences(method):
    """Three positions, BLEU-4: the smoothing acts on the zero 4-gram count of every sentence."""
    gen = torch.Generator().manual_seed(method)
    logits = torch.randn(4, 3, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    refs = torch.randint(1, 6, (4, 2, 4), generator=gen)
    mask = torch.tensor([[True, True], [True, False], [False, True], [True, True]])

    def loss(x):
        return bleu_loss(
            torch.softmax(x, -1),
            refs,
            eos_id=0,
            level="sentence",
            smoothing_method=method,
            reference_mask=mask,
        )

    assert torch.autograd.gradcheck(loss, (logits,))


def test_smoothing_keeps_a_gradient_where_the_unsmoothed_loss_is_flat():
    gen = torch.Generator().manual_seed(4)
    logits = torch.randn(8, 3, 10, generator=gen, dtype=torch.float64, requires_grad=True)
    refs = torch.randint(1, 10, (8, 3), generator=gen)
    norms = {}
    for method in (None, 1, 2, 3):
        logits.grad = None
        bleu_loss(
            torch.softmax(logits, -1), refs, level="sentence", smoothing_method=method
        ).backward()
        norms[method] = logits.grad.norm().item()
    assert norms[None] < 1e-20  # BLEU-4 of 3 tokens is ~1e-77, below eps: the loss is flat
    assert all(norms[m] > 1e-3 for m in (1, 2, 3))


# ------------------------------------------------------------------ token strings (item 7)


def test_token_strings_score_as_in_nltk():
    words = "the cat sat on a mat and dog".split()
    rng = random.Random(12)
    for _ in range(100):
        hyps, refs = random_corpus(rng)
        hyps = [[words[t] for t in h] for h in hyps]
        refs = [[[words[t] for t in r] for r in rs] for rs in refs]
        assert abs(corpus_bleu(hyps, refs).item() - nltk_corpus_bleu(refs, hyps)) <= TOL
        assert abs(corpus_gleu(hyps, refs).item() - nltk_gleu.corpus_gleu(refs, hyps)) <= TOL
        ours = corpus_bleu(hyps, refs, smoothing_method=4).item()
        assert abs(ours - nltk_corpus_bleu(refs, hyps, method=4)) <= TOL
        bleu = sentence_bleu(hyps, refs)
        for b, (hyp, ref) in enumerate(zip(hyps, refs, strict=True)):
            assert abs(bleu[b].item() - nltk_sentence_bleu(ref, hyp)) <= TOL


def test_gradcheck_with_auto_reweigh_and_a_reference_mask():
    logits, refs = _soft_case(3)
    short = logits[:, :3].detach().clone().requires_grad_()  # expected lengths below 4
    mask = torch.tensor([[True, False], [True, True], [False, True]])

    def bleu(x):
        probs = torch.softmax(x, -1)
        return sentence_bleu(probs, refs, eos_id=0, auto_reweigh=True, reference_mask=mask)

    def gleu(x):
        return corpus_gleu(torch.softmax(x, -1), refs, eos_id=0, n_references=[1, 2, 2])

    assert torch.autograd.gradcheck(bleu, (short,))
    assert torch.autograd.gradcheck(gleu, (logits,))


def test_method6_needs_the_hypothesis_ngram_counts():
    stats = bleu_statistics([[1, 2, 3, 4]], [[[1, 2, 3, 4]]])
    assert bleu_from_statistics(stats, (0.25,) * 4, smoothing_method=6).item() == 1.0
    bare = type(stats)(stats.matches, stats.totals, stats.hyp_lengths, stats.ref_lengths)
    with pytest.raises(ValueError, match="hyp_ngrams"):
        bleu_from_statistics(bare, (0.25,) * 4, smoothing_method=6)
    with pytest.raises(ValueError, match="one order more"):
        bleu_from_statistics(stats, (0.25,) * 4, smoothing_method=5)


# ------------------------------------------------------------------ fast paths (issue 20)


def _plain_gather(monkeypatch):
    """Score through torch's own gather and its autograd gradient (the plain formulation)."""
    monkeypatch.setattr(
        bleu_module._GatherColumns, "apply", lambda probs, index: probs.gather(2, index)
    )


def _soft_batch(seed: int, vocab: int, dtype=torch.float32):
    """Distributions with an EOS column, and references with padding, absent rows and repeats."""
    gen = torch.Generator().manual_seed(seed)
    batch, length, n_refs, ref_len = 4, 12, 3, 9
    logits = torch.randn(batch, length, vocab, generator=gen, dtype=dtype) * 3
    refs = torch.randint(1, 4, (batch, n_refs, ref_len), generator=gen)  # few tokens: repeats
    refs[:, 1, :4] = torch.randint(1, vocab, (batch, 4), generator=gen)
    refs[0, 2, 5:] = -1
    refs[1, 0, 3] = 0  # an EOS cuts the reference
    return torch.softmax(logits, -1), refs, torch.tensor([3, 2, 3, 1])


def _loss_and_grad(probs, refs, n_refs, score):
    leaf = probs.detach().clone().requires_grad_()
    value = score(leaf, refs, n_refs)
    value.backward()
    return value.detach(), leaf.grad


SOFT_SCORES = [
    lambda p, r, k: bleu_loss(p, r, eos_id=0, n_references=k),
    lambda p, r, k: bleu_loss(p, r, eos_id=0, level="sentence", smoothing_method=3),
    lambda p, r, k: gleu_loss(p, r, eos_id=0, n_references=k, level="sentence"),
    lambda p, r, k: corpus_bleu(p, r[:, 0], max_order=2),
]


@pytest.mark.parametrize("score", SOFT_SCORES)
@pytest.mark.parametrize("vocab", [7, 30_000])  # a gradient below and above 4 MiB
def test_soft_gradient_is_bitwise_the_plain_autograd_one(score, vocab, monkeypatch):
    for seed in range(3):
        probs, refs, n_refs = _soft_batch(seed, vocab)
        value, grad = _loss_and_grad(probs, refs, n_refs, score)
        with monkeypatch.context() as m:
            _plain_gather(m)
            plain_value, plain_grad = _loss_and_grad(probs, refs, n_refs, score)
        assert torch.equal(value, plain_value)
        assert torch.equal(grad, plain_grad)
        assert grad.is_contiguous() and grad.dtype == probs.dtype


def test_gradcheck_and_gradgradcheck_of_the_column_gather():
    probs, refs, n_refs = _soft_batch(4, 5, torch.float64)
    logits = torch.log(probs).requires_grad_()

    def loss(x):
        return bleu_loss(torch.softmax(x, -1), refs, eos_id=0, max_order=3, n_references=n_refs)

    assert torch.autograd.gradcheck(loss, (logits,))
    assert torch.autograd.gradgradcheck(loss, (logits,))


def test_forward_mode_derivative_equals_the_plain_one(monkeypatch):
    import torch.autograd.forward_ad as fwad

    probs, refs, n_refs = _soft_batch(5, 6, torch.float64)
    tangent = torch.randn(
        probs.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(5)
    )

    def derivative():
        with fwad.dual_level():
            dual = fwad.make_dual(probs, tangent)
            out = corpus_bleu(dual, refs, eos_id=0, n_references=n_refs)
            return fwad.unpack_dual(out).tangent

    ours = derivative()
    with monkeypatch.context() as m:
        _plain_gather(m)
        torch.testing.assert_close(ours, derivative(), rtol=0, atol=0)


def test_probs_checks_find_a_bad_entry_in_any_chunk():
    probs = torch.full((3, 5, 200_000), 1 / 200_000)  # many chunks of two rows
    corpus_bleu(probs, torch.ones(3, 2, dtype=torch.long))
    for value, message in ((-1e-3, "non-neg"), (float("nan"), "finite"), (0.5, "sum to 1")):
        bad = probs.clone()
        bad[2, 4, 199_999] = value
        with pytest.raises(ValueError, match=message):
            corpus_bleu(bad, torch.ones(3, 2, dtype=torch.long))


def _random_id_case(rng: random.Random):
    """Id tensors with padding, ragged references, EOS and few or many distinct tokens."""
    batch, n_refs, length, ref_len = rng.randint(0, 7), rng.randint(1, 4), rng.randint(0, 70), 64
    vocab = rng.choice([2, 3, 6, 1000, 2**40])
    gen = torch.Generator().manual_seed(rng.randrange(2**31))
    hyp = torch.randint(0, vocab, (batch, length), generator=gen)
    refs = torch.randint(0, vocab, (batch, n_refs, rng.randint(0, ref_len)), generator=gen)
    for b in range(batch):
        hyp[b, rng.randint(0, length) :] = -1
        for r in range(n_refs):
            refs[b, r, rng.randint(0, refs.shape[2]) :] = -1
    n_references = torch.tensor([rng.randint(1, n_refs) for _ in range(batch)], dtype=torch.long)
    return hyp, refs, n_references, rng.choice([None, 0, 1])


def test_bit_set_counts_equal_the_matrix_path(monkeypatch):
    """The fast id path against the match matrices, on ragged and repetitive corpora."""
    rng = random.Random(20)
    for _ in range(300):
        hyp, refs, n_references, eos_id = _random_id_case(rng)
        kw = dict(eos_id=eos_id, n_references=n_references)
        order, low, high = rng.randint(1, 5), rng.randint(1, 3), rng.randint(3, 5)
        fast = bleu_statistics(hyp, refs, max_order=order, **kw)
        fast_gleu = gleu_statistics(hyp, refs, min_len=low, max_len=high, **kw)
        with monkeypatch.context() as m:
            m.setattr(bleu_module, "_bit_set_path", lambda hyps, refs: False)
            slow = bleu_statistics(hyp, refs, max_order=order, **kw)
            slow_gleu = gleu_statistics(hyp, refs, min_len=low, max_len=high, **kw)
        for a, b in zip(vars(fast).values(), vars(slow).values(), strict=True):
            assert torch.equal(a, b)
        assert torch.equal(fast_gleu.matches, slow_gleu.matches)
        assert torch.equal(fast_gleu.totals, slow_gleu.totals)


def test_token_lists_and_tensors_give_the_same_statistics():
    rng = random.Random(21)
    for _ in range(200):
        hyps, refs = random_corpus(rng, max_refs=4, max_len=12)
        if rng.random() < 0.5:
            hyps, refs = [tuple(h) for h in hyps], [tuple(tuple(r) for r in rs) for rs in refs]
        width = max((len(h) for h in hyps), default=0)
        hyp_ids = torch.tensor(
            [list(h) + [-1] * (width - len(h)) for h in hyps], dtype=torch.long
        ).reshape(len(hyps), width)
        n_refs = max(len(rs) for rs in refs)
        ref_len = max(len(r) for rs in refs for r in rs)
        ref_ids = torch.full((len(refs), n_refs, ref_len), -1)
        for b, rs in enumerate(refs):
            for k, r in enumerate(rs):
                ref_ids[b, k, : len(r)] = torch.tensor(r, dtype=torch.long)
        counts = [len(rs) for rs in refs]
        from_lists = bleu_statistics(hyps, refs)
        from_ids = bleu_statistics(hyp_ids, ref_ids, n_references=counts)
        for a, b in zip(vars(from_lists).values(), vars(from_ids).values(), strict=True):
            assert torch.equal(a, b)
        assert abs(corpus_bleu(hyps, refs).item() - nltk_corpus_bleu(refs, hyps)) <= TOL
        assert abs(corpus_gleu(hyps, refs).item() - nltk_gleu.corpus_gleu(refs, hyps)) <= TOL


def test_ragged_references_of_different_lengths_and_empty_hypotheses_equal_nltk():
    hyps = [[], [1, 2, 3, 1, 2], [4], [1, 1, 1, 1]]
    refs = [
        [[1, 2], [3, 4, 5, 6, 7, 8, 9]],
        [[1, 2, 3], [1, 2, 1, 2, 3, 1, 2], [5]],
        [[4, 4, 4, 4, 4, 4]],
        [[1, 1], [1, 1, 1, 2, 1, 1, 1, 1, 1]],
    ]
    words = [[[f"w{t}" for t in r] for r in rs] for rs in refs]
    hyp_words = [[f"w{t}" for t in h] for h in hyps]
    for h, r in ((hyps, refs), (hyp_words, words)):
        for method in (None, 1, 4):
            ours = corpus_bleu(h, r, smoothing_method=method).item()
            assert abs(ours - nltk_corpus_bleu(r, h, method=method)) <= TOL
        assert abs(corpus_gleu(h, r).item() - nltk_gleu.corpus_gleu(r, h)) <= TOL
        sentences = sentence_gleu(h, r)
        for b in range(1, len(h)):
            assert abs(sentences[b].item() - nltk_gleu.sentence_gleu(r[b], h[b])) <= TOL


@pytest.mark.parametrize(
    ("hyps", "refs", "message"),
    [
        ([[1.5, 2]], [[[1, 2]]], "int token ids"),
        ([[1, 2]], [[[1, 2.0]]], "int token ids"),
        ([[1, "a"]], [[[1]]], "int token ids"),
        ([[1]], [[[2**70]]], "int token ids"),
        ([["a", ["b"]]], [[["a"]]], "mix token strings"),
        ([["a", None]], [[["a"]]], "mix token strings"),
        (["a b"], [[["a"]]], "not of strings"),
        ([["a"]], [["a b"]], "lists of references"),
        ([[1]], [[{1}]], "lists of references"),
        ([[1]], [[]], "empty"),
        ([[1]], [[[-2]]], ">= 0"),
    ],
)
def test_bad_token_lists_raise_clear_errors(hyps, refs, message):
    with pytest.raises(ValueError, match=message):
        corpus_bleu(hyps, refs)
