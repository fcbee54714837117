"""Tests of beyond_mle.seq2seq_training: the trainer and held-out scoring on either corpus."""

import math

import pytest
import torch
import torch.nn.functional as F

from beyond_mle import streams
from beyond_mle.models.seq2seq import Seq2Seq, Seq2SeqConfig
from beyond_mle.seq2seq_training import (
    ParallelCorpus,
    decode_held_out,
    greedy_decode,
    token_accuracy,
    train_seq2seq,
)
from beyond_mle.tasks.reversal import EOS, PAD, reversal_corpus
from beyond_mle.tasks.translation import translation_corpus
from beyond_mle.training import FitConfig, one_cpu_thread


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    with one_cpu_thread():
        yield


def _reversal(n_pairs=40, seed=0):
    return reversal_corpus(
        n_pairs, vocab_size=8, min_len=2, max_len=4, generator=torch.Generator().manual_seed(seed)
    )


def _corpora():
    return {"reversal": _reversal(), "translation": translation_corpus(40, seed=0)}


def _model_config(corpus):
    vocab_size = int(max(corpus.sources.max(), corpus.targets.max())) + 1
    return Seq2SeqConfig(vocab_size, 8, 8, eos_id=EOS, start_id=PAD)


def _ce(model, sources, targets):
    logits = model(sources, targets=targets, feeding="teacher").logits  # (B, T, V)
    return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=PAD)


def _accuracy(model, corpus):
    return {"accuracy": token_accuracy(*decode_held_out(model, corpus))}


def test_both_corpora_satisfy_the_protocol():
    for corpus in _corpora().values():
        assert isinstance(corpus, ParallelCorpus)


def test_token_accuracy_equals_a_count_by_hand():
    gen = torch.Generator().manual_seed(0)
    targets = _reversal(30).targets
    hyp = torch.where(torch.rand(targets.shape, generator=gen) < 0.3, 2, targets)
    pairs = [
        (h, t)
        for h_row, t_row in zip(hyp.tolist(), targets.tolist(), strict=True)
        for h, t in zip(h_row, t_row, strict=True)
        if t != PAD
    ]
    expected = sum(h == t for h, t in pairs) / len(pairs)
    assert token_accuracy(hyp, targets) == pytest.approx(expected, abs=1e-15)
    assert token_accuracy(targets, targets) == 1.0


def test_token_accuracy_padding():
    targets = torch.tensor([[3, 4, 1, 9]])
    assert token_accuracy(torch.tensor([[3, 2, 1, 0]]), targets, pad_id=9) == pytest.approx(2 / 3)
    assert token_accuracy(torch.tensor([[5, 5]]), torch.tensor([[0, 0]])) == 0.0  # no target


@pytest.mark.parametrize("name", ["reversal", "translation"])
def test_decode_held_out_is_greedy_and_restores_the_mode(name):
    corpus = _corpora()[name]
    torch.manual_seed(0)
    model = Seq2Seq(_model_config(corpus))
    model.train()
    hyp, targets = decode_held_out(model, corpus)
    assert model.training
    assert torch.equal(targets, corpus.targets)
    model.eval()
    assert torch.equal(hyp, greedy_decode(model, corpus.sources, corpus.targets.shape[1]))
    model.eval()
    decode_held_out(model, corpus)
    assert not model.training


@pytest.mark.parametrize("name", ["reversal", "translation"])
def test_training_logs_step_zero_and_lowers_the_loss(name):
    corpus = _corpora()[name]
    model, history = train_seq2seq(
        _model_config(corpus),
        corpus,
        _ce,
        lambda model: _accuracy(model, corpus),
        FitConfig(steps=30, lr=0.02, log_every=10),
        batch=8,
    )
    assert isinstance(model, Seq2Seq)
    assert [row["step"] for row in history] == [0, 10, 20, 30]
    assert math.isnan(history[0]["loss"])
    assert history[-1]["loss"] < history[1]["loss"]
    assert all(0 <= row["accuracy"] <= 1 for row in history)


def test_one_seed_gives_one_initial_model_and_one_batch_sequence():
    corpus = _reversal()
    seen = []

    def recording(loss):
        def batch_loss(model, sources, targets):
            seen.append((loss.__name__, sources.clone()))
            return loss(model, sources, targets)

        return batch_loss

    def zero(model, sources, targets):
        return 0.0 * _ce(model, sources, targets)

    initial = []
    for loss in (_ce, zero):
        model, _ = train_seq2seq(
            _model_config(corpus),
            corpus,
            recording(loss),
            lambda model: {"norm": model.embedding.weight.norm().item()},
            FitConfig(steps=3, log_every=3),
            batch=5,
            seed=4,
        )
        initial.append(model)
    by_loss = {name: [s for n, s in seen if n == name] for name in ("_ce", "zero")}
    # the batches: the stream "batches" of the seed, drawn once per step
    batches = streams.generator(4, "batches")
    expected = [corpus.sources[torch.randint(len(corpus), (5,), generator=batches)]]
    expected += [corpus.sources[torch.randint(len(corpus), (5,), generator=batches)]]
    for sources in by_loss.values():
        assert len(sources) == 3
        assert all(torch.equal(a, b) for a, b in zip(sources[:2], expected, strict=True))
    # the initial weights: the stream "initial weights"; a zero loss leaves Adam's weights unchanged
    streams.seed_global(4, "initial weights")
    fresh = Seq2Seq(_model_config(corpus))
    for a, b in zip(fresh.parameters(), initial[1].parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_seq2seq_configs_read_a_chapters_settings():
    from beyond_mle.chapters.sequence_reversal import SequenceReversalConfig
    from beyond_mle.seq2seq_training import seq2seq_configs

    settings = SequenceReversalConfig(embedding_size=7, hidden_size=9, steps=11, lr=0.02)
    model_config, fit_config = seq2seq_configs(
        settings, vocab_size=13, eos_id=1, start_id=0, desc="ce-teacher"
    )
    assert (model_config.vocab_size, model_config.embedding_size, model_config.hidden_size) == (
        13,
        7,
        9,
    )
    assert (model_config.eos_id, model_config.start_id) == (1, 0)
    assert (fit_config.steps, fit_config.lr, fit_config.log_every) == (11, 0.02, settings.log_every)
    assert fit_config.clip_grad_norm == settings.clip_grad_norm and fit_config.desc == "ce-teacher"
