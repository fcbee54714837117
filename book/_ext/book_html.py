"""Sphinx extension for the book's HTML: what the reader sees, not what notebooks hold.

- The grading markers (``### BEGIN SOLUTION``, ``### END HIDDEN TESTS``, ...) stay in
  the notebooks for the assignment tools and nbgrader; the rendered pages leave those
  lines out.
- Scripts and stylesheets that two extensions both register (sphinx-thebe's and
  sphinx-togglebutton's configuration lines are emitted twice under Jupyter Book 1.x,
  and the second ``const THEBE_JS_URL`` is a JavaScript error) appear once per page.
- The bibliography is labelled the way the chapters cite, by author and year
  ("[Casas et al., 2018]"), not by number: the pybtex style ``authoryear``.
- ``book.css`` makes whatever is still wider than the column scroll inside its own box
  (display equations, code, outputs) instead of running under the page's margin.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from beyond_mle.assignments import (
    HIDDEN_BEGIN,
    HIDDEN_END,
    SOLUTION_BEGIN,
    SOLUTION_END,
)

_MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)
_STATIC = Path(__file__).parent / "static"


def strip_grading_markers(text: str) -> str:
    """The cell's source without the lines that hold only a grading marker."""
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if line.strip() not in _MARKERS]
    if kept and lines and not lines[-1].endswith("\n") and kept[-1].endswith("\n"):
        kept[-1] = kept[-1].rstrip(
            "\n"
        )  # the cell's last line had no newline: keep it so
    return "".join(kept)


def _source_read(app: Any, docname: str, source: list[str]) -> None:
    """Remove the grading markers from a notebook's cells before myst-nb parses it."""
    if not app.env.doc2path(docname).endswith(".ipynb"):
        return
    notebook = json.loads(source[0])
    for cell in notebook.get("cells", []):
        text = (
            cell["source"]
            if isinstance(cell["source"], str)
            else "".join(cell["source"])
        )
        cell["source"] = strip_grading_markers(text)
    source[0] = json.dumps(notebook, ensure_ascii=False)


def _unique(assets: list[Any]) -> list[Any]:
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    kept = []
    for asset in assets:
        # A body-only script is registered with filename None by one extension, "" by
        # another.
        filename = str(getattr(asset, "filename", asset) or "")
        attributes = getattr(asset, "attributes", {})
        key = (filename, tuple(sorted((str(k), str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(asset)
    return kept


def _page_context(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = _unique(list(context[key]))


def _add_static_path(app: Any) -> None:
    app.config.html_static_path.append(str(_STATIC))


def _register_author_year_style() -> None:
    """Register the pybtex style ``authoryear``: plain's entries, author-year labels."""
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.plain import Style as PlainStyle
    from pybtex.style.labels import BaseLabelStyle

    def surname(person: Any) -> str:
        return (
            " ".join(person.prelast_names + person.last_names)
            .replace("{", "")
            .replace("}", "")
        )

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            seen: dict[str, int] = {}
            labels = []
            for entry in sorted_entries:
                people = (
                    entry.persons.get("author") or entry.persons.get("editor") or []
                )
                if not people:
                    names = entry.fields.get("key", entry.key)
                elif len(people) == 1:
                    names = surname(people[0])
                elif len(people) == 2:
                    names = f"{surname(people[0])} and {surname(people[1])}"
                else:
                    names = f"{surname(people[0])} et al."
                labels.append(f"{names}, {entry.fields.get('year', 'n.d.')}")
            for label in labels:
                seen[label] = seen.get(label, 0) + 1
            suffix: dict[str, int] = {}
            for label in labels:  # same authors and year: 2018a, 2018b
                if seen[label] > 1:
                    suffix[label] = suffix.get(label, 0) + 1
                    yield label + "abcdefghijklmnopqrstuvwxyz"[suffix[label] - 1]
                else:
                    yield label

    class AuthorYearStyle(PlainStyle):
        default_label_style = "authoryear"

    register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app: Any) -> dict[str, Any]:
    _register_author_year_style()
    app.connect("source-read", _source_read)
    app.connect("builder-inited", _add_static_path)
    app.connect("html-page-context", _page_context, priority=900)
    app.add_css_file("book.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
