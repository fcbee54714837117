"""Exercises as assignments: student versions of the chapters, and grading of submissions.

Every chapter ends with exercises written with sphinx-exercise directives, and the solutions are
marked the way nbgrader marks them, so that a tool can strip them:

* a written exercise's solution is a ``{solution}`` block, or the cells between
  ``{solution-start} <label>`` and ``{solution-end}``;
* a code exercise's solution is the part of a code cell between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` (inside a ``{solution-start}``/``{solution-end}`` gate, so that the
  rendered book shows it collapsed); code cells in a gate without those markers are part of the
  solution as a whole;
* the check cell of a code exercise follows the gate; what it holds between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` is for grading only.

:func:`course_version` turns a chapter into the notebook a course works from, the one nbgrader
calls the *source* version: the directives become plain Markdown that any front end renders (a
bold "Exercise N.M (title)" heading, the statement, the maths in ``$...$``), each exercise in
its own cell; every written solution and worked discussion moves into a Markdown cell that
nbgrader marks as a manually graded answer (``solution`` and ``grade``, with points), so that
nbgrader's own release replaces it by "YOUR ANSWER HERE" and its formgrader shows it for
marking; worked code without markers is wrapped in them; check cells are locked, with points.

:func:`release` is the student version, made from the course version as nbgrader makes its
own (code solutions replaced by a placeholder that raises :class:`NotImplementedError`, hidden
checks removed, answer cells emptied, outputs cleared) with the same cells, ids and metadata, so
a course can release with this book and autograde with nbgrader. :func:`grade` executes a
submission with the hidden checks restored, awarding each check cell's points when it runs
without error, and lists the written answers to mark by hand. :func:`annotate` writes the
nbgrader cell metadata of the chapters' own code cells.

Command line::

    python -m beyond_mle assignments list
    python -m beyond_mle assignments release --out student/ bce_loss
    python -m beyond_mle assignments grade submissions/ --out grades.csv
    python -m beyond_mle assignments course --out course/ bce_loss   # for nbgrader
"""

from __future__ import annotations

import copy
import csv
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SOLUTION_BEGIN",
    "SOLUTION_END",
    "HIDDEN_BEGIN",
    "HIDDEN_END",
    "AssignmentError",
    "Exercise",
    "GradeResult",
    "annotate",
    "chapter_paths",
    "chapter_numbers",
    "course_version",
    "exercises",
    "find_chapter",
    "find_chapters",
    "grade",
    "grade_folder",
    "release",
    "release_chapters",
    "write_course",
    "write_grades",
    "written_answers",
]

SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"

#: Notebook metadata key under which a released notebook records its chapter.
METADATA_KEY = "beyond_mle"

#: Seconds one cell of a submission may run, and a whole submission, by default.
CELL_TIMEOUT = 120
NOTEBOOK_TIMEOUT = 1200

_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<kind>[a-z-]+)\}[ \t]*(?P<arg>.*)$")
_LABEL = re.compile(r"^:label:\s*(?P<label>\S+)\s*$")
_NBGRADER_SCHEMA = 3

#: Points of a written exercise's answer, marked by hand.
WRITTEN_POINTS = 1
#: What an answer cell holds in a student version (nbgrader's own text).
ANSWER_STUB = "YOUR ANSWER HERE"
_ROLE = re.compile(r"\{(?P<role>[a-z:]+)\}`(?P<body>[^`]*)`")
_EQ_LABEL = re.compile(r"^\$\$\s*\((?P<label>[A-Za-z0-9_:.-]+)\)\s*$", re.MULTILINE)


class AssignmentError(ValueError):
    """A chapter or submission whose exercises cannot be read, released or graded."""


