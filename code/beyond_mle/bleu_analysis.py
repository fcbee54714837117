"""Experiments of the differentiable-BLEU chapter: agreement with NLTK and the temperature sweep.

Introduced in the chapter "Differentiable BLEU and GLEU" (``book/bleu/differentiable_bleu``).
NLTK is the reference: its ``corpus_bleu`` (no smoothing), ``sentence_bleu``, ``corpus_gleu`` and
``sentence_gleu`` score the same corpora as token lists.
"""

from __future__ import annotations

import math
import random
import warnings
from dataclasses import asdict, dataclass

import torch
from nltk.translate import bleu_score as nltk_bleu
from nltk.translate import gleu_score as nltk_gleu
from torch import Tensor

from beyond_mle.bleu import corpus_bleu, corpus_gleu, length_mask, sentence_bleu, sentence_gleu
from beyond_mle.progress import progress

__all__ = [
    "Agreement",
    "nltk_agreement",
    "noisy_reference_logits",
    "random_corpus",
    "temperature_sweep",
]


def random_corpus(
    rng: random.Random, *, corpus_size: int, vocab_size: int, max_len: int, eos_id: int
) -> tuple[list[list[int]], list[list[list[int]]], Tensor, Tensor]:
    """A random corpus as NLTK's lists and as padded id tensors that end with EOS.

    References have 1 to ``max_len`` tokens drawn from a small vocabulary, so that n-grams
    repeat. Each hypothesis is its reference after random edits at a rate drawn uniformly from
    [0, 1] per sentence (a token is kept, replaced, dropped or followed by an inserted token), so
    the scores spread from 0 to 1 and short, empty, longer and unrelated hypotheses all occur.
    Token ``eos_id`` is kept out of the sentences; the tensors append it after each sentence and
    fill the rest with random tokens, which a correct length mask ignores.

    Returns:
        ``(hypotheses, references, hypothesis_ids, reference_ids)``; the tensors have shape
        ``(corpus_size, 2 * max_len + 1)``.
    """
    tokens = [t for t in range(vocab_size + 1) if t != eos_id]

    def edited(reference: list[int]) -> list[int]:
        rate = rng.random()
        out: list[int] = []
        for token in reference:
            action = rng.random()
            if action >= rate:
                out.append(token)
            elif action < rate / 3:
                out.append(rng.choice(tokens))
            elif action < 2 * rate / 3:
                out.extend((token, rng.choice(tokens)))
        return out[: 2 * max_len]

    refs = [
        [[rng.choice(tokens) for _ in range(rng.randint(1, max_len))]] for _ in range(corpus_size)
    ]
    hyps = [edited(r[0]) for r in refs]

    def padded(rows: list[list[int]]) -> Tensor:
        out = torch.tensor([[rng.choice(tokens) for _ in range(2 * max_len + 1)] for _ in rows])
        for b, row in enumerate(rows):
            out[b, : len(row)] = torch.tensor(row, dtype=torch.long)
            out[b, len(row)] = eos_id
        return out

    return hyps, refs, padded(hyps), padded([r[0] for r in refs])


@dataclass(frozen=True)
class Agreement:
    """Largest absolute differences from NLTK over many random corpora."""

    n_corpora: int
    corpus_bleu_ids: float
    corpus_bleu_one_hot: float
    corpus_gleu_ids: float
    corpus_gleu_one_hot: float
    sentence_bleu: float
    sentence_gleu: float
    nltk_zero_bleu: int  # corpora that NLTK scores exactly 0 (no unigram match)
    nltk_tiny_bleu: int  # corpora that NLTK scores in (0, 1e-50): a zero higher-order match
    nltk_above_half: int  # corpora that NLTK scores above 0.5

    def worst(self) -> float:
        """The largest of the differences."""
        values = asdict(self)
        return max(v for k, v in values.items() if isinstance(v, float))


