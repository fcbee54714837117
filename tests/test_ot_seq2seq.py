"""Tests of beyond_mle.ot_seq2seq: the losses, the shared start, a short run."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from beyond_mle.models.seq2seq import Seq2Seq, Seq2SeqConfig
from beyond_mle.optimal_transport import ot_sequence_loss
from beyond_mle.ot_seq2seq import (
    TranslationConfig,
    run_translation,
    translation_data,
    translation_loss,
)
from beyond_mle.tasks.translation import EOS, PAD
from beyond_mle.training import one_cpu_thread

SMALL = TranslationConfig(
    n_train=64, n_test=16, embedding_size=8, hidden_size=8, batch=8, steps=4, log_every=2
)


@pytest.fixture(autouse=True)
def _one_thread():
    with one_cpu_thread():
        yield


def _model_and_batch():
    train, _ = translation_data(SMALL, seed=0)
    torch.manual_seed(0)
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
    rows = run_translation(SMALL, seeds=(0,))
    again = run_translation(SMALL, seeds=(0,))
    assert [{k: v for k, v in r.items() if k != "loss"} for r in rows] == [
        {k: v for k, v in r.items() if k != "loss"} for r in again
    ]
    assert [r["loss"] for r in rows[1:3]] == [r["loss"] for r in again[1:3]]
    start = [r for r in rows if r["step"] == 0]
    assert len(start) == 2 and start[0]["bleu"] == start[1]["bleu"]
    assert {r["condition"] for r in rows} == {"mle", "mle+ot"}
    assert all(0 <= r["bleu"] <= 1 and 0 <= r["meaning_bleu"] <= 1 for r in rows)


def test_bad_input():
    with pytest.raises(ValueError, match="gamma"):
        TranslationConfig(gamma=-1.0)
    with pytest.raises(ValueError, match="gradient"):
        TranslationConfig(gradient="exact")
    model, sources, targets = _model_and_batch()
    with pytest.raises(ValueError, match="condition"):
        translation_loss(model, sources, targets, "rl", SMALL)
    with pytest.raises(ValueError, match="conditions"):
        run_translation(SMALL, ["rl"])
