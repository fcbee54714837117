"""Tests of beyond_mle.vocabulary: ids number tokens one to one, so scores on words are NLTK's."""

from __future__ import annotations

import random
import warnings

import pytest
import torch
from nltk.translate import bleu_score as nltk_bleu

from beyond_mle.bleu import corpus_bleu
from beyond_mle.vocabulary import Vocabulary

WORDS = "the cat sat on a mat and dog ran".split()


def test_specials_come_first_then_tokens_in_order_of_appearance():
    vocab = Vocabulary.build([["cat", "the", "cat"]], [[["mat", "the"]]], specials=("<eos>",))
    assert vocab.tokens == ("<eos>", "cat", "the", "mat")
    assert len(vocab) == 4
    assert "mat" in vocab and "dog" not in vocab


def test_encode_keeps_the_nesting_and_decode_inverts_it():
    corpus = [[["the", "cat"], ["a", "cat", "sat"]], [["dog"]]]
    vocab = Vocabulary.build(corpus)
    ids = vocab.encode(corpus)
    assert ids == [[[0, 1], [2, 1, 3]], [[4]]]
    for refs, id_refs in zip(corpus, ids, strict=True):
        for ref, id_ref in zip(refs, id_refs, strict=True):
            assert vocab.decode(id_ref) == ref
            assert vocab.decode(torch.tensor(id_ref)) == ref


def test_decode_stops_at_eos_and_drops_padding():
    vocab = Vocabulary(["the", "cat"], specials=("<eos>",))
    assert vocab.decode([1, -1, 2, 0, 1], eos_id=0) == ["the", "cat"]
    assert vocab.decode([1, -1, 2, 0, 1], eos_id=None) == ["the", "cat", "<eos>", "the"]


def test_padded_tensors_and_the_reference_mask():
    vocab = Vocabulary.build(WORDS, specials=("<eos>",))
    ids = vocab.token_ids([["the", "cat"], ["dog"]], pad_id=0, length=3)
    assert ids.tolist() == [[1, 2, 0], [8, 0, 0]]
    refs, mask = vocab.reference_ids([[["the"], ["a", "mat"]], [["dog", "ran"]]])
    assert refs.shape == (2, 2, 2)
    assert refs.tolist() == [[[1, -1], [5, 6]], [[8, 9], [-1, -1]]]
    assert mask.tolist() == [[True, True], [True, False]]


def test_ids_of_a_random_corpus_score_as_its_words_in_nltk():
    """An injective map of tokens leaves every n-gram count, so BLEU, unchanged."""
    rng = random.Random(0)
    for _ in range(50):
        hyps = [[rng.choice(WORDS) for _ in range(rng.randint(0, 8))] for _ in range(3)]
        refs = [
            [
                [rng.choice(WORDS) for _ in range(rng.randint(1, 8))]
                for _ in range(rng.randint(1, 3))
            ]
            for _ in range(3)
        ]
        vocab = Vocabulary.build(hyps, refs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = nltk_bleu.corpus_bleu(refs, hyps)
        assert abs(corpus_bleu(vocab.encode(hyps), vocab.encode(refs)).item() - expected) <= 1e-12


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Vocabulary(["a"], specials=("x", "x")), "distinct"),
        (lambda: Vocabulary([1, 2]), "token strings"),
        (lambda: Vocabulary(["a"]).encode(["b"]), "not in the vocabulary"),
        (lambda: Vocabulary(["a"]).encode([1]), "strings"),
        (lambda: Vocabulary(["a"]).decode([3]), "out of range"),
        (lambda: Vocabulary(["a"]).decode(torch.zeros(2, 2, dtype=torch.long)), "1-D"),
        (lambda: Vocabulary(["a"]).decode([0.5]), "ints"),
        (lambda: Vocabulary(["a"]).token_ids([["a", "a"]], length=1), "length"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
