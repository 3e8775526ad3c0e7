"""What the sandboxed child does for itself around the requests it serves: the limits it sets on itself (address
space, CPU time, file size), the unprivileged user it drops to, the reference solutions kept out of its imports,
its raw pipe reads and writes, and loading the submission's files as `gradlab check` loads a folder.

Runs inside the child (`gradlab.grading.sandbox.child`), before and while the student's code is imported: nothing
here is trusted by the grader. Non-goal: the requests themselves (that is the child's `Server`).
"""

from __future__ import annotations

import importlib.abc
import os
import resource
from pathlib import Path
from typing import Any


def limit(memory_mb: int, cpu_seconds: int, fsize_mb: int) -> None:
    for which, value in ((resource.RLIMIT_AS, memory_mb << 20), (resource.RLIMIT_CPU, cpu_seconds),
                         (resource.RLIMIT_FSIZE, fsize_mb << 20), (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass  # a limit the platform does not support; the parent's timeout still holds


def drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


class NoReference(importlib.abc.MetaPathFinder):
    """A courtesy, not a wall: the reference solutions are not importable from the sandbox."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "gradlab.reference" or name.startswith("gradlab.reference.") or name == "reference":
            raise ImportError(f"{name} is not available to submissions")
        return None


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)  # a pair of functions compares element by element
    except Exception:
        return False


def load_submission(files: list[str]) -> tuple[dict[str, Any], list[list[str]], dict[str, list[str]], str | None]:
    """(entries by name, skipped names, duplicates, import error). A layer defined in two files (not
    merely re-exported) is a duplicate: its name maps to the files; each definition is also served as
    `name@file`, so the grader can take the one the assignment names.

    A folder is read as `gradlab check` reads one: only its files that could define a layer are imported
    (a course's data loaders, solver and visualisation code import six, imageio or torch, which the jail
    has not), and a file that cannot be imported costs the layers it defines, not its neighbours': its
    error is listed under skipped names as `<file>` with the reason. The import error returned is the
    first one when no file could be imported."""
    from gradlab.conventions.discover import LoadError, could_hold_layers, find_layers, lent_notes, load_module

    if len(files) > 1:
        files = [f for f in files if could_hold_layers(Path(f))] or files
    found_in: dict[str, list[tuple[str, Any]]] = {}
    skipped: list[list[str]] = []
    errors: list[str] = []
    for path in files:
        try:
            module = load_module(Path(path))
            found = find_layers(module, path)
            # what the jail lacks and the submission imports (seaborn atop its layers.py): said in the feedback
            skipped += [["<lent>", f"{what}: {why}"] for what, why in lent_notes(module, os.path.basename(path))]
        except LoadError as exc:
            errors.append(str(exc))
            continue
        except BaseException as exc:  # KeyboardInterrupt at import, say
            errors.append(f"{os.path.basename(path)} raised {type(exc).__name__} while being imported: {exc}")
            continue
        for e in found.entries:
            same = found_in.setdefault(e.name, [])
            if not any(_same(e.target, other.target) for _, other in same):
                same.append((os.path.relpath(path), e))
        skipped += [[n, why] for n, why in found.skipped]
    if errors and len(errors) == len(files):
        return {}, [], {}, errors[0]
    skipped += [["<file>", error] for error in errors]
    entries = {name: defs[0][1] for name, defs in found_in.items()}
    duplicates = {name: [f for f, _ in defs] for name, defs in found_in.items() if len(defs) > 1}
    for name in duplicates:
        entries.update({f"{name}@{f}": e for f, e in found_in[name]})
    return entries, skipped, duplicates, None
