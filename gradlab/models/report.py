"""A model's report: every parameter in backprop order, right or wrong, and where the error starts.

`ModelReport` is a `FunctionReport` (the entry shape of `gradlab check --json`: `gradients` keyed by the
parameter's own name, `W1`, `weights[0]`, each with `passed`, `verdict`, `bug_code`) with `"kind":
"model"` and `origin`: the parameter where the error first appears in backprop order. Each
parameter's verdict is its own numeric verdict: a wrong delta in layer 2 makes W1 wrong too, and
`origin` says it started at W2.
Non-goal: computing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradlab.core.bugs import describe
from gradlab.core.results import FixResult
from gradlab.functions.report import FunctionReport, gradient_lines

__all__ = ["ModelReport"]


@dataclass(frozen=True)
class ModelReport(FunctionReport):
    kind: str = "model"
    #: the parameter where the error first appears in backprop order; None when every gradient is right
    origin: str | None = None
    #: a zoo model's intended bug code and the parameters it makes wrong (`gradlab.models.zoo`); None elsewhere
    intended_bug: str | None = None
    intended_wrong: tuple[str, ...] | None = None
    #: the class checked and the options it was built with: what the fix search rebuilds from an edited copy
    model: type | None = field(default=None, repr=False, compare=False)
    options: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    #: the verified fix of a failing model, or why there is none (`gradlab.fixes.models`); None when not searched.
    #: `gradlab check --json` writes it (`gradlab.cli.check`); the registry report's model entries leave it out
    fix: FixResult | None = field(default=None, repr=False, compare=False)

    @property
    def blamed(self) -> list[str]:
        """The parameters the check found wrong, in backprop order: a wrong gradient, or a parameter the model
        changed while computing its loss or gradients (`stale-parameters`)."""
        named = {f.gradient for f in self.findings if f.severity == "fail" and f.gradient}
        return [k for k, g in self.gradients.items() if not g.passed or k in named] + \
            sorted(named - set(self.gradients))

    @property
    def localised_exactly(self) -> bool | None:
        """Whether exactly the intended parameters were found wrong (None for a model of no intent)."""
        if self.intended_wrong is None:
            return None
        return set(self.blamed) == set(self.intended_wrong)

    def to_dict(self) -> dict[str, Any]:
        out = {**super().to_dict(), "origin": self.origin, "order": list(self.gradients),
               "intended_bug": self.intended_bug}
        if self.intended_wrong is not None:
            out["intended_wrong"] = list(self.intended_wrong)
            out["blamed"] = self.blamed
        return out

    def title(self) -> str:
        from gradlab.models.adapters import CONVENTIONS

        codes = f" [{', '.join(self.bug_codes)}]" if self.bug_codes else ""
        where = f", {Path(self.source).name}" if self.source.endswith(".py") else ""
        said = CONVENTIONS.get(self.convention, self.convention)
        return f"{self.verdict.upper():4s} {self.name} ({said}{where}){codes}"

    def localised(self) -> str:
        """`W2 and b2 are right; W1 is wrong, b1 is right`: every parameter, in backprop order."""
        words = [f"{k} {'right' if g.passed else 'WRONG'}" for k, g in self.gradients.items()]
        return "in backprop order: " + ", ".join(words)

    def explain(self) -> str:
        lines = [self.title()]
        if self.error or self.not_run:
            return "\n".join([*lines, f"  {self.error or self.not_run}"])
        lines += [f"  {f.code}: {f.message}" for f in self.findings if f.severity == "fail"]
        if self.gradients:
            lines.append(f"  {self.localised()}")
        if self.origin:
            later = self._wrong_after_origin()
            verb = "is" if len(later) == 1 else "are"
            carried = f" (later in backprop, {', '.join(later)} {verb} wrong too, perhaps only because of it)" \
                if later else ""
            lines.append(f"  the error first appears at {self.origin}{carried}")
        for g in self.gradients.values():
            if not g.passed:
                lines += gradient_lines(g)
        lines += [f"  warning: {w.message}" for w in self.warnings]
        lines += [f"  hint ({code}): {describe(code).hint}" for code in self.bug_codes]
        if self.case:
            lines.append(f"  checked on {self.case}; seed {self.seed}, {self.examples} case(s)")
        return "\n".join(lines)

    def _wrong_after_origin(self) -> list[str]:
        names = list(self.gradients)
        if self.origin not in names:
            return []
        return [k for k in names[names.index(self.origin) + 1:] if not self.gradients[k].passed]
