"""`gradlab check [PATH...]`: a verdict per layer found in files/folders, or in the registry."""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gradlab.cli.common import EXIT_FAIL, EXIT_OK, UsageError, exit_statuses, non_negative_int, positive_int
from gradlab.core.tolerances import DEFAULT_EXAMPLES

if TYPE_CHECKING:
    from gradlab.cases.check_many import Outcome
    from gradlab.core.results import LayerReport
    from gradlab.functions.report import FunctionReport
    from gradlab.models.report import ModelReport

MODES = ("auto", "full", "fast")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check every layer in files/folders (or the reference registry)",
                       description="Check the backward pass of every layer gradlab recognises in PATH "
                                   "(files or folders), or of the reference registry when no PATH is given.",
                       epilog=exit_statuses(ok="every layer passed (warnings allowed)",
                                            fail="a layer failed, a file did not import, or no layer was recognised or "
                                                 "could be run"))
    p.add_argument("paths", nargs="*", metavar="PATH", help="Python files or folders (default: the registry)")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE")
    p.add_argument("--examples", type=positive_int, default=DEFAULT_EXAMPLES,
                   help=f"hypothesis cases per layer (default {DEFAULT_EXAMPLES})")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed for hypothesis and the data (default 0)")
    add_selection_options(p)
    p.add_argument("--fix", action="store_true",
                   help="write the verified fix of each failing layer into its file (a file changed since it was "
                        "checked is not touched); nothing is written without it")
    p.add_argument("--no-fix-search", action="store_true",
                   help="do not search for a verified fix of a failing layer (the JSON's fix is then not-searched)")
    p.add_argument("-v", "--verbose", action="store_true", help="show the report of passing layers too")
    p.set_defaults(run=run)


def add_selection_options(p: argparse.ArgumentParser) -> None:
    """--only, --mode, --layout and --weights: which layers, how they are checked (check and report)."""
    p.add_argument("--only", metavar="NAME", action="append",
                   help="check only the layers with this name (any case; repeat for several)")
    p.add_argument("--mode", choices=MODES, default=None,
                   help="full: every element by finite differences; fast: random projections first, element-wise "
                        "only on failure; auto (default): fast for arrays over 512 elements")
    p.add_argument("--layout", choices=("rows", "columns"), default=None,
                   help="rows (default): x is (N, features); columns: x is (features, N), biases (M, 1)")
    p.add_argument("--weights", choices=("in_out", "out_in"), default=None,
                   help="with --layout columns: W is (in, out) (default) or (out, in) as in Z = W @ X + b")
    p.add_argument("--kind", metavar="NAME=KIND", action="append", type=name_and_kind, default=None,
                   help="say what a layer with an unusual name computes: KIND is one of the kinds in the README's "
                        "names table (repeat for several; a '# gradlab: kind=KIND' comment above the class does the "
                        "same)")


