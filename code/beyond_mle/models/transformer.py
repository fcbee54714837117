r"""A small Transformer decoder (Vaswani et al. 2017) that reads token ids or token distributions.

Introduced in the chapter "Teacher-forcing leakage" (section 3.4 of Casas et al. 2018). One
readable file in the manner of nanoGPT: learned token and position embeddings, pre-LayerNorm
blocks of causal multi-head self-attention and an MLP, a final LayerNorm and a linear head.

Sequence-to-sequence tasks use it *decoder-only*, over the concatenation
``[source, SEP, target]`` with the loss on the target part only. This is the simpler of the two
correct designs: one stack and one mask instead of an encoder, a decoder and cross-attention,
and every target position can still attend to every source token, because the whole source lies
before it. What the chapter studies (what a target position sees of the gold prefix) is the same
in both designs.

The input embedding accepts either integer ids ``(B, T)`` or distributions over the vocabulary
``(B, T, V)``, embedded as ``probs @ wte.weight``: on one-hot rows this is exactly the embedding
of the ids, so teacher forcing with gold tokens and free-running decoding that feeds back the
model's own (soft or straight-through Gumbel) outputs run through the same module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = [
    "Block",
    "CausalSelfAttention",
    "TransformerConfig",
    "TransformerDecoder",
    "attention_mask",
]


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes of a :class:`TransformerDecoder`.

    Attributes:
        vocab_size: tokens the model reads and predicts (>= 2).
        block_size: the longest sequence, for the position embeddings (>= 1).
        n_layers: Transformer blocks (>= 1).
        n_heads: attention heads per block (>= 1, dividing ``width``).
        width: the embedding size (>= 1).
        pad_id: the padding token: no position attends to it (except itself); ``None``: none.
    """

    vocab_size: int
    block_size: int
    n_layers: int = 2
    n_heads: int = 2
    width: int = 32
    pad_id: int | None = 0

    def __post_init__(self) -> None:
        for name, low in (("vocab_size", 2), ("block_size", 1), ("n_layers", 1), ("n_heads", 1)):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        if self.width < 1 or self.width % self.n_heads:
            raise ValueError(
                f"width must be a positive multiple of n_heads={self.n_heads}, got {self.width}"
            )
        if self.pad_id is not None and not 0 <= self.pad_id < self.vocab_size:
            raise ValueError(f"pad_id must lie in [0, {self.vocab_size}), got {self.pad_id}")


def attention_mask(padding: Tensor) -> Tensor:
    """Which keys each query may attend to: earlier or equal positions that are not padding.

    A query always sees itself, so that no row of the attention is empty (a padding query's
    output is then meaningless but finite, and the losses ignore it).

    Args:
        padding: ``True`` at padding positions, shape ``(B, T)``.

    Returns:
        Boolean, shape ``(B, 1, T, T)``: ``[b, 0, query, key]`` is ``True`` where allowed.

    Example:
        >>> attention_mask(torch.tensor([[False, True, False]]))[0, 0].int().tolist()
        [[1, 0, 0], [1, 1, 0], [1, 0, 1]]
    """
    T = padding.shape[1]
    causal = torch.ones(T, T, dtype=torch.bool, device=padding.device).tril()  # (T, T)
    keys = ~padding[:, None, None, :]  # (B, 1, 1, T)
    itself = torch.eye(T, dtype=torch.bool, device=padding.device)  # (T, T)
    return causal & (keys | itself)  # (B, 1, T, T)


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention under a causal and padding mask."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.n_heads = config.n_heads
        self.qkv = nn.Linear(config.width, 3 * config.width)
        self.proj = nn.Linear(config.width, config.width)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        B, T, C = x.shape
        hs = C // self.n_heads
        q, k, v = self.qkv(x).split(C, dim=2)  # 3 x (B, T, C)
        q = q.view(B, T, self.n_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # (B, nh, T, T)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)  # mask: (B, 1, T, T)
        y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).reshape(B, T, C)  # (B, T, C): heads side by side
        return self.proj(y)


