"""The search for a verified fix: candidates in order, screened, the survivors checked in full.

A candidate that passes the screen on every gradient is checked in full and, if it passes, is the fix.
The layer's own file is searched first; then each helper module of the user's package the layer calls into.
A candidate that repairs only some gradients (`dW` fixed, `db` still divided by N) is kept, and pairs of
such candidates on different lines, together at most three lines, are tried once the single edits are
spent: a slip repeated on two lines is one bug. The search stops after `budget` candidates (each
screened rebuild counts one), never after a time, so its result is the same on any machine.
Non-goal: writing the fix into a file (`gradlab.fixes.patch`).
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from gradlab.cases.runner import check_entry
from gradlab.conventions.registry import Entry
from gradlab.conventions.unbatched import ONE_ROW_LAYOUT, UNBATCHED, UNBATCHED_LAYOUT
from gradlab.core.results import FAIL, FixResult, LayerReport
from gradlab.core.tolerances import DEFAULT_EXAMPLES
from gradlab.fixes.candidates import candidates
from gradlab.fixes.memory import bounded_memory
from gradlab.fixes.other_strings import other_strings
from gradlab.fixes.rebuild import Edit, apply, changed_lines, overlaps, rebuild, rebuilt_classes
from gradlab.fixes.source import Site, helper_sites, locate
from gradlab.fixes.spans import Text
from gradlab.fixes.verify import (
    FORWARD_BUGS,
    FORWARD_FAMILIES,
    Screen,
    fits_reference,
    forward_outputs,
    forward_specs,
    off_reference,
    passes_check,
    same_forward,
    screen,
    screen_specs,
)

__all__ = ["MAX_CANDIDATES", "find_fix", "with_fixes"]

#: candidates screened per failing layer, at most (the bound of the search: a count, not seconds)
MAX_CANDIDATES = 400
#: candidates that repair part of the gradients, kept for pairing
MAX_PARTIAL = 10
#: the most lines a fix may change
MAX_LINES = 3
#: candidates screened in each helper module of the user's package, beyond MAX_CANDIDATES
HELPER_BUDGET = 100
#: candidates screened with samples as columns, for a layer that crashed in both layouts (`_in_columns`)
COLUMNS_BUDGET = 100


@dataclass
class _Search:
    entry: Entry
    report: LayerReport
    site: Site
    examples: int
    seed: int
    budget: int
    tried: int = 0
    forward_changed: bool = False
    #: whether each base class of another module, and each other activation string of the same functions, passed
    #: as a layer of the kind before any edit
    base_passed: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.specs = screen_specs(self.entry, self.report)
        self.forward_specs = forward_specs(self.entry, self.specs)
        self.before = forward_outputs(self.entry, self.forward_specs)
        self.original = screen(self.entry, self.specs)
        self.forward_bug = bool(set(self.report.bug_codes) & FORWARD_BUGS)
        # every gradient right for the layer's own forward, and the layer failed all the same: the check failed the
        # forward's output law the kind knows (a dropout's kept units scaled by neither convention's keep ratio).
        # A setting's complement taken in forward and backward together (`gradlab.fixes.together`) may then change
        # the forward, and what it must match is that law: the whole check, run again on the edited layer, judges
        # it, not the forward's old outputs. No other edit may change a forward so
        failing = self.report.failing
        self.forward_law = failing is not None and bool(failing.gradients) and \
            all(g.passed for g in failing.gradients) and "crashed" not in self.report.bug_codes
        # a forward off the kind's reference was what the gradients were diagnosed against: the fix is then the
        # forward's, never a backward bent to fit it
        self.off_reference = off_reference(self.entry, self.forward_specs, self.before)

    def attempt(self, cand: tuple[Edit, ...]) -> tuple[str, Screen | None]:
        """("fix", screen) for a verified fix, ("partial", screen) for one that repairs some gradients and
        breaks none, ("no", None) otherwise (also for an edit that would take more memory than a check needs)."""
        self.tried += 1
        try:
            with bounded_memory():
                return self._attempt(cand)
        except MemoryError:
            return "no", None

    def _bases_still_pass(self, cand: tuple[Edit, ...]) -> bool:
        """An edit of a base class in another module is an edit of every class that inherits it: a base that passes
        as a layer of the same kind (TimeRNN under a TimeRNN subclass) must pass after it too."""
        originals = {name: self.site.namespace.get(name) for _, name in self.site.exports}
        bases = {n: c for n, c in originals.items() if isinstance(c, type)}
        if self.site.host is None or not bases:
            return True
        edited = rebuilt_classes(self.site, apply(self.site.defs_text, cand))
        for name, base in bases.items():
            if name not in self.base_passed:
                self.base_passed[name] = self._passes(replace(self.entry, target=base, name=name))
            if self.base_passed[name] and (name not in edited or
                                           not self._passes(replace(self.entry, target=edited[name], name=name))):
                return False
        return True

    def _other_strings_still_pass(self, cand: tuple[Edit, ...]) -> bool:
        """The same functions bound to another activation string (`fixes.other_strings`): each that passed before the
        edit passes after it."""
        for other in other_strings(self.entry):
            if other.name not in self.base_passed:
                self.base_passed[other.name] = self._passes(other)
            if self.base_passed[other.name]:
                edited = rebuild(self.site, other, apply(self.site.defs_text, cand))
                if edited is None or not self._passes(edited):
                    return False
        return True

    def _passes(self, entry: Entry) -> bool:
        try:
            return check_entry(entry, examples=self.examples, seed=self.seed).verdict != FAIL
        except Exception:  # noqa: BLE001 - a base that is no layer of the kind constrains nothing
            return False

    def _attempt(self, cand: tuple[Edit, ...]) -> tuple[str, Screen | None]:
        edited = rebuild(self.site, self.entry, apply(self.site.defs_text, cand))
        if edited is None:
            return "no", None
        try:
            s = screen(edited, self.specs, self.original)
        except Exception:  # noqa: BLE001 - gradlab's own failure on a strange edit: not a fix, the search goes on
            return "no", None
        if s.clean:
            unchanged = self.off_reference is None and same_forward(edited, self.forward_specs, self.before, False)
            if self.off_reference is not None and not fits_reference(edited, self.forward_specs):
                return "no", None
            # an edit whose family fixes a forward by its nature (`ddof=1` dropped) is judged, as a law's complement is,
            # by the whole check run again on the edited layer (its forward compared with the kind's where it can be)
            law = self.forward_law and all(e.family == "complement" for e in cand) or \
                all(e.family in FORWARD_FAMILIES for e in cand)
            if self.off_reference is None and not unchanged and not law and \
                    (not self.forward_bug or not same_forward(edited, self.forward_specs, self.before, True)):
                return "no", None
            if passes_check(edited, self.report, examples=self.examples, seed=self.seed) and \
                    self._bases_still_pass(cand) and self._other_strings_still_pass(cand):
                self.forward_changed = not unchanged
                return "fix", s
            return "no", None
        if s.repairs(self.original) and s.passed >= self.original.passed:
            return "partial", s
        return "no", None


def find_fix(entry: Entry, report: LayerReport, *, examples: int = DEFAULT_EXAMPLES, seed: int = 0,
             budget: int = MAX_CANDIDATES, deadline: float | None = None) -> FixResult | None:
    """The verified fix of a failing layer (None for a passing one): `status` "verified" with the diff,
    or "none-found" with the number of candidates tried.

    `deadline` (a `time.monotonic()` instant) is for the grader only, whose submission has a total time
    budget: past it the search stops and says "not-searched" (no fix rather than a late one); everywhere
    else the search is bounded by `budget` alone, so that its result does not depend on the machine."""
    if report.verdict != FAIL:
        return None
    if report.detected_layout in (UNBATCHED_LAYOUT, ONE_ROW_LAYOUT):  # one sample at a time, found by the check
        samples = UNBATCHED if report.detected_layout == UNBATCHED_LAYOUT else "one"
        entry = replace(entry, options={**entry.options, "samples": samples})
    elif report.detected_layout is not None:  # checked as it runs: samples as columns, found out by the check
        weights = "out_in" if "(out, in)" in report.detected_layout else "in_out"
        entry = replace(entry, options={**entry.options, "layout": "columns", "weights": weights})
    site = locate(entry) if report.failing is not None and report.error is None else None
    if site is None:
        return FixResult("none-found", tried=0)
    search = _Search(entry, report, site, examples, seed, budget)
    # the layer's own file first, with the whole budget (a fix there is the likelier one); then each helper
    # module of the user's package it calls into, with a budget of its own, where the forward may change
    # towards the kind's reference (a softmax in `common/functions.py` is part of the layer's forward)
    limit = budget
    for here in (site, *helper_sites(site)):
        search.site, search.forward_bug = here, search.forward_bug or here.host is not None
        found = _search_in(search, limit, deadline)
        if found is not None:
            return found
        limit = search.tried + HELPER_BUDGET
    in_columns = _in_columns(entry, report, site, examples, seed, deadline)
    tried = search.tried + (in_columns.tried if in_columns is not None else 0)
    if in_columns is not None and in_columns.status == "verified":
        return replace(in_columns, tried=tried)
    return FixResult("none-found", tried=tried, explanation=search.off_reference or "")


def _in_columns(entry: Entry, report: LayerReport, site: Site, examples: int, seed: int,
                deadline: float | None) -> FixResult | None:
    """The fix of a layer that crashed as rows and was not found to run as columns, searched with samples as columns
    (`Z = W @ X + b`, W (out, in) first): a column-style layer whose backward slipped (`dZ @ self.X` for
    `dZ @ self.X.T`) crashes in both layouts, so the check could not say which it is written for. Shown only when the
    edited layer, checked as the user's command checks it (the layout left to the check to find), passes; searched
    with a budget of its own, COLUMNS_BUDGET candidates."""
    if "crashed" not in report.bug_codes or report.detected_layout is not None or "layout" in entry.options:
        return None
    for weights in ("out_in", "in_out"):
        columns = replace(entry, options={**entry.options, "layout": "columns", "weights": weights})
        try:
            checked = check_entry(columns, examples=examples, seed=seed)
        except Exception:  # noqa: BLE001 - a kind with no column layout: nothing to search
            return None
        if checked.verdict != FAIL or checked.failing is None or checked.error is not None:
            continue  # it runs as columns (then it is not this), or it cannot be built so
        search = _Search(columns, checked, site, examples, seed, COLUMNS_BUDGET)
        found = _search_in(search, COLUMNS_BUDGET, deadline)
        if found is None or found.status != "verified" or found.new_text is None:
            return FixResult("none-found", tried=search.tried) if found is None else found
        edited = rebuild(site, entry, found.new_text)
        if edited is not None and check_entry(edited, examples=examples, seed=seed).verdict != FAIL:
            return found
        return FixResult("none-found", tried=search.tried)
    return None


def _search_in(search: _Search, limit: int, deadline: float | None) -> FixResult | None:
    """The fix found in `search.site` before `search.tried` reaches `limit` (or "not-searched" past the deadline),
    else None."""
    site, entry = search.site, search.entry
    partial: list[tuple[tuple[Edit, ...], Screen]] = []
    paired = 0
    # the families the diagnosis points at, then pairs of their partial repairs, then the other families
    # and pairs again: two plain edits (`/ N` removed from dW and from db) before one odd edit that happens
    # to fit both
    ordered = _forward_first(site, search.report) if search.off_reference is not None else \
        candidates(site, search.report)
    for preferred, cand in itertools.chain(ordered, [(False, ())]):
        if not preferred and paired < len(partial) or not cand:
            for pair in _pairs(partial, search.original, paired):
                if search.tried >= limit:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    return FixResult("not-searched", tried=search.tried)
                if search.attempt(pair)[0] == "fix":
                    return _verified(site, entry, pair, search)
            paired = len(partial)
        if not cand or search.tried >= limit:
            break
        if deadline is not None and time.monotonic() > deadline:
            return FixResult("not-searched", tried=search.tried)
        verdict, s = search.attempt(cand)
        if verdict == "fix":
            return _verified(site, entry, cand, search)
        if verdict == "partial" and s is not None and len(partial) < MAX_PARTIAL:
            # the same change repairing another gradient on another line (`, keepdims=True` lost from dgamma and from
            # dbeta) is one slip made twice: the pair is tried at once, not after every family the diagnosis names
            for twin in _twins(partial, cand, s, search.original, Text(site.text)):
                if search.tried >= limit:
                    break
                if search.attempt(twin)[0] == "fix":
                    return _verified(site, entry, twin, search)
            partial.append((cand, s))
    return None


def _twins(partial: list[tuple[tuple[Edit, ...], Screen]], cand: tuple[Edit, ...], s: Screen, original: Screen,
           text: Text) -> Iterator[tuple[Edit, ...]]:
    """`cand` with each earlier partial repair that makes the same change (the same text taken out and put in, once
    the text both sides keep is set aside) to another gradient on another line."""
    if len(cand) != 1:
        return
    change = _change(text, cand[0])
    for other, so in partial:
        if len(other) == 1 and so.repairs(original) != s.repairs(original) and not overlaps(other[0], cand[0]) and \
                _change(text, other[0]) == change:
            yield (*other, *cand)


def _change(text: Text, e: Edit) -> tuple[str, str]:
    """What an edit takes out and puts in, without the text at either end that it keeps."""
    try:
        old, new = text.between(e.start, e.end), e.new
    except IndexError:  # an edit ending past the text's last line (a statement added at the end): its own change
        return f"\0{e.start}{e.end}", e.new
    head = len(os.path.commonprefix([old, new]))
    old, new = old[head:], new[head:]
    tail = len(os.path.commonprefix([old[::-1], new[::-1]]))
    return old[:len(old) - tail], new[:len(new) - tail]


def _forward_first(site: Site, report: LayerReport) -> Iterator[tuple[bool, tuple[Edit, ...]]]:
    """The candidates, those that edit something besides the backward first: a loss whose forward is off the kind's
    reference is fixed only by an edit that brings its forward there (a `/ batch_size` its helper lost), which no
    edit of the backward alone can do, however high the diagnosis ranks it."""
    back = {line for sc in site.scopes if sc.role == "backward"
            for line in range(sc.node.lineno, (sc.node.end_lineno or sc.node.lineno) + 1)}
    yield from ((p, c) for p, c in candidates(site, report) if not all(e.start[0] in back for e in c))
    yield from ((p, c) for p, c in candidates(site, report) if all(e.start[0] in back for e in c))


def with_fixes(reports: list[LayerReport], entries: list[Entry], *, examples: int = DEFAULT_EXAMPLES, seed: int = 0,
               budget: int = MAX_CANDIDATES) -> list[LayerReport]:
    """`reports` (of `entries`, in the same order) with the fix of every failing one searched."""
    return [replace(r, fix=_searched(e, r, examples, seed, budget)) if r.verdict == FAIL else r
            for r, e in zip(reports, entries, strict=True)]


def _searched(entry: Entry, report: LayerReport, examples: int, seed: int, budget: int) -> FixResult | None:
    """`find_fix`, where an error of the search's own (gradlab's, not the user's code: the candidates run inside
    the check, which catches those) costs the layer its fix only, never the verdict or the other layers' reports."""
    try:
        return find_fix(entry, report, examples=examples, seed=seed, budget=budget)
    except Exception as exc:  # noqa: BLE001 - any fault of the search: the diagnosis already stands
        return FixResult("none-found", tried=0, explanation=(
            f"no fix searched: the fix search stopped on an error of gradlab's own ({type(exc).__name__}: "
            f"{str(exc)[:120]}); the verdict and diagnosis above stand (please report it with this file)"))


