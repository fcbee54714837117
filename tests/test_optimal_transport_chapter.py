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
    CLAIMS,
    PAPER_BLEU,
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
    n_seeds=1, pretrain_steps=0,
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


def test_pretraining_is_shared_then_the_conditions_part():
    config = dataclasses.replace(SMALL, steps=6, log_every=2, pretrain_steps=4)
    rows = run_translation(config)
    by = {(r["condition"], r["step"]): r for r in rows}
    for step in (2.0, 4.0):  # maximum likelihood under both: the same model and losses
        assert {k: v for k, v in by["mle", step].items() if k != "condition"} == {
            k: v for k, v in by["mle+ot", step].items() if k != "condition"
        }
    assert by["mle+ot", 6.0]["loss"] != by["mle", 6.0]["loss"]  # the OT term after step 4
    # the MLE condition does not depend on where the OT condition starts
    scratch = run_translation(dataclasses.replace(config, pretrain_steps=0), ["mle"])
    assert [r["loss"] for r in scratch[1:]] == [by["mle", s]["loss"] for s in (2.0, 4.0, 6.0)]
    with pytest.raises(ValueError, match="parameter 'pretrain_steps'"):
        dataclasses.replace(config, pretrain_steps=6)


def test_paper_bleu_is_the_source_s_tables():
    assert len(PAPER_BLEU) == 8
    gains = {key: round(ot - mle, 1) for key, (mle, ot, _) in PAPER_BLEU.items()}
    assert (
        gains[("Table 1", "VI-EN", "NT2012")] == 1.2
        and gains[("Table 1", "VI-EN", "NT2013")] == 1.6
    )
    table_2 = [gain for (table, _, _), gain in gains.items() if table == "Table 2"]
    assert min(table_2) == 0.0 and max(table_2) == 0.1
    with_copy = [round(c - m, 1) for (t, _, _), (m, _, c) in PAPER_BLEU.items() if t == "Table 2"]
    assert max(with_copy) == 0.3
    claim = {c.key: c for c in CLAIMS}["ot-loss-raises-bleu"]
    vi_en = [PAPER_BLEU["Table 1", "VI-EN", test] for test in ("NT2012", "NT2013")]
    assert "GNMT 20.7 and 23.8, GNMT + L_seq 21.9 and 25.4" in claim.paper
    assert [row[:2] for row in vi_en] == [(20.7, 21.9), (23.8, 25.4)]
    # the ordering's margin: half the smaller VI-EN gain, on BLEU's 0-to-1 scale
    assert claim.test.margin == pytest.approx(min(gains[k] for k in gains if k[1] == "VI-EN") / 200)


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
    assert (
        OptimalTransportConfig.from_parameters({"steps": 7, "pretrain_steps": 3, "other": 1}).steps
        == 7
    )
    paper = OptimalTransportConfig.preset("paper")
    assert (paper.n_train, paper.hidden_size, paper.steps, paper.n_seeds) == (
        133_000,
        512,
        12_000,
        5,
    )
    assert paper.pretrain_steps == 6000
    reduced = OptimalTransportConfig.preset("cpu-paper")
    assert reduced == dataclasses.replace(
        paper, batch=32, embedding_size=64, hidden_size=96, log_every=250, lr=0.003,
        n_train=20_000, steps=2000, pretrain_steps=1000,
    )  # fmt: skip
    book = OptimalTransportConfig()
    assert (book.steps, book.pretrain_steps) == (200, 100)
    experiment = OptimalTransportConfig.experiment()
    assert experiment.name == "optimal_transport"
    assert experiment.notebook == "book/sequences/optimal_transport.ipynb"
