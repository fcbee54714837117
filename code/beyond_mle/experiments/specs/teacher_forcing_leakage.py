"""The experiment of the chapter \"Teacher-forcing leakage\"."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params

register(
    Experiment(
        name="teacher-forcing-leakage",
        notebook="book/bleu/teacher_forcing_leakage.ipynb",
        description=(
            "Teacher-forcing leakage: a GLEU loss under teacher forcing learns to echo the "
            "previous gold token; cross-entropy does not"
        ),
        params={
            **common_params(),
            "vocab_size": Param(
                int, 12, low=3, high=1_000_000, help="reversal vocabulary, PAD and EOS included"
            ),
            "min_len": Param(int, 3, low=1, high=1000, help="shortest sentence (words)"),
            "max_len": Param(int, 8, low=1, high=1000, help="longest sentence (words)"),
            "n_layers": Param(int, 2, low=1, high=48, help="Transformer blocks"),
            "n_heads": Param(int, 2, low=1, high=64, help="attention heads (dividing width)"),
            "width": Param(int, 32, low=1, high=8192, help="embedding size"),
            "batch": Param(int, 32, low=1, high=65_536, help="sentence pairs per step"),
            "steps": Param(int, 800, low=1, high=10_000_000, help="training steps per model"),
            "lr": Param(float, 1e-3, low=1e-7, high=1.0, help="learning rate of Adam"),
            "log_every": Param(
                int, 40, low=1, high=1_000_000, help="held-out evaluation every this many steps"
            ),
            "gumbel_temperature": Param(
                float, 1.0, low=1e-3, high=100.0, help="Gumbel-softmax temperature of the GLEU loss"
            ),
            "n_train": Param(int, 2000, low=1, high=100_000_000, help="training pairs"),
            "n_test": Param(int, 500, low=1, high=1_000_000, help="held-out pairs"),
        },
        presets={
            "book": {},
            # The paper's reversal scale (appendix C: embeddings 256, sentences padded to 50
            # tokens, a vocabulary of about 32K subwords, batch 40, 10K steps) with the depth
            # and heads of transformer_base, the model the authors fine-tuned when they met
            # the leakage (section 3.4). Adam at 3e-4 rather than appendix C's 1e-3 for a GRU:
            # a 6-layer Transformer trained from scratch without warm-up.
            "paper": {
                "vocab_size": 32_768,
                "min_len": 3,
                "max_len": 49,
                "n_layers": 6,
                "n_heads": 8,
                "width": 256,
                "batch": 40,
                "steps": 10_000,
                "lr": 3e-4,
                "log_every": 250,
                "n_train": 100_000,
                "n_test": 1000,
            },
        },
    )
)
