"""`gradlab train`: an MNIST network assembled only from registry layers whose check passed now."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gradlab.cli.common import EXIT_FAIL, EXIT_OK, UsageError, exit_statuses, non_negative_int, positive_int
from gradlab.reporting.training_report import TRAINING_JSON, TRAINING_MD

WEIGHTS = "mnist_weights.npz"
TRAIN_EXIT = exit_statuses(ok="trained; the figures, curves and weights are written",
                           fail="a chosen layer failed its check now (refused, with its bug code), or MNIST is "
                                "missing, corrupt or could not be downloaded")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train an MNIST network from verified registry layers",
                       description="Check the chosen registry layers, refuse any that fails, and train an MLP "
                                   "on MNIST with them. Defaults reach >= 98.5%% test accuracy in about 30 s.",
                       epilog=TRAIN_EXIT)
    add_training_options(p)
    p.add_argument("--model", metavar="FILE:CLASS",
                   help="train your own whole model instead (CS231n, textbook or Nielsen style), after its gradients "
                        "pass the check; hidden sizes, epochs, batch size, optimizer and lr then default to its "
                        "convention's (a Nielsen network: 784-30-10, SGD, lr 3.0, batch 10, 30 epochs)")
    from gradlab.cli.train_layers import add_option

    add_option(p)
    p.add_argument("--json", metavar="FILE", help="also write the figures (test_accuracy, train_seconds, ...) here")
    p.set_defaults(run=run)


def add_training_options(p: argparse.ArgumentParser) -> None:
    from gradlab.training.trainer import TrainConfig

    d = TrainConfig()
    g = p.add_argument_group("network (registry entries; see `gradlab check -v`)")
    g.add_argument("--affine", default="Affine", help="affine layer (default Affine)")
    g.add_argument("--activation", default="Relu", help="activation layer: Relu, Sigmoid, Tanh (default Relu)")
    g.add_argument("--loss", default="SoftmaxWithLoss", help="loss layer (default SoftmaxWithLoss)")
    g.add_argument("--hidden", type=positive_int, nargs="+", default=None,
                   help=f"hidden sizes (default {d.hidden[0]})")
    g.add_argument("--dropout", type=float, default=d.dropout, help="dropout ratio after each activation (default 0)")
    g.add_argument("--dropout-layer", default="Dropout", help="dropout layer (default Dropout)")
    g.add_argument("--batchnorm", action="store_true", help="batch norm before each activation")
    g.add_argument("--batchnorm-layer", default="BatchNormalization", help="batch-norm layer")
    t = p.add_argument_group("training")
    # None: the layers' defaults below, or with --model those of the model's convention
    t.add_argument("--epochs", type=positive_int, default=None, help=f"(default {d.epochs})")
    t.add_argument("--batch-size", type=positive_int, default=None, help=f"(default {d.batch_size})")
    t.add_argument("--optimizer", choices=("adam", "momentum", "sgd"), default=None,
                   help=f"(default {d.optimizer}; sgd is for --model)")
    t.add_argument("--lr", type=float, default=None, help=f"learning rate (default {d.lr})")
    t.add_argument("--seed", type=non_negative_int, default=d.seed, help=f"(default {d.seed})")
    t.add_argument("--data", type=Path, help="mnist.pkl.gz or a folder of IDX files (default: the cache, "
                   "downloaded on first use)")
    t.add_argument("--out", type=Path, metavar="DIR", default=Path("reports"),
                   help="where curves and weights go (default reports)")
    t.add_argument("--examples", type=positive_int, default=50, help="check cases per chosen layer (default 50)")
    t.add_argument("--no-progress", action="store_true",
                   help="no progress bars (they are drawn only when stderr is a terminal)")


def _choice(args: argparse.Namespace) -> dict[str, str]:
    choice = {"affine": args.affine, "activation": args.activation, "loss": args.loss}
    if args.dropout > 0:
        choice["dropout"] = args.dropout_layer
    if args.batchnorm:
        choice["batchnorm"] = args.batchnorm_layer
    return choice


def train_verified(args: argparse.Namespace, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Verify the chosen layers, load the data, train, write the training report (training.json, training.md,
    the curves) and the weights; returns the training.json document.

    Raises `verified.Refused`, `mnist.MnistDataError` or `UsageError` with a one-line message.
    """
    from gradlab.conventions.registry import get
    from gradlab.reporting.training_report import write_training_report
    from gradlab.training.mnist import fetch_mnist, load_mnist
    from gradlab.training.trainer import TrainConfig, save_weights, train
    from gradlab.training.verified import verify

    choice = _choice(args)
    d = TrainConfig()
    args.hidden, args.epochs = args.hidden or list(d.hidden), args.epochs or d.epochs
    args.batch_size, args.optimizer = args.batch_size or d.batch_size, args.optimizer or d.optimizer
    args.lr = d.lr if args.lr is None else args.lr
    if getattr(args, "layers", None):  # the user's own layers, from their file
        from gradlab.cli.train_layers import verify_file

        verified = verify_file(args.layers, choice, examples=args.examples, seed=args.seed)
        activation = verified.reports["activation"].kind
    else:
        verified = verify(choice, examples=args.examples, seed=args.seed, known=known)
        activation = get(choice["activation"]).kind
    try:
        config = TrainConfig(hidden=tuple(args.hidden), activation=activation,
                             epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr,
                             dropout=args.dropout, batchnorm=args.batchnorm, seed=args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    path = args.data if args.data else fetch_mnist(progress=not args.no_progress)
    data = load_mnist(path)
    print(f"training {'-'.join(['784', *map(str, args.hidden), '10'])} with verified layers "
          f"{', '.join(verified.names())}", flush=True)
    result = train(data, verified.classes, config, progress=not args.no_progress)
    args.out.mkdir(parents=True, exist_ok=True)
    weights = save_weights(result, args.out / WEIGHTS)
    summary = {**result.summary(), "layers": verified.names(), "weights": str(weights),
               "curves": {"train_loss": result.train_loss, "train_accuracy": result.train_accuracy,
                          "val_accuracy": result.val_accuracy_curve}}
    return write_training_report(summary, args.out)


def run(args: argparse.Namespace) -> int:
    from gradlab.training.mnist import MnistDataError
    from gradlab.training.verified import Refused

    if getattr(args, "model", None):
        from gradlab.cli.train_model import run_model

        return run_model(args)
    try:
        summary = train_verified(args)
    except (Refused, MnistDataError) as exc:
        print(f"gradlab train: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if args.json:  # written before anything is printed: a closed stdout (`| head -1`) cannot lose it
        Path(args.json).write_text(json.dumps(summary, indent=2))
    print(f"test accuracy {summary['test_accuracy']:.4f} after {summary['train_seconds']:.1f} s of training; "
          f"wrote {args.out / TRAINING_MD}, {args.out / TRAINING_JSON} and {summary['weights']}")
    return EXIT_OK
