r"""An LSTM language model: the oracle, generator and mediator of the synthetic Turing test.

Introduced in the chapter "Cooperative training". The model reads a start token, then its own
tokens, and predicts the next one:

.. math::
    x_0 = E[\text{start}], \quad x_t = E[s_{t-1}], \qquad
    (h_t, c_t) = \mathrm{LSTM}(x_t, (h_{t-1}, c_{t-1})), \qquad
    \pi(\cdot \mid s_{<t}) = \mathrm{softmax}(h_t W_{\text{out}} + b_{\text{out}}),

with :math:`h_0 = c_0 = 0` and no end token: every sequence has exactly ``length`` tokens (the
setting of SeqGAN's synthetic benchmark, Yu et al. 2017, section 5.1, reused by Texygen and by
CoT, Lu et al. 2019, section 5.1). The start token is a vocabulary token (id 0), embedded like
any other.

**The oracle.** The benchmark's oracle is such a model with vocabulary 5,000, embedding and hidden
size 32, all parameters drawn from :math:`\mathcal N(0, 1)`. :func:`load_oracle` reads its
parameters (the file ``seqgan_oracle_lstm.npz``, looked up by :func:`oracle_file`) and maps the
gates onto ``torch.nn.LSTM``: the file's row-vector gates ``sigmoid(x W_i + h U_i + b_i)`` in the
order input, forget, output, candidate become PyTorch's column-weight stack in the order input,
forget, candidate (``g``), output, with the second bias set to zero. :func:`random_oracle` draws a
seeded oracle of any shape the same way, for readers without the file.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, overload

import numpy as np
import torch
from torch import Tensor, nn

from beyond_mle import streams
from beyond_mle.paths import find_root

__all__ = [
    "ORACLE_FILE_NAME",
    "ORACLE_VARIABLE",
    "LSTMConfig",
    "LSTMLanguageModel",
    "load_oracle",
    "make_oracle",
    "normal_init_",
    "oracle_file",
    "random_oracle",
    "sample_categorical",
]

#: The file of the benchmark oracle's parameters (never committed with the book).
ORACLE_FILE_NAME = "seqgan_oracle_lstm.npz"

#: The environment variable that points at the oracle file.
ORACLE_VARIABLE = "BEYOND_MLE_ORACLE"

#: The benchmark oracle's shape: vocabulary, embedding and hidden size.
_ORACLE_SHAPE = (5000, 32, 32)

#: The file's gate names in PyTorch's stacking order: input, forget, candidate (g), output.
_TORCH_GATES = ("i", "f", "c", "o")


def sample_categorical(logits: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
    """One token per row of ``logits`` ``(batch, vocab)``, by inverting the cumulative sum.

    A uniform draw :math:`u` picks the first token whose cumulative probability reaches it; on
    the CPU this is many times faster than ``torch.multinomial`` for a wide vocabulary.

    Args:
        logits: ``(batch, vocab)``.
        generator: the random source (on the logits' device).

    Returns:
        Token ids ``(batch,)``.

    Example:
        >>> logits = torch.tensor([[0.0, -1e9, -1e9], [-1e9, -1e9, 0.0]])
        >>> sample_categorical(logits, generator=torch.Generator().manual_seed(0)).tolist()
        [0, 2]
    """
    cdf = torch.softmax(logits.float(), dim=-1).cumsum(-1)  # (B, V)
    u = torch.rand(logits.shape[0], 1, generator=generator, device=logits.device)  # (B, 1)
    token = torch.searchsorted(cdf, u * cdf[:, -1:])  # first index with cdf >= u
    return token.squeeze(1).clamp_max(logits.shape[-1] - 1)


@dataclass(frozen=True)
class LSTMConfig:
    """Sizes of :class:`LSTMLanguageModel`.

    Attributes:
        vocab_size: tokens (>= 2); the start token is one of them.
        embedding_size: width of the token embeddings (the oracle and generator: 32; the
            mediator of CoT: 64).
        hidden_size: width of the LSTM state (the same).
        start_id: the token fed as the first input.
    """

    vocab_size: int = 5000
    embedding_size: int = 32
    hidden_size: int = 32
    start_id: int = 0

    def __post_init__(self) -> None:
        for name, low in (("vocab_size", 2), ("embedding_size", 1), ("hidden_size", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if not 0 <= self.start_id < self.vocab_size:
            raise ValueError(
                f"start_id must lie in [0, {self.vocab_size - 1}], got {self.start_id}"
            )


class LSTMLanguageModel(nn.Module):
    """Embedding, a one-layer ``nn.LSTM`` and an output layer over the vocabulary.

    Example:
        >>> model = LSTMLanguageModel(LSTMConfig(vocab_size=7, embedding_size=4, hidden_size=5))
        >>> tokens = model.sample(3, 6, generator=torch.Generator().manual_seed(0))
        >>> tuple(tokens.shape), tuple(model(tokens).shape)
        ((3, 6), (3, 6, 7))
        >>> tuple(model.sequence_log_prob(tokens).shape)
        (3,)
    """

    def __init__(self, config: LSTMConfig) -> None:
        super().__init__()
        self.config = config
        v, e, h = config.vocab_size, config.embedding_size, config.hidden_size
        self.embedding = nn.Embedding(v, e)
        self.lstm = nn.LSTM(e, h, batch_first=True)
        self.output = nn.Linear(h, v)

    def _inputs(self, token_ids: Tensor) -> Tensor:
        """The tokens each position reads: start, then the sequence shifted right, (B, T)."""
        if token_ids.dim() != 2 or token_ids.shape[1] < 1:
            raise ValueError(
                f"token_ids must be (batch, length >= 1), got {tuple(token_ids.shape)}"
            )
        start = token_ids.new_full((token_ids.shape[0], 1), self.config.start_id)
        return torch.cat([start, token_ids[:, :-1]], dim=1)

    def forward(self, token_ids: Tensor) -> Tensor:
        """Teacher-forced logits: row ``t`` is the distribution of token ``t`` given ``s_<t``.

        Args:
            token_ids: ``(batch, length)``.

        Returns:
            Logits ``(batch, length, vocab)``.
        """
        return self.output(self.hidden(token_ids))  # (B, T, V)

    def hidden(self, token_ids: Tensor) -> Tensor:
        """The LSTM's outputs :math:`h_t` before the output layer, ``(batch, length, hidden)``."""
        hidden, _ = self.lstm(self.embedding(self._inputs(token_ids)))  # (B, T, H)
        return hidden

    def token_log_probs(self, token_ids: Tensor) -> Tensor:
        """:math:`\\log \\pi(s_t \\mid s_{<t})` of every token, shape ``(batch, length)``."""
        log_probs = torch.log_softmax(self(token_ids), dim=-1)  # (B, T, V)
        return log_probs.gather(-1, token_ids.unsqueeze(-1)).squeeze(-1)

    def sequence_log_prob(self, token_ids: Tensor) -> Tensor:
        """:math:`\\log \\pi(s) = \\sum_t \\log \\pi(s_t \\mid s_{<t})`, shape ``(batch,)``."""
        return self.token_log_probs(token_ids).sum(-1)

    @torch.no_grad()
    def nll(self, token_ids: Tensor, batch_size: int = 1024) -> float:
        """The mean negative log-likelihood per token of ``token_ids``, in nats, in batches."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        total = 0.0
        for chunk in token_ids.split(batch_size):
            total -= self.token_log_probs(chunk).sum().item()
        return total / token_ids.numel()

    def step(
        self, token_ids: Tensor, state: tuple[Tensor, Tensor] | None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """One step: read ``token_ids`` ``(batch,)``, return the next logits ``(batch, vocab)``."""
        hidden, state = self.lstm(self.embedding(token_ids).unsqueeze(1), state)  # (B, 1, H)
        return self.output(hidden.squeeze(1)), state

    @overload
    def sample(
        self,
        batch: int,
        length: int,
        *,
        generator: torch.Generator | None = None,
        return_logits: Literal[False] = False,
    ) -> Tensor: ...

    @overload
    def sample(
        self,
        batch: int,
        length: int,
        *,
        generator: torch.Generator | None = None,
        return_logits: Literal[True],
    ) -> tuple[Tensor, Tensor]: ...

    @overload
    def sample(
        self,
        batch: int,
        length: int,
        *,
        generator: torch.Generator | None = None,
        return_logits: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]: ...

    def sample(
        self,
        batch: int,
        length: int,
        *,
        generator: torch.Generator | None = None,
        return_logits: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Draw ``batch`` sequences of ``length`` tokens by ancestral sampling.

        Gradients flow to the returned logits when grad mode is on (CoT's generator update uses
        them instead of a second, teacher-forced pass over its own samples); without
        ``return_logits`` no graph is kept.

        Args:
            batch: sequences (>= 1).
            length: tokens per sequence (>= 1).
            generator: the random source (on the model's device), for reproducible samples.
            return_logits: also return the logits each token was drawn from.

        Returns:
            ``token_ids`` ``(batch, length)``, and with ``return_logits`` the logits
            ``(batch, length, vocab)``.
        """
        if batch < 1 or length < 1:
            raise ValueError(f"batch and length must be >= 1, got {batch} and {length}")
        device = self.output.weight.device
        with torch.set_grad_enabled(return_logits and torch.is_grad_enabled()):
            token = torch.full((batch,), self.config.start_id, dtype=torch.long, device=device)
            state = None
            tokens, logits = [], []
            for _ in range(length):
                step_logits, state = self.step(token, state)  # (B, V)
                token = sample_categorical(step_logits.detach(), generator=generator)  # (B,)
                tokens.append(token)
                logits.append(step_logits)
        token_ids = torch.stack(tokens, dim=1)  # (B, T)
        if return_logits:
            return token_ids, torch.stack(logits, dim=1)  # (B, T, V)
        return token_ids

    def scheduled_sampling_logits(
        self, token_ids: Tensor, epsilon: float, *, generator: torch.Generator | None = None
    ) -> Tensor:
        """Logits under scheduled sampling (Bengio et al. 2015, section 2.4).

        At each step the model reads the true previous token with probability ``epsilon`` and
        a token sampled from its own previous prediction otherwise; the logits are scored
        against the true tokens. ``epsilon = 1`` is teacher forcing.

        Args:
            token_ids: the true tokens ``(batch, length)``.
            epsilon: the probability of reading the true token, in [0, 1].
            generator: the random source of the coin flips and of the sampled tokens.

        Returns:
            Logits ``(batch, length, vocab)``.
        """
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must lie in [0, 1], got {epsilon}")
        if epsilon == 1.0:
            return self(token_ids)
        batch, length = token_ids.shape
        token = token_ids.new_full((batch,), self.config.start_id)
        state, logits = None, []
        for t in range(length):
            step_logits, state = self.step(token, state)  # (B, V)
            logits.append(step_logits)
            sampled = sample_categorical(step_logits.detach(), generator=generator)  # (B,)
            coin = torch.rand(batch, generator=generator, device=token_ids.device) < epsilon
            token = torch.where(coin, token_ids[:, t], sampled)
        return torch.stack(logits, dim=1)  # (B, T, V)


def normal_init_(
    model: nn.Module, std: float, *, generator: torch.Generator | None = None
) -> nn.Module:
    """Draw every parameter of ``model`` from :math:`\\mathcal N(0, \\mathrm{std}^2)`, in place.

    The generator and mediator of SeqGAN and CoT start this way (std 0.1); the oracle with
    std 1. For an ``nn.LSTM`` the second bias (``bias_hh``) is set to zero, so that each gate has
    one bias drawn with ``std``, as in the original recurrence.

    Args:
        model: the module whose parameters are redrawn.
        std: the standard deviation (> 0).
        generator: a CPU random source, so that the draw does not touch the global state.

    Returns:
        ``model``.
    """
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std}")
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "bias_hh" in name:
                parameter.zero_()
            else:
                draw = torch.randn(parameter.shape, generator=generator)
                parameter.copy_(std * draw)
    return model


