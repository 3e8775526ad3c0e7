"""Assignments: which layers a submission must define, in which convention, worth how many points.

An assignment is a small TOML file (see `gradlab/grading/assignments/classes.toml` for a commented one);
`classes` and `functions` are built in. Every key is validated before any grading starts, and a
bad file gets one error naming the key and saying how to fix it.
Non-goal: grading (that is `gradlab.grading.grader`).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser under its old name
    import tomli as tomllib

from gradlab.grading.limits import Limits
from gradlab.kinds import KINDS, Kind, kind_for_class, kind_for_loss_function, kind_for_stem

BUILTIN = ("classes", "functions", "cs231n-a1", "cs231n-a2", "cs231n-a3", "dlfs", "dlfs2")
_TOP = {"name", "title", "convention", "layout", "weight_layout", "seed", "examples", "limits", "weights", "layers",
        "sandbox", "precision", "hidden_visibility", "show_fix"}
SANDBOXES = ("auto", "bwrap", "process")
PRECISIONS = ("float64",)
#: when a hidden layer's tests appear to students, in Gradescope's words ("hidden": never)
HIDDEN_VISIBILITIES = ("after_published", "after_due_date", "hidden")
_LIMITS = {"timeout": float, "import_timeout": float, "total_timeout": float, "memory_mb": int}
_WEIGHTS = ("forward", "gradient", "structure")
_LAYER = {"name", "points", "kind", "hidden", "file"}


class AssignmentError(Exception):
    """The assignment cannot be used; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class RequiredLayer:
    name: str
    kind: Kind
    points: float
    hidden: bool = False
    #: where a submission that defines the layer in two files keeps the one to grade (e.g. "layers.py")
    file: str | None = None


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    convention: str
    layers: tuple[RequiredLayer, ...]
    seed: int = 0
    examples: int = 12
    limits: Limits = Limits()
    weights: dict[str, float] = field(default_factory=lambda: {"forward": 1.0, "gradient": 2.0, "structure": 1.0})
    source: str = ""
    #: "columns": the layers take samples as columns (x is (features, N)), where that applies (2-D data);
    #: `weight_layout` "out_in" then means W is (out, in), Z = W @ X + b (`gradlab.conventions.layouts`)
    layout: str = "rows"
    weight_layout: str = "in_out"
    #: "bwrap" (the jail), "process" (a plain child) or "auto" (the jail when it works here, else a loud
    #: fallback); see `gradlab.grading.sandbox.jail`
    sandbox: str = "auto"
    #: the precision gradients are graded at: None judges a layer at the precision it computes in (a
    #: float32 layer gets float32's tolerance); "float64" refuses a layer that computes in less
    precision: str | None = None
    #: the Gradescope visibility of a `hidden = true` layer's tests: shown after grades are published
    #: by default, never only when the assignment says "hidden"
    hidden_visibility: str = "after_published"
    #: put the verified fix of a layer that lost points in the student's feedback (issue 19): off by default,
    #: as an instructor decides whether students see the answer
    show_fix: bool = False

    @property
    def max_score(self) -> float:
        return float(sum(layer.points for layer in self.layers))


def _kind_for(name: str, convention: str) -> Kind | None:
    if convention == "class":
        return kind_for_class(name)
    return kind_for_loss_function(name) or kind_for_stem(name)


def _number(where: str, key: str, value: Any, *, integer: bool = False, positive: bool = True) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if ok and positive:
        ok = value > 0
    if not ok:
        what = ("a positive whole number" if integer and positive else "a whole number" if integer
                else "a positive number")
        raise AssignmentError(f"{where}: {key} must be {what}, got {value!r}; "
                              f"write e.g. {key} = {10 if positive else 0}")
    return float(value)


def _unknown(where: str, table: dict[str, Any], known: set[str] | tuple[str, ...], prefix: str = "") -> None:
    for key in table:
        if key not in known:
            raise AssignmentError(f"{where}: unknown key '{prefix}{key}'; the known keys are "
                                  f"{', '.join(sorted(known))} (check the spelling)")


