"""The experiment of the chapter \"Inception, MODE and AM scores\", on scikit-learn's digits."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params

register(
    Experiment(
        name="inception-scores",
        notebook="book/gans/scores.ipynb",
        description=(
            "Inception, MODE and AM scores: Lemma 1 and MODE = Inception checked numerically, "
            "a digits classifier as the Inception network, a digits GAN scored while it "
            "trains, a class-imbalanced reference, and classifiers that do not fit the data"
        ),
        params={
            **common_params(),
            "n_random": Param(
                int, 200, low=1, high=1_000_000, help="random inputs of the Lemma 1 check"
            ),
            "classifier_steps": Param(
                int, 400, low=1, high=1_000_000, help="Adam steps of each classifier"
            ),
            "classifier_hidden": Param(
                int, 128, low=1, high=4096, help="units per hidden layer of the classifiers"
            ),
            "gan_steps": Param(int, 2000, low=1, high=1_000_000, help="updates of each player"),
            "n_seeds": Param(int, 2, low=1, high=1000, help="GAN runs"),
            "batch": Param(int, 64, low=1, high=100_000, help="images of each kind per update"),
            "noise_dim": Param(int, 16, low=1, high=4096, help="dimensions of the GAN's noise"),
            "hidden": Param(
                int, 128, low=1, high=4096, help="units per hidden layer of both GAN nets"
            ),
            "lr": Param(float, 0.002, low=1e-8, high=1.0, help="generator's Adam step size"),
            "d_lr": Param(float, 0.002, low=1e-8, high=1.0, help="discriminator's Adam step size"),
            "eval_samples": Param(
                int, 1000, low=2, high=10_000_000, help="generated images scored per measurement"
            ),
            "log_every": Param(int, 100, low=1, high=1_000_000, help="updates between scores"),
            "imbalance": Param(
                float, 10.0, low=1.0, high=1e6, help="most over least frequent reference class"
            ),
            "imbalance_samples": Param(
                int, 1000, low=1, high=10_000_000, help="images per stand-in generator"
            ),
            "imbalance_seeds": Param(int, 5, low=1, high=10_000, help="resamplings of each mix"),
            "few_per_class": Param(
                int, 3, low=1, high=100, help="images per class of the poorly fitted classifier"
            ),
        },
        presets={
            "book": {},
            # The scale of the paper's protocol on this data: more and longer GAN runs, 5,000
            # images per score (Salimans et al. use 50,000 CIFAR-10 images), more resamplings.
            "paper": {
                "n_random": 2000,
                "classifier_steps": 2000,
                "gan_steps": 10_000,
                "n_seeds": 5,
                "eval_samples": 5000,
                "log_every": 100,
                "imbalance_samples": 5000,
                "imbalance_seeds": 20,
            },
        },
    )
)
