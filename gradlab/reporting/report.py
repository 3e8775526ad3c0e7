"""The registry report: `reports/registry.md`, `.json` and `.html` (with pictures when matplotlib is there).

One row per registry entry (layer, convention, intended bug or "correct", verdict, bug code found,
worst relative error per gradient, smallest failing case) and a summary line: correct layers
passing, buggy variants caught and correctly named. Reads `LayerReport`s; decides nothing.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gradlab.core.results import FAIL, LayerReport
from gradlab.reporting import plots

TRAINING_JSON = "training.json"


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


def markdown(reports: Sequence[LayerReport], s: dict[str, int], training: dict[str, Any] | None,
             figures: dict[str, str]) -> str:
    lines = ["# gradlab registry report", "", f"**{summary_sentence(s)}.**", "",
             "| layer | convention | intended | verdict | found | worst relative error | smallest failing case |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in reports:
        found = ", ".join(r.bug_codes) or "–"
        ok = "" if row(r)["named_correctly"] else " ⚠"
        case = (r.smallest_failing or "–") + (f" (passes with {r.passes_with})" if r.passes_with else "")
        lines.append(f"| {r.name} | {r.convention} | {r.intended_bug or 'correct'} | {r.verdict}{ok} | {found} | "
                     f"{_errors(r)} | {case} |")
    if training:
        lines += ["", "## MNIST", "", _training_sentence(training)]
    if figures:
        lines += ["", "## Pictures", ""] + [f"![{k}]({v})" for k, v in figures.items()]
    return "\n".join(lines) + "\n"


def _training_sentence(t: dict[str, Any]) -> str:
    return (f"Test accuracy {t.get('test_accuracy', float('nan')):.4f} "
            f"after {t.get('train_seconds', float('nan')):.1f} s of training, "
            f"from verified layers {', '.join(t.get('layers', [])) or '(not recorded)'}.")


def _html(reports: Sequence[LayerReport], s: dict[str, int], training: dict[str, Any] | None,
          figures: dict[str, str], heatmaps: dict[str, list[str]]) -> str:
    esc = html.escape
    rows = []
    for r in reports:
        cls = "fail" if r.verdict == FAIL else "pass"
        named = row(r)["named_correctly"]
        pics = "".join(f'<img src="{esc(p)}" alt="heat map" loading="lazy">' for p in heatmaps.get(r.name, []))
        rows.append(
            f'<tr class="{cls}{"" if named else " wrong"}"><td>{esc(r.name)}</td><td>{esc(r.convention)}</td>'
            f"<td>{esc(r.intended_bug or 'correct')}</td><td>{esc(r.verdict)}</td>"
            f"<td>{esc(', '.join(r.bug_codes) or '–')}</td>"
            f"<td>{esc(_errors(r))}</td><td>{esc(r.smallest_failing or '–')}</td></tr>"
            + (f'<tr class="pics"><td colspan="7">{pics}</td></tr>' if pics else ""))
    body = [f"<h1>gradlab registry report</h1><p class='summary'>{esc(summary_sentence(s))}.</p>"]
    if not plots.available():
        body.append("<p class='note'>Pictures need matplotlib: <code>pip install 'gradlab[plots]'</code>, "
                    "then run <code>gradlab report</code> again.</p>")
    if "step_curve" in figures:
        body.append(f"<h2>Finite-difference error against step size</h2><img src='{esc(figures['step_curve'])}' "
                    "alt='error against step size'>")
    if training:
        body.append(f"<h2>MNIST</h2><p>{esc(_training_sentence(training))}</p>")
        if "training" in figures:
            body.append(f"<img src='{esc(figures['training'])}' alt='training curves'>")
    body.append("<h2>Layers</h2><table><tr><th>layer</th><th>convention</th><th>intended</th><th>verdict</th>"
                "<th>found</th><th>worst relative error</th><th>smallest failing case</th></tr>"
                + "".join(rows) + "</table>")
    style = ("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}tr.fail td{background:#fdecea}"
             "tr.pass td{background:#eef8ee}tr.wrong td{outline:2px solid #e0a000}tr.pics td{background:#fff}"
             "img{max-width:100%;margin:4px}.summary{font-size:1.2em;font-weight:bold}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>gradlab registry report</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


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


def write_registry_report(reports: Sequence[LayerReport], out_dir: Path | str = "reports") -> dict[str, Path]:
    """Write registry.md/.json/.html (and figures/ when matplotlib is installed); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    training = None
    if (out / TRAINING_JSON).exists():
        training = json.loads((out / TRAINING_JSON).read_text())
    s = summary(reports)
    figures: dict[str, str] = {}
    heatmaps: dict[str, list[str]] = {}
    if plots.available():
        fig_dir = out / "figures"
        fig_dir.mkdir(exist_ok=True)
        hs, errs = step_size_errors()
        plots.step_curve(fig_dir / "step_curve.png", "Sigmoid dx: central differences", hs, errs)
        figures["step_curve"] = "figures/step_curve.png"
        if training and training.get("curves"):
            plots.training_curves(fig_dir / "training.png", training["curves"])
            figures["training"] = "figures/training.png"
        for r in reports:
            if r.failing is None:
                continue
            for g in r.failing.gradients:
                if g.passed or g.analytic is None or g.numeric is None or g.analytic.shape != g.numeric.shape:
                    continue
                name = f"heat_{r.name}_{g.name}.png".replace("/", "_")
                plots.heatmap(fig_dir / name, f"{r.name}: {g.name} ({g.bug_code})", g.analytic, g.numeric)
                heatmaps.setdefault(r.name, []).append(f"figures/{name}")
    paths = {"md": out / "registry.md", "json": out / "registry.json", "html": out / "registry.html"}
    paths["md"].write_text(markdown(reports, s, training, figures))
    paths["json"].write_text(json.dumps({"summary": s, "summary_sentence": summary_sentence(s),
                                         "rows": [row(r) for r in reports],
                                         "layers": [r.to_dict() for r in reports],
                                         "training": training}, indent=2))
    paths["html"].write_text(_html(reports, s, training, figures, heatmaps))
    return paths
