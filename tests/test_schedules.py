"""The decays of scheduled sampling."""

import math

import pytest

from beyond_mle.schedules import SCHEDULES, teacher_forcing_probability


@pytest.mark.parametrize("kind", SCHEDULES)
def test_schedules_start_near_one_and_never_increase(kind):
    values = [teacher_forcing_probability(i, 100, kind) for i in range(0, 301)]
    assert values[0] >= 0.9
    assert all(b <= a + 1e-15 for a, b in zip(values, values[1:], strict=False))
    assert all(0.0 <= v <= 1.0 for v in values)


def test_schedule_landmarks():
    assert teacher_forcing_probability(100, 100, "linear") == 0.0
    assert teacher_forcing_probability(100, 100, "exponential") == pytest.approx(0.01)
    assert teacher_forcing_probability(50, 100, "inverse-sigmoid") == pytest.approx(0.5)
    assert teacher_forcing_probability(10**6, 100, "inverse-sigmoid") == pytest.approx(0.0)
    assert teacher_forcing_probability(80, 100, "linear", floor=0.25) == 0.25
    assert teacher_forcing_probability(7, 100, "constant", floor=0.5) == 0.5
    assert teacher_forcing_probability(7, 100, "constant") == 1.0


def test_inverse_sigmoid_is_bengios_form():
    # k / (k + exp(i / k)) with the k the schedule picks for its midpoint.
    total = 400
    eps = [teacher_forcing_probability(i, total, "inverse-sigmoid") for i in (0, 100, 300)]
    k = next(k for k in (x / 1000 for x in range(1001, 400_000)) if k * math.log(k) >= total / 2)
    for i, value in zip((0, 100, 300), eps, strict=True):
        assert value == pytest.approx(k / (k + math.exp(i / k)), rel=1e-3)


@pytest.mark.parametrize(
    ("args", "name"),
    [((-1, 10, "linear"), "step"), ((0, 0, "linear"), "total"), ((0, 10, "cosine"), "kind")],
)
def test_bad_input_names_the_parameter(args, name):
    with pytest.raises(ValueError, match=name):
        teacher_forcing_probability(*args)
    with pytest.raises(ValueError, match="floor"):
        teacher_forcing_probability(0, 10, "linear", floor=1.5)
