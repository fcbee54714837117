"""Tests of beyond_mle.streams: named random streams derived from one seed."""

import numpy as np
import pytest
import torch

from beyond_mle import streams


def test_streams_are_reproducible_and_distinct():
    names = ["train data", "test data", "initial weights", "batches", "gumbel noise"]
    seeds = {(seed, name): streams.stream_seed(seed, name) for seed in range(50) for name in names}
    assert len(set(seeds.values())) == len(seeds)  # no two (seed, name) pairs collide
    assert all(0 <= value < 2**63 for value in seeds.values())
    assert streams.stream_seed(7, "batches") == seeds[(7, "batches")]


def test_shifted_seeds_do_not_share_streams():
    # the collision that hand-offset seeds make: seed + 1 of one stream is another seed's stream
    assert streams.stream_seed(0, "test data") != streams.stream_seed(1, "train data")
    a = torch.rand(5, generator=streams.generator(1, "train data"))
    b = torch.rand(5, generator=streams.generator(0, "test data"))
    assert not torch.equal(a, b)


def test_generators_draw_the_same_numbers_for_the_same_stream():
    a = torch.randn(4, generator=streams.generator(3, "noise"))
    b = torch.randn(4, generator=streams.generator(3, "noise"))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    x = streams.numpy_generator(3, "noise").random(3)
    y = streams.numpy_generator(3, "noise").random(3)
    assert np.array_equal(x, y)


def test_seed_global_seeds_torch_numpy_and_python():
    streams.seed_global(2, "initial weights")
    first = torch.nn.Linear(3, 2).weight.detach().clone()
    streams.seed_global(2, "initial weights")
    torch.testing.assert_close(torch.nn.Linear(3, 2).weight.detach(), first, rtol=0, atol=0)
    streams.seed_global(2, "other weights")
    assert not torch.equal(torch.nn.Linear(3, 2).weight.detach(), first)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_bad_seed_is_refused(seed):
    with pytest.raises(ValueError, match="seed"):
        streams.stream_seed(seed, "batches")


def test_empty_name_is_refused():
    with pytest.raises(ValueError, match="name"):
        streams.stream_seed(0, "")
