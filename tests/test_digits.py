"""Tests of beyond_mle.digits: the fixed split, class mixes, the classifier, the GAN, experiments.

Training is kept to a few dozen steps: the tests check shapes, determinism, bookkeeping and the
closed forms the experiments rest on, not the quality of the nets.
"""

import math

import pytest
import torch

from beyond_mle.digits import (
    NUM_CLASSES,
    PIXELS,
    ClassifierConfig,
    DigitsGanConfig,
    accuracy,
    classifier_dependence,
    classifier_probs,
    generate_digits,
    geometric_mix,
    imbalance_experiment,
    load_digits_split,
    resample_to_mix,
    score_summary,
    score_tracking_experiment,
    train_classifier,
    train_digits_gan,
)
from beyond_mle.scores import inception_score

QUICK = ClassifierConfig(hidden=64, steps=200)


@pytest.fixture(scope="module")
def split():
    return load_digits_split()


@pytest.fixture(scope="module")
def classifier(split):
    return train_classifier(split.x_train, split.y_train, QUICK, seed=0)


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Classifier and scores
# --------------------------------------------------------------------------------------------


def test_classifier_learns_and_is_deterministic(split, classifier):
    assert accuracy(classifier, split.x_test, split.y_test) > 0.8
    again = train_classifier(split.x_train, split.y_train, QUICK, seed=0)
    torch.testing.assert_close(
        classifier_probs(classifier, split.x_test), classifier_probs(again, split.x_test)
    )
    probs = classifier_probs(classifier, split.x_test[:7])
    assert probs.shape == (7, NUM_CLASSES) and probs.dtype == torch.float64
    torch.testing.assert_close(probs.sum(-1), torch.ones(7, dtype=torch.float64))


def test_classifier_rejects_bad_input(split):
    with pytest.raises(ValueError, match="y must hold classes in"):
        train_classifier(split.x_train, split.y_train, QUICK, num_classes=5)
    with pytest.raises(ValueError, match="x must be"):
        train_classifier(split.x_train[:3], split.y_train[:4], QUICK)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        ClassifierConfig(steps=0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        ClassifierConfig(lr=0.0)


def test_score_summary_of_real_data(split, classifier):
    probs = classifier_probs(classifier, split.x_test)
    summary = score_summary(probs, classifier_probs(classifier, split.x_train))
    assert summary["mode"] == pytest.approx(summary["inception"], rel=1e-12)
    log_is = summary["marginal_entropy"] - summary["mean_entropy"]
    assert math.log(summary["inception"]) == pytest.approx(log_is, abs=1e-12)
    assert summary["am"] == pytest.approx(summary["marginal_kl"] + summary["mean_entropy"])
    assert summary["am_exp"] == pytest.approx(math.exp(summary["am"]))
    # real, balanced digits scored by a classifier that fits them: a high score, small KL
    assert summary["inception"] > 7.0 and summary["marginal_kl"] < 0.01
    assert summary["cross_entropy"] >= summary["marginal_kl"]


def test_score_summary_gives_nan_mode_for_a_reference_that_misses_a_class():
    probs = torch.eye(3, dtype=torch.float64)
    reference_probs = torch.eye(3, dtype=torch.float64)[[0, 1]]
    summary = score_summary(probs, reference_probs)
    assert math.isnan(summary["mode"]) and summary["inception"] == pytest.approx(3.0)


# --------------------------------------------------------------------------------------------
# The GAN and the experiments
# --------------------------------------------------------------------------------------------

TINY_GAN = DigitsGanConfig(steps=30, batch=16, hidden=16, eval_samples=50, log_every=10)


def test_train_digits_gan_logs_scores_and_is_deterministic(split, classifier):
    history, g = train_digits_gan(split.x_train, classifier, TINY_GAN, seed=3)
    assert [row["step"] for row in history] == [0.0, 10.0, 20.0, 30.0]
    assert math.isnan(history[0]["d_loss"]) and all(
        math.isfinite(row["d_loss"]) for row in history[1:]
    )
    for row in history:
        assert 1.0 <= row["inception"] <= NUM_CLASSES + 1e-9
        assert row["mode"] == pytest.approx(row["inception"], rel=1e-9)
    again, _ = train_digits_gan(split.x_train, classifier, TINY_GAN, seed=3)
    torch.testing.assert_close(  # the same run, to the bit (NaN losses at step 0 included)
        torch.tensor([list(row.values()) for row in again], dtype=torch.float64),
        torch.tensor([list(row.values()) for row in history], dtype=torch.float64),
        rtol=0.0,
        atol=0.0,
        equal_nan=True,
    )
    images = generate_digits(g, 5, generator=torch.Generator().manual_seed(0))
    assert images.shape == (5, PIXELS) and (images > 0).all() and (images < 1).all()
    with pytest.raises(ValueError, match="x_train must have shape"):
        train_digits_gan(split.x_train[:, :10], classifier, TINY_GAN)
    with pytest.raises(ValueError, match="eval_samples must be >= 2"):
        DigitsGanConfig(eval_samples=1)


def test_score_tracking_experiment_runs_each_seed(split, classifier):
    rows, generators = score_tracking_experiment(split, classifier, TINY_GAN, n_seeds=2, seed=5)
    assert sorted(generators) == [5, 6]
    assert sorted({row["seed"] for row in rows}) == [5.0, 6.0]
    assert len(rows) == 2 * 4
    with pytest.raises(ValueError, match="n_seeds must be >= 1"):
        score_tracking_experiment(split, classifier, TINY_GAN, n_seeds=0)


def test_imbalance_experiment_ranks_as_the_paper_says(split, classifier):
    rows = imbalance_experiment(split, classifier, imbalance=10.0, n_samples=500, n_seeds=2)
    assert len(rows) == 2 * 4
    mean = {}
    for name in ("uniform mix", "reference mix", "reversed mix", "five classes"):
        picked = [row for row in rows if row["generator"] == name]
        mean[name] = {key: sum(row[key] for row in picked) / 2 for key in ("inception", "am")}
    best_is = max(mean, key=lambda name: mean[name]["inception"])
    best_am = min(mean, key=lambda name: mean[name]["am"])
    assert best_is == "uniform mix" and best_am == "reference mix"
    assert all(row["mode"] == pytest.approx(row["inception"], rel=1e-9) for row in rows)


def test_classifier_dependence_rows(split):
    sets = {"real": split.x_test[:100], "noise": torch.rand(100, PIXELS)}
    rows = classifier_dependence(split, sets, QUICK, few_per_class=2)
    assert len(rows) == 3 * 2
    by_name = {(row["classifier"], row["samples"]): row for row in rows}
    assert by_name[("half the classes", "real")]["classes"] == 5.0
    # a classifier with K outputs gives scores in [1, K]
    for row in rows:
        assert 1.0 <= row["inception"] <= row["classes"] + 1e-9
        assert 0.0 <= row["accuracy"] <= 1.0
    assert by_name[("full", "real")]["inception"] == pytest.approx(
        inception_score(
            classifier_probs(train_classifier(split.x_train, split.y_train, QUICK), sets["real"])
        ).item()
    )
    with pytest.raises(ValueError, match="few_per_class must be >= 1"):
        classifier_dependence(split, sets, QUICK, few_per_class=0)
    with pytest.raises(ValueError, match="subset_classes must name"):
        classifier_dependence(split, sets, QUICK, subset_classes=(3,))
