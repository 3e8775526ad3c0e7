"""The candidate edits of a failing layer, in the order the diagnosis makes likely, each at most three lines.

The layer's own code says what an edit may use (its names for the batch size, the arrays it caches,
its masks and settings: `Context`), the report says what was measured (the factor between analytic and
numeric, the bug code): an edit of the family the bug code names (a factor for `extra-batch-mean`, an
axis for `wrong-reduction`, `+=` for `dropped-term`, ...) is tried before the others, the backward's
statements before the forward's and the helpers'. The evidence orders them further: a replacement the
diagnosis spells out ("1 - prev_h**2 should be 1 - next_h**2") comes first of all; a term dropped in a loop
where every gradient failed is looked for first where the gradient carried to the step before is written;
the statements that build a failing gradient come before the others, and in a forward whose output is right,
those that only fill the cache before those its output depends on. The statistics a layer keeps with `keepdims`
in forward and backward are moved to another axis together (`gradlab.fixes.statistics`). Duplicates (two edits
giving the same text) count once.
Non-goal: trying them (that is `gradlab.fixes.search`).
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator, Sequence

from gradlab.core.results import LayerReport
from gradlab.fixes.context import context, measured_factor
from gradlab.fixes.expressions import (
    Context,
    cached_edits,
    every_axis,
    every_occurrence,
    expression_edits,
    is_gradient,
    same_letters,
)
from gradlab.fixes.families import family_edits
from gradlab.fixes.rebuild import Edit, apply
from gradlab.fixes.source import Scope, Site, module_constants
from gradlab.fixes.spans import Text
from gradlab.fixes.splits import split_order_edits
from gradlab.fixes.statements import block_edits, measured_constant, statement_edits, value_edits
from gradlab.fixes.statistics import kept_axis_edits, passed_axis_edits
from gradlab.fixes.together import complement_together, uncentred_together
from gradlab.fixes.verify import FORWARD_BUGS, FORWARD_FAMILIES

__all__ = ["FAMILIES", "building_lines", "candidates", "carried_lines", "named_replacements", "output_lines",
           "shared_lines"]

#: the families of edit each bug code points at, most likely first. A sign written wrong is fixed where it is
#: written (a `-=`, a minus, a difference's order: "sign") before a new minus is put on an operand ("negate", a
#: LAST_RESORT), which can cancel the wrong sign from another line and pass, but leaves both lines wrong to the reader
FAMILIES: dict[str, tuple[str, ...]] = {
    "missing-batch-mean": ("factor", "drop", "count", "rescale", "divide"),
    "extra-batch-mean": ("drop", "factor", "count"),
    "scaled": ("drop", "factor", "ddof", "term-factor", "forward-factor", "chain", "complement", "square", "count",
               "penalty", "root", "rescale", "branch", "literal", "size-product"),
    "sign-flip": ("sign", "negate"),
    "transposed": ("transpose", "swapaxes", "index-order", "flatten", "reshape-order", "subscripts", "layout"),
    "wrong-reduction": ("axis", "sum", "unreduce", "flatten"),
    "wrong-shape": ("shape", "keep-shape", "crop", "axis", "sum", "transpose", "flatten", "bounds", "mirror",
                    "subscripts", "layout", "index-order", "reference", "dilation", "spread"),
    "zero-gradient": ("target", "slot", "keep-gradient", "unread", "accumulate", "product", "view", "bounds",
                      "no-effect", "bias-sum"),
    "dropped-term": ("lost-path", "scatter", "unread", "penalty", "upstream", "accumulate", "chain", "term", "square",
                     "mask", "setting", "reference", "centre", "leak", "view", "bounds", "column", "accumulated",
                     "power", "product-rule", "skip", "coupling", "no-effect", "block-sum", "jacobian",
                     "sibling", "leftover", "gaussian", "second-term", "chain-factor", "margin", "direct-term",
                     "operand-path", "product-operand"),
    "stale-parameters": ("order", "update", "saved"), "mutates-input": ("copy",),
    "couples-samples": ("axis", "drop", "unreduce"),
    "non-finite": ("shift", "stable"),
    "crashed": ("crash", "swapaxes", "setting", "reference", "call", "bounds", "stride", "unpack", "key", "join-axis",
                "index-order"),
    "misrouted": ("mask", "direction", "zeros-start", "window", "unravel", "compare", "sign", "setting", "reference",
                  "negate", "always", "stride", "flip", "subscripts", "crop", "layout", "swap", "cap", "index-order",
                  "literal", "offset", "extremum", "flat-index"),
    "wrong-input": ("setting", "derivative", "reapplied", "reference", "call", "square", "always", "key", "unpack",
                    "keep-input", "keep-output", "kept-local"),
    "missing-mask": ("mask", "cap", "unread"),
    "mismatch": ("square", "derivative", "power", "upstream", "compare", "setting", "reference", "sign", "mask",
                 "negate", "leak", "window", "always", "flip", "stride", "subscripts", "key", "unpack",
                 "column", "swap", "product-rule", "literal", "coupling", "term-factor", "abs-sign", "ddof",
                 "gaussian", "jacobian", "branch", "second-term", "own-output"),
}
#: families whose shape of code is rare and says it all (a subclass that changes only its constructor): named by
#: every bug code, they cost nothing where the code is not so shaped
FAMILIES = {code: (*families, "override") for code, families in FAMILIES.items()}


#: families tried only after the other families the diagnosis names, not in turn with them: a new minus on an operand
#: (it can cancel a sign written wrong elsewhere), and the output kept in forward for backward to read (a line of state
#: added to the class, where an edit of the backward's own line, `np.tanh(self.x)` for `self.x`, is the smaller fix)
LAST_RESORT = frozenset({"negate", "keep-output"})
#: families that add a line of their own where no statement builds the failing gradient yet (`self.dh = dh` before the
#: return): ranked as edits of the statements that build it, which they complete
ADDED_LINES = frozenset({"keep-gradient"})


def candidates(site: Site, report: LayerReport) -> Iterator[tuple[bool, tuple[Edit, ...]]]:
    """Every candidate, most likely first, each a tuple of edits (one candidate changes ≤ 3 lines), with
    whether it is of a family the bug codes point at."""
    families = [f for code in report.bug_codes for f in FAMILIES.get(code, ())]
    if "scaled" in report.bug_codes and measured_constant(measured_factor(report)) is None:
        families.insert(0, "reference")  # scaled by an array, not a number: another cached array in its place
    found: list[tuple[tuple[int, ...], tuple[Edit, ...]]] = []
    building = building_lines(site, report)
    # a term dropped in a loop over time is most often dropped where the gradient carried to the step before is
    # written (`dh, dc = ..., ds` where `ds * f` belongs): those statements first, for the families named, when
    # every gradient failed (every one of them flows through the carried gradient)
    grads = report.failing.gradients if report.failing is not None else ()
    carried = carried_lines(site) if "dropped-term" in report.bug_codes and grads and \
        not any(g.passed for g in grads) else set()
    # a forward whose output is right (no forward bug named) is wrong, if at all, only in what it keeps for
    # backward: an edit of a statement its output depends on would change it, so the statements that feed only
    # the cache come first (a backward inherited from another file reads nothing else of this one)
    feeds_output = set() if set(report.bug_codes) & FORWARD_BUGS else \
        {line for sc in site.scopes if sc.role == "forward" for line in output_lines(sc.node, Text(site.text))}
    if not any(sc.role in ("backward", "loss") for sc in site.scopes):
        building |= {line for sc in site.scopes if sc.role == "forward"
                     for st in _statements(sc.node) if not isinstance(st, ast.If)
                     for line in range(st.lineno, st.end_lineno + 1)} - feeds_output  # type: ignore[operator]
    # samples coupled: a reduction over the batch axis 0 (a softmax's sum, a norm's mean, in a helper as much as in
    # forward) moved off it is looked at first, wherever it is
    batch_axis = "couples-samples" in report.bug_codes
    # the replacements the diagnosis itself names ("1 - prev_h**2 should be 1 - next_h**2") before all others
    named = named_replacements(report)
    # "run it from the last step back, for t in reversed(range(T))": the loop reversed, whatever the user calls T
    backwards = any("reversed(range(" in (g.diagnosis or "") for g in grads)
    source, shared = Text(site.text), shared_lines(site.tree)
    contexts = []
    for order, scope in enumerate(site.scopes):
        ctx = context(site, scope, report)
        contexts.append((scope, ctx))
        for how, cand in _edits_of(scope, ctx):
            family = cand[0].family
            rank = families.index(family) if family in families else len(families)
            # the families the diagnosis names, wherever they are; then the others, the backward's first (an
            # edit of what forward caches can fit a backward bug too, but the bug is where backward is wrong);
            # in each, the statements that build a failing gradient first
            preferred = rank < len(families)
            away = int(cand[0].start[0] not in building or cand[0].start[0] in feeds_output) \
                if family not in ADDED_LINES | FORWARD_FAMILIES else 0
            lead = 0 if named and all(_named(source.between(e.start, e.end), e.new, named) for e in cand) or \
                backwards and family == "direction" else \
                1 if preferred and (cand[0].start[0] in carried or batch_axis and _off_batch_axis(source, cand)) else 2
            lead += 2 * (cand[0].start[0] in shared)  # a base the file's other layers share: the layer's own first
            found.append(((lead, away, 0, rank, how, order) if preferred else (lead, away, 1, order, how, rank),
                          cand))
    # the edits a layer's functions need together: a statistic's axis, a setting's complement
    together = itertools.chain(kept_axis_edits(site), passed_axis_edits(site), complement_together(contexts),
                               uncentred_together(contexts), split_order_edits(site))
    for cand in together:
        rank = families.index(cand[0].family) if cand[0].family in families else len(families)
        found.append(((2, 0, 0, rank, 1, 0) if rank < len(families) else (2, 0, 1, 0, 1, rank), cand))
    found.sort(key=lambda r: r[0])  # stable: statements in file order within a rank
    yield from _distinct(site, found)


def _distinct(site: Site, found: Ranked) -> Iterator[tuple[bool, tuple[Edit, ...]]]:
    """The ranked candidates taking turns, each text once, none touching more than 3 lines."""
    seen: set[str] = set()
    for key, cand in _taking_turns(found):
        text = apply(site.text, cand)
        if text not in seen and text != site.text and _lines_touched(cand) <= 3:
            seen.add(text)
            yield key[2] == 0, cand


Ranked = list[tuple[tuple[int, ...], tuple[Edit, ...]]]


def _taking_turns(found: Ranked) -> Ranked:
    """`found` (sorted) reordered so that the families the diagnosis names take turns: a family with many
    candidates (every reference replaced by every other) must not spend the whole budget before the next one is
    tried; a family of last resort waits until the others are spent (a new minus on an operand would cancel a
    sign written wrong on another line)."""
    turn: dict[tuple[int, int, int], int] = {}
    out = list(found)
    for i, (key, cand) in enumerate(out):
        if key[2] == 0:
            group = (key[0], key[1], key[3])
            turn[group] = turn.get(group, -1) + 1
            last = int(cand[0].family in LAST_RESORT)
            out[i] = ((key[0], key[1], 0, last, turn[group], key[3]), cand)
    return sorted(out, key=lambda r: r[0])


#: how a diagnosis names what was written and what belongs there
_NAMED = (re.compile(r"from (?:the \w+ )?(\w+), where (\w+) belongs"),
          re.compile(r"at (?:the [\w-]+ )?(\w+), where it belongs at (?:the [\w-]+ )?(\w+)"),
          re.compile(r"([\w.]+) where ([\w.]+) belongs"))


def _named(old: str, new: str, named: set[tuple[str, str]]) -> bool:
    """Whether an edit writes what the diagnosis says belongs where it says the wrong one is: the same text, or the
    user's own names for the arrays a kind's reading names (`self.n` for its n; `self.nh` or `h_n` for its hn, the
    same letters in another order)."""
    return (old, new) in named or any(old.split(".")[-1] == a and same_letters(new, b)
                                      for a, b in named if "." not in a and "." not in b)


def named_replacements(report: LayerReport) -> set[tuple[str, str]]:
    """(what is written, what belongs there) as the diagnosis of a failing gradient names them, and each pair of
    names that differ between the formula written and the one that "should be" (`1 - prev_h**2 should be
    1 - next_h**2`: prev_h, next_h)."""
    out: set[tuple[str, str]] = set()
    for g in report.failing.gradients if report.failing is not None else ():
        said = g.diagnosis or ""
        for pattern in _NAMED:
            out.update((a, b) for a, b in pattern.findall(said) if a != b)
        for wrote, right in re.findall(r"(\S[^:;]*?) should be ([^:;]*?)(?:$|[;:.]\s)", said):
            a, b = re.findall(r"[A-Za-z_][\w.]*", wrote), re.findall(r"[A-Za-z_][\w.]*", right)
            if len(a) == len(b):
                out.update((x, y) for x, y in zip(a, b, strict=True) if x != y)
    return out


def output_lines(func: ast.FunctionDef, text: Text) -> set[int]:
    """The lines of `func` (a forward) its returned value depends on, back through the names and attributes it
    reads (`hs[:, t] = self.h`, `self.h = np.tanh(...)`), not those that only keep values for backward."""
    stmts = [st for st in _statements(func) if isinstance(st, (ast.Assign, ast.AugAssign, ast.Return))]

    def names(nodes: Sequence[ast.AST], ctx: type) -> set[str]:
        return {text.of(n) for node in nodes for n in ast.walk(node)
                if isinstance(n, (ast.Name, ast.Attribute)) and isinstance(n.ctx, ctx)}

    def written(st: ast.stmt) -> set[str]:  # `hs[:, t] = ...` writes hs, `self.h = ...` self.h
        out: set[str] = set()
        for target in st.targets if isinstance(st, ast.Assign) else [st.target]:  # type: ignore[attr-defined]
            for t in target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]:
                while isinstance(t, ast.Subscript):
                    t = t.value
                out.add(text.of(t))
        return out

    chosen: list[ast.stmt] = [st for st in stmts if isinstance(st, ast.Return)]
    needed = names(chosen, ast.Load)
    while True:
        more = [st for st in stmts if st not in chosen and written(st) & needed]
        if not more:
            break
        chosen += more
        needed |= names(more, ast.Load)
    return {line for st in chosen for line in range(st.lineno, st.end_lineno + 1)}  # type: ignore[operator]


def carried_lines(site: Site) -> set[int]:
    """The lines, in a loop of the backward, that write a gradient carried from one pass of the loop to the next:
    a gradient name the loop's body reads before it writes it (`dh_t = dhs[:, t] + dh`, then `..., dh = ...`)."""
    out: set[int] = set()
    for scope in site.scopes:
        if scope.role != "backward":
            continue
        for loop in (n for n in ast.walk(scope.node) if isinstance(n, (ast.For, ast.While))):
            body = sorted((st for st in ast.walk(loop) if isinstance(st, (ast.Assign, ast.AugAssign))),
                          key=lambda st: (st.lineno, st.col_offset))
            written: set[str] = set()
            early: set[str] = set()
            writers: dict[str, list[ast.stmt]] = {}
            for st in body:
                targets = st.targets if isinstance(st, ast.Assign) else [st.target]
                names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name) and
                         isinstance(n.ctx, ast.Store)}
                # `dWx += dWx_t` sums over the steps, it carries nothing to the step before: its target is not read
                reads = {n.id for n in ast.walk(st.value) if isinstance(n, ast.Name)}
                early |= {n for n in reads if n not in written and is_gradient(n)}
                written |= names
                for n in names if isinstance(st, ast.Assign) else ():
                    writers.setdefault(n, []).append(st)
            for name in early & set(writers):
                out.update(line for st in writers[name] for line in range(st.lineno, st.end_lineno + 1))  # type: ignore[operator]
    return out


