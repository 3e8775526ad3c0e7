"""Forward/backward pairs of no kind gradlab knows, in a user's file: checked as generic functions.

`gradlab check` finds `<stem>_forward` / `<stem>_backward` pairs whose stem names no kind. Such a pair is
checked by `gradlab.functions.pair.check_backward` when its shapes are known:
- from a comment on the line above the forward, as DECISIONS.md writes it:
  `# gradlab: kind=generic, x=(N, D), W=(D, M), b=(M,)`: each argument of the forward with its shape in
  symbolic sizes, drawn distinct from the seed (N >= 2, so a missing 1/N shows);
- or, for a forward of one argument, `x` of shape (N, D) (an element-wise op, a normalisation).
A pair with more arguments and no comment stays skipped, as before, with what to write.
Non-goal: class-style layers of no kind (they need `kind=` or a comment naming a kind).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from gradlab.functions.pair import check_backward
from gradlab.functions.report import FunctionReport

__all__ = ["check_generic_pairs", "generic_comments", "shapes_of"]

_COMMENT = re.compile(r"^\s*#\s*gradlab:\s*kind\s*=\s*generic\s*(?P<rest>,.*)?$")
_DEF = re.compile(r"^\s*def\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)")
_SHAPE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*\((?P<dims>[^)]*)\)")
_FORWARD = re.compile(r"^(?P<stem>[a-z0-9_]+?)_forward(?P<suffix>_[a-z0-9_]+)?$")
#: the default shape of the only argument of a forward without a comment
ONE_INPUT = ("N", "D")


def generic_comments(source: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """`# gradlab: kind=generic, x=(N, D), W=(D, M)` on the line above a `def`: its name -> argument shapes."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    pending: dict[str, tuple[str, ...]] | None = None
    for line in source.splitlines():
        comment = _COMMENT.match(line)
        if comment:
            pending = {m["name"]: tuple(d.strip() for d in m["dims"].split(",") if d.strip())
                       for m in _SHAPE.finditer(comment["rest"] or "")}
            continue
        definition = _DEF.match(line)
        if pending is not None and definition:
            out[definition["name"]] = pending
        if line.strip() and not line.strip().startswith("@"):
            pending = None
    return out


def shapes_of(symbolic: dict[str, tuple[str, ...]], seed: int, case: int) -> dict[str, tuple[int, ...]]:
    """Symbolic sizes drawn distinct (2..12; N at least 2, so a missing 1/N shows); digits stay as written."""
    names = list(dict.fromkeys(d for dims in symbolic.values() for d in dims if not d.isdigit()))
    rng = np.random.default_rng([seed, case, 21])
    values = [int(v) for v in rng.choice(np.arange(2, 13), size=len(names), replace=False)]
    sizes = dict(zip(names, values))
    return {arg: tuple(int(d) if d.isdigit() else sizes[d] for d in dims) for arg, dims in symbolic.items()}


def check_generic_pairs(module: ModuleType, known: Callable[[str], bool], *, examples: int = 3, seed: int = 0,
                        source: str = "") -> tuple[list[FunctionReport], list[tuple[str, str]]]:
    """(reports, skipped) for the pairs of `module` whose stem `known` does not recognise as a kind's."""
    try:
        text = Path(module.__file__ or "").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    comments = generic_comments(text)
    defined = {n: o for n, o in vars(module).items() if inspect.isfunction(o) and o.__module__ == module.__name__}
    reports, skipped = [], []
    for name, forward in defined.items():
        m = _FORWARD.match(name)
        layer = f"{m['stem']}{m['suffix'] or ''}" if m else name
        if m is None or known(m["stem"]):
            continue
        if (m["suffix"] or "").startswith("_test"):
            # deeplearning.ai's public tests (rnn_cell_forward_test(rnn_cell_forward) beside rnn_cell_backward_test):
            # run on an array as a generic pair, they raise and were failed as crashed
            skipped.append((layer, f"{name} is a test of a layer, not a layer"))
            continue
        backward = defined.get(f"{m['stem']}_backward{m['suffix'] or ''}")
        args = _arguments(forward)
        symbolic = comments.get(name) or ({args[0]: ONE_INPUT} if len(args) == 1 else None)
        if backward is not None and not args:
            # A forward called with nothing (a demo or a test that builds its own data) has no input to
            # perturb, so there is no gradient to check: say so instead of asking for the shapes of nothing.
            skipped.append((layer, _no_input(name, forward)))
            continue
        if backward is None or symbolic is None or set(symbolic) != set(args):
            if backward is not None:
                skipped.append((layer, f"{name} takes {', '.join(args)}: say the shape of each in a comment above "
                                       f"it, # gradlab: kind=generic, {', '.join(f'{a}=(...)' for a in args)}"))
            continue
        report = _checked(layer, forward, backward, symbolic, examples=examples, seed=seed, source=source)
        guessed = _guess_refused(report) if name not in comments else None
        if guessed is not None:
            # the (N, D) was gradlab's guess, not the user's word: a forward that cannot take it (a pooling's
            # `n, c, h, w = x.shape`) wants another shape, which is no bug of its backward
            skipped.append((layer, f"{name} did not take {args[0]} of shape (N, D), gradlab's guess ({guessed}): "
                                   f"say its shape in a comment above it, # gradlab: kind=generic, {args[0]}=(...)"))
            continue
        reports.append(report)
    return reports, skipped


def _guess_refused(report: FunctionReport) -> str | None:
    """What the forward raised on the guessed input, when it crashed there on a shape (an unpacking or an index of an
    axis the input lacks); None otherwise (a backward's crash, or a wrong value, is the layer's)."""
    for finding in report.findings:
        text = finding.message
        # ... or that uses it as an object (a demo's show_forward(add_layer) calling add_layer.forward(...))
        if finding.code == "crashed" and text.startswith("forward raised") and \
                ("values to unpack" in text or "out of range" in text or "too many indices" in text or
                 "'numpy.ndarray' object has no attribute" in text):
            return text
    return None


def _checked(layer: str, forward: Any, backward: Any, symbolic: dict[str, tuple[str, ...]], *, examples: int,
             seed: int, source: str) -> FunctionReport:
    report = None
    for k in range(examples):
        rng = np.random.default_rng([seed, k, 22])
        inputs = {a: rng.standard_normal(shape) for a, shape in shapes_of(symbolic, seed, k).items()}
        report = check_backward(forward, backward, inputs=inputs, name=layer, seed=seed)
        if report.verdict == "fail":
            break
    assert report is not None
    return replace(report, kind="generic", source=source, examples=examples)


def _no_input(name: str, forward: Any) -> str:
    """Why a forward that needs no argument is not checked; one that has only defaults says how to be."""
    try:
        defaulted = [p.name for p in inspect.signature(forward).parameters.values() if p.default is not p.empty]
    except (TypeError, ValueError):
        defaulted = []
    if defaulted:
        return (f"{name} needs no argument (every parameter has a default: {', '.join(defaulted)}), so it is not "
                f"checked as a layer; to check it, take the input without a default")
    return f"{name} takes no arguments: a function with no parameters is not a layer, so it is not checked"


def _arguments(fn: Any) -> list[str]:
    try:
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    except (TypeError, ValueError):
        return []
