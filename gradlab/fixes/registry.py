"""The fixes of the registry's failing layers, for its report: searched on two processes, cached between runs.

A full search over the zoo costs about a minute, and the registry report is written often (and checked
byte for byte by a test), so each layer's outcome is kept in the user's cache folder (`$GRADLAB_CACHE`,
else `$XDG_CACHE_HOME/gradlab`, else `~/.cache/gradlab`, as the MNIST download's; never the project's
folder, so `git status` stays clean), under a key made of everything the outcome depends on: the text of the
variant's file, its name, the failing case and codes the check found, gradlab's version and the code of
the search itself, and the search's budget. The search is bounded by candidates, not seconds, so a cached
outcome is the one a fresh search would give on any machine. The registry report keeps each fix's key
next to it (registry.json's `fix_keys`), so the tracked report is a cache of itself: a clean clone writes
it again without searching (`written_fixes`). A fix names its file relative to the project
(`reference/classes.py`), wherever the project sits, so the report's text is the same everywhere.
Non-goal: writing the report (`gradlab.reporting.report`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import gradlab
from gradlab.conventions.registry import Entry, load_reference
from gradlab.core.results import FAIL, FixResult, LayerReport
from gradlab.fixes.search import MAX_CANDIDATES, find_fix

__all__ = ["PROCESSES", "cache_dir", "fix_keys", "fixes_for", "written_fixes"]

#: the processes a cold search runs on (the machines this project is measured on have two cores)
PROCESSES = 2
#: the cache's own folder under the user's gradlab cache; a new layout of its records gets a new name
CACHE_FOLDER = "fixes-v1"


def cache_dir() -> Path:
    """`$GRADLAB_CACHE`, else `$XDG_CACHE_HOME/gradlab`, else `~/.cache/gradlab`; the fixes' folder inside it."""
    if os.environ.get("GRADLAB_CACHE"):
        base = Path(os.environ["GRADLAB_CACHE"]).expanduser()
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "gradlab"
    else:
        base = Path.home() / ".cache" / "gradlab"
    return base / CACHE_FOLDER


def fix_keys(reports: Sequence[LayerReport], *, budget: int | None = None) -> dict[str, str]:
    """{layer name: the key of its fix's outcome} for every failing report of a registry entry: the digest of
    everything a search's outcome depends on, the same on every machine."""
    budget = MAX_CANDIDATES if budget is None else budget
    entries = load_reference()
    return {r.name: _key(entries[r.name], r, budget) for r in _failing(reports, entries)}


def _failing(reports: Sequence[LayerReport], entries: Mapping[str, Entry]) -> list[LayerReport]:
    return [r for r in reports if r.verdict == FAIL and r.name in entries and r.error is None]


def fixes_for(reports: Sequence[LayerReport], *, budget: int | None = None, processes: int = PROCESSES,
              cache: bool = True, known: Mapping[str, FixResult] | None = None) -> dict[str, FixResult]:
    """{layer name: its fix} for every failing report of a registry entry (a buggy variant the check caught,
    or a correct layer that failed): "verified" with its diff, or "none-found". `known`: outcomes already
    written down, by key (`written_fixes`: the tracked registry report's own), used before the user's cache."""
    budget = MAX_CANDIDATES if budget is None else budget
    entries = load_reference()
    failing = _failing(reports, entries)
    keys = {r.name: _key(entries[r.name], r, budget) for r in failing}
    found: dict[str, FixResult] = {}
    missing: list[LayerReport] = []
    for r in failing:
        cached = (known or {}).get(keys[r.name]) or (_read(keys[r.name]) if cache else None)
        if cached is None:
            missing.append(r)
        else:
            found[r.name] = cached
    for r, fix in _search_all(missing, budget, processes):
        found[r.name] = fix
        if cache:  # at once: a run cut short keeps what it found
            _write(keys[r.name], fix)
    return {r.name: found[r.name] for r in failing}


