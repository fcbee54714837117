"""Tests of beyond_mle.chapters.scores: the classifier, the GAN, the experiments, the config.

Training is kept to a few dozen steps: the tests check shapes, determinism, bookkeeping and the
closed forms the experiments rest on, not the quality of the nets. The data are tested in
``test_tasks_digits.py``, the scores themselves in ``test_scores.py``.
"""

import math
from dataclasses import replace

import pytest
import torch

from beyond_mle.chapters.scores import (
    CONFIDENCE_LEVELS,
    ScoresConfig,
    accuracy,
    classifier_dependence,
    classifier_probs,
    confident_am_scores,
    generate_digits,
    imbalance_experiment,
    mix_rankings,
    rise_over_noise,
    score_summary,
    score_tracking_experiment,
    stand_in_mixes,
    train_classifier,
    train_digits_gan,
)
from beyond_mle.experiments import get_experiment
from beyond_mle.scores import am_score, am_score_2017, inception_score
from beyond_mle.tasks.digits import NUM_CLASSES, PIXELS, load_digits_split

QUICK = ScoresConfig(classifier_hidden=64, classifier_steps=200)


@pytest.fixture(scope="module")
def split():
    return load_digits_split()


@pytest.fixture(scope="module")
def classifier(split):
    return train_classifier(split.x_train, split.y_train, QUICK)


# Classifier and scores


def test_classifier_learns_and_is_deterministic(split, classifier):
    assert accuracy(classifier, split.x_test, split.y_test) > 0.8
    again = train_classifier(split.x_train, split.y_train, QUICK)
    torch.testing.assert_close(
        classifier_probs(classifier, split.x_test), classifier_probs(again, split.x_test)
    )
    other = train_classifier(split.x_train, split.y_train, QUICK, name="another classifier")
    assert not torch.equal(
        classifier_probs(classifier, split.x_test), classifier_probs(other, split.x_test)
    )  # another name, other streams
    probs = classifier_probs(classifier, split.x_test[:7])
    assert probs.shape == (7, NUM_CLASSES) and probs.dtype == torch.float64
    torch.testing.assert_close(probs.sum(-1), torch.ones(7, dtype=torch.float64))


def test_classifier_rejects_bad_input(split):
    with pytest.raises(ValueError, match="y must hold classes in"):
        train_classifier(split.x_train, split.y_train, QUICK, num_classes=5)
    with pytest.raises(ValueError, match="x must be"):
        train_classifier(split.x_train[:3], split.y_train[:4], QUICK)


def test_score_summary_of_real_data(split, classifier):
    probs = classifier_probs(classifier, split.x_test)
    summary = score_summary(probs, classifier_probs(classifier, split.x_train))
    assert summary["mode"] == pytest.approx(summary["inception"], rel=1e-12)
    log_is = summary["marginal_entropy"] - summary["mean_entropy"]
    assert math.log(summary["inception"]) == pytest.approx(log_is, abs=1e-12)
    assert summary["am"] == pytest.approx(summary["marginal_kl"] + summary["mean_entropy"])
    assert summary["am_exp"] == pytest.approx(math.exp(summary["am"]))
    # eq. (5): the two cross-entropies, and its tie to the AM-GAN form
    assert summary["am_2017"] == pytest.approx(
        summary["mean_cross_entropy"] - summary["cross_entropy"]
    )
    reference_entropy = summary["cross_entropy"] - summary["marginal_kl"]
    per_sample = summary["mean_entropy"] + summary["mean_cross_entropy"]
    assert summary["am_2017"] + summary["am"] == pytest.approx(per_sample - reference_entropy)
    assert summary["am_2017"] > 0
    # real, balanced digits scored by a classifier that fits them: a high score, small KL
    assert summary["inception"] > 7.0 and summary["marginal_kl"] < 0.01
    assert summary["cross_entropy"] >= summary["marginal_kl"]


def test_score_summary_gives_nan_mode_for_a_reference_that_misses_a_class():
    probs = torch.eye(3, dtype=torch.float64)
    reference_probs = torch.eye(3, dtype=torch.float64)[[0, 1]]
    summary = score_summary(probs, reference_probs)
    assert math.isnan(summary["mode"]) and summary["inception"] == pytest.approx(3.0)


# The GAN and the experiments

TINY_GAN = replace(QUICK, gan_steps=30, batch=16, hidden=16, eval_samples=50, log_every=10)


