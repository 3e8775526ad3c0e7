"""Only verified layers train: pick registry entries for a network and refuse any that fails its check.

Non-goal: training (that is `gradlab.training.trainer`); this module only decides which classes it may use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gradlab.cases.runner import check_entry
from gradlab.conventions.registry import Entry, get
from gradlab.core.results import FAIL, LayerReport
from gradlab.kinds import KINDS

#: network role -> the layer kinds that may fill it (each kind's module says its `training_role`)
ROLE_KINDS: dict[str, tuple[str, ...]] = {
    role: tuple(k.name for k in KINDS.values() if k.training_role == role)
    for role in dict.fromkeys(k.training_role for k in KINDS.values() if k.training_role)
}


class Refused(Exception):
    """A chosen layer cannot be used for training; the message names it and why (one line)."""


@dataclass
class Verified:
    classes: dict[str, type] = field(default_factory=dict)
    reports: dict[str, LayerReport] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [r.name for r in self.reports.values()]


def verify(choice: Mapping[str, str], *, examples: int = 50, seed: int = 0,
           known: Mapping[str, LayerReport] | None = None) -> Verified:
    """Check every chosen registry entry (or reuse this run's `known` reports) and return its class.

    Raises `Refused` for an unknown name, a layer of the wrong kind or convention, or a layer whose
    check failed in this run (with its bug codes).
    """
    out = Verified()
    for role, name in choice.items():
        try:
            entry: Entry = get(name)
        except KeyError as exc:
            raise Refused(str(exc.args[0])) from None
        if entry.kind not in ROLE_KINDS[role]:
            raise Refused(f"{name} is a {entry.kind} layer; "
                          f"the {role} role takes one of: {', '.join(ROLE_KINDS[role])}")
        if entry.convention != "class":
            raise Refused(f"{name} is written in the function style; the trainer assembles class-style layers "
                          "(e.g. Affine, Relu, SoftmaxWithLoss)")
        report = (known or {}).get(name) or check_entry(entry, examples=examples, seed=seed)
        if report.verdict == FAIL:
            raise Refused(f"refusing to train with {name}: its backward failed the check in this run "
                          f"[{', '.join(report.bug_codes)}]; run `gradlab check --only {name}` to see why")
        out.classes[role] = entry.target
        out.reports[role] = report
    return out
