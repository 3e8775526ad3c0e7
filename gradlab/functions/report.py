"""The result of checking one function (or one whole model): every gradient's verdict, in order.

Shaped like a layer's entry in `gradlab check --json` (`gradlab.core.results.LayerReport.to_dict`),
so a consumer of layer entries reads it without a special case: `gradients` keyed by the array's
own name, each with `passed`, `verdict` and `bug_code`. `explain()` words it for people.
Non-goal: computing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gradlab.core.bugs import describe
from gradlab.core.results import FAIL, PASS, WARN, Finding, GradientResult

__all__ = ["FunctionReport", "gradient_lines"]


@dataclass(frozen=True)
class FunctionReport:
    """The verdict on a function's (or a model's) gradients; `gradients` in the order they are told."""

    name: str
    gradients: dict[str, GradientResult] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    kind: str = "function"
    convention: str = "function"
    seed: int = 0
    examples: int = 1
    source: str = ""
    #: what the failing (or last) check ran on, in words: "x (4, 3), W (3, 5)", "TwoLayerNet(...), N=4"
    case: str | None = None
    #: the check could not run at all (a model that cannot be built); the verdict is then FAIL
    error: str | None = None
    #: why it could not be run on this machine (a missing module or extension): nothing was verified (FAIL),
    #: but `gradlab check` lists it as skipped, not failed, as it does such layers
    not_run: str | None = None

    @property
    def verdict(self) -> str:
        if self.error or self.not_run or any(f.severity == FAIL for f in self.findings) or \
                any(not g.passed for g in self.gradients.values()):
            return FAIL
        return WARN if self.findings else PASS

    @property
    def passed(self) -> bool:
        return self.verdict != FAIL

    @property
    def bug_codes(self) -> list[str]:
        codes = [f.code for f in self.findings if f.severity == FAIL]
        codes += [g.bug_code for g in self.gradients.values() if not g.passed and g.bug_code]
        return list(dict.fromkeys(codes))

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARN]

    def norm_errors(self) -> dict[str, float]:
        """||a - n|| / (||a|| + ||n||) of each gradient whose analytic side has the right shape: the error
        DECISIONS shows per gradient (a correct float64 gradient is below 1e-6)."""
        # the comparison computed it (`GradientResult.rel_error`, 0 where both sides are noise within atol)
        return {k: g.rel_error for k, g in self.gradients.items()
                if g.rel_error is not None and g.error_norms is not None}

    def to_dict(self) -> dict[str, Any]:
        failed = self.verdict == FAIL
        return {
            "name": self.name, "kind": self.kind, "convention": self.convention, "verdict": self.verdict,
            "bug_codes": self.bug_codes,
            "gradients": {k: {**g.to_dict(), "bug_codes": [g.bug_code] if g.bug_code else []}
                          for k, g in self.gradients.items()},
            "smallest_failing": self.case if failed else None, "passes_with": None,
            "failing_case": None if not failed else {
                "spec": {"case": self.case}, "findings": [f.to_dict() for f in self.findings],
                "gradients": [g.to_dict() for g in self.gradients.values()]},
            "extreme_findings": [], "warnings": [w.to_dict() for w in self.warnings],
            "examples": self.examples, "seed": self.seed, "intended_bug": None, "source": self.source,
            "error": self.error,
        }

    def summary(self) -> str:
        """The one line of a passing check: `PASS TwoLayerNet (...): W2, b2, W1, b1 right (worst error 4e-09)`."""
        errors = self.norm_errors()
        worst = f" (worst error {max(errors.values()):.1e})" if errors else ""
        if self.verdict == "fail" or not self.gradients:
            return self.title()
        return f"{self.title()}: {', '.join(self.gradients)} right{worst}"

    def title(self) -> str:
        codes = f" [{', '.join(self.bug_codes)}]" if self.bug_codes else ""
        what = "generic function" if self.kind == "generic" else self.convention
        where = f", {self.source.rsplit('/', 1)[-1]}" if self.source.endswith(".py") and self.kind == "generic" else ""
        return f"{self.verdict.upper():4s} {self.name} ({what}{where}){codes}"

    def explain(self) -> str:
        """The report a person reads: each gradient right or wrong, the diagnosis, the hint."""
        lines = [self.title()]
        if self.error:
            return "\n".join([*lines, f"  {self.error}"])
        lines += [f"  {f.code}: {f.message}" for f in self.findings if f.severity == FAIL]
        for g in self.gradients.values():
            lines += gradient_lines(g)
        lines += [f"  warning: {w.message}" for w in self.warnings]
        lines += [f"  hint ({code}): {describe(code).hint}" for code in self.bug_codes]
        if self.case:
            lines.append(f"  checked at {self.case}; seed {self.seed}")
        return "\n".join(lines)


def gradient_lines(g: GradientResult, label: str | None = None) -> list[str]:
    """`  W2: right (worst relative error 3e-10)` or the failure with its worst element."""
    label = label or g.name
    if g.passed:
        return [f"  {label}: right (worst relative error {g.max_rel_error:.1e})"]
    lines = [f"  {label}: WRONG [{g.bug_code}] {g.diagnosis}"]
    if g.worst_index is not None and g.analytic_value is not None:
        idx = "[" + ", ".join(map(str, g.worst_index)) + "]"
        lines.append(f"    worst element {g.name}{idx}: analytic {_fmt(g.analytic_value)}, "
                     f"numeric {_fmt(g.numeric_value)} (relative error {g.max_rel_error:.2g}; "
                     f"rtol {g.rtol:g}, atol {g.atol:.2g})")
    return lines


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
