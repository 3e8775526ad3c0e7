"""The registry report: `reports/registry.md`, `.json` and `.html`, and the pictures they name.

One row per registry entry (layer, convention, intended bug or "correct", verdict, bug code found,
worst relative error per gradient, smallest failing case) and a summary line: correct layers
passing, buggy variants caught and correctly named. Reads `LayerReport`s; decides nothing.

The report is tracked in git (see DECISIONS.md, "`reports/` and generated files"), so its text
depends on the registry's results alone: not on whether MNIST training ran (that has its own
untracked report, `gradlab.reporting.training_report`), not on whether matplotlib is installed (picture
names follow from the failing layers; the pictures are drawn when matplotlib is there), and no
timings. A picture whose data has not changed is not drawn again (`plots.Figure.write`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gradlab.core.results import FAIL, LayerReport
from gradlab.reporting import plots
from gradlab.reporting.training_report import TRAINING_MD

#: the id of the JSON document registry.json holds
SCHEMA = "gradlab-registry/1"
STEP_CURVE = "figures/step_curve.png"
#: the fixed sentences that stand where run-dependent content would be
PICTURES_NOTE = ("Pictures are drawn when matplotlib is installed (`pip install 'gradlab[plots]'`); "
                 "a picture whose data has not changed is not drawn again.")
TRAINING_NOTE = ("MNIST training results are not part of this report: `gradlab train` and `gradlab demo` "
                 "write them, with their timings, to {link} next to it.")
#: a layer's failing gradients and their heat maps, by layer name
Heatmaps = dict[str, list[tuple[str, plots.Figure]]]


def summary(reports: Sequence[LayerReport]) -> dict[str, int]:
    correct = [r for r in reports if r.intended_bug is None]
    buggy = [r for r in reports if r.intended_bug is not None]
    return {
        "correct": len(correct), "correct_passing": sum(r.verdict != FAIL for r in correct),
        "buggy": len(buggy), "buggy_caught": sum(r.verdict == FAIL for r in buggy),
        "buggy_named": sum(r.verdict == FAIL and r.intended_bug in r.bug_codes for r in buggy),
    }


def summary_sentence(s: dict[str, int]) -> str:
    return (f"{s['correct_passing']}/{s['correct']} correct layers pass; "
            f"{s['buggy_caught']}/{s['buggy']} buggy variants caught, {s['buggy_named']}/{s['buggy']} named correctly")


def row(r: LayerReport) -> dict[str, Any]:
    return {
        "layer": r.name, "kind": r.kind, "convention": r.convention, "intended": r.intended_bug or "correct",
        "verdict": r.verdict, "found": r.bug_codes,
        "named_correctly": (r.intended_bug in r.bug_codes) if r.intended_bug else r.verdict != FAIL,
        "worst_rel_error": {k: g.max_rel_error for k, g in r.worst.items()},
        "smallest_failing": r.smallest_failing, "passes_with": r.passes_with,
    }


def _errors(r: LayerReport) -> str:
    return ", ".join(f"{k} {v.max_rel_error:.1e}" for k, v in r.worst.items()) or "–"


def markdown(reports: Sequence[LayerReport], s: dict[str, int], heatmaps: Heatmaps) -> str:
    lines = ["# gradlab registry report", "", f"**{summary_sentence(s)}.**", "",
             "| layer | convention | intended | verdict | found | worst relative error | smallest failing case |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in reports:
        found = ", ".join(r.bug_codes) or "–"
        ok = "" if row(r)["named_correctly"] else " ⚠"
        case = (r.smallest_failing or "–") + (f" (passes with {r.passes_with})" if r.passes_with else "")
        lines.append(f"| {r.name} | {r.convention} | {r.intended_bug or 'correct'} | {r.verdict}{ok} | {found} | "
                     f"{_errors(r)} | {case} |")
    lines += ["", "## MNIST", "", TRAINING_NOTE.format(link=f"[{TRAINING_MD}]({TRAINING_MD})")]
    lines += ["", "## Pictures", "", PICTURES_NOTE, "", f"![error against step size]({STEP_CURVE})", "",
              "Heat maps of analytic − numeric, one per failing gradient:", ""]
    lines += [f"- {layer}: " + ", ".join(f"[{grad}]({fig.name})" for grad, fig in figs)
              for layer, figs in heatmaps.items()]
    return "\n".join(lines) + "\n"


def _html(reports: Sequence[LayerReport], s: dict[str, int], heatmaps: Heatmaps) -> str:
    esc = html.escape
    rows = []
    for r in reports:
        cls = "fail" if r.verdict == FAIL else "pass"
        named = row(r)["named_correctly"]
        pics = "".join(f'<img src="{esc(fig.name)}" alt="heat map of {esc(grad)}" loading="lazy">'
                       for grad, fig in heatmaps.get(r.name, []))
        rows.append(
            f'<tr class="{cls}{"" if named else " wrong"}"><td>{esc(r.name)}</td><td>{esc(r.convention)}</td>'
            f"<td>{esc(r.intended_bug or 'correct')}</td><td>{esc(r.verdict)}</td>"
            f"<td>{esc(', '.join(r.bug_codes) or '–')}</td>"
            f"<td>{esc(_errors(r))}</td><td>{esc(r.smallest_failing or '–')}</td></tr>"
            + (f'<tr class="pics"><td colspan="7">{pics}</td></tr>' if pics else ""))
    body = [f"<h1>gradlab registry report</h1><p class='summary'>{esc(summary_sentence(s))}.</p>",
            f"<p class='note'>{_code(esc(PICTURES_NOTE))}</p>",
            f"<h2>Finite-difference error against step size</h2><img src='{STEP_CURVE}' alt='error against step size'>",
            "<h2>MNIST</h2><p>" + _code(esc(TRAINING_NOTE).format(link=f"<a href='{TRAINING_MD}'>{TRAINING_MD}</a>"))
            + "</p>"]
    body.append("<h2>Layers</h2><table><tr><th>layer</th><th>convention</th><th>intended</th><th>verdict</th>"
                "<th>found</th><th>worst relative error</th><th>smallest failing case</th></tr>"
                + "".join(rows) + "</table>")
    style = ("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}tr.fail td{background:#fdecea}"
             "tr.pass td{background:#eef8ee}tr.wrong td{outline:2px solid #e0a000}tr.pics td{background:#fff}"
             "img{max-width:100%;margin:4px}.summary{font-size:1.2em;font-weight:bold}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>gradlab registry report</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def _code(text: str) -> str:
    """`code` spans of an (escaped) sentence as HTML."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", text)