def parse_assignment(data: dict[str, Any], source: str) -> Assignment:
    """An `Assignment` from TOML data already parsed; `source` names the file in error messages."""
    where = source
    _unknown(where, data, _TOP)
    convention = data.get("convention")
    if convention not in ("class", "function"):
        raise AssignmentError(f'{where}: convention must be "class" or "function", got {convention!r}; '
                              'write convention = "class"')
    name, title = _name_and_title(where, data, source)
    seed = int(_number(where, "seed", data.get("seed", 0), integer=True, positive=False))
    examples = int(_number(where, "examples", data.get("examples", 12), integer=True))
    limits = _limit_overrides(where, data)
    weights = _weights(where, data)
    layout, weight_layout = check_layout(where, data.get("layout", "rows"), data.get("weight_layout", "in_out"))
    layers = _required_layers(where, data, convention)
    sandbox, precision = _sandbox_and_precision(where, data)
    hidden_visibility = data.get("hidden_visibility", "after_published")
    if hidden_visibility not in HIDDEN_VISIBILITIES:
        raise AssignmentError(f"{where}: hidden_visibility must be one of {', '.join(map(repr, HIDDEN_VISIBILITIES))}"
                              f', got {hidden_visibility!r}; write hidden_visibility = "after_published"')
    show_fix = data.get("show_fix", False)
    if not isinstance(show_fix, bool):
        raise AssignmentError(f"{where}: show_fix must be true or false, got {show_fix!r}; write show_fix = true to "
                              "show students the verified fix of a layer that lost points")
    # last, so that any error in a single key (the layers' too) is reported before this whole-file one
    if sum(weights.values()) <= 0:
        raise AssignmentError(f"{where}: all weights are 0; give at least one a positive value, e.g. gradient = 2")
    return Assignment(name=name, title=title, convention=convention, layers=tuple(layers), seed=seed,
                      examples=examples, limits=Limits(**limits), weights=weights, source=source, layout=layout,
                      weight_layout=weight_layout, sandbox=sandbox, precision=precision,
                      hidden_visibility=hidden_visibility, show_fix=show_fix)


def _sandbox_and_precision(where: str, data: dict[str, Any]) -> tuple[str, str | None]:
    sandbox = data.get("sandbox", "auto")
    if sandbox not in SANDBOXES:
        raise AssignmentError(f"{where}: sandbox must be one of {', '.join(map(repr, SANDBOXES))}, got {sandbox!r}; "
                              'write sandbox = "auto" (the bubblewrap jail where it works)')
    precision = data.get("precision")
    if precision is not None and precision not in PRECISIONS:
        raise AssignmentError(f'{where}: precision must be "float64" (or left out, to grade each layer at the '
                              f'precision it computes in), got {precision!r}; write precision = "float64"')
    return sandbox, precision


def check_layout(where: str, layout: Any, weight_layout: Any) -> tuple[str, str]:
    """The data layout and the weights' layout, validated (`where` names the file or the option)."""
    from gradlab.conventions.layouts import LAYOUTS, WEIGHT_LAYOUTS

    if layout not in LAYOUTS:
        raise AssignmentError(f"{where}: layout must be one of {', '.join(map(repr, LAYOUTS))}, got {layout!r}; "
                              'write layout = "columns" for samples as columns, x of shape (features, N)')
    if weight_layout not in WEIGHT_LAYOUTS:
        raise AssignmentError(f"{where}: weight_layout must be one of {', '.join(map(repr, WEIGHT_LAYOUTS))}, got "
                              f'{weight_layout!r}; write weight_layout = "out_in" for W of shape (out, in)')
    return layout, weight_layout


def _name_and_title(where: str, data: dict[str, Any], source: str) -> tuple[str, str]:
    """The assignment's name (default: the file's stem) and title (default: the name)."""
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        raise AssignmentError(f'{where}: name must be a non-empty string; write name = "hw2"')
    title = data.get("title", name)
    if not isinstance(title, str):
        raise AssignmentError(f'{where}: title must be a string; write title = "Homework 2"')
    return name, title


def _limit_overrides(where: str, data: dict[str, Any]) -> dict[str, Any]:
    """The `[limits]` keys the file sets, typed, as keyword arguments for `Limits`."""
    limits_table = data.get("limits", {})
    if not isinstance(limits_table, dict):
        raise AssignmentError(f"{where}: limits must be a table; write [limits] then timeout = 10")
    _unknown(where, limits_table, set(_LIMITS), "limits.")
    lim: dict[str, Any] = {}
    for key, typ in _LIMITS.items():
        if key in limits_table:
            lim[key] = typ(_number(where, f"limits.{key}", limits_table[key], integer=typ is int))
    return lim