@dataclass
class Exercise:
    """One exercise of a chapter.

    Attributes:
        label: the exercise's ``:label:``, unique in the book.
        title: the exercise's title.
        solution_cells: indices of the code cells holding its solution markers.
        check_cells: indices of its check cells (code cells with hidden tests).
        points: points per check cell (from nbgrader metadata, 1 by default).
    """

    label: str
    title: str
    solution_cells: list[int] = field(default_factory=list)
    check_cells: list[int] = field(default_factory=list)
    points: list[float] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """``"code"`` when it has check cells (graded automatically), else ``"written"``."""
        return "code" if self.check_cells else "written"

    @property
    def max_points(self) -> float:
        """The points its check cells are worth together."""
        return float(sum(self.points))

    def check_id(self, position: int) -> str:
        """The nbgrader ``grade_id`` of its ``position``-th check cell."""
        return f"{self.label}-check" if position == 0 else f"{self.label}-check-{position + 1}"


def _read(path: str | os.PathLike[str]) -> Any:
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"notebook {path} does not exist")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable file is reported the same way
        raise AssignmentError(f"{path} is not a readable notebook: {error}") from error


def _directives(source: str) -> list[tuple[str, str, str]]:
    """The (kind, argument, label) of every fenced directive opening in a markdown source."""
    found = []
    lines = source.splitlines()
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if match is None:
            continue
        label = ""
        for option in lines[index + 1 : index + 6]:
            label_match = _LABEL.match(option)
            if label_match:
                label = label_match.group("label")
                break
            if not option.startswith(":"):
                break
        found.append((match.group("kind"), match.group("arg").strip(), label))
    return found


def exercises(notebook: Any) -> list[Exercise]:
    """The exercises of a chapter, in order, with their solution and check cells.

    A code cell with solution markers belongs to the exercise last opened before it; a code cell
    with hidden tests is a check cell of that exercise.

    Args:
        notebook: an nbformat v4 notebook.

    Returns:
        The exercises.

    Raises:
        AssignmentError: markers that do not pair up, a label used twice, or a solution or
            check cell before any exercise.
    """
    found: list[Exercise] = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            for kind, argument, label in _directives(cell.source):
                if kind == "exercise":
                    if not label:
                        raise AssignmentError(f"cell {index}: an exercise without a :label:")
                    if any(exercise.label == label for exercise in found):
                        raise AssignmentError(f"cell {index}: exercise label {label!r} is reused")
                    found.append(Exercise(label=label, title=argument))
            continue
        if cell.cell_type != "code":
            continue
        source = cell.source
        for begin, end in ((SOLUTION_BEGIN, SOLUTION_END), (HIDDEN_BEGIN, HIDDEN_END)):
            if source.count(begin) != source.count(end):
                raise AssignmentError(f"cell {index}: {begin!r} and {end!r} do not pair up")
        has_solution = SOLUTION_BEGIN in source
        has_hidden = HIDDEN_BEGIN in source
        if (has_solution or has_hidden) and not found:
            raise AssignmentError(f"cell {index}: solution or check markers before any exercise")
        if has_solution:
            found[-1].solution_cells.append(index)
        if has_hidden:
            points = cell.metadata.get("nbgrader", {}).get("points", 1)
            found[-1].check_cells.append(index)
            found[-1].points.append(float(points))
    return found


def annotate(notebook: Any) -> Any:
    """Write nbgrader cell metadata for the exercises' solution and check cells, in place.

    Solution cells get ``{"solution": true, "grade": false, "locked": false}``, check cells
    ``{"grade": true, "solution": false, "locked": true, "points": ...}``, each with a
    ``grade_id`` made from the exercise's label. Other cells' nbgrader metadata is removed.

    Args:
        notebook: an nbformat v4 notebook (a chapter).

    Returns:
        The same notebook.
    """
    roles: dict[int, dict[str, Any]] = {}
    for exercise in exercises(notebook):
        for position, index in enumerate(exercise.solution_cells):
            suffix = "" if position == 0 else f"-{position + 1}"
            roles[index] = {
                "grade": False,
                "grade_id": f"{exercise.label}-solution{suffix}",
                "locked": False,
                "schema_version": _NBGRADER_SCHEMA,
                "solution": True,
                "task": False,
            }
        for position, index in enumerate(exercise.check_cells):
            roles[index] = {
                "grade": True,
                "grade_id": exercise.check_id(position),
                "locked": True,
                "points": _number(exercise.points[position]),
                "schema_version": _NBGRADER_SCHEMA,
                "solution": False,
                "task": False,
            }
    for index, cell in enumerate(notebook.cells):
        if index in roles:
            cell.metadata["nbgrader"] = roles[index]
        else:
            cell.metadata.pop("nbgrader", None)
    return notebook


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _placeholder(indent: str, label: str) -> list[str]:
    return [
        f"{indent}# YOUR CODE HERE (exercise {label})",
        f'{indent}raise NotImplementedError("exercise {label}: write your solution here")',
    ]


