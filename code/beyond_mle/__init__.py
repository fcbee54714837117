"""beyond_mle: training objectives and evaluation scores beyond maximum likelihood.

The package behind the book. Each method module computes one family of quantities with
pure, typed torch functions; the book's chapters import them.

Modules (methods, then the machinery the chapters share):
    bleu: differentiable BLEU and GLEU on token distributions, token ids and word lists, with
        NLTK's smoothing methods.
    vocabulary: word tokens to ids and back, and corpora padded into id tensors.
    gan_losses: the discriminator's cross-entropy and the three generator costs, on logits.
    divergences: KL, Jensen-Shannon, cross-entropy and Wasserstein-1 on discrete and 1-D
        distributions, the RBF MMD between samples, Gaussians and Gaussian mixtures on a grid.
    wasserstein: the Wasserstein critic's and generator's losses, weight clipping, the gradient
        penalty and the exact optimal critic in 1-D.
    gumbel: Gumbel-softmax samples, soft and straight-through.
    label_smoothing: class-aware gradients and the generator losses with smoothed targets.
    scores: Inception, MODE and AM scores from a classifier's class probabilities.
    schedules: the decays of scheduled sampling.
    scheduled_sampling: the scheduled-sampling objective on two-token sequences.
    cot: cooperative training's mediator and generator objectives.
    optimal_transport: IPOT and Sinkhorn on batches of cost matrices (stabilised in the log domain
        for large costs), the OT sequence loss.
    models: seq2seq with attention, a Transformer decoder, MLP generator and discriminator, an
        LSTM language model (the oracle, generator and mediator of CoT), a GRU language model.
    tasks: the chapters' data (sequence reversal, token copying, synchronous-grammar
        translation, scikit-learn's digits).
    training: the shared, seeded training loops (supervised ``fit``, the two-player GAN loop
        ``fit_adversarial``).
    seq2seq_training: the seq2seq trainer, greedy decoding and token accuracy, for any parallel
        corpus (sequence reversal, synthetic translation).
    streams: named random streams derived from one seed.
    config: chapter configurations (parameters with bounds, help and presets, declared once).
    chapters: one module per chapter notebook, named like it: its configuration, its experiment
        functions and its claims.
    claims: what a chapter claims of a source, the quantity measured and the test that decides it.
    reproduces: the page "What reproduces", from every chapter's claims and committed results.
    assignments: student versions of the chapters and grading of submissions.
    experiments: the registry (built from the chapters' configurations), the runner that
        executes a chapter notebook through papermill and stores its results with provenance,
        and the refreshing of committed notebooks.
    paths: where the book's repository is (its table of contents).
    plotting: the book's seaborn theme and shared figure helpers.
    progress: the progress bar used by long loops (off when ``BEYOND_MLE_PROGRESS=0``).
    opcount: counts of the operations, FLOPs and bytes a computation dispatches, and the GPU
        time they take, to size GPU runs.

Two environment variables act when the package is imported (a chapter's kernel inherits them):
    BEYOND_MLE_MATMUL_PRECISION: ``highest`` (float32 products, PyTorch's default), ``high``
        (TF32 on GPUs that have it) or ``medium``: :func:`torch.set_float32_matmul_precision`.
        The runner records the precision in each run's provenance.
    BEYOND_MLE_COUNT_OPS: a folder; the process counts its tensor operations into a file of
        its own there (:func:`beyond_mle.opcount.count_from_environment`).

Argument names used across the book (one name per concept):
    probs: token distributions, shape ``(batch, length, vocab)``, rows on the simplex; for the
        sample scores, a classifier's class probabilities, shape ``(samples, classes)``.
    reference_probs: the classifier's class probabilities on the reference data.
    logits: unnormalised scores of the same shape.
    token_ids: integer tokens, shape ``(batch, length)``; negative ids are padding.
    hypotheses / references: what a model produced / what it is scored against.
    eos_id: the end-of-sequence token; tokens from the first EOS on are not part of a sentence.
    max_order, weights: BLEU's largest n-gram order and the weights of its log precisions.
    reference_mask, n_references: which reference rows of a ``(batch, n_refs, length)`` tensor
        are present, as a mask or as a count per sentence.
    smoothing_method, auto_reweigh: BLEU's smoothing (NLTK's methods 0-7) and NLTK's
        reweighting of short hypotheses.
    min_len, max_len: the n-gram orders GLEU counts.
    eps: the constant in a loss ``-log(score + eps)``.
    cost, a, b, beta: a transport cost matrix, its marginals and the proximal step.
    smoothing: a label-smoothing amount.
    splits: the number of splits a score is averaged over (Inception and MODE scores).
    seed, device: the random seed and the torch device of an experiment.
"""

import os as _os

__version__ = "0.1.0"

#: The environment variable that sets the precision of float32 matrix products at import.
MATMUL_PRECISION_VARIABLE = "BEYOND_MLE_MATMUL_PRECISION"
MATMUL_PRECISIONS = ("highest", "high", "medium")


def _apply_environment() -> None:
    precision = _os.environ.get(MATMUL_PRECISION_VARIABLE, "")
    if precision:
        if precision not in MATMUL_PRECISIONS:
            raise ValueError(
                f"{MATMUL_PRECISION_VARIABLE}={precision!r}: must be one of "
                f"{', '.join(MATMUL_PRECISIONS)} (or unset for PyTorch's default, highest)"
            )
        import torch

        torch.set_float32_matmul_precision(precision)
    if _os.environ.get("BEYOND_MLE_COUNT_OPS"):
        from beyond_mle.opcount import count_from_environment

        count_from_environment()


_apply_environment()
