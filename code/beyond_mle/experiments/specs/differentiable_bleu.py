"""The experiment of the chapter \"Differentiable BLEU and GLEU\"."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params

register(
    Experiment(
        name="differentiable-bleu",
        notebook="book/bleu/differentiable_bleu.ipynb",
        description=(
            "Differentiable BLEU and GLEU: agreement with NLTK and the soft score under a "
            "temperature sweep"
        ),
        params={
            **common_params(),
            "n_corpora": Param(
                int, 500, low=1, high=1_000_000, help="random corpora compared with NLTK"
            ),
            "corpus_size": Param(
                int, 6, low=1, high=10_000, help="sentence pairs per random corpus"
            ),
            "vocab_size": Param(
                int,
                8,
                low=2,
                high=1_000_000,
                help="vocabulary of the random corpora (small, so n-grams repeat)",
            ),
            "max_len": Param(int, 10, low=1, high=1000, help="longest random sentence (tokens)"),
            "sweep_batch": Param(
                int, 8, low=1, high=4096, help="sentences in the temperature sweep"
            ),
            "sweep_length": Param(
                int, 12, low=4, high=1000, help="tokens per sentence in the temperature sweep"
            ),
            "sweep_vocab": Param(
                int, 50, low=3, high=1_000_000, help="vocabulary of the temperature sweep"
            ),
            "n_temperatures": Param(
                int,
                13,
                low=2,
                high=200,
                help="softmax temperatures, log-spaced between 0.01 and 100",
            ),
            "n_samples": Param(
                int,
                32,
                low=1,
                high=100_000,
                help="corpora sampled per temperature (Monte Carlo expected BLEU)",
            ),
            "signal": Param(
                float,
                0.5,
                low=-10.0,
                high=100.0,
                help="margin of the reference token's logit over the largest noise logit",
            ),
        },
        presets={
            "book": {},
            # The reversal task's scale in the paper: batch 40, length 50, vocabulary 30,000.
            "paper": {
                "n_corpora": 10_000,
                "corpus_size": 10,
                "vocab_size": 12,
                "max_len": 20,
                "sweep_batch": 40,
                "sweep_length": 50,
                "sweep_vocab": 30_000,
                "n_temperatures": 25,
                "n_samples": 64,
            },
        },
    )
)
