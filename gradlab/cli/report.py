"""`gradlab report [PATH...]`: the registry report (reports/registry.{md,json,html}), or without the registry,
the same kind of report on the user's own layers (gradlab-report/report.{md,json,html})."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from gradlab.cli.check import add_selection_options
from gradlab.cli.common import EXIT_FAIL, EXIT_OK, UsageError, exit_statuses, non_negative_int, positive_int
from gradlab.core.tolerances import DEFAULT_EXAMPLES

REGISTRY_OUT = "reports"
#: where a report on the user's files goes: a folder of its own in the working directory, never the
#: project's tracked reports/ (`gradlab.reporting.user_report.DEFAULT_OUT`)
USER_OUT = "gradlab-report"
#: options that choose or check the user's layers; the registry report always checks every entry the same way
SELECTION = ("only", "mode", "layout", "weights")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a report with pictures: on your files, or on the registry (reports/)",
                       description="With PATH (files or folders): check the layers in them as `gradlab check` does "
                                   f"and write report.md, report.json and report.html under {USER_OUT}/ (or --out "
                                   "DIR), with a heat map of analytic - numeric for every failing gradient and the "
                                   "error against the step size of each failing layer. Without PATH: check every "
                                   "registry entry (correct and buggy) and write registry.md, registry.json and "
                                   f"registry.html under {REGISTRY_OUT}/. Pictures need matplotlib.",
                       epilog=exit_statuses(ok="the report is written; with PATH, every layer passed too (warnings "
                                               "allowed). The registry report exits 0 (its failing layers are its "
                                               "content, not an error)",
                                            fail="with PATH: a layer failed, a file did not import, or no layer was "
                                                 "recognised (the report is written anyway)"))
    p.add_argument("paths", nargs="*", metavar="PATH", help="Python files or folders (default: the registry)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help=f"output folder (default: {USER_OUT} in the current folder with PATH, {REGISTRY_OUT} without)")
    p.add_argument("--examples", type=positive_int, default=DEFAULT_EXAMPLES,
                   help=f"hypothesis cases per layer (default {DEFAULT_EXAMPLES})")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed (default 0)")
    add_selection_options(p)
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (one is drawn only when stderr is a terminal)")
    p.add_argument("--no-fix-search", action="store_true",
                   help="registry report: do not search the verified fix of each caught buggy variant (the report "
                        "then says so); the search is cached in the user's cache folder ($GRADLAB_CACHE, else "
                        "$XDG_CACHE_HOME/gradlab or ~/.cache/gradlab)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gradlab.reporting.report import pictures_missing

    # the registry is meant to hold failing layers: failing is the report's content, not an error
    paths, status = _user_report(args) if args.paths else (_registry_report(args), EXIT_OK)
    for path in paths.values():
        print(f"wrote {path}")
    if note := pictures_missing():
        print(note, file=sys.stderr)
    return status


def _registry_report(args: argparse.Namespace) -> dict[str, Path]:
    from gradlab.cases.check_many import check_registry
    from gradlab.reporting.report import summary, summary_sentence, write_registry_report

    given = [f"--{name}" for name in SELECTION if getattr(args, name) is not None]
    if given:
        raise UsageError(f"{', '.join(given)} apply to your own files: give a PATH (the registry report "
                         "checks every registry entry)")
    from gradlab.models.zoo import check_model_zoo
    from gradlab.reporting.model_rows import model_summary

    outcome = check_registry(examples=args.examples, seed=args.seed, progress=not args.no_progress)
    models = check_model_zoo(seed=args.seed)
    paths = write_registry_report(outcome.reports, args.out or REGISTRY_OUT, models=models,
                                  fixes=not args.no_fix_search)
    print(summary_sentence({**summary(outcome.reports), **model_summary(models)}))
    return paths


def _user_report(args: argparse.Namespace) -> tuple[dict[str, Path], int]:
    """Check the layers in args.paths, write their report; the exit status is `gradlab check`'s."""
    from gradlab.cli.check import checked, checked_models, nothing_recognised_notes
    from gradlab.reporting.user_report import summary_sentence, write_user_report

    out = Path(args.out or USER_OUT)
    if (out / "registry.json").exists():
        raise UsageError(f"{out} holds the registry report, whose pictures this report would remove: "
                         "choose another --out")
    with contextlib.redirect_stdout(sys.stderr):  # what the user's layers print must not mix into gradlab's output
        outcome = checked(args, progress=not args.no_progress)
        models = checked_models(args, outcome)  # whole models and generic pairs, as `gradlab check` finds them
        # a model this machine cannot run is skipped, as such a layer is (`gradlab check` does the same)
        outcome.skipped += [(m.name, m.not_run) for m in models if m.not_run]
        models = [m for m in models if not m.not_run]
        notes = [] if models else nothing_recognised_notes(outcome, args.paths, args.only)
        # runs failing layers again (step curves)
        paths = write_user_report(outcome, args.paths, out, notes=notes, models=models)
    for err in outcome.errors:
        print(f"ERROR {err}")
    for note in notes:
        print(note)
    print(summary_sentence(outcome, models))
    failed = outcome.counts()["fail"] or any(m.verdict == "fail" for m in models)
    return paths, EXIT_FAIL if notes or outcome.errors or failed else EXIT_OK