def random_oracle(config: LSTMConfig, seed: int) -> LSTMLanguageModel:
    """A seeded oracle: an :class:`LSTMLanguageModel` with every parameter from N(0, 1).

    The draw uses its own CPU generator, so it does not touch the global random state.

    Example:
        >>> a = random_oracle(LSTMConfig(vocab_size=11, embedding_size=3, hidden_size=3), seed=5)
        >>> b = random_oracle(LSTMConfig(vocab_size=11, embedding_size=3, hidden_size=3), seed=5)
        >>> torch.equal(a.output.weight, b.output.weight)
        True
    """
    model = LSTMLanguageModel(config)
    normal_init_(model, 1.0, generator=torch.Generator().manual_seed(seed))
    return model.requires_grad_(False).eval()


def oracle_file() -> Path | None:
    """Where the benchmark oracle's parameters are, or ``None`` if nowhere.

    Looked up, in order: the path in the environment variable ``BEYOND_MLE_ORACLE``; ``.data/``
    in the repository (where GPU runs carry it; ignored by git); ``/work/shared/data/``; and
    ``../shared/data/`` beside the repository.
    """
    candidates: list[str | Path] = [os.environ.get(ORACLE_VARIABLE, "")]
    try:
        repository = find_root(Path(__file__).parent)
    except FileNotFoundError:  # the package installed outside the book's repository
        repository = None
    if repository is not None:
        candidates.append(repository / ".data" / ORACLE_FILE_NAME)
    candidates.append(Path("/work/shared/data") / ORACLE_FILE_NAME)
    if repository is not None:
        candidates.append(repository.parent / "shared" / "data" / ORACLE_FILE_NAME)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def load_oracle(path: str | os.PathLike[str]) -> LSTMLanguageModel:
    """The oracle stored in an ``.npz`` file of SeqGAN's layout (see the module docstring).

    Args:
        path: the file, with arrays ``embedding`` (V, E); ``W_g`` (E, H), ``U_g`` (H, H), ``b_g``
            (H,) for each gate ``g`` in ``i, f, o, c``; ``W_out`` (H, V); ``b_out`` (V,).

    Returns:
        The oracle, in float32, frozen and in eval mode.
    """
    with np.load(path) as arrays:
        data = {name: torch.from_numpy(arrays[name].astype(np.float32)) for name in arrays.files}
    missing = {"embedding", "W_out", "b_out"} - data.keys()
    missing |= {f"{k}_{g}" for k in "WUb" for g in _TORCH_GATES} - data.keys()
    if missing:
        raise ValueError(f"path {os.fspath(path)!r} lacks the arrays {sorted(missing)}")
    vocab, emb = data["embedding"].shape
    hidden = data["U_i"].shape[0]
    model = LSTMLanguageModel(LSTMConfig(vocab_size=vocab, embedding_size=emb, hidden_size=hidden))
    with torch.no_grad():
        model.embedding.weight.copy_(data["embedding"])
        # nn.LSTM sets its weights as attributes at run time: the stubs type them Tensor | Module
        weight_ih = cast(Tensor, model.lstm.weight_ih_l0)
        weight_hh = cast(Tensor, model.lstm.weight_hh_l0)
        bias_ih = cast(Tensor, model.lstm.bias_ih_l0)
        bias_hh = cast(Tensor, model.lstm.bias_hh_l0)
        # row vectors x W (E, H) -> nn.LSTM's column weights W^T (H, E), stacked i, f, g, o
        weight_ih.copy_(torch.cat([data[f"W_{g}"].T for g in _TORCH_GATES]))
        weight_hh.copy_(torch.cat([data[f"U_{g}"].T for g in _TORCH_GATES]))
        bias_ih.copy_(torch.cat([data[f"b_{g}"] for g in _TORCH_GATES]))
        bias_hh.zero_()
        model.output.weight.copy_(data["W_out"].T)  # (V, H)
        model.output.bias.copy_(data["b_out"])
    return model.requires_grad_(False).eval()


