"""The package's source as the chapters show it: every line within the book's column.

The package is formatted at 100 columns; the book's text column holds 88 columns of code
(``book/ruff.toml``, ``book/_ext/static/book.css``). :func:`source_listing` fits a function's or
class's source into ``width`` columns without changing what it says:

- a docstring's prose passes its last words on to the next line of its paragraph (or to a line
  of its own), never splitting a ````literal```` or an "eq. 8";
- a doctest line is continued with ``...`` after a comma;
- a ``def`` line puts its parameters on a line of their own;
- a trailing comment that makes a code line too long moves onto its own line above;
- a code line still too long breaks after its outermost comma, with a hanging indent.

The code itself is unchanged token for token (the tests compile both and compare).
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import textwrap
import tokenize
from typing import Any

__all__ = ["source_listing"]

_ENTRY = re.compile(r"^\s*[\w*]+( \([^)]*\))?: ")  # an entry of Args, Returns or Raises


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _docstring_lines(lines: list[str]) -> range:
    """The line indices of the docstring of the function or class the lines define."""
    try:
        node = ast.parse(textwrap.dedent("\n".join(lines))).body[0]
    except (SyntaxError, IndexError):
        return range(0)
    body = getattr(node, "body", [])
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return range(first.lineno - 1, first.end_lineno or 0)
    return range(0)


def _fit_docstring(lines: list[str], width: int) -> list[str]:
    docstring = _docstring_lines(lines)

    def prose(k: int) -> bool:
        text = lines[k].strip() if k < len(lines) else ""
        return (
            k in docstring
            and text not in ("", '"""')
            and not text.startswith((">>>", "...", ".. "))
            and not text.endswith("::")
        )

    def cut_at(line: str) -> int:  # the last space that splits no ``literal`` and no "eq. 8"
        cut = line.rfind(" ", _indent(line) + 1, width + 1)
        while cut > _indent(line) and (
            line[:cut].count("``") % 2 or re.search(r"\beqs?\.$", line[:cut])
        ):
            cut = line.rfind(" ", _indent(line) + 1, cut)
        return cut

    k = 0
    while k < len(lines):
        line = lines[k]
        if len(line) > width and prose(k) and cut_at(line) > _indent(line):
            cut = cut_at(line)
            lines[k], tail = line[:cut], line[cut + 1 :]
            after = k + 1
            joins = prose(after) and (
                _indent(lines[after]) > _indent(line) or not _ENTRY.match(lines[after])
            )
            if joins and not tail.endswith('"""'):
                text = lines[after]
                lines[after] = " " * _indent(text) + tail + " " + text.lstrip()
            else:
                hang = 4 if _ENTRY.match(line) else 0
                lines.insert(after, " " * (_indent(line) + hang) + tail)
                docstring = _docstring_lines(lines)  # one line longer now
        elif len(line) > width and k in docstring and line.lstrip().startswith(">>> "):
            depth, cut = 0, -1
            for j, char in enumerate(line[:width]):
                depth += (char in "([{") - (char in ")]}")
                if char == "," and depth > 0:
                    cut = j
            if cut > 0:
                lines[k] = line[: cut + 1]
                rest = line[cut + 1 :].lstrip()
                lines.insert(k + 1, " " * _indent(line) + "...     " + rest)
                docstring = _docstring_lines(lines)
        k += 1
    return lines


def _token_marks(source: str) -> tuple[dict[int, list[tuple[int, int]]], dict[int, int]]:
    """Per line: where it may break, and where a comment starts.

    The break points are ``(depth, column)``: after each comma token inside brackets, and
    after each opening bracket (depth + 100, so that a comma is preferred).
    """
    commas: dict[int, list[tuple[int, int]]] = {}
    comments: dict[int, int] = {}
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            row, column = token.start
            if token.type == tokenize.OP:
                if token.string in "([{":
                    depth += 1
                    commas.setdefault(row - 1, []).append((depth + 100, column))
                elif token.string in ")]}":
                    depth -= 1
                elif token.string == "," and depth > 0:
                    commas.setdefault(row - 1, []).append((depth, column))
            elif token.type == tokenize.COMMENT:
                comments[row - 1] = column
    except (tokenize.TokenError, IndentationError):
        pass
    return commas, comments


def _fit_code(
    line: str, width: int, commas: list[tuple[int, int]], comment: int | None
) -> list[str]:
    """A code line as lines of at most ``width`` columns (the same tokens).

    ``commas`` are the line's comma tokens ``(depth, column)`` inside brackets and
    ``comment`` the column of its comment, from the tokenizer (so nothing inside a string is
    taken for either).
    """
    indent = line[: _indent(line)]
    if len(line) <= width:
        return [line]
    if comment is not None and line[:comment].strip():  # a trailing comment goes above
        above = indent + line[comment:]
        code = line[:comment].rstrip()
        wrapped = textwrap.wrap(
            above.lstrip()[1:].lstrip(),
            width,
            initial_indent=indent + "# ",
            subsequent_indent=indent + "# ",
        )
        return (wrapped or [above]) + _fit_code(code, width, commas, None)
    if comment is not None and len(line) > width:  # a comment line of its own
        return textwrap.wrap(
            line.lstrip()[1:].lstrip(),
            width,
            initial_indent=indent + "# ",
            subsequent_indent=indent + "# ",
        ) or [line]
    fitting = [(-depth, column) for depth, column in commas if column + 1 <= width]
    if not fitting:
        return [line]  # nothing to break at: it scrolls rather than change
    cut = max(fitting)[1] + 1  # after the outermost comma that fits
    rest = line[cut:].lstrip()
    hang = indent + "    "
    shift = len(line) - len(rest) - len(hang)  # old column - shift = new column
    later = [(depth, column - shift) for depth, column in commas if column >= cut]
    return [line[:cut]] + _fit_code(hang + rest, width, later, None)


def source_listing(obj: Any, width: int = 88) -> str:
    """The source of ``obj`` with its lines fitted into ``width`` columns.

    Args:
        obj: a function, method or class of the package.
        width: the columns of the book's text column (88).

    Returns:
        The source, ending with a newline, for ``IPython.display.Code``.

    Example:
        >>> max(map(len, source_listing(source_listing).splitlines())) <= 88
        True
    """
    if width < 40:
        raise ValueError(f"width must be >= 40 columns, got {width}")
    lines = _fit_docstring(inspect.getsource(obj).splitlines(), width)
    docstring = _docstring_lines(lines)
    commas, comments = _token_marks(textwrap.dedent("\n".join(lines)) + "\n")
    offset = min((_indent(line) for line in lines if line.strip()), default=0)
    shown: list[str] = []
    for k, line in enumerate(lines):
        if k in docstring:
            shown.append(line)
            continue
        marks = [(depth, column + offset) for depth, column in commas.get(k, [])]
        comment = comments.get(k)
        if stripped_def(line) and len(line) > width:
            shown += _fit_def(line, width)
            continue
        shown += _fit_code(line, width, marks, None if comment is None else comment + offset)
    return "\n".join(shown) + "\n"


def stripped_def(line: str) -> bool:
    """Whether the line is a whole ``def`` line (its signature on one line)."""
    text = line.strip()
    return text.startswith(("def ", "async def ")) and text.endswith(":") and "(" in text


def _fit_def(line: str, width: int) -> list[str]:
    """A ``def`` line with its parameters on a line of their own."""
    indent = line[: _indent(line)]
    start, end = line.index("("), line.rindex(")")
    return [line[: start + 1], indent + "    " + line[start + 1 : end], indent + line[end:]]