def step_size_errors(rel_steps: Sequence[float] | None = None) -> tuple[list[float], list[float]]:
    """Max relative error of the reference Sigmoid's dx by central differences, for each step size."""
    from gradlab.conventions.adapters import adapt
    from gradlab.conventions.registry import get
    from gradlab.core.numeric import looped_gradient, steps
    from gradlab.kinds import sigmoid

    entry, kind = get("Sigmoid"), sigmoid.KIND
    case = kind.case({"N": 4, "shape": (5,), "seed": 3, "scale": 1.0})
    layer = adapt(entry, kind, case)
    x = case.x.copy()
    y = layer.forward(x)
    G = np.random.default_rng(0).standard_normal(y.shape)
    dx, _ = layer.backward(G)
    assert dx is not None, "the reference Sigmoid returned no dx"
    hs = list(rel_steps or np.logspace(-1, -13, 25))
    errors = []
    for h in hs:
        n = looped_gradient(lambda: layer.forward(x), x, G, steps(x, rel=h))
        errors.append(float(np.max(np.abs(n - dx) / (np.abs(n) + np.abs(dx) + 1e-300))))
    return hs, errors


def pictures_missing() -> str:
    """What to say when the pictures cannot be drawn here (the report names them anyway), or ""."""
    if plots.available():
        return ""
    return ("note: matplotlib is not installed, so no picture was drawn or updated; the report names them "
            "anyway (pip install 'gradlab[plots]', then run the command again)")


def registry_figures(reports: Sequence[LayerReport]) -> tuple[plots.Figure, Heatmaps]:
    """The report's pictures: the step-size curve, and a heat map of every failing gradient whose analytic
    and numeric arrays have the same shape. Names and digests need no matplotlib."""
    hs, errors = step_size_errors()
    step = plots.step_curve_figure(STEP_CURVE, "Sigmoid dx: central differences", hs, errors)
    heatmaps: Heatmaps = {}
    for r in reports:
        if r.failing is None:
            continue
        for g in r.failing.gradients:
            if g.passed or g.analytic is None or g.numeric is None or g.analytic.shape != g.numeric.shape:
                continue
            # a gradient spelled grads[1] or params['W'] still makes a plain file name
            name = "figures/" + re.sub(r"[^A-Za-z0-9_.-]+", "_", f"heat_{r.name}_{g.name}").strip("_") + ".png"
            figure = plots.heatmap_figure(name, f"{r.name}: {g.name} ({g.bug_code})", g.analytic, g.numeric)
            heatmaps.setdefault(r.name, []).append((g.name, figure))
    return step, heatmaps


def _remove_stale_heatmaps(folder: Path, keep: set[str]) -> None:
    """Heat maps of gradients that no longer fail (or of layers gone from the registry) go."""
    for path in sorted(folder.glob("heat_*.png")):
        if f"figures/{path.name}" not in keep:
            path.unlink()


def write_registry_report(reports: Sequence[LayerReport], out_dir: Path | str = "reports") -> dict[str, Path]:
    """Write registry.md/.json/.html and, when matplotlib is installed, the pictures whose data changed;
    returns the paths of the three documents. The same results give the same bytes, whatever else ran."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    s = summary(reports)
    step, heatmaps = registry_figures(reports)
    figures = [step, *(figure for figs in heatmaps.values() for _, figure in figs)]
    if plots.available():
        for figure in figures:
            figure.write(out)
    _remove_stale_heatmaps(out / "figures", {figure.name for figure in figures})
    paths = {"md": out / "registry.md", "json": out / "registry.json", "html": out / "registry.html"}
    paths["md"].write_text(markdown(reports, s, heatmaps), encoding="utf-8")
    document = {"schema": SCHEMA, "summary": s, "summary_sentence": summary_sentence(s),
                "rows": [row(r) for r in reports], "layers": [r.to_dict() for r in reports]}
    paths["json"].write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    paths["html"].write_text(_html(reports, s, heatmaps), encoding="utf-8")
    return paths
