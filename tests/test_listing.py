"""beyond_mle.listing: the package's source fitted into the book's 88 columns, code unchanged."""

from __future__ import annotations

import ast
import doctest
import inspect
import json
import re
import textwrap
from pathlib import Path

import pytest

from beyond_mle import (
    bleu,
    cot,
    gan_losses,
    label_smoothing,
    optimal_transport,
    scheduled_sampling,
    scores,
    wasserstein,
)
from beyond_mle.chapters import (
    pull_to_average,
    sequence_reversal,
    teacher_forcing_leakage,
    token_copying,
)
from beyond_mle.listing import source_listing
from beyond_mle.models.seq2seq import Seq2Seq
from beyond_mle.models.transformer import CausalSelfAttention

#: Everything a chapter shows with source_listing.
SHOWN = [
    bleu.ngram_matches,
    pull_to_average.bit_cross_entropies,
    Seq2Seq.attend,
    sequence_reversal.condition_loss,
    CausalSelfAttention.forward,
    teacher_forcing_leakage.leakage_loss,
    token_copying.copying_loss,
    gan_losses.generator_loss_grad,
    wasserstein.gradient_penalty,
    label_smoothing.smoothed_generator_loss_grad,
    scores.am_score_2017,
    cot.generator_loss,
    optimal_transport._ipot_plans,
    scheduled_sampling.scheduled_sampling_divergence,
    source_listing,
]
IDS = [obj.__qualname__ for obj in SHOWN]
REPOSITORY = Path(__file__).resolve().parents[1]


def _code_without_docstring(source: str) -> str:
    node = ast.parse(textwrap.dedent(source)).body[0]
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        node.body = body[1:] or [ast.Pass()]
    return ast.dump(node, include_attributes=False)


def _words(source: str) -> list[str]:
    node = ast.parse(textwrap.dedent(source)).body[0]
    text = ast.get_docstring(node, clean=False) or ""
    return [word for word in text.split() if word != "..."]


@pytest.mark.parametrize("obj", SHOWN, ids=IDS)
def test_every_line_fits_and_the_code_is_unchanged(obj):
    original = inspect.getsource(obj)
    listing = source_listing(obj)
    assert max(map(len, listing.splitlines())) <= 88
    assert _code_without_docstring(listing) == _code_without_docstring(original)
    assert _words(listing) == _words(original)


@pytest.mark.parametrize("obj", SHOWN, ids=IDS)
def test_doctests_still_run(obj):
    node = ast.parse(textwrap.dedent(source_listing(obj))).body[0]
    docstring = ast.get_docstring(node) or ""
    examples = doctest.DocTestParser().get_examples(docstring)
    original = doctest.DocTestParser().get_examples(inspect.getdoc(obj) or "")
    assert [e.source.replace("\n", " ").split() for e in examples] == [
        e.source.replace("\n", " ").split() for e in original
    ]


def test_a_narrow_width_is_refused():
    with pytest.raises(ValueError, match="width must be >= 40"):
        source_listing(source_listing, width=10)


def test_the_chapters_show_only_what_is_tested_here():
    shown = set()
    for path in (REPOSITORY / "book").glob("*/*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            text = "".join(cell["source"])
            shown |= set(re.findall(r"source_listing\(([\w.]+)\)", text))
    names = {name.rsplit(".", 1)[-1] for name in shown}
    assert names <= {obj.__name__ for obj in SHOWN}, names
