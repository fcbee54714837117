r"""Seq2seq translation trained with maximum likelihood, with and without the OT sequence loss.

Introduced in the chapter "Optimal transport for sequence learning" (Chen et al. 2019,
Algorithm 2). A :class:`~beyond_mle.models.seq2seq.Seq2Seq` model with attention learns the
synthetic translation task of :mod:`beyond_mle.tasks.translation` under one of
:data:`CONDITIONS`:

* ``"mle"``: token cross-entropy with teacher forcing;
* ``"mle+ot"``: the same plus :math:`\gamma` times the OT sequence loss of
  :func:`~beyond_mle.optimal_transport.ot_sequence_loss` on the teacher-forced logits
  (soft-argmax embeddings against the reference's embeddings, cosine cost, IPOT):

.. math::
    \mathcal{L} = \mathcal{L}_{\mathrm{MLE}} + \gamma\, \mathcal{L}_{\mathrm{OT}}
    \qquad \text{(eq. 8 of Chen et al. 2019).}

Both conditions start from the same initial model and see the same batches for a given seed.
Held-out pairs are scored by greedy decoding with corpus BLEU (NLTK's score, on ids) against the
one reference, and with "meaning BLEU", the same after mapping every target synonym to one
canonical word (:attr:`~beyond_mle.tasks.translation.TranslationCorpus.meaning`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from beyond_mle.bleu import corpus_bleu
from beyond_mle.models.seq2seq import Seq2Seq, Seq2SeqConfig
from beyond_mle.optimal_transport import GRADIENTS, ot_sequence_loss
from beyond_mle.seq2seq_training import decode_held_out, token_accuracy, train_seq2seq
from beyond_mle.tasks.translation import EOS, PAD, TranslationCorpus, translation_corpus
from beyond_mle.training import FitConfig

__all__ = [
    "CONDITIONS",
    "TranslationConfig",
    "evaluate_translation",
    "translation_data",
    "translation_loss",
    "run_translation",
    "train_translation",
]

#: The training conditions and their labels.
CONDITIONS: dict[str, str] = {"mle": "MLE", "mle+ot": "MLE + OT"}


@dataclass(frozen=True)
class TranslationConfig:
    """The task, the model and the training of one OT-seq2seq experiment.

    Attributes:
        n_train: training pairs (>= 1), drawn from ``seed``.
        n_test: held-out pairs (>= 1), drawn from another seed.
        max_depth: the deepest nesting of prepositional phrases in the grammar.
        embedding_size: the model's embedding width.
        hidden_size: the model's GRU width.
        batch: pairs per step.
        steps: Adam steps per condition.
        lr: Adam's learning rate.
        log_every: score the held-out pairs every this many steps.
        gamma: the weight of the OT loss (Chen et al.: 0.1).
        beta: IPOT's proximal step (Chen et al.: 0.5).
        ipot_iterations: IPOT's iterations (Chen et al.: 50).
        temperature: the soft-argmax temperature.
        gradient: ``"unrolled"`` or ``"envelope"``, how the OT loss is differentiated.
        clip_grad_norm: clip the gradients' global norm to this value.
    """

    n_train: int = 4000
    n_test: int = 300
    max_depth: int = 1
    embedding_size: int = 32
    hidden_size: int = 48
    batch: int = 32
    steps: int = 300
    lr: float = 3e-3
    log_every: int = 50
    gamma: float = 0.1
    beta: float = 0.5
    ipot_iterations: int = 50
    temperature: float = 1.0
    gradient: str = "unrolled"
    clip_grad_norm: float = 5.0

    def __post_init__(self) -> None:
        for name in ("n_train", "n_test", "embedding_size", "hidden_size", "batch", "steps",
                     "log_every", "ipot_iterations"):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_depth < 0:
            raise ValueError(f"max_depth must be >= 0, got {self.max_depth}")
        if self.gamma < 0:
            raise ValueError(f"gamma must be >= 0, got {self.gamma}")
        for name in ("lr", "beta", "temperature", "clip_grad_norm"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.gradient not in GRADIENTS:
            raise ValueError(f"gradient must be one of {GRADIENTS}, got {self.gradient!r}")


def translation_data(
    config: TranslationConfig, seed: int
) -> tuple[TranslationCorpus, TranslationCorpus]:
    """Training pairs from ``seed`` and held-out pairs from ``seed + 10_000``."""
    train = translation_corpus(config.n_train, seed=seed, max_depth=config.max_depth)
    test = translation_corpus(config.n_test, seed=seed + 10_000, max_depth=config.max_depth)
    return train, test


def translation_loss(
    model: Seq2Seq, sources: Tensor, targets: Tensor, condition: str, config: TranslationConfig
) -> Tensor:
    r"""The training loss of one batch: MLE, plus :math:`\gamma\,\mathcal{L}_{\mathrm{OT}}`.

    The OT term compares the teacher-forced predictions with the reference over the reference's
    words and EOS (padding masked). It reads the embedding matrix without differentiating it:
    the gradient of a cosine cost with respect to the metric itself would reward embeddings that
    all point the same way.

    Args:
        model: the seq2seq model.
        sources: ``(batch, source_length)`` token ids.
        targets: ``(batch, target_length)`` token ids: words, EOS, then PAD.
        condition: a key of :data:`CONDITIONS`.
        config: ``gamma``, ``beta``, ``ipot_iterations``, ``temperature``, ``gradient``.

    Returns:
        A scalar tensor.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {', '.join(CONDITIONS)}, got {condition!r}")
    logits = model(sources, targets=targets, feeding="teacher").logits  # (B, T, V)
    mle = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=PAD)
    if condition == "mle":
        return mle
    ot = ot_sequence_loss(
        logits,
        targets,
        model.embedding.weight.detach(),
        mask=targets != PAD,
        beta=config.beta,
        iterations=config.ipot_iterations,
        temperature=config.temperature,
        gradient=config.gradient,
    )
    return mle + config.gamma * ot


