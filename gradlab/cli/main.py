"""The `gradlab` command line: dispatch to the subcommands, one module each.

Exit status: 0 success, 1 a check failed (a layer failed or a file could not be imported),
2 a usage error (bad arguments, a path that does not exist), printed as one line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gradlab import __version__
from gradlab.cli import batch, bench, check, data, demo, grade, gradescope, report, train
from gradlab.cli.common import EXIT_USAGE, UsageError

COMMANDS = [check, batch, report, data, train, demo, grade, gradescope, bench]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradlab", description="Is a hand-written backward pass right? "
                                     "And if not, what is the bug?")
    parser.add_argument("--version", action="version", version=f"gradlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except (UsageError, FileNotFoundError) as exc:
        print(f"gradlab {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gradlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