def _pairs(partial: list[tuple[tuple[Edit, ...], Screen]], original: Screen, done: int) -> Iterator[tuple[Edit, ...]]:
    """Two partial repairs of different gradients, on different lines, at most MAX_LINES lines together (the
    pairs among the first `done` were tried already)."""
    for (_, (a, sa)), (j, (b, sb)) in itertools.combinations(enumerate(partial), 2):
        if j < done:
            continue
        if sa.repairs(original) == sb.repairs(original):
            continue
        if any(overlaps(x, y) for x in a for y in b):
            continue
        lines = {line for e in (*a, *b) for line in range(e.start[0], e.end[0] + 1)}
        if len(lines) <= MAX_LINES:
            yield (*a, *b)


def _unified(a: list[str], b: list[str], shown: str) -> Iterator[str]:
    """`difflib.unified_diff(a, b, n=1)` without its junk heuristic: in a file of over 200 lines its matcher takes
    frequent lines (a blank one, a `def backward(self, dout):`) for junk and shows them removed and added again
    around an inserted line, a diff of more lines than the edit changed."""
    yield f"--- {shown}\n"
    yield f"+++ {shown}\n"
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(1):
        first, last = group[0], group[-1]
        yield f"@@ -{_span(first[1], last[2])} +{_span(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            yield from ("-" + line for line in a[i1:i2])
            yield from ("+" + line for line in b[j1:j2])