def _strip_code(source: str, label: str) -> str:
    """A code cell's source with its solutions replaced and its hidden tests removed."""
    kept: list[str] = []
    skipping = ""
    for line in source.splitlines():
        marker = line.strip()
        if skipping:
            if marker == skipping:
                skipping = ""
            continue
        if marker == SOLUTION_BEGIN:
            kept += _placeholder(line[: len(line) - len(line.lstrip())], label)
            skipping = SOLUTION_END
        elif marker == HIDDEN_BEGIN:
            skipping = HIDDEN_END
        else:
            kept.append(line)
    return "\n".join(kept).strip("\n")


def _equation_numbers(notebook: Any, chapter_number: str) -> dict[str, str]:
    """``{label: "(N.k)"}`` for the notebook's labelled display equations, in order."""
    labels = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            labels += [match.group("label") for match in _EQ_LABEL.finditer(cell.source)]
    prefix = f"{chapter_number}." if chapter_number else ""
    return {label: f"({prefix}{k})" for k, label in enumerate(labels, start=1)}


def _plain_roles(text: str, equations: Mapping[str, str]) -> str:
    """MyST roles as plain text: ``{eq}`x``` as its number, ``{role}`text <target>``` as text."""

    def replace(match: re.Match[str]) -> str:
        role, body = match.group("role"), match.group("body")
        if role == "eq":
            return equations.get(body, f"({body})")
        named = re.match(r"^(?P<text>.*?)\s*<[^>]*>$", body)
        return named.group("text") if named else body

    return _ROLE.sub(replace, text)


def _directive_body(lines: list[str]) -> list[str]:
    """A directive's content without its leading ``:option:`` lines."""
    body = list(lines)
    while body and body[0].startswith(":"):
        body.pop(0)
    return body


def _new_markdown(text: str, nbgrader: dict[str, Any] | None = None) -> Any:
    import nbformat

    cell = nbformat.v4.new_markdown_cell(text)
    if nbgrader is not None:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def _answer_metadata(label: str, points: float) -> dict[str, Any]:
    return {
        "grade": True,
        "grade_id": f"{label}-answer",
        "locked": False,
        "points": _number(points),
        "schema_version": _NBGRADER_SCHEMA,
        "solution": True,
        "task": False,
    }


