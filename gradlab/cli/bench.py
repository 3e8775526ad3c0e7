"""`gradlab bench`: time gradlab's checks and trainer next to PyTorch and write reports/bench.{md,json}."""

from __future__ import annotations

import argparse
import sys

from gradlab.cli.common import EXIT_OK, exit_statuses, positive_int


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="time gradlab against PyTorch and write reports/bench.md and bench.json",
                       description="Time the full and fast checks of users' layers (the reference Affine, "
                                   "Convolution and BatchNormalization through their adapters) against "
                                   "torch.autograd.gradcheck on the same functions, a layer with gradlab's "
                                   "vectorised hooks (a separate case), the whole registry and an MNIST epoch, "
                                   "gradlab and PyTorch alternately in this one process (PyTorch is optional: "
                                   "`pip install torch==2.13.0`). Run it on an idle machine.",
                       epilog=exit_statuses(ok="the timings are written (they are figures, never a verdict)"))
    p.add_argument("--repeats", type=positive_int, default=5,
                   help="timed rounds per case, after one warm-up (default 5)")
    p.add_argument("--quick", action="store_true", help="one round, small stand-ins: a smoke test, not a benchmark")
    p.add_argument("--no-torch", action="store_true", help="time gradlab only, even if PyTorch is installed")
    p.add_argument("--out", metavar="DIR", default="reports", help="output folder (default: reports)")
    p.add_argument("--no-progress", action="store_true", help="no progress messages on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gradlab.bench.report import write_bench_report
    from gradlab.bench.runner import run_bench

    repeats = 1 if args.quick else args.repeats
    results = run_bench(repeats=repeats, quick=args.quick, use_torch=not args.no_torch,
                        progress=None if args.no_progress else _say)
    paths = write_bench_report(results, args.out)
    for c in results["cases"]:
        torch_s = "—" if c["torch_s"] is None else f"{c['torch_s']:.4f} s"
        ratio = "" if c["ratio"] is None else f"  ratio {c['ratio']:.2f}"
        print(f"{c['case']:<30} gradlab {c['gradlab_s']:.4f} s  torch {torch_s}{ratio}")
    if results["torch_hint"]:
        print(results["torch_hint"])
    for path in paths.values():
        print(f"wrote {path}")
    return EXIT_OK


def _say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
