"""Whole models in a report: the model zoo's rows in the registry report, a user's models in theirs.

A zoo model's row says what was meant (bug code, the parameters it makes wrong) next to what the check
found (codes, the parameters blamed, where the error first appears in backprop order), and the summary
counts the buggy models caught, localised to exactly their wrong parameters, and named. A user's model
has no intent: its row is what `gradlab check` prints of it. Reads `ModelReport`s; decides nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gradlab.models.adapters import CONVENTIONS
from gradlab.models.report import ModelReport
from gradlab.reporting import writer

__all__ = ["MODEL_COLUMNS", "USER_MODEL_COLUMNS", "model_row", "model_summary", "model_summary_sentence",
           "model_table", "user_model_table"]

MODEL_COLUMNS = ("model", "convention", "intended", "verdict", "found", "wrong parameters (intended)",
                 "wrong parameters (found)", "error first at", "relative error (worst element)")
USER_MODEL_COLUMNS = ("model", "file", "convention", "verdict", "found", "wrong parameters", "error first at",
                      "relative error (worst element)")
MODELS_INTRO = ("Whole models of the zoo (`reference/models.py`, `reference/zoo_models_*.py`), every parameter "
                "checked against finite differences of the model's own loss. A buggy model is localised when "
                "exactly the parameters its bug makes wrong are found wrong, in the order backprop visits them.")
USER_MODELS_INTRO = ("Whole models, every parameter checked against finite differences of the model's own loss, "
                     "in the order backprop visits them; the error first appears at the parameter named.")


def model_summary(models: Sequence[ModelReport]) -> dict[str, int]:
    correct = [m for m in models if m.intended_bug is None]
    buggy = [m for m in models if m.intended_bug is not None]
    return {
        "models_correct": len(correct), "models_correct_passing": sum(m.passed for m in correct),
        "models_buggy": len(buggy), "models_caught": sum(not m.passed for m in buggy),
        "models_localised": sum(not m.passed and bool(m.localised_exactly) for m in buggy),
        "models_named": sum(not m.passed and m.intended_bug in m.bug_codes for m in buggy),
    }


def model_summary_sentence(s: dict[str, int]) -> str:
    n = s["models_buggy"]
    return (f"{s['models_correct_passing']}/{s['models_correct']} correct models pass; {s['models_caught']}/{n} "
            f"buggy models caught, {s['models_localised']}/{n} localised to exactly their wrong parameters, "
            f"{s['models_named']}/{n} named correctly")


def model_row(m: ModelReport) -> dict[str, Any]:
    """The JSON row of a zoo model."""
    return {
        "model": m.name, "convention": m.convention, "intended": m.intended_bug or "correct", "verdict": m.verdict,
        "found": m.bug_codes, "intended_wrong": list(m.intended_wrong or ()), "blamed": m.blamed,
        "origin": m.origin, "localised": m.localised_exactly is not False,
        "named_correctly": (m.intended_bug in m.bug_codes) if m.intended_bug else m.passed,
        "worst_rel_error": {k: g.max_rel_error for k, g in m.gradients.items()},
        "rel_error": {k: g.rel_error for k, g in m.gradients.items()},
        "error": m.error,
    }


def model_table(models: Sequence[ModelReport], error_text: Any) -> writer.Table:
    """The registry report's table of zoo models; `error_text` writes one relative error (noise as a bound)."""
    rows = []
    for m in models:
        r = model_row(m)
        ok = r["named_correctly"] and r["localised"]
        intended = ", ".join(_ordered(m, m.intended_wrong or ())) or "–"
        cells = (m.name, CONVENTIONS.get(m.convention, m.convention), r["intended"],
                 f"{m.verdict}{'' if ok else ' ⚠'}", ", ".join(m.bug_codes) or "–", intended,
                 ", ".join(m.blamed) or "–", m.origin or "–", _errors(m, error_text))
        rows.append(writer.Row(m.name, cells, failed=not m.passed, flagged=not ok))
    return writer.Table("Models", MODELS_INTRO, MODEL_COLUMNS, rows)


def user_model_table(models: Sequence[Any], error_text: Any) -> writer.Table:
    """A user's report's table of models (and of generic functions, which have no origin)."""
    rows = []
    for m in models:
        cells = (m.name, m.source or "–", CONVENTIONS.get(m.convention, m.convention), m.verdict,
                 ", ".join(m.bug_codes) or "–", ", ".join(k for k, g in m.gradients.items() if not g.passed) or "–",
                 getattr(m, "origin", None) or "–", _errors(m, error_text) if not m.error else m.error)
        rows.append(writer.Row(m.name, tuple(c.replace("|", "\\|") for c in cells), failed=not m.passed))
    return writer.Table("Models", USER_MODELS_INTRO, USER_MODEL_COLUMNS, rows)


def _ordered(m: ModelReport, names: Sequence[str]) -> list[str]:
    order = list(m.gradients)
    return sorted(names, key=lambda k: order.index(k) if k in order else len(order))


def _errors(m: Any, error_text: Any) -> str:
    return ", ".join(f"{k} {error_text(g.rel_error)} ({error_text(g.max_rel_error)})"
                     for k, g in m.gradients.items()) or "–"
