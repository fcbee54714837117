"""Tests of beyond_mle.bleu against NLTK (the reference oracle), autograd and closed forms."""

from __future__ import annotations

import random
import warnings

import pytest
import torch
from nltk.translate import bleu_score as nltk_bleu
from nltk.translate import gleu_score as nltk_gleu

from beyond_mle.bleu import (
    bleu_loss,
    bleu_statistics,
    brevity_penalty,
    corpus_bleu,
    corpus_gleu,
    gleu_loss,
    length_mask,
    ngram_matches,
    reference_ngram_counts,
    sentence_bleu,
    sentence_gleu,
    unigram_matches,
)

TOL = 1e-9


def nltk_corpus_bleu(refs, hyps, weights=(0.25, 0.25, 0.25, 0.25)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NLTK warns on zero higher-order matches
        return nltk_bleu.corpus_bleu(refs, hyps, weights=weights)


def nltk_sentence_bleu(refs, hyp, weights=(0.25, 0.25, 0.25, 0.25)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nltk_bleu.sentence_bleu(refs, hyp, weights=weights)


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
    torch.testing.assert_close(brevity_penalty(c, r), torch.tensor(expected, dtype=torch.float64))


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
        (lambda: corpus_bleu([[1]], [[[1]]], weights=(0.5, 0.5)), "weights"),
        (lambda: corpus_bleu([[1]], [[[1]]], max_order=2, weights=(-1, 2)), "weights"),
        (lambda: corpus_bleu([[1]], [[[1]]], max_order=0), "max_order"),
        (lambda: corpus_gleu([[1]], [[[1]]], min_len=3, max_len=2), "min_len"),
        (lambda: corpus_bleu([[1]], [[1]]), "lists of references"),
        (lambda: corpus_bleu([[1], [2]], [[[1]]]), "one list of references"),
        (lambda: corpus_bleu(_probs(1, 3, 4), torch.zeros(1, 2)), "integer"),
        (lambda: bleu_loss(_probs(1, 3, 4), torch.zeros(1, 2, dtype=torch.long), eps=0), "eps"),
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
    """Sentences over 64 tokens do not fit one bit-set word; the general path scores them."""
    rng = random.Random(11)
    for _ in range(20):
        hyps = [[rng.randrange(5) for _ in range(rng.randint(60, 90))] for _ in range(3)]
        refs = [[[rng.randrange(5) for _ in range(rng.randint(60, 90))]] for _ in range(3)]
        assert abs(corpus_bleu(hyps, refs).item() - nltk_corpus_bleu(refs, hyps)) <= TOL
        assert abs(corpus_gleu(hyps, refs).item() - nltk_gleu.corpus_gleu(refs, hyps)) <= TOL