def test_train_digits_gan_logs_scores_and_is_deterministic(split, classifier):
    config = replace(TINY_GAN, seed=3)
    history, g = train_digits_gan(split.x_train, classifier, config)
    assert [row["step"] for row in history] == [0.0, 10.0, 20.0, 30.0]
    assert math.isnan(history[0]["d_loss"]) and all(
        math.isfinite(row["d_loss"]) for row in history[1:]
    )
    for row in history:
        assert 1.0 <= row["inception"] <= NUM_CLASSES + 1e-9
        assert row["mode"] == pytest.approx(row["inception"], rel=1e-9)
    again, _ = train_digits_gan(split.x_train, classifier, config)
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


def test_score_tracking_experiment_runs_each_seed(split, classifier):
    config = replace(TINY_GAN, n_seeds=2, seed=5)
    rows, generators = score_tracking_experiment(split, classifier, config)
    assert sorted(generators) == [0, 1]
    assert sorted({row["run"] for row in rows}) == [0.0, 1.0]
    assert len(rows) == 2 * 4
    start = {row["run"]: row["inception"] for row in rows if row["step"] == 0}
    assert start[0.0] != start[1.0]  # each run from its own streams
    first, _ = train_digits_gan(split.x_train, classifier, config, run=0)
    assert [row["inception"] for row in rows[:4]] == [row["inception"] for row in first]


def test_imbalance_experiment_ranks_as_the_paper_says(split, classifier):
    config = replace(QUICK, imbalance=10.0, imbalance_samples=500, imbalance_seeds=2)
    rows = imbalance_experiment(split, classifier, config)
    assert len(rows) == 2 * 4
    assert sorted({row["draw"] for row in rows}) == [0.0, 1.0]
    mean = {}
    for name in ("uniform mix", "reference mix", "reversed mix", "five classes"):
        picked = [row for row in rows if row["generator"] == name]
        mean[name] = {key: sum(row[key] for row in picked) / 2 for key in ("inception", "am")}
    best_is = max(mean, key=lambda name: mean[name]["inception"])
    best_am = min(mean, key=lambda name: mean[name]["am"])
    assert best_is == "uniform mix" and best_am == "reference mix"
    assert all(row["mode"] == pytest.approx(row["inception"], rel=1e-9) for row in rows)
    for row in rows:  # each class's share of eq. (5) adds up to it
        shares = [row[f"am_2017_class_{k}"] for k in range(NUM_CLASSES)]
        assert sum(shares) == pytest.approx(row["am_2017"], rel=1e-12)
        assert min(shares) >= -1e-12


def test_classifier_dependence_rows(split):
    sets = {"real": split.x_test[:100], "noise": torch.rand(100, PIXELS)}
    rows = classifier_dependence(split, sets, replace(QUICK, few_per_class=2))
    assert len(rows) == 3 * 2
    by_name = {(row["classifier"], row["samples"]): row for row in rows}
    assert by_name[("half the classes", "real")]["classes"] == 5.0
    # a classifier with K outputs gives scores in [1, K]
    for row in rows:
        assert 1.0 <= row["inception"] <= row["classes"] + 1e-9
        assert 0.0 <= row["accuracy"] <= 1.0
    # the full classifier is the chapter's: the same streams
    assert by_name[("full", "real")]["inception"] == pytest.approx(
        inception_score(
            classifier_probs(train_classifier(split.x_train, split.y_train, QUICK), sets["real"])
        ).item()
    )
    with pytest.raises(ValueError, match="subset_classes must name"):
        classifier_dependence(split, sets, QUICK, subset_classes=(3,))


# The configuration


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n_random", 0),
        ("classifier_steps", 0),
        ("classifier_hidden", 0),
        ("gan_steps", 0),
        ("n_seeds", 0),
        ("batch", 0),
        ("noise_dim", 0),
        ("lr", 0.0),
        ("d_lr", 0.0),
        ("eval_samples", 1),
        ("log_every", 0),
        ("imbalance", 0.5),
        ("imbalance_samples", 0),
        ("imbalance_seeds", 0),
        ("few_per_class", 0),
    ],
)
def test_bad_config_values_raise_naming_the_parameter(name, value):
    with pytest.raises(ValueError, match=f"parameter '{name}' = {value!r} is invalid"):
        ScoresConfig(**{name: value})


def test_presets_construct():
    assert get_experiment("scores").config is ScoresConfig
    paper = ScoresConfig.preset("paper")
    assert (paper.gan_steps, paper.n_seeds, paper.eval_samples) == (10_000, 5, 5000)
    assert ScoresConfig.preset("book") == ScoresConfig()


