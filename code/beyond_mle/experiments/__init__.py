"""The book's experiments: parameter specifications, presets, the runner and results as data.

Chapters validate their parameters and save their results with::

    from beyond_mle.experiments import save_results, validate_parameters

    params = validate_parameters("differentiable-bleu", dict(seed=seed, device=device, ...))
    ...
    save_results(results_dir, {"bleu": bleu, ...})

and draw committed paper-scale results with :func:`load_results`. Readers rerun a chapter
with ``python -m beyond_mle run <experiment> --preset paper -p device cuda``, which calls
:func:`run_experiment`. Experiments are registered in :mod:`beyond_mle.experiments.registry`.
"""

from beyond_mle.experiments.paths import RESULTS_FOLDER, find_root, results_folder
from beyond_mle.experiments.refresh import NotebookRefreshError, refresh_notebook
from beyond_mle.experiments.registry import (
    EXPERIMENTS,
    get_experiment,
    register,
    validate_parameters,
)
from beyond_mle.experiments.results import (
    load_provenance,
    load_results,
    save_results,
    to_jsonable,
)
from beyond_mle.experiments.runner import ExperimentRunError, result_folder_name, run_experiment
from beyond_mle.experiments.spec import (
    Experiment,
    ExperimentError,
    Param,
    common_params,
    parse_value,
    resolve_device,
)

__all__ = [
    "EXPERIMENTS",
    "RESULTS_FOLDER",
    "Experiment",
    "ExperimentError",
    "ExperimentRunError",
    "NotebookRefreshError",
    "Param",
    "common_params",
    "find_root",
    "get_experiment",
    "load_provenance",
    "load_results",
    "parse_value",
    "refresh_notebook",
    "register",
    "resolve_device",
    "result_folder_name",
    "results_folder",
    "run_experiment",
    "save_results",
    "to_jsonable",
    "validate_parameters",
]
