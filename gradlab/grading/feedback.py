"""Words for the student: a `Grade` as Gradescope's results.json and as a Markdown report.

Every lost point is explained: which test, the bug code with its plain-words meaning and hint
(from `gradlab.core.bugs`), the smallest failing case, the worst element; where the assignment says
`show_fix = true`, the verified fix of the layer too. Hidden tests keep their details for after
publication. Reads `gradlab.grading.grader` objects only; computes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from gradlab.core.bugs import BUGS
from gradlab.grading.grades import Grade, LayerGrade
from gradlab.grading.tally import Part

PART_TITLES = {"forward": "forward output", "structure": "structure (inputs, parameters, samples left alone)"}


_MD_SPECIAL = re.compile(r"([\\`*_#<>\[\]|~])")


def md_text(text: str) -> str:
    """Student-controlled text made inert inside one Markdown line: one line (no new heading, list or
    fence can start), every character Markdown or HTML acts on escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))


def fenced(text: str) -> list[str]:
    """A fenced code block around `text` that `text` cannot close: the fence is longer than any run
    of backticks inside it (CommonMark closes a fence only with one at least as long)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text, fence]


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def part_name(part: Part, layer: LayerGrade) -> str:
    what = PART_TITLES.get(part.component, f"gradient {part.title}")
    return f"{layer.required.name}: {what}"


def explain_part(part: Part, hints: dict[str, str] | None = None) -> list[str]:
    """Plain-words lines for a failed part (empty for a passed one); `hints` replace the usual hint of
    a code (the layer's `LayerGrade.hints`: said in the layout it was graded in)."""
    if part.passed:
        return []
    lines = [part.message] if part.message else []
    for code in part.codes:
        bug = BUGS.get(code)
        if bug is not None:
            lines.append(f"{code}: {bug.meaning}. Hint: {(hints or {}).get(code) or bug.hint}.")
    if part.smallest:
        lines.append(f"Smallest failing case: {part.smallest}.")
    return lines


def _part_lines(part: Part, layer: LayerGrade) -> list[str]:
    """`explain_part` as Markdown: the message may quote the student's exception or output (escaped);
    the bug's meaning and hint are gradlab's own words."""
    lines = explain_part(part, layer.hints)
    return [md_text(line) if part.message and i == 0 else line for i, line in enumerate(lines)]


def results_json(grade: Grade) -> dict[str, Any]:
    """Gradescope's results.json for `grade`: the Markdown feedback as its output (Gradescope shows no
    other file), one test per part, numbered, tagged with its bug codes; a hidden layer's tests carry
    the assignment's `hidden_visibility` (after publication, by default)."""
    tests = []
    for li, layer in enumerate(grade.layers, 1):
        for pi, part in enumerate(layer.parts, 1):
            tests.append({
                "name": part_name(part, layer),
                "number": f"{li}.{pi}",
                "score": round(part.score, 4),
                "max_score": round(part.max_score, 4),
                "status": "passed" if part.passed else "failed",
                "output": "\n\n".join(_part_lines(part, layer)) or "passed",
                "output_format": "md",
                "visibility": grade.assignment.hidden_visibility if part.hidden else "visible",
                "tags": list(part.codes),
                "extra_data": {"layer": layer.name, "part": part.component, "bug_codes": list(part.codes),
                               "warnings": [] if part.hidden else list(layer.warnings)},
            })
    # Gradescope's format has execution_time in whole seconds (an integer, as typed clients of it read it); the
    # measured time, to the millisecond, stays in extra_data
    return {"score": grade.score, "execution_time": round(grade.execution_time), "output": feedback_markdown(grade),
            "output_format": "md", "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"sandbox": grade.sandbox, "execution_seconds": grade.execution_time}}


def _score_line(grade: Grade) -> str:
    """The total a student may see now: hidden layers' points are left out until publication."""
    hidden = [layer for layer in grade.layers if layer.required.hidden]
    if not hidden:
        return f"**Score: {_fmt(grade.score)} / {_fmt(grade.max_score)}**"
    shown = [layer for layer in grade.layers if not layer.required.hidden]
    return (f"**Score: {_fmt(sum(la.score for la in shown))} / {_fmt(sum(la.max_score for la in shown))}** "
            f"on the visible tests; hidden tests worth {_fmt(sum(la.max_score for la in hidden))} points are "
            "graded too, and shown when grades are published")


def feedback_markdown(grade: Grade) -> str:
    """The report for the student: score, then every layer, every lost point explained."""
    lines = [f"# {md_text(grade.assignment.title)}", "", _score_line(grade), ""]
    for note in grade.notes:
        head, _, rest = note.partition("\n")
        lines += [f"> {md_text(head)}", ""] + ([*fenced(rest[:4000]), ""] if rest else [])
    for layer in grade.layers:
        if layer.required.hidden:
            lines += [f"## {layer.required.name} — hidden tests, {_fmt(layer.max_score)} points", "",
                      "This layer is graded by hidden tests; its score and details appear when grades are "
                      "published.", ""]
            continue
        lines += [f"## {layer.required.name} — {_fmt(layer.score)} / {_fmt(layer.max_score)}", ""]
        if layer.found_as and layer.found_as != layer.required.name:
            lines += [f"(graded your {md_text(layer.found_as)})", ""]
        if layer.note:
            lines += [f"({md_text(layer.note)})", ""]
        # the warnings `gradlab check` prints on this layer: the student sees the same, and loses nothing by them
        lines += [line for w in layer.warnings for line in (f"⚠️ warning (no points lost): {md_text(w)}", "")]
        for part in layer.parts:
            mark = "✅" if part.passed else "❌"
            # a gradient's title is the student's own name for it, told by the child that ran their code: escaped
            lines.append(f"- {mark} {PART_TITLES.get(part.component, md_text(part.title))}: "
                         f"{_fmt(part.score)} / {_fmt(part.max_score)}")
            lines += [f"  - {line}" for line in _part_lines(part, layer)]
        if layer.score == layer.max_score:
            lines.append(f"- all {layer.cases} cases passed")
        lines.append("")
        lines += fix_lines(layer)
    return "\n".join(lines)


def fix_lines(layer: LayerGrade) -> list[str]:
    """The verified fix of a layer that lost points, as Markdown (only when the assignment shows fixes: `show_fix`),
    or one line saying why there is none. The diff and its explanation quote the student's code: the diff sits
    in a fence it cannot close, the explanation is escaped."""
    fix = layer.fix
    if fix is not None and fix.status == "verified":
        head, _, outcome = fix.explanation.partition(": with it, ")
        fence = fenced(fix.diff.rstrip("\n"))
        return [f"Suggested fix ({md_text(head)}; verified: with it, {md_text(outcome)}), a patch of "
                f"{md_text(fix.file)}:", "", fence[0] + "diff", *fence[1:], ""]
    if fix is not None and fix.status == "none-found":
        return [f"No single edit found ({fix.tried} candidates tried); the diagnosis above still stands.", ""]
    return [f"({md_text(layer.fix_note)})", ""] if layer.fix_note else []
