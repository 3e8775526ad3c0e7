"""The registry report: `reports/registry.md`, `.json` and `.html`, and the pictures they name.

One row per registry entry (layer, convention, intended bug or "correct", verdict, bug code found,
worst relative error per gradient, smallest failing case, its verified fix) and a summary line: correct
layers passing, buggy variants caught and correctly named; then each caught variant's fix, its diff shown.
Reads `LayerReport`s; decides nothing (the fixes come from `gradlab.fixes.registry`).

The report is tracked in git (see DECISIONS.md, "`reports/` and generated files"), so its text
depends on the registry's results alone: not on whether MNIST training ran (that has its own
untracked report, `gradlab.reporting.training_report`), not on whether matplotlib is installed (picture
names follow from the failing layers; the pictures are drawn when matplotlib is there), and no
timings. A picture whose data has not changed is not drawn again (`plots.Figure.write`). The layout
is `gradlab.reporting.writer`'s, shared with a user's report (`gradlab.reporting.user_report`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from gradlab.cases.worst import NOISE_BOUND
from gradlab.core.results import FAIL, LayerReport
from gradlab.models.report import ModelReport
from gradlab.reporting import plots, writer
from gradlab.reporting.model_rows import model_row, model_summary, model_summary_sentence, model_table
from gradlab.reporting.step_size import reference_sigmoid_errors
from gradlab.reporting.training_report import TRAINING_MD
from gradlab.reporting.writer import PICTURES_NOTE, Pictures, figure_name

__all__ = ["PICTURES_NOTE", "SCHEMA", "STEP_CURVE", "Heatmaps", "error_text", "heatmaps", "pictures_missing",
           "registry_document", "registry_figures", "row", "summary", "summary_sentence", "write_registry_report"]

#: the id of the JSON document registry.json holds
SCHEMA = "gradlab-registry/1"
STEP_CURVE = "figures/step_curve.png"
#: the fixed sentence that stands where run-dependent content would be
TRAINING_NOTE = ("MNIST training results are not part of this report: `gradlab train` and `gradlab demo` "
                 "write them, with their timings, to {link} next to it.")
COLUMNS = ("layer", "convention", "intended", "verdict", "found", "relative error (worst element)",
           "smallest failing case", "fix")
FIXES_HEADING = "Verified fixes"
FIXES_INTRO = ("For each buggy variant the check caught, the edit of its own lines gradlab found and verified "
               "(with it, every gradient passes and the forward is unchanged, or now matches the reference layer "
               "where the bug is in the forward), or none found after the candidates it tried. The search is "
               "bounded by a number of candidates, not by seconds, so this list is the same on every machine "
               "(`gradlab report --no-fix-search` leaves it out). {count}")
FIXES_SKIPPED = "Not searched: this report was written with `gradlab report --no-fix-search`."
#: a layer's failing gradients and their heat maps, by layer name
Heatmaps = Pictures


def summary(reports: Sequence[LayerReport]) -> dict[str, int]:
    correct = [r for r in reports if r.intended_bug is None]
    buggy = [r for r in reports if r.intended_bug is not None]
    return {
        "correct": len(correct), "correct_passing": sum(r.verdict != FAIL for r in correct),
        "buggy": len(buggy), "buggy_caught": sum(r.verdict == FAIL for r in buggy),
        "buggy_named": sum(r.verdict == FAIL and r.intended_bug in r.bug_codes for r in buggy),
    }


def summary_sentence(s: dict[str, int]) -> str:
    layers = (f"{s['correct_passing']}/{s['correct']} correct layers pass; {s['buggy_caught']}/{s['buggy']} buggy "
              f"variants caught, {s['buggy_named']}/{s['buggy']} named correctly")
    return f"{layers}; {model_summary_sentence(s)}" if "models_buggy" in s else layers


def row(r: LayerReport) -> dict[str, Any]:
    return {
        "layer": r.name, "kind": r.kind, "convention": r.convention, "intended": r.intended_bug or "correct",
        "verdict": r.verdict, "found": r.bug_codes,
        "named_correctly": (r.intended_bug in r.bug_codes) if r.intended_bug else r.verdict != FAIL,
        "worst_rel_error": {k: g.max_rel_error for k, g in r.worst.items()},
        "rel_error": {k: g.rel_error for k, g in r.worst.items()},
        "smallest_failing": r.smallest_failing, "passes_with": r.passes_with,
    }


# NOISE_BOUND (`gradlab.cases.worst`): below it, a worst relative error is rounding noise whose digits depend on
# the machine (its BLAS, its SIMD width): the tracked report writes it as "<1e-06" so that every machine writes
# the same bytes, and the case it shows is the first checked
#: significant digits kept of every other number in the tracked report
DIGITS = 4


def errors_cell(r: LayerReport) -> str:
    """Each gradient's relative error as a whole array, then its worst element's in brackets, for a table
    cell (rounding noise as a bound)."""
    return ", ".join(f"{k} {error_text(v.rel_error)} ({error_text(v.max_rel_error)})"
                     for k, v in r.worst.items()) or "–"


def error_text(value: float | None) -> str:
    """A relative error for a table cell: rounding noise as the bound "<1e-06", others to two digits."""
    if value is None:
        return "–"
    return f"<{NOISE_BOUND:.0e}" if value < NOISE_BOUND else f"{value:.1e}"


def machine_stable(value: Any, key: str = "") -> Any:
    """`value` with every float rounded to DIGITS significant digits, relative errors below
    NOISE_BOUND raised to it (an upper bound), and the worst element of a gradient whose error is
    only noise left out (which element is "worst" among rounding errors depends on the machine), so
    the tracked report is the same on every machine. `gradlab check --json` keeps the exact values."""
    if isinstance(value, dict):
        if isinstance(value.get("max_rel_error"), float) and value["max_rel_error"] < NOISE_BOUND:
            value = {**value, **{k: None for k in ("worst_index", "analytic", "numeric") if k in value}}
        # the entries of a {gradient: error} dict are errors too
        return {k: machine_stable(v, key if "rel_error" in key else k) for k, v in value.items()}
    if isinstance(value, list):
        return [machine_stable(v, key) for v in value]
    if key == "method" and isinstance(value, str):
        # whether the complex step stood in for central differences is a speed choice, timed on this
        # machine (gradlab.core.complex_step), not a result: the tracked report must not depend on it
        return value.replace(" (complex step)", "")
    if isinstance(value, float):
        if "rel_error" in key and 0.0 <= value < NOISE_BOUND:
            return NOISE_BOUND
        return float(f"{value:.{DIGITS}g}")
    return value


def _table_row(r: LayerReport) -> writer.Row:
    named = row(r)["named_correctly"]
    found = ", ".join(r.bug_codes) or "–"
    case = (r.smallest_failing or "–") + (f" (passes with {r.passes_with})" if r.passes_with else "")
    common = (r.name, r.convention, r.intended_bug or "correct")
    fix = fix_cell(r)
    return writer.Row(r.name, (*common, f"{r.verdict}{'' if named else ' ⚠'}", found, errors_cell(r), case, fix),
                      failed=r.verdict == FAIL, flagged=not named,
                      html_cells=(*common, r.verdict, found, errors_cell(r), r.smallest_failing or "–", fix))


def fix_cell(r: LayerReport) -> str:
    """A failing layer's fix in a few words (the diff is in the fixes' section); "–" for a passing one."""
    if r.verdict != FAIL:
        return "–"
    if r.fix is None or r.fix.status == "not-searched":
        return "not searched"
    if r.fix.status != "verified":
        return "none found"
    return f"verified (line{'s' if len(r.fix.lines) > 1 else ''} {', '.join(map(str, r.fix.lines))})"


def fixes_section(reports: Sequence[LayerReport]) -> writer.Section:
    """Every caught buggy variant's verified fix, its diff shown, or "none found"."""
    caught = [r for r in reports if r.intended_bug is not None and r.verdict == FAIL]
    if not any(r.fix is not None and r.fix.status != "not-searched" for r in caught):
        return writer.Section(FIXES_HEADING, (FIXES_SKIPPED,))
    verified = [r for r in caught if r.fix is not None and r.fix.status == "verified"]
    blocks = []
    for r in caught:
        head = f"`{r.name}` ({r.intended_bug})"
        if r.fix is not None and r.fix.status == "verified":
            blocks.append((f"{head}: {r.fix.explanation}.", r.fix.diff))
        else:
            tried = f" ({r.fix.tried} candidates tried)" if r.fix is not None and r.fix.tried else ""
            blocks.append((f"{head}: none found{tried}.", ""))
    count = f"{len(verified)}/{len(caught)} caught buggy variants get a verified fix."
    return writer.Section(FIXES_HEADING, (FIXES_INTRO.format(count=count),), blocks=tuple(blocks))


