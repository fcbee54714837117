"""The chapters' committed notebooks as the book shows them: widths, figures, captions.

The browser test (``tests/browser``, ``make browser``) measures the rendered pages; these checks
read the same properties from the notebooks themselves, without a build or a browser:

- every line of code and of printed output within :data:`MAX_COLUMNS` columns (ruff checks the
  code too, through ``book/ruff.toml``);
- every figure drawn for the column (its width at display size at most the column's) and given
  a caption and alt text in the cell's ``mystnb`` metadata.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from PIL import Image

REPOSITORY = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPOSITORY / "book").glob("*/*.ipynb"))
IDS = [str(path.relative_to(REPOSITORY / "book")) for path in NOTEBOOKS]
#: Columns of code and of printed output that fit the text column at a 1280 px window.
MAX_COLUMNS = 88
#: The text column's width in CSS pixels at a 1280 px window.
COLUMN_PX = 688


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(value) -> str:
    return value if isinstance(value, str) else "".join(value)


def _figures(path: Path):
    """(cell index, cell, PNG output) for every image a code cell shows."""
    for index, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                yield index, cell, output


def test_the_chapters_are_found():
    assert len(NOTEBOOKS) == 11


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_code_lines_fit(path):
    wide = [
        f"cell {index}: {line[:60]}... ({len(line)})"
        for index, cell in enumerate(_cells(path))
        if cell["cell_type"] == "code"
        for line in _text(cell["source"]).splitlines()
        if len(line) > MAX_COLUMNS
    ]
    assert wide == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_printed_outputs_fit(path):
    wide = []
    for index, cell in enumerate(_cells(path)):
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            if output["output_type"] == "stream" and output["name"] == "stdout":
                text = _text(output["text"])
            elif "text/plain" in output.get("data", {}) and "text/html" not in output["data"]:
                if "image/png" in output["data"]:
                    continue  # a figure's repr is not shown
                text = _text(output["data"]["text/plain"])
            else:
                continue
            wide += [
                f"cell {index}: {line[:60]}... ({len(line)})"
                for line in text.splitlines()
                if len(line) > MAX_COLUMNS
            ]
    assert wide == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_figures_fit_the_column(path):
    for index, _, output in _figures(path):
        png = base64.b64decode(_text(output["data"]["image/png"]))
        with Image.open(io.BytesIO(png)) as image:
            pixels = image.width
        shown = output.get("metadata", {}).get("image/png", {}).get("width", pixels)
        assert shown <= COLUMN_PX, f"cell {index}: a figure {shown} px wide (column {COLUMN_PX})"
        # a retina PNG holds twice the pixels it is shown at
        assert pixels <= 2 * shown + 1, f"cell {index}: {pixels} px shown at {shown} px"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_figures_have_captions_and_alt_text(path):
    for index, cell, _ in _figures(path):
        mystnb = cell.get("metadata", {}).get("mystnb", {})
        caption = mystnb.get("figure", {}).get("caption", "")
        alt = mystnb.get("image", {}).get("alt", "")
        assert len(caption.split()) >= 6, f"cell {index}: caption {caption!r}"
        assert mystnb.get("figure", {}).get("name"), f"cell {index}: the figure has no name"
        assert len(alt.split()) >= 4, f"cell {index}: alt text {alt!r}"