def run(args: argparse.Namespace) -> int:
    from gradlab.core.messages import explain, float32_note, summary_line, worst_error
    from gradlab.models.report import ModelReport

    if getattr(args, "fix", False) and (not args.paths or args.no_fix_search):
        raise UsageError("--fix writes into your own files: give a PATH, and do not turn the search off "
                         "(--no-fix-search)")
    with contextlib.redirect_stdout(sys.stderr):  # what the user's layers print must not mix into the verdicts
        outcome = checked(args)
        searched(args, outcome)
        models = searched_models(args, checked_models(args, outcome))
    # a model this machine cannot run (a missing module or extension) is skipped, as such a layer is
    not_run = [(m.name, m.not_run) for m in models if m.not_run]
    outcome.skipped += not_run
    outcome.not_run += [name for name, _ in not_run]
    models = [m for m in models if not m.not_run]
    notes = [] if models else nothing_recognised_notes(outcome, args.paths, args.only)
    if args.json:  # written before anything is printed: a closed stdout (`| head -1`) cannot lose it
        Path(args.json).write_text(json.dumps({**with_models(outcome.to_dict(), models), "notes": notes}, indent=2))
    out = sys.stdout
    for err in outcome.errors:
        print(f"ERROR {err}", file=out)
    for report in outcome.reports:
        if report.verdict == "fail" or args.verbose:
            where = " ".join(shlex.quote(p) for p in args.paths)
            again = f"repeat: gradlab check {where + ' ' if where else ''}--only {shlex.quote(report.name)} " \
                    f"--seed {args.seed} --examples {args.examples}" + _layout_flags(args)
            print(explain(report, reproduce=again), file=out)
            for line in fix_lines(report, where, args):
                print(line, file=out)
        else:
            print(f"{summary_line(report)}: relative error {worst_error(report)}", file=out)
            for w in report.warnings:
                print(f"  warning: {w.message}", file=out)
        single = [name for name, g in report.worst.items() if g.precision == "float32"]
        if single:  # a float32 layer is labelled so (DECISIONS.md), passing or not; the grader says the same
            print(f"  precision: {float32_note(single)}", file=out)
    for model in models:
        print(model_text(model, args), file=out)
    for name, why in outcome.skipped:
        print(f"SKIP {name}: {why}", file=out)
    if getattr(args, "fix", False):
        from gradlab.fixes import apply_fixes

        fixed = [(r.name, r.fix) for r in outcome.reports if r.fix is not None]
        for line in apply_fixes(fixed + [(m.name, m.fix) for m in models if isinstance(m, ModelReport) and m.fix]):
            print(line, file=out)
    for note in notes:
        print(note, file=out)
    if notes:  # nothing recognised
        return EXIT_FAIL
    counts = outcome.counts()
    for model in models:
        counts[model.verdict] += 1
    print(f"{counts['pass']} passed, {counts['warn']} warned, {counts['fail']} failed, "
          f"{len(outcome.skipped)} skipped, {len(outcome.errors)} file error(s)", file=out)
    return EXIT_FAIL if counts["fail"] or outcome.errors else EXIT_OK


def searched(args: argparse.Namespace, outcome: Outcome) -> None:
    """The verified fix of every failing layer of the user's files, searched unless turned off (the registry's
    buggy layers are there on purpose: `gradlab report` shows their fixes)."""
    if not args.paths or getattr(args, "no_fix_search", True):
        return
    from gradlab.conventions.notebooks import in_notebook
    from gradlab.fixes import with_fixes

    outcome.reports = with_fixes(outcome.reports, outcome.entries, examples=args.examples, seed=args.seed)
    # a fix found in a notebook's cells is said (and written) of the notebook
    outcome.reports = [replace(r, fix=in_notebook(r.fix)) if r.fix is not None else r for r in outcome.reports]


def searched_models(args: argparse.Namespace, models: list[ModelReport | FunctionReport]
                    ) -> list[ModelReport | FunctionReport]:
    """`models` with the verified fix of every failing whole model of the user's files searched (a layer's search, on
    the model's own methods: `gradlab.fixes.models`), unless turned off."""
    if not args.paths or getattr(args, "no_fix_search", True):
        return models
    from gradlab.conventions.notebooks import in_notebook
    from gradlab.core.results import FixResult
    from gradlab.fixes.models import find_model_fix
    from gradlab.models.fix_judge import judge_of
    from gradlab.models.report import ModelReport

    out: list[ModelReport | FunctionReport] = []
    for m in models:
        judge = judge_of(m) if isinstance(m, ModelReport) else None
        if judge is None or not isinstance(m, ModelReport) or m.model is None:
            out.append(m)
            continue
        try:
            fix = find_model_fix(m.model, judge)
        except Exception as exc:  # noqa: BLE001 - a fault of the search's own: the verdict and diagnosis stand
            fix = FixResult("none-found", tried=0, explanation=(
                f"no fix searched: the fix search stopped on an error of gradlab's own ({type(exc).__name__}: "
                f"{str(exc)[:120]}); the verdict and diagnosis above stand (please report it with this file)"))
        out.append(replace(m, fix=in_notebook(fix)))  # a model found in a notebook's cells: its fix said of them
    return out


def model_text(model: ModelReport | FunctionReport, args: argparse.Namespace) -> str:
    """What is printed of a model: its summary, or its report and, as under a failing layer, its fix."""
    from gradlab.fixes import describe
    from gradlab.models.report import ModelReport

    if model.verdict != "fail" and not args.verbose:
        return model.summary()
    if model.verdict != "fail" or not isinstance(model, ModelReport):
        return model.explain()
    where = " ".join(shlex.quote(p) for p in args.paths)
    hint = f"gradlab check {where} --only {shlex.quote(model.name)} --fix"
    return "\n".join([model.explain(), *describe(model.fix, model.name, None if getattr(args, "fix", False) else hint)])


