"""The experiment of the chapter \"Optimal transport for sequence learning\"."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params

register(
    Experiment(
        name="optimal-transport",
        notebook="book/sequences/optimal_transport.ipynb",
        description=(
            "Optimal transport for sequence learning: IPOT and Sinkhorn against exact EMD, and "
            "a seq2seq model trained with and without the OT sequence loss on a synthetic "
            "parallel corpus with reordering and synonyms"
        ),
        params={
            **common_params(),
            "problem_size": Param(
                int, 100, low=2, high=2000, help="n = m of the random transport problems"
            ),
            "n_problems": Param(int, 4, low=1, high=1000, help="random transport problems"),
            "max_iterations": Param(
                int, 1000, low=10, high=1_000_000, help="iterations of the convergence figure"
            ),
            "n_train": Param(int, 4000, low=1, high=10_000_000, help="training sentence pairs"),
            "n_test": Param(int, 300, low=1, high=1_000_000, help="held-out sentence pairs"),
            "max_depth": Param(
                int, 1, low=0, high=10, help="deepest nesting of prepositional phrases"
            ),
            "embedding_size": Param(int, 32, low=1, high=4096, help="token embedding width"),
            "hidden_size": Param(int, 48, low=1, high=4096, help="GRU width (each direction)"),
            "batch": Param(int, 32, low=1, high=100_000, help="sentence pairs per step"),
            "steps": Param(int, 150, low=1, high=1_000_000, help="Adam steps per condition"),
            "lr": Param(float, 0.003, low=1e-6, high=10.0, help="Adam's learning rate"),
            "log_every": Param(
                int, 25, low=1, high=100_000, help="score the held-out pairs every this many steps"
            ),
            "n_seeds": Param(int, 3, low=1, high=1000, help="seeds per condition"),
            "gamma": Param(float, 0.1, low=0.0, high=100.0, help="weight of the OT loss"),
            "beta": Param(float, 0.5, low=1e-4, high=100.0, help="IPOT's proximal step"),
            "ipot_iterations": Param(int, 50, low=1, high=10_000, help="IPOT's iterations"),
            "temperature": Param(float, 1.0, low=1e-3, high=100.0, help="soft-argmax temperature"),
            "gradient": Param(
                str,
                "unrolled",
                choices=("unrolled", "envelope"),
                help="how the OT loss is differentiated",
            ),
        },
        presets={
            "book": {},
            # Chen et al. (IWSLT, after the GNMT tutorial's setup): about 133K training pairs
            # (EN-VI), 512-wide embeddings and recurrent layers, batch 128, some 12K steps;
            # gamma 0.1, beta 0.5, 50 IPOT iterations as in the authors' code; five seeds.
            "paper": {
                "problem_size": 100,
                "n_problems": 16,
                "max_iterations": 5000,
                "n_train": 133_000,
                "n_test": 1500,
                "max_depth": 2,
                "embedding_size": 512,
                "hidden_size": 512,
                "batch": 128,
                "steps": 12_000,
                "lr": 0.001,
                "log_every": 500,
                "n_seeds": 5,
            },
        },
    )
)
