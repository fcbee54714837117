"""The chapters as an nbgrader course, checked with nbgrader itself (0.9.6, a dev dependency).

``python -m beyond_mle assignments course`` writes the course folder; nbgrader's own
``generate_assignment`` must then release every chapter without a line of any solution, its
gradebook must hold every written answer with its points, and ``autograde`` must score the
instructor's notebook, nbgrader's blank release and the book's own release as the book's grader
scores them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from beyond_mle.__main__ import main
from beyond_mle.assignments import (
    ANSWER_STUB,
    HIDDEN_BEGIN,
    SOLUTION_BEGIN,
    chapter_paths,
    course_version,
    grade,
    written_answers,
)

pytest.importorskip("nbgrader", reason="nbgrader is a dev dependency: pip install nbgrader")
from nbgrader.api import Gradebook  # noqa: E402

#: One xdist worker builds the course and runs every test of this file.
pytestmark = pytest.mark.xdist_group("nbgrader")
CHAPTERS = chapter_paths()
#: The chapter graded end to end (the quickest to execute).
GRADED = "differentiable_bleu"


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # nbgrader runs alembic (its database migrations) from PATH
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["BEYOND_MLE_PROGRESS"] = "0"
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("course")
    assert main(["assignments", "course", "--out", str(folder)]) == 0
    for name in CHAPTERS:
        _nbgrader(folder, "generate_assignment", name, "--force")
    return folder


def _secret_lines(chapter: Path) -> set[str]:
    """Lines (12 characters or more) only the instructor's course version holds."""
    notebook = course_version(nbformat.read(chapter, 4))
    secret: set[str] = set()
    public: set[str] = set()
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        inside = cell.cell_type == "markdown" and meta.get("solution")
        region = ""
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped.startswith("### BEGIN") or stripped.startswith("### END"):
                region = "" if stripped.startswith("### END") else stripped
                continue
            (secret if inside or region else public).add(stripped)
    return {line for line in secret - public if len(line) >= 12}


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_nbgraders_release_holds_no_solution_line(course, name):
    released = course / "release" / name / f"{name}.ipynb"
    notebook = nbformat.read(released, 4)
    lines = {line.strip() for cell in notebook.cells for line in cell.source.splitlines()}
    secrets = _secret_lines(CHAPTERS[name])
    assert secrets, name
    leaked = sorted(secrets & lines)
    assert leaked == [], leaked[:3]
    text = released.read_text()
    for marker in (SOLUTION_BEGIN, HIDDEN_BEGIN, "{solution", "{exercise}", ":label:"):
        assert marker not in text, marker
    answers = [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution")
    ]
    assert answers and all(answer == ANSWER_STUB for answer in answers)


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_written_answers_are_in_the_gradebook_with_points(course, name):
    expected = written_answers(nbformat.read(CHAPTERS[name], 4))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_notebook(name, name)
        manual = {
            cell.name.removesuffix("-answer"): cell.max_score
            for cell in notebook.grade_cells
            if cell.cell_type == "markdown"
        }
    assert expected and manual == expected


def test_nbgrader_and_the_book_grade_alike(course, tmp_path):
    """Instructor's notebook, nbgrader's blank release and the book's release, graded twice."""
    student = tmp_path / "book-release"
    assert main(["assignments", "release", "--out", str(student), GRADED]) == 0
    submissions = {
        "teacher": course / "source" / GRADED / f"{GRADED}.ipynb",
        "blank": course / "release" / GRADED / f"{GRADED}.ipynb",
        "book": student / f"{GRADED}.ipynb",
    }
    for who, path in submissions.items():
        target = course / "submitted" / who / GRADED / f"{GRADED}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    _nbgrader(course, "autograde", GRADED, "--create")
    book = {who: grade(path, name=who) for who, path in submissions.items() if who != "blank"}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {
            who: gradebook.find_submission_notebook(GRADED, GRADED, who) for who in submissions
        }
        auto = {who: (s.code_score, s.max_code_score) for who, s in scores.items()}
        written = {who: s.max_written_score for who, s in scores.items()}
    assert auto["teacher"][0] == auto["teacher"][1] > 0
    assert auto["blank"][0] == auto["book"][0] == 0
    for who in book:  # the blank release is the book's release, up to its placeholders' text
        assert book[who].status == "graded", book[who].status
        assert (book[who].total, book[who].max_total) == auto[who], who
        assert sum(book[who].to_mark.values()) == written[who] > 0
