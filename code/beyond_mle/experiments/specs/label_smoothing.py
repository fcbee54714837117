"""The experiment of the chapter "Label smoothing and class-aware gradients"."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params

register(
    Experiment(
        name="label-smoothing",
        notebook="book/gans/label_smoothing.ipynb",
        description=(
            "Label smoothing and class-aware gradients: the regimes of the smoothed generator "
            "losses, free samples against a frozen discriminator, and a GAN on a ring of eight "
            "Gaussians trained with each kind of smoothing"
        ),
        params={
            **common_params(),
            "lambdas": Param(
                "list[float]",
                (0.0, 0.1, 0.2, 0.3),
                low=0.0,
                high=1.0,
                help="smoothing amounts drawn in the regime figure",
            ),
            "fake_smoothing": Param(
                float, 0.2, low=0.0, high=1.0, help="lambda_1, the fake class's target for real"
            ),
            "target_smoothing": Param(
                float, 0.2, low=0.0, high=1.0, help="lambda of the smoothed -log D_r target"
            ),
            "real_label": Param(
                float, 0.9, low=0.0, high=1.0, help="label of data under one-sided smoothing"
            ),
            "modes": Param(int, 8, low=1, high=1000, help="Gaussians on the ring"),
            "radius": Param(float, 2.0, low=1e-3, high=1000.0, help="the ring's radius"),
            "std": Param(float, 0.1, low=1e-4, high=100.0, help="standard deviation of each mode"),
            "n_particles": Param(
                int,
                400,
                low=2,
                high=1_000_000,
                help="free samples moved against a frozen discriminator",
            ),
            "particle_spread": Param(
                float, 1.5, low=1e-3, high=100.0, help="standard deviation of their start"
            ),
            "disc_steps": Param(
                int, 300, low=1, high=1_000_000, help="Adam steps of each frozen discriminator"
            ),
            "flow_steps": Param(
                int, 300, low=1, high=1_000_000, help="gradient steps of the free samples"
            ),
            "flow_lr": Param(
                float, 0.05, low=1e-6, high=100.0, help="step size of the free samples"
            ),
            "n_seeds": Param(int, 3, low=1, high=1000, help="GAN runs per variant"),
            "steps": Param(int, 500, low=1, high=1_000_000, help="generator updates"),
            "head_start": Param(
                int, 100, low=0, high=1_000_000, help="discriminator updates before the first"
            ),
            "batch": Param(int, 128, low=1, high=1_000_000, help="samples of each kind per update"),
            "hidden": Param(int, 64, low=1, high=4096, help="units per hidden layer of both nets"),
            "depth": Param(int, 2, low=1, high=16, help="hidden layers of both nets"),
            "lr": Param(float, 0.001, low=1e-8, high=1.0, help="Adam's step size of both nets"),
            "eval_samples": Param(
                int, 500, low=2, high=1_000_000, help="samples for each measurement"
            ),
            "log_every": Param(
                int, 50, low=1, high=1_000_000, help="generator updates between measurements"
            ),
        },
        presets={
            "book": {},
            # The paper has no experiment for this section: a larger version of the book's.
            "paper": {
                "n_particles": 2000,
                "disc_steps": 1000,
                "flow_steps": 1000,
                "n_seeds": 10,
                "steps": 2000,
                "head_start": 300,
                "batch": 256,
                "eval_samples": 1000,
                "log_every": 100,
            },
        },
    )
)
