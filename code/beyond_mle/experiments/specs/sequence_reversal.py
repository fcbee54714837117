"""The experiment of the chapter \"Sequence reversal\"."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params

register(
    Experiment(
        name="sequence-reversal",
        notebook="book/bleu/sequence_reversal.ipynb",
        description=(
            "Sequence reversal: a seq2seq model with attention trained with cross-entropy "
            "(teacher forcing, free running) and with BLEU and GLEU losses (softmax, Gumbel)"
        ),
        params={
            **common_params(),
            "vocab_size": Param(
                int, 30, low=3, high=1_000_000, help="vocabulary (PAD and EOS included)"
            ),
            "min_len": Param(int, 3, low=1, high=1000, help="shortest sentence (words)"),
            "max_len": Param(int, 8, low=1, high=1000, help="longest sentence (words)"),
            "embedding_size": Param(int, 48, low=1, high=4096, help="token embedding width"),
            "hidden_size": Param(int, 48, low=1, high=4096, help="GRU width (each direction)"),
            "batch": Param(int, 32, low=1, high=100_000, help="sentence pairs per step"),
            "steps": Param(int, 300, low=1, high=1_000_000, help="Adam steps per condition"),
            "lr": Param(float, 0.003, low=1e-6, high=10.0, help="Adam's learning rate"),
            "log_every": Param(
                int, 25, low=1, high=100_000, help="score the held-out pairs every this many steps"
            ),
            "n_train": Param(int, 5000, low=1, high=10_000_000, help="training sentence pairs"),
            "n_test": Param(int, 200, low=1, high=1_000_000, help="held-out sentence pairs"),
            "gumbel_temperature": Param(
                float, 0.5, low=1e-3, high=100.0, help="temperature of the Gumbel-softmax samples"
            ),
            "conditions": Param(
                str,
                "ce-teacher,ce-free,gleu-soft,bleu-soft,gleu-gumbel",
                help=(
                    "comma-separated training conditions among ce-teacher, ce-free, gleu-soft, "
                    "bleu-soft, gleu-gumbel, bleu-gumbel"
                ),
            ),
        },
        presets={
            "book": {},
            # Appendix C of Casas et al.: embeddings and GRU/LSTM width 256, sentences padded
            # to 50 tokens, a vocabulary of about 32K subwords, batch 40, Adam 1e-3, 10K steps.
            "paper": {
                "vocab_size": 32_768,
                "min_len": 3,
                "max_len": 49,
                "embedding_size": 256,
                "hidden_size": 256,
                "batch": 40,
                "steps": 10_000,
                "lr": 0.001,
                "log_every": 250,
                "n_train": 100_000,
                "n_test": 1000,
                "conditions": "ce-teacher,ce-free,gleu-soft,bleu-soft,gleu-gumbel,bleu-gumbel",
            },
        },
    )
)
