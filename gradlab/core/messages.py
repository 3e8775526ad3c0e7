"""Words for people: a `LayerReport` as the short report a pytest failure, the CLI and feedback show.

Reads result objects only; computes nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradlab.core.bugs import describe
from gradlab.core.crash_reading import FITS_BY_ACCIDENT, RUNS_ELSEWHERE
from gradlab.core.results import FAIL, LayerReport


def _idx(index: tuple[int, ...] | None) -> str:
    return "" if index is None else "[" + ", ".join(map(str, index)) + "]"


def _fmt(value: float | None) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.6g}"


def worst_error(report: LayerReport) -> str:
    """`dx 2.1e-11, dW 4.0e-11 (worst element: dx 3.0e-10, dW 1.0e-09)`: each gradient's relative error
    as a whole array (deeplearning.ai's gradient-check `difference`), then its worst element's (CS231n's
    `rel_error`)."""
    if not report.worst:
        return "-"
    whole = ", ".join(f"{name} {_sci(g.rel_error)}" for name, g in report.worst.items())
    element = ", ".join(f"{name} {g.max_rel_error:.1e}" for name, g in report.worst.items())
    return f"{whole} (worst element: {element})"


def _sci(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def float32_note(names: list[str]) -> str:
    """What `gradlab check` and the grader say of gradients computed in float32 (judged at that precision)."""
    return f"{', '.join(names)} computed in float32 (an astype(np.float32) or a float32 array on the way; numpy's " \
           "default is float64): judged at float32's looser tolerances"


def summary_line(report: LayerReport) -> str:
    codes = f" [{', '.join(report.bug_codes)}]" if report.bug_codes else ""
    where = f", {Path(report.source).name}" if report.source.endswith((".py", ".ipynb")) else ""
    if report.detected_layout:
        where += f"; detected: samples as {report.detected_layout}"
    return f"{report.verdict.upper():4s} {report.name} ({report.convention} style{where}){codes}"


def explain(report: LayerReport, *, reproduce: str | None = None) -> str:
    """The full report on a failing layer; for a passing one, a line with the worst errors."""
    lines = [summary_line(report)]
    if report.verdict != FAIL:
        lines.append(f"  relative error: {worst_error(report)} over {report.examples} cases")
        for w in report.warnings:
            lines.append(f"  warning: {w.message}")
        return "\n".join(lines)
    if report.error:
        lines.append(f"  {report.error}")
    case = report.failing
    if case is not None:
        for f in case.findings:
            if f.severity == FAIL:
                lines.append(f"  {f.code}: {f.message}")
        for g in case.gradients:
            if g.passed:
                continue
            lines.append(f"  {g.bug_code}: {g.diagnosis}")
            if g.worst_index is not None and g.analytic_value is not None:
                lines.append(f"    worst element {g.name}{_idx(g.worst_index)}: analytic {_fmt(g.analytic_value)}, "
                             f"numeric {_fmt(g.numeric_value)} (relative error {g.max_rel_error:.2g}; "
                             f"rtol {g.rtol:g}, atol {g.atol:.2g})")
            if g.rel_error is not None:
                lines.append(f"    relative error of {g.name} as a whole, ||a - n|| / (||a|| + ||n||): "
                             f"{g.rel_error:.2g}")
            if g.skipped_kinks:
                lines.append(f"    {g.skipped_kinks} element(s) skipped: the check landed on a kink there")
    if report.extreme_failure is not None:
        for f in report.extreme_failure.findings:
            if f.severity == FAIL:
                lines.append(f"  {f.code}: {f.message} (extreme case: {report.extreme_failure.describe()})")
    for code in report.bug_codes:
        lines.append(f"  hint ({code}): {report.hints.get(code) or describe(code).hint}")
    if report.smallest_failing:
        tail = f"; passes with {report.passes_with}" if report.passes_with else ""
        lines.append(f"  smallest failing case: {report.smallest_failing}{tail}")
        if case is not None and case.describe() != report.smallest_failing:
            # the runner showed another case: a larger batch where the smallest one's code was ambiguous, or equal
            # sizes where the smallest one failed on shapes alone (gradlab.cases.where_it_fits)
            fitted = any(FITS_BY_ACCIDENT in f.message for f in case.findings)
            runs = any(RUNS_ELSEWHERE in f.message for f in case.findings)
            why = "where the shapes fit: the smallest one fails on shapes alone" if fitted else \
                "where it runs: the smallest one crashes" if runs else "the smallest one cannot tell these codes apart"
            lines.append(f"  case shown above: {case.describe()} ({why})")
    repro = f" ({reproduce})" if reproduce else ""
    lines.append(f"  seed {report.seed}, {report.examples} cases{repro}")
    return "\n".join(lines)