class Block(nn.Module):
    """A pre-LayerNorm block: ``x + attn(ln(x))``, then ``x + mlp(ln(x))``."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.width)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.width)
        self.mlp = nn.Sequential(
            nn.Linear(config.width, 4 * config.width),
            nn.GELU(),
            nn.Linear(4 * config.width, config.width),
        )

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x), mask)  # (B, T, C)
        return x + self.mlp(self.ln_2(x))  # (B, T, C)


class TransformerDecoder(nn.Module):
    """A causal Transformer language model over ids or token distributions.

    Args:
        config: the sizes.

    Example:
        >>> model = TransformerDecoder(TransformerConfig(vocab_size=7, block_size=5))
        >>> ids = torch.tensor([[2, 3, 4, 1, 0]])
        >>> model(ids).shape
        torch.Size([1, 5, 7])
        >>> one_hot = torch.nn.functional.one_hot(ids, 7).float()
        >>> torch.allclose(model(one_hot, padding=ids == 0), model(ids), atol=1e-6)
        True
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.width)  # token embeddings
        self.wpe = nn.Embedding(config.block_size, config.width)  # learned positions
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
        self.ln_f = nn.LayerNorm(config.width)
        self.head = nn.Linear(config.width, config.vocab_size, bias=False)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def embed(self, inputs: Tensor) -> Tensor:
        """Token embeddings of ids ``(B, T)`` or of distributions ``(B, T, V)``: ``(B, T, C)``."""
        if inputs.dtype in (torch.int64, torch.int32):
            return self.wte(inputs)
        return inputs.to(self.wte.weight.dtype) @ self.wte.weight  # (B, T, V) @ (V, C)

    def features(self, inputs: Tensor, *, padding: Tensor | None = None) -> Tensor:
        """The final hidden states, after the last LayerNorm: ``(B, T, C)``.

        Arguments as in :meth:`forward`; ``head(features)`` are the logits. Decoding one step
        at a time applies the head to the last position only.
        """
        config = self.config
        is_ids = inputs.dtype in (torch.int64, torch.int32)
        if inputs.dim() != (2 if is_ids else 3):
            raise ValueError(
                f"inputs must be ids (B, T) or distributions (B, T, V); got {tuple(inputs.shape)}"
            )
        B, T = inputs.shape[:2]
        if not 1 <= T <= config.block_size:
            raise ValueError(f"sequence length must lie in [1, {config.block_size}], got {T}")
        if not is_ids and inputs.shape[2] != config.vocab_size:
            raise ValueError(
                f"distributions must have {config.vocab_size} entries, got {inputs.shape[2]}"
            )
        if padding is None:
            if is_ids and config.pad_id is not None:
                padding = inputs == config.pad_id
            else:
                padding = torch.zeros(B, T, dtype=torch.bool, device=inputs.device)
        mask = attention_mask(padding)  # (B, 1, T, T)
        positions = torch.arange(T, device=inputs.device)  # (T,)
        x = self.embed(inputs) + self.wpe(positions)  # (B, T, C)
        for block in self.blocks:
            x = block(x, mask)  # (B, T, C)
        return self.ln_f(x)  # (B, T, C)

    def forward(self, inputs: Tensor, *, padding: Tensor | None = None) -> Tensor:
        """Next-token logits at every position.

        Args:
            inputs: token ids ``(B, T)`` or distributions over the vocabulary ``(B, T, V)``
                (one-hot rows for hard tokens; soft or straight-through samples otherwise).
            padding: ``True`` at padding positions ``(B, T)``; by default, for ids, where they
                equal ``config.pad_id``, and for distributions, nowhere.

        Returns:
            Logits ``(B, T, V)``; position ``t`` depends on ``inputs[:, : t + 1]`` only.
        """
        return self.head(self.features(inputs, padding=padding))  # (B, T, V)
