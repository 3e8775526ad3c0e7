"""A report on the user's own layers (`gradlab report PATH...`): `report.md`, `report.json`, `report.html`.

What `gradlab check PATH` finds, laid out as the registry report is (`gradlab.reporting.writer`): one row
per layer (file, kind, convention, verdict, bug codes, worst relative error per gradient, smallest
failing case), a heat map of analytic − numeric for every failing gradient, and for each failing layer
its error against the finite-difference step on the smallest failing case (flat at every step: the
backward is wrong, not the step). The files that could not be imported and the names skipped are
sections of their own. The summary says how many layers passed, warned and failed, with their codes;
a user's layers have no intended bugs, so it says nothing of bugs "caught".
The JSON document is `gradlab-report/1` (`gradlab/schemas/report.schema.json`): the fields of
`gradlab check --json` (same meaning), plus `paths`, `summary_sentence` and `pictures`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gradlab.cases.check_many import Outcome
from gradlab.core.results import FAIL, WARN, LayerReport
from gradlab.reporting import plots, writer
from gradlab.reporting.model_rows import user_model_table
from gradlab.reporting.report import error_text, errors_cell, heatmaps
from gradlab.reporting.step_size import failing_gradient_errors

#: the id of the JSON document report.json holds
SCHEMA = "gradlab-report/1"
STEM = "report"
#: where `gradlab report PATH` writes unless told otherwise (never the project's tracked reports/)
DEFAULT_OUT = "gradlab-report"
COLUMNS = ("layer", "file", "kind", "convention", "verdict", "found", "relative error (worst element)",
           "smallest failing case")
CURVES_INTRO = ("Error of the analytic gradient against central differences for each step size h, on the "
                "smallest failing case, one per failing layer (the dashed line is the check's rtol). A correct "
                "gradient's error falls far below it around h ≈ 1e-5 (truncation to the left, rounding to the "
                "right); an error that stays above it at every step belongs to the backward pass, not to the "
                "finite differences:")


def keys(reports: Sequence[LayerReport]) -> list[str]:
    """How each layer is named in the report: its name, with its file when two layers share the name."""
    count = Counter(r.name for r in reports)
    named = [r.name if count[r.name] == 1 or not r.source else f"{r.name} ({r.source})" for r in reports]
    seen: Counter[str] = Counter()
    out = []
    for key in named:  # still the same (one file given twice): numbered, so that pictures never collide
        seen[key] += 1
        out.append(key if seen[key] == 1 else f"{key} #{seen[key]}")
    return out


def summary_sentence(outcome: Outcome, models: Sequence[Any] = ()) -> str:
    """`3 layers checked: 1 passed, 1 warned (Relu: mutates-input), 1 failed (Sigmoid: sign-flip)`, then the
    models as `gradlab check` finds them (`1 model checked: 1 failed (TwoLayerNet: dropped-term at W1)`), the
    files that could not be imported and the names skipped."""
    named = keys(outcome.reports)
    counts = outcome.counts()
    parts = []
    for verdict, word in (("pass", "passed"), ("warn", "warned"), ("fail", "failed")):
        which = [(k, r) for k, r in zip(named, outcome.reports) if r.verdict == verdict]
        codes = "; ".join(f"{k}: {', '.join(_codes(r))}" for k, r in which if verdict != "pass")
        parts.append(f"{counts[verdict]} {word}" + (f" ({codes})" if codes else ""))
    n = len(outcome.reports)
    sentence = f"{n} layer{'' if n == 1 else 's'} checked: " + ", ".join(parts)
    if models:  # a file of models only says nothing of layers
        sentence = f"{sentence}; {_models_sentence(models)}" if n else _models_sentence(models)
    if outcome.errors:
        sentence += f"; {_plural(len(outcome.errors), 'file')} could not be imported"
    if outcome.skipped:
        sentence += f"; {_plural(len(outcome.skipped), 'name')} skipped"
    return sentence


def _models_sentence(models: Sequence[Any]) -> str:
    parts = []
    for verdict, word in (("pass", "passed"), ("warn", "warned"), ("fail", "failed")):
        which = [m for m in models if m.verdict == verdict]
        said = "; ".join(f"{m.name}: {', '.join(m.bug_codes or [w.code for w in m.warnings])}"
                         + (f" at {m.origin}" if getattr(m, "origin", None) else "")
                         for m in which if verdict != "pass")
        parts.append(f"{len(which)} {word}" + (f" ({said})" if said else ""))
    return f"{_plural(len(models), 'model')} checked: " + ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _codes(r: LayerReport) -> list[str]:
    """A failing layer's bug codes; a warned one's warning codes."""
    return r.bug_codes if r.verdict == FAIL else list(dict.fromkeys(w.code for w in r.warnings))


def step_curves(outcome: Outcome, names: Sequence[str], maps: writer.Pictures) -> writer.Pictures:
    """For each failing layer with a heat map, the step-size curve of its first such gradient (when the
    layer can be run again on its failing case)."""
    out: writer.Pictures = {}
    for r, entry, key in zip(outcome.reports, outcome.entries, names):
        if r.failing is None or key not in maps:
            continue
        gradient = maps[key][0][0]
        measured = failing_gradient_errors(entry, dict(r.failing.spec), gradient)
        if measured is not None:
            hs, errors = measured
            rtol = next(g.rtol for g in r.failing.gradients if g.name == gradient)
            figure = plots.step_curve_figure(writer.figure_name("steps", key, gradient), f"{key}: {gradient}", hs,
                                             errors, ylabel="‖a − n‖ / (‖a‖ + ‖n‖)", tolerance=rtol or None)
            out[key] = [(gradient, figure)]
    return out


def _row(r: LayerReport, key: str) -> writer.Row:
    case = (r.smallest_failing or "–") + (f" (passes with {r.passes_with})" if r.passes_with else "")
    cells = (key, r.source or "–", r.kind, r.convention, r.verdict, ", ".join(_codes(r)) or "–", errors_cell(r), case)
    return writer.Row(key, tuple(c.replace("|", "\\|") for c in cells), failed=r.verdict == FAIL,
                      flagged=r.verdict == WARN)


def user_document(outcome: Outcome, paths: Sequence[str | Path], *, notes: Sequence[str] = (),
                  models: Sequence[Any] = ()) -> writer.Document:
    """The report's content: rows, sections, pictures and the JSON document. Runs each failing layer again
    for its step-size curve (a few hundred forward calls). `models`: the whole models (and generic
    functions) `gradlab check` finds in the same files (`gradlab.cli.check.checked_models`), a table of
    their own and entries of `layers` in the JSON, as `gradlab check --json` writes them."""
    if len(outcome.entries) != len(outcome.reports):
        raise ValueError("the outcome must keep the entry of every report (gradlab.cases.check_many.check_paths)")
    names = keys(outcome.reports)
    maps = heatmaps(outcome.reports, names)
    curves = step_curves(outcome, names, maps)
    sentence = summary_sentence(outcome, models)
    shown = " ".join(str(p) for p in paths)
    sections = [writer.Section("Notes", items=tuple(notes))] if notes else []
    if outcome.errors:
        sections.append(writer.Section("Files that could not be imported", items=tuple(outcome.errors)))
    if outcome.skipped:
        sections.append(writer.Section("Skipped", ("Names found but not checked, and why.",),
                                       tuple(f"{name}: {why}" for name, why in outcome.skipped)))
    document = {"schema": SCHEMA, **_without_schema(_with_models(outcome.to_dict(), models)), "notes": list(notes),
                "paths": [str(p) for p in paths], "summary_sentence": sentence,
                "pictures": _pictures(outcome.reports, names, maps, curves)}
    return writer.Document(STEM, f"gradlab report: {shown}", sentence, COLUMNS,
                           [_row(r, k) for r, k in zip(outcome.reports, names)], document, sections=sections,
                           heatmaps=maps, layer_curves=curves, layer_curves_intro=CURVES_INTRO,
                           stale=("heat_*.png", "steps_*.png"),
                           tables=[user_model_table(models, error_text)] if models else [])


def _with_models(document: dict[str, Any], models: Sequence[Any]) -> dict[str, Any]:
    """The check document with the models as entries of `layers` and in the summary's counts."""
    summary = dict(document["summary"])
    for m in models:
        summary[m.verdict] += 1
    return {**document, "summary": summary, "layers": [*document["layers"], *(m.to_dict() for m in models)]}


def _without_schema(check_document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in check_document.items() if k != "schema"}


def _pictures(reports: Sequence[LayerReport], names: Sequence[str], maps: writer.Pictures,
              curves: writer.Pictures) -> list[dict[str, Any]]:
    out = []
    for r, key in zip(reports, names):
        for picture, pictures in (("heatmap", maps), ("step_curve", curves)):
            out += [{"layer": r.name, "source": r.source, "gradient": gradient, "picture": picture, "path": fig.name}
                    for gradient, fig in pictures.get(key, [])]
    return out


def write_user_report(outcome: Outcome, paths: Sequence[str | Path], out_dir: Path | str = DEFAULT_OUT, *,
                      notes: Sequence[str] = (), models: Sequence[Any] = ()) -> dict[str, Path]:
    """Write report.md/.json/.html under `out_dir` and, when matplotlib is installed, their pictures; returns
    the paths of the three documents."""
    return writer.write(user_document(outcome, paths, notes=notes, models=models), out_dir)

