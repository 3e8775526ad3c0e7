"""What backward returns when one array the forward stored is put in the place of another.

A derivative evaluated at the wrong array is the commonest slip of a backward that reads its forward's cache:
`dx = self.x - t` where the softmax's output `self.y` belongs, `dgamma = sum(dout * xc)` where the normalised
`xn` belongs. Its error is a formula's worth of difference that no value pattern names (it reads as a dropped
term or as nothing). The layer itself can say it, whatever its kind: after the case's forward, the values of
one stored array are replaced by those of another of the same shape, backward runs once, and the values are put
back. If the gradient backward then returns is the true one, backward reads the first where the second belongs.
`gradlab.core.diagnose_where.stored_array_misread` judges the answer.
Which arrays: the floating-point arrays the layer holds after its forward (the user's object's attributes, a
function's cache, and what they hold), except the parameters (a parameter read untransposed is
`gradlab.core.transposed_parameter`'s question) and arrays that alias one another. Each pair costs one forward and
one backward, so the pairs asked are bounded (`MAX_PAIRS`), nearest arrays first.
A layer that lives in another process (the grader's sandbox) holds its arrays there: its
`stored_array_misreads(x, t, G, target, max_pairs, case_arrays)` hook asks that process, which runs
`misread_gradients` (or `case_array_gradients`) on the layer it holds, and only the gradients come back (judged
here, as for a layer in this process).
Non-goals: arrays of other shapes (their substitution would not broadcast the same way), and naming the bug (the
caller decides; this module only measures).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from gradlab.core.evidence import Evidence

__all__ = ["CASE_ARRAYS", "MAX_PAIRS", "Misread", "case_array_gradients", "misread_gradients", "user_names",
           "with_each_stored_array_misread"]

#: at most this many (read, belongs) pairs are asked: each is one forward and one backward of the user's layer
MAX_PAIRS = 60
#: arrays are looked for this deep from the layer (adapter -> user's object or cache -> a tuple -> an array)
MAX_DEPTH = 4
#: at most this many stored arrays of one shape are paired
MAX_ARRAYS = 12


@dataclass(frozen=True)
class Misread:
    """Backward with `read`'s values replaced by `belongs`' values returned `gradient` (in the user's orientation)."""

    read: str
    belongs: str
    gradient: np.ndarray


def with_each_stored_array_misread(ev: Evidence, *, case_arrays: bool = False) -> Iterator[Misread]:
    """For each ordered pair of distinct stored arrays of one shape (see the module docstring): the target's gradient
    from backward, after the case's forward, with the first array's values replaced by the second's. Pairs whose
    backward raises or returns no gradient of the target's shape are left out. The layer is put back after each.
    With `case_arrays`, the second array of each pair is instead the case's input or output (`CASE_ARRAYS`): a
    forward that stored its output where backward's formula needs its input (swish's `cache = (out, s)`) holds no
    copy of the input to put there."""
    if ev.G is None:
        return
    remote = getattr(ev.layer, "stored_array_misreads", None)
    try:
        if callable(remote):  # its arrays are in its own process: substituted there, the gradients judged here
            ev.reset()
            found: Iterator[tuple[str, str, np.ndarray]] = iter(remote(ev.x, ev.t, ev.G, ev.target, MAX_PAIRS,
                                                                       case_arrays))
        elif case_arrays:
            found = case_array_gradients(ev.layer, ev.x, ev.t, ev.G, ev.target, ev.reset)
        else:
            found = misread_gradients(ev.layer, ev.x, ev.t, ev.G, ev.target, ev.reset)
        for read, belongs, g in found:
            if np.shape(g) != ev.arr.shape:
                continue
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    shown = np.asarray(ev.show(np.asarray(g, dtype=np.float64)), dtype=np.float64)
            except Exception:  # a layer that cannot show it leaves the hypothesis untested
                continue
            yield Misread(read, belongs, shown)
    finally:
        ev.reset()
        try:
            ev.layer.forward(ev.x, ev.t)
        except Exception:  # its crash is reported by the step that owns it
            pass


def misread_gradients(layer: Any, x: np.ndarray, t: Any, G: np.ndarray, target: str, reset: Callable[[], None], *,
                      max_pairs: int = MAX_PAIRS) -> Iterator[tuple[str, str, np.ndarray]]:
    """(read, belongs, the target's gradient in gradlab's orientation) for each pair of `layer`'s stored arrays, the
    layer put back by `reset` before each forward; the pairs whose backward raises or returns no gradient are left out.
    What `with_each_stored_array_misread` asks of a layer in this process, and the grader's sandbox of the layer it
    holds."""
    names = _cache_names(getattr(_unwrapped(layer), "bwd", None))
    for read, belongs in _pairs(layer, x, t, reset)[:max_pairs]:
        g = _backward_with(layer, x, t, G, target, reset, read, partial(_follow, path=belongs))
        if g is not None:
            yield _spelled(read, names), _spelled(belongs, names), g


#: how a pair names the case's own arrays when they are put in a stored array's place
CASE_ARRAYS = ("the input x", "the output")


def case_array_gradients(layer: Any, x: np.ndarray, t: Any, G: np.ndarray, target: str,
                         reset: Callable[[], None]) -> Iterator[tuple[str, str, np.ndarray]]:
    """(read, belongs, the target's gradient) with each stored array's values replaced by the case's input x or the
    forward's output (or their transposes, for a user's layout with samples as columns) where the shapes match and
    the values differ; the layer put back by `reset` before each forward."""
    names = _cache_names(getattr(_unwrapped(layer), "bwd", None))
    stored = _stored_after_forward(layer, x, t, reset)
    if not stored:
        return
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            reset()
            y = np.asarray(layer.forward(x, t), dtype=np.float64)
    except Exception:  # no output, no pair with it
        return
    candidates = []
    for said, v in zip(CASE_ARRAYS, (np.asarray(x, dtype=np.float64), y)):
        candidates.append((said, v))
        if v.ndim == 2 and v.shape[0] != v.shape[1]:
            candidates.append((said, v.T))
    asked = 0
    for path, a in stored[:MAX_ARRAYS]:
        for said, v in candidates:
            if v.shape != a.shape or np.allclose(a, v, rtol=1e-6, atol=0) or asked >= MAX_PAIRS:
                continue
            asked += 1
            g = _backward_with(layer, x, t, G, target, reset, path, partial(_constant, value=v))
            if g is not None:
                yield _spelled(path, names), said, g


Path = tuple[Any, ...]

#: the adapters keep the user's object as `obj` (class style) and a function's cache as `cache`: the arrays there are
#: the ones the user's code holds
_USERS = (".obj", ".cache")


def user_names(layer: Any) -> dict[int, str]:
    """How the user's code holds each array its forward kept, by the array's id: a class's attribute as `self.xc`, an
    item of what backward unpacks (`x, w, b = cache`, `x, h_prev, h_next = self.cache`) by the name it unpacks it
    into, else as `cache[1]`, `cache['xc']` or `self.cache[1]` (the first path the walk meets, so the shortest). One
    walk of the layer (`_arrays`) serves this and the substitutions."""
    base = _unwrapped(layer)
    names = _cache_names(getattr(base, "bwd", None))
    unpacked = _attribute_unpacking(getattr(base, "obj", None))
    found: dict[int, str] = {}
    for root in _USERS:  # walked from each: an array the adapter holds too (a parameter) is named as the user holds it
        for inner, a in _arrays(getattr(base, root[1:], None)):
            path = (root, *inner)
            found.setdefault(id(a), unpacked.get(path[1:]) or _spelled(path, names))
    params = getattr(layer, "params", None)
    for k, p in (params.items() if isinstance(params, dict) else ()):
        found.setdefault(id(p), str(k))
    return found


def _attribute_unpacking(obj: Any) -> dict[Path, str]:
    """The names a class's backward unpacks an attribute into (`x, h_prev, h_next = self.cache` gives {('.cache', 0):
    'x', ...}), by the path from the user's object; {} when it has none or its source cannot be read."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(type(obj).backward)))
    except Exception:  # no object, no backward, or no source: the attribute's indices are said instead
        return {}
    found: dict[Path, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute) \
                and isinstance(node.value.value, ast.Name) and node.value.value.id == "self" \
                and len(node.targets) == 1 and isinstance(node.targets[0], (ast.Tuple, ast.List)):
            for i, e in enumerate(node.targets[0].elts):
                if isinstance(e, ast.Name):
                    found.setdefault((f".{node.value.attr}", i), e.id)
    return found


def _pairs(layer: Any, x: np.ndarray, t: Any, reset: Callable[[], None]) -> list[tuple[Path, Path]]:
    stored = _stored_after_forward(layer, x, t, reset)
    if stored is None:
        return []
    by_shape: dict[tuple[int, ...], list[tuple[Path, np.ndarray]]] = {}
    for path, a in stored:
        by_shape.setdefault(a.shape, []).append((path, a))
    pairs = []
    for group in by_shape.values():
        group = group[:MAX_ARRAYS]
        for i, (p, a) in enumerate(group):
            for j, (q, b) in enumerate(group):
                if i != j and not np.allclose(a, b, rtol=1e-6, atol=0):
                    pairs.append((p, q))
    return pairs


def _stored_after_forward(layer: Any, x: np.ndarray, t: Any,
                          reset: Callable[[], None]) -> list[tuple[Path, np.ndarray]] | None:
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            reset()
            layer.forward(x, t)
    except Exception:
        return None
    params = [p for p in layer.params.values() if isinstance(p, np.ndarray)]
    found: list[tuple[Path, np.ndarray]] = []
    for path, a in _arrays(layer):
        if a.size < 2 or not np.issubdtype(a.dtype, np.floating) or not a.flags.writeable:
            continue
        if not np.all(np.isfinite(a)) or any(np.shares_memory(a, p) for p in params):
            continue
        if any(np.shares_memory(a, b) for _, b in found):
            continue
        found.append((path, a))
    return found


def _arrays(root: Any) -> Iterator[tuple[Path, np.ndarray]]:
    """Every array reachable from the layer's adapter, breadth first, by its path of attributes and indices."""
    seen: set[int] = set()
    level: list[tuple[Path, Any]] = [((), root)]
    for _ in range(MAX_DEPTH + 1):
        nxt: list[tuple[Path, Any]] = []
        for path, obj in level:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, np.ndarray):
                yield path, obj
            elif isinstance(obj, (tuple, list)):
                nxt.extend(((*path, i), v) for i, v in enumerate(obj))
            elif isinstance(obj, dict):
                nxt.extend(((*path, k), v) for k, v in obj.items() if isinstance(k, (str, int)))
            elif hasattr(obj, "__dict__") and not isinstance(obj, type) and _users_or_adapter(obj):
                nxt.extend(((*path, f".{k}"), v) for k, v in vars(obj).items())
        level = nxt


