"""`gradlab report`: check the whole registry and write reports/registry.{md,json,html}."""

from __future__ import annotations

import argparse

from gradlab.cli.common import EXIT_OK, UsageError
from gradlab.core.tolerances import DEFAULT_EXAMPLES


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="check the registry and write the registry report under reports/",
                       description="Check every registry entry (correct and buggy) and write "
                                   "registry.md, registry.json and registry.html (pictures need matplotlib).")
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument("--examples", type=int, default=DEFAULT_EXAMPLES,
                   help=f"hypothesis cases per layer (default {DEFAULT_EXAMPLES})")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gradlab.cases.check_many import check_registry
    from gradlab.reporting.report import summary, summary_sentence, write_registry_report

    if args.examples < 1:
        raise UsageError("--examples must be at least 1")
    outcome = check_registry(examples=args.examples, seed=args.seed, progress=True)
    paths = write_registry_report(outcome.reports, args.out)
    print(summary_sentence(summary(outcome.reports)))
    for path in paths.values():
        print(f"wrote {path}")
    # the registry is meant to hold failing layers: failing is the report's content, not an error
    return EXIT_OK
