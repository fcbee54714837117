"""Tests of the chapter "Optimal transport for sequence learning": the losses, the shared start,
the runs' streams, a short run and the parameters.

The solvers and the OT sequence loss are tested in ``test_optimal_transport.py``.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from beyond_mle import streams
from beyond_mle.chapters.optimal_transport import (
    OptimalTransportConfig,
    run_seed,
    run_translation,
    translation_data,
    translation_loss,
)
from beyond_mle.models.seq2seq import Seq2Seq, Seq2SeqConfig
from beyond_mle.optimal_transport import ot_sequence_loss
from beyond_mle.tasks.translation import EOS, PAD
from beyond_mle.training import one_cpu_thread

SMALL = OptimalTransportConfig(
    n_train=64, n_test=16, embedding_size=8, hidden_size=8, batch=8, steps=4, log_every=2,
    n_seeds=1,
)  # fmt: skip


@pytest.fixture(autouse=True)
def _one_thread():
    with one_cpu_thread():
        yield


def _model_and_batch():
    train, _ = translation_data(SMALL)
    streams.seed_global(0, "initial weights")
    model = Seq2Seq(Seq2SeqConfig(len(train.vocabulary), 8, 8, eos_id=EOS, start_id=PAD))
    return model, train.sources[:6], train.targets[:6]


def test_loss_is_mle_plus_gamma_ot():
    model, sources, targets = _model_and_batch()
    mle = translation_loss(model, sources, targets, "mle", SMALL)
    both = translation_loss(model, sources, targets, "mle+ot", SMALL)
    logits = model(sources, targets=targets, feeding="teacher").logits
    torch.testing.assert_close(
        mle, F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=PAD)
    )
    ot = ot_sequence_loss(logits, targets, model.embedding.weight, mask=targets != PAD)
    torch.testing.assert_close(both, mle + SMALL.gamma * ot)


def test_run_is_deterministic_and_shares_the_start():
    rows = run_translation(SMALL)
    again = run_translation(SMALL)
    assert [{k: v for k, v in r.items() if k != "loss"} for r in rows] == [
        {k: v for k, v in r.items() if k != "loss"} for r in again
    ]
    assert [r["loss"] for r in rows[1:3]] == [r["loss"] for r in again[1:3]]
    start = [r for r in rows if r["step"] == 0]
    assert len(start) == 2 and start[0]["bleu"] == start[1]["bleu"]
    assert {r["condition"] for r in rows} == {"mle", "mle+ot"}
    assert all(0 <= r["bleu"] <= 1 and 0 <= r["meaning_bleu"] <= 1 for r in rows)


def test_runs_draw_their_own_streams():
    config = dataclasses.replace(SMALL, n_seeds=2, steps=2)
    rows = run_translation(config, ["mle"])
    assert sorted({r["run"] for r in rows}) == [0, 1]
    assert run_seed(config, 0) == streams.stream_seed(config.seed, "run 0")
    assert run_seed(config, 0) != run_seed(config, 1)
    assert run_seed(config, 0) != run_seed(dataclasses.replace(config, seed=1), 0)
    train0, test0 = translation_data(config, 0)
    train1, _ = translation_data(config, 1)
    assert not torch.equal(train0.sources[:16], test0.sources)  # train and test: two streams
    assert not torch.equal(train0.sources, train1.sources)  # each run its own corpus
    again, _ = translation_data(config, 0)
    assert torch.equal(train0.sources, again.sources) and torch.equal(train0.targets, again.targets)


def test_bad_input():
    model, sources, targets = _model_and_batch()
    with pytest.raises(ValueError, match="condition"):
        translation_loss(model, sources, targets, "rl", SMALL)
    with pytest.raises(ValueError, match="conditions"):
        run_translation(SMALL, ["rl"])
    with pytest.raises(ValueError, match="run"):
        run_seed(SMALL, -1)


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"gamma": -1.0}, "gamma"),
        ({"gradient": "exact"}, "gradient"),
        ({"n_train": 0}, "n_train"),
        ({"max_depth": -1}, "max_depth"),
        ({"beta": 0.0}, "beta"),
        ({"clip_grad_norm": 0.0}, "clip_grad_norm"),
        ({"problem_size": 1}, "problem_size"),
        ({"n_seeds": 0}, "n_seeds"),
    ],
)
def test_config_refuses_bad_values(values, name):
    with pytest.raises(ValueError, match=f"parameter '{name}'"):
        OptimalTransportConfig(**values)


def test_config_from_parameters_and_presets():
    assert OptimalTransportConfig.from_parameters({"steps": 7, "other": 1}).steps == 7
    paper = OptimalTransportConfig.preset("paper")
    assert (paper.n_train, paper.hidden_size, paper.steps, paper.n_seeds) == (
        133_000,
        512,
        12_000,
        5,
    )
    reduced = OptimalTransportConfig.preset("cpu-paper")
    assert reduced == dataclasses.replace(
        paper, batch=32, embedding_size=64, hidden_size=96, log_every=250, lr=0.003,
        n_train=20_000, steps=2000,
    )  # fmt: skip
    experiment = OptimalTransportConfig.experiment()
    assert experiment.name == "optimal_transport"
    assert experiment.notebook == "book/sequences/optimal_transport.ipynb"
