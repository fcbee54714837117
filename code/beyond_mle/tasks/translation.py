"""A synthetic parallel corpus from a synchronous grammar, with reordering and synonyms.

Introduced in the chapter "Optimal transport for sequence learning". The source language is
the language of a small English-like context-free grammar (:data:`SOURCE_GRAMMAR`, an
``nltk.CFG``); each rule has a target side that reorders its children (subject-object-verb
order, nouns before their adjectives and determiners, postpositions), and each source word
translates to one of one to three target synonyms, drawn uniformly at each occurrence. A
sentence therefore has many correct translations that share their meaning but not their words:
word-level maximum likelihood is trained on one of them, and a reference-based score such as
BLEU sees only that one. :attr:`TranslationCorpus.meaning` maps every target synonym to one
canonical word, so that scores can also be computed on meanings.

Nothing is downloaded: sentences are drawn from a seed by expanding the grammar at random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

import nltk
import torch
from torch import Tensor

__all__ = [
    "EOS",
    "LEXICON",
    "PAD",
    "RULES",
    "SOURCE_GRAMMAR",
    "TranslationCorpus",
    "translation_corpus",
    "translation_pair",
    "vocabulary",
]

PAD = 0  #: padding after EOS (also the decoder's start token)
EOS = 1  #: end of sentence

#: Synchronous rules: nonterminal -> [(source children, target order of those children, weight)].
RULES: dict[str, list[tuple[tuple[str, ...], tuple[int, ...], float]]] = {
    "S": [(("NP", "VP"), (0, 1), 1.0)],
    "NP": [
        (("Det", "N"), (1, 0), 3.0),  # the cat -> cat the
        (("Det", "Adj", "N"), (2, 1, 0), 2.0),  # the red cat -> cat red the
        (("Det", "N", "PP"), (1, 2, 0), 1.0),  # the cat near the house -> cat house near the
    ],
    "VP": [
        (("V", "NP"), (1, 0), 3.0),  # sees the dog -> dog the sees
        (("V", "NP", "Adv"), (2, 1, 0), 1.0),  # sees the dog often -> often dog the sees
        (("Vi",), (0,), 1.0),
    ],
    "PP": [(("P", "NP"), (1, 0), 1.0)],  # near the house -> house the near
}

#: Source words by part of speech, each with its target synonyms.
LEXICON: dict[str, dict[str, tuple[str, ...]]] = {
    "Det": {"the": ("le",), "a": ("un",), "every": ("chaque", "tout")},
    "N": {
        "cat": ("neko", "mao"),
        "dog": ("inu", "gou"),
        "bird": ("tori", "niao"),
        "child": ("ko", "hai", "kid"),
        "teacher": ("sensei", "laoshi"),
        "house": ("ie", "fang"),
        "garden": ("niwa", "yuan"),
        "river": ("kawa", "he"),
    },
    "Adj": {
        "small": ("chiisai", "xiao"),
        "big": ("ookii", "da"),
        "red": ("akai", "hong"),
        "old": ("furui", "lao"),
    },
    "V": {
        "sees": ("miru", "kan"),
        "likes": ("suki", "ai"),
        "chases": ("ou", "zhui"),
        "finds": ("mitsu", "zhao"),
    },
    "Vi": {"sleeps": ("neru", "shui"), "runs": ("hashiru", "pao"), "sings": ("utau", "chang")},
    "P": {"near": ("chikaku",), "behind": ("ushiro", "hou"), "in": ("naka",)},
    "Adv": {"often": ("yoku", "chang2"), "quickly": ("hayaku",)},
}


def _source_grammar_text() -> str:
    lines = []
    for lhs, options in RULES.items():
        lines.append(f"{lhs} -> " + " | ".join(" ".join(src) for src, _, _ in options))
    for pos, words in LEXICON.items():
        lines.append(f"{pos} -> " + " | ".join(f"'{w}'" for w in words))
    return "\n".join(lines)


#: The source side of the synchronous grammar, as an ``nltk.CFG``.
SOURCE_GRAMMAR = nltk.CFG.fromstring(_source_grammar_text())


@cache
def vocabulary() -> tuple[str, ...]:
    """All tokens: ``<pad>``, ``<eos>``, the source words, then the target words (sorted).

    Example:
        >>> vocabulary()[:3]
        ('<pad>', '<eos>', 'a')
    """
    source = sorted(w for words in LEXICON.values() for w in words)
    target = sorted({t for words in LEXICON.values() for ts in words.values() for t in ts})
    return ("<pad>", "<eos>", *source, *target)


def translation_pair(rng: random.Random, max_depth: int = 3) -> tuple[list[str], list[str]]:
    """One source sentence and a translation, drawn by expanding the grammar from ``S``.

    Rules are chosen with their weights; beyond ``max_depth`` nested noun phrases, the
    recursive rule (a noun phrase with a prepositional phrase) is not chosen.

    Args:
        rng: the random source.
        max_depth: the deepest nesting of prepositional phrases (>= 0).

    Returns:
        ``(source_words, target_words)``.

    Example:
        >>> src, tgt = translation_pair(random.Random(0))
        >>> len(src) == len(tgt)
        True
    """
    if max_depth < 0:
        raise ValueError(f"max_depth must be >= 0, got {max_depth}")

    def expand(symbol: str, depth: int) -> tuple[list[str], list[str]]:
        if symbol in LEXICON:
            word = rng.choice(sorted(LEXICON[symbol]))
            return [word], [rng.choice(LEXICON[symbol][word])]
        options = [o for o in RULES[symbol] if depth < max_depth or "PP" not in o[0]]
        children, order, _ = rng.choices(options, weights=[o[2] for o in options])[0]
        parts = [expand(child, depth + (child == "PP")) for child in children]
        source = [w for src, _ in parts for w in src]
        target = [w for k in order for w in parts[k][1]]
        return source, target

    return expand("S", 0)


@dataclass(frozen=True)
class TranslationCorpus:
    """Sources, targets and the token tables of a synthetic parallel corpus.

    Attributes:
        sources: ``(n_pairs, source_length)``: word ids, EOS, then PAD.
        targets: ``(n_pairs, target_length)``: word ids, EOS, then PAD.
        meaning: ``(vocab,)``: for every token id, the id of its canonical synonym (the first
            target word of its source word); other tokens map to themselves.
        vocabulary: the tokens' strings, by id.
    """

    sources: Tensor
    targets: Tensor
    meaning: Tensor
    vocabulary: tuple[str, ...]

    def __len__(self) -> int:
        return self.sources.shape[0]

    def words(self, token_ids: Tensor) -> list[str]:
        """The words of one sentence, up to its first EOS."""
        out = []
        for token in token_ids.tolist():
            if token == EOS:
                break
            out.append(self.vocabulary[token])
        return out


def _pad(rows: list[list[int]]) -> Tensor:
    width = max(len(row) for row in rows) + 1
    out = torch.full((len(rows), width), PAD, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        out[i, len(row)] = EOS
    return out


def translation_corpus(n_pairs: int, *, seed: int, max_depth: int = 1) -> TranslationCorpus:
    """Draw ``n_pairs`` sentence pairs from the synchronous grammar.

    Args:
        n_pairs: number of pairs (>= 1).
        seed: the random seed.
        max_depth: the deepest nesting of prepositional phrases (>= 0).

    Returns:
        The corpus; source and target of a pair have the same number of words.

    Example:
        >>> corpus = translation_corpus(3, seed=0)
        >>> corpus.sources.shape[0], corpus.targets.shape[0]
        (3, 3)
    """
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be >= 1, got {n_pairs}")
    rng = random.Random(seed)
    index = {token: i for i, token in enumerate(vocabulary())}
    pairs = [translation_pair(rng, max_depth) for _ in range(n_pairs)]
    meaning = torch.arange(len(index))
    for words in LEXICON.values():
        for synonyms in words.values():
            for synonym in synonyms:
                meaning[index[synonym]] = index[synonyms[0]]
    return TranslationCorpus(
        sources=_pad([[index[w] for w in src] for src, _ in pairs]),
        targets=_pad([[index[w] for w in tgt] for _, tgt in pairs]),
        meaning=meaning,
        vocabulary=vocabulary(),
    )