def _span(start: int, stop: int) -> str:
    """A unified diff's range, as difflib writes it."""
    length = stop - start
    return f"{start + 1}" if length == 1 else f"{start},{length}" if length == 0 else f"{start + 1},{length}"


def _verified(site: Site, entry: Entry, cand: tuple[Edit, ...], search: _Search) -> FixResult:
    new = apply(site.text, cand)
    shown = _shown_path(str(site.path))
    diff = "".join(_marked(line) for line in _unified(
        site.text.splitlines(keepends=True), new.splitlines(keepends=True), shown))
    whys = list(dict.fromkeys(e.why for e in cand))
    outcome = "its forward now matches the reference layer" if search.forward_changed else "its forward is unchanged"
    explanation = f"{'; '.join(whys)}: with it, every gradient of {entry.name} passes and {outcome}"
    return FixResult("verified", file=shown, diff=diff, lines=tuple(changed_lines(site.text, new)),
                     explanation=explanation, tried=search.tried, new_text=new,
                     old_digest=hashlib.sha256(site.text.encode("utf-8")).hexdigest(), path=str(site.path))


def shown_diff(path: str, old: str, new: str) -> tuple[str, str]:
    """(`path` as the user would name it, the diff from `old` to `new` as `patch` reads it): a fix verified by a
    search of its own (a whole model's, `gradlab.fixes.models`) is shown as a layer's is."""
    shown = _shown_path(path)
    lines = _unified(old.splitlines(keepends=True), new.splitlines(keepends=True), shown)
    return shown, "".join(_marked(line) for line in lines)


def _marked(line: str) -> str:
    """A diff line as `patch` reads it: a last line without its newline is followed by the marker that says so."""
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def _shown_path(path: str) -> str:
    """The file as the user would name it: relative to where gradlab runs when it is below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if rel.startswith("..") else rel
