"""`gradlab grade SUBMISSION --assignment NAME_OR_TOML`: points per layer, feedback, results.json.

SUBMISSION is a student's .py file, or a folder: a class (every .py file or sub-folder in it is one
student, graded in parallel) or, with `--single`, one student's files. Exit status 0 whenever
grading completed, whatever the score; 2 when it could not run (bad arguments, bad assignment).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from gradlab.cli.common import EXIT_OK, UsageError, exit_statuses, positive_int


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade", help="grade a student's file (or a class folder) against an assignment",
                       description="Grade SUBMISSION against an assignment. Student code runs in a sandboxed "
                                   "child process; the score is computed by the grader alone.",
                       epilog=exit_statuses(ok="grading completed, whatever the score (a failing layer loses "
                                               "points, it is not an error)",
                                            usage="grading could not run: bad arguments, a missing submission, "
                                                  "an assignment that does not load (one line says why)"))
    p.add_argument("submission", metavar="SUBMISSION", nargs="?",
                   help="a .py file or a notebook (.ipynb: its code cells that import, define or assign "
                        "constants), a class folder, or (with --single) one student's folder")
    p.add_argument("--assignment", metavar="NAME_OR_TOML",
                   help="a built-in assignment (see --list-assignments) or an assignment TOML file")
    p.add_argument("--list-assignments", action="store_true",
                   help="list the built-in assignments (name, points, what each grades) and exit")
    p.add_argument("--layout", choices=("rows", "columns"), default=None,
                   help="override the assignment's layout: rows (x is (N, features)) or columns (x is "
                        "(features, N), biases (M, 1)); convolution and pooling stay batch-first")
    p.add_argument("--weights", choices=("in_out", "out_in"), default=None,
                   help="override the assignment's weight_layout: W is (in, out) or (out, in) as in Z = W @ X + b")
    p.add_argument("--sandbox", choices=("auto", "bwrap", "process"), default=None,
                   help="override the assignment's sandbox: bwrap (a bubblewrap jail: own user, pid, network and "
                        "mount namespaces), process (a plain child process, no kernel isolation) or auto (bwrap "
                        "when it works here, else process with a loud warning); default: the assignment's, auto")
    p.add_argument("--results", metavar="PATH", help="write Gradescope's results.json to PATH (one submission)")
    p.add_argument("--feedback", metavar="PATH", help="write the Markdown feedback to PATH (one submission)")
    p.add_argument("--single", action="store_true", help="SUBMISSION is one student's folder, not a class")
    p.add_argument("--out", metavar="DIR", help="class folder: where results, feedback and gradebook.csv go "
                                                "(default: <folder>-grades next to it)")
    p.add_argument("--jobs", type=positive_int, default=None,
                   help="class folder: parallel processes (default: all cores)")
    p.add_argument("--no-progress", action="store_true",
                   help="class folder: no progress bar (one is drawn only when stderr is a terminal)")
    p.set_defaults(run=run)


def _write(path: str, text: str) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".gradlab-tmp")
    # errors="replace": text that cannot be UTF-8 (a lone surrogate) must not cost the whole report
    tmp.write_text(text, encoding="utf-8", errors="replace")
    tmp.replace(out)  # atomic: whatever stood at PATH before (even a forged file) is replaced whole


def run(args: argparse.Namespace) -> int:
    from gradlab.grading.assignment import AssignmentError, load_assignment

    if args.list_assignments:
        return _list_assignments()
    if args.submission is None or args.assignment is None:
        raise UsageError("grade needs a SUBMISSION and --assignment NAME_OR_TOML, e.g. gradlab grade student.py "
                         "--assignment classes (gradlab grade --list-assignments shows the built-in ones)")
    path = Path(args.submission)
    if not path.exists():
        raise UsageError(f"{args.submission}: no such file or folder")
    if path.is_file() and path.suffix not in (".py", ".ipynb"):
        raise UsageError(f"{args.submission}: not a .py file or a notebook; give a student's .py or .ipynb file, "
                         "or a folder")
    try:
        assignment = load_assignment(args.assignment)
    except AssignmentError as exc:
        raise UsageError(str(exc)) from None
    if args.layout is not None or args.weights is not None or args.sandbox is not None:  # the command line wins
        assignment = replace(assignment, layout=args.layout or assignment.layout,
                             weight_layout=args.weights or assignment.weight_layout,
                             sandbox=args.sandbox or assignment.sandbox)
    _check_sandbox(assignment.sandbox)
    if path.is_dir() and not args.single:
        if args.results or args.feedback:
            raise UsageError("a class folder writes one results.json and feedback.md per student under --out DIR; "
                             "use --single to grade the folder as one student's submission")
        _warn_if_one_project(path)
        return _grade_class(path, assignment, args)
    return _grade_one(path, assignment, args)


def _warn_if_one_project(folder: Path) -> None:
    """A course's folder (assignment2/ holding cs231n/, a textbook copy holding common/) given without
    --single is graded as a class whose students are its sub-folders and files: say so, once, on stderr."""
    packages = [p.name for p in sorted(folder.iterdir()) if p.is_dir() and (p / "__init__.py").is_file()]
    if packages:
        print(f"gradlab grade: warning: {folder.name}/{packages[0]}/ is a Python package (it has __init__.py), "
              f"graded as one student of a class folder; to grade {folder.name}/ as one student's submission, "
              "add --single", file=sys.stderr)


def _list_assignments() -> int:
    """One line per built-in assignment: its name, convention, points and the layers it grades."""
    from gradlab.grading.assignment import BUILTIN, load_assignment

    for name in BUILTIN:
        a = load_assignment(name)
        hidden = sum(1 for layer in a.layers if layer.hidden)
        print(f"{name}: {a.title} ({a.convention} style, {len(a.layers)} layers, {a.max_score:g} points"
              f"{f', {hidden} graded by hidden tests' if hidden else ''})", file=sys.stdout)
        print(f"  {', '.join(layer.name for layer in a.layers)}", file=sys.stdout)
    return EXIT_OK


def _check_sandbox(requested: str) -> None:
    """Refuse an explicit jail that cannot run, before any work; say it loudly when auto falls back."""
    from gradlab.grading.sandbox.jail import JailUnavailable, choose

    try:
        _, warning = choose(requested)
    except JailUnavailable as exc:
        raise UsageError(str(exc)) from None
    if warning:
        print(f"gradlab grade: {warning}", file=sys.stderr)


def _grade_one(path: Path, assignment: object, args: argparse.Namespace) -> int:
    from gradlab.grading.feedback import feedback_markdown, results_json
    from gradlab.grading.grader import grade_submission

    # one file graded where it was written brings the local modules it imports
    grade = grade_submission(path, assignment, helpers=not path.is_dir())  # type: ignore[arg-type]
    if args.results:
        _write(args.results, json.dumps(results_json(grade), indent=2))
    if args.feedback:
        _write(args.feedback, feedback_markdown(grade))
    out = sys.stdout
    print(f"{path.name}: {grade.score:g} / {grade.max_score:g} ({grade.execution_time:.1f} s)", file=out)
    for layer in grade.layers:
        codes = f" [{', '.join(layer.bug_codes)}]" if layer.bug_codes else ""
        print(f"  {layer.required.name}: {layer.score:g} / {layer.max_score:g}{codes}", file=out)
        for warning in layer.warnings:  # as `gradlab check` prints them
            print(f"    warning: {warning}", file=out)
    for note in grade.notes:
        print(f"  note: {note.splitlines()[0]}", file=out)
    return EXIT_OK


def _grade_class(path: Path, assignment: object, args: argparse.Namespace) -> int:
    from gradlab.grading.class_folder import grade_folder, submissions

    if not submissions(path):
        raise UsageError(f"{path}: no submissions (.py files or sub-folders with .py files) in this folder")
    out = Path(args.out) if args.out else path.parent / f"{path.name}-grades"
    rows = grade_folder(path, assignment, out, jobs=args.jobs, progress=not args.no_progress)  # type: ignore[arg-type]
    print(f"graded {len(rows)} submission(s); gradebook: {out / 'gradebook.csv'}", file=sys.stdout)
    return EXIT_OK
