"""The experiment of the chapter \"Token copying\"."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params

register(
    Experiment(
        name="token-copying",
        notebook="book/bleu/token_copying.ipynb",
        description=(
            "Token copying: free logits trained with the soft BLEU, the soft GLEU and "
            "cross-entropy to reproduce fixed random references, over sequence lengths and "
            "vocabulary sizes"
        ),
        params={
            **common_params(),
            "batch": Param(int, 40, low=1, high=100_000, help="reference sentences per run"),
            "lengths": Param(
                "list[int]",
                (8, 12),
                low=7,
                high=1000,
                help="positions per sentence (words, EOS and padding)",
            ),
            "vocabs": Param(
                "list[int]",
                (50, 1000),
                low=3,
                high=1_000_000,
                help="vocabulary sizes (PAD and EOS included)",
            ),
            "steps": Param(int, 400, low=1, high=1_000_000, help="Adam steps per run"),
            "lr": Param(float, 0.01, low=1e-6, high=10.0, help="Adam's learning rate"),
            "beta2": Param(float, 0.98, low=0.0, high=0.9999, help="Adam's second-moment decay"),
            "log_every": Param(
                int,
                10,
                low=1,
                high=100_000,
                help="score the argmax sequences every this many steps",
            ),
        },
        presets={
            "book": {},
            # The authors' toy: batch 40, Adam(0.01, beta2 0.98), 10,000 iterations, and the
            # grid of their figures 2 and 3 (lengths 10 and 50, vocabularies 10,000 and 20,000).
            "paper": {
                "batch": 40,
                "lengths": [10, 50],
                "vocabs": [10_000, 20_000],
                "steps": 10_000,
                "log_every": 50,
            },
        },
    )
)