def _users_or_adapter(obj: Any) -> bool:
    full = getattr(type(obj), "__module__", "") or ""
    # gradlab's own descriptions the adapter holds (the case it was built for, its kind) are no array the user's
    # forward kept: a function-style adapter's case.x put in the place of a ReLU's cached output reads as wrong-input
    if full.startswith(("gradlab.core.kind", "gradlab.kinds")):
        return False
    # the grader's proxy of a layer in its sandbox (and the sandbox itself) holds copies, never the layer's arrays
    if full.startswith("gradlab.grading"):
        return False
    return full.split(".")[0] not in {"numpy", "builtins", "functools", "collections"}


def _constant(root: Any, value: np.ndarray) -> np.ndarray:
    """`value` itself, whatever the layer holds (one of the case's arrays, put in a stored array's place)."""
    return value


def _follow(root: Any, path: Path) -> Any:
    obj = root
    for step in path:
        obj = getattr(obj, step[1:]) if isinstance(step, str) and step.startswith(".") else obj[step]
    return obj


def _cache_names(backward: Any) -> dict[int, str]:
    """The names a function-style backward unpacks its cache into (`x, w, b = cache` gives {0: 'x', ...}), read
    from its first such statement; {} when it has none or its source cannot be read."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(backward)))
    except Exception:  # no source (a builtin, a lambda in a notebook): the cache's indices are said instead
        return {}
    func = tree.body[0] if tree.body and isinstance(tree.body[0], ast.FunctionDef) else None
    if func is None or len(func.args.args) < 2:
        return {}
    cache = func.args.args[-1].arg
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == cache \
                and len(node.targets) == 1 and isinstance(node.targets[0], (ast.Tuple, ast.List)):
            return {i: e.id for i, e in enumerate(node.targets[0].elts) if isinstance(e, ast.Name)}
    return {}


def _unwrapped(layer: Any) -> Any:
    """The adapter that holds the user's object or cache: a layout's adapter (samples as columns) wraps it as
    `inner`."""
    for _ in range(MAX_DEPTH):
        inner = getattr(layer, "inner", None)
        if inner is None or not hasattr(inner, "forward"):
            break
        layer = inner
    return layer


def _spelled(path: Path, names: dict[int, str]) -> str:
    """The array as the user's code holds it: the user's object's attribute as `self.x`; an item of a function's
    cache by the name its backward unpacks it into (`x_hat`), else as `cache[3]` or `cache['x']`. A layout's
    wrapping adapter (`inner`) is no part of it."""
    steps = list(path)
    while steps and steps[0] == ".inner":
        steps = steps[1:]
    if steps and steps[0] == ".obj":  # the class-style adapter keeps the user's object as `obj`
        steps[0] = "self"
    elif steps and steps[0] == ".cache":
        if len(steps) == 2 and steps[1] in names:
            return names[steps[1]]
        steps[0] = "cache"
    said = ""
    for s in steps:
        if isinstance(s, str) and s.startswith("."):
            said += s
        elif isinstance(s, str) and not said:
            said = s
        else:
            said += f"[{s!r}]"
    return said.lstrip(".") or "the array"


def _backward_with(layer: Any, x: np.ndarray, t: Any, G: np.ndarray, target: str, reset: Callable[[], None],
                   read: Path, belongs: Callable[[Any], Any]) -> np.ndarray | None:
    """The target's gradient from backward after the forward, with the array at `read` holding `belongs(layer)`'s
    values (another stored array, or one of the case's)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            reset()
            layer.forward(x, t)
            a, b = _follow(layer, read), belongs(layer)
            if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape:
                return None
            saved = a.copy()
            try:
                a[...] = b
                dx, grads = layer.backward(G.copy())
            finally:
                a[...] = saved  # the case's own input may be one of them: never left changed
        g = dx if target == "x" else grads.get(target)
        return None if g is None else np.asarray(g, dtype=np.float64)
    except Exception:  # a layer that cannot answer leaves the hypothesis untested
        return None