def evaluate_translation(model: Seq2Seq, corpus: TranslationCorpus) -> dict[str, float]:
    """Greedy decoding's corpus BLEU, meaning BLEU (0 to 1) and token accuracy on ``corpus``."""
    hyp, targets = decode_held_out(model, corpus)  # (N, T) each
    hyp, targets = hyp.cpu(), targets.cpu()
    meaning = corpus.meaning
    return {
        "bleu": corpus_bleu(hyp, targets, eos_id=EOS).item(),
        "meaning_bleu": corpus_bleu(meaning[hyp], meaning[targets], eos_id=EOS).item(),
        "accuracy": token_accuracy(hyp, targets, pad_id=PAD),
    }


def train_translation(
    condition: str,
    train: TranslationCorpus,
    test: TranslationCorpus,
    config: TranslationConfig,
    *,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> tuple[Seq2Seq, list[dict[str, float]]]:
    """Train a fresh model under ``condition``; return it and its log (step 0 included).

    The initial weights and the batches depend on ``seed`` only, not on the condition.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {', '.join(CONDITIONS)}, got {condition!r}")
    return train_seq2seq(
        Seq2SeqConfig(
            vocab_size=len(train.vocabulary),
            embedding_size=config.embedding_size,
            hidden_size=config.hidden_size,
            eos_id=EOS,
            start_id=PAD,
        ),
        train,
        lambda model, sources, targets: translation_loss(
            model, sources, targets, condition, config
        ),
        lambda model: evaluate_translation(model, test),
        FitConfig(
            steps=config.steps,
            lr=config.lr,
            log_every=config.log_every,
            clip_grad_norm=config.clip_grad_norm,
            desc=condition,
        ),
        batch=config.batch,
        seed=seed,
        device=device,
    )


def run_translation(
    config: TranslationConfig,
    conditions: Sequence[str] = tuple(CONDITIONS),
    *,
    seeds: Sequence[int] = (0,),
    device: torch.device | str = "cpu",
) -> list[dict[str, float | str]]:
    """Train every condition for every seed; return the logs as rows.

    Each seed draws its own corpus and initial model; within a seed, every condition starts
    from the same model and sees the same batches.

    Returns:
        One row per condition, seed and logged step: ``condition``, ``seed``, ``step``,
        ``loss``, ``bleu``, ``meaning_bleu``, ``accuracy``.
    """
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown or not conditions:
        raise ValueError(f"conditions must be among {', '.join(CONDITIONS)}, got {conditions!r}")
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    rows: list[dict[str, float | str]] = []
    for seed in seeds:
        train, test = translation_data(config, seed)
        for condition in conditions:
            _, history = train_translation(condition, train, test, config, seed=seed, device=device)
            rows += [{"condition": condition, "seed": seed, **row} for row in history]
    return rows
