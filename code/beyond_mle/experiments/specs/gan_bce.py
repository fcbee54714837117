"""The experiment of the chapter \"The BCE loss of GANs\": saturation and the generator costs."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params

register(
    Experiment(
        name="gan-bce",
        notebook="book/gans/bce_loss.ipynb",
        description=(
            "The BCE loss of GANs: the three generator costs and their saturation, "
            "Jensen-Shannon against Wasserstein-1 on a grid, and a 1-D GAN trained with each "
            "cost after a discriminator head start"
        ),
        params={
            **common_params(),
            "grid_points": Param(
                int, 2001, low=10, high=1_000_000, help="points of the grid of the divergences"
            ),
            "n_distances": Param(
                int, 41, low=2, high=10_000, help="distances between the two Gaussians, 0 to 8"
            ),
            "n_seeds": Param(int, 3, low=1, high=1000, help="GAN runs per generator cost"),
            "steps": Param(int, 400, low=1, high=1_000_000, help="generator updates"),
            "head_start": Param(
                int, 300, low=0, high=1_000_000, help="discriminator updates before the first"
            ),
            "d_steps": Param(
                int, 1, low=1, high=100, help="discriminator updates per generator update"
            ),
            "batch": Param(int, 128, low=1, high=1_000_000, help="samples of each kind per update"),
            "hidden": Param(int, 32, low=1, high=4096, help="units per hidden layer of both nets"),
            "depth": Param(int, 2, low=1, high=16, help="hidden layers of both nets"),
            "lr": Param(
                float, 0.02, low=1e-8, high=10.0, help="generator's gradient-descent step size"
            ),
            "d_lr": Param(float, 0.001, low=1e-8, high=1.0, help="discriminator's Adam step size"),
            "target": Param(
                str, "gaussian", choices=("gaussian", "mixture"), help="the data distribution"
            ),
            "target_mean": Param(float, 4.0, low=-100.0, high=100.0, help="the data's mean"),
            "target_std": Param(
                float, 0.5, low=1e-3, high=100.0, help="the data's standard deviation (per mode)"
            ),
            "eval_samples": Param(
                int, 4096, low=2, high=10_000_000, help="samples for W1 and the gradient norm"
            ),
            "log_every": Param(
                int, 20, low=1, high=1_000_000, help="generator updates between measurements"
            ),
        },
        presets={
            "book": {},
            # More seeds and steps, a bimodal target, wider nets, finer grids.
            "paper": {
                "grid_points": 20_001,
                "n_distances": 161,
                "n_seeds": 10,
                "steps": 3000,
                "head_start": 1000,
                "hidden": 64,
                "target": "mixture",
                "eval_samples": 16_384,
                "log_every": 50,
            },
        },
    )
)
