"""Tests of beyond_mle.tasks.translation: the source side parses with NLTK, pairs line up."""

from __future__ import annotations

import random

import nltk
import pytest
import torch

from beyond_mle.tasks.translation import (
    EOS,
    LEXICON,
    PAD,
    SOURCE_GRAMMAR,
    translation_corpus,
    translation_pair,
    vocabulary,
)


def test_sources_parse_with_the_nltk_grammar():
    parser = nltk.ChartParser(SOURCE_GRAMMAR)
    rng = random.Random(0)
    for _ in range(50):
        source, target = translation_pair(rng, max_depth=2)
        assert len(source) == len(target)
        assert next(parser.parse(source), None) is not None, source


def test_translation_is_word_by_word_up_to_order():
    synonyms = {w: set(ts) for words in LEXICON.values() for w, ts in words.items()}
    rng = random.Random(1)
    for _ in range(50):
        source, target = translation_pair(rng)
        # a bijection between source and target positions through the lexicon
        remaining = list(target)
        for word in source:
            match = next(t for t in remaining if t in synonyms[word])
            remaining.remove(match)
        assert not remaining


def test_subject_object_verb_order():
    """Without an adverb, a sentence's verb is translated last."""
    verbs = {**LEXICON["V"], **LEXICON["Vi"]}
    rng = random.Random(4)
    for _ in range(100):
        source, target = translation_pair(rng)
        if not set(source) & set(LEXICON["Adv"]):
            verb = next(w for w in source if w in verbs)
            assert target[-1] in verbs[verb]


def test_corpus_layout_and_meaning():
    corpus = translation_corpus(200, seed=3)
    assert corpus.sources.shape[0] == corpus.targets.shape[0] == len(corpus) == 200
    for ids in (corpus.sources, corpus.targets):
        n_eos = (ids == EOS).sum(1)
        assert (n_eos == 1).all()
        eos_at = (ids == EOS).float().argmax(1)
        after = torch.arange(ids.shape[1]) > eos_at[:, None]
        assert (ids[after] == PAD).all()
    src_len = (corpus.sources == EOS).float().argmax(1)
    tgt_len = (corpus.targets == EOS).float().argmax(1)
    torch.testing.assert_close(src_len, tgt_len)
    vocab = vocabulary()
    for words in LEXICON.values():
        for synonyms in words.values():
            ids = [vocab.index(s) for s in synonyms]
            assert {corpus.meaning[i].item() for i in ids} == {ids[0]}
    assert corpus.words(corpus.sources[0])[-1] in {w for ws in LEXICON.values() for w in ws}


def test_seeded():
    a, b = translation_corpus(20, seed=5), translation_corpus(20, seed=5)
    assert torch.equal(a.sources, b.sources) and torch.equal(a.targets, b.targets)
    assert not torch.equal(a.targets, translation_corpus(20, seed=6).targets)


def test_synonyms_make_several_translations():
    targets = {tuple(translation_pair(random.Random(s))[1]) for s in range(200)}
    sources = {tuple(translation_pair(random.Random(s))[0]) for s in range(200)}
    assert len(targets) > len(sources) * 0.9


def test_bad_input():
    with pytest.raises(ValueError, match="n_pairs"):
        translation_corpus(0, seed=0)
    with pytest.raises(ValueError, match="max_depth"):
        translation_pair(random.Random(0), max_depth=-1)
