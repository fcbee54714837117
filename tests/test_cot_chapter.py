"""Tests of the chapter "Cooperative training": its parameters and the synthetic Turing test.

CoT's objectives themselves are tested in ``test_cot.py``.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from beyond_mle.chapters.cot import METHODS, CotConfig, make_benchmark, train_turing_test
from beyond_mle.training import one_cpu_thread

SMALL = CotConfig(
    vocab_size=20, embedding_size=4, hidden_size=4, mediator_size=6, length=5,
    n_train=32, n_test=16, batch=8, epochs=2, eval_samples=16, probe_batches=2,
)  # fmt: skip


@pytest.fixture(autouse=True)
def _one_thread():
    with one_cpu_thread():
        yield


@pytest.mark.parametrize("method", METHODS)
def test_turing_test_runs_and_logs_each_epoch(method):
    bench = make_benchmark(SMALL)
    assert "seeded random oracle" in bench.oracle_name
    rows = train_turing_test(method, bench, SMALL)
    assert [row["epoch"] for row in rows] == [0.0, 1.0, 2.0]
    assert all(row["jsd"] <= math.log(2) + 1e-6 for row in rows)
    assert ("cosine_mean" in rows[-1]) == (method == "cot")
    with pytest.raises(ValueError, match="method"):
        train_turing_test("gan", bench, SMALL)


def test_methods_start_from_one_generator_and_runs_repeat():
    bench = make_benchmark(SMALL)
    starts = [train_turing_test(method, bench, SMALL)[0] for method in METHODS]
    assert starts[0] == starts[1] == starts[2]  # same initial model, same evaluation samples

    def scores() -> list[dict[str, float]]:
        rows = train_turing_test("cot", bench, SMALL)
        return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]

    assert scores() == scores()


def test_benchmark_streams_are_named_and_follow_the_seed():
    bench, again = make_benchmark(SMALL), make_benchmark(SMALL)
    assert torch.equal(bench.train, again.train) and torch.equal(bench.test, again.test)
    assert "stream 'oracle' of seed 0" in bench.oracle_name
    assert bench.train.shape == (32, 5) and bench.test.shape == (16, 5)
    assert not torch.equal(bench.train[:16], bench.test)  # two streams, not one
    other = make_benchmark(dataclasses.replace(SMALL, seed=1))
    assert not torch.equal(other.train, bench.train)
    assert not torch.equal(other.oracle.output.weight, bench.oracle.output.weight)


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"gamma": -0.1}, "gamma"),
        ({"ss_schedule": "cosine"}, "ss_schedule"),
        ({"vocab_size": 1}, "vocab_size"),
        ({"batch": 1}, "batch"),
        ({"probe_batches": 1}, "probe_batches"),
        ({"n_train": 10, "batch": 64}, "n_train"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_config_refuses_bad_values(values, name):
    with pytest.raises(ValueError, match=f"parameter '{name}'"):
        CotConfig(**values)


def test_config_from_parameters_and_presets():
    assert CotConfig.from_parameters({"epochs": 3, "unrelated": 1}).epochs == 3
    paper = CotConfig.preset("paper")
    assert (paper.vocab_size, paper.length, paper.epochs) == (5000, 20, 100)
    assert paper.updates_per_epoch == 156 and paper.model_config.vocab_size == 5000
    reduced = CotConfig.preset("cpu-paper")
    assert reduced == dataclasses.replace(paper, epochs=30, eval_every=10, eval_samples=2000)
    assert CotConfig.experiment().name == "cot"
    assert CotConfig.experiment().notebook == "book/sequences/cot.ipynb"
