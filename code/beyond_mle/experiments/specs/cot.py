"""The experiment of the chapter "Cooperative training": CoT on the synthetic Turing test."""

from beyond_mle.experiments.registry import register
from beyond_mle.experiments.spec import Experiment, Param, common_params
from beyond_mle.schedules import SCHEDULES

register(
    Experiment(
        name="cot",
        notebook="book/sequences/cot.ipynb",
        description=(
            "Cooperative training (Lu et al. 2019): the mediator and generator objectives checked "
            "by enumeration, then maximum likelihood, scheduled sampling and CoT on an LSTM "
            "oracle (NLL_oracle, NLL_test, JSD, time per epoch) and the gamma experiment"
        ),
        params={
            **common_params(),
            "vocab_size": Param(int, 100, low=2, high=100_000, help="tokens of the oracle"),
            "embedding_size": Param(
                int, 32, low=1, high=4096, help="embedding width of oracle and generator"
            ),
            "hidden_size": Param(
                int, 32, low=1, high=4096, help="LSTM width of oracle and generator"
            ),
            "mediator_size": Param(
                int, 64, low=1, high=4096, help="embedding and LSTM width of the mediator"
            ),
            "length": Param(int, 10, low=1, high=1000, help="tokens per sequence"),
            "n_train": Param(int, 4096, low=2, high=10_000_000, help="oracle samples to train on"),
            "n_test": Param(int, 2048, low=1, high=10_000_000, help="held-out oracle samples"),
            "batch": Param(int, 64, low=2, high=100_000, help="sequences per update"),
            "epochs": Param(int, 15, low=1, high=100_000, help="passes of n_train / batch updates"),
            "lr": Param(float, 0.01, low=1e-8, high=1.0, help="generator's Adam step size"),
            "mediator_lr": Param(float, 0.01, low=1e-8, high=1.0, help="mediator's Adam step size"),
            "gamma": Param(
                float, 0.0, low=0.0, high=1.0, help="weight of the REINFORCE term in training"
            ),
            "ss_schedule": Param(
                str, "inverse-sigmoid", choices=SCHEDULES, help="scheduled sampling's decay"
            ),
            "ss_floor": Param(
                float, 0.5, low=0.0, high=1.0, help="smallest teacher-forcing probability"
            ),
            "eval_samples": Param(
                int, 2048, low=1, high=10_000_000, help="samples for NLL_oracle, NLL_test, JSD"
            ),
            "eval_every": Param(int, 1, low=1, high=100_000, help="epochs between evaluations"),
            "probe_batches": Param(
                int, 8, low=2, high=10_000, help="batches per gradient comparison of gamma 0 and 1"
            ),
            "use_oracle_file": Param(
                bool, True, help="use the benchmark oracle file when present and the shape fits"
            ),
        },
        presets={
            "book": {},
            # Section 5.1 of Lu et al. (2019): the SeqGAN oracle, 9,984 + 9,984 samples of 20
            # tokens, Adam 1e-3 / 3e-3, no pre-training.
            "paper": {
                "vocab_size": 5000,
                "length": 20,
                "n_train": 9984,
                "n_test": 9984,
                "epochs": 100,
                "lr": 0.001,
                "mediator_lr": 0.003,
                "eval_samples": 9984,
                "eval_every": 5,
            },
        },
    )
)
