"""Tests of the LSTM language model: the oracle's gate mapping, sampling, log-probabilities."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from beyond_mle.models.lstm import (
    ORACLE_VARIABLE,
    LSTMConfig,
    LSTMLanguageModel,
    load_oracle,
    make_oracle,
    oracle_file,
    random_oracle,
    sample_categorical,
)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _reference_logits(arrays: dict[str, np.ndarray], tokens: np.ndarray) -> np.ndarray:
    """The oracle's recurrence of the data README, with row vectors, in numpy."""
    batch, length = tokens.shape
    hidden = arrays["U_i"].shape[0]
    h, c = np.zeros((batch, hidden)), np.zeros((batch, hidden))
    inputs = np.concatenate([np.zeros((batch, 1), dtype=int), tokens[:, :-1]], axis=1)
    out = []
    for t in range(length):
        x = arrays["embedding"][inputs[:, t]]

        def gate(g: str, x: np.ndarray = x, h: np.ndarray = h) -> np.ndarray:
            return x @ arrays[f"W_{g}"] + h @ arrays[f"U_{g}"] + arrays[f"b_{g}"]

        i, f, o = _sigmoid(gate("i")), _sigmoid(gate("f")), _sigmoid(gate("o"))
        c = f * c + i * np.tanh(gate("c"))
        h = o * np.tanh(c)
        out.append(h @ arrays["W_out"] + arrays["b_out"])
    return np.stack(out, axis=1)