def pictures_missing() -> str:
    """What to say when the pictures cannot be drawn here (the report names them anyway), or ""."""
    if plots.available():
        return ""
    return ("note: matplotlib is not installed, so no picture was drawn or updated; the report names them "
            "anyway (pip install 'gradlab[plots]', then run the command again)")


def heatmaps(reports: Sequence[LayerReport], keys: Sequence[str] | None = None) -> Heatmaps:
    """A heat map of every failing gradient whose analytic and numeric arrays have the same shape, filed
    under each report's key (its name unless `keys` are given). Names and digests need no matplotlib."""
    out: Heatmaps = {}
    for r, key in zip(reports, keys or [r.name for r in reports]):
        if r.failing is None:
            continue
        for g in r.failing.gradients:
            if g.passed or g.analytic is None or g.numeric is None or g.analytic.shape != g.numeric.shape:
                continue
            figure = plots.heatmap_figure(figure_name("heat", key, g.name), f"{key}: {g.name} ({g.bug_code})",
                                          g.analytic, g.numeric)
            out.setdefault(key, []).append((g.name, figure))
    return out


def registry_figures(reports: Sequence[LayerReport]) -> tuple[plots.Figure, Heatmaps]:
    """The report's pictures: the step-size curve, and a heat map of every failing gradient whose analytic
    and numeric arrays have the same shape. Names and digests need no matplotlib."""
    hs, errors = reference_sigmoid_errors()
    step = plots.step_curve_figure(STEP_CURVE, "Sigmoid dx: central differences", hs, errors)
    return step, heatmaps(reports)


