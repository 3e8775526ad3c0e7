"""`gradlab report`: check the whole registry and write reports/registry.{md,json,html}."""

from __future__ import annotations

import argparse
import sys

from gradlab.cli.common import EXIT_OK, exit_statuses, non_negative_int, positive_int
from gradlab.core.tolerances import DEFAULT_EXAMPLES


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="check the registry and write the registry report under reports/",
                       description="Check every registry entry (correct and buggy) and write "
                                   "registry.md, registry.json and registry.html (pictures need matplotlib).",
                       epilog=exit_statuses(ok="the report is written (failing registry layers are its content, "
                                               "not an error)"))
    p.add_argument("--out", metavar="DIR", default="reports", help="output folder (default: reports)")
    p.add_argument("--examples", type=positive_int, default=DEFAULT_EXAMPLES,
                   help=f"hypothesis cases per layer (default {DEFAULT_EXAMPLES})")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed (default 0)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (one is drawn only when stderr is a terminal)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gradlab.cases.check_many import check_registry
    from gradlab.reporting.report import pictures_missing, summary, summary_sentence, write_registry_report

    outcome = check_registry(examples=args.examples, seed=args.seed, progress=not args.no_progress)
    paths = write_registry_report(outcome.reports, args.out)
    print(summary_sentence(summary(outcome.reports)))
    for path in paths.values():
        print(f"wrote {path}")
    if note := pictures_missing():
        print(note, file=sys.stderr)
    # the registry is meant to hold failing layers: failing is the report's content, not an error
    return EXIT_OK