def fix_lines(report: LayerReport, where: str, args: argparse.Namespace) -> list[str]:
    """What is printed under a failing layer about its fix: the verified diff and how to apply it."""
    from gradlab.fixes import describe

    hint = f"gradlab check {where} --only {shlex.quote(report.name)} --fix" + _layout_flags(args)
    return describe(report.fix, report.name, None if getattr(args, "fix", False) else hint)


#: what layer discovery says of a class with forward/backward of no name it knows
UNKNOWN = "not a layer name gradlab knows"
#: cases per model in `gradlab check` (each a fresh build with other sizes; at most --examples)
MODEL_CASES = 3


def checked_models(args: argparse.Namespace, outcome: Outcome) -> list[ModelReport | FunctionReport]:
    """The models (CS231n, textbook, Nielsen style) defined in the files of `args.paths`, checked; and the
    forward/backward pairs of no kind whose shapes are known (`gradlab.functions.generic_layers`), whose
    "not a layer name gradlab knows" skips they replace in `outcome`."""
    if not args.paths:
        return []
    from gradlab.conventions.discover import NOT_IMPORTED
    from gradlab.functions.generic_layers import check_generic_pairs
    from gradlab.kinds import kind_for_stem
    from gradlab.models.deep_functions import FUNCTIONS, MODEL_NAME
    from gradlab.models.discover import check_model_files, modules_in, parts_of_models

    cases = min(args.examples, MODEL_CASES)
    errors: list[tuple[str, str]] = []
    slow: list[tuple[str, str]] = []
    modules = modules_in(args.paths, errors=errors, skipped=slow)
    # a model file that does not import is a file error, said once: the layer check did not import it if it
    # defines no layer (then it is listed as "defines no layer; not imported", which the reason replaces)
    said = {f for f, why in outcome.skipped if why != NOT_IMPORTED}
    said |= {f for f, _ in [*errors, *slow] if any(e.startswith(f) for e in outcome.errors)}
    outcome.errors += [why for f, why in errors if f not in said]
    late = {f for f, _ in [*errors, *slow] if f not in said}
    outcome.skipped = [s for s in outcome.skipped if s[0] not in late] + [s for s in slow if s[0] in late]
    found: list[ModelReport | FunctionReport] = []
    found += check_model_files(args.paths, examples=cases, seed=args.seed, only=args.only, modules=modules)
    imported = {str(f) for f, _ in modules}  # read for models: not "defines no layer; not imported" any more
    # a model class has a loss method, so layer discovery lists it as an unknown loss object: it is checked here
    classes = {m.name.split("(", 1)[0] for m in found}
    outcome.skipped = [s for s in outcome.skipped if s[0] not in imported and s[0] not in classes]
    if MODEL_NAME in classes:  # deeplearning.ai's L_model_backward has no L_model_backward layer's forward: it is
        outcome.skipped = [s for s in outcome.skipped if s[0] not in FUNCTIONS]  # checked in the model
    # the parts of the second volume's whole models (an Encoder, a BaseModel) are checked inside them: said so
    parts = parts_of_models(modules, {m.name for m in found if not m.not_run and not m.error})
    inside = {n: "them as whole models" if ", " in models else "it as a whole model" for n, models in parts.items()}
    outcome.skipped = [(n, f"a part of {parts[n]}, checked inside {inside[n]} (a class with forward/backward, but "
                           "not a layer name gradlab knows)" if n in parts and UNKNOWN in why else why)
                       for n, why in outcome.skipped]
    for f, module in modules:
        generic, skipped = check_generic_pairs(module, lambda stem: kind_for_stem(stem) is not None, examples=cases,
                                               seed=args.seed, source=str(f))
        found += [g for g in generic if not args.only or g.name in AnyCase(args.only)]
        handled = {g.name for g in generic} | {name for name, _ in skipped}
        outcome.skipped = [s for s in outcome.skipped if s[0] not in handled] + skipped
    return found


def with_models(document: dict[str, object], models: list[ModelReport | FunctionReport]) -> dict[str, object]:
    """The `gradlab check --json` document with the models as entries of `layers` (`"kind": "model"`)."""
    if not models:
        return document
    summary = dict(document["summary"])  # type: ignore[call-overload]
    for m in models:
        summary[m.verdict] += 1
    return {**document, "summary": summary, "layers": [*document["layers"], *(_entry(m) for m in models)]}  # type: ignore[misc]