# Both AM scores in closed form, and the helpers of the chapter


def test_stand_in_mixes():
    mixes = stand_in_mixes(10.0)
    assert list(mixes) == ["uniform mix", "reference mix", "reversed mix", "five classes"]
    for mix in mixes.values():
        assert mix.shape == (NUM_CLASSES,) and math.isclose(mix.sum().item(), 1.0, rel_tol=1e-12)
    torch.testing.assert_close(mixes["reversed mix"], mixes["reference mix"].flip(0))
    assert mixes["reference mix"][0] / mixes["reference mix"][-1] == pytest.approx(10.0)
    assert (mixes["five classes"][5:] == 0).all()


@pytest.mark.parametrize("eps", [0.3, 0.1, 1e-3])
def test_confident_am_scores_match_the_package(eps):
    reference_mix = stand_in_mixes(10.0)["reference mix"]
    for mix in stand_in_mixes(10.0).values():
        counts = (400 * mix).round().long()
        labels = torch.repeat_interleave(torch.arange(NUM_CLASSES), counts)
        probs = (1 - eps) * torch.eye(NUM_CLASSES, dtype=torch.float64)[labels] + eps / NUM_CLASSES
        am17, am18 = confident_am_scores(counts.double() / counts.sum(), reference_mix, eps)
        assert am17 == pytest.approx(am_score_2017(probs, reference_mix[None]).item(), abs=1e-12)
        assert am18 == pytest.approx(am_score(probs, reference_mix[None]).item(), abs=1e-12)


def test_confident_am_scores_rank_the_mixes_apart():
    mixes = stand_in_mixes(10.0)
    reference_mix = mixes["reference mix"]
    for eps in CONFIDENCE_LEVELS:
        scores = {name: confident_am_scores(mix, reference_mix, eps) for name, mix in mixes.items()}
        # the AM-GAN form always prefers the reference's own mix
        assert min(scores, key=lambda name: scores[name][1]) == "reference mix"
    # eq. (5) prefers it only for an unsure classifier; a confident one ranks it below others
    unsure = {name: confident_am_scores(mix, reference_mix, 0.2)[0] for name, mix in mixes.items()}
    assert max(unsure, key=unsure.get) == "reference mix"
    sure = {name: confident_am_scores(mix, reference_mix, 1e-6)[0] for name, mix in mixes.items()}
    assert sure["uniform mix"] > sure["reversed mix"] > sure["reference mix"] > sure["five classes"]
    # as eps -> 0, eq. (5) grows like (1 - <g, c> - c(missing)) log(K / eps)
    for mix in mixes.values():
        overlap = (mix * reference_mix).sum().item()
        missing = reference_mix[mix == 0].sum().item()
        slope = (
            confident_am_scores(mix, reference_mix, 1e-9)[0]
            - confident_am_scores(mix, reference_mix, 1e-8)[0]
        )
        assert slope / math.log(10) == pytest.approx(1 - overlap - missing, abs=1e-6)
    with pytest.raises(ValueError, match="eps must lie"):
        confident_am_scores(reference_mix, reference_mix, 0.0)
    with pytest.raises(ValueError, match="same length"):
        confident_am_scores(reference_mix, reference_mix[:3], 0.1)


def test_mix_rankings_and_rise_over_noise():
    table = {"generator": ["a", "b", "c"], "inception": [1.0, 3.0, 2.0], "am_2017": [5.0, 4.0, 6.0],
             "am": [0.3, 0.1, 0.2]}  # fmt: skip
    assert mix_rankings(table) == {
        "Inception score": ["b", "c", "a"],
        "AM score, eq. (5)": ["c", "a", "b"],
        "AM-GAN score": ["b", "c", "a"],
    }
    assert list(mix_rankings({"generator": ["a"], "inception": [1.0]})) == ["Inception score"]
    runs = {"run": [0, 0, 0, 1, 1, 1], "step": [0, 10, 20, 0, 10, 20],
            "am_2017": [0.0, 4.0, 6.0, 1.0, 3.0, 5.0]}  # fmt: skip
    # second half = steps 10 and 20: run 0 (5 - 0) / std(4, 6), run 1 (4 - 1) / std(3, 5)
    expected = (5 / math.sqrt(2) + 3 / math.sqrt(2)) / 2
    assert rise_over_noise(runs) == pytest.approx(expected)
