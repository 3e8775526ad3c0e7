"""`gradlab batch [PATH...]`: per layer, is the batch gradient the mean or the sum of per-sample ones?

Runs `gradlab.cases.per_sample.batch_vs_samples` on every layer found in files/folders (or in the
registry) and prints one line per consistent layer, a short block of sentences per other one. Exit
status 1 when a layer's gradient convention disagrees with its loss convention, when a layer that
should not mix samples does, or when a layer crashes or a file cannot be imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from gradlab.cli.common import EXIT_FAIL, EXIT_OK, UsageError, exit_statuses, int_at_least, non_negative_int


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="per-sample versus batch: where does the 1/N go?",
                       description="Run every layer in PATH (files or folders; the reference registry when no "
                                   "PATH is given) as one batch of N and as N batches of one, and say whether "
                                   "each batch gradient is the mean or the sum of the per-sample gradients.",
                       epilog=exit_statuses(ok="every layer's 1/N is where its loss convention puts it",
                                            fail="a layer's gradient convention disagrees with its loss, a layer "
                                                 "mixes samples that should not, a layer crashed or a file did not "
                                                 "import"))
    p.add_argument("paths", nargs="*", metavar="PATH", help="Python files or folders (default: the registry)")
    p.add_argument("--N", type=int_at_least(2, "N = 1 cannot tell a mean from a sum"), default=4,
                   help="batch size, at least 2 (default 4)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed for the data (default 0)")
    p.add_argument("--loss", choices=("sum", "mean"), default="sum",
                   help="what a non-loss layer is differentiated under: sum(dout * y) (sum, the default) or its "
                        "mean over samples (mean)")
    p.add_argument("--layout", choices=("rows", "columns"), default="rows",
                   help="rows (default): x is (N, features); columns: x is (features, N), biases (M, 1)")
    p.add_argument("--weights", choices=("in_out", "out_in"), default="in_out",
                   help="with --layout columns: W is (in, out) (default) or (out, in) as in Z = W @ X + b")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gradlab.cases.batch_report import batch_document
    from gradlab.cases.per_sample import batch_vs_samples
    from gradlab.conventions.discover import discover, layout_options
    from gradlab.conventions.registry import load_reference

    options = layout_options(args.layout, args.weights)
    if options.get("layout") == "columns" and not args.paths:
        raise UsageError("--layout columns applies to your own files: give a PATH")
    if args.paths:
        found = discover(args.paths)  # a missing path raises FileNotFoundError: a usage error
        entries = [replace(e, options={**e.options, **options}) for f in found for e in f.entries]
        errors = [f.error for f in found if f.error]
        skipped = [(name, why) for f in found for name, why in f.skipped]
    else:
        entries, errors, skipped = list(load_reference().values()), [], []

    reports = [batch_vs_samples(entry, N=args.N, seed=args.seed, loss=args.loss) for entry in entries]
    if args.json:  # written before anything is printed: a closed stdout (`| head -1`) cannot lose it
        Path(args.json).write_text(json.dumps(batch_document(reports, N=args.N, seed=args.seed, loss=args.loss,
                                                              errors=errors, skipped=skipped), indent=2))
    out = sys.stdout
    for report in reports:  # a layer that is right gets one line; one that is not, its sentences
        if report.consistent:
            print(f"OK   {report.layer} ({report.style} style, N={report.N}): {report.summary}", file=out)
            continue
        print(f"FAIL {report.layer} ({report.style} style, N={report.N})", file=out)
        for sentence in report.sentences:
            print(f"  {sentence}", file=out)
    for err in errors:
        print(f"ERROR {err}", file=out)
    for name, why in skipped:
        print(f"SKIP {name}: {why}", file=out)
    bad = sum(not r.consistent for r in reports)
    print(f"{len(reports) - bad} consistent, {bad} not, {len(skipped)} skipped, {len(errors)} file error(s) "
          "(this is the 1/N question only; `gradlab check` checks the values)", file=out)
    return EXIT_FAIL if bad or errors else EXIT_OK
