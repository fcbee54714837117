r"""A sequence-to-sequence model with a bidirectional GRU encoder and additive attention.

Introduced in the chapter "Sequence reversal" (appendix C of Casas et al. 2018), after
Bahdanau, Cho and Bengio (2015). One embedding table serves source and target (the reversal
task's two sides use one vocabulary; sharing the table is the book's choice, which the paper does
not discuss).

**Encoder.** A bidirectional GRU reads the embedded source up to and including its first EOS;
the positions after it are padding, packed away so that they reach no state, whatever their ids.
Its annotations are :math:`h_j = [\overrightarrow{h}_j; \overleftarrow{h}_j]`.

**Attention** (eq. 6 of Bahdanau et al.). With the previous decoder state :math:`s_{t-1}`,

.. math::
    e_{tj} = v^\top \tanh(W s_{t-1} + U h_j), \qquad
    \alpha_{tj} = \frac{\exp e_{tj}}{\sum_{k \in \text{source}} \exp e_{tk}}, \qquad
    c_t = \sum_j \alpha_{tj} h_j ,

where padded source positions get :math:`e_{tj} = -\infty` (weight 0).

**Decoder.** :math:`s_t = \mathrm{GRU}([x_t; c_t], s_{t-1})` and
:math:`\mathrm{logits}_t = W_o \tanh(W_r [s_t; c_t; x_t])`, where the input :math:`x_t` is the
embedding of a distribution :math:`q_{t-1}` over the vocabulary, :math:`x_t = q_{t-1} E`
(:math:`E` the embedding matrix; :math:`q_{-1}` is the one-hot start token). What
:math:`q_{t-1}` is depends on the feeding mode (:data:`FEEDING`):

* ``"teacher"``: the one-hot gold token :math:`y_{t-1}` (teacher forcing);
* ``"soft"``: the model's own softmax, :math:`\mathrm{softmax}(\mathrm{logits}_{t-1})`, a soft
  input through which gradients flow (backpropagation through the model's own predictions);
* ``"gumbel"``: a straight-through Gumbel-softmax sample of :math:`\mathrm{logits}_{t-1}`
  (one-hot forward, the soft sample's gradient backward);
* ``"greedy"``: the one-hot argmax of :math:`\mathrm{logits}_{t-1}` (greedy decoding; no
  gradient passes through the choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from beyond_mle.gumbel import gumbel_softmax

__all__ = ["FEEDING", "Seq2Seq", "Seq2SeqConfig", "Seq2SeqOutput", "source_mask"]

#: How the decoder makes its next input from its previous output.
FEEDING = ("teacher", "soft", "gumbel", "greedy")


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Sizes and special tokens of :class:`Seq2Seq`.

    Attributes:
        vocab_size: tokens shared by source and target (>= 3).
        embedding_size: width of the token embeddings (the paper: 256).
        hidden_size: width of each encoder direction and of the decoder state (the paper: 256).
        attention_size: width of the additive attention's hidden layer; ``None``: hidden_size.
        eos_id: the end-of-sequence token; source positions after the first one are padding.
        start_id: the token fed at the first decoder step.
    """

    vocab_size: int
    embedding_size: int = 256
    hidden_size: int = 256
    attention_size: int | None = None
    eos_id: int = 1
    start_id: int = 0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "embedding_size", "hidden_size"):
            value = getattr(self, name)
            low = 3 if name == "vocab_size" else 1
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if self.attention_size is not None and self.attention_size < 1:
            raise ValueError(f"attention_size must be >= 1 or None, got {self.attention_size}")
        for name in ("eos_id", "start_id"):
            value = getattr(self, name)
            if not 0 <= value < self.vocab_size:
                raise ValueError(f"{name} must lie in [0, {self.vocab_size - 1}], got {value}")