def course_version(
    notebook: Any, *, chapter_number: str = "", written_points: float = WRITTEN_POINTS
) -> Any:
    """The chapter as a course works from it (nbgrader's *source* version).

    - Each ``{exercise}`` becomes its own Markdown cell, headed **Exercise N.M** (title), with
      its statement; ``{eq}`` references become equation numbers, other roles their text.
    - Each written solution (a ``{solution}`` block, or the text inside a
      ``{solution-start}`` / ``{solution-end}`` gate) becomes a Markdown answer cell under
      "Your answer to exercise N.M", marked for nbgrader as a manually graded answer worth
      ``written_points``; the gate's own directive lines are dropped.
    - Code cells in a gate keep their solution markers; worked code without markers is wrapped
      in them whole. Check cells are locked and graded with their points (:func:`annotate`).

    Args:
        notebook: the chapter (an nbformat v4 notebook); it is not modified.
        chapter_number: the chapter's number in the book ("7"), for exercise and equation
            numbers; without it exercises are numbered 1, 2, ...
        written_points: the points of each written answer, > 0.

    Returns:
        A new notebook.

    Raises:
        AssignmentError: markers that do not pair up, or a gate that is never closed.
    """
    import nbformat

    if written_points <= 0:
        raise ValueError(f"written_points must be > 0, got {written_points}")
    source = annotate(copy.deepcopy(notebook))
    equations = _equation_numbers(source, chapter_number)
    prefix = f"{chapter_number}." if chapter_number else ""
    numbers: dict[str, str] = {}
    cells: list[Any] = []
    # the open solution gate and its text; the id of the source cell being split
    state: dict[str, Any] = {"gate": "", "text": [], "origin": ""}
    answered: set[str] = set()

    def number(label: str) -> str:
        return numbers.get(label, label)

    def answer(label: str, text: list[str]) -> None:
        body = _plain_roles("\n".join(text).strip("\n"), equations)
        if not body.strip():
            return
        if label in answered:  # a second written part of one exercise: one answer cell
            cells[-1].source += "\n\n" + body
            return
        answered.add(label)
        cells.append(_new_markdown(f"**Your answer to exercise {number(label)}:**"))
        cells.append(_new_markdown(body, _answer_metadata(label, written_points)))

    def flush(plain: list[str]) -> None:
        if state["gate"]:
            state["text"].extend(plain)
        elif "\n".join(plain).strip():
            cells.append(_new_markdown("\n".join(plain).strip("\n")))
            if state["origin"]:  # the first part of a source cell keeps its id
                cells[-1]["id"], state["origin"] = state["origin"], ""
        plain.clear()

    for cell in source.cells:
        gate = state["gate"]
        if cell.cell_type == "code":
            if gate and SOLUTION_BEGIN not in cell.source:
                # worked code without markers: all of it is solution
                cell.source = f"{SOLUTION_BEGIN}\n{cell.source}\n{SOLUTION_END}"
                worked = sum(1 for c in cells if c.cell_type == "code")
                cell.metadata["nbgrader"] = {
                    "grade": False,
                    "grade_id": f"{gate}-worked-{worked}",
                    "locked": False,
                    "schema_version": _NBGRADER_SCHEMA,
                    "solution": True,
                    "task": False,
                }
            cells.append(cell)
            continue
        if cell.cell_type != "markdown":
            cells.append(cell)
            continue
        if not state["gate"] and not _directives(cell.source):
            cells.append(cell)  # prose: kept as it is
            continue
        state["origin"] = cell.get("id", "")
        lines = cell.source.splitlines()
        plain: list[str] = []
        index = 0
        while index < len(lines):
            match = _FENCE.match(lines[index])
            kind = match.group("kind") if match else ""
            if kind not in {"exercise", "solution", "solution-start", "solution-end"}:
                plain.append(lines[index])
                index += 1
                continue
            assert match is not None
            fence, argument = match.group("fence"), match.group("arg").strip()
            close = index + 1
            while close < len(lines) and lines[close].strip() != fence:
                close += 1
            body = lines[index + 1 : close]
            flush(plain)
            if kind == "exercise":
                label = next((m.group("label") for m in map(_LABEL.match, body[:5]) if m), "")
                numbers[label] = f"{prefix}{len(numbers) + 1}"
                title = f" ({argument})" if argument else ""
                statement = "\n".join(_directive_body(body)).strip("\n")
                cells.append(
                    _new_markdown(
                        f"**Exercise {numbers[label]}**{title}\n\n"
                        + _plain_roles(statement, equations)
                    )
                )
            elif kind == "solution":
                answer(argument, _directive_body(body))
            elif kind == "solution-start":
                state["gate"], state["text"] = argument or "?", []
            else:
                answer(state["gate"], state["text"])
                state["gate"], state["text"] = "", []
            index = close + 1
        flush(plain)
    if state["gate"]:
        raise AssignmentError(f"the solution gate of {state['gate']!r} is never closed")
    course = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata))
    course.nbformat_minor = source.nbformat_minor
    course.cells = cells
    kept_ids = {cell.get("id") for cell in source.cells}
    seen: set[str] = set()
    for position, cell in enumerate(course.cells):  # ids that do not change from run to run
        if cell.get("id") not in kept_ids or cell.get("id") in seen:
            cell["id"] = f"course-{position:04d}"
        seen.add(cell["id"])
    return course


