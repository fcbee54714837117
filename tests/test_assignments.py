"""Student versions of the chapters and grading of submissions."""

import csv
import re
import time
from pathlib import Path

import nbformat
import pytest

from beyond_mle.__main__ import main
from beyond_mle.assignments import (
    HIDDEN_BEGIN,
    HIDDEN_END,
    SOLUTION_BEGIN,
    SOLUTION_END,
    AssignmentError,
    annotate,
    chapter_paths,
    course_version,
    exercises,
    grade,
    grade_folder,
    release,
    write_grades,
    written_answers,
)

# A small chapter with the book's conventions: two code exercises (one with written solution
# text in its gate) and one written exercise.
TOY_CELLS = [
    ("markdown", "# A toy chapter\n\nSome text."),
    ("code", "import math\n\nbase = 41"),
    (
        "markdown",
        "## Exercises\n\n```{exercise} Square a number\n:label: toy-ex-square\n\n"
        "Write `square`.\n```\n\n````{solution-start} toy-ex-square\n:class: dropdown\n````",
    ),
    ("code", f"def square(x):\n    {SOLUTION_BEGIN}\n    return x * x\n    {SOLUTION_END}"),
    ("markdown", "````{solution-end}\n````"),
    (
        "code",
        f"assert square(3) == 9\n{HIDDEN_BEGIN}\nassert square(-2) == 4\n{HIDDEN_END}\n"
        'print("square: checks passed")',
    ),
    (
        "markdown",
        "```{exercise} Sum a range\n:label: toy-ex-sum\n\nWrite `total(n)` and explain.\n```\n\n"
        "````{solution-start} toy-ex-sum\n:class: dropdown\n````\n\n"
        "The secret explanation of the sum is Gauss's pairing.",
    ),
    (
        "code",
        f"def total(n):\n    {SOLUTION_BEGIN}\n    return n * (n + 1) // 2\n    {SOLUTION_END}",
    ),
    ("code", "print(sum_of_squares_demo := sum(range(10)))"),
    ("markdown", "````{solution-end}\n````"),
    (
        "code",
        f"assert total(3) == 6\n{HIDDEN_BEGIN}\nassert total(100) == 5050\n"
        f"assert total(base) == 861\n{HIDDEN_END}",
    ),
    (
        "markdown",
        "```{exercise} Why\n:label: toy-ex-why\n\nWhy is it so?\n```\n\n"
        "````{solution} toy-ex-why\n:class: dropdown\n\nBecause of the hidden reason.\n````",
    ),
]
SECRETS = (
    "x * x",
    "n * (n + 1)",
    "square(-2)",
    "total(100)",
    "Gauss",
    "hidden reason",
    "sum_of_squares_demo",
)


def make_notebook(cells=TOY_CELLS):
    notebook = nbformat.v4.new_notebook()
    for kind, source in cells:
        if kind == "code":
            cell = nbformat.v4.new_code_cell(source)
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="old\n")]
            cell.execution_count = 3
        else:
            cell = nbformat.v4.new_markdown_cell(source)
        notebook.cells.append(cell)
    return annotate(notebook)


