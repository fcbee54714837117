r"""Sequence reversal: a seq2seq model trained with cross-entropy, BLEU or GLEU losses.

Introduced in the chapter "Sequence reversal" (appendix C of Casas et al. 2018). A
:class:`~beyond_mle.models.seq2seq.Seq2Seq` model learns to reverse the sentences of
:func:`~beyond_mle.tasks.reversal.reversal_corpus` under one of the training conditions of
:data:`CONDITIONS`, each a feeding mode of the decoder and a loss:

* ``"ce-teacher"``: token cross-entropy with teacher forcing (the decoder reads the gold
  previous token);
* ``"ce-free"``: token cross-entropy, the decoder running free on its own softmax (a soft input,
  differentiated through: backpropagation through the model's own predictions);
* ``"gleu-soft"`` / ``"bleu-soft"``: the GLEU or BLEU loss :math:`-\log(\mathrm{score} +
  \epsilon)` of :mod:`beyond_mle.bleu` on the softmax outputs of the same free-running decoder;
* ``"gleu-gumbel"`` / ``"bleu-gumbel"``: the decoder feeds itself straight-through
  Gumbel-softmax samples, which are also the loss's hypothesis.

Every condition is scored on held-out pairs by greedy free-running decoding: corpus BLEU and
GLEU (exact, NLTK's scores) and token accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from beyond_mle.bleu import bleu_loss, corpus_bleu, corpus_gleu, gleu_loss
from beyond_mle.models.seq2seq import Seq2Seq, Seq2SeqConfig
from beyond_mle.seq2seq_training import (
    decode_held_out,
    greedy_decode,
    token_accuracy,
    train_seq2seq,
)
from beyond_mle.tasks.reversal import EOS, PAD, ReversalCorpus, reversal_corpus
from beyond_mle.training import FitConfig

__all__ = [
    "CONDITIONS",
    "Condition",
    "ReversalConfig",
    "ReversalRun",
    "condition_loss",
    "evaluate_reversal",
    "example_reversals",
    "parse_conditions",
    "reversal_data",
    "run_reversal",
    "seen_in_training",
    "sentence_text",
    "train_condition",
]


@dataclass(frozen=True)
class Condition:
    """A training condition: how the decoder is fed and which loss it minimises.

    Attributes:
        feeding: a feeding mode of :class:`~beyond_mle.models.seq2seq.Seq2Seq`.
        loss: ``"ce"``, ``"bleu"`` or ``"gleu"``.
        label: a short description for figures and tables.
    """

    feeding: str
    loss: str
    label: str


#: The training conditions, by name.
CONDITIONS: dict[str, Condition] = {
    "ce-teacher": Condition("teacher", "ce", "CE, teacher forcing"),
    "ce-free": Condition("soft", "ce", "CE, free running (soft input)"),
    "gleu-soft": Condition("soft", "gleu", "GLEU loss, softmax"),
    "bleu-soft": Condition("soft", "bleu", "BLEU loss, softmax"),
    "gleu-gumbel": Condition("gumbel", "gleu", "GLEU loss, Gumbel ST"),
    "bleu-gumbel": Condition("gumbel", "bleu", "BLEU loss, Gumbel ST"),
}


def parse_conditions(conditions: str | Sequence[str]) -> list[str]:
    """Condition names from a comma-separated string (or a list), checked, in order.

    Example:
        >>> parse_conditions("ce-teacher, gleu-soft")
        ['ce-teacher', 'gleu-soft']
    """
    names = conditions.split(",") if isinstance(conditions, str) else list(conditions)
    names = [name.strip() for name in names if name.strip()]
    unknown = [name for name in names if name not in CONDITIONS]
    if unknown or not names or len(set(names)) != len(names):
        raise ValueError(
            f"conditions must be distinct names among {', '.join(CONDITIONS)}; got {conditions!r}"
        )
    return names


@dataclass(frozen=True)
class ReversalConfig:
    """The task, the model and the training of one sequence-reversal experiment.

    Attributes:
        vocab_size: tokens, PAD and EOS included (>= 3).
        min_len: the shortest sentence, in words (>= 1).
        max_len: the longest sentence, in words (>= min_len).
        embedding_size: the model's embedding width.
        hidden_size: the model's GRU width.
        batch: sentence pairs per training step.
        steps: Adam steps per condition.
        lr: Adam's learning rate.
        log_every: score the held-out pairs every this many steps.
        n_train: training pairs, drawn once.
        n_test: held-out pairs, drawn from another seed.
        gumbel_temperature: temperature of the Gumbel-softmax samples.
        clip_grad_norm: clip the gradients' global norm to this value.
    """

    vocab_size: int = 30
    min_len: int = 3
    max_len: int = 8
    embedding_size: int = 48
    hidden_size: int = 48
    batch: int = 32
    steps: int = 300
    lr: float = 3e-3
    log_every: int = 25
    n_train: int = 5000
    n_test: int = 200
    gumbel_temperature: float = 0.5
    clip_grad_norm: float = 5.0

    def __post_init__(self) -> None:
        bounds = {
            "vocab_size": 3,
            "min_len": 1,
            "embedding_size": 1,
            "hidden_size": 1,
            "batch": 1,
            "steps": 1,
            "log_every": 1,
            "n_train": 1,
            "n_test": 1,
        }
        for name, low in bounds.items():
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        if self.max_len < self.min_len:
            raise ValueError(f"max_len must be >= min_len = {self.min_len}, got {self.max_len}")
        for name in ("lr", "gumbel_temperature", "clip_grad_norm"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")


def reversal_data(config: ReversalConfig, seed: int) -> tuple[ReversalCorpus, ReversalCorpus]:
    """Training and held-out corpora, drawn from two different seeds (``seed`` and ``seed + 1``).

    Returns:
        ``(train, test)`` with ``n_train`` and ``n_test`` pairs.
    """
    sizes = dict(vocab_size=config.vocab_size, min_len=config.min_len, max_len=config.max_len)
    train = reversal_corpus(config.n_train, **sizes, generator=torch.Generator().manual_seed(seed))
    test = reversal_corpus(
        config.n_test, **sizes, generator=torch.Generator().manual_seed(seed + 1)
    )
    return train, test


def condition_loss(
    model: Seq2Seq,
    sources: Tensor,
    targets: Tensor,
    condition: str,
    *,
    temperature: float = 0.5,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""The training loss of one batch under ``condition``.

    .. math::
        \mathcal{L}_{\mathrm{CE}} = -\frac{1}{N} \sum_{b,t:\, y_{bt} \ne \mathrm{PAD}}
        \log \mathrm{softmax}(\mathrm{logits}_{bt})[y_{bt}], \qquad
        \mathcal{L}_{\mathrm{GLEU}} = -\log(\mathrm{GLEU}(q, y) + \epsilon)

    (:math:`N` the number of target words and EOS tokens; :math:`q` the distributions the decoder
    fed itself, the softmax or the Gumbel samples; BLEU as GLEU; Casas et al. 2018, appendix C.)

    Args:
        model: the seq2seq model.
        sources: token ids ``(batch, source_length)``.
        targets: token ids ``(batch, target_length)``: the reversed words, EOS, then PAD.
        condition: a name of :data:`CONDITIONS`.
        temperature: the Gumbel-softmax temperature.
        generator: the random source of the Gumbel noise.

    Returns:
        A scalar tensor.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {', '.join(CONDITIONS)}, got {condition!r}")
    spec = CONDITIONS[condition]
    out = model(
        sources, targets=targets, feeding=spec.feeding, temperature=temperature, generator=generator
    )
    if spec.loss == "ce":
        # (B, V, T) against (B, T); PAD only follows EOS, so it marks what is not the sentence
        return F.cross_entropy(out.logits.transpose(1, 2), targets, ignore_index=PAD)
    score_loss = gleu_loss if spec.loss == "gleu" else bleu_loss
    return score_loss(out.fed, targets, eos_id=EOS)  # corpus-level, on the batch


def evaluate_reversal(model: Seq2Seq, corpus: ReversalCorpus) -> dict[str, float]:
    """Held-out scores of greedy decoding: corpus BLEU, corpus GLEU (0 to 1) and token accuracy.

    Args:
        model: the seq2seq model.
        corpus: the pairs to score.

    Returns:
        ``{"bleu": ..., "gleu": ..., "accuracy": ...}``.
    """
    hyp, targets = decode_held_out(model, corpus)  # (N, T) each
    return {
        "bleu": corpus_bleu(hyp, targets, eos_id=EOS).item(),
        "gleu": corpus_gleu(hyp, targets, eos_id=EOS).item(),
        "accuracy": token_accuracy(hyp, targets, pad_id=PAD),
    }


@dataclass
class ReversalRun:
    """A trained model and its log.

    Attributes:
        condition: the condition's name.
        model: the trained model.
        history: one row per logged step (step 0 is the initial model): ``step``, ``loss``,
            ``bleu``, ``gleu``, ``accuracy``.
    """

    condition: str
    model: Seq2Seq
    history: list[dict[str, float]]


def train_condition(
    condition: str,
    train: ReversalCorpus,
    test: ReversalCorpus,
    config: ReversalConfig,
    *,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> ReversalRun:
    """Train a fresh model under ``condition`` and score it on ``test`` as training goes.

    The model's initial weights and the sequence of training batches depend on ``seed`` only,
    so that every condition starts from the same model and sees the same batches.

    Args:
        condition: a name of :data:`CONDITIONS`.
        train: the training pairs.
        test: the held-out pairs.
        config: sizes and training settings.
        seed: the random seed.
        device: where to train.

    Returns:
        The trained model and its log.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {', '.join(CONDITIONS)}, got {condition!r}")
    noise = torch.Generator(device=device).manual_seed(seed + 1)

    def batch_loss(model: Seq2Seq, sources: Tensor, targets: Tensor) -> Tensor:
        return condition_loss(
            model,
            sources,
            targets,
            condition,
            temperature=config.gumbel_temperature,
            generator=noise,
        )

    model, history = train_seq2seq(
        Seq2SeqConfig(
            vocab_size=config.vocab_size,
            embedding_size=config.embedding_size,
            hidden_size=config.hidden_size,
            eos_id=EOS,
            start_id=PAD,
        ),
        train,
        batch_loss,
        lambda model: evaluate_reversal(model, test),
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
    return ReversalRun(condition=condition, model=model, history=history)


def run_reversal(
    config: ReversalConfig,
    conditions: Sequence[str],
    *,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> dict[str, ReversalRun]:
    """Train every condition on the same data from the same initial model.

    Args:
        config: sizes and training settings.
        conditions: names of :data:`CONDITIONS`.
        seed: the random seed of the data, the initial weights, the batches and the noise.
        device: where to train.

    Returns:
        The runs, by condition name.
    """
    names = parse_conditions(conditions)
    train, test = reversal_data(config, seed)
    return {
        name: train_condition(name, train, test, config, seed=seed, device=device) for name in names
    }


def sentence_text(token_ids: Tensor) -> str:
    """One sentence's words up to its first EOS, as space-separated ids.

    Example:
        >>> sentence_text(torch.tensor([7, 3, 1, 0]))
        '7 3'
    """
    words = []
    for token in token_ids.tolist():
        if token == EOS:
            break
        words.append(str(token))
    return " ".join(words)


def example_reversals(
    runs: dict[str, ReversalRun], corpus: ReversalCorpus, n: int = 3
) -> list[dict[str, str]]:
    """The greedy outputs of every run on the first ``n`` pairs of ``corpus``.

    Returns:
        One row per pair: ``source``, ``target`` and one column per condition.
    """
    rows = [
        {"source": sentence_text(corpus.sources[i]), "target": sentence_text(corpus.targets[i])}
        for i in range(min(n, len(corpus)))
    ]
    for name, run in runs.items():
        device = next(run.model.parameters()).device
        sources = corpus.sources[: len(rows)].to(device)
        run.model.eval()
        hyp = greedy_decode(run.model, sources, corpus.targets.shape[1]).cpu()
        for row, ids in zip(rows, hyp, strict=True):
            row[name] = sentence_text(ids)
    return rows


def seen_in_training(train: ReversalCorpus, test: ReversalCorpus) -> float:
    """The fraction of held-out sources that also occur among the training sources."""
    seen = {tuple(row) for row in train.sources.tolist()}
    return sum(tuple(row) in seen for row in test.sources.tolist()) / len(test)
