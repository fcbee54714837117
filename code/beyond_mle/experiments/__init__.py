"""The book's experiments: the registry, the runner and results as data.

Chapters declare their parameters once, as a :class:`~beyond_mle.config.ChapterConfig` in
their module of :mod:`beyond_mle.chapters`, validate them and save their results with::

    from beyond_mle.chapters.differentiable_bleu import DifferentiableBleuConfig
    from beyond_mle.experiments import save_results

    config = DifferentiableBleuConfig.from_parameters(globals())
    ...
    save_results(config.results_dir, {"bleu": bleu, ...})

and draw committed paper-scale results with :func:`load_results`. Readers rerun a chapter
with ``python -m beyond_mle run <experiment> --preset paper -p device cuda``, which calls
:func:`run_experiment`. The registry (:mod:`beyond_mle.experiments.registry`) is built from
the chapters' configurations.
"""

from beyond_mle.config import (
    ChapterConfig,
    Experiment,
    ExperimentError,
    Param,
    common_params,
    param,
    parse_value,
    resolve_device,
)
from beyond_mle.experiments.paths import RESULTS_FOLDER, find_root, results_folder
from beyond_mle.experiments.refresh import NotebookRefreshError, refresh_notebook
from beyond_mle.experiments.registry import (
    EXPERIMENTS,
    chapter_config,
    get_experiment,
    register,
)
from beyond_mle.experiments.results import (
    load_provenance,
    load_results,
    save_results,
    to_jsonable,
)
from beyond_mle.experiments.runner import ExperimentRunError, result_folder_name, run_experiment

__all__ = [
    "EXPERIMENTS",
    "RESULTS_FOLDER",
    "ChapterConfig",
    "Experiment",
    "ExperimentError",
    "ExperimentRunError",
    "NotebookRefreshError",
    "Param",
    "chapter_config",
    "common_params",
    "find_root",
    "get_experiment",
    "load_provenance",
    "load_results",
    "param",
    "parse_value",
    "refresh_notebook",
    "register",
    "resolve_device",
    "result_folder_name",
    "results_folder",
    "run_experiment",
    "save_results",
    "to_jsonable",
]
