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

:func:`release` turns a chapter into its student version (solutions replaced by a placeholder
that raises :class:`NotImplementedError`, hidden checks and solution text removed, outputs
cleared, the rest intact) and :func:`grade` executes a submission with the hidden checks
restored, awarding each check cell's points when it runs without error. :func:`annotate` writes
the matching nbgrader cell metadata (``grade_id``, ``points``, ``solution``, ``grade``,
``locked``), so the chapters can also be used with nbgrader itself.

Command line::

    python -m beyond_mle assignments list
    python -m beyond_mle assignments release --out student/ bce_loss
    python -m beyond_mle assignments grade submissions/ --out grades.csv
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
    "exercises",
    "find_chapter",
    "find_chapters",
    "grade",
    "grade_folder",
    "release",
    "release_chapters",
    "write_grades",
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


def _answer_cell(label: str) -> Any:
    import nbformat

    cell = nbformat.v4.new_markdown_cell(f"**Your answer** (exercise {label}): YOUR ANSWER HERE")
    cell.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": f"{label}-answer",
        "locked": False,
        "points": 0,
        "schema_version": _NBGRADER_SCHEMA,
        "solution": True,
        "task": False,
    }
    return cell


def _strip_markdown(source: str, state: dict[str, Any]) -> tuple[str, list[str]]:
    """A markdown source without solution blocks or gated solution text.

    ``state["gate"]`` is the label of the open ``{solution-start}`` gate ("" when none) and
    ``state["gate_text"]`` whether the gate held written text; both are carried from cell to
    cell. Returns the kept text and the labels whose written solutions were removed here (an
    answer cell follows for each).
    """
    lines = source.splitlines()
    kept: list[str] = []
    answered: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _FENCE.match(line)
        kind = match.group("kind") if match else ""
        if kind in {"solution", "solution-start", "solution-end"}:
            assert match is not None  # kind is "" without a match
            fence = match.group("fence")
            close = index + 1
            while close < len(lines) and lines[close].strip() != fence:
                close += 1
            if kind == "solution":
                answered.append(match.group("arg").strip())
            elif kind == "solution-start":
                state["gate"] = match.group("arg").strip() or "?"
                state["gate_text"] = False
            else:
                if state["gate_text"]:
                    answered.append(state["gate"])
                state["gate"] = ""
            index = close + 1
            continue
        if not state["gate"]:
            kept.append(line)
        elif line.strip():
            state["gate_text"] = True  # written solution text: the student answers in a cell
        index += 1
    return "\n".join(kept).strip("\n"), answered


def release(notebook: Any, *, chapter: str = "") -> Any:
    """The student version of a chapter.

    Solutions are replaced by a placeholder that raises :class:`NotImplementedError`, hidden
    checks are removed, written solutions (``{solution}`` blocks and gated text) are replaced
    by an answer cell, code cells inside a solution gate that carry no markers are removed,
    outputs and execution counts are cleared, and nbgrader metadata is written. Everything else
    is kept as it is.

    Args:
        notebook: the chapter (an nbformat v4 notebook); it is not modified.
        chapter: the chapter's path in the book, recorded in the notebook's metadata.

    Returns:
        A new notebook.
    """
    import nbformat

    source = annotate(copy.deepcopy(notebook))
    labels = {}
    for exercise in exercises(source):
        for index in exercise.solution_cells + exercise.check_cells:
            labels[index] = exercise.label
    cells = []
    state: dict[str, Any] = {"gate": "", "gate_text": False}
    for index, cell in enumerate(source.cells):
        if cell.cell_type == "markdown":
            text, answered = _strip_markdown(cell.source, state)
            if text.strip():
                cell.source = text
                cells.append(cell)
            cells += [_answer_cell(label) for label in answered]
            continue
        if cell.cell_type != "code":
            if not state["gate"]:
                cells.append(cell)
            continue
        if state["gate"] and SOLUTION_BEGIN not in cell.source:
            continue  # a worked solution without markers: all of it is solution
        cell.source = _strip_code(cell.source, labels.get(index, state["gate"] or "?"))
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
        if cell.source.strip():
            cells.append(cell)
    if state["gate"]:
        raise AssignmentError(f"the solution gate of {state['gate']!r} is never closed")
    released = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata))
    released.nbformat_minor = source.nbformat_minor
    released.cells = cells
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
    released = []
    for path in paths:
        try:
            chapter = str(path.resolve().relative_to(base))
        except ValueError:
            chapter = path.name
        released.append((path.stem, release(_read(path), chapter=chapter)))
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, notebook in released:
        target = folder / f"{name}.ipynb"
        nbformat.write(notebook, target)
        written.append(target)
    return written


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
    """

    submission: str
    chapter: str
    points: dict[str, float] = field(default_factory=dict)
    max_points: dict[str, float] = field(default_factory=dict)
    status: str = "graded"
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

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
    exercise is not in that submission's chapter), ``total``, ``max_total``, ``status`` and
    ``failures`` (``label: first error`` for each exercise that lost points).
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
            ["submission", "chapter", *labels, "total", "max_total", "status", "failures"]
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
                ]
            )
    return target


def _show(value: float) -> str:
    return f"{value:g}"
