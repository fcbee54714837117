"""The book's experiments: one :class:`Experiment` per chapter notebook that the runner executes.

To add a chapter's experiment, append one ``register(Experiment(...))`` below: its notebook,
a one-line description, ``common_params()`` plus the notebook's own knobs (the same names and
defaults as its ``parameters`` cell, which the tests check) and the presets ``book`` (``{}``)
and ``paper`` (the paper's scale).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beyond_mle.experiments.spec import Experiment, ExperimentError, Param, common_params

__all__ = ["EXPERIMENTS", "get_experiment", "register", "validate_parameters"]

#: Every experiment the runner knows, by name.
EXPERIMENTS: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to :data:`EXPERIMENTS` (names are unique) and return it."""
    if experiment.name in EXPERIMENTS:
        raise ValueError(f"experiment {experiment.name!r} is registered twice")
    EXPERIMENTS[experiment.name] = experiment
    return experiment


def get_experiment(experiment: str | Experiment) -> Experiment:
    """The registered experiment of that name (an ``Experiment`` is returned as it is).

    Raises:
        ExperimentError: listing the registered names, if there is none of that name.
    """
    if isinstance(experiment, Experiment):
        return experiment
    if experiment not in EXPERIMENTS:
        valid = ", ".join(sorted(EXPERIMENTS)) or "(none registered)"
        raise ExperimentError(f"no experiment named {experiment!r}; valid experiments: {valid}")
    return EXPERIMENTS[experiment]


def validate_parameters(experiment: str | Experiment, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check a notebook's parameters against its experiment's specification, before compute.

    A chapter's second cell calls it with every name of its ``parameters`` cell::

        params = validate_parameters("differentiable-bleu", dict(seed=seed, device=device, ...))

    Args:
        experiment: the experiment's name (or the ``Experiment``).
        params: some or all of its parameters.

    Returns:
        Every parameter as plain Python values (defaults for those not given).

    Raises:
        ExperimentError: a ``ValueError`` naming the parameter, the value and the valid values
            (or the valid names, for an unknown one); also when CUDA is requested but absent.
    """
    return get_experiment(experiment).validate(params)


register(
    Experiment(
        name="differentiable-bleu",
        notebook="book/bleu/differentiable_bleu.ipynb",
        description=(
            "Differentiable BLEU and GLEU: agreement with NLTK and the soft score under a "
            "temperature sweep"
        ),
        params={
            **common_params(),
            "n_corpora": Param(
                int, 500, low=1, high=1_000_000, help="random corpora compared with NLTK"
            ),
            "corpus_size": Param(
                int, 6, low=1, high=10_000, help="sentence pairs per random corpus"
            ),
            "vocab_size": Param(
                int,
                8,
                low=2,
                high=1_000_000,
                help="vocabulary of the random corpora (small, so n-grams repeat)",
            ),
            "max_len": Param(int, 10, low=1, high=1000, help="longest random sentence (tokens)"),
            "sweep_batch": Param(
                int, 8, low=1, high=4096, help="sentences in the temperature sweep"
            ),
            "sweep_length": Param(
                int, 12, low=4, high=1000, help="tokens per sentence in the temperature sweep"
            ),
            "sweep_vocab": Param(
                int, 50, low=3, high=1_000_000, help="vocabulary of the temperature sweep"
            ),
            "n_temperatures": Param(
                int,
                13,
                low=2,
                high=200,
                help="softmax temperatures, log-spaced between 0.01 and 100",
            ),
            "n_samples": Param(
                int,
                32,
                low=1,
                high=100_000,
                help="corpora sampled per temperature (Monte Carlo expected BLEU)",
            ),
            "signal": Param(
                float,
                0.5,
                low=-10.0,
                high=100.0,
                help="margin of the reference token's logit over the largest noise logit",
            ),
        },
        presets={
            "book": {},
            # The reversal task's scale in the paper: batch 40, length 50, vocabulary 30,000.
            "paper": {
                "n_corpora": 10_000,
                "corpus_size": 10,
                "vocab_size": 12,
                "max_len": 20,
                "sweep_batch": 40,
                "sweep_length": 50,
                "sweep_vocab": 30_000,
                "n_temperatures": 25,
                "n_samples": 64,
            },
        },
    )
)
