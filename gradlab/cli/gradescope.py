"""`gradlab gradescope ASSIGNMENT --out autograder.zip`: the zip Gradescope's autograder runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradlab.cli.common import EXIT_OK, UsageError, exit_statuses, hidden_alias
from gradlab.grading.wheels import DEFAULT_PYTHON


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gradescope", help="build a Gradescope autograder zip for an assignment",
                       description="Build the zip to upload as a Gradescope autograder: setup.sh, run_autograder, "
                                   "the assignment, a wheel of this gradlab and wheels of its dependencies at the "
                                   "versions installed here, for the image's Python on manylinux x86_64. The image "
                                   "installs them offline into a virtual environment.",
                       epilog=exit_statuses(ok="the zip is written", usage="usage error, the assignment does not "
                                                                            "load, or a wheel is missing (one line "
                                                                            "says why)"))
    p.add_argument("assignment", metavar="ASSIGNMENT",
                   help="a built-in assignment (gradlab grade --list-assignments) or a TOML file")
    p.add_argument("--out", default="autograder.zip", metavar="ZIP",
                   help="where to write the zip (default autograder.zip)")
    hidden_alias(p, "-o", "--output", dest="out")  # the spelling before `--out`: scripts use it
    p.add_argument("--python-version", default=DEFAULT_PYTHON, metavar="X.Y",
                   help=f"the Python of the Gradescope base image (default {DEFAULT_PYTHON}: Ubuntu 24.04's python3)")
    p.add_argument("--wheels", default=None, metavar="DIR",
                   help="take the dependencies' wheels from this folder only (nothing is downloaded); "
                        "default: download them from the package index with pip")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gradlab.grading.assignment import AssignmentError
    from gradlab.grading.gradescope import build_bundle
    from gradlab.grading.wheels import WheelError

    wheels = Path(args.wheels) if args.wheels is not None else None
    if wheels is not None and not wheels.is_dir():
        raise UsageError(f"--wheels {args.wheels}: no such folder")
    try:
        out = build_bundle(args.assignment, Path(args.out), python=args.python_version, wheels=wheels)
    except (AssignmentError, WheelError) as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {out}: upload it as the autograder of a Gradescope programming assignment", file=sys.stdout)
    return EXIT_OK
