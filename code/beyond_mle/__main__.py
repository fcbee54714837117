"""The command line: ``python -m beyond_mle`` (or ``beyond-mle``).

Subcommands:
    list: the experiments, their notebooks, presets and parameters.
    run: execute an experiment's notebook with a preset and overrides, storing its results
        under ``book/results/<experiment>/<preset>/``.
    execute: re-execute chapter notebooks in place at their defaults, refreshing their committed
        outputs (every chapter when none is named).
    assignments: the chapters' exercises as assignments: ``list`` them, ``release`` student
        versions, ``grade`` submissions, ``annotate`` chapters with nbgrader metadata.
    sweep: run an experiment over a grid of values (seeds, parameters), locally or on SLURM,
        into ``book/results/<experiment>/<sweep>/``, and summarize it.
    summarize: write a sweep folder's ``summary.csv`` and ``summary.json`` (mean, sd, 95%
        interval and n over seeds per grid point and metric).
    reproduces: write the page "What reproduces" (``book/reproduces.md``) from every chapter's
        claims and the committed results (``--check``: fail if it is stale).

Examples::

    python -m beyond_mle list
    python -m beyond_mle run differentiable_bleu --preset paper -p device cuda -p seed 1
    python -m beyond_mle sweep bce_loss --grid seed=0:5000:1000 --name seeds --jobs 2
    python -m beyond_mle summarize book/results/bce_loss/seeds
    python -m beyond_mle execute book/bleu/differentiable_bleu.ipynb
    python -m beyond_mle assignments release --out student/ bce_loss
    python -m beyond_mle assignments grade submissions/ --out grades.csv
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from beyond_mle.assignments import AssignmentError
from beyond_mle.experiments import (
    EXPERIMENTS,
    Experiment,
    ExperimentError,
    ExperimentRunError,
    get_experiment,
    run_experiment,
)
from beyond_mle.experiments.refresh import (
    DEFAULT_TIMEOUT,
    NotebookRefreshError,
    chapter_notebooks,
    check_notebooks,
    refresh_notebook,
)

PROG = "beyond-mle"
_WIDTH = 100


def _show(value: Any) -> str:
    """A parameter value as the command line writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_show(item) for item in value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _table(rows: Sequence[Sequence[str]], indent: str) -> list[str]:
    """Rows as left-aligned columns, the last column wrapped to the line width."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        head = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        prefix = f"{indent}{head}  "
        lines += textwrap.wrap(
            row[-1] or "-",
            width=max(_WIDTH, len(prefix) + 20),
            initial_indent=prefix,
            subsequent_indent=" " * len(prefix),
            break_on_hyphens=False,
        )
    return lines


def describe_experiment(experiment: Experiment) -> str:
    """An experiment as ``list`` prints it: notebook, description, presets and parameters."""
    lines = [
        experiment.name,
        f"  notebook:    {experiment.notebook}",
        *textwrap.wrap(
            experiment.description,
            width=_WIDTH,
            initial_indent="  description: ",
            subsequent_indent=" " * 15,
            break_on_hyphens=False,
        ),
        "  presets:",
    ]
    presets = [
        [name, " ".join(f"{key}={_show(value)}" for key, value in values.items())]
        for name, values in experiment.presets.items()
    ]
    presets = [[name, text or "(the notebook's defaults)"] for name, text in presets]
    lines += _table(presets, indent="    ")
    lines.append("  parameters:")
    rows = [["name", "kind", "default", "valid", "help"]]
    rows += [
        [name, param.kind, _show(param.default), param.range_text() or "any", param.help]
        for name, param in experiment.params.items()
    ]
    lines += _table(rows, indent="    ")
    return "\n".join(lines)


def _list(args: argparse.Namespace) -> int:
    names = args.experiments or list(EXPERIMENTS)
    experiments = [get_experiment(name) for name in names]
    print("\n\n".join(describe_experiment(experiment) for experiment in experiments))
    return 0


def _overrides(pairs: Sequence[Sequence[str]]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for key, value in pairs:
        if key in overrides:
            raise ExperimentError(f"parameter {key!r} is given twice (-p {key} ...)")
        overrides[key] = value
    return overrides


def _shown_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)


def _run(args: argparse.Namespace) -> int:
    folder = run_experiment(
        args.experiment,
        args.preset,
        _overrides(args.param),
        root=args.root,
        progress=not args.no_progress,
        allow_dirty=args.allow_dirty,
    )
    print(f"results: {_shown_path(folder)}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from beyond_mle.experiments.sweep import SlurmOptions, run_sweep

    slurm = SlurmOptions(
        partition=args.partition,
        time_min=args.time,
        gpus=args.gpus,
        mem_gb=args.mem,
        cpus=args.cpus,
        array_parallelism=args.array_parallelism,
    )
    sweep = run_sweep(
        args.experiment,
        args.preset,
        args.grid,
        _overrides(args.param),
        name=args.name,
        backend=args.backend,
        jobs=args.jobs,
        slurm=slurm,
        root=args.root,
        progress=not args.no_progress,
        allow_dirty=args.allow_dirty,
    )
    counts: dict[str, int] = {}
    for cell in sweep.cells:
        counts[cell.status] = counts.get(cell.status, 0) + 1
    root = Path(args.root) if args.root else None
    from beyond_mle.experiments.paths import find_root

    folder = sweep.folder(find_root(root))
    tally = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"sweep {sweep.name}: {len(sweep.cells)} cells ({tally}); {_shown_path(folder)}")
    for cell in sweep.cells:
        if cell.status == "failed":
            _error(f"cell {cell.folder}: {cell.error.splitlines()[0] if cell.error else ''}")
    return 1 if counts.get("failed") else 0


def _summarize(args: argparse.Namespace) -> int:
    from beyond_mle.experiments.sweep import summarize

    for path in summarize(args.folder):
        print(f"written: {_shown_path(path)}")
    return 0


def _execute(args: argparse.Namespace) -> int:
    """Refresh the notebooks named (or every chapter), one line each; 1 if any failed."""
    if args.notebooks:
        notebooks = check_notebooks(args.notebooks)
    else:
        notebooks = check_notebooks(Path(_shown_path(path)) for path in chapter_notebooks())
    failed = 0
    for notebook in notebooks:
        try:
            seconds = refresh_notebook(notebook, timeout=args.timeout)
        except NotebookRefreshError as error:
            failed += 1
            print(f"{notebook}: FAILED after {error.seconds:.1f} s", flush=True)
            _error(str(error))
            continue
        except KeyboardInterrupt:
            _error(f"interrupted; {notebook} was left unchanged")
            return 130
        print(f"{notebook}: refreshed in {seconds:.1f} s", flush=True)
    if failed:
        _error(f"{failed} of {len(notebooks)} notebooks failed and were left unchanged")
        return 1
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _add_list(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("list", help="list the experiments, presets and parameters")
    parser.add_argument("experiments", nargs="*", metavar="EXPERIMENT", help="only these")
    parser.set_defaults(handler=_list)


def _add_run(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "run",
        help="run an experiment's notebook and store its results",
        description=(
            "Execute an experiment's notebook with papermill and store the executed notebook, "
            "its results and provenance.json under book/results/<experiment>/<preset>/ "
            "(<preset>+<key>=<value>... when parameters are overridden)."
        ),
    )
    parser.add_argument("experiment", help="an experiment name (see 'list')")
    parser.add_argument("--preset", default="book", help="a preset name (default: book)")
    _add_run_options(
        parser,
        param_help="override a parameter (repeatable), e.g. -p device cuda -p seed 1",
        dirty_help="run even with uncommitted changes to tracked files (recorded in "
        "provenance.json)",
    )
    parser.set_defaults(handler=_run)


def _add_run_options(parser: argparse.ArgumentParser, *, param_help: str, dirty_help: str) -> None:
    """The options ``run`` and ``sweep`` share: -p, --no-progress, --root, --allow-dirty."""
    parser.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help=param_help,
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--root", default=None, help="the repository root (default: found)")
    parser.add_argument("--allow-dirty", action="store_true", help=dirty_help)


def _add_sweep(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "sweep",
        help="run an experiment over a grid of values, locally or on SLURM",
        description=(
            "Expand the --grid axes into cells and run each through the runner into "
            "book/results/<experiment>/<sweep>/<cell>/, with the manifest sweep.json, then "
            "write summary.csv and summary.json. Rerunning resumes: cells already run with the "
            "same parameters at the same clean revision are kept; failed ones run again."
        ),
    )
    parser.add_argument("experiment", help="an experiment name (see 'list')")
    parser.add_argument("--preset", default="book", help="the preset of every cell")
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="an axis (repeatable): seed=0:5 (a range), lr=1e-3,3e-3 (a list); a list "
        "parameter's values are separated by ';'",
    )
    _add_run_options(
        parser,
        param_help="a fixed override for every cell (repeatable)",
        dirty_help="run even with uncommitted changes to tracked files (cells are then never kept)",
    )
    parser.add_argument("--name", default=None, help="the sweep's folder name")
    parser.add_argument("--backend", choices=("local", "slurm"), default="local")
    parser.add_argument(
        "--jobs", type=_positive_int, default=1, help="local: cells at once (a process each)"
    )
    slurm = parser.add_argument_group("slurm backend (one job array, through submitit)")
    slurm.add_argument("--partition", default="", help="the partition (default: the cluster's)")
    slurm.add_argument("--time", type=_positive_int, default=60, help="minutes per cell")
    slurm.add_argument("--gpus", type=int, default=0, help="GPUs per task")
    slurm.add_argument("--mem", type=int, default=0, help="GB of memory per job")
    slurm.add_argument("--cpus", type=_positive_int, default=2, help="CPUs per task")
    slurm.add_argument(
        "--array-parallelism", type=int, default=0, help="cells at once (0: no limit)"
    )
    parser.set_defaults(handler=_sweep)
    summary = commands.add_parser(
        "summarize",
        help="write a sweep folder's summary.csv and summary.json",
        description=(
            "Per grid point (all axes but seed) and metric (each number in results.json): "
            "mean, standard deviation, 95% interval (Student t over seeds) and n."
        ),
    )
    summary.add_argument("folder", help="the sweep folder (book/results/<experiment>/<sweep>)")
    summary.set_defaults(handler=_summarize)


def _add_execute(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "execute",
        help="re-execute chapter notebooks in place, refreshing their committed outputs",
        description=(
            "Execute each notebook with nbclient in its own folder at its default parameters "
            "(progress bars off, MPLBACKEND unset), remove execution timestamps and papermill "
            "metadata, and write it back in place. A notebook whose cell fails is left "
            "unchanged (exit status 1, after trying the others). Without NOTEBOOK, every "
            "registered experiment's notebook (every chapter) is refreshed."
        ),
    )
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="only these .ipynb")
    parser.add_argument(
        "--timeout",
        type=_positive_int,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds each cell may run (default: {DEFAULT_TIMEOUT})",
    )
    parser.set_defaults(handler=_execute)


def _assignments_list(args: argparse.Namespace) -> int:
    import nbformat

    from beyond_mle.assignments import exercises, find_chapters, written_answers

    paths = find_chapters(args.chapters)
    for path in paths:
        print(f"{path.stem} ({_shown_path(path)})")
        notebook = nbformat.read(path, as_version=4)
        written = written_answers(notebook)
        for exercise in exercises(notebook):
            parts = []
            if exercise.kind == "code":
                parts.append(f"{exercise.max_points:g} auto")
            if exercise.label in written:
                parts.append(f"{written[exercise.label]:g} by hand")
            points = " + ".join(parts) or "-"
            print(f"  {exercise.label:<32} {exercise.kind:<8} {points:<16} {exercise.title}")
    return 0


def _assignments_release(args: argparse.Namespace) -> int:
    from beyond_mle.assignments import release_chapters

    for path in release_chapters(args.chapters, args.out):
        print(f"released: {_shown_path(path)}")
    return 0


def _assignments_course(args: argparse.Namespace) -> int:
    from beyond_mle.assignments import write_course

    written = write_course(
        args.chapters, args.out, course=args.course_id, cell_timeout=args.cell_timeout
    )
    for path in written:
        print(f"written: {_shown_path(path)}")
    print(
        f"next, in {args.out}: nbgrader generate_assignment <chapter>; after collecting: "
        "nbgrader autograde <chapter>; nbgrader formgrader to mark the written answers"
    )
    return 0


def _assignments_grade(args: argparse.Namespace) -> int:
    from beyond_mle.assignments import grade_folder, write_grades

    results = grade_folder(
        args.submissions, cell_timeout=args.cell_timeout, notebook_timeout=args.timeout
    )
    for result in results:
        by_hand = sum(result.to_mark.values())
        print(
            f"{result.submission}: {result.total:g} / {result.max_total:g} automatic "
            f"+ {by_hand:g} to mark by hand ({result.status}, {result.seconds:.0f} s)",
            flush=True,
        )
    print(f"grades: {_shown_path(write_grades(results, args.out))}")
    return 0


def _assignments_annotate(args: argparse.Namespace) -> int:
    import nbformat

    from beyond_mle.assignments import annotate, find_chapters

    paths = find_chapters(args.chapters)
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        before = nbformat.writes(notebook)
        if nbformat.writes(annotate(notebook)) != before:
            nbformat.write(notebook, path)
            print(f"annotated: {_shown_path(path)}")
    return 0


def _add_assignments(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "assignments",
        help="the exercises as assignments: list, release student versions, grade",
        description=(
            "Chapters' exercises as assignments. Solutions are marked as nbgrader marks them "
            "(### BEGIN SOLUTION / ### END SOLUTION, ### BEGIN HIDDEN TESTS / ### END HIDDEN "
            "TESTS) inside sphinx-exercise solution blocks. A CHAPTER is a chapter's name "
            "(e.g. bce_loss: its notebook's, module's and experiment's) or its notebook's path."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the exercises of each chapter and their points")
    listing.add_argument("chapters", nargs="*", metavar="CHAPTER", help="only these")
    listing.set_defaults(handler=_assignments_list)
    release = actions.add_parser(
        "release",
        help="write student versions of chapters",
        description=(
            "Write <OUT>/<chapter>.ipynb for each chapter (every chapter when none is named): "
            "exercises in plain Markdown, code solutions replaced by a placeholder that raises "
            "NotImplementedError, written solutions by an answer cell (YOUR ANSWER HERE), "
            "hidden checks removed, outputs cleared; cells and nbgrader metadata as nbgrader's "
            "own release of the course version, so nbgrader can autograde them."
        ),
    )
    release.add_argument("chapters", nargs="*", metavar="CHAPTER", help="only these")
    release.add_argument("--out", required=True, help="the folder to write them to")
    release.set_defaults(handler=_assignments_release)
    grade = actions.add_parser(
        "grade",
        help="grade submitted notebooks into a CSV",
        description=(
            "Execute every .ipynb under SUBMISSIONS (recursively) with the hidden checks "
            "restored from the chapter it answers; each check cell that runs without error "
            "earns its points. A cell past --cell-timeout is interrupted; a submission past "
            "--timeout stops; a broken submission gets zero where it fails and the run goes on."
        ),
    )
    grade.add_argument("submissions", help="the folder of submitted notebooks")
    grade.add_argument("--out", required=True, help="the CSV to write (one row per submission)")
    grade.add_argument(
        "--cell-timeout",
        type=_positive_int,
        default=120,
        metavar="SECONDS",
        help="seconds one cell may run (default: 120)",
    )
    grade.add_argument(
        "--timeout",
        type=_positive_int,
        default=1200,
        metavar="SECONDS",
        help="seconds one submission may run (default: 1200)",
    )
    grade.set_defaults(handler=_assignments_grade)
    course = actions.add_parser(
        "course",
        help="write an nbgrader course folder: nbgrader_config.py and source/<chapter>/",
        description=(
            "Write <OUT>/nbgrader_config.py (course id, cell timeout) and, for each chapter "
            "(every chapter when none is named), <OUT>/source/<chapter>/<chapter>.ipynb: the "
            "course version, with every written solution in a manually graded answer cell."
        ),
    )
    course.add_argument("chapters", nargs="*", metavar="CHAPTER", help="only these")
    course.add_argument("--out", required=True, help="the course folder")
    course.add_argument("--course-id", default="beyond-mle", help="nbgrader's course id")
    course.add_argument(
        "--cell-timeout",
        type=_positive_int,
        default=600,
        metavar="SECONDS",
        help="seconds one cell may run under nbgrader (default: 600)",
    )
    course.set_defaults(handler=_assignments_course)
    annotate = actions.add_parser(
        "annotate", help="write nbgrader cell metadata into the chapters, in place"
    )
    annotate.add_argument("chapters", nargs="*", metavar="CHAPTER", help="only these")
    annotate.set_defaults(handler=_assignments_annotate)


def _reproduces(args: argparse.Namespace) -> int:
    """Write (or, with --check, compare) the page "What reproduces"."""
    from beyond_mle.experiments.paths import find_root
    from beyond_mle.reproduces import PAGE, render_page, write_page

    root = find_root() if args.root is None else Path(args.root)
    if args.check:
        page = root / PAGE
        current = page.read_text(encoding="utf-8") if page.is_file() else None
        if current != render_page(root):
            _error(f"{PAGE} is stale: regenerate it with '{PROG} reproduces'")
            return 1
        print(f"{PAGE} is current")
        return 0
    print(f"wrote {_shown_path(write_page(root))}")
    return 0


def _add_reproduces(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "reproduces",
        help="write the page 'What reproduces' from the claims and the committed results",
        description=(
            "Evaluate every chapter's claims on every committed run under book/results and "
            "write book/reproduces.md (with --check: exit 1 if the committed page differs)."
        ),
    )
    parser.add_argument("--check", action="store_true", help="only check that it is current")
    parser.add_argument("--root", default=None, help="the repository root (default: found)")
    parser.set_defaults(handler=_reproduces)


#: The subcommands, each a function adding its parser.
SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_list,
    _add_run,
    _add_sweep,
    _add_execute,
    _add_assignments,
    _add_reproduces,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m beyond_mle``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run the book's experiments: chapter notebooks with presets and overrides.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(commands)
    return parser


def _error(message: str) -> None:
    text = textwrap.fill(f"{PROG}: error: {message}", width=_WIDTH, break_on_hyphens=False)
    print(text, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``) and return the exit status.

    Returns:
        0 on success; 1 if a notebook failed; 2 for a request that does not fit the
        experiment's specification (unknown experiment, preset or parameter, invalid value,
        CUDA requested where there is none), a notebook path that does not exist or a usage
        error; 130 if interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.handler(args)
    except (ExperimentError, AssignmentError, FileNotFoundError) as error:
        _error(str(error))
        return 2
    except ExperimentRunError as error:
        _error(str(error))
        return 1
    except KeyboardInterrupt:
        _error("interrupted; no results were written")
        return 130


if __name__ == "__main__":
    sys.exit(main())
