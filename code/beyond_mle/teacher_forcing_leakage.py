r"""Teacher-forcing leakage: a sequence-level loss under teacher forcing rewards a shifted copy.

Introduced in the chapter "Teacher-forcing leakage" (section 3.4 of Casas et al. 2018). Under
teacher forcing the decoder's input at target step :math:`t` is the gold token :math:`y_{t-1}`.
A token-level loss (cross-entropy) scores each prediction against :math:`y_t` at its own position,
so echoing the input earns nothing. GLEU and BLEU count n-gram matches *anywhere* in the
sentence, so the shifted copy :math:`\hat y_t = y_{t-1}` matches every gold n-gram, one position
late, and scores nearly as well as the right answer while being trivial to compute. Decoding
freely, there is no gold prefix to copy, and the shifted copy collapses.

The task is the reversal corpus of :mod:`beyond_mle.tasks.reversal`; the model the decoder-only
:class:`beyond_mle.models.transformer.TransformerDecoder` over ``[source, SEP, target]``, with
``SEP`` an extra token id equal to the corpus' ``vocab_size``. Two models are trained with
:func:`beyond_mle.training.fit`: one on token cross-entropy, one on the GLEU loss of
straight-through Gumbel-softmax samples of its teacher-forced outputs (as in the authors'
fine-tuning script). The measurements are the leakage rate (:func:`leakage_rate`) and the exact
corpus BLEU and GLEU of the argmax predictions, teacher-forced and free-running.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from beyond_mle.bleu import corpus_bleu, corpus_gleu, gleu_loss
from beyond_mle.gumbel import gumbel_softmax
from beyond_mle.models.transformer import TransformerConfig, TransformerDecoder
from beyond_mle.tasks.reversal import EOS, PAD, ReversalCorpus
from beyond_mle.training import FitConfig, fit

__all__ = [
    "LOSSES",
    "LeakageRun",
    "evaluate_leakage",
    "free_running_decode",
    "leakage_loss",
    "leakage_rate",
    "make_model",
    "sentence_positions",
    "teacher_forced_inputs",
    "teacher_forced_logits",
    "train_leakage_model",
]

#: The training losses compared: token cross-entropy and the GLEU loss on Gumbel samples.
LOSSES = ("xent", "gleu")


def _check_pair(sources: Tensor, targets: Tensor) -> None:
    if sources.dim() != 2 or targets.dim() != 2 or sources.shape[0] != targets.shape[0]:
        raise ValueError(
            "sources and targets must be id tensors (batch, length) with the same batch; got "
            f"{tuple(sources.shape)} and {tuple(targets.shape)}"
        )


def make_model(
    vocab_size: int, max_len: int, *, n_layers: int, n_heads: int, width: int
) -> TransformerDecoder:
    """A decoder-only model for reversal pairs of up to ``max_len`` words.

    Its vocabulary is the corpus' ``vocab_size`` plus one ``SEP`` token (id ``vocab_size``);
    its block holds a source (``max_len + 1`` ids: words, EOS, PAD), SEP, and a target less
    its last token.
    """
    config = TransformerConfig(
        vocab_size=vocab_size + 1,
        block_size=2 * (max_len + 1),
        n_layers=n_layers,
        n_heads=n_heads,
        width=width,
        pad_id=PAD,
    )
    return TransformerDecoder(config)


def teacher_forced_inputs(sources: Tensor, targets: Tensor, sep_id: int) -> Tensor:
    """The decoder's input under teacher forcing: ``[source, SEP, target[:-1]]``.

    The model's logits at the last ``target.shape[1]`` positions predict ``target``: the one
    at SEP predicts ``target[0]``, the one at ``target[t - 1]`` predicts ``target[t]``.

    Args:
        sources: ids ``(B, S)``.
        targets: ids ``(B, L)``.
        sep_id: the separator token.

    Returns:
        Ids ``(B, S + L)``.

    Example:
        >>> teacher_forced_inputs(torch.tensor([[3, 4, 1]]), torch.tensor([[4, 3, 1]]), 9)
        tensor([[3, 4, 1, 9, 4, 3]])
    """
    _check_pair(sources, targets)
    sep = torch.full_like(sources[:, :1], sep_id)  # (B, 1)
    return torch.cat([sources, sep, targets[:, :-1]], dim=1)  # (B, S + L)


def teacher_forced_logits(model: TransformerDecoder, sources: Tensor, targets: Tensor) -> Tensor:
    """Logits of the target positions under teacher forcing.

    Args:
        model: the decoder-only model (its last token id is SEP).
        sources: ids ``(B, S)``.
        targets: gold ids ``(B, L)``; position ``t`` is fed ``targets[:, t - 1]``.

    Returns:
        Logits ``(B, L, V)``: row ``t`` predicts ``targets[:, t]``.
    """
    sep_id = model.config.vocab_size - 1
    inputs = teacher_forced_inputs(sources, targets, sep_id)  # (B, S + L)
    hidden = model.features(inputs)[:, sources.shape[1] :]  # (B, L, C): the target positions
    return model.head(hidden)  # (B, L, V)


def free_running_decode(model: TransformerDecoder, sources: Tensor, length: int) -> Tensor:
    """Greedy decoding: each step feeds back the model's own argmax instead of the gold token.

    Args:
        model: the decoder-only model (its last token id is SEP).
        sources: ids ``(B, S)``.
        length: target tokens to emit (>= 1).

    Returns:
        Ids ``(B, length)``.
    """
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    sep_id = model.config.vocab_size - 1
    sequence = torch.cat([sources, torch.full_like(sources[:, :1], sep_id)], dim=1)  # (B, S+1)
    for _ in range(length):
        last = model.features(sequence)[:, -1]  # (B, C)
        next_id = model.head(last).argmax(-1, keepdim=True)  # (B, 1)
        sequence = torch.cat([sequence, next_id], dim=1)  # (B, S + 1 + t)
    return sequence[:, sources.shape[1] + 1 :]  # (B, length)


def sentence_positions(lengths: Tensor, width: int) -> Tensor:
    """Target positions ``1 .. length`` (the last words and the EOS), ``(B, width)`` boolean.

    These are the positions where the previous gold token is a word of the sentence, so that
    "emit the token you were just fed" is defined and wrong (position 0 is fed SEP).
    """
    t = torch.arange(width, device=lengths.device)  # (L,)
    return (t >= 1) & (t <= lengths[:, None])  # (B, L)


def leakage_rate(predictions: Tensor, targets: Tensor, lengths: Tensor) -> Tensor:
    r"""How often prediction :math:`t` equals the gold token :math:`t - 1`.

    .. math::
        \mathrm{leak} = \frac{\sum_b \sum_{t=1}^{\ell_b} \mathbb{1}[\hat y_{b,t} = y_{b,t-1}]}
                             {\sum_b \ell_b}

    over the positions :math:`t = 1..\ell_b` of each sentence (its last :math:`\ell_b - 1`
    words and its EOS; :math:`\ell_b` words). On the gold sequence itself (a perfect model) it
    is the rate of repeated adjacent words, the level a model shows without any leakage.

    Args:
        predictions: ids ``(B, L)`` emitted at each target position.
        targets: gold ids ``(B, L)``: words, EOS, PAD.
        lengths: words per sentence ``(B,)``, each in ``[1, L - 1]``.

    Returns:
        A scalar float tensor in [0, 1].

    Example:
        >>> gold = torch.tensor([[5, 5, 3, 1, 0]])
        >>> leakage_rate(torch.tensor([[2, 5, 5, 3, 1]]), gold, torch.tensor([3])).item()
        1.0
        >>> round(leakage_rate(gold, gold, torch.tensor([3])).item(), 4)
        0.3333
    """
    _check_pair(predictions, targets)
    if predictions.shape != targets.shape or lengths.shape != targets.shape[:1]:
        raise ValueError(
            f"predictions {tuple(predictions.shape)}, targets {tuple(targets.shape)} and "
            f"lengths {tuple(lengths.shape)} must be (B, L), (B, L) and (B,)"
        )
    if lengths.numel() and not (lengths.min() >= 1 and lengths.max() <= targets.shape[1] - 1):
        raise ValueError(f"lengths must lie in [1, {targets.shape[1] - 1}]")
    inside = sentence_positions(lengths, targets.shape[1])[:, 1:]  # (B, L - 1): t = 1 .. L-1
    echoes = predictions[:, 1:] == targets[:, :-1]  # (B, L - 1): y_hat_t == y_{t-1}
    return (echoes & inside).sum() / inside.sum().clamp_min(1)


def leakage_loss(
    model: TransformerDecoder,
    sources: Tensor,
    targets: Tensor,
    loss: str,
    *,
    gumbel_temperature: float = 0.5,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""A teacher-forced training loss: token cross-entropy or the GLEU loss of Gumbel samples.

    .. math::
        \mathcal{L}_{\mathrm{xent}} = -\frac{1}{\sum_b (\ell_b + 1)} \sum_b \sum_{t=0}^{\ell_b}
            \log p_\theta(y_{b,t} \mid x_b, y_{b,<t}), \qquad
        \mathcal{L}_{\mathrm{GLEU}} = -\log\bigl(\mathrm{GLEU}(\tilde y, y) + \epsilon\bigr)

    where :math:`\tilde y_t` is a straight-through Gumbel-softmax sample (one-hot forward, soft
    gradient) of the teacher-forced :math:`p_\theta(\cdot \mid x, y_{<t})`, and GLEU is the
    corpus-level differentiable GLEU of :func:`beyond_mle.bleu.gleu_loss` (Casas et al. 2018,
    section 3.4).

    Args:
        model: the decoder-only model.
        sources: ids ``(B, S)``.
        targets: gold ids ``(B, L)``: words, EOS, PAD.
        loss: ``"xent"`` or ``"gleu"``.
        gumbel_temperature: the Gumbel-softmax temperature (> 0), GLEU only.
        generator: the random source of the Gumbel noise (on the model's device).

    Returns:
        A scalar tensor.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(map(repr, LOSSES))}; got {loss!r}")
    if not gumbel_temperature > 0:
        raise ValueError(f"gumbel_temperature must be > 0, got {gumbel_temperature}")
    logits = teacher_forced_logits(model, sources, targets)  # (B, L, V)
    if loss == "xent":  # PAD follows EOS only, so ignoring it keeps the words and the EOS
        return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=PAD)
    samples = gumbel_softmax(logits, gumbel_temperature, hard=True, generator=generator)
    return gleu_loss(samples, targets, eos_id=EOS)


def evaluate_leakage(
    model: TransformerDecoder, corpus: ReversalCorpus, *, chunk: int = 250
) -> dict[str, float]:
    """Leakage rate and exact corpus scores, teacher-forced and free-running, on ``corpus``.

    Args:
        model: the decoder-only model.
        corpus: held-out pairs.
        chunk: pairs run through the model at once (bounds the memory of the logits).

    Returns:
        ``leakage`` (teacher-forced :func:`leakage_rate`), ``chance`` (the same rate of the gold
        sequence), ``tf_accuracy`` (teacher-forced token accuracy over words and EOS),
        ``tf_bleu``/``tf_gleu`` (argmax of the teacher-forced outputs) and
        ``free_bleu``/``free_gleu``/``free_leakage`` (greedy decoding from the source alone;
        ``free_leakage`` compares with the gold prefix the model was *not* fed).
    """
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    device = next(model.parameters()).device
    sources, targets, lengths = (
        x.to(device) for x in (corpus.sources, corpus.targets, corpus.lengths)
    )
    tf_parts, free_parts = [], []
    with torch.no_grad():
        for start in range(0, len(corpus), chunk):
            src, tgt = sources[start : start + chunk], targets[start : start + chunk]
            tf_parts.append(teacher_forced_logits(model, src, tgt).argmax(-1))  # (n, L)
            free_parts.append(free_running_decode(model, src, tgt.shape[1]))  # (n, L)
    tf, free = torch.cat(tf_parts), torch.cat(free_parts)  # (N, L) each
    words_and_eos = targets != PAD  # (N, L)
    return {
        "leakage": leakage_rate(tf, targets, lengths).item(),
        "chance": leakage_rate(targets, targets, lengths).item(),
        "tf_accuracy": ((tf == targets) & words_and_eos).sum().item() / words_and_eos.sum().item(),
        "tf_bleu": corpus_bleu(tf, targets, eos_id=EOS).item(),
        "tf_gleu": corpus_gleu(tf, targets, eos_id=EOS).item(),
        "free_bleu": corpus_bleu(free, targets, eos_id=EOS).item(),
        "free_gleu": corpus_gleu(free, targets, eos_id=EOS).item(),
        "free_leakage": leakage_rate(free, targets, lengths).item(),
    }


@dataclass
class LeakageRun:
    """A trained model and its training log.

    Attributes:
        loss: ``"xent"`` or ``"gleu"``.
        model: the trained model.
        history: one dict per logged step: ``step``, ``loss`` and :func:`evaluate_leakage`'s
            values on the held-out corpus.
    """

    loss: str
    model: TransformerDecoder
    history: list[dict[str, float]]


def train_leakage_model(
    loss: str,
    train: ReversalCorpus,
    test: ReversalCorpus,
    *,
    vocab_size: int,
    max_len: int,
    n_layers: int = 2,
    n_heads: int = 2,
    width: int = 32,
    batch: int = 32,
    steps: int = 300,
    lr: float = 3e-3,
    log_every: int = 25,
    gumbel_temperature: float = 1.0,
    clip_grad_norm: float | None = 1.0,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> LeakageRun:
    """Train a decoder-only model with teacher forcing on ``loss``; log held-out measurements.

    The initial weights depend on ``seed`` only (not on ``loss``), so both runs start from the
    same model; batches are drawn with replacement from ``train``.

    Args:
        loss: ``"xent"`` or ``"gleu"``.
        train: the training pairs.
        test: held-out pairs (a separate seed), scored by :func:`evaluate_leakage`.
        vocab_size: the corpus vocabulary (PAD and EOS included).
        max_len: the corpus' longest sentence in words.
        n_layers: Transformer blocks.
        n_heads: attention heads.
        width: embedding size.
        batch: pairs per step.
        steps: optimisation steps.
        lr: Adam's learning rate.
        log_every: evaluate every this many steps.
        gumbel_temperature: the Gumbel-softmax temperature of the GLEU loss.
        clip_grad_norm: clip the gradients' global norm to this, or ``None``.
        seed: initial weights, batches and Gumbel noise.
        device: where to train.

    Returns:
        The :class:`LeakageRun`.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(map(repr, LOSSES))}; got {loss!r}")
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    if not gumbel_temperature > 0:
        raise ValueError(f"gumbel_temperature must be > 0, got {gumbel_temperature}")
    if train.sources.shape[1] != max_len + 1:
        raise ValueError(f"the corpus' width {train.sources.shape[1]} is not max_len + 1")
    device = torch.device(device)
    torch.manual_seed(seed)
    model = make_model(vocab_size, max_len, n_layers=n_layers, n_heads=n_heads, width=width)
    model = model.to(device)
    batches = torch.Generator().manual_seed(seed + 1)
    noise = torch.Generator(device).manual_seed(seed + 2)
    sources, targets = train.sources.to(device), train.targets.to(device)

    def step_loss(step: int) -> Tensor:
        index = torch.randint(len(train), (batch,), generator=batches).to(device)  # (B,)
        return leakage_loss(
            model,
            sources[index],
            targets[index],
            loss,
            gumbel_temperature=gumbel_temperature,
            generator=noise,
        )

    config = FitConfig(
        steps=steps,
        lr=lr,
        log_every=log_every,
        clip_grad_norm=clip_grad_norm,
        desc=f"{loss} (teacher forcing)",
    )
    history = fit(
        model.parameters(), step_loss, config, evaluate=lambda: evaluate_leakage(model, test)
    )
    return LeakageRun(loss=loss, model=model, history=history)