def make_oracle(
    config: LSTMConfig, seed: int, *, use_file: bool = True, stream: str | None = None
) -> tuple[LSTMLanguageModel, str]:
    """The oracle of an experiment and a line that says which one it is.

    The benchmark's file oracle when ``use_file``, the file exists (:func:`oracle_file`) and
    ``config`` has its shape (vocabulary 5,000, sizes 32); a :func:`random_oracle` drawn from
    ``seed`` otherwise, or from the stream ``stream`` of ``seed`` (:mod:`beyond_mle.streams`)
    when one is named, so that the oracle does not share its random numbers with other draws
    made from ``seed``. When the file was asked for and the shape fits but the file is nowhere,
    the fallback is not silent: a ``UserWarning`` says so, and so does the description, which
    the experiments store in their results.

    Returns:
        ``(oracle, description)``.
    """
    shape = (config.vocab_size, config.embedding_size, config.hidden_size)
    wanted = use_file and shape == _ORACLE_SHAPE
    path = oracle_file() if wanted else None
    if path is not None:
        return load_oracle(path), f"the SeqGAN benchmark oracle ({ORACLE_FILE_NAME})"
    seeded = f"seed {seed}" if stream is None else f"stream {stream!r} of seed {seed}"
    description = (
        f"a seeded random oracle (N(0, 1) parameters, {seeded}, vocabulary "
        f"{config.vocab_size:,}, sizes {config.embedding_size}/{config.hidden_size})"
    )
    if wanted:
        missing = (
            f"the benchmark oracle {ORACLE_FILE_NAME} was not found (set {ORACLE_VARIABLE} to "
            "its path): its numbers are not comparable with the paper's"
        )
        warnings.warn(f"{missing}; using {description}", UserWarning, stacklevel=2)
        description += f", because {missing}"
    draw = seed if stream is None else streams.stream_seed(seed, stream)
    return random_oracle(config, draw), description
