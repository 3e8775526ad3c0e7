"""What every subcommand shares: exit statuses, the usage error, argument types, the help format.

Each subcommand module has `add_parser(subparsers)`, which registers the subcommand (with
`epilog=exit_statuses(...)`) and sets `run`, a function from the parsed arguments to an exit status;
`gradlab.cli.main` lists them.

One spelling per kind of output: `--json FILE` is gradlab's own JSON result (check, batch, train),
`--out DIR` a folder of outputs (report, bench, train, demo, a graded class), `--out ZIP` the
Gradescope bundle; `--no-progress` turns off progress output wherever there is some.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_PIPE = 141  # stdout closed early (`gradlab check | head -1`): 128 + SIGPIPE, what a shell reports for `yes | head`


class UsageError(Exception):
    """Bad arguments: printed as one line, exit status 2."""


# --------------------------------------------------------------------------- argument types


def non_negative_int(text: str) -> int:
    """argparse `type=` for seeds: an integer >= 0."""
    return int_at_least(0)(text)


def positive_int(text: str) -> int:
    """argparse `type=` for counts and sizes (--examples, --repeats, --jobs, --epochs, ...): an integer >= 1."""
    return int_at_least(1)(text)


def int_at_least(low: int, why: str = "") -> Callable[[str], int]:
    """argparse `type=`: an integer >= `low`; `why` is added to the error message."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            what = {0: "a non-negative integer", 1: "a positive integer"}.get(low, f"an integer >= {low}")
            reason = f": {why}" if why else ""
            raise argparse.ArgumentTypeError(f"must be {what}, got {value}{reason}")
        return value

    return parse


# --------------------------------------------------------------------------- help and errors


def exit_statuses(**meaning: str) -> str:
    """The "exit status" epilog of a command's help: `ok`, `fail` (status 1) and `usage` override the defaults."""
    rows = [(EXIT_OK, meaning.get("ok", "success"))]
    if "fail" in meaning:
        rows.append((EXIT_FAIL, meaning["fail"]))
    rows += [(EXIT_USAGE, meaning.get("usage", "usage error (bad arguments, a missing path), one line on stderr")),
             (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
             (EXIT_PIPE, "stdout closed early (e.g. piped into `head`); files asked for are written first")]
    return "exit status:\n" + "\n".join(f"  {code:>3}  {text}" for code, text in rows)


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions as usual but keeps a text with line breaks (the exit-status epilog) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line on stderr (no usage block), exit status 2.

    Sub-command parsers inherit this class (argparse makes them of the parent's type).
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def hidden_alias(parser: argparse.ArgumentParser, *flags: str, dest: str, **kwargs: object) -> None:
    """An old spelling that keeps working (scripts use it) but is not shown in the help."""
    parser.add_argument(*flags, dest=dest, default=argparse.SUPPRESS, help=argparse.SUPPRESS, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- hypothesis's files


@contextmanager
def hypothesis_files_in_cache() -> Iterator[None]:
    """Hypothesis keeps its files (its `constants` cache, ...) in gradlab's cache instead of ./.hypothesis.

    The cache is `$GRADLAB_CACHE`, else `~/.cache/gradlab` (`gradlab.training.mnist.default_cache_dir`),
    sub-folder `hypothesis`. Set in this process and, through HYPOTHESIS_STORAGE_DIRECTORY, in the
    worker processes a command starts; both are restored afterwards, since `main()` also runs inside
    other programs (the test suite). A HYPOTHESIS_STORAGE_DIRECTORY the user set is left alone.
    """
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    from hypothesis import configuration

    from gradlab.training.mnist import default_cache_dir

    home = default_cache_dir() / "hypothesis"
    before = configuration.storage_directory(intent_to_write=False).home_directory
    configuration.set_hypothesis_home_dir(home)
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(home)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(before)
        del os.environ["HYPOTHESIS_STORAGE_DIRECTORY"]
