"""The `gradlab` command line: dispatch to the subcommands, one module each.

Exit status: 0 success, 1 a check failed (a layer failed or a file could not be imported),
2 a usage error (bad arguments, a path that does not exist), printed as one line, 130 interrupted,
141 stdout closed early (`gradlab check | head -1`: no traceback; the files asked for are already
written). `main` returns the status, for usage errors too; it never raises SystemExit.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from gradlab import __version__
from gradlab.cli import batch, bench, check, data, demo, grade, gradescope, report, train
from gradlab.cli.common import EXIT_INTERRUPTED, EXIT_PIPE, EXIT_USAGE, Parser, UsageError, hypothesis_files_in_cache

COMMANDS = [check, batch, report, data, train, demo, grade, gradescope, bench]

EPILOG = """\
outputs (the same spelling in every command):
  --json FILE      gradlab's own JSON result (check, batch, train)
  --out DIR        a folder of outputs (report, bench, train, demo, grade of a class folder);
                   gradescope: --out ZIP, the autograder bundle
  --results PATH   grade: Gradescope's results.json; --feedback PATH: the Markdown feedback
  --no-progress    no progress output (report, train, demo, data, grade, bench); progress bars
                   are drawn only when stderr is a terminal

exit status:
    0  success (check: every layer passed, warnings allowed)
    1  a check failed: a layer failed, a file did not import, a layer was refused for training,
       MNIST could not be fetched (each command's --help says which apply)
    2  usage error: bad arguments, a missing path or assignment, one line on stderr
  130  interrupted (Ctrl-C)
  141  stdout closed early (e.g. `gradlab check | head -1`); files asked for are written first"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="gradlab", description="Is a hand-written backward pass right? And if not, what is the bug?",
                    epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"gradlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `gradlab ARGV...` and return its exit status."""
    try:
        status = _run(argv)
        sys.stdout.flush()  # a reader that went away shows here, not as a traceback at interpreter exit
        return status
    except BrokenPipeError:
        return _stdout_closed()


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed as one line
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        with hypothesis_files_in_cache():
            return int(args.run(args))
    except (UsageError, FileNotFoundError) as exc:
        print(f"gradlab {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gradlab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _stdout_closed() -> int:
    """stdout's reader is gone (`gradlab check | head -1`): the Python docs' recipe (signal module, "Note
    on SIGPIPE"): point stdout at devnull so the final flush cannot fail again, and exit 141."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test's capture): nothing left to flush
        pass
    return EXIT_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