def building_lines(site: Site, report: LayerReport) -> set[int]:
    """The lines of the statements that build a failing gradient: those that write it (`self.dgamma = ...`,
    `grads["W"] = ...`, the `return` for dx) and, back through the names and attributes they read, those that
    compute what they use (a slice of the layer's code by name, over all its functions)."""
    failing = [g.name.lower() for g in (report.failing.gradients if report.failing else ()) if not g.passed]
    text = Text(site.text)
    stmts = [st for sc in site.scopes for st in _statements(sc.node) if not isinstance(st, ast.If)]
    # a class's backward returns dx alone (its parameters' gradients are attributes); a function returns them all
    returns = [st for sc in site.scopes if sc.role in ("backward", "loss") and ("dx" in failing or not sc.in_class)
               for st in _statements(sc.node) if isinstance(st, ast.Return)]

    def writes(st: ast.stmt) -> set[str]:
        targets = st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(st, ast.AugAssign) else []
        return {text.of(n) for t in targets for n in ast.walk(t) if isinstance(n, (ast.Name, ast.Attribute))}

    def reads(st: ast.stmt) -> set[str]:
        return {text.of(n) for n in ast.walk(st) if isinstance(n, (ast.Name, ast.Attribute)) and
                isinstance(n.ctx, ast.Load)}

    def seed(st: ast.stmt) -> bool:
        if isinstance(st, ast.Return):
            return st in returns
        written = " ".join(text.of(t) for t in (st.targets if isinstance(st, ast.Assign) else
                                                 [st.target] if isinstance(st, ast.AugAssign) else [])).lower()
        return any(name in written or name.lstrip("d") and f"d{name.lstrip('d')}" in written for name in failing)

    # the second volume's `for grad, value in zip(self.grads, (dWx, dWh, db)): grad[...] = value`: grads[0] is dWx
    for loop in (n for sc in site.scopes for n in ast.walk(sc.node) if isinstance(n, ast.For)):
        it = loop.iter
        if isinstance(it, ast.Call) and text.of(it.func) == "zip" and len(it.args) == 2 and \
                isinstance(it.args[1], (ast.Tuple, ast.List)) and text.of(it.args[0]).split(".")[-1] == "grads":
            failing += [text.of(v).lower() for i, v in enumerate(it.args[1].elts) if f"grads[{i}]" in failing]
    chosen = [st for st in stmts if seed(st)]
    needed = set().union(*(reads(st) for st in chosen)) if chosen else set()
    grew = True
    while grew:
        more = [st for st in stmts if st not in chosen and writes(st) & needed]
        grew = bool(more)
        chosen += more
        for st in more:
            needed |= reads(st)
    lines = {line for st in chosen for line in range(st.lineno, st.end_lineno + 1)}  # type: ignore[operator]
    # a loop's range says which elements those statements build: its header builds them too; and so does a constant
    # of the module they read (`AXIS = 0`)
    lines |= {c.lineno for c in module_constants(site.tree, site.defs) if c.targets[0].id in needed}  # type: ignore[attr-defined]
    return lines | {loop.lineno for sc in site.scopes for loop in ast.walk(sc.node) if isinstance(loop, ast.For)
                    and any(st in chosen for st in ast.walk(loop))}