def _weights(where: str, data: dict[str, Any]) -> dict[str, float]:
    """The score weights: the defaults, overridden by the file's `[weights]` table."""
    weights_table = data.get("weights", {})
    if not isinstance(weights_table, dict):
        raise AssignmentError(f"{where}: weights must be a table; write [weights] then gradient = 2")
    _unknown(where, weights_table, _WEIGHTS, "weights.")
    weights = {"forward": 1.0, "gradient": 2.0, "structure": 1.0}
    for key, value in weights_table.items():
        weights[key] = _number(where, f"weights.{key}", value, positive=False)
        if weights[key] < 0:
            raise AssignmentError(f"{where}: weights.{key} must not be negative; write {key} = 1")
    return weights


def _required_layers(where: str, data: dict[str, Any], convention: str) -> list[RequiredLayer]:
    """The `[[layers]]` tables, each validated, in file order; a name listed twice is an error."""
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise AssignmentError(f'{where}: no layers; add at least one [[layers]] table with name = "Affine" '
                              'and points = 10')
    layers: list[RequiredLayer] = []
    for i, table in enumerate(raw_layers):
        layer = _required_layer(where, f"layers[{i}]", table, convention)
        if any(earlier.name == layer.name for earlier in layers):
            raise AssignmentError(f"{where}: layer {layer.name!r} is listed twice; "
                                  "keep one [[layers]] table per layer")
        layers.append(layer)
    return layers


def _required_layer(where: str, at: str, table: Any, convention: str) -> RequiredLayer:
    """One `[[layers]]` table (`at` names it in errors, e.g. "layers[0]") as a `RequiredLayer`."""
    if not isinstance(table, dict):
        raise AssignmentError(f"{where}: {at} must be a table; write [[layers]] on its own line")
    _unknown(where, table, _LAYER, f"{at}.")
    lname = table.get("name")
    if not isinstance(lname, str) or not lname:
        raise AssignmentError(f'{where}: {at}.name is missing; write name = "Affine" (the class or function name)')
    if "points" not in table:
        raise AssignmentError(f"{where}: {at}.points is missing for {lname!r}; write points = 10")
    points = _number(where, f"{at}.points", table["points"])
    kind = _layer_kind(where, at, table, convention)
    hidden = table.get("hidden", False)
    if not isinstance(hidden, bool):
        raise AssignmentError(f"{where}: {at}.hidden must be true or false, got {hidden!r}")
    file = table.get("file")
    if file is not None and (not isinstance(file, str) or not file):
        raise AssignmentError(f'{where}: {at}.file must be a file name, got {file!r}; write file = "layers.py"')
    return RequiredLayer(lname, kind, points, hidden, file)


def _layer_kind(where: str, at: str, table: dict[str, Any], convention: str) -> Kind:
    """The layer's kind: the table's `kind` key if given, else what its name is known to compute."""
    kind_name = table.get("kind")
    if kind_name is not None:
        if kind_name not in KINDS:
            raise AssignmentError(f"{where}: {at}.kind {kind_name!r} is not a layer kind gradlab knows; "
                                  f"use one of {', '.join(sorted(KINDS))}")
        return KINDS[kind_name]
    lname = table["name"]
    found = _kind_for(lname, convention)
    if found is None:
        raise AssignmentError(f"{where}: gradlab does not know what {at}.name {lname!r} computes; add "
                              f"kind = \"...\" with one of {', '.join(sorted(KINDS))}")
    return found


def builtin_text(name: str) -> str:
    return (resources.files("gradlab.grading") / "assignments" / f"{name}.toml").read_text(encoding="utf-8")


def load_assignment(name_or_path: str | Path) -> Assignment:
    """A built-in assignment by name (`classes`, `functions`) or an instructor's TOML file."""
    text_name = str(name_or_path)
    if text_name in BUILTIN:
        return parse_assignment(tomllib.loads(builtin_text(text_name)), f"built-in assignment {text_name!r}")
    path = Path(name_or_path)
    if not path.exists():
        raise AssignmentError(f"assignment {text_name!r}: no such file, and not a built-in assignment "
                              f"({', '.join(BUILTIN)}); give a TOML file path or a built-in name")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AssignmentError(f"{path}: cannot read the assignment file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
    return parse_assignment(data, str(path))
