"""Tests of the chapter "Cooperative training": its parameters and the synthetic Turing test.

CoT's objectives themselves are tested in ``test_cot.py``.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from beyond_mle.chapters.cot import (
    CLAIMS,
    METHODS,
    TABLE_1,
    TABLE_1_ROWS,
    CotConfig,
    make_benchmark,
    table_1_comparison,
    train_turing_test,
)
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


def test_table_1_is_the_source_s():
    table = {row.model: row for row in TABLE_1}
    assert len(TABLE_1) == 7 and set(TABLE_1_ROWS.values()) <= set(table)
    cot, mle = table["CoT"], table["MLE"]
    assert (mle.nll_oracle, mle.nll_test_final, mle.nll_test_best) == (9.08, 8.97, 7.60)
    assert (cot.nll_oracle, cot.nll_test_final, cot.nll_test_best) == (8.19, 8.03, 7.54)
    assert mle.best_sum == (9.43, 7.67) and cot.best_sum == (8.19, 8.03)  # CoT's best is its end
    # the rows marked "-(MLE)": the best NLL_test and sum were reached during MLE pre-training
    assert [row.model for row in TABLE_1 if row.nll_test_best is None] == [
        row.model for row in TABLE_1[1:6]
    ]
    # CoT has the lowest oracle NLL of the seven, at 3.3 times MLE's time per epoch
    assert min(TABLE_1, key=lambda row: row.nll_oracle) is cot
    assert round(cot.seconds / mle.seconds, 1) == 3.3
    # the claims quote the table
    papers = {claim.key: claim.paper for claim in CLAIMS}
    assert "MLE 9.08, CoT 8.19" in papers["cot-oracle-nll-below-mle"]
    assert "8.97 / 7.60" in papers["cot-test-nll-below-mle"]
    assert "scheduled sampling 8.89" in papers["cot-oracle-nll-below-ss"]


def test_table_1_comparison_reads_a_run():
    runs = {"method": [], "epoch": [], "nll_oracle": [], "nll_test": [], "seconds": []}
    for method, scale in (("mle", 1.0), ("scheduled-sampling", 2.0), ("cot", 4.0)):
        for epoch, nll in ((0, 9.0), (1, 8.0), (2, 7.5), (3, 7.7)):
            runs["method"].append(method)
            runs["epoch"].append(float(epoch))
            runs["nll_oracle"].append(10.0 - epoch)
            runs["nll_test"].append(nll)
            runs["seconds"].append(0.0 if epoch == 0 else scale * (1 + epoch / 10))
    rows = {row["method"]: row for row in table_1_comparison({"runs": runs})}
    assert list(rows) == list(TABLE_1_ROWS)
    cot = rows["cot"]
    assert cot["NLL_oracle (ours)"] == 7.0 and cot["NLL_test final (ours)"] == 7.7
    assert cot["NLL_test best (ours)"] == 7.5  # the lowest after the start, not the final
    assert cot["NLL_test best (paper)"] == 7.54 and cot["NLL_oracle (paper)"] == 8.19
    assert math.isnan(rows["scheduled-sampling"]["NLL_test best (paper)"])  # "-(MLE)"
    assert math.isclose(cot["x MLE (ours)"], 4.0) and math.isclose(rows["mle"]["x MLE (ours)"], 1.0)
    assert math.isclose(cot["x MLE (paper)"], 53.94 / 16.14)
