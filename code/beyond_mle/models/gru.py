r"""A small GRU language model whose log-probability of a sequence is exact.

Introduced in the chapter "Scheduled sampling is improper", where it learns sequences of a
random Markov chain by maximum likelihood or scheduled sampling. A beginning-of-sequence token
starts every sequence, and the model factorises

.. math::
    Q(x) = \prod_{t=1}^{T} Q(x_t \mid x_{<t}), \qquad
    Q(\cdot \mid x_{<t}) = \mathrm{softmax}(W h_t + b), \qquad
    h_t = \mathrm{GRU}(E[x_{t-1}], h_{t-1}),

with :math:`x_0` the BOS token and :math:`h_0 = 0`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["GRULanguageModel"]


class GRULanguageModel(nn.Module):
    r"""A small GRU language model :math:`Q(x) = \prod_t Q(x_t \mid x_{<t})`.

    A beginning-of-sequence token (id ``V``) starts every sequence; an embedding, one GRU layer
    and a linear layer give the logits of the next token.

    Args:
        vocab: the tokens :math:`V` (the BOS token is added).
        embed: the embedding's size.
        hidden: the GRU's state size.

    Example:
        >>> lm = GRULanguageModel(5, embed=4, hidden=8)
        >>> lm.log_prob(torch.zeros(3, 6, dtype=torch.long)).shape
        torch.Size([3])
    """

    def __init__(self, vocab: int, *, embed: int = 16, hidden: int = 32) -> None:
        super().__init__()
        if min(vocab, embed, hidden) < 1:
            raise ValueError(f"vocab, embed and hidden must be >= 1, got {vocab, embed, hidden}")
        self.vocab = vocab
        self.embedding = nn.Embedding(vocab + 1, embed)
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    @property
    def bos(self) -> int:
        """The id of the beginning-of-sequence token."""
        return self.vocab

    def step(self, inputs: Tensor, state: Tensor | None) -> tuple[Tensor, Tensor]:
        """One step: ``inputs`` of shape ``(B,)`` to logits ``(B, V)`` and the new state."""
        out, state = self.gru(self.embedding(inputs)[:, None], state)  # (B, 1, H)
        return self.head(out[:, 0]), state

    def forward(self, tokens: Tensor) -> Tensor:
        """Teacher-forced logits of every position, ``(B, T)`` to ``(B, T, V)``."""
        bos = torch.full_like(tokens[:, :1], self.bos)
        out, _ = self.gru(self.embedding(torch.cat([bos, tokens[:, :-1]], 1)))  # (B, T, H)
        return self.head(out)

    def log_prob(self, tokens: Tensor) -> Tensor:
        """The exact :math:`\\log Q(x)` of each sequence, shape ``(B,)``."""
        log_q = F.log_softmax(self(tokens), -1)  # (B, T, V)
        return log_q.gather(-1, tokens[..., None])[..., 0].sum(-1)

    @torch.no_grad()
    def sample(self, n: int, length: int, *, generator: torch.Generator) -> Tensor:
        """``n`` free-running samples of ``length`` tokens, shape ``(n, length)``."""
        device = self.head.weight.device
        inputs = torch.full((n,), self.bos, dtype=torch.long, device=device)
        state, tokens = None, []
        for _ in range(length):
            logits, state = self.step(inputs, state)
            probs = torch.softmax(logits.double(), -1).cpu()
            inputs = torch.multinomial(probs, 1, generator=generator)[:, 0].to(device)
            tokens.append(inputs)
        return torch.stack(tokens, 1)
