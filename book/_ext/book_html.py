"""Sphinx extension for the book's HTML: what the reader sees, not what the notebooks hold.

- The grading markers (``### BEGIN SOLUTION``, ``### END HIDDEN TESTS``, ...) stay in the
  notebooks for the assignment tools and nbgrader; the rendered pages leave those lines out.
- Scripts and stylesheets that two extensions both register (sphinx-thebe's and
  sphinx-togglebutton's configuration lines are emitted twice under Jupyter Book 1.x, and the
  second ``const THEBE_JS_URL`` is a JavaScript error) appear once per page.
- ``book.css`` makes whatever is still wider than the column scroll inside its own box
  (display equations, code, outputs) instead of running under the page's margin.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from beyond_mle.assignments import HIDDEN_BEGIN, HIDDEN_END, SOLUTION_BEGIN, SOLUTION_END

_MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)
_STATIC = Path(__file__).parent / "static"


def strip_grading_markers(text: str) -> str:
    """The cell's source without the lines that hold only a grading marker."""
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if line.strip() not in _MARKERS]
    if kept and lines and not lines[-1].endswith("\n") and kept[-1].endswith("\n"):
        kept[-1] = kept[-1].rstrip("\n")  # the cell's last line had no newline: keep it so
    return "".join(kept)


def _source_read(app: Any, docname: str, source: list[str]) -> None:
    """Remove the grading markers from a notebook's cells before myst-nb parses it."""
    if not app.env.doc2path(docname).endswith(".ipynb"):
        return
    notebook = json.loads(source[0])
    for cell in notebook.get("cells", []):
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        cell["source"] = strip_grading_markers(text)
    source[0] = json.dumps(notebook, ensure_ascii=False)


def _unique(assets: list[Any]) -> list[Any]:
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    kept = []
    for asset in assets:
        # A body-only script is registered with filename None by one extension and "" by another.
        filename = str(getattr(asset, "filename", asset) or "")
        attributes = getattr(asset, "attributes", {})
        key = (filename, tuple(sorted((str(k), str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(asset)
    return kept


def _page_context(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = _unique(list(context[key]))


def _add_static_path(app: Any) -> None:
    app.config.html_static_path.append(str(_STATIC))


def setup(app: Any) -> dict[str, Any]:
    app.connect("source-read", _source_read)
    app.connect("builder-inited", _add_static_path)
    app.connect("html-page-context", _page_context, priority=900)
    app.add_css_file("book.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