def _search_all(reports: list[LayerReport], budget: int, processes: int) -> Iterator[tuple[LayerReport, FixResult]]:
    """(report, its fix) for each of `reports`, as they are found."""
    if processes <= 1 or len(reports) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from ((r, _search(r, budget)) for r in reports)
        return
    # forked workers share the zoo this process imported; one layer per job, handed out as workers free up (each
    # candidate's memory is bounded by the search itself: gradlab.fixes.memory)
    done: set[int] = set()
    try:
        with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork")) as pool:
            jobs = {pool.submit(_search, r, budget): i for i, r in enumerate(reports)}
            for job in as_completed(jobs):
                fix = job.result()
                done.add(jobs[job])
                yield reports[jobs[job]], fix
    except BrokenProcessPool:  # a worker killed from outside (the machine's memory): the rest here, one by one
        pass
    yield from ((r, _search(r, budget)) for i, r in enumerate(reports) if i not in done)


def _search(report: LayerReport, budget: int) -> FixResult:
    entry = load_reference()[report.name]
    fix = find_fix(entry, report, examples=report.examples, seed=report.seed, budget=budget)
    return _portable(fix or FixResult("none-found", tried=0), entry)


def _portable(fix: FixResult, entry: Entry) -> FixResult:
    """`fix` as the report shows it: its file named relative to the project, its diff's headers too, and none
    of the fields that only `gradlab check --fix` needs."""
    if fix.status != "verified":
        return FixResult(fix.status, tried=fix.tried)
    shown = _project_path(entry)
    lines = fix.diff.splitlines(keepends=True)
    if len(lines) >= 2 and lines[0].startswith("--- ") and lines[1].startswith("+++ "):
        lines[:2] = [f"--- {shown}\n", f"+++ {shown}\n"]
    return FixResult("verified", file=shown, diff="".join(lines), lines=fix.lines, explanation=fix.explanation,
                     tried=fix.tried)


def _project_path(entry: Entry) -> str:
    """`reference/<file>` for a zoo module, wherever the project (or the installed package) sits."""
    import gradlab.reference as pkg

    path = Path(_module_file(entry))
    root = Path(pkg.__file__).resolve().parent
    try:
        return "reference/" + path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.name


def _module_file(entry: Entry) -> str:
    module = sys.modules.get(entry.module)
    return str(getattr(module, "__file__", "") or "")


@functools.lru_cache(maxsize=1)
def _search_code_digest() -> str:
    """The digest of the search's own code: a change to it changes what a search finds, with or without a new
    version number."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _key(entry: Entry, report: LayerReport, budget: int) -> str:
    try:
        text = Path(_module_file(entry)).read_text(encoding="utf-8")
    except OSError:
        text = ""
    failing = report.failing.spec if report.failing is not None else None
    facts = {"gradlab": gradlab.__version__, "search": _search_code_digest(), "budget": budget, "layer": entry.name,
             "source": hashlib.sha256(text.encode("utf-8")).hexdigest(), "codes": list(report.bug_codes),
             "failing": repr(sorted((failing or {}).items())), "examples": report.examples, "seed": report.seed}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def written_fixes(document_path: Path) -> dict[str, FixResult]:
    """{key: outcome} of the fixes a registry report already shows (its registry.json's `fix_keys` and each
    layer's `fix`): the tracked report is a cache of itself, so a clean clone writes it again without
    searching; a variant, a check or a search that changed since has another key and is searched afresh."""
    try:
        document = json.loads(document_path.read_text(encoding="utf-8"))
        keys = document.get("fix_keys") or {}
        fixes = {layer["name"]: layer.get("fix") for layer in document.get("layers", [])}
        return {key: fix for name, key in keys.items() if (fix := _from_record(fixes.get(name))) is not None}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # none yet, or not a report of ours
        return {}


def _from_record(data: Any) -> FixResult | None:
    try:
        if data["status"] not in ("verified", "none-found"):
            return None
        return FixResult(data["status"], file=data.get("file", ""), diff=data.get("diff", ""),
                         lines=tuple(data.get("lines", ())), explanation=data.get("explanation", ""),
                         tried=int(data.get("tried", 0)))
    except (ValueError, KeyError, TypeError):  # missing, or written by a run that was cut short
        return None


def _read(key: str) -> FixResult | None:
    try:
        data = json.loads((cache_dir() / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return _from_record(data)


def _write(key: str, fix: FixResult) -> None:
    record: dict[str, Any] = {**fix.to_dict(), "tried": fix.tried}
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(folder / f"{key}.json")  # atomic: a concurrent reader sees the whole record or none
    except OSError:
        pass  # a read-only home: the report is the same, only the next run is slower