_ZERO = re.compile(r"(?<![\w.])0(?![\w.])")


def shared_lines(tree: ast.Module) -> set[int]:
    """The lines of the classes of the file that its other classes inherit (by name): an edit of the learners'
    `Activation.backward` under Tanh and Sigmoid changes them all, so the layer's own code is searched first; so does
    one under Tanh alone (a base written to take the function and its derivative, `super().__init__(np.tanh,
    lambda x: 1 - x ** 2)`, is fixed in the derivative its heir hands it, not by baking tanh into the base)."""
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    heirs: dict[str, int] = {}
    for c in classes:
        for base in c.bases:
            if isinstance(base, ast.Name):
                heirs[base.id] = heirs.get(base.id, 0) + 1
    return {line for c in classes if heirs.get(c.name, 0) >= 1
            for line in range(c.lineno, (c.end_lineno or c.lineno) + 1)}


def _off_batch_axis(source: Text, cand: tuple[Edit, ...]) -> bool:
    """Whether every edit of `cand` moves an axis that names 0 to one that does not (not to every axis)."""
    return all(e.family == "axis" and _ZERO.search(source.between(e.start, e.end)) and e.new.strip() and
               not _ZERO.search(e.new) for e in cand)


def _lines_touched(cand: tuple[Edit, ...]) -> int:
    return len({line for e in cand for line in range(e.start[0], max(e.start[0], e.end[0] - (e.end[1] == 0)) + 1)})


