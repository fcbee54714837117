"""Tests of beyond_mle.models.seq2seq: shapes, feeding modes, padding and causality."""

import pytest
import torch
import torch.nn.functional as F

from beyond_mle.models.seq2seq import FEEDING, Seq2Seq, Seq2SeqConfig, source_mask
from beyond_mle.training import one_cpu_thread

VOCAB = 9
EOS = 1


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small recurrent models run fastest on one thread, more so on a shared machine."""
    with one_cpu_thread():
        yield


@pytest.fixture
def model():
    torch.manual_seed(0)
    return Seq2Seq(Seq2SeqConfig(vocab_size=VOCAB, embedding_size=12, hidden_size=10))


@pytest.fixture
def batch():
    sources = torch.tensor([[3, 4, 5, 1, 0, 0], [6, 1, 0, 0, 0, 0], [2, 3, 4, 5, 7, 1]])
    targets = torch.tensor([[5, 4, 3, 1, 0], [6, 1, 0, 0, 0], [7, 5, 4, 3, 2]])
    return sources, targets


@pytest.mark.parametrize("feeding", FEEDING)
def test_shapes_and_fed_distributions(model, batch, feeding):
    sources, targets = batch
    out = model(
        sources, targets=targets, feeding=feeding, generator=torch.Generator().manual_seed(0)
    )
    assert out.logits.shape == (3, 5, VOCAB)
    assert out.fed.shape == (3, 5, VOCAB)
    assert out.attention.shape == (3, 5, 6)
    torch.testing.assert_close(out.fed.sum(-1), torch.ones(3, 5))
    if feeding == "teacher":
        torch.testing.assert_close(out.fed, F.one_hot(targets, VOCAB).float())
    if feeding == "greedy":
        torch.testing.assert_close(out.fed, F.one_hot(out.logits.argmax(-1), VOCAB).float())
        assert not out.fed.requires_grad
    if feeding == "soft":
        torch.testing.assert_close(out.fed, torch.softmax(out.logits, -1))
        assert out.fed.requires_grad
    if feeding == "gumbel":  # one-hot forward, differentiable backward
        assert set(out.fed.detach().unique().tolist()) == {0.0, 1.0}
        assert out.fed.requires_grad


def test_target_length_without_targets(model, batch):
    sources, _ = batch
    out = model(sources, target_length=7, feeding="soft")
    assert out.logits.shape == (3, 7, VOCAB)


def test_attention_ignores_padded_source_positions(model, batch):
    sources, targets = batch
    changed = sources.clone()
    changed[0, 4:] = torch.tensor([7, 8])
    changed[1, 2:] = torch.tensor([2, 3, 4, 5])
    mask = source_mask(sources, EOS)
    assert torch.equal(mask, source_mask(changed, EOS))
    for feeding in ("teacher", "greedy", "soft"):
        a = model(sources, targets=targets, feeding=feeding)
        b = model(changed, targets=targets, feeding=feeding)
        torch.testing.assert_close(a.logits, b.logits)
        assert (a.attention[~mask.unsqueeze(1).expand_as(a.attention)] == 0).all()
        torch.testing.assert_close(a.attention.sum(-1), torch.ones(3, 5))


def test_teacher_forcing_reads_the_gold_previous_token(model, batch):
    sources, targets = batch
    base = model(sources, targets=targets, feeding="teacher").logits
    for k in range(targets.shape[1]):
        changed = targets.clone()
        changed[:, k] = (changed[:, k] + 3) % VOCAB
        logits = model(sources, targets=changed, feeding="teacher").logits
        torch.testing.assert_close(logits[:, : k + 1], base[:, : k + 1])  # steps 0..k unchanged
        if k + 1 < targets.shape[1]:
            assert not torch.allclose(logits[:, k + 1], base[:, k + 1])  # step k+1 reads it


def test_teacher_forcing_on_the_greedy_output_is_greedy_decoding(model, batch):
    sources, _ = batch
    greedy = model(sources, target_length=5, feeding="greedy")
    forced = model(sources, targets=greedy.logits.argmax(-1), feeding="teacher")
    torch.testing.assert_close(forced.logits, greedy.logits)


def test_soft_feeding_backpropagates_through_the_fed_softmax(model, batch):
    sources, _ = batch
    out = model(sources, target_length=3, feeding="soft")
    # the second step's logits depend on the first step's logits through the soft input
    (grad,) = torch.autograd.grad(out.logits[:, 1].sum(), model.output.weight)
    greedy = model(sources, target_length=3, feeding="greedy")
    (grad_greedy,) = torch.autograd.grad(greedy.logits[:, 1].sum(), model.output.weight)
    assert not torch.allclose(grad, grad_greedy)  # the soft path adds a gradient term


def test_bad_arguments_raise(model, batch):
    sources, targets = batch
    with pytest.raises(ValueError, match="feeding"):
        model(sources, targets=targets, feeding="beam")
    with pytest.raises(ValueError, match="needs targets"):
        model(sources, target_length=3, feeding="teacher")
    with pytest.raises(ValueError, match="target_length"):
        model(sources, feeding="greedy")
    with pytest.raises(ValueError, match="temperature"):
        model(sources, target_length=2, feeding="gumbel", temperature=0.0)
    with pytest.raises(ValueError, match="vocab_size"):
        Seq2SeqConfig(vocab_size=2)
    with pytest.raises(ValueError, match="eos_id"):
        Seq2SeqConfig(vocab_size=5, eos_id=5)
