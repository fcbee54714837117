"""Tests of the small Transformer decoder (beyond_mle.models.transformer)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from beyond_mle.models.transformer import TransformerConfig, TransformerDecoder, attention_mask


def _model(**sizes) -> TransformerDecoder:
    torch.manual_seed(0)
    config = dict(vocab_size=9, block_size=10, n_layers=2, n_heads=2, width=16)
    return TransformerDecoder(TransformerConfig(**{**config, **sizes})).double()


def _ids(batch: int = 3, length: int = 7, seed: int = 1) -> torch.Tensor:
    return torch.randint(2, 9, (batch, length), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("n_layers", "n_heads", "width"), [(1, 1, 8), (2, 2, 16), (3, 4, 32)])
def test_logits_and_features_have_the_documented_shapes(n_layers, n_heads, width):
    model = _model(n_layers=n_layers, n_heads=n_heads, width=width)
    ids = _ids()
    assert model(ids).shape == (3, 7, 9)
    assert model.features(ids).shape == (3, 7, width)
    torch.testing.assert_close(model.head(model.features(ids)), model(ids))


def test_causal_mask_changing_a_later_token_leaves_earlier_logits_unchanged():
    model = _model()
    ids = _ids()
    for t in range(ids.shape[1] - 1):
        changed = ids.clone()
        changed[:, t + 1 :] = (changed[:, t + 1 :] + 1 - 2) % 7 + 2  # other words, never PAD
        before, after = model(ids), model(changed)
        torch.testing.assert_close(before[:, : t + 1], after[:, : t + 1])
        assert not torch.allclose(before[:, t + 1], after[:, t + 1])


def test_padding_is_never_attended_to_by_other_positions():
    model = _model()
    ids = _ids()
    ids[:, 3] = 0  # a padding token in the middle
    logits = model(ids)
    # whatever sits in the padded slot cannot reach the other positions
    padding = ids == 0
    swapped = F.one_hot(ids, 9).double()
    swapped[:, 3] = F.one_hot(torch.tensor(5), 9).double()
    masked = model(swapped, padding=padding)
    torch.testing.assert_close(masked[:, 4:], logits[:, 4:])
    torch.testing.assert_close(masked[:, :3], logits[:, :3])
    # without the mask, the same change does reach later positions
    unmasked = torch.zeros_like(padding)
    assert not torch.allclose(model(swapped, padding=unmasked)[:, 4:], logits[:, 4:])


def test_attention_mask_is_causal_and_keeps_the_diagonal():
    padding = torch.tensor([[False, True, False, True]])
    mask = attention_mask(padding)[0, 0]
    assert mask.shape == (4, 4)
    assert not mask.triu(1).any()  # no future keys
    assert mask.diagonal().all()  # every query sees itself, so no row is empty
    assert not mask[2:, 1].any() and not mask[3:, 1].any()  # padding keys are hidden
    assert mask[3, 3] and not mask[3, 1]


def test_one_hot_distributions_give_the_logits_of_the_ids():
    model = _model()
    ids = _ids()
    ids[0, 5:] = 0  # padding, which one-hot inputs must be told about
    one_hot = F.one_hot(ids, 9).double()
    torch.testing.assert_close(model(one_hot, padding=ids == 0), model(ids))


def test_soft_inputs_embed_as_the_mixture_of_embeddings():
    model = _model()
    probs = torch.softmax(torch.randn(2, 5, 9, dtype=torch.float64), -1)
    torch.testing.assert_close(model.embed(probs), probs @ model.wte.weight)
    probs.requires_grad_(True)
    model(probs).sum().backward()
    assert probs.grad is not None and torch.isfinite(probs.grad).all()


def test_cross_entropy_of_a_tiny_model_decreases():
    torch.manual_seed(0)
    model = TransformerDecoder(TransformerConfig(vocab_size=6, block_size=6, width=16))
    ids = torch.tensor([[2, 3, 4, 5, 2, 3], [5, 4, 3, 2, 5, 4]])
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        optimiser.zero_grad()
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.transpose(1, 2), ids[:, 1:])
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize(
    ("sizes", "name"),
    [
        (dict(vocab_size=1), "vocab_size"),
        (dict(block_size=0), "block_size"),
        (dict(n_layers=0), "n_layers"),
        (dict(width=15, n_heads=2), "width"),
        (dict(pad_id=9), "pad_id"),
    ],
)
def test_bad_config_raises_naming_the_field(sizes, name):
    config = dict(vocab_size=9, block_size=10, n_layers=2, n_heads=2, width=16)
    with pytest.raises(ValueError, match=name):
        TransformerConfig(**{**config, **sizes})


def test_bad_inputs_raise():
    model = _model()
    with pytest.raises(ValueError, match="sequence length"):
        model(_ids(length=11))
    with pytest.raises(ValueError, match="entries"):
        model(torch.rand(1, 3, 8, dtype=torch.float64))
    with pytest.raises(ValueError, match="inputs must be"):
        model(torch.zeros(2, 3, 4, dtype=torch.long))