def release(notebook: Any, *, chapter: str = "", chapter_number: str = "") -> Any:
    """The student version of a chapter, made from its :func:`course_version`.

    As nbgrader's release does: code solutions are replaced by a placeholder that raises
    :class:`NotImplementedError` (naming the exercise), hidden checks are removed, written
    answer cells hold "YOUR ANSWER HERE", outputs and execution counts are cleared. Cells,
    cell ids and nbgrader metadata are those of the course version, so nbgrader can autograde
    what students hand back.

    Args:
        notebook: the chapter (an nbformat v4 notebook); it is not modified.
        chapter: the chapter's path in the book, recorded in the notebook's metadata.
        chapter_number: the chapter's number in the book, for exercise numbers.

    Returns:
        A new notebook.
    """
    released = course_version(notebook, chapter_number=chapter_number)
    labels = {}
    for exercise in exercises(notebook):
        labels[exercise.label] = exercise.label
    for cell in released.cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        grade_id = str(nbgrader.get("grade_id", ""))
        label = re.sub(r"-(solution|check|answer|worked)(-\d+)?$", "", grade_id) or "?"
        if cell.cell_type == "markdown":
            if nbgrader.get("solution"):
                cell.source = ANSWER_STUB
            continue
        if cell.cell_type != "code":
            continue
        cell.source = _strip_code(cell.source, label)
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
    released.metadata[METADATA_KEY] = {"chapter": chapter, "student_version": True}
    return released