def nltk_agreement(
    *, n_corpora: int, corpus_size: int, vocab_size: int, max_len: int, seed: int, eos_id: int = 0
) -> Agreement:
    """Score random corpora with this package (ids and one-hot ``probs``) and with NLTK.

    Every comparison is in float64. Returns the largest absolute difference of each score.
    """
    rng = random.Random(seed)
    worst = dict.fromkeys(
        (
            "corpus_bleu_ids",
            "corpus_bleu_one_hot",
            "corpus_gleu_ids",
            "corpus_gleu_one_hot",
            "sentence_bleu",
            "sentence_gleu",
        ),
        0.0,
    )
    zero = tiny = above_half = 0
    vocab = vocab_size + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NLTK warns on every zero higher-order precision
        for _ in progress(range(n_corpora), desc="corpora"):
            hyps, refs, hyp_ids, ref_ids = random_corpus(
                rng, corpus_size=corpus_size, vocab_size=vocab_size, max_len=max_len, eos_id=eos_id
            )
            one_hot = torch.nn.functional.one_hot(hyp_ids, vocab).double()
            bleu = nltk_bleu.corpus_bleu(refs, hyps)
            gleu = nltk_gleu.corpus_gleu(refs, hyps)
            zero += bleu == 0
            tiny += 0 < bleu < 1e-50
            above_half += bleu > 0.5
            pairs = {
                "corpus_bleu_ids": (corpus_bleu(hyp_ids, ref_ids, eos_id=eos_id), bleu),
                "corpus_bleu_one_hot": (corpus_bleu(one_hot, ref_ids, eos_id=eos_id), bleu),
                "corpus_gleu_ids": (corpus_gleu(hyp_ids, ref_ids, eos_id=eos_id), gleu),
                "corpus_gleu_one_hot": (corpus_gleu(one_hot, ref_ids, eos_id=eos_id), gleu),
            }
            for key, (ours, theirs) in pairs.items():
                worst[key] = max(worst[key], abs(ours.item() - theirs))
            s_bleu = sentence_bleu(hyps, refs)
            s_gleu = sentence_gleu(hyps, refs)
            for i, (hyp, ref) in enumerate(zip(hyps, refs, strict=True)):
                d_bleu = abs(s_bleu[i].item() - nltk_bleu.sentence_bleu(ref, hyp))
                d_gleu = abs(s_gleu[i].item() - nltk_gleu.sentence_gleu(ref, hyp))
                worst["sentence_bleu"] = max(worst["sentence_bleu"], d_bleu)
                worst["sentence_gleu"] = max(worst["sentence_gleu"], d_gleu)
    return Agreement(
        n_corpora=n_corpora,
        nltk_zero_bleu=zero,
        nltk_tiny_bleu=tiny,
        nltk_above_half=above_half,
        **worst,
    )


def noisy_reference_logits(
    reference_ids: Tensor, vocab_size: int, *, signal: float, generator: torch.Generator
) -> Tensor:
    r"""Logits of a model that mostly predicts the reference.

    Every logit is standard normal noise; the reference token's gets a bonus of
    :math:`\sqrt{2 \ln V} + \text{signal}`. The largest of :math:`V` standard normals is close to
    :math:`\sqrt{2 \ln V}`, so ``signal`` is the margin over the strongest competitor, and the
    argmax is the reference token about as often at every vocabulary size.

    Args:
        reference_ids: shape ``(batch, length)``.
        vocab_size: the vocabulary :math:`V`.
        signal: the margin of the reference token's logit.
        generator: the random source.

    Returns:
        Logits, shape ``(batch, length, vocab_size)``, float64.
    """
    noise = torch.randn(*reference_ids.shape, vocab_size, generator=generator, dtype=torch.float64)
    bonus = (2 * math.log(vocab_size)) ** 0.5 + signal
    return noise + bonus * torch.nn.functional.one_hot(reference_ids, vocab_size)


def temperature_sweep(
    logits: Tensor,
    reference_ids: Tensor,
    temperatures: Tensor,
    *,
    eos_id: int,
    n_samples: int,
    generator: torch.Generator,
) -> dict[str, list[float]]:
    """Soft scores of ``softmax(logits / T)`` beside the hard and the sampled (expected) scores.

    For each temperature: corpus BLEU and GLEU of the distributions (the differentiable scores),
    of their argmax (the hard score, the same at every temperature) and the mean BLEU of
    ``n_samples`` corpora sampled from the distributions (a Monte Carlo estimate of the expected
    BLEU, which the soft score approximates), with its standard error.

    Returns:
        Lists keyed ``temperature``, ``soft_bleu``, ``soft_gleu``, ``hard_bleu``, ``hard_gleu``,
        ``sampled_bleu``, ``sampled_bleu_se``, ``expected_length``.
    """
    out: dict[str, list[float]] = {
        k: []
        for k in (
            "temperature",
            "soft_bleu",
            "soft_gleu",
            "hard_bleu",
            "hard_gleu",
            "sampled_bleu",
            "sampled_bleu_se",
            "expected_length",
        )
    }
    batch, length, vocab = logits.shape
    hard = logits.argmax(-1).cpu()
    refs = reference_ids.cpu()
    hard_bleu = corpus_bleu(hard, refs, eos_id=eos_id).item()
    hard_gleu = corpus_gleu(hard, refs, eos_id=eos_id).item()
    for t in progress(temperatures.tolist(), desc="temperatures"):
        probs = torch.softmax(logits / t, dim=-1)
        out["temperature"].append(t)
        out["soft_bleu"].append(corpus_bleu(probs, reference_ids, eos_id=eos_id).item())
        out["soft_gleu"].append(corpus_gleu(probs, reference_ids, eos_id=eos_id).item())
        out["hard_bleu"].append(hard_bleu)
        out["hard_gleu"].append(hard_gleu)
        mask = length_mask(probs, eos_id)
        out["expected_length"].append(mask.sum(-1).mean().item())
        flat = probs.reshape(-1, vocab)
        draws = torch.multinomial(flat, n_samples, replacement=True, generator=generator)
        samples = draws.T.reshape(n_samples, batch, length).cpu()
        scores = torch.stack([corpus_bleu(s, refs, eos_id=eos_id) for s in samples])
        out["sampled_bleu"].append(scores.mean().item())
        out["sampled_bleu_se"].append((scores.std() / n_samples**0.5).item())
    return out
