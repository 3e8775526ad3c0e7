"""Copy a submission into a sandbox's scratch folder without trusting anything in it.

The copy runs in the grader, before any limit applies, so it opens only what it can vouch for:
regular files and folders. A symbolic link (to `/dev/zero`, `/etc/shadow`, a classmate's file, a
loop) is never followed, a FIFO or device is never opened, and the copy stops at `MAX_FILES`
files or `MAX_BYTES` bytes. Everything left out is listed, so the feedback can say so. A notebook
(`.ipynb`) is copied as the module of its code cells that only import, define or assign constants
(`gradlab.conventions.notebooks`); graded where it was written, it brings the local modules those cells
import (`helpers.py`, CS231n's `cs231n/` package next to the notebook).
Non-goal: deciding which files are imported (the child imports what it is told).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILES = 2000
MAX_BYTES = 64 << 20
_SKIP_DIRS = {"__pycache__"}


class _Budget:
    def __init__(self) -> None:
        self.files, self.bytes = 0, 0
        self.left_out: list[str] = []


def _copy_file(source: Path, target: Path, budget: _Budget, *, follow: bool = False) -> Path | None:
    """Copy one regular file; where it was written, or None (and a note) for anything else or past the budget."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(source, flags)
    except OSError:
        budget.left_out.append(f"{source.name} (a link or unreadable)")
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            budget.left_out.append(f"{source.name} (not a regular file)")
            return None
        if budget.files >= MAX_FILES or budget.bytes + info.st_size > MAX_BYTES:
            budget.left_out.append(f"{source.name} (over the {MAX_FILES} files / {MAX_BYTES >> 20} MB of a submission)")
            return None
        data = f.read(info.st_size + 1)[: info.st_size]  # a file growing under us is cut at its size
    if source.suffix == ".ipynb":  # its code cells become the module that is imported
        data, target = _from_notebook(source.name, data, budget), target.with_suffix(".py")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    budget.files, budget.bytes = budget.files + 1, budget.bytes + len(data)
    return target


def _from_notebook(name: str, data: bytes, budget: _Budget) -> bytes:
    from gradlab.conventions.notebooks import NotebookError, notebook_source

    try:
        source, skipped = notebook_source(data)
    except NotebookError as exc:
        budget.left_out.append(f"{name} ({exc})")
        return b""
    budget.left_out += [f"{name} {cell}" for cell in skipped]
    return source.encode("utf-8", "replace")


def _copy_tree(source: Path, target: Path, budget: _Budget) -> None:
    """Folders and regular files only, depth first, in a stable order; links are left out unread."""
    target.mkdir(parents=True, exist_ok=True)
    try:
        entries = sorted(os.scandir(source), key=lambda e: e.name)
    except OSError:
        budget.left_out.append(f"{source.name}/ (unreadable)")
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name in _SKIP_DIRS:
            continue
        if entry.is_symlink():
            budget.left_out.append(f"{entry.name} (a symbolic link: links are not followed)")
        elif entry.is_dir(follow_symlinks=False):
            _copy_tree(Path(entry.path), target / entry.name, budget)
        else:
            _copy_file(Path(entry.path), target / entry.name, budget)


def copy_submission(source: Path, work: Path, *, helpers: bool = False) -> tuple[list[Path], list[str]]:
    """Copy the submission into `work`: (the .py files to import, in a stable order; what was left out).

    With `helpers`, a single file travels with the local modules it imports (helper modules next to
    it, a repository root's package above it), in their layout; only the file itself is imported.
    The path given for a single file may itself be a link (the instructor named it); nothing it
    brings along may be."""
    budget = _Budget()
    if source.is_dir():
        _copy_tree(source, work / source.name, budget)
        root = work / source.name
        files = sorted(p for p in root.rglob("*.py") if not p.name.startswith("test_") and p.is_file())
        return files, budget.left_out
    if helpers and source.suffix == ".ipynb":  # with the modules next to it that its kept cells import
        written = _copy_file(source, work / source.name, budget, follow=True)
        folder = source.resolve().parent
        for f in _notebook_helpers(written, folder) if written is not None else []:
            if work / f.relative_to(folder) != written:
                _copy_file(f, work / f.relative_to(folder), budget)
        return ([written] if written is not None else []), budget.left_out
    if helpers and source.suffix == ".py":
        from gradlab.conventions.imports import local_modules

        base, found = local_modules(source)
        main = source.resolve()
        for f in found:
            _copy_file(f, work / f.relative_to(base), budget, follow=f == main)
        target = work / main.relative_to(base)
        return ([target] if target.is_file() else []), budget.left_out
    written = _copy_file(source, work / source.name, budget, follow=True)
    return ([written] if written is not None else []), budget.left_out


def _notebook_helpers(module: Path, folder: Path) -> list[Path]:
    """The local modules under `folder` (the notebook's own) that `module` (its kept cells) imports,
    directly or through each other: regular `.py` files only, never through a link."""
    import ast

    from gradlab.conventions.imports import local_modules

    try:
        tree = ast.parse(module.read_bytes())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    dotted = [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
    for n in tree.body:
        if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module:
            dotted += [n.module] + [f"{n.module}.{a.name}" for a in n.names if a.name != "*"]
    found: dict[Path, None] = {}
    for name in dotted:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            for candidate in (folder.joinpath(*parts[:i]).with_suffix(".py"),
                              folder.joinpath(*parts[:i], "__init__.py")):
                if candidate.is_file() and not candidate.is_symlink():
                    _, files = local_modules(candidate)
                    found.update(dict.fromkeys(f for f in files if f.is_relative_to(folder)))
    return list(found)
