"""Checking many layers at once: every layer found in files/folders, or the whole registry.

The result (`Outcome`) is what `gradlab check --json` writes: one entry per layer, the names
skipped, the files that could not be imported. It also keeps the entry behind each report (not
written), so a report can run a failing layer again (`gradlab report PATH`'s step-size curves).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gradlab import __version__
from gradlab.cases.file_layout import same_file_layout
from gradlab.cases.runner import check_entry
from gradlab.cases.used_layers import blame_used_layers
from gradlab.conventions.discover import discover
from gradlab.conventions.registry import Entry, load_reference
from gradlab.core.results import LayerReport
from gradlab.core.tolerances import DEFAULT_EXAMPLES

#: the id of the JSON document `Outcome.to_dict` writes
SCHEMA = "gradlab-check/1"


@dataclass
class Outcome:
    reports: list[LayerReport] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seed: int = 0
    examples: int = DEFAULT_EXAMPLES
    #: the entry each report is about, in the same order as `reports`
    entries: list[Entry] = field(default_factory=list, repr=False)
    #: the layers that could not be run here (`LayerReport.not_run`: a missing dependency, an assertion that
    #: rejected every case), by name; they are in `skipped` too, with that reason, and in no count
    not_run: list[str] = field(default_factory=list)

    def add(self, reports: list[LayerReport], entries: list[Entry]) -> None:
        """Checked layers go to `reports`; those that could not be run here go to `skipped`, with the reason."""
        for report, entry in zip(reports, entries, strict=True):
            if report.not_run is not None:
                self.skipped.append((report.name, report.not_run))
                self.not_run.append(report.name)
            else:
                self.reports.append(report)
                self.entries.append(entry)

    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "warn": 0, "fail": 0}
        for r in self.reports:
            out[r.verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The `gradlab check --json` document (schema `gradlab-check/1`, see `gradlab.schemas`)."""
        return {
            "schema": SCHEMA, "gradlab": __version__, "seed": self.seed, "examples": self.examples,
            "summary": self.counts(),
            "layers": [r.to_dict() for r in self.reports],
            "skipped": [{"name": n, "reason": why} for n, why in self.skipped],
            "errors": list(self.errors),
        }


def chosen(entries: Iterable[Entry], only: list[str] | None = None) -> list[Entry]:
    """The entries `--only` asks for (all of them without it)."""
    return [e for e in entries if not only or e.name in only]


def check_entries(entries: Iterable[Entry], *, examples: int, seed: int, only: list[str] | None = None,
                  progress: bool = False, mode: str = "auto", files: bool = True) -> list[LayerReport]:
    """Each entry's report; with `files`, read with the other layers of its file (a user's files: not the registry,
    whose modules hold variants side by side, each judged alone; `check_paths` reads them with those of the other
    files too)."""
    todo = chosen(entries, only)
    if progress:
        from tqdm import tqdm

        todo = tqdm(todo, desc="checking layers", unit="layer", leave=False, disable=None)  # None: a TTY only
    reports = [check_entry(e, examples=examples, seed=seed, mode=mode) for e in todo]
    if not files:
        return reports
    # a layer that mixed samples on rows, in a file whose other layers take columns, is checked as columns
    return same_file_layout(chosen(entries, only), reports,
                            lambda e: check_entry(e, examples=examples, seed=seed, mode=mode))


def check_paths(paths: list[str | Path], *, examples: int = DEFAULT_EXAMPLES, seed: int = 0,
                only: list[str] | None = None, mode: str = "auto", options: dict[str, str] | None = None,
                progress: bool = False, kinds: Mapping[str, str] | None = None) -> Outcome:
    """Every layer found in `paths`; `options` (e.g. a column layout) apply to all of them; `kinds`
    (name -> kind) says what layers with unusual names compute."""
    outcome = Outcome(seed=seed, examples=examples)
    for found in discover(list(paths), kinds=kinds):
        if found.error:
            outcome.errors.append(found.error)
            continue
        entries = [replace(e, options={**e.options, **options}) for e in found.entries] if options else found.entries
        outcome.add(check_entries(entries, examples=examples, seed=seed, only=only, mode=mode, progress=progress),
                    chosen(entries, only))
        outcome.skipped.extend(found.skipped)
    # a layer that fails through a failing layer it uses (of any file checked) says so
    outcome.reports = blame_used_layers(outcome.entries, outcome.reports)
    return outcome


def check_registry(*, examples: int = DEFAULT_EXAMPLES, seed: int = 0, only: list[str] | None = None,
                   progress: bool = False, mode: str = "auto") -> Outcome:
    outcome = Outcome(seed=seed, examples=examples)
    entries = list(load_reference().values())
    outcome.add(check_entries(entries, examples=examples, seed=seed, only=only, progress=progress, mode=mode,
                              files=False), chosen(entries, only))
    return outcome
