"""The one writer of gradlab's check reports: `<stem>.md`, `<stem>.json` and `<stem>.html`, and the pictures
they name. The registry report (`gradlab.reporting.report`) and a user's report (`gradlab.reporting.user_report`)
each describe what they show as a `Document`; this module lays it out, the same way for both.

A document is: a title and a one-sentence summary; a table with one row per layer, then further tables
(whole models); sections of text (Markdown paragraphs, whose `code` and [links](target) become HTML,
plain-text items, and code shown as it is: a fix's diff); the
pictures: step-size curves of the whole report, and per layer the heat maps of analytic − numeric of
its failing gradients and its own step-size curves; the JSON document, written as it is.
Pictures are drawn when matplotlib is installed and their data changed (`plots.Figure.write`); the
documents name them either way, so their text does not depend on matplotlib.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradlab.reporting import plots

#: the fixed sentence about pictures, in every report
PICTURES_NOTE = ("Pictures are drawn when matplotlib is installed (`pip install 'gradlab[plots]'`); "
                 "a picture whose data has not changed is not drawn again.")
HEATMAPS_INTRO = "Heat maps of analytic − numeric, one per failing gradient:"
NO_HEATMAP = "No gradient failed, so there is no heat map."
#: a row's pictures, by row key: (gradient, figure)
Pictures = dict[str, list[tuple[str, plots.Figure]]]
STYLE = ("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}tr.fail td{background:#fdecea}"
         "tr.pass td{background:#eef8ee}tr.wrong td{outline:2px solid #e0a000}tr.pics td{background:#fff}"
         "img{max-width:100%;margin:4px}.summary{font-size:1.2em;font-weight:bold}")


@dataclass(frozen=True)
class Row:
    """One layer in the table. `key` files its pictures; `flagged` rows are outlined in the HTML."""

    key: str
    cells: tuple[str, ...]
    failed: bool
    flagged: bool = False
    #: where the HTML table shows less than the Markdown one (None: the same cells)
    html_cells: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Table:
    """A further table after the layers' one (a report's whole models): its heading, a sentence, its rows."""

    heading: str
    intro: str
    columns: tuple[str, ...]
    rows: list[Row]


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()  # Markdown: `code` and [text](target)
    items: tuple[str, ...] = ()  # plain text, one bullet each
    #: (a Markdown paragraph, the code shown under it as it is: a diff; "" for none), after the rest
    blocks: tuple[tuple[str, str], ...] = ()


@dataclass
class Document:
    stem: str  # the file names: <stem>.md, <stem>.json, <stem>.html
    title: str
    summary: str  # one sentence, without its full stop
    columns: tuple[str, ...]
    rows: list[Row]
    json: dict[str, Any]
    sections: list[Section] = field(default_factory=list)
    #: step-size curves of the whole report: (caption, figure)
    curves: list[tuple[str, plots.Figure]] = field(default_factory=list)
    heatmaps: Pictures = field(default_factory=dict)
    #: step-size curves of single layers, and the sentence that introduces them
    layer_curves: Pictures = field(default_factory=dict)
    layer_curves_intro: str = ""
    #: the picture names an earlier report may have left that this one removes when it no longer shows them
    stale: tuple[str, ...] = ("heat_*.png",)
    #: tables after the layers' table (whole models), each under its own heading
    tables: list[Table] = field(default_factory=list)

    def figures(self) -> list[plots.Figure]:
        per_layer = [f for pictures in (self.heatmaps, self.layer_curves) for figs in pictures.values()
                     for _, f in figs]
        return [*(f for _, f in self.curves), *per_layer]


def markdown(doc: Document) -> str:
    lines = [f"# {doc.title}", "", f"**{doc.summary}.**", "",
             "| " + " | ".join(doc.columns) + " |", "| " + " | ".join("---" for _ in doc.columns) + " |"]
    lines += ["| " + " | ".join(row.cells) + " |" for row in doc.rows]
    for table in doc.tables:
        lines += ["", f"## {table.heading}", "", table.intro, "", "| " + " | ".join(table.columns) + " |",
                  "| " + " | ".join("---" for _ in table.columns) + " |"]
        lines += ["| " + " | ".join(row.cells) + " |" for row in table.rows]
    for section in doc.sections:
        lines += ["", f"## {section.heading}"]
        bullets = ["\n".join(f"- {item}" for item in section.items)] if section.items else []
        for part in [*section.paragraphs, *bullets]:
            lines += ["", part]
        for caption, code in section.blocks:
            lines += ["", caption] + (["", *_fenced(code)] if code else [])
    lines += ["", "## Pictures", "", PICTURES_NOTE]
    for caption, figure in doc.curves:
        lines += ["", f"![{caption}]({figure.name})"]
    lines += ["", HEATMAPS_INTRO, ""]
    lines += _picture_list(doc.heatmaps) or [NO_HEATMAP]
    if doc.layer_curves:
        lines += ["", doc.layer_curves_intro, "", *_picture_list(doc.layer_curves)]
    return "\n".join(lines) + "\n"


def _fenced(code: str) -> list[str]:
    """A fenced block of `code` that no run of backticks inside it can close (CommonMark)."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", code)), default=0))
    return [fence + "diff", code.rstrip("\n"), fence]


