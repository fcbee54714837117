"""The book's experiments: one :class:`~beyond_mle.config.Experiment` per chapter notebook.

The registry is built from the chapters: every module of :mod:`beyond_mle.chapters` declares
one :class:`~beyond_mle.config.ChapterConfig` subclass, whose ``experiment()`` is what the
runner executes. An experiment, its chapter module and its
notebook share one name.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from beyond_mle.config import ChapterConfig, Experiment, ExperimentError

__all__ = ["EXPERIMENTS", "chapter_config", "get_experiment", "register"]

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
        hint = ""
        if experiment.replace("-", "_") in EXPERIMENTS:
            hint = f" (did you mean {experiment.replace('-', '_')!r}?)"
        raise ExperimentError(
            f"no experiment named {experiment!r}{hint}; valid experiments: {valid}"
        )
    return EXPERIMENTS[experiment]


def chapter_config(module: ModuleType) -> type[ChapterConfig]:
    """The one :class:`ChapterConfig` subclass a chapter module declares.

    Raises:
        TypeError: if the module declares none or several.
    """
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ChapterConfig)
        and value.__module__ == module.__name__
    ]
    if len(found) != 1:
        names = ", ".join(value.__name__ for value in found) or "none"
        raise TypeError(f"{module.__name__} must declare one ChapterConfig subclass, not {names}")
    return found[0]


def _load_chapters() -> None:
    """Register the experiment of every module of :mod:`beyond_mle.chapters`."""
    from beyond_mle import chapters

    for info in sorted(pkgutil.iter_modules(chapters.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{chapters.__name__}.{info.name}")
        register(chapter_config(module).experiment())


_load_chapters()