def _edits_of(scope: Scope, ctx: Context) -> Iterator[tuple[int, tuple[Edit, ...]]]:
    """(how generic the edit is, the edit): a change of what the user wrote (0) comes before a statement
    edit (1) and before a wrapper around a whole value (2), which fits more lines than it should."""
    params = {a.arg for a in scope.node.args.args} - {"self"}
    for stmt in _statements(scope.node):
        for e in expression_edits(stmt, ctx):
            yield 0, (e,)
        for cand in cached_edits(stmt, ctx):
            yield 0, cand
        for cand in family_edits(stmt, ctx, scope.node):  # whole kinds of slip, where the code shows their shape
            yield 0, cand
        for cand in statement_edits(stmt, ctx, params):
            yield 1, cand
        for cand in every_occurrence(stmt, ctx):
            yield 1, cand
        if not _binds_batch_size(stmt, ctx):  # `N = dout.shape[0] / N` is a 1 in disguise, not a fix
            for cand in value_edits(stmt, ctx, scope.node):
                yield 2, cand
    for body in _blocks(scope.node):
        for cand in block_edits(body, ctx):
            yield 1, cand
    for cand in every_axis(scope.node, ctx):
        yield 1, cand


def _binds_batch_size(stmt: ast.stmt, ctx: Context) -> bool:
    return isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ctx.batch for t in stmt.targets)


def _statements(func: ast.FunctionDef) -> Iterator[ast.stmt]:
    """The simple statements of `func` and the tests of its `if`s, nested ones included (not nested defs)."""
    for body in _blocks(func):
        for stmt in body:
            if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr, ast.If)):
                yield stmt


def _blocks(func: ast.FunctionDef) -> Iterator[list[ast.stmt]]:
    stack: list[list[ast.stmt]] = [func.body]
    while stack:
        body = stack.pop(0)
        yield body
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, name, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    stack.append(inner)
