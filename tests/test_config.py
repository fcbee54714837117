"""Tests of beyond_mle.config's ChapterConfig: parameters declared once, validated, registered."""

import dataclasses
from dataclasses import dataclass

import numpy as np
import pytest

from beyond_mle.config import ChapterConfig, ExperimentError, param
from beyond_mle.experiments import EXPERIMENTS, chapter_config


@dataclass(frozen=True)
class Squares(ChapterConfig):
    NOTEBOOK = "book/test_config.ipynb"  # named like this module, as a chapter's is
    DESCRIPTION = "squares of a few numbers"
    PRESETS = {"book": {}, "paper": {"n": 50}, "tiny": {"n": 1, "low": 0}}

    n: int = param(3, low=1, high=100, help="how many squares")
    low: int = param(0, low=0, high=1000, help="the first number squared")
    scales: tuple[float, ...] = param([1.0, 2.0], low=0.0, help="factors applied")
    mode: str = param("sum", choices=("sum", "mean"), help="how squares are reduced")

    def check(self) -> None:
        if self.low >= 10 * self.n:
            raise self.invalid("low", f"< 10 * n = {10 * self.n}")


def test_fields_are_the_parameters_in_order():
    params = Squares.params()
    assert list(params) == ["seed", "device", "results_dir", "n", "low", "scales", "mode"]
    assert params["n"].range_text() == "[1, 100]" and params["n"].help == "how many squares"
    assert params["scales"].kind == "list[float]" and params["scales"].default == (1.0, 2.0)
    assert params["device"].kind == "device"
    assert params["mode"].choices == ("sum", "mean")


def test_construction_validates_and_normalises():
    config = Squares(n=np.int64(5), scales=[0.5])
    assert config.n == 5 and type(config.n) is int and config.scales == (0.5,)
    with pytest.raises(ExperimentError, match=r"'n' = 0 is invalid: .*\[1, 100\]"):
        Squares(n=0)
    with pytest.raises(ExperimentError, match="'mode'.*one of 'sum', 'mean'"):
        Squares(mode="max")
    with pytest.raises(ExperimentError, match="'scales'"):
        Squares(scales=[-1.0])
    with pytest.raises(ExperimentError, match="'low' = 40 is invalid: expected < 10 \\* n = 30"):
        Squares(low=40)
    with pytest.raises(ExperimentError, match="'low'"):
        dataclasses.replace(Squares(), low=40)  # replace validates too


def test_from_parameters_reads_a_namespace():
    namespace = {"n": 4, "mode": "mean", "unrelated": object(), "seed": 2}
    config = Squares.from_parameters(namespace, low=1)
    assert (config.n, config.mode, config.seed, config.low) == (4, "mean", 2, 1)
    with pytest.raises(ExperimentError, match="no parameter 'nn' \\(did you mean 'n'\\?\\)"):
        Squares.from_parameters({}, nn=3)
    with pytest.raises(ExperimentError, match="'device'"):
        Squares.from_parameters({"device": "gpu"})


def test_presets_and_the_experiment():
    assert Squares.preset("paper").n == 50
    assert Squares.preset("tiny", n=2).n == 2
    with pytest.raises(ExperimentError, match="no preset 'huge'"):
        Squares.preset("huge")
    assert Squares.name() == "test_config"  # the module's name
    experiment = Squares.experiment()
    assert experiment.name == "test_config" and experiment.config is Squares
    assert experiment.validate({"n": 7})["n"] == 7

    @dataclass(frozen=True)
    class Misnamed(ChapterConfig):
        NOTEBOOK = "book/squares.ipynb"

    with pytest.raises(ValueError, match="named like its module"):
        Misnamed.experiment()


def test_the_runner_checks_across_parameters_before_starting():
    experiment = EXPERIMENTS["sequence_reversal"]
    with pytest.raises(ExperimentError, match="'max_len' = 2 is invalid: expected >= min_len"):
        experiment.validate({"min_len": 5, "max_len": 2})


def test_every_chapter_declares_one_config_named_like_its_notebook():
    import importlib

    for name, experiment in EXPERIMENTS.items():
        module = importlib.import_module(f"beyond_mle.chapters.{name}")
        config = chapter_config(module)
        assert experiment.config is config and config.name() == name
        assert experiment.notebook.endswith(f"/{name}.ipynb")
        assert dataclasses.is_dataclass(config) and config.__dataclass_params__.frozen
        for preset in experiment.presets:
            config.preset(preset)  # every preset constructs, checks across parameters included