@dataclass(frozen=True)
class Seq2SeqOutput:
    """What :meth:`Seq2Seq.forward` returns.

    Attributes:
        logits: shape ``(batch, target_length, vocab)``; row ``t`` predicts target token ``t``.
        fed: shape ``(batch, target_length, vocab)``; row ``t`` is the distribution the decoder
            made of its output at step ``t``, fed as the input of step ``t + 1`` (for teacher
            forcing, the one-hot gold token ``t``).
        attention: shape ``(batch, target_length, source_length)``, the weights
            :math:`\\alpha_{tj}`.
    """

    logits: Tensor
    fed: Tensor
    attention: Tensor


def source_mask(source: Tensor, eos_id: int) -> Tensor:
    """Which source positions belong to the sentence: up to and including the first EOS.

    Args:
        source: token ids ``(batch, source_length)``; every row holds an EOS, or is all
            sentence.

    Returns:
        A boolean tensor of the same shape.

    Example:
        >>> source_mask(torch.tensor([[5, 4, 1, 0, 7]]), eos_id=1).tolist()
        [[True, True, True, False, False]]
    """
    is_eos = (source == eos_id).long()  # (B, S)
    eos_before = is_eos.cumsum(1) - is_eos  # EOS strictly before each position
    return eos_before == 0


