"""Result objects: what a check found, produced by the pure core and read by every consumer.

pytest messages, `gradlab check --json`, reports and the grader all read these objects; none of
them recomputes anything. `to_dict()` is the public JSON format (bug codes from `gradlab.core.bugs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradlab.core.kind import describe_spec

PASS, WARN, FAIL = "pass", "warn", "fail"


@dataclass(frozen=True)
class Finding:
    """Something wrong that is not a single number: a crash, a mutated input, a coupled sample."""

    code: str
    severity: str  # FAIL or WARN
    message: str
    gradient: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message, "gradient": self.gradient}


@dataclass(frozen=True)
class GradientResult:
    """One gradient (dx, dW, ...) compared element by element with finite differences."""

    name: str
    shape: tuple[int, ...]
    analytic_shape: tuple[int, ...] | None
    passed: bool
    max_rel_error: float
    worst_index: tuple[int, ...] | None = None
    analytic_value: float | None = None
    numeric_value: float | None = None
    checked: int = 0
    skipped_kinks: int = 0
    rtol: float = 0.0
    atol: float = 0.0
    bug_code: str | None = None
    diagnosis: str = ""
    #: how values were compared: "elementwise", "elementwise (complex step)" when the numeric side came
    #: from the complex step (gradlab.core.complex_step), or "projection (K random directions)" when a
    #: fast-mode projection passed (a failing projection is always re-checked element-wise)
    method: str = "elementwise"
    #: the precision the gradient was judged at: the one the layer was measured to compute in
    #: ("float32" for a layer that casts to float32 inside, whatever dtype it returns)
    precision: str = "float64"
    #: the error of the gradient as a whole, ||a - n||_2 / (||a||_2 + ||n||_2) (deeplearning.ai's gradient
    #: check `difference`, next to max_rel_error, CS231n's); for a gradient passed by projection, the ratio along the
    #: random directions. None where there was nothing to compare
    rel_error: float | None = None
    #: (||a - n||, ||a||, ||n||) behind rel_error, for pooling it over cases (None for a projection)
    error_norms: tuple[float, float, float] | None = field(default=None, repr=False, compare=False)
    analytic: np.ndarray | None = field(default=None, repr=False, compare=False)
    numeric: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "passed": self.passed, "verdict": PASS if self.passed else FAIL,
            "max_rel_error": _num(self.max_rel_error),
            "worst_index": list(self.worst_index) if self.worst_index is not None else None,
            "analytic": _num(self.analytic_value), "numeric": _num(self.numeric_value),
            "shape": list(self.shape),
            "analytic_shape": None if self.analytic_shape is None else list(self.analytic_shape),
            "checked": self.checked, "skipped_kinks": self.skipped_kinks, "rtol": self.rtol, "atol": self.atol,
            "bug_code": self.bug_code, "diagnosis": self.diagnosis, "method": self.method,
            "precision": self.precision, "rel_error": _num(self.rel_error),
        }


@dataclass(frozen=True)
class CaseResult:
    """Everything checked on one concrete case (one shape, one seed) of one layer."""

    layer: str
    kind: str
    convention: str
    spec: dict[str, Any]
    gradients: tuple[GradientResult, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def verdict(self) -> str:
        if any(f.severity == FAIL for f in self.findings) or any(not g.passed for g in self.gradients):
            return FAIL
        return WARN if self.findings else PASS

    @property
    def failed(self) -> bool:
        return self.verdict == FAIL

    @property
    def bug_codes(self) -> list[str]:
        codes = [f.code for f in self.findings if f.severity == FAIL]
        codes += [g.bug_code for g in self.gradients if not g.passed and g.bug_code]
        return list(dict.fromkeys(codes))

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARN]

    def describe(self) -> str:
        return describe_spec(self.spec)


@dataclass(frozen=True)
class FixResult:
    """The outcome of the search for a verified fix of a failing layer (`gradlab.fixes`).

    `status` is "verified" (an edit with which every gradient passes and the forward is unchanged: `diff`,
    a unified diff of `file`, changes its `lines`), "none-found" (after `tried` candidates) or
    "not-searched" (the search was turned off)."""

    status: str
    file: str = ""
    diff: str = ""
    lines: tuple[int, ...] = ()
    explanation: str = ""
    tried: int = 0
    #: the whole fixed text, the digest of the text it was made from, and the file's real path: what
    #: `gradlab check --fix` writes, and how it sees that the file changed since (none of it in the JSON)
    new_text: str = field(default="", repr=False, compare=False)
    old_digest: str = field(default="", repr=False, compare=False)
    path: str = field(default="", repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        if self.status == "verified":
            return {"status": self.status, "file": self.file, "diff": self.diff, "lines": list(self.lines),
                    "explanation": self.explanation}
        if self.status == "none-found":  # the explanation, when set, says why no backward-only edit was shown
            return {"status": self.status, "tried": self.tried, **({"explanation": self.explanation}
                                                                   if self.explanation else {})}
        return {"status": self.status}


#: what a failing layer's `fix` is when no search ran
NOT_SEARCHED = FixResult("not-searched")


@dataclass(frozen=True)
class LayerReport:
    """The verdict on one layer over many hypothesis-drawn cases, with the smallest failing one."""

    name: str
    kind: str
    convention: str
    verdict: str
    bug_codes: list[str]
    examples: int
    seed: int
    worst: dict[str, GradientResult]
    failing: CaseResult | None = None
    smallest_failing: str | None = None
    passes_with: str | None = None
    warnings: tuple[Finding, ...] = ()
    intended_bug: str | None = None
    source: str = ""
    error: str | None = None  # the layer could not be checked at all (signature, import)
    #: why no case could be run at all through no bug of the layer's backward: a dependency missing on this
    #: machine ("could not be run: im2col_cython is missing (install or build it); ..."), or an assertion in
    #: forward that rejected every case. The verdict stays FAIL (nothing was verified: the grader gives no
    #: points), but `gradlab check` lists such a layer as skipped, with this reason, not as a failure
    not_run: str | None = None
    extreme_failure: CaseResult | None = None  # a failure on the fixed extreme case, besides `failing`
    #: hints said in the layer's own conventions, by bug code, where they differ from `gradlab.core.bugs`
    #: (e.g. `db = dout.sum(axis=1, keepdims=True)` for samples as columns)
    hints: dict[str, str] = field(default_factory=dict)
    #: how the layer's data was laid out when gradlab found it out rather than being told: "columns, W (out,
    #: in)" for a layer that crashed on samples as rows and runs on samples as columns; None otherwise
    detected_layout: str | None = None
    #: the verified fix of a failing layer, or why there is none (`gradlab.fixes`); None when not searched
    fix: FixResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "convention": self.convention, "verdict": self.verdict,
            "bug_codes": self.bug_codes, "gradients": {k: v.to_dict() for k, v in self.worst.items()},
            "smallest_failing": self.smallest_failing, "passes_with": self.passes_with,
            "failing_case": None if self.failing is None else {
                "spec": jsonable(self.failing.spec), "findings": [f.to_dict() for f in self.failing.findings],
                "gradients": [g.to_dict() for g in self.failing.gradients]},
            "extreme_findings": [] if self.extreme_failure is None else
                [f.to_dict() for f in self.extreme_failure.findings],
            "warnings": [w.to_dict() for w in self.warnings], "examples": self.examples, "seed": self.seed,
            "intended_bug": self.intended_bug, "source": self.source, "error": self.error,
            "detected_layout": self.detected_layout,
            "fix": None if self.verdict != FAIL else (self.fix or NOT_SEARCHED).to_dict(),
        }


def _num(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
