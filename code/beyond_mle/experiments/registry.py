"""The book's experiments: one :class:`Experiment` per chapter notebook that the runner executes.

Each chapter registers its experiment in a module of its own under
:mod:`beyond_mle.experiments.specs`, imported here: one ``register(Experiment(...))`` with its
notebook, a one-line description, ``common_params()`` plus the notebook's own knobs (the same
names and defaults as its ``parameters`` cell, which the tests check) and the presets ``book``
(``{}``) and ``paper`` (the paper's scale).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from beyond_mle.experiments.spec import Experiment, ExperimentError

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


def _load_specs() -> None:
    """Import every module of :mod:`beyond_mle.experiments.specs`; each registers its chapter."""
    from beyond_mle.experiments import specs

    for module in sorted(pkgutil.iter_modules(specs.__path__), key=lambda m: m.name):
        importlib.import_module(f"{specs.__name__}.{module.name}")


_load_specs()