def _write_fake_oracle(path, vocab=11, emb=4, hidden=5, seed=0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = {"embedding": rng.normal(size=(vocab, emb))}
    for g in "ifoc":
        arrays[f"W_{g}"] = rng.normal(size=(emb, hidden))
        arrays[f"U_{g}"] = rng.normal(size=(hidden, hidden))
        arrays[f"b_{g}"] = rng.normal(size=(hidden,))
    arrays["W_out"] = rng.normal(size=(hidden, vocab))
    arrays["b_out"] = rng.normal(size=(vocab,))
    arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
    np.savez(path, **arrays)
    return arrays


def test_load_oracle_maps_the_gates_onto_nn_lstm(tmp_path):
    arrays = _write_fake_oracle(tmp_path / "oracle.npz")
    model = load_oracle(tmp_path / "oracle.npz")
    tokens = torch.randint(0, 11, (6, 7), generator=torch.Generator().manual_seed(1))
    expected = _reference_logits(
        {k: v.astype(np.float64) for k, v in arrays.items()}, tokens.numpy()
    )
    torch.testing.assert_close(
        model(tokens), torch.from_numpy(expected).float(), atol=1e-4, rtol=1e-4
    )
    assert not model.lstm.bias_hh_l0.any()


def test_load_oracle_names_missing_arrays(tmp_path):
    np.savez(tmp_path / "bad.npz", embedding=np.zeros((3, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="lacks the arrays"):
        load_oracle(tmp_path / "bad.npz")


def test_oracle_file_follows_the_environment_variable(tmp_path, monkeypatch):
    _write_fake_oracle(tmp_path / "mine.npz")
    monkeypatch.setenv(ORACLE_VARIABLE, str(tmp_path / "mine.npz"))
    assert oracle_file() == tmp_path / "mine.npz"


def test_make_oracle_falls_back_to_a_seeded_random_oracle():
    config = LSTMConfig(vocab_size=13, embedding_size=3, hidden_size=4)
    a, name = make_oracle(config, seed=3)
    b, _ = make_oracle(config, seed=3)
    assert "seeded random oracle" in name and "seed 3" in name
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not a.lstm.bias_hh_l0.any()
    assert 0.5 < a.output.weight.std().item() < 1.5  # N(0, 1) entries


def test_a_missing_benchmark_oracle_is_said_not_silent(monkeypatch):
    from beyond_mle.models import lstm

    monkeypatch.setattr(lstm, "oracle_file", lambda: None)
    config = LSTMConfig(vocab_size=5000, embedding_size=32, hidden_size=32)
    with pytest.warns(UserWarning, match="seqgan_oracle_lstm.npz was not found"):
        _, name = make_oracle(config, seed=0)
    assert "seeded random oracle" in name and "not comparable with the paper's" in name
    _, chosen = make_oracle(config, seed=0, use_file=False)  # asked for: no warning, no excuse
    assert "not found" not in chosen


def test_sequence_log_prob_is_the_sum_of_the_steps():
    model = random_oracle(
        LSTMConfig(vocab_size=9, embedding_size=3, hidden_size=4), seed=0
    ).double()
    tokens = torch.randint(0, 9, (5, 6), generator=torch.Generator().manual_seed(0))
    state, token, total = (
        None,
        torch.zeros(5, dtype=torch.long),
        torch.zeros(5, dtype=torch.float64),
    )
    for t in range(6):
        logits, state = model.step(token, state)
        total += torch.log_softmax(logits, -1).gather(-1, tokens[:, t : t + 1]).squeeze(1)
        token = tokens[:, t]
    torch.testing.assert_close(model.sequence_log_prob(tokens), total)
    torch.testing.assert_close(model.nll(tokens, batch_size=2), -total.sum().item() / 30)


def test_samples_follow_the_model_distribution():
    model = random_oracle(LSTMConfig(vocab_size=3, embedding_size=2, hidden_size=3), seed=1)
    model = model.double()
    grid = torch.tensor([[a, b] for a in range(3) for b in range(3)])
    probs = model.sequence_log_prob(grid).exp()  # (9,)
    torch.testing.assert_close(probs.sum(), torch.tensor(1.0, dtype=torch.float64))
    samples = model.sample(20_000, 2, generator=torch.Generator().manual_seed(0))
    counts = torch.bincount(samples[:, 0] * 3 + samples[:, 1], minlength=9).double() / 20_000
    assert (counts - probs).abs().max() < 0.015


def test_sampling_is_reproducible_and_keeps_logits_with_grad():
    model = LSTMLanguageModel(LSTMConfig(vocab_size=17, embedding_size=4, hidden_size=5))
    a = model.sample(4, 5, generator=torch.Generator().manual_seed(2))
    b, logits = model.sample(4, 5, generator=torch.Generator().manual_seed(2), return_logits=True)
    assert torch.equal(a, b) and logits.requires_grad
    torch.testing.assert_close(logits, model(b))  # the sampling pass is the teacher-forced one


def test_sample_categorical_matches_probabilities():
    logits = torch.tensor([[0.0, 1.0, 2.0, -30.0]]).expand(30_000, 4)
    draws = sample_categorical(logits, generator=torch.Generator().manual_seed(0))
    freq = torch.bincount(draws, minlength=4).double() / 30_000
    torch.testing.assert_close(freq, torch.softmax(logits[0].double(), -1), atol=0.01, rtol=0)


def test_scheduled_sampling_with_epsilon_one_is_teacher_forcing():
    model = LSTMLanguageModel(LSTMConfig(vocab_size=7, embedding_size=3, hidden_size=4))
    tokens = torch.randint(0, 7, (3, 5), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(model.scheduled_sampling_logits(tokens, 1.0), model(tokens))
    gen = torch.Generator().manual_seed(4)
    free = model.scheduled_sampling_logits(tokens, 0.0, generator=gen)
    sampled = model.sample(3, 5, generator=torch.Generator().manual_seed(4), return_logits=True)
    assert free.shape == (3, 5, 7) and sampled[1].shape == free.shape
    with pytest.raises(ValueError, match="epsilon"):
        model.scheduled_sampling_logits(tokens, 1.5)


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="vocab_size"):
        LSTMConfig(vocab_size=1)
    with pytest.raises(ValueError, match="start_id"):
        LSTMConfig(vocab_size=4, start_id=4)
    model = LSTMLanguageModel(LSTMConfig(vocab_size=4, embedding_size=2, hidden_size=2))
    with pytest.raises(ValueError, match="token_ids"):
        model(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="batch and length"):
        model.sample(0, 3)


@pytest.mark.skipif(
    oracle_file() is None,
    reason="the benchmark oracle file seqgan_oracle_lstm.npz is absent (set BEYOND_MLE_ORACLE)",
)
def test_benchmark_oracle_port_scores_its_own_samples_at_5_750():
    oracle = load_oracle(oracle_file())
    assert oracle.config == LSTMConfig(vocab_size=5000, embedding_size=32, hidden_size=32)
    with torch.no_grad():  # the sampling pass's logits are the teacher-forced ones (tested above)
        samples, logits = oracle.sample(
            2000, 20, generator=torch.Generator().manual_seed(0), return_logits=True
        )
    token_log_probs = torch.log_softmax(logits, -1).gather(-1, samples.unsqueeze(-1))
    assert abs(-token_log_probs.mean().item() - 5.750) < 0.02