def chapter_paths(root: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """The chapters with exercises, by name (the notebook's file name without ``.ipynb``).

    Args:
        root: the repository root (default: found from the working directory).

    Returns:
        Name to notebook path, in the book's order.
    """
    from beyond_mle.experiments.paths import find_root
    from beyond_mle.experiments.registry import EXPERIMENTS

    base = find_root(root)
    chapters: dict[str, Path] = {}
    for experiment in EXPERIMENTS.values():
        path = base / experiment.notebook
        if not path.is_file():
            continue  # registered before its notebook is written
        name = path.stem
        if name in chapters and chapters[name] != path:
            raise AssignmentError(f"two chapters are named {name!r}: {chapters[name]}, {path}")
        chapters[name] = path
    return chapters


def chapter_numbers(root: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Each numbered chapter's number in the book, by notebook or page stem, from ``_toc.yml``.

    Chapters of the numbered parts are numbered in order across the parts, as the rendered
    book numbers them.
    """
    import yaml

    from beyond_mle.experiments.paths import find_root

    toc = yaml.safe_load((find_root(root) / "_toc.yml").read_text(encoding="utf-8"))
    numbers: dict[str, str] = {}
    for part in toc.get("parts", []):
        if not part.get("numbered"):
            continue
        for entry in part.get("chapters", []):
            numbers[Path(entry["file"]).stem] = str(len(numbers) + 1)
    return numbers


def find_chapter(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    """A chapter's notebook from its name (its notebook's stem and its experiment's) or its path.

    Raises:
        AssignmentError: no chapter has that name (the message lists the names).
    """
    chapters = chapter_paths(root)
    candidate = Path(name)
    if candidate.suffix == ".ipynb" and candidate.is_file():
        return candidate
    if name in chapters:
        return chapters[name]
    raise AssignmentError(f"chapter must be one of {', '.join(chapters)}, got {name!r}")


def find_chapters(names: Sequence[str], root: str | os.PathLike[str] | None = None) -> list[Path]:
    """The notebooks of the chapters named (:func:`find_chapter`), or every chapter's."""
    return [find_chapter(name, root) for name in names] or list(chapter_paths(root).values())


def release_chapters(
    names: Sequence[str], out: str | os.PathLike[str], root: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Write the student versions of chapters (every chapter when ``names`` is empty).

    All chapters are released in memory first; files are written only if every one succeeds.

    Returns:
        The written notebooks, ``<out>/<chapter>.ipynb``.
    """
    import nbformat

    from beyond_mle.experiments.paths import find_root

    base = find_root(root)
    paths = find_chapters(names, base)
    numbers = chapter_numbers(base)
    released = []
    for path in paths:
        try:
            chapter = str(path.resolve().relative_to(base))
        except ValueError:
            chapter = path.name
        student = release(_read(path), chapter=chapter, chapter_number=numbers.get(path.stem, ""))
        released.append((path.stem, student))
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, notebook in released:
        target = folder / f"{name}.ipynb"
        nbformat.write(notebook, target)
        written.append(target)
    return written


NBGRADER_CONFIG = """\
# nbgrader configuration of a course made from the book's chapters
# (python -m beyond_mle assignments course).
c = get_config()  # noqa: F821 - nbgrader provides it
c.CourseDirectory.course_id = {course!r}
c.CourseDirectory.root = "."
# The chapters' experiment cells run for up to a few minutes on a CPU; nbgrader's default is
# 30 s per cell.
c.ExecutePreprocessor.timeout = {timeout}
# Grade cells are matched by their grade_id; the book's own release writes the same ones.
c.ClearSolutions.text_stub = {stub!r}
"""


def write_course(
    names: Sequence[str],
    out: str | os.PathLike[str],
    *,
    course: str = "beyond-mle",
    cell_timeout: int = 600,
    root: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Write an nbgrader course folder: ``nbgrader_config.py`` and one source per chapter.

    Each chapter (every chapter when ``names`` is empty) is written as
    ``<out>/source/<chapter>/<chapter>.ipynb``, its :func:`course_version`; nbgrader's
    ``generate_assignment``, ``autograde`` and ``formgrader`` then work on it as on any
    assignment. All chapters are converted before anything is written.

    Returns:
        The written files, the configuration first.
    """
    import nbformat

    if cell_timeout < 1:
        raise ValueError(f"cell_timeout must be >= 1 second, got {cell_timeout}")
    paths = find_chapters(names, root)
    numbers = chapter_numbers(root)
    converted = [
        (path.stem, course_version(_read(path), chapter_number=numbers.get(path.stem, "")))
        for path in paths
    ]
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "nbgrader_config.py"
    config.write_text(
        NBGRADER_CONFIG.format(course=course, timeout=cell_timeout, stub=ANSWER_STUB),
        encoding="utf-8",
    )
    written = [config]
    for name, notebook in converted:
        target = folder / "source" / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
        written.append(target)
    return written


def written_answers(notebook: Any) -> dict[str, float]:
    """Points of each written answer of a chapter, by exercise label (marked by hand)."""
    answers: dict[str, float] = {}
    for cell in course_version(notebook).cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and nbgrader.get("grade") and nbgrader.get("solution"):
            label = str(nbgrader["grade_id"]).removesuffix("-answer")
            answers[label] = float(nbgrader.get("points", WRITTEN_POINTS))
    return answers


@dataclass
class GradeResult:
    """The grade of one submission.

    Attributes:
        submission: the submission's path, relative to the folder graded.
        chapter: the chapter's name ("" when it could not be told).
        points: points per exercise label (code exercises only).
        max_points: the most each exercise could get.
        status: ``"graded"``, or why the submission could not be fully graded.
        failures: per exercise, the first error its checks raised.
        seconds: the wall time spent.
        to_mark: the written answers to mark by hand, label to points.
    """

    submission: str
    chapter: str
    points: dict[str, float] = field(default_factory=dict)
    max_points: dict[str, float] = field(default_factory=dict)
    status: str = "graded"
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    to_mark: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Points earned over all exercises."""
        return float(sum(self.points.values()))

    @property
    def max_total(self) -> float:
        """Points available over all exercises."""
        return float(sum(self.max_points.values()))


def _chapter_of(notebook: Any, path: Path, chapters: dict[str, Path]) -> str:
    recorded = notebook.metadata.get(METADATA_KEY, {}).get("chapter", "")
    if recorded and Path(recorded).stem in chapters:
        return Path(recorded).stem
    if path.stem in chapters:
        return path.stem
    matches = [name for name in chapters if name in path.stem]
    if len(matches) == 1:
        return matches[0]
    raise AssignmentError(
        f"cannot tell which chapter {path.name} answers: its metadata names none and its file "
        f"name matches none of {', '.join(chapters)}"
    )


def _restore_checks(submission: Any, instructor: Any) -> tuple[Any, dict[str, tuple[str, float]]]:
    """The submission with every check cell replaced by the instructor's full one.

    Check cells are matched by nbgrader ``grade_id``; a check cell the submission lacks is
    appended at the end. Returns the notebook and, per check ``grade_id``, its exercise label
    and points.
    """
    import nbformat

    checks: dict[str, tuple[str, float, Any]] = {}
    for exercise in exercises(instructor):
        for position, index in enumerate(exercise.check_cells):
            cell = instructor.cells[index]
            checks[exercise.check_id(position)] = (exercise.label, exercise.points[position], cell)
    graded = copy.deepcopy(submission)
    seen = set()
    cells = []
    for cell in graded.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and grade_id in checks:
            if grade_id in seen:
                continue  # a duplicated check cell counts once
            seen.add(grade_id)
            cell.source = checks[grade_id][2].source
        cells.append(cell)
    for grade_id, (_, _, cell) in checks.items():
        if grade_id not in seen:
            missing = nbformat.v4.new_code_cell(cell.source)
            missing.metadata["nbgrader"] = {"grade_id": grade_id}
            cells.append(missing)
    graded.cells = cells
    return graded, {grade_id: (label, points) for grade_id, (label, points, _) in checks.items()}


def _execute(
    notebook: Any, folder: Path, cell_timeout: int, notebook_timeout: float
) -> tuple[dict[int, str], str]:
    """Run every code cell, going on after errors; the error of each failed cell, and a status.

    A cell that runs past ``cell_timeout`` is interrupted (it fails); once ``notebook_timeout``
    seconds have passed, or if the kernel dies, the remaining cells fail without running.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    from beyond_mle.experiments.refresh import KERNEL_NAME, kernel_environment

    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        interrupt_on_timeout=True,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(folder)}},
    )
    errors: dict[int, str] = {}
    status = "graded"
    start = time.monotonic()
    code = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    with client.setup_kernel(env=kernel_environment()):
        for position, index in enumerate(code):
            if time.monotonic() - start > notebook_timeout:
                status = f"time limit of {notebook_timeout:g} s reached"
                errors.update({later: status for later in code[position:]})
                break
            try:
                client.execute_cell(notebook.cells[index], index)
            except CellExecutionError as error:
                errors[index] = f"{error.ename}: {error.evalue}"[:300]
            except DeadKernelError:
                status = f"the kernel died in cell {index}"
                errors.update({later: status for later in code[position:]})
                break
            except Exception as error:  # noqa: BLE001 - a broken submission must not stop grading
                status = f"cell {index} could not run: {type(error).__name__}: {error}"[:300]
                errors.update({later: status for later in code[position:]})
                break
    return errors, status


