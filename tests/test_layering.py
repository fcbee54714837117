"""The package's layering: methods apart from chapter drivers, chapters apart from one another."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "code" / "beyond_mle"

#: Modules that read the chapters or the registry: the machinery above the chapters.
ABOVE_CHAPTERS = {"experiments", "reproduces", "assignments", "__main__", "claims", "chapters"}


def _imports(path: Path) -> set[str]:
    """Every ``beyond_mle...`` module a file imports (at any depth of the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            found.update(name for name in names if name.startswith("beyond_mle"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("beyond_mle"))
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _top(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layering(path):
    imports = _imports(path)
    chapters = {name for name in imports if name.startswith("beyond_mle.chapters.")}
    if _top(path) == "chapters":
        own = f"beyond_mle.chapters.{path.stem}"
        others = {name for name in chapters if not name.startswith(own)}
        assert not others, f"a chapter module imports another chapter: {sorted(others)}"
        assert not {n for n in imports if n.startswith("beyond_mle.experiments")}, (
            "a chapter module imports the runner"
        )
    elif _top(path) not in ABOVE_CHAPTERS | {"plotting"}:
        layers = ("beyond_mle.chapters", "beyond_mle.experiments", "beyond_mle.plotting")
        below = {name for name in imports if name.startswith(layers)}
        assert not below, f"a method module imports chapters, experiments or plotting: {below}"


def test_every_notebook_has_its_chapter_module():
    notebooks = {path.stem for path in (PACKAGE.parents[1] / "book").glob("*/*.ipynb")}
    modules = {path.stem for path in (PACKAGE / "chapters").glob("*.py")} - {"__init__"}
    assert notebooks == modules