class Seq2Seq(nn.Module):
    """Bidirectional GRU encoder, additive attention, GRU decoder with four feeding modes.

    Example:
        >>> model = Seq2Seq(Seq2SeqConfig(vocab_size=7, embedding_size=8, hidden_size=8))
        >>> source = torch.tensor([[3, 4, 1, 0], [5, 1, 0, 0]])
        >>> out = model(source, target_length=3, feeding="greedy")
        >>> tuple(out.logits.shape), tuple(out.fed.shape), tuple(out.attention.shape)
        ((2, 3, 7), (2, 3, 7), (2, 3, 4))
    """

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = config
        v, e, h = config.vocab_size, config.embedding_size, config.hidden_size
        a = config.attention_size or h
        self.embedding = nn.Embedding(v, e)
        self.encoder = nn.GRU(e, h, batch_first=True, bidirectional=True)
        self.init_state = nn.Linear(2 * h, h)  # s_0 from the encoder's final states
        self.attn_query = nn.Linear(h, a, bias=False)  # W
        self.attn_keys = nn.Linear(2 * h, a)  # U (and the bias)
        self.attn_score = nn.Linear(a, 1, bias=False)  # v
        self.decoder = nn.GRUCell(e + 2 * h, h)
        self.readout = nn.Linear(h + 2 * h + e, h)  # W_r
        self.output = nn.Linear(h, v)  # W_o

    def encode(self, source: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Annotations, source mask and the decoder's first state.

        Args:
            source: token ids ``(batch, source_length)``.

        Returns:
            ``annotations`` ``(batch, source_length, 2 * hidden)`` (zero at padding), ``mask``
            ``(batch, source_length)`` and ``state`` ``(batch, hidden)``.
        """
        mask = source_mask(source, self.config.eos_id)  # (B, S)
        lengths = mask.sum(1)  # (B,)
        embedded = self.embedding(source)  # (B, S, E)
        packed = pack_padded_sequence(
            embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        annotations, final = self.encoder(packed)  # final: (2, B, H), forward and backward
        annotations, _ = pad_packed_sequence(
            annotations, batch_first=True, total_length=source.shape[1]
        )  # (B, S, 2H)
        state = torch.tanh(self.init_state(torch.cat([final[0], final[1]], dim=-1)))  # (B, H)
        return annotations, mask, state

    def attend(
        self, state: Tensor, keys: Tensor, annotations: Tensor, mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        """One step of additive attention: context :math:`c_t` and weights :math:`\\alpha_t`.

        Args:
            state: the previous decoder state :math:`s_{t-1}`, ``(batch, hidden)``.
            keys: :math:`U h_j` for every source position, ``(batch, source_length, attention)``.
            annotations: :math:`h_j`, ``(batch, source_length, 2 * hidden)``.
            mask: ``(batch, source_length)``, True inside the source sentence.

        Returns:
            ``context`` ``(batch, 2 * hidden)`` and ``weights`` ``(batch, source_length)``.
        """
        query = self.attn_query(state).unsqueeze(1)  # W s_{t-1}: (B, 1, A)
        energies = self.attn_score(torch.tanh(query + keys)).squeeze(-1)  # e_tj: (B, S)
        energies = energies.masked_fill(~mask, float("-inf"))  # padding gets weight 0
        weights = torch.softmax(energies, dim=-1)  # alpha_tj: (B, S)
        context = torch.bmm(weights.unsqueeze(1), annotations).squeeze(1)  # c_t: (B, 2H)
        return context, weights

    def forward(
        self,
        source: Tensor,
        *,
        target_length: int | None = None,
        targets: Tensor | None = None,
        feeding: str = "teacher",
        temperature: float = 0.5,
        generator: torch.Generator | None = None,
    ) -> Seq2SeqOutput:
        """Decode ``target_length`` steps (``targets.shape[1]`` when targets are given).

        Args:
            source: token ids ``(batch, source_length)``, each row ending with EOS then padding.
            target_length: the number of decoder steps (>= 1); needed without ``targets``.
            targets: gold token ids ``(batch, target_length)``; required for ``"teacher"``.
            feeding: ``"teacher"``, ``"soft"``, ``"gumbel"`` or ``"greedy"`` (:data:`FEEDING`).
            temperature: the Gumbel-softmax temperature (``"gumbel"`` only; > 0).
            generator: the random source of the Gumbel noise.

        Returns:
            A :class:`Seq2SeqOutput` with logits, fed distributions and attention weights.
        """
        if feeding not in FEEDING:
            raise ValueError(f"feeding must be one of {FEEDING}, got {feeding!r}")
        if feeding == "teacher" and targets is None:
            raise ValueError("feeding 'teacher' needs targets (batch, target_length)")
        if source.dim() != 2:
            raise ValueError(f"source must be (batch, source_length), got {tuple(source.shape)}")
        steps = targets.shape[1] if targets is not None else target_length
        if steps is None or steps < 1:
            raise ValueError(f"target_length must be >= 1, got {steps}")
        if targets is not None and targets.shape[0] != source.shape[0]:
            raise ValueError(
                f"targets hold {targets.shape[0]} rows but source holds {source.shape[0]}"
            )
        if feeding == "gumbel" and not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")

        annotations, mask, state = self.encode(source)  # (B, S, 2H), (B, S), (B, H)
        keys = self.attn_keys(annotations)  # U h_j: (B, S, A), computed once
        table = self.embedding.weight  # E: (V, E)
        batch, vocab = source.shape[0], self.config.vocab_size
        start = torch.full((batch,), self.config.start_id, device=source.device)
        x = self.embedding(start)  # x_0: (B, E)
        logits, fed, attention = [], [], []
        for t in range(steps):
            context, weights = self.attend(state, keys, annotations, mask)  # (B, 2H), (B, S)
            state = self.decoder(torch.cat([x, context], dim=-1), state)  # s_t: (B, H)
            hidden = torch.tanh(self.readout(torch.cat([state, context, x], dim=-1)))  # (B, H)
            step_logits = self.output(hidden)  # (B, V)
            if feeding in ("teacher", "greedy"):
                if feeding == "teacher":
                    assert targets is not None  # checked above
                    token = targets[:, t]  # (B,)
                else:
                    token = step_logits.argmax(-1)  # (B,)
                q = F.one_hot(token, vocab).to(step_logits.dtype)  # (B, V)
                x = self.embedding(token)  # = q @ E, by lookup: (B, E)
            else:
                if feeding == "soft":
                    q = torch.softmax(step_logits, dim=-1)  # (B, V), differentiable
                else:  # straight-through: one-hot forward, soft sample's gradient backward
                    q = gumbel_softmax(step_logits, temperature, hard=True, generator=generator)
                x = q @ table  # the next input, the embedding of q: (B, E)
            logits.append(step_logits)
            fed.append(q)
            attention.append(weights)
        return Seq2SeqOutput(
            logits=torch.stack(logits, dim=1),  # (B, T, V)
            fed=torch.stack(fed, dim=1),  # (B, T, V)
            attention=torch.stack(attention, dim=1),  # (B, T, S)
        )
