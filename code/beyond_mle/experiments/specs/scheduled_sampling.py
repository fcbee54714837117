"""The experiment of the chapter "Scheduled sampling is improper": KL directions and JS_pi."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params

register(
    Experiment(
        name="scheduled-sampling",
        notebook="book/sequences/scheduled_sampling.ipynb",
        description=(
            "Scheduled sampling is improper: its length-two objective and minimiser, GRU language "
            "models trained with teacher forcing and scheduled sampling on a Markov source, "
            "mode covering against mode seeking, the generalised JS_pi and a GAN with prior pi"
        ),
        params={
            **common_params(),
            "pair_vocab": Param(int, 4, low=2, high=64, help="tokens of the length-two joint"),
            "n_epsilons": Param(int, 11, low=2, high=1001, help="values of epsilon from 1 to 0"),
            "vocab": Param(int, 6, low=2, high=1000, help="tokens of the Markov source"),
            "length": Param(int, 12, low=2, high=1000, help="tokens per sequence"),
            "concentration": Param(
                float, 0.3, low=1e-3, high=100.0, help="Dirichlet parameter of the chain's rows"
            ),
            "embed": Param(int, 16, low=1, high=4096, help="embedding size of the GRU"),
            "hidden": Param(int, 32, low=1, high=4096, help="state size of the GRU"),
            "steps": Param(int, 240, low=1, high=1_000_000, help="Adam updates per language model"),
            "batch": Param(int, 64, low=1, high=1_000_000, help="sequences per update"),
            "lr": Param(float, 0.01, low=1e-6, high=1.0, help="Adam's learning rate of the GRU"),
            "floor": Param(
                float, 0.0, low=0.0, high=1.0, help="smallest teacher-forcing probability"
            ),
            "eval_samples": Param(
                int, 1000, low=2, high=10_000_000, help="sequences per KL estimate"
            ),
            "log_every": Param(int, 40, low=1, high=1_000_000, help="updates between measurements"),
            "n_seeds": Param(int, 2, low=1, high=1000, help="language models per schedule"),
            "grid_points": Param(int, 801, low=50, high=1_000_000, help="points of the 1-D grid"),
            "n_pis": Param(int, 21, low=3, high=10_001, help="values of pi in the exact sweep"),
            "gan_pis": Param(
                list[float],
                (0.1, 0.3, 0.5, 0.7, 0.9),
                low=0.001,
                high=0.999,
                help="priors pi of the GAN's discriminator",
            ),
            "gan_steps": Param(int, 600, low=1, high=1_000_000, help="updates of each GAN player"),
            "gan_batch": Param(int, 128, low=1, high=1_000_000, help="samples per GAN update"),
            "gan_seeds": Param(int, 1, low=1, high=1000, help="GAN runs per pi"),
        },
        presets={
            "book": {},
            # More seeds, longer training and sequences, finer sweeps, more GAN runs.
            "paper": {
                "n_epsilons": 51,
                "length": 16,
                "steps": 800,
                "eval_samples": 5000,
                "log_every": 80,
                "n_seeds": 5,
                "grid_points": 2001,
                "n_pis": 99,
                "gan_pis": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
                "gan_steps": 1500,
                "gan_batch": 256,
                "gan_seeds": 4,
            },
        },
    )
)