def registry_document(reports: Sequence[LayerReport], models: Sequence[ModelReport] = (),
                      fix_keys: Mapping[str, str] | None = None) -> writer.Document:
    """The registry report's content: the layers' table, then the model zoo's (`models`) when given.
    `fix_keys`: the key of each fix shown (`gradlab.fixes.registry.fix_keys`), kept in the JSON so that the
    next run reads the fixes back instead of searching them again."""
    s = {**summary(reports), **(model_summary(models) if models else {})}
    step, maps = registry_figures(reports)
    document = machine_stable({"schema": SCHEMA, "summary": s, "summary_sentence": summary_sentence(s),
                               "rows": [row(r) for r in reports], "layers": [r.to_dict() for r in reports],
                               **({"model_rows": [model_row(m) for m in models],
                                   "models": [m.to_dict() for m in models]} if models else {}),
                               **({"fix_keys": dict(fix_keys)} if fix_keys else {})})
    mnist = writer.Section("MNIST", (TRAINING_NOTE.format(link=f"[{TRAINING_MD}]({TRAINING_MD})"),))
    return writer.Document("registry", "gradlab registry report", summary_sentence(s), COLUMNS,
                           [_table_row(r) for r in reports], document, sections=[fixes_section(reports), mnist],
                           curves=[("error against step size", step)], heatmaps=maps,
                           tables=[model_table(models, error_text)] if models else [])


def write_registry_report(reports: Sequence[LayerReport], out_dir: Path | str = "reports", *,
                          models: Sequence[ModelReport] | None = None, seed: int = 0,
                          fixes: bool = True) -> dict[str, Path]:
    """Write registry.md/.json/.html and, when matplotlib is installed, the pictures whose data changed;
    returns the paths of the three documents. The same results give the same bytes, whatever else ran.
    `models`: the model zoo's reports; None checks the zoo here, from `seed` (a second or two).
    `fixes`: search the fix of every failing layer (`gradlab.fixes.registry`: read back from the registry.json
    this report replaces when its key is unchanged, else from the user's cache folder; minutes for the zoo
    when neither has it, seconds when they do); False says they were not searched."""
    keys: dict[str, str] = {}
    if fixes:
        from gradlab.fixes.registry import fix_keys, fixes_for, written_fixes

        # the report being replaced already shows the fixes of every variant that has not changed since
        found = fixes_for(reports, known=written_fixes(Path(out_dir) / "registry.json"))
        keys = fix_keys(reports)
        reports = [replace(r, fix=found[r.name]) if r.name in found else r for r in reports]
    if models is None:
        from gradlab.models.zoo import check_model_zoo

        models = check_model_zoo(seed=seed)
    return writer.write(registry_document(reports, models, keys), out_dir)
