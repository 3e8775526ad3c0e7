"""The package's shape is checked, not promised: imports point one way, modules and functions stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gradlab

PACKAGE = Path(gradlab.__file__).parent
#: each subpackage and what it may import from gradlab, besides itself (the dependency order of README's Layout)
ALLOWED = {
    "core": set(),
    "schemas": set(),
    "kinds": {"core"},
    "functions": {"core"},
    "conventions": {"core", "kinds"},
    "models": {"core", "kinds", "conventions", "functions", "training", "cases"},
    "cases": {"core", "kinds", "conventions"},
    "fixes": {"core", "kinds", "conventions", "cases"},
    "testing": {"core", "kinds", "conventions", "cases", "functions", "models", "fixes"},
    "grading": {"core", "kinds", "conventions", "cases", "fixes"},
    "training": {"core", "kinds", "conventions", "cases"},
    "reporting": {"core", "kinds", "conventions", "cases", "training", "fixes", "models"},
    "bench": {"core", "kinds", "conventions", "cases", "training", "reporting"},
    "cli": {"core", "kinds", "conventions", "cases", "testing", "grading", "training", "reporting", "bench", "functions",
            "models", "fixes"},
}
#: top-level names every layer may use: the version, the public reference zoo, the JSON schemas
SHARED = {"__version__", "reference", "registry", "schemas"}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "reference" not in p.relative_to(PACKAGE).parts)


def _gradlab_imports(path: Path) -> set[str]:
    """The gradlab subpackage (or top-level name) each import of `path` reaches."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "gradlab":
            parts = node.module.split(".")
            out.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("gradlab."))
    return out


@pytest.mark.parametrize("sub", sorted(ALLOWED))
def test_a_subpackage_imports_only_the_subpackages_below_it(sub):
    for path in sorted((PACKAGE / sub).rglob("*.py")):
        reached = _gradlab_imports(path) - {sub} - SHARED
        assert reached <= ALLOWED[sub], f"{path.relative_to(PACKAGE)} imports gradlab.{sorted(reached - ALLOWED[sub])}"


def test_the_core_imports_no_other_subpackage():
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        assert _gradlab_imports(path) <= {"core"}, path.name


def test_no_module_is_longer_than_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"split these modules: {long}"


def test_no_function_is_longer_than_60_lines():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.name} ({length} lines)")
    assert not long, f"split these functions: {long}"


def test_no_private_name_is_imported_from_another_module():
    crossings = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gradlab"):
                crossings += [f"{path.relative_to(PACKAGE)}: {node.module}.{a.name}" for a in node.names
                              if a.name.startswith("_") and not a.name.startswith("__")]
    assert not crossings, crossings


def test_every_hard_dependency_is_imported_by_the_package():
    import re
    import tomllib

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=;\[ ]", dep)[0].lower() for dep in project["dependencies"]}
    imported = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert names <= imported, f"declared but never imported: {sorted(names - imported)}"


def test_the_package_ships_its_license():
    assert (PACKAGE.parent / "LICENSE").read_text().startswith("MIT License")
