"""A Jupyter notebook as the Python module gradlab imports (the grader's submissions and `gradlab check nb.ipynb`).

A notebook holds the layers and much else: data loading, training loops, plots, shell magics. Only
code cells whose every statement imports, defines a function or class, or assigns a constant are
kept (in order); every other cell is skipped and described, so the feedback can list it. Runs in
the grader on untrusted bytes: it parses JSON and Python, and executes nothing.
Non-goal: running notebooks, or keeping their outputs.
"""

from __future__ import annotations

import ast
import json
from typing import Any

_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class NotebookError(Exception):
    """The file is not a notebook gradlab can read; the message says why."""


def _constant(node: ast.expr | None) -> bool:
    if node is None:
        return True
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _kept(statement: ast.stmt) -> bool:
    """Imports, definitions, constants (`EPS = 1e-7`, `SIZES: tuple = (784, 10)`) and docstrings."""
    if isinstance(statement, _DEFINITIONS):
        return True
    if isinstance(statement, ast.Assign):
        return all(isinstance(t, ast.Name) for t in statement.targets) and _constant(statement.value)
    if isinstance(statement, ast.AnnAssign):
        return isinstance(statement.target, ast.Name) and _constant(statement.value)
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _cells(data: bytes) -> list[str]:
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"not a Jupyter notebook (its JSON does not parse: {str(exc)[:100]})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise NotebookError("not a Jupyter notebook (no list of cells)")
    out = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source: Any = cell.get("source", "")
        out.append("".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source))
    return out


def notebook_source(data: bytes) -> tuple[str, list[str]]:
    """(the module made of the kept code cells, one description per skipped code cell)."""
    kept, skipped = [], []
    for number, text in enumerate(_cells(data), 1):
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            skipped.append(f"cell {number} (not plain Python: a magic or shell line, or a syntax error)")
            continue
        runs = [s for s in tree.body if not _kept(s)]
        if runs:
            first = ast.get_source_segment(text, runs[0]) or type(runs[0]).__name__
            first = " ".join(first.split())
            skipped.append(f"cell {number} (it runs code, e.g. {first[:60]!r}; only imports, definitions "
                           "and constants are kept)")
            continue
        kept.append(f"# --- notebook cell {number} ---\n{text}\n")
    return "\n".join(kept), skipped
