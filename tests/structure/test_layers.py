"""The package's folders are the stages of the data flow, and imports only point down it.

core → ingest → gate → transform → publish → dashboards → report → defs → cli: a module imports from
its own folder and the folders before it, never from one after it (docs/architecture.md).
The sample generator stands apart: it imports nothing of the pipeline.
"""

from __future__ import annotations

import ast
from pathlib import Path

from dagster_project.core.settings import REPO_ROOT

PACKAGE = REPO_ROOT / "dagster_project"
LAYERS = [
    "core", "ingest", "gate", "transform", "publish", "dashboards", "report", "defs", "cli"
]
# Where a command imports its stage when it runs, so that `leitstand query` does not pay
# for Dagster's import: start-up time, not a cycle dodged.
LAZY_IMPORTS_ALLOWED = {"cli/main.py", "cli/run.py"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _folder(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0]


def _imported_folders(tree: ast.AST) -> list[tuple[str, int, bool]]:
    """(folder of dagster_project imported, line, inside a function) for each import."""
    found = []
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    inner = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "dagster_project" and len(parts) > 1:
                found.append((parts[1], node.lineno, id(node) in inner))
                break
    return found


def test_imports_point_down_the_flow_only():
    wrong = []
    for path in _modules():
        own = _folder(path)
        if own not in LAYERS:
            continue
        for folder, line, _ in _imported_folders(ast.parse(path.read_text(encoding="utf-8"))):
            if folder in LAYERS and LAYERS.index(folder) > LAYERS.index(own):
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {folder}/")
    assert not wrong, "imports against the flow:\n" + "\n".join(wrong)


def test_every_module_lives_in_a_stage_folder():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    folders = {p.name for p in PACKAGE.iterdir() if any(p.glob("*.py"))}
    assert not loose
    assert folders == set(LAYERS) | {"sample"}


def test_no_import_hides_in_a_function_and_no_module_getattr():
    hidden = []
    for path in _modules():
        rel = str(path.relative_to(PACKAGE))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if rel not in LAZY_IMPORTS_ALLOWED:
            hidden += [f"{rel}:{line}" for _, line, inner in _imported_folders(tree) if inner]
        hidden += [f"{rel}: module __getattr__" for node in tree.body
                   if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"]
    assert not hidden, "\n".join(hidden)


def test_the_sample_generator_imports_nothing_of_the_pipeline():
    for path in (PACKAGE / "sample").rglob("*.py"):
        folders = {f for f, _, _ in _imported_folders(ast.parse(path.read_text(encoding="utf-8")))}
        assert folders <= {"sample"}, (path.name, folders)
