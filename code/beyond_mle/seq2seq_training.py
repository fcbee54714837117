"""Training and held-out scoring of a seq2seq model on any corpus of padded sentence pairs.

Introduced in the chapter "Sequence reversal" and reused by "Optimal transport for sequence
learning". A chapter supplies the loss of one batch and the scores it logs; :func:`train_seq2seq`
draws a fresh :class:`~beyond_mle.models.seq2seq.Seq2Seq` model and random batches from one seed
and trains it with :func:`~beyond_mle.training.fit`. :func:`decode_held_out` decodes a corpus's
sources greedily, and :func:`token_accuracy` scores the result token by token.

The corpus is anything that satisfies :class:`ParallelCorpus`: the sequence-reversal pairs of
:mod:`beyond_mle.tasks.reversal` and the translation pairs of :mod:`beyond_mle.tasks.translation`
both do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

from beyond_mle import streams
from beyond_mle.models.seq2seq import Seq2Seq, Seq2SeqConfig
from beyond_mle.streams import seed_global
from beyond_mle.training import FitConfig, fit

__all__ = [
    "ParallelCorpus",
    "Seq2SeqSettings",
    "decode_held_out",
    "greedy_decode",
    "seq2seq_configs",
    "token_accuracy",
    "train_seq2seq",
]


@runtime_checkable
class ParallelCorpus(Protocol):
    """Sentence pairs as padded token ids: what seq2seq training and scoring read of a corpus.

    Attributes:
        sources: ``(n_pairs, source_length)`` token ids: words, EOS, then padding.
        targets: ``(n_pairs, target_length)`` token ids: words, EOS, then padding.
    """

    @property
    def sources(self) -> Tensor: ...

    @property
    def targets(self) -> Tensor: ...

    def __len__(self) -> int: ...


def greedy_decode(model: Seq2Seq, sources: Tensor, target_length: int) -> Tensor:
    """Greedy free-running decoding: token ids ``(batch, target_length)`` (no gradient)."""
    with torch.no_grad():
        return model(sources, target_length=target_length, feeding="greedy").logits.argmax(-1)


def token_accuracy(token_ids: Tensor, targets: Tensor, *, pad_id: int = 0) -> float:
    """The fraction of target tokens (words and EOS, padding excluded) predicted at their position.

    Args:
        token_ids: predicted token ids ``(batch, length)``.
        targets: reference token ids of the same shape.
        pad_id: the padding id of ``targets`` (0 in every task of the book).

    Returns:
        The accuracy, 0 to 1 (0 when ``targets`` holds padding only).

    Example:
        >>> token_accuracy(torch.tensor([[3, 2, 1, 5]]), torch.tensor([[3, 4, 1, 0]]))
        0.6666666666666666
    """
    inside = targets != pad_id  # (B, T)
    correct = (token_ids == targets) & inside
    return correct.sum().item() / max(inside.sum().item(), 1)


def decode_held_out(model: Seq2Seq, corpus: ParallelCorpus) -> tuple[Tensor, Tensor]:
    """Greedy decoding of a corpus's sources in evaluation mode, and its targets.

    Args:
        model: the seq2seq model; its training mode is restored afterwards.
        corpus: the pairs to decode (reversal or translation pairs).

    Returns:
        ``(hypotheses, targets)``, both ``(N, T)`` on the model's device.
    """
    device = next(model.parameters()).device
    sources, targets = corpus.sources.to(device), corpus.targets.to(device)
    was_training = model.training
    model.eval()
    hyp = greedy_decode(model, sources, targets.shape[1])  # (N, T)
    model.train(was_training)
    return hyp, targets


class Seq2SeqSettings(Protocol):
    """The model sizes and optimiser settings a chapter's configuration gives its seq2seq runs."""

    @property
    def embedding_size(self) -> int: ...
    @property
    def hidden_size(self) -> int: ...
    @property
    def steps(self) -> int: ...
    @property
    def lr(self) -> float: ...
    @property
    def log_every(self) -> int: ...
    @property
    def clip_grad_norm(self) -> float: ...


def seq2seq_configs(
    settings: Seq2SeqSettings, *, vocab_size: int, eos_id: int, start_id: int, desc: str
) -> tuple[Seq2SeqConfig, FitConfig]:
    """The model's and the optimiser's configurations of one run, for :func:`train_seq2seq`.

    Args:
        settings: a chapter's configuration (sizes, steps, learning rate, logging, clipping).
        vocab_size: tokens of the model's shared vocabulary.
        eos_id: the end-of-sentence token.
        start_id: the decoder's start token.
        desc: the progress bar's label (the training condition).
    """
    model_config = Seq2SeqConfig(
        vocab_size=vocab_size,
        embedding_size=settings.embedding_size,
        hidden_size=settings.hidden_size,
        eos_id=eos_id,
        start_id=start_id,
    )
    fit_config = FitConfig(
        steps=settings.steps,
        lr=settings.lr,
        log_every=settings.log_every,
        clip_grad_norm=settings.clip_grad_norm,
        desc=desc,
    )
    return model_config, fit_config


def train_seq2seq(
    model_config: Seq2SeqConfig,
    train: ParallelCorpus,
    batch_loss: Callable[[Seq2Seq, Tensor, Tensor], Tensor],
    evaluate: Callable[[Seq2Seq], dict[str, float]],
    fit_config: FitConfig,
    *,
    batch: int,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> tuple[Seq2Seq, list[dict[str, float]]]:
    """Train a fresh seq2seq model on random batches of pairs with :func:`~beyond_mle.training.fit`.

    The initial weights come from the stream ``"initial weights"`` of ``seed`` and the batches
    from its stream ``"batches"`` (:mod:`beyond_mle.streams`), so that every condition trained
    with one seed starts from the same model and sees the same batches.

    Args:
        model_config: the model's sizes and special tokens.
        train: the training pairs.
        batch_loss: the loss of one batch, ``(model, sources, targets) -> scalar``.
        evaluate: the held-out scores of the model, logged at step 0 and every
            ``fit_config.log_every`` steps.
        fit_config: the optimiser's settings.
        batch: pairs per step.
        seed: the random seed.
        device: where to train.

    Returns:
        The trained model and its log, step 0 (loss NaN) included.
    """
    seed_global(seed, "initial weights")
    model = Seq2Seq(model_config).to(device)
    batches = streams.generator(seed, "batches")
    sources, targets = train.sources.to(device), train.targets.to(device)

    def loss_fn(_step: int) -> Tensor:
        index = torch.randint(len(train), (batch,), generator=batches).to(device)
        return batch_loss(model, sources[index], targets[index])

    history = [{"step": 0.0, "loss": math.nan, **evaluate(model)}]
    history += fit(model.parameters(), loss_fn, fit_config, evaluate=lambda: evaluate(model))
    return model, history
