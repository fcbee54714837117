"""The experiment of the chapter \"The pull to the average\"."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params

register(
    Experiment(
        name="pull-to-average",
        notebook="book/bleu/pull_to_average.ipynb",
        description=(
            "The pull to the average: gradient fields of the 2-bit cross-entropy caricature and "
            "of the soft BLEU and GLEU on a two-token, two-symbol problem, and their fixed points"
        ),
        params={
            **common_params(),
            "grid": Param(
                int,
                15,
                low=3,
                high=401,
                help="arrows per side of each vector field (odd: 0.5 on it)",
            ),
            "n_starts": Param(
                int, 200, low=1, high=1_000_000, help="random starts of the gradient descents"
            ),
            "descent_steps": Param(
                int, 500, low=1, high=1_000_000, help="gradient-descent steps from each start"
            ),
            "descent_lr": Param(
                float, 1.0, low=1e-6, high=100.0, help="gradient-descent step size on the logits"
            ),
        },
        presets={
            "book": {},
            "paper": {"grid": 41, "n_starts": 2_000, "descent_steps": 2_000},
        },
    )
)
