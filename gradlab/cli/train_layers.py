"""`gradlab train --layers FILE`: an MNIST network assembled from the user's own class-style layers.

The layers are found in FILE as `gradlab check` finds them (by name, or a `# gradlab: kind=` comment);
each role (affine, activation, loss, and dropout or batch norm when asked for) takes the layer named by
`--affine`, `--activation`, `--loss`, ... when FILE defines one of that name, else the first of its kind
in FILE. Each chosen layer is checked now and refused with its bug codes if it fails, as registry layers
are; the trainer builds them as the textbook does (`Affine(W, b)`, `Relu()`, `SoftmaxWithLoss()`).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from gradlab.cli.common import UsageError
from gradlab.training.verified import ROLE_KINDS, Refused, Verified


def verify_file(path: str, choice: Mapping[str, str], *, examples: int, seed: int) -> Verified:
    """The user's layer classes for each role of `choice` (role -> preferred name), each checked now."""
    from gradlab.cases.runner import check_entry
    from gradlab.conventions.discover import discover
    from gradlab.core.results import FAIL

    try:
        (found,) = discover([path])
    except FileNotFoundError as exc:
        raise UsageError(f"--layers {path}: {exc}") from None
    if found.error:
        raise UsageError(f"--layers {path}: {found.error}")
    classes = [e for e in found.entries if e.convention == "class"]
    out = Verified()
    for role, name in choice.items():
        fits = [e for e in classes if e.kind in ROLE_KINDS[role]]
        entry = next((e for e in fits if e.name == name), fits[0] if fits else None)
        if entry is None:
            raise Refused(f"{path} defines no class-style layer for the {role} role (one of the kinds "
                          f"{', '.join(ROLE_KINDS[role])}); the trainer assembles class-style layers such as "
                          "Affine, Relu, SoftmaxWithLoss")
        report = check_entry(entry, examples=examples, seed=seed)
        if report.verdict == FAIL:
            raise Refused(f"refusing to train with {entry.name} from {path}: its backward failed the check in this "
                          f"run [{', '.join(report.bug_codes)}]; run `gradlab check {path} --only {entry.name}` "
                          "to see why")
        out.classes[role] = entry.target
        out.reports[role] = report
    return out


def add_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--layers", metavar="FILE",
                   help="train with your own class-style layers from FILE (each checked now, refused if it fails) "
                        "instead of the registry's; --affine, --activation, --loss pick among them by name")
