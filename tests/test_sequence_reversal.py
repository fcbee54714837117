"""Tests of the sequence-reversal chapter: losses, training conditions and held-out scores."""

import math
import warnings
from dataclasses import replace

import pytest
import torch
from nltk.translate.bleu_score import corpus_bleu as nltk_corpus_bleu
from nltk.translate.gleu_score import corpus_gleu as nltk_corpus_gleu

from beyond_mle.bleu import corpus_bleu, corpus_gleu
from beyond_mle.chapters.sequence_reversal import (
    CONDITIONS,
    SequenceReversalConfig,
    condition_loss,
    evaluate_reversal,
    parse_conditions,
    reversal_data,
    train_condition,
)
from beyond_mle.experiments import get_experiment
from beyond_mle.seq2seq_training import greedy_decode, token_accuracy
from beyond_mle.tasks.reversal import EOS
from beyond_mle.training import one_cpu_thread

TINY = SequenceReversalConfig(
    vocab_size=8,
    min_len=2,
    max_len=4,
    embedding_size=16,
    hidden_size=16,
    batch=16,
    steps=40,
    lr=0.01,
    log_every=10,
    n_train=200,
    n_test=30,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small recurrent models run fastest on one thread, more so on a shared machine."""
    with one_cpu_thread():
        yield


@pytest.fixture(scope="module")
def data():
    return reversal_data(TINY)


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_each_condition_decreases_its_loss(data, condition):
    train, test = data
    run = train_condition(condition, train, test, TINY)
    losses = [row["loss"] for row in run.history]
    assert math.isnan(losses[0])  # step 0: no training step yet
    assert [row["step"] for row in run.history] == [0, 10, 20, 30, 40]
    assert losses[-1] < losses[1], losses  # mean of steps 31..40 below that of steps 1..10
    for row in run.history:
        assert 0 <= row["bleu"] <= 1 and 0 <= row["gleu"] <= 1 and 0 <= row["accuracy"] <= 1


def _to_lists(token_ids):
    rows = []
    for row in token_ids.tolist():
        rows.append(row[: row.index(EOS)] if EOS in row else row)
    return rows


def test_held_out_scores_equal_nltk(data):
    train, test = data
    run = train_condition("ce-teacher", train, test, TINY)
    hyp = greedy_decode(run.model, test.sources, test.targets.shape[1])
    hyps, refs = _to_lists(hyp), [[ref] for ref in _to_lists(test.targets)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NLTK warns about zero n-gram counts
        bleu, gleu = nltk_corpus_bleu(refs, hyps), nltk_corpus_gleu(refs, hyps)
    scores = evaluate_reversal(run.model, test)
    assert scores["bleu"] == pytest.approx(bleu, abs=1e-12)
    assert scores["gleu"] == pytest.approx(gleu, abs=1e-12)
    assert corpus_bleu(hyp, test.targets, eos_id=EOS).item() == pytest.approx(bleu, abs=1e-12)
    assert corpus_gleu(hyp, test.targets, eos_id=EOS).item() == pytest.approx(gleu, abs=1e-12)
    assert 0 < bleu < 1  # a partly trained model: the comparison is not trivial


def test_perfect_reversal_scores_one(data):
    _, test = data
    assert token_accuracy(test.targets, test.targets) == 1.0
    assert corpus_gleu(test.targets, test.targets, eos_id=EOS).item() == pytest.approx(1.0)
    # NLTK's BLEU of a perfect corpus is below 1 when sentences are shorter than 4 words: each
    # one adds at least 1 to the denominator of every n-gram order
    refs = _to_lists(test.targets)
    ceiling = nltk_corpus_bleu([[ref] for ref in refs], refs)
    assert corpus_bleu(test.targets, test.targets, eos_id=EOS).item() == pytest.approx(ceiling)
    assert ceiling < 1
    wrong = test.targets.clone()
    wrong[:, 0] = torch.where(wrong[:, 0] == 2, 3, 2)  # first word always wrong
    n_tokens = (test.targets != 0).sum().item()
    assert token_accuracy(wrong, test.targets) == pytest.approx(1 - len(test) / n_tokens)


def test_losses_are_finite_and_differentiable(data):
    train, _ = data
    torch.manual_seed(0)
    run = train_condition("ce-teacher", train, train, replace(TINY, steps=1))
    for condition in CONDITIONS:
        run.model.zero_grad()
        loss = condition_loss(
            run.model,
            train.sources[:8],
            train.targets[:8],
            condition,
            generator=torch.Generator().manual_seed(0),
        )
        loss.backward()
        grad = run.model.embedding.weight.grad
        assert torch.isfinite(loss) and grad is not None and grad.abs().sum() > 0


def test_training_is_deterministic(data):
    train, test = data
    config = replace(TINY, steps=10, seed=3)
    a = train_condition("gleu-gumbel", train, test, config).history
    b = train_condition("gleu-gumbel", train, test, config).history
    assert a[1:] == b[1:]


def test_data_splits_come_from_different_streams():
    train, test = reversal_data(TINY)
    assert len(train) == TINY.n_train and len(test) == TINY.n_test
    assert not torch.equal(train.sources[: TINY.n_test], test.sources)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="conditions"):
        parse_conditions("ce-teacher,beam")
    with pytest.raises(ValueError, match="conditions"):
        parse_conditions("ce-teacher,ce-teacher")
    with pytest.raises(ValueError, match="max_len"):
        SequenceReversalConfig(min_len=5, max_len=4)
    with pytest.raises(ValueError, match="gumbel_temperature"):
        SequenceReversalConfig(gumbel_temperature=0.0)
    with pytest.raises(ValueError, match="conditions"):
        SequenceReversalConfig(conditions="ce-teacher,beam")
    assert parse_conditions(" ce-free ,gleu-soft") == ["ce-free", "gleu-soft"]


def test_presets_name_valid_conditions():
    experiment = get_experiment("sequence_reversal")
    assert experiment.config is SequenceReversalConfig
    assert parse_conditions(SequenceReversalConfig.preset("paper").conditions) == list(CONDITIONS)


def test_paper_preset_takes_the_sizes_of_appendix_c():
    paper = SequenceReversalConfig.preset("paper")
    # embedding size 256 and 256 units, up to 50 tokens (49 words and EOS), a vocabulary of
    # "around 30K", batch 40, Adam at 0.001 for 10K iterations, Gumbel-softmax at 0.5
    assert (paper.embedding_size, paper.hidden_size, paper.max_len + 1) == (256, 256, 50)
    assert (paper.vocab_size, paper.batch, paper.lr, paper.steps) == (30_000, 40, 0.001, 10_000)
    assert paper.gumbel_temperature == 0.5
