"""`gradlab train --model FILE:CLASS`: a user's whole model trained on MNIST after its gradients pass.

The class is checked first (`gradlab.models.check.check_model`, every parameter against finite
differences); a failing model is refused with its bug codes and where the error starts, exit status 1.
Then it is trained with gradlab's optimizer and the convention's defaults
(`gradlab.models.training.DEFAULTS`; `--hidden`, `--epochs`, `--batch-size`, `--optimizer`, `--lr`
override them), and the training report is written as `gradlab train` writes it (`gradlab-training/1`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from gradlab.cli.common import EXIT_FAIL, EXIT_OK, UsageError
from gradlab.reporting.training_report import TRAINING_JSON, TRAINING_MD

WEIGHTS = "model_weights.npz"


def model_class(spec: str) -> tuple[type, Path]:
    """`my_net.py:Network` -> (the class, the file); a UsageError says what is wrong."""
    from gradlab.conventions.imports import LoadError, load_module
    from gradlab.models.discover import find_models

    file, sep, name = spec.rpartition(":")
    if not sep or not file or not name:
        raise UsageError(f"--model {spec!r}: write FILE:CLASS, e.g. --model my_net.py:Network")
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"--model {spec!r}: no such file {file}")
    try:
        module = load_module(path, shown_as=file)
    except LoadError as exc:
        raise UsageError(str(exc)) from None
    models = {cls.__name__: cls for cls in find_models(module)}
    if name not in models:
        found = ", ".join(models) or "none"
        raise UsageError(f"--model {spec!r}: {file} defines no model class {name!r} (models found: {found})")
    from gradlab.models.adapters import convention_of

    if convention_of(models[name]) == "volume2":  # its data is words, not MNIST's images
        raise UsageError(f"--model {spec!r}: {name} is a second-volume model (forward(x, t), backward(dout=1)): "
                         f"gradlab trains MNIST classifiers only; check its gradients with gradlab check {file}")
    return models[name], path


def run_model(args: argparse.Namespace) -> int:
    from gradlab.models.adapters import CONVENTIONS
    from gradlab.models.check import check_model
    from gradlab.models.training import BuildError, ModelError, defaults_for, train_model
    from gradlab.reporting.training_report import write_training_report
    from gradlab.training.mnist import MnistDataError, fetch_mnist, load_mnist

    cls, path = model_class(args.model)
    report = check_model(cls, seed=args.seed, source=str(path))
    unchecked = report.not_run or report.error
    if unchecked:  # nothing was verified: not a failed gradient, and not to be called one
        print(f"gradlab train: refusing to train {cls.__name__}: not checked, so its gradients are not verified: "
              f"{' '.join(unchecked.split())}", file=sys.stderr)
        return EXIT_FAIL
    if report.verdict == "fail":
        where = f"; the error first appears at {report.origin}" if report.origin else ""
        print(f"gradlab train: refusing to train {cls.__name__}: its gradients failed the check in this run "
              f"[{', '.join(report.bug_codes)}]{where} (see `gradlab check {path} --only {cls.__name__}`)",
              file=sys.stderr)
        return EXIT_FAIL
    config = defaults_for(cls, hidden=tuple(args.hidden) if args.hidden else None, epochs=args.epochs,
                          batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr, seed=args.seed)
    try:
        data = load_mnist(args.data if args.data else fetch_mnist(progress=not args.no_progress))
        print(f"training {cls.__name__} ({CONVENTIONS[report.convention]}, gradients verified) "
              f"{'-'.join(['784', *map(str, config.hidden), '10'])}", flush=True)
        summary = train_model(cls, data, config, progress=None if args.no_progress else _say)
    except MnistDataError as exc:
        print(f"gradlab train: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except (BuildError, ModelError) as exc:
        raise UsageError(str(exc)) from None
    doc = write_training_report(_summary(summary, cls, report.convention, path, args.out), args.out)
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=2))
    print(f"test accuracy {doc['test_accuracy']:.4f} after {doc['train_seconds']:.1f} s of training; "
          f"wrote {args.out / TRAINING_MD}, {args.out / TRAINING_JSON} and {doc['weights']}")
    return EXIT_OK


def _summary(summary: dict[str, Any], cls: type, convention: str, path: Path, out: Path) -> dict[str, Any]:
    from gradlab.models.adapters import CONVENTIONS

    out.mkdir(parents=True, exist_ok=True)
    weights = out / WEIGHTS
    with open(weights, "wb") as f:  # an open file stops numpy from appending a second ".npz"
        np.savez(f, **summary.pop("arrays"))
    return {**summary, "layers": [f"{cls.__name__} ({CONVENTIONS[convention]}, {path.name})"], "weights": str(weights)}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