@pytest.fixture
def toy(tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    path = folder / "toy.ipynb"
    nbformat.write(make_notebook(), path)
    return path


def write(notebook, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def test_exercises_are_found_with_their_cells():
    found = exercises(make_notebook())
    assert [(e.label, e.kind) for e in found] == [
        ("toy-ex-square", "code"),
        ("toy-ex-sum", "code"),
        ("toy-ex-why", "written"),
    ]
    assert found[0].solution_cells == [3] and found[0].check_cells == [5]
    assert found[1].max_points == 1.0 and found[2].max_points == 0.0


def test_release_strips_solutions_and_hidden_checks_and_outputs():
    released = release(make_notebook(), chapter="book/toy.ipynb")
    text = nbformat.writes(released)
    for secret in SECRETS:
        assert secret not in text, secret
    for marker in (SOLUTION_BEGIN, HIDDEN_BEGIN, "{solution", "solution-end"):
        assert marker not in text
    sources = [cell.source for cell in released.cells]
    # two code solutions and the worked cell of toy-ex-sum's gate
    assert sum('raise NotImplementedError("exercise toy-ex-' in s for s in sources) == 3
    answers = {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in released.cells
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution")
    }
    assert answers == {
        "toy-ex-sum-answer": "YOUR ANSWER HERE",
        "toy-ex-why-answer": "YOUR ANSWER HERE",
    }
    assert "base = 41" in sources[1] and "assert square(3) == 9" in text
    checks = [
        c
        for c in released.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
    ]
    assert len(checks) == 2 and all(c.metadata["nbgrader"]["locked"] for c in checks)
    for cell in released.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert released.metadata["beyond_mle"]["chapter"] == "book/toy.ipynb"


def test_course_version_is_plain_markdown_with_graded_answer_cells():
    chapter = make_notebook()
    course = course_version(chapter, chapter_number="3")
    text = "\n".join(cell.source for cell in course.cells)
    for directive in ("{exercise}", "{solution", ":label:", ":class:", "````"):
        assert directive not in text, directive
    statements = [c.source for c in course.cells if c.source.startswith("**Exercise")]
    assert [s.splitlines()[0] for s in statements] == [
        "**Exercise 3.1** (Square a number)",
        "**Exercise 3.2** (Sum a range)",
        "**Exercise 3.3** (Why)",
    ]
    answers = [
        c
        for c in course.cells
        if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-answer")
    ]
    assert [(c.cell_type, c.metadata["nbgrader"]["points"]) for c in answers] == [
        ("markdown", 1)
    ] * 2
    assert all(
        c.metadata["nbgrader"]["solution"] and c.metadata["nbgrader"]["grade"] for c in answers
    )
    assert "Gauss" in answers[0].source and "hidden reason" in answers[1].source
    # each answer follows its own exercise's statement
    positions = {c.source.splitlines()[0]: i for i, c in enumerate(course.cells)}
    why = positions["**Exercise 3.3** (Why)"]
    assert course.cells[why + 2] is answers[1]
    # worked code without markers is wrapped in them
    worked = [c for c in course.cells if "sum_of_squares_demo" in c.source][0]
    assert worked.source.startswith(SOLUTION_BEGIN) and worked.metadata["nbgrader"]["solution"]
    # ids are stable and unique
    ids = [c["id"] for c in course.cells]
    assert len(set(ids)) == len(ids)
    assert ids == [c["id"] for c in course_version(chapter, chapter_number="3").cells]


def test_equation_references_become_numbers():
    cells = [
        ("markdown", "$$\na = b\n$$ (toy-eq)\n\nText."),
        ("markdown", "```{exercise} Eq\n:label: toy-ex-eq\n\nUse {eq}`toy-eq`.\n```"),
    ]
    course = course_version(make_notebook(cells), chapter_number="5")
    assert "Use (5.1)." in course.cells[-1].source


def test_written_answers_are_to_mark_by_hand(toy, tmp_path):
    assert written_answers(make_notebook()) == {"toy-ex-sum": 1.0, "toy-ex-why": 1.0}


def test_release_rejects_unpaired_markers():
    cells = [*TOY_CELLS[:3], ("code", f"def square(x):\n    {SOLUTION_BEGIN}\n    return x")]
    with pytest.raises(AssignmentError, match="pair"):
        release(make_notebook(cells))


def test_grading_instructor_and_student_versions(toy, tmp_path):
    chapters = {"toy": toy}
    full = grade(toy, chapters=chapters, cell_timeout=30)
    assert full.status == "graded", full
    assert full.points == {"toy-ex-square": 1.0, "toy-ex-sum": 1.0}
    assert full.total == full.max_total == 2.0
    student = write(release(nbformat.read(toy, 4), chapter="book/toy.ipynb"), tmp_path / "s.ipynb")
    zero = grade(student, chapters=chapters, cell_timeout=30)
    assert zero.status == "graded" and zero.chapter == "toy"
    assert zero.total == 0.0 and zero.max_total == 2.0
    assert "NotImplementedError" in zero.failures["toy-ex-square"]


def test_hidden_checks_are_restored_and_tampering_does_not_help(toy, tmp_path):
    student = release(nbformat.read(toy, 4), chapter="book/toy.ipynb")
    for cell in student.cells:
        if "raise NotImplementedError" in cell.source and "square" in cell.source:
            cell.source = "def square(x):\n    return 9 if x == 3 else 0"  # passes only visible
        if "assert total(3)" in cell.source:
            cell.source = "pass"  # a deleted check is restored
        if "raise NotImplementedError" in cell.source and "total" in cell.source:
            cell.source = "def total(n):\n    return sum(range(n + 1))"
    result = grade(write(student, tmp_path / "sub" / "toy.ipynb"), chapters={"toy": toy})
    assert result.points == {"toy-ex-square": 0.0, "toy-ex-sum": 1.0}


def test_a_looping_or_raising_submission_is_graded_and_the_run_finishes(toy, tmp_path):
    student = release(nbformat.read(toy, 4), chapter="book/toy.ipynb")
    for cell in student.cells:
        if "raise NotImplementedError" in cell.source and "square" in cell.source:
            cell.source = "def square(x):\n    while True:\n        pass"
        if "raise NotImplementedError" in cell.source and "total" in cell.source:
            cell.source = "def total(n):\n    raise RuntimeError('broken')"
    folder = tmp_path / "submissions"
    write(student, folder / "ada" / "toy.ipynb")
    (folder / "bob").mkdir()
    (folder / "bob" / "toy.ipynb").write_text("this is not a notebook")
    write(nbformat.read(toy, 4), folder / "cy" / "toy.ipynb")
    start = time.monotonic()
    results = grade_folder(folder, chapters={"toy": toy}, cell_timeout=3)
    assert time.monotonic() - start < 120
    by_name = {result.submission: result for result in results}
    ada = by_name[str(Path("ada") / "toy.ipynb")]
    assert ada.points == {"toy-ex-square": 0.0, "toy-ex-sum": 0.0}
    assert "RuntimeError" in ada.failures["toy-ex-sum"]
    bob = by_name[str(Path("bob") / "toy.ipynb")]
    assert bob.status.startswith("not graded") and bob.total == 0.0
    assert by_name[str(Path("cy") / "toy.ipynb")].total == 2.0
    rows = list(csv.DictReader(open(write_grades(results, tmp_path / "grades.csv"))))
    assert [row["submission"] for row in rows] == sorted(by_name)
    assert rows[0]["toy-ex-square"] == "0" and rows[2]["total"] == "2"
    assert "not a readable notebook" in rows[1]["status"]


def test_a_submission_past_its_time_limit_stops_with_zero(toy, tmp_path):
    student = nbformat.read(toy, 4)
    student.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(4)"))
    result = grade(
        write(student, tmp_path / "toy.ipynb"), chapters={"toy": toy}, notebook_timeout=2
    )
    assert result.status.startswith("time limit") and result.total == 0.0


def test_grade_rejects_bad_limits(toy):
    with pytest.raises(ValueError, match="cell_timeout"):
        grade(toy, chapters={"toy": toy}, cell_timeout=0)
    with pytest.raises(ValueError, match="notebook_timeout"):
        grade_folder(toy.parent, chapters={"toy": toy}, notebook_timeout=0)


# The book's own chapters.

CHAPTERS = chapter_paths()


def _solution_lines(notebook):
    """Lines of solutions and hidden checks, and the lines of the notebook outside them."""
    secret, public = set(), set()
    gate = False
    for cell in notebook.cells:
        inside = ""
        fence = ""
        for line in cell.source.splitlines():
            stripped = line.strip()
            if cell.cell_type == "markdown":
                if fence:
                    if stripped == fence:
                        fence = ""
                    else:
                        secret.add(stripped)
                    continue
                match = re.match(r"^(`{3,})\{(solution|solution-start|solution-end)\}", stripped)
                if match:
                    gate = match.group(2) == "solution-start" or (
                        gate and match.group(2) != "solution-end"
                    )
                    fence = match.group(1) if match.group(2) == "solution" else ""
                    continue
                (secret if gate else public).add(stripped)
                continue
            if stripped in (SOLUTION_BEGIN, HIDDEN_BEGIN):
                inside = SOLUTION_END if stripped == SOLUTION_BEGIN else HIDDEN_END
            elif stripped == inside:
                inside = ""
            elif inside or (gate and SOLUTION_BEGIN not in cell.source):
                secret.add(stripped)
            else:
                public.add(stripped)
    return {line for line in secret - public if len(line) >= 12}


def test_the_book_has_chapters_with_exercises():
    assert len(CHAPTERS) >= 6
    labels = []
    for name, path in CHAPTERS.items():
        found = exercises(nbformat.read(path, 4))
        assert len(found) >= 3, name
        assert any(exercise.kind == "code" for exercise in found), name
        labels += [exercise.label for exercise in found]
    assert len(labels) == len(set(labels)), "exercise labels must be unique in the book"


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_chapters_carry_nbgrader_metadata(name):
    notebook = nbformat.read(CHAPTERS[name], 4)
    before = nbformat.writes(notebook)
    assert nbformat.writes(annotate(notebook)) == before, (
        f"run `python -m beyond_mle assignments annotate {name}`"
    )


def test_released_chapters_hold_no_solution_or_hidden_check(tmp_path):
    assert main(["assignments", "release", "--out", str(tmp_path)]) == 0
    for name, path in CHAPTERS.items():
        released = (tmp_path / f"{name}.ipynb").read_text()
        secrets = _solution_lines(nbformat.read(path, 4))
        assert secrets, name
        lines = {
            line.strip()
            for cell in nbformat.reads(released, 4).cells
            for line in cell.source.splitlines()
        }
        leaked = [line for line in secrets if line in lines]
        assert not leaked, (name, leaked[:3])
        for marker in (SOLUTION_BEGIN, HIDDEN_BEGIN, "{solution"):
            assert marker not in released, (name, marker)
        notebook = nbformat.reads(released, 4)
        assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_release_names_unknown_chapters(tmp_path, capsys):
    assert main(["assignments", "release", "--out", str(tmp_path), "no-such-chapter"]) == 2
    assert "chapter must be one of" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
