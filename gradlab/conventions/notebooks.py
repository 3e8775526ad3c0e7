"""A Jupyter notebook as the Python module gradlab imports (the grader's submissions and `gradlab check nb.ipynb`).

A notebook holds the layers and much else: data loading, training loops, plots, shell magics. Only
code cells whose every statement imports, defines a function or class, or assigns a constant are
kept (in order); every other cell is skipped and described, so the feedback can list it. Runs in
the grader on untrusted bytes: it parses JSON and Python, and executes nothing.
Non-goal: running notebooks, or keeping their outputs.
"""

from __future__ import annotations

import ast
import atexit
import difflib
import getpass
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from gradlab.core.results import FixResult

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
    """(the module made of the kept code cells, one description per skipped code cell). A skipped cell that
    imports a name the kept cells use but never bind (deeplearning.ai's first cell: `import numpy as np`
    beside `%matplotlib inline` and `np.random.seed(1)`) says so, since every layer then fails on that name."""
    kept, skipped, imports = [], [], []
    for number, text in enumerate(_cells(data), 1):
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            skipped.append(f"cell {number} (not plain Python: a magic or shell line, or a syntax error)")
            imports.append(_imported(text))
            continue
        runs = [s for s in tree.body if not _kept(s)]
        if runs:
            first = ast.get_source_segment(text, runs[0]) or type(runs[0]).__name__
            first = " ".join(first.split())
            skipped.append(f"cell {number} (it runs code, e.g. {first[:60]!r}; only imports, definitions "
                           "and constants are kept)")
            imports.append(_imported(text))
            continue
        kept.append(f"# --- notebook cell {number} ---\n{text}\n")
    source = "\n".join(kept)
    wanted = _unbound(source)
    for i, names in enumerate(imports):
        lost = sorted(n for n in names if n in wanted)
        if lost:
            skipped[i] = (f"{skipped[i][:-1]}; it alone imports {', '.join(lost)}, which your kept cells use: "
                          "move the imports into a cell of their own)")
            wanted -= set(lost)
    return source, skipped


def _imported(text: str) -> set[str]:
    """The names a skipped cell's import statements bind (magic and shell lines blanked first)."""
    lines = ["\n" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines(keepends=True)]
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {(alias.asname or alias.name).split(".")[0] for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)
            for alias in s.names if alias.name != "*"}


def _unbound(source: str) -> set[str]:
    """Names the kept cells read but no kept cell binds at module level (imports, defs, classes, constants)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    bound: set[str] = set()
    for s in tree.body:
        if isinstance(s, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in s.names}
        elif isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(s.name)
        elif isinstance(s, ast.Assign | ast.AnnAssign):
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            bound |= {t.id for t in targets if isinstance(t, ast.Name)}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return read - bound


def definitions_of(data: bytes) -> str:
    """The module `gradlab check` imports for a notebook: every code cell, each statement that runs code blanked
    out line by line (and magics, shell escapes), so that every kept line keeps its number within its cell. A
    course's first cell mixes `import numpy as np` with `%matplotlib inline` and plot settings: its imports stay."""
    return "\n".join(f"# --- notebook cell {number} ---\n{_definitions(text)}\n"
                     for number, text in enumerate(_cells(data), 1))


