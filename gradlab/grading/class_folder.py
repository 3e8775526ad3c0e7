"""Grade a whole class: every submission in a folder, in parallel, with a CSV gradebook.

A submission is a `.py` file (the student is its stem) or a sub-folder (the student is the folder's
name). Each is graded by `gradlab.grading.grader.grade_submission` in a worker process of a
`ProcessPoolExecutor` (one per core); each worker becomes the subreaper of its own sandboxes.
The main process writes `<out>/<student>/results.json` and `feedback.md`, and `<out>/gradebook.csv`
(student, total, then points per layer, in the assignment's order).
Non-goal: grading one submission (that is `gradlab.grading.grader`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradlab.grading.assignment import Assignment


@dataclass(frozen=True)
class ClassRow:
    student: str
    total: float
    per_layer: dict[str, float]
    results: dict[str, Any]
    feedback: str


def submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, path) for every submission in `folder`, sorted by student."""
    out = []
    for p in sorted(Path(folder).iterdir()):
        if p.name.startswith((".", "_")) or p.is_symlink():  # a link could lead anywhere on the grader's disk
            continue
        if p.is_file() and p.suffix in (".py", ".ipynb"):
            out.append((p.stem, p))
        elif p.is_dir() and (any(p.rglob("*.py")) or any(p.rglob("*.ipynb"))):
            out.append((p.name, p))
    return out


#: names the output folder uses itself
_RESERVED = {"gradebook.csv"}


def output_name(student: str) -> str:
    """The student's folder under the output folder: the name itself when it is safe as it is, else a
    safe spelling plus a hash of the real name, so two students never share one (`a b` and `a_b`)."""
    safe = re.sub(r"[^A-Za-z0-9_.@-]+", "_", student).strip(".") or "student"
    if safe == student and safe.lower() not in _RESERVED:
        return safe
    return f"{safe}-{hashlib.sha256(student.encode('utf-8', 'replace')).hexdigest()[:10]}"


def grade_one(student: str, path: Path, assignment: Assignment) -> ClassRow:
    """Grade one student's submission into a row (runs in a worker process)."""
    from gradlab.grading.feedback import feedback_markdown, results_json
    from gradlab.grading.grader import grade_submission

    grade = grade_submission(path, assignment)
    per_layer = {layer.required.name: layer.score for layer in grade.layers}
    return ClassRow(student, grade.score, per_layer, results_json(grade), feedback_markdown(grade))


def _worker_init() -> None:
    from gradlab.grading.sandbox.reaper import subreaper

    subreaper()


def grade_folder(folder: Path, assignment: Assignment, out: Path, *, jobs: int | None = None,
                 progress: bool = True) -> list[ClassRow]:
    """Grade every submission in `folder` on `jobs` processes (default: all cores); write `out`."""
    items = submissions(folder)
    out.mkdir(parents=True, exist_ok=True)
    jobs = max(1, jobs or os.cpu_count() or 1)
    rows: list[ClassRow] = []
    ctx = multiprocessing.get_context("spawn")  # workers start clean, not as copies of this process
    with ProcessPoolExecutor(max_workers=min(jobs, max(1, len(items))), mp_context=ctx,
                             initializer=_worker_init) as pool:
        futures = {pool.submit(grade_one, s, p, assignment): s for s, p in items}
        done = as_completed(futures)
        if progress:
            from tqdm import tqdm

            done = tqdm(done, total=len(futures), desc="grading", unit="submission", disable=None)  # None: a TTY only
        for fut in done:
            row = fut.result()
            rows.append(row)
            folder_out = out / output_name(row.student)
            folder_out.mkdir(parents=True, exist_ok=True)
            _write(folder_out / "results.json", json.dumps(row.results, indent=2))
            _write(folder_out / "feedback.md", row.feedback)
    rows.sort(key=lambda r: r.student)
    write_gradebook(out / "gradebook.csv", rows, assignment)
    return rows


def write_gradebook(path: Path, rows: list[ClassRow], assignment: Assignment) -> None:
    names = [layer.name for layer in assignment.layers]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "total", *names])
        for r in rows:
            w.writerow([r.student, f"{r.total:g}", *(f"{r.per_layer.get(n, 0.0):g}" for n in names)])


def _write(path: Path, text: str) -> None:
    """Write atomically: a reader never sees half a file, and a stale file is replaced whole."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", errors="replace")
    os.replace(tmp, path)
