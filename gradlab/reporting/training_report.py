"""The MNIST training report: `training.json`, `training.md` and the curves, written by `gradlab train`
and `gradlab demo`.

It holds timings, which change from run to run, so it is never tracked in git (see DECISIONS.md,
"`reports/` and generated files") and the registry report does not embed it: the registry report
only links to `training.md` with a fixed sentence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gradlab.reporting import plots

#: the id of the JSON document training.json holds
SCHEMA = "gradlab-training/1"
TRAINING_JSON = "training.json"
TRAINING_MD = "training.md"
CURVES = "figures/training.png"


def training_document(summary: dict[str, Any]) -> dict[str, Any]:
    """`summary` (a run's figures, layers, weights path and curves) as the training.json document."""
    return {"schema": SCHEMA, **{k: v for k, v in summary.items() if k != "schema"}}


def markdown(doc: dict[str, Any], curves_drawn: bool) -> str:
    config = doc.get("config", {})
    layers = ", ".join(doc.get("layers", [])) or "(not recorded)"
    lines = ["# gradlab MNIST training report", "",
             f"**Test accuracy {doc['test_accuracy']:.4f}** (validation {doc['val_accuracy']:.4f}"
             f"{'' if doc.get('val_held_out', True) else ', not held out: trained on'}) "
             f"after {doc['train_seconds']:.1f} s of training, from verified layers {layers}.", "",
             "This report holds timings, which change from run to run: it is not part of the registry report "
             "and is not tracked in git.", "",
             "| setting | value |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in config.items()]
    curves = doc.get("curves", {})
    losses, train_acc, val_acc = (curves.get(k, []) for k in ("train_loss", "train_accuracy", "val_accuracy"))
    seconds = doc.get("epoch_seconds", [])
    lines += ["", "| epoch | train loss | train accuracy | validation accuracy | seconds |",
              "| --- | --- | --- | --- | --- |"]
    for i in range(max(len(losses), len(train_acc), len(val_acc), len(seconds))):
        cells = [_at(losses, i, ".4f"), _at(train_acc, i, ".4f"), _at(val_acc, i, ".4f"), _at(seconds, i, ".2f")]
        lines.append(f"| {i + 1} | " + " | ".join(cells) + " |")
    if doc.get("weights"):
        lines += ["", f"Weights: `{doc['weights']}`."]
    if curves_drawn:
        lines += ["", f"![training curves]({CURVES})"]
    return "\n".join(lines) + "\n"


def _at(values: list[float], i: int, spec: str) -> str:
    return format(values[i], spec) if i < len(values) else "–"


def write_training_report(summary: dict[str, Any], out_dir: Path | str) -> dict[str, Any]:
    """Write training.json, training.md and (with matplotlib) the curves; returns the training.json document."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = training_document(summary)
    (out / TRAINING_JSON).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    drawn = False
    if plots.available() and doc.get("curves"):
        title = f"MNIST: test accuracy {doc['test_accuracy']:.4f}"
        plots.training_curves_figure(CURVES, doc["curves"], title).write(out)
        drawn = True
    (out / TRAINING_MD).write_text(markdown(doc, drawn), encoding="utf-8")
    return doc
