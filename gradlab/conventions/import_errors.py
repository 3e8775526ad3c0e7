"""A failed import of a user's file said in one line: which module is missing, where, and what to do.

The exception an import raises points into gradlab's and importlib's frames as much as into the user's; the line
that helps is the user's own (`layers.py:3`), in the file that failed, which may be another than the one checked.
Non-goal: importing (`gradlab.conventions.imports`).
"""

from __future__ import annotations

import traceback
from pathlib import Path

__all__ = ["LoadError", "Python2Source", "missing_module", "raised_through", "syntax_error", "user_line"]

_GRADLAB = Path(__file__).resolve().parents[1]


class LoadError(Exception):
    """A user's file could not be imported; the message is one line naming the file and the fix."""


class Python2Source(LoadError):
    """The file is Python 2 (a print statement, `except E, e:`): not a mistake of the file, code for another
    Python (CS231n's 2016 solutions, Nielsen's book); a folder's check sets it aside."""


#: SyntaxError messages that only Python 2 code gives
_PYTHON_2_SYNTAX = ("Missing parentheses in call to 'print'", "Missing parentheses in call to 'exec'",
                    "multiple exception types must be parenthesized")


def syntax_error(exc: SyntaxError, path: Path, shown: str) -> LoadError:
    """The error to raise for a syntax error met importing `path` (shown as `shown`), or a module it imports:
    Python 2 code is told to be converted, any other syntax error to be fixed."""
    if exc.filename and Path(exc.filename).resolve() != path:
        where = f"{shown} (through {Path(exc.filename).name}:{exc.lineno})"
    else:
        where = f"{shown}:{exc.lineno}"
    if exc.msg.startswith(_PYTHON_2_SYNTAX):
        # the file to convert is the one the syntax error is in (a module the file imports, when it is another)
        culprit = Path(exc.filename).name if exc.filename else path.name
        return Python2Source(f"{where}: syntax error of Python 2 code ({exc.msg.split('.')[0]}); gradlab runs "
                             f"Python 3: convert it (2to3 -w {culprit}) and run again")
    return LoadError(f"{where}: syntax error: {exc.msg}; fix the line and run again")


def missing_module(path: Path, exc: ModuleNotFoundError, folders: list[Path], shown: str) -> str:
    """What to say when importing `path` (shown as `shown`) met a module found in none of `folders` (those
    put on sys.path and those above them) and not installed."""
    missing = exc.name or "a module"
    importer, line = _importing_frame(exc, path)
    via = "" if importer == path else f" (through {importer.name})"
    searched = ", ".join(str(r) for r in dict.fromkeys(folders))
    return (f"{shown}{via} imports {missing!r}{line}, which is neither installed nor found next to the file or in "
            f"the folders above it (searched {searched}); install it, or run gradlab on the file inside the project "
            f"that holds {missing.split('.')[0]!r}")


def _importing_frame(exc: BaseException, path: Path) -> tuple[Path, str]:
    """The user's file whose import statement failed, and its line (the innermost such frame)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        here = Path(frame.filename)
        if frame.filename.endswith(".py") and "importlib" not in here.parts and not here.is_relative_to(_GRADLAB):
            return Path(frame.filename).resolve(), f" (line {frame.lineno})"
    return path, ""


def raised_through(exc: BaseException, path: Path, roots: list[Path]) -> str:
    """` (through layers.py, line 7)` when the exception was raised in another of the user's modules."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        here = Path(frame.filename)
        if not frame.filename.endswith(".py") or "site-packages" in here.parts:
            continue
        here = here.resolve()
        if here == path:
            return ""
        if any(here.is_relative_to(r) for r in roots) and not here.is_relative_to(_GRADLAB):
            return f" (through {here.name}, line {frame.lineno})"
    return ""


def user_line(exc: BaseException, path: Path) -> str:
    """` (line 12)`: the line of `path` the exception went through, if it did."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).resolve() == path:
            return f" (line {frame.lineno})"
    return ""
