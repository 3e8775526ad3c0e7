"""`gradlab demo`: the whole proof in one command: check the registry, train MNIST from the layers
that passed, write the registry report with pictures and the training report (which holds timings,
so it is separate from the registry report and not tracked in git)."""

from __future__ import annotations

import argparse
import sys
import time

from gradlab.cli.common import EXIT_FAIL, EXIT_OK, exit_statuses


def add_parser(sub: argparse._SubParsersAction) -> None:
    from gradlab.cli.train import add_training_options

    p = sub.add_parser("demo", help="check the registry, train MNIST from the layers that passed, write the report",
                       description="Check every registry layer (correct and buggy), train an MNIST network only "
                                   "from layers that passed, and write reports/registry.{md,json,html}.",
                       epilog=exit_statuses(ok="checked, trained and wrote the reports",
                                            fail="training could not run (a chosen layer failed its check, or "
                                                 "MNIST is unavailable); the registry report is written anyway"))
    add_training_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gradlab.cases.check_many import check_registry
    from gradlab.cli.train import train_verified
    from gradlab.reporting.report import pictures_missing, summary, summary_sentence, write_registry_report
    from gradlab.reporting.training_report import TRAINING_MD
    from gradlab.training.mnist import MnistDataError
    from gradlab.training.verified import Refused

    start = time.perf_counter()
    print("1/3 checking every registry layer, correct and buggy ...", flush=True)
    outcome = check_registry(examples=args.examples, seed=args.seed, progress=not args.no_progress)
    print(f"    {summary_sentence(summary(outcome.reports))}", flush=True)
    print("2/3 training MNIST from layers that passed ...", flush=True)
    known = {r.name: r for r in outcome.reports}
    try:
        trained = train_verified(args, known=known)
    except (Refused, MnistDataError) as exc:
        print(f"gradlab demo: {exc}", file=sys.stderr)
        trained = None
    print("3/3 writing the registry report ...", flush=True)
    paths = write_registry_report(outcome.reports, args.out)
    if trained:
        print(f"MNIST: test accuracy {trained['test_accuracy']:.4f} after {trained['train_seconds']:.1f} s of "
              f"training, with {', '.join(trained['layers'])}; wrote {args.out / TRAINING_MD}")
    for path in paths.values():
        print(f"wrote {path}")
    if note := pictures_missing():
        print(note, file=sys.stderr)
    print(f"done in {time.perf_counter() - start:.0f} s; open {paths['html']} in a browser")
    return EXIT_OK if trained else EXIT_FAIL
