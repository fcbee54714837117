"""Small multilayer perceptrons: a generator of real vectors and a discriminator that gives logits.

Introduced in the chapter "The BCE loss of GANs", where both players of a one-dimensional GAN
are such nets. The generator maps noise :math:`z \\sim \\mathcal N(0, I)` to samples; the
discriminator maps a sample to one logit :math:`a`, with :math:`D = \\sigma(a)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["ACTIVATIONS", "MLP", "MLPConfig", "Discriminator", "Generator"]

#: The hidden layers' non-linearities, by name.
ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "elu": nn.ELU}


@dataclass(frozen=True)
class MLPConfig:
    """The shape of an :class:`MLP`.

    Attributes:
        in_features: the input's size (>= 1).
        out_features: the output's size (>= 1).
        hidden: units of each hidden layer (>= 1).
        depth: hidden layers (>= 0; 0 gives an affine map).
        activation: one of :data:`ACTIVATIONS`.
    """

    in_features: int = 1
    out_features: int = 1
    hidden: int = 32
    depth: int = 2
    activation: str = "leaky_relu"

    def __post_init__(self) -> None:
        for name in ("in_features", "out_features", "hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.depth < 0:
            raise ValueError(f"depth must be >= 0, got {self.depth}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}"
            )


class MLP(nn.Module):
    """``depth`` hidden layers of ``hidden`` units, then a linear output layer.

    Args:
        config: the sizes and the non-linearity.

    Example:
        >>> net = MLP(MLPConfig(in_features=2, out_features=3, hidden=8, depth=1))
        >>> net(torch.zeros(5, 2)).shape
        torch.Size([5, 3])
    """

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        width = config.in_features
        for _ in range(config.depth):
            layers += [nn.Linear(width, config.hidden), ACTIVATIONS[config.activation]()]
            width = config.hidden
        layers.append(nn.Linear(width, config.out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``x`` of shape ``(batch, in_features)`` to shape ``(batch, out_features)``."""
        return self.net(x)


class Generator(MLP):
    """An MLP that turns standard normal noise of ``in_features`` dimensions into samples.

    Example:
        >>> g = Generator(MLPConfig(in_features=1, out_features=1, hidden=8))
        >>> g.sample(4, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([4, 1])
    """

    def noise(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """``n`` draws of :math:`z \\sim \\mathcal N(0, I)`, shape ``(n, in_features)``."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        device = next(self.parameters()).device
        z = torch.randn(n, self.config.in_features, generator=generator)  # drawn on the CPU
        return z.to(device)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """``n`` samples :math:`G(z)`, shape ``(n, out_features)``."""
        return self(self.noise(n, generator=generator))


class Discriminator(MLP):
    """An MLP with one output: the logit :math:`a(x)`, with :math:`D(x) = \\sigma(a(x))`.

    Example:
        >>> d = Discriminator(MLPConfig(in_features=1, hidden=8))
        >>> d(torch.zeros(6, 1)).shape
        torch.Size([6])
    """

    def __init__(self, config: MLPConfig) -> None:
        if config.out_features != 1:
            raise ValueError(f"a discriminator has out_features 1, got {config.out_features}")
        super().__init__(config)

    def forward(self, x: Tensor) -> Tensor:
        """``x`` of shape ``(batch, in_features)`` to logits of shape ``(batch,)``."""
        return self.net(x).squeeze(-1)
