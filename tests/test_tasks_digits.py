"""Tests of beyond_mle.tasks.digits: the fixed split and the class mixes."""

import math

import pytest
import torch

from beyond_mle.tasks.digits import (
    NUM_CLASSES,
    PIXELS,
    geometric_mix,
    load_digits_split,
    resample_to_mix,
)


@pytest.fixture(scope="module")
def split():
    return load_digits_split()


def test_split_is_fixed_stratified_and_scaled(split):
    again = load_digits_split()
    assert torch.equal(split.x_test, again.x_test) and torch.equal(split.y_train, again.y_train)
    assert split.x_train.shape == (1257, PIXELS) and split.x_test.shape == (540, PIXELS)
    assert split.x_train.dtype == torch.float32 and split.y_train.dtype == torch.int64
    assert 0.0 <= split.x_train.min() and split.x_train.max() <= 1.0
    share_train = torch.bincount(split.y_train, minlength=NUM_CLASSES) / len(split.y_train)
    share_test = torch.bincount(split.y_test, minlength=NUM_CLASSES) / len(split.y_test)
    assert (share_train - share_test).abs().max() < 0.01  # every class in proportion
    with pytest.raises(ValueError, match="test_fraction must lie in"):
        load_digits_split(test_fraction=1.0)


def test_geometric_mix():
    mix = geometric_mix(10.0)
    torch.testing.assert_close(mix.sum(), torch.tensor(1.0, dtype=torch.float64))
    assert math.isclose(mix[0].item() / mix[-1].item(), 10.0, rel_tol=1e-12)
    ratios = mix[1:] / mix[:-1]
    torch.testing.assert_close(ratios, ratios[0].expand_as(ratios))  # geometric
    torch.testing.assert_close(geometric_mix(1.0), torch.full((10,), 0.1, dtype=torch.float64))
    assert geometric_mix(5.0, 1).tolist() == [1.0]
    with pytest.raises(ValueError, match="imbalance must be >= 1"):
        geometric_mix(0.5)
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        geometric_mix(2.0, 0)


def test_resample_to_mix_gives_exact_class_counts(split):
    mix = geometric_mix(10.0)
    gen = torch.Generator().manual_seed(0)
    x, y = resample_to_mix(split.x_test, split.y_test, mix, 1001, generator=gen)
    assert x.shape == (1001, PIXELS) and y.shape == (1001,)
    counts = torch.bincount(y, minlength=NUM_CLASSES)
    assert counts.sum() == 1001
    assert (counts.double() - 1001 * mix).abs().max() < 1.0  # rounding only
    # every image drawn belongs to its class: its row is one of that class's images
    for image, label in zip(x[:20], y[:20], strict=True):
        members = split.x_test[split.y_test == label]
        assert (members == image).all(-1).any()
    # a missing class with positive frequency is an error, a zero frequency is not
    only_three = split.y_test != 3
    with pytest.raises(ValueError, match="class 3 a positive frequency"):
        resample_to_mix(split.x_test[only_three], split.y_test[only_three], mix, 100)
    half = torch.tensor([0.5, 0.5] + [0.0] * 8, dtype=torch.float64)
    _, y_half = resample_to_mix(split.x_test[only_three], split.y_test[only_three], half, 10)
    assert set(y_half.tolist()) == {0, 1}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n must be >= 1"),
        ({"mix": torch.tensor([0.5, 0.6])}, "mix must be a 1-D tensor"),
        ({"mix": torch.tensor([-0.5, 1.5])}, "mix must be a 1-D tensor"),
    ],
)
def test_resample_to_mix_rejects_bad_input(split, kwargs, match):
    args = {"mix": geometric_mix(2.0), "n": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        resample_to_mix(split.x_test, split.y_test, args["mix"], args["n"])
