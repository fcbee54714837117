r"""Token copying: free logits trained to reproduce fixed references with BLEU, GLEU or CE.

Introduced in the chapter "Token copying" (appendix B of Casas et al. 2018, after Zhukov and
Kretov 2017). The model has no input and no network: one free logit per sentence, position and
vocabulary entry, ``logits`` of shape ``(batch, length, vocab)``, initialised :math:`U(0, 1)`
as in the authors' script. Its token distributions are :math:`\mathrm{softmax}(\text{logits})`
and it is trained with Adam on one of three losses against references that stay fixed for the
whole run:

* ``"bleu"``: :math:`-\log(\mathrm{BLEU}_{\mathrm{soft}} + \epsilon)`, the corpus-level soft BLEU
  of :func:`beyond_mle.bleu.bleu_loss`;
* ``"gleu"``: the same with the soft GLEU of :func:`beyond_mle.bleu.gleu_loss`;
* ``"ce"``: token-level cross-entropy over the reference's words and its EOS, the baseline.

Progress is measured on the argmax sequences with the exact id path of
:func:`beyond_mle.bleu.corpus_bleu` and :func:`~beyond_mle.bleu.corpus_gleu` (NLTK's scores).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from beyond_mle.bleu import bleu_loss, corpus_bleu, corpus_gleu, gleu_loss
from beyond_mle.tasks.copying import EOS, copying_references
from beyond_mle.training import FitConfig, fit

__all__ = ["LOSSES", "argmax_scores", "copying_loss", "copying_sweep", "train_copying"]

#: The losses a copying run can train on.
LOSSES = ("ce", "bleu", "gleu")


def _check_loss(loss: str) -> None:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(map(repr, LOSSES))}; got {loss!r}")


def copying_loss(logits: Tensor, references: Tensor, loss: str, *, eos_id: int = EOS) -> Tensor:
    r"""The training loss of free logits against fixed references.

    .. math::
        \mathcal{L}_{\mathrm{BLEU}} = -\log(\mathrm{BLEU}(\mathrm{softmax}(z), r) + \epsilon),
        \qquad
        \mathcal{L}_{\mathrm{CE}} = -\frac{1}{\sum_b (\ell_b + 1)} \sum_b \sum_{i \le \ell_b}
        \log \mathrm{softmax}(z_{b,i})[r_{b,i}]

    (GLEU as BLEU; :math:`\ell_b` words then EOS in reference :math:`b`; Casas et al. 2018,
    appendix B).

    Args:
        logits: shape ``(batch, length, vocab)``.
        references: token ids ``(batch, length)``: words, EOS, then anything (ignored).
        loss: ``"ce"``, ``"bleu"`` or ``"gleu"``.
        eos_id: the end-of-sequence token.

    Returns:
        A scalar tensor.

    Example:
        >>> refs = torch.tensor([[2, 3, 4, 2, 1, 0]])  # four words, EOS, PAD
        >>> logits = 30.0 * torch.nn.functional.one_hot(refs, 5).double()
        >>> [abs(round(copying_loss(logits, refs, name).item(), 4)) for name in LOSSES]
        [0.0, 0.0, 0.0]
    """
    _check_loss(loss)
    if logits.dim() != 3 or references.shape != logits.shape[:2]:
        raise ValueError(
            "logits must have shape (batch, length, vocab) and references (batch, length); "
            f"got {tuple(logits.shape)} and {tuple(references.shape)}"
        )
    if loss == "ce":
        # positions after the first EOS are not part of the sentence: ignore them
        after_eos = (references == eos_id).long().cumsum(1) - (references == eos_id).long()
        targets = references.masked_fill(after_eos > 0, -100)  # (B, L)
        return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=-100)
    probs = torch.softmax(logits, dim=-1)  # (B, L, V)
    if loss == "bleu":
        return bleu_loss(probs, references, eos_id=eos_id)
    return gleu_loss(probs, references, eos_id=eos_id)


def argmax_scores(logits: Tensor, references: Tensor, *, eos_id: int = EOS) -> dict[str, float]:
    """Corpus BLEU and GLEU of the argmax sequences (exact, equal to NLTK's).

    Args:
        logits: shape ``(batch, length, vocab)``.
        references: token ids ``(batch, length)``.
        eos_id: the end-of-sequence token; sentences end before it.

    Returns:
        ``{"bleu": ..., "gleu": ...}`` as floats in ``[0, 1]``.
    """
    hyp = logits.argmax(-1)  # (B, L)
    return {
        "bleu": corpus_bleu(hyp, references, eos_id=eos_id).item(),
        "gleu": corpus_gleu(hyp, references, eos_id=eos_id).item(),
    }


def train_copying(
    references: Tensor,
    *,
    vocab_size: int,
    loss: str,
    steps: int,
    lr: float = 0.01,
    beta2: float = 0.98,
    log_every: int = 10,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
) -> list[dict[str, float]]:
    """Train free logits on one loss to copy ``references``; log the argmax scores.

    Args:
        references: token ids ``(batch, length)``, fixed for the whole run.
        vocab_size: the vocabulary (> every reference id).
        loss: ``"ce"``, ``"bleu"`` or ``"gleu"``.
        steps: Adam steps (>= 1).
        lr: Adam's learning rate (the authors': 0.01).
        beta2: Adam's second-moment decay (the authors': 0.98; beta1 is 0.9).
        log_every: score the argmax sequences every this many steps (and at step 0).
        generator: CPU generator of the :math:`U(0, 1)` initial logits.
        device: where to train.

    Returns:
        One row per logged step: ``step`` (0 is the initial logits), ``loss``, ``bleu``, ``gleu``.
    """
    _check_loss(loss)
    if references.dim() != 2:
        raise ValueError(
            f"references must have shape (batch, length), got {tuple(references.shape)}"
        )
    if int(references.max()) >= vocab_size:
        raise ValueError(f"vocab_size must exceed every reference id, got {vocab_size}")
    batch, length = references.shape
    logits = torch.rand(batch, length, vocab_size, generator=generator)  # U(0, 1)
    logits = logits.to(device).requires_grad_(True)
    refs = references.to(device)
    with torch.no_grad():
        first = {"step": 0.0, "loss": copying_loss(logits, refs, loss).item()}
        history = [{**first, **argmax_scores(logits, refs)}]
    config = FitConfig(
        steps=steps,
        lr=lr,
        betas=(0.9, beta2),
        log_every=log_every,
        desc=f"{loss} L={length} V={vocab_size}",
    )
    history += fit(
        [logits],
        lambda _step: copying_loss(logits, refs, loss),
        config,
        evaluate=lambda: argmax_scores(logits, refs),
    )
    return history


def copying_sweep(
    *,
    lengths: Sequence[int],
    vocabs: Sequence[int],
    batch: int,
    steps: int,
    lr: float = 0.01,
    beta2: float = 0.98,
    log_every: int = 10,
    losses: Sequence[str] = LOSSES,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> list[dict[str, float | str]]:
    """Train every loss on every (length, vocabulary) configuration.

    Within one configuration every loss starts from the same logits and copies the same
    references, drawn from ``seed``, so the curves differ only by the loss.

    Args:
        lengths: positions per sentence, each >= 7.
        vocabs: vocabulary sizes, each >= 3.
        batch: sentences per configuration.
        steps: Adam steps per run.
        lr: Adam's learning rate.
        beta2: Adam's second-moment decay.
        log_every: logging interval in steps.
        losses: the losses to train.
        seed: the random seed.
        device: where to train.

    Returns:
        One row per logged step of every run, with ``length``, ``vocab`` and ``objective``
        beside the columns of :func:`train_copying`.
    """
    for name in losses:
        _check_loss(name)
    rows: list[dict[str, float | str]] = []
    for length in lengths:
        for vocab in vocabs:
            refs = copying_references(
                batch,
                length=length,
                vocab_size=vocab,
                generator=torch.Generator().manual_seed(seed),
            )
            for name in losses:
                history = train_copying(
                    refs,
                    vocab_size=vocab,
                    loss=name,
                    steps=steps,
                    lr=lr,
                    beta2=beta2,
                    log_every=log_every,
                    generator=torch.Generator().manual_seed(seed + 1),
                    device=device,
                )
                rows += [
                    {"length": length, "vocab": vocab, "objective": name, **r} for r in history
                ]
    return rows