def _picture_list(pictures: Pictures) -> list[str]:
    return [f"- {key}: " + ", ".join(f"[{grad}]({fig.name})" for grad, fig in figs) for key, figs in pictures.items()]


def to_html(doc: Document) -> str:
    esc = html.escape
    rows = []
    for row in doc.rows:
        pics = "".join(f'<img src="{esc(fig.name)}" alt="heat map of {esc(grad)}" loading="lazy">'
                       for grad, fig in doc.heatmaps.get(row.key, []))
        pics += "".join(f'<img src="{esc(fig.name)}" alt="error against step size of {esc(grad)}" loading="lazy">'
                        for grad, fig in doc.layer_curves.get(row.key, []))
        rows.append(f'<tr class="{"fail" if row.failed else "pass"}{" wrong" if row.flagged else ""}">'
                    + "".join(f"<td>{esc(cell)}</td>" for cell in (row.html_cells or row.cells)) + "</tr>"
                    + (f'<tr class="pics"><td colspan="{len(doc.columns)}">{pics}</td></tr>' if pics else ""))
    body = [f"<h1>{esc(doc.title)}</h1><p class='summary'>{esc(doc.summary)}.</p>",
            f"<p class='note'>{_inline(PICTURES_NOTE)}</p>"]
    if doc.curves:
        body.append("<h2>Finite-difference error against step size</h2>"
                    + "".join(f"<img src='{esc(fig.name)}' alt='{esc(caption)}'>" for caption, fig in doc.curves))
    for section in doc.sections:
        body.append(f"<h2>{esc(section.heading)}</h2>" + "".join(f"<p>{_inline(p)}</p>" for p in section.paragraphs)
                    + ("<ul>" + "".join(f"<li>{esc(item)}</li>" for item in section.items) + "</ul>"
                       if section.items else "")
                    + "".join(f"<p>{_inline(caption)}</p>" + (f"<pre>{esc(code)}</pre>" if code else "")
                              for caption, code in section.blocks))
    body.append("<h2>Layers</h2><table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in doc.columns) + "</tr>"
                + "".join(rows) + "</table>")
    for table in doc.tables:
        body.append(f"<h2>{esc(table.heading)}</h2><p>{_inline(table.intro)}</p><table><tr>"
                    + "".join(f"<th>{esc(c)}</th>" for c in table.columns) + "</tr>"
                    + "".join(f'<tr class="{"fail" if row.failed else "pass"}{" wrong" if row.flagged else ""}">'
                              + "".join(f"<td>{esc(cell)}</td>" for cell in (row.html_cells or row.cells)) + "</tr>"
                              for row in table.rows) + "</table>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(doc.title)}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def _inline(markdown_text: str) -> str:
    """A Markdown sentence as HTML: escaped, its [links](target) and `code` spans made tags."""
    text = re.sub(r"\[([^\]]*)\]\(([^)\s]*)\)", r"<a href='\2'>\1</a>", html.escape(markdown_text))
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", text)


def write(doc: Document, out_dir: Path | str) -> dict[str, Path]:
    """Draw the pictures whose data changed (when matplotlib is installed), remove the ones this report no
    longer shows, and write the three documents; returns their paths ("md", "json", "html")."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = doc.figures()
    if plots.available():
        for figure in figures:
            figure.write(out)
    _remove_stale(out / "figures", {figure.name for figure in figures}, doc.stale)
    paths = {"md": out / f"{doc.stem}.md", "json": out / f"{doc.stem}.json", "html": out / f"{doc.stem}.html"}
    paths["md"].write_text(markdown(doc), encoding="utf-8")
    paths["json"].write_text(json.dumps(doc.json, indent=2) + "\n", encoding="utf-8")
    paths["html"].write_text(to_html(doc), encoding="utf-8")
    return paths


def _remove_stale(folder: Path, keep: set[str], patterns: Sequence[str]) -> None:
    """Pictures of gradients that no longer fail (or of layers gone) go."""
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            if f"figures/{path.name}" not in keep:
                path.unlink()


def figure_name(prefix: str, *parts: str) -> str:
    """A picture's file name under figures/: a gradient spelled grads[1] or params['W'] still makes a plain one."""
    return "figures/" + re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join([prefix, *parts])).strip("_") + ".png"