def _definitions(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith("%%"):  # a cell magic (%%time, %%writefile) makes the cell no Python
        return "\n" * len(lines)
    lines = ["\n" if line.lstrip().startswith(("%", "!")) else line for line in lines]
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "\n" * len(lines)
    kept: set[int] = set()
    for statement in tree.body:
        # `from __future__ import print_function` in a later cell: a SyntaxError anywhere but a module's top
        future = isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
        if _kept(statement) and not future:
            first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
            kept.update(range(first - 1, statement.end_lineno or statement.lineno))
    return "".join(line if i in kept else "\n" for i, line in enumerate(lines))


_MODULE_FILES: dict[tuple[str, int, int], Path] = {}


def _cache_folder() -> Path:
    """The user's own folder for notebooks' module files. Shared temporary directories let anyone create a name
    first: a folder another user owns, or others may write to, is not used (a private one made for this process
    is, removed at exit), since a file there could be swapped for other code before gradlab imports it."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    top = Path(tempfile.gettempdir()) / f"gradlab-notebooks-{uid if uid is not None else getpass.getuser()}"
    try:
        top.mkdir(mode=0o700, exist_ok=True)
        info = top.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_mode & 0o077 == 0 and (uid is None or info.st_uid == uid):
            return top
    except OSError:
        pass
    private = Path(tempfile.mkdtemp(prefix="gradlab-notebook-"))
    atexit.register(shutil.rmtree, private, True)
    return private


def module_file(notebook: Path) -> Path:
    """A `.py` file holding the notebook's kept cells (`notebook_source`), written once per version of the
    notebook to a folder of the system's temporary directory named by its content: every reader of a layer's
    source (the diagnosis, the fix search, `# gradlab: kind=` comments) reads a file, and the user's folder is
    never written to. Raises NotebookError for a file that is no notebook, or one with no cell gradlab can keep."""
    info = notebook.stat()
    key = (str(notebook), info.st_mtime_ns, info.st_size)
    if key in _MODULE_FILES and _MODULE_FILES[key].is_file():
        return _MODULE_FILES[key]
    source = definitions_of(notebook.read_bytes())
    if not any(line.strip() and not _MARK.match(line) for line in source.splitlines()):
        raise NotebookError("no code cell that only imports, defines functions or classes, or assigns constants; "
                            "gradlab keeps only such cells (a cell that also runs code is skipped)")
    # named by the kept source's hash, so a process killed before its exit handlers run (a timeout, a crashed
    # worker) leaves one file per version of a notebook, reused next time, not one more folder per run
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:20]
    folder = _cache_folder() / digest
    folder.mkdir(exist_ok=True)
    stem = "".join(c if c.isalnum() or c == "_" else "_" for c in notebook.stem)
    out = folder / f"{stem or 'notebook'}.py"
    if not out.is_file() or out.read_text(encoding="utf-8") != source:
        # written whole, then renamed: another process reading the same notebook never sees half a file
        partial = folder / f".{out.name}.{os.getpid()}"
        partial.write_text(source, encoding="utf-8")
        os.replace(partial, out)
    _MODULE_FILES[key] = out
    _NOTEBOOK_OF[out.resolve()] = notebook
    return out


_NOTEBOOK_OF: dict[Path, Path] = {}
_MARK = re.compile(r"^# --- notebook cell (\d+) ---$", re.MULTILINE)
_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@", re.MULTILINE)


def place(filename: str, line: int) -> str:
    """`layers.py:12`, or for a line of a notebook's module file `week2.ipynb, code cell 4, line 12`."""
    notebook = _NOTEBOOK_OF.get(Path(filename).resolve())
    if notebook is None:
        return f"{Path(filename).name}:{line}"
    try:
        cells = _cells_of(Path(filename).read_text(encoding="utf-8"))
    except OSError:
        return f"{notebook.name}:{line}"
    cell, start = max(((n, first) for n, (first, _) in cells.items() if first <= line), default=(0, 1),
                      key=lambda c: c[1])
    return f"{notebook.name}, code cell {cell}, line {line - start + 1}"


def _cells_of(module_text: str) -> dict[int, tuple[int, str]]:
    """cell number -> (the module line its first line is on, its text as the notebook holds it)."""
    marks = list(_MARK.finditer(module_text))
    out = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(module_text)
        # each cell was written as its text, a newline, and (between cells) one more
        body = module_text[m.end() + 1:end].removesuffix("\n")
        body = body.removesuffix("\n") if i + 1 < len(marks) else body
        out[int(m[1])] = (module_text.count("\n", 0, m.end()) + 2, body)
    return out


def in_notebook(fix: FixResult) -> FixResult:
    """A verified fix found in a notebook's module file (`module_file`), said of the notebook: its diff names the
    notebook and the cell and counts lines within the cell, and `gradlab check --fix` writes the edited cell into
    the notebook (when the notebook is in Jupyter's own JSON layout, so nothing else in it changes)."""
    notebook = _NOTEBOOK_OF.get(Path(fix.path).resolve()) if fix.status == "verified" and fix.path else None
    if notebook is None:
        return fix
    old = _cells_of(Path(fix.path).read_text(encoding="utf-8"))
    new = _cells_of(fix.new_text)
    changed = [n for n in new if n in old and new[n][1] != old[n][1]]
    if len(changed) != 1 or set(new) != set(old):
        return replace(fix, path="")
    cell = changed[0]
    start = old[cell][0]
    diff = _HUNK.sub(lambda m: f"@@ -{int(m[1]) - start + 1}{m[2] or ''} +{int(m[3]) - start + 1}{m[4] or ''} @@",
                     fix.diff.split("\n", 2)[2])
    shown = f"{notebook.name} (code cell {cell})"
    text = notebook.read_text(encoding="utf-8")
    # the lines gradlab blanked (code that runs) come back from the notebook's own cell around the edit
    was = _cells(text.encode("utf-8"))[cell - 1].splitlines(keepends=True)
    before, after = old[cell][1].splitlines(keepends=True), new[cell][1].splitlines(keepends=True)
    edited: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        edited += was[i1:i2] if tag == "equal" else after[j1:j2]
    rewritten = _with_cell(text, cell, "".join(edited))
    return replace(fix, file=shown, diff=f"--- {shown}\n+++ {shown}\n{diff}",
                   lines=tuple(n - start + 1 for n in fix.lines), path=str(notebook) if rewritten else "",
                   new_text=rewritten or "", old_digest=hashlib.sha256(text.encode("utf-8")).hexdigest())


def _with_cell(text: str, cell: int, source: str) -> str | None:
    """The notebook `text` with its `cell`-th code cell holding `source`, in the JSON layout it was written in;
    None when that layout is not Jupyter's (re-writing would change more than the cell)."""
    nb = json.loads(text)
    for style in ({"indent": 1, "ensure_ascii": False}, {"indent": 1, "ensure_ascii": False, "sort_keys": True}):
        if json.dumps(nb, **style) + "\n" == text:  # type: ignore[arg-type]
            code = [c for c in nb["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"]
            code[cell - 1]["source"] = source.splitlines(keepends=True)
            return json.dumps(nb, **style) + "\n"  # type: ignore[arg-type]
    return None
