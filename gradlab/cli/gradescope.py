"""`gradlab gradescope ASSIGNMENT --out autograder.zip`: the zip Gradescope's autograder runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradlab.cli.common import EXIT_OK, UsageError, exit_statuses, hidden_alias


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gradescope", help="build a Gradescope autograder zip for an assignment",
                       description="Build the zip to upload as a Gradescope autograder: setup.sh, run_autograder, "
                                   "the assignment and a wheel of this gradlab.",
                       epilog=exit_statuses(ok="the zip is written", usage="usage error, or the assignment does "
                                                                            "not load (one line says why)"))
    p.add_argument("assignment", metavar="ASSIGNMENT", help="built-in assignment (classes, functions) or a TOML file")
    p.add_argument("--out", default="autograder.zip", metavar="ZIP",
                   help="where to write the zip (default autograder.zip)")
    hidden_alias(p, "-o", "--output", dest="out")  # the spelling before `--out`: scripts use it
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gradlab.grading.assignment import AssignmentError
    from gradlab.grading.gradescope import build_bundle

    try:
        out = build_bundle(args.assignment, Path(args.out))
    except AssignmentError as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {out}: upload it as the autograder of a Gradescope programming assignment", file=sys.stdout)
    return EXIT_OK