def _entry(m: ModelReport | FunctionReport) -> dict[str, object]:
    """A model's JSON entry with its `fix`, as a layer's: null for a passing model, else the fix or why there is none
    (the registry report's model entries are written without it)."""
    from gradlab.core.results import NOT_SEARCHED
    from gradlab.models.report import ModelReport

    if not isinstance(m, ModelReport):
        return m.to_dict()
    return {**m.to_dict(), "fix": None if m.verdict != "fail" else (m.fix or NOT_SEARCHED).to_dict()}


def _layout_flags(args: argparse.Namespace) -> str:
    """` --layout columns --weights out_in` when given: the repeat command must check the same way."""
    kinds = "".join(f" --kind {shlex.quote(f'{n}={k}')}" for n, k in getattr(args, "kind", None) or [])
    if getattr(args, "layout", None) != "columns":
        return kinds
    return " --layout columns" + (f" --weights {args.weights}" if getattr(args, "weights", None) else "") + kinds


def name_and_kind(text: str) -> tuple[str, str]:
    """`NAME=KIND` -> (NAME, KIND); an unknown kind names the known ones."""
    from gradlab.kinds import KINDS

    name, sep, kind = text.partition("=")
    if not sep or not name.strip() or not kind.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write NAME=KIND, e.g. MyDense={min(KINDS)}")
    if kind.strip() not in KINDS:
        raise argparse.ArgumentTypeError(f"{kind.strip()!r} is not a layer kind gradlab knows; use one of: "
                                         f"{', '.join(sorted(KINDS))}")
    return name.strip(), kind.strip()


class AnyCase(list[str]):
    """The `--only` names; `name in` them ignores case (`--only Conv_Fast` finds `conv_fast`)."""

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in {n.casefold() for n in self}


def checked(args: argparse.Namespace, *, progress: bool = False) -> Outcome:
    """The layers `args` select, checked: those in `args.paths`, or the registry's without a PATH."""
    from gradlab.cases.check_many import check_paths, check_registry
    from gradlab.conventions.discover import layout_options

    options = layout_options(args.layout, args.weights or "in_out")
    if options.get("layout") == "columns" and not args.paths:
        raise UsageError("--layout columns applies to your own files: give a PATH")
    kinds = dict(getattr(args, "kind", None) or [])
    if kinds and not args.paths:
        raise UsageError("--kind applies to your own files: give a PATH")
    only = AnyCase(args.only) if args.only else None
    mode = args.mode or "auto"
    if args.paths:
        return check_paths(args.paths, examples=args.examples, seed=args.seed, only=only, mode=mode, options=options,
                           progress=progress, kinds=kinds)
    return check_registry(examples=args.examples, seed=args.seed, only=only, mode=mode, progress=progress)


def nothing_recognised_notes(outcome: Outcome, paths: list[str], only: list[str] | None) -> list[str]:
    """The document's `notes`: why nothing was checked, when nothing was (the exit status is then 1)."""
    if outcome.reports or outcome.errors:
        return []
    if outcome.not_run:
        names = ", ".join(outcome.not_run)
        why = dict(outcome.skipped)  # the names discovery set aside are in it too: only those not run count
        if all(why.get(name, "").startswith("not implemented yet") for name in outcome.not_run):
            # a course's untouched template: nothing is wrong with this machine, there is nothing to check yet
            return [f"nothing to check yet: {names} not implemented yet (write it, then check again)"]
        return [f"no layer could be checked on this machine: {names} could not be run (see the SKIP lines for why)"]
    return [_nothing_recognised(paths, only)]


def _nothing_recognised(paths: list[str], only: list[str] | None) -> str:
    """Why nothing was checked, in one sentence (printed, and the JSON document's `notes`)."""
    from gradlab.kinds import KINDS

    stems = sorted({n for k in KINDS.values() for n in k.function_stems})
    losses = sorted({n for k in KINDS.values() for n in k.loss_functions})
    asked = f" named {', '.join(only)} (--only)" if only else ""
    return (f"no layers{asked} recognised in {' '.join(paths) or 'the registry'}: gradlab looks for classes such as "
            f"Affine, Relu, SoftmaxWithLoss, functions <stem>_forward/<stem>_backward with a stem among "
            f"{', '.join(stems)}, and the loss functions {', '.join(losses)}")