def grade(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    cell_timeout: int = CELL_TIMEOUT,
    notebook_timeout: float = NOTEBOOK_TIMEOUT,
    name: str | None = None,
    chapters: Mapping[str, str | os.PathLike[str]] | None = None,
) -> GradeResult:
    """Grade one submission: run it with the hidden checks restored and score its checks.

    The submission runs in a temporary copy of its folder (its own files are not changed). Each
    check cell that runs without error earns its points; an exercise's points are the sum over
    its check cells. A submission that cannot be read or matched to a chapter gets zero points
    and a status that says why.

    Args:
        path: the submitted notebook.
        root: the repository root, where the instructor's chapters are (default: found).
        cell_timeout: seconds one cell may run before it is interrupted (and fails).
        notebook_timeout: seconds the whole submission may run.
        name: the name to report the submission under (default: ``path``).
        chapters: the instructor's notebooks by chapter name (default: the book's,
            :func:`chapter_paths`).

    Returns:
        The grade.
    """
    if cell_timeout < 1:
        raise ValueError(f"cell_timeout must be >= 1 second, got {cell_timeout}")
    if notebook_timeout <= 0:
        raise ValueError(f"notebook_timeout must be > 0 seconds, got {notebook_timeout}")
    path = Path(path)
    result = GradeResult(submission=name or str(path), chapter="")
    start = time.monotonic()
    chapter_files = {key: Path(value) for key, value in (chapters or chapter_paths(root)).items()}
    try:
        submission = _read(path)
        result.chapter = _chapter_of(submission, path, chapter_files)
        instructor = _read(chapter_files[result.chapter])
        graded, checks = _restore_checks(submission, instructor)
        result.to_mark = written_answers(instructor)
    except (AssignmentError, FileNotFoundError) as error:
        result.status = f"not graded: {error}"
        result.seconds = time.monotonic() - start
        return result
    for label, points in checks.values():
        result.max_points[label] = result.max_points.get(label, 0.0) + points
        result.points.setdefault(label, 0.0)
    with tempfile.TemporaryDirectory(prefix="beyond-mle-grade-") as scratch:
        folder = Path(scratch) / "submission"
        shutil.copytree(path.parent, folder, ignore=shutil.ignore_patterns("*.ipynb"))
        try:
            errors, result.status = _execute(graded, folder, cell_timeout, notebook_timeout)
        except Exception as error:  # noqa: BLE001 - e.g. the kernel does not start
            errors = {index: "not run" for index in range(len(graded.cells))}
            result.status = f"not graded: {type(error).__name__}: {error}"[:300]
    for index, cell in enumerate(graded.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type != "code" or grade_id not in checks:
            continue
        label, points = checks[grade_id]
        if index in errors:
            result.failures.setdefault(label, errors[index])
        else:
            result.points[label] += points
    result.seconds = time.monotonic() - start
    return result


def grade_folder(
    folder: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    cell_timeout: int = CELL_TIMEOUT,
    notebook_timeout: float = NOTEBOOK_TIMEOUT,
    chapters: Mapping[str, str | os.PathLike[str]] | None = None,
) -> list[GradeResult]:
    """Grade every ``.ipynb`` under ``folder`` (recursively), going on past broken ones.

    The arguments are those of :func:`grade`.

    Raises:
        FileNotFoundError: ``folder`` does not exist.
        AssignmentError: it holds no notebook.
    """
    if cell_timeout < 1:
        raise ValueError(f"cell_timeout must be >= 1 second, got {cell_timeout}")
    if notebook_timeout <= 0:
        raise ValueError(f"notebook_timeout must be > 0 seconds, got {notebook_timeout}")
    base = Path(folder)
    if not base.is_dir():
        raise FileNotFoundError(f"submissions folder {base} does not exist")
    paths = sorted(path for path in base.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts)
    if not paths:
        raise AssignmentError(f"no .ipynb submission under {base}")
    return [
        grade(
            path,
            root=root,
            cell_timeout=cell_timeout,
            notebook_timeout=notebook_timeout,
            name=str(path.relative_to(base)),
            chapters=chapters,
        )
        for path in paths
    ]


def write_grades(results: Iterable[GradeResult], out: str | os.PathLike[str]) -> Path:
    """Write grades as CSV: one row per submission, one column per exercise.

    Columns: ``submission``, ``chapter``, one per exercise label (points; empty where the
    exercise is not in that submission's chapter), ``total``, ``max_total`` (automatic
    points), ``status``, ``failures`` (``label: first error`` for each exercise that lost
    points) and ``to_mark_by_hand`` (each written answer with its points).
    """
    results = list(results)
    labels: list[str] = []
    for result in results:
        labels += [label for label in result.max_points if label not in labels]
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "submission",
                "chapter",
                *labels,
                "total",
                "max_total",
                "status",
                "failures",
                "to_mark_by_hand",
            ]
        )
        for result in results:
            writer.writerow(
                [
                    result.submission,
                    result.chapter,
                    *[
                        _show(result.points[label]) if label in result.points else ""
                        for label in labels
                    ],
                    _show(result.total),
                    _show(result.max_total),
                    result.status,
                    "; ".join(f"{label}: {error}" for label, error in result.failures.items()),
                    "; ".join(
                        f"{label} ({_show(points)} pt)" for label, points in result.to_mark.items()
                    ),
                ]
            )
    return target


def _show(value: float) -> str:
    return f"{value:g}"
