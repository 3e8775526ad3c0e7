"""What an edit of one function of a layer may use, read off the layer's own code: its names for the batch size,
the arrays it keeps and receives, its masks and settings, what forward cached, and the factor measured.
Non-goal: the edits themselves (`gradlab.fixes.candidates` and the modules it draws on).
"""

from __future__ import annotations

import ast
import re
from types import ModuleType

import numpy as np

from gradlab.core.results import GradientResult, LayerReport
from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.source import Scope, Site
from gradlab.fixes.spans import Text
from gradlab.fixes.sums import missing_axes

__all__ = ["BATCH_NAMES", "context", "crashes_in", "measured_factor"]

#: the references of one function an edit may use (its own names, and the attributes its class keeps)
MAX_REFS = 24
#: names a batch size goes by in course code
BATCH_NAMES = ("N", "n", "m", "batch_size", "num_train", "num_examples", "n_samples", "batch")
#: the name of a helper that computes a derivative, not the function
_DERIVATIVE = re.compile(r"prime|deriv|grad|backward|^d[_a-z]", re.I)
#: one-argument calls of a forward that are not the function it computes
_NOT_FUNCTIONS = {"sum", "mean", "max", "min", "zeros_like", "zeros", "ones", "ones_like", "copy", "reshape", "array",
                  "asarray", "len", "range", "float", "int", "abs", "shape", "empty", "empty_like", "print"}


def context(site: Site, scope: Scope, report: LayerReport) -> Context:
    """What an edit of `scope` may use, read off the layer's own code."""
    text = Text(site.text)
    numpy = next((n for n, v in site.namespace.items() if isinstance(v, ModuleType) and v is np), "np")
    here = [scope.node] if not scope.in_class else [s.node for s in site.scopes if s.in_class]
    refs = _references(here, scope, text, numpy)
    batch = _batch_names(scope.node, text) + _counted_names(scope.node, text) + \
        [f"{r}.shape[0]" for r in refs if "shape" not in r][:4]
    shapes = [r for r in refs if r.endswith("shape")] + [f"{r}.shape" for r in refs if "shape" not in r]
    # a failing parameter gradient's own parameter first (db: `self.b.shape`), which the cap below must not cut off;
    # where no gradient's values failed (a shape the parameter's update cannot take), every gradient's
    named = _failing(report) or tuple(g.name for g in (report.failing.gradients if report.failing is not None else ()))
    own = {g[1:] for g in named if g.startswith("d")}
    shapes = list(dict.fromkeys([*(f"{r}.shape" for r in refs if r.split(".")[-1] in own), *shapes]))
    masks = [r for r in refs if "mask" in r.lower()]
    masks += [f"{m}[..., None]" for m in masks]  # a mask over (N, T) on a gradient over (N, T, V)
    funcs = _forward_functions(site, numpy, text)
    cached, unpacked = _cached(site, scope, text) if scope.role == "backward" else ([], [])
    return Context(text, numpy, refs=[r for r in refs if "shape" not in r], batch=list(dict.fromkeys(batch)),
                   cached=cached, unpacked=unpacked,
                   shapes=shapes[:6], masks=masks, hypers=_settings(site, scope, text), funcs=funcs,
                   factor=measured_factor(report), in_class=scope.in_class, crashes=crashes_in(site, report),
                   missing_sums=_missing_sums(report), failing=_failing(report),
                   diagnoses=tuple(g.diagnosis or "" for g in _failing_gradients(report)))


def _failing_gradients(report: LayerReport) -> list[GradientResult]:
    return [g for g in (report.failing.gradients if report.failing is not None else ()) if not g.passed]


def _failing(report: LayerReport) -> tuple[str, ...]:
    return tuple(g.name for g in (report.failing.gradients if report.failing is not None else ()) if not g.passed)


def _references(nodes: list[ast.FunctionDef], scope: Scope, text: Text, numpy: str) -> list[str]:
    out: list[str] = []
    methods = {f.name for f in nodes}
    for func in nodes:
        for n in ast.walk(func):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self" \
                    and n.attr not in methods:
                out.append(text.of(n))
    # the function's own names (a method's locals too: `W, b = self.params`)
    args = [a.arg for a in scope.node.args.args if a.arg != "self"]
    stored = [n.id for n in sorted((n for n in ast.walk(scope.node) if isinstance(n, ast.Name) and
                                    isinstance(n.ctx, ast.Store)), key=lambda n: (n.lineno, n.col_offset))]
    out += [n for n in args + stored if n != numpy and n.strip("_")]  # `_` is a value the code threw away
    # a derivative handed to a base class as a lambda (`super().__init__(np.tanh, lambda x: 1 - x ** 2)`): its argument
    out += [a.arg for n in ast.walk(scope.node) if isinstance(n, ast.Lambda) for a in n.args.args]
    # the gradients a backward writes (`self.dWnx +=`) after the arrays it may read: a cache the backward forgot to
    # read (a GRU cell's `self.nh`) must not be cut off behind a dozen of them
    out = list(dict.fromkeys(out))
    return sorted(out, key=lambda r: r.startswith("self.") and is_gradient(r))[:MAX_REFS]


def _cached(site: Site, scope: Scope, text: Text) -> tuple[list[str], list[str]]:
    """What forward stored, as `scope` (a backward) reads it, and the names `scope` unpacks from the cache: the
    attributes a forward method sets (`self.std`), the names unpacked from a cache argument or attribute
    (`x, xhat, gamma, std = cache`), the string keys forward gives a cache dict (`cache["std"]`)."""
    out: list[str] = []
    if scope.in_class:
        for s in site.scopes:
            if s.role == "forward":
                out += [text.of(n) for n in ast.walk(s.node) if isinstance(n, ast.Attribute) and
                        isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name) and n.value.id == "self"]
    params = {a.arg for a in scope.node.args.args} - {"self"}
    holders = [p for p in params if "cache" in p.lower()]
    unpacked: list[str] = []
    for n in ast.walk(scope.node):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], (ast.Tuple, ast.List)) \
                and "cache" in text.of(n.value).lower():
            unpacked += [e.id for e in n.targets[0].elts if isinstance(e, ast.Name)]
    for s in site.scopes:  # `cache = {"x": x, "std": std}` (or returned so) in the forward
        if s.role == "forward" and holders:
            keys = [text.of(k) for d in ast.walk(s.node) if isinstance(d, ast.Dict) for k in d.keys
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)]  # in the user's quotes
            out += [f"{holders[0]}[{k}]" for k in keys]
    return list(dict.fromkeys([*out, *unpacked])), unpacked


def _batch_names(func: ast.FunctionDef, text: Text) -> list[str]:
    """Names the function binds to a batch size: `N = x.shape[0]`, `N, D = x.shape`, or a usual name."""
    out: list[str] = []
    for n in ast.walk(func):
        if isinstance(n, ast.Assign) and len(n.targets) == 1:
            target, value = n.targets[0], n.value
            if isinstance(target, ast.Name) and ".shape[0]" in text.of(value) or \
                    isinstance(target, ast.Name) and target.id in BATCH_NAMES:
                out.append(target.id)
            elif isinstance(target, ast.Tuple) and text.of(value).endswith(".shape") and target.elts and \
                    isinstance(target.elts[0], ast.Name):
                out.append(target.elts[0].id)
    return out


def _counted_names(func: ast.FunctionDef, text: Text) -> list[str]:
    """Names the function binds to the length of an array (`samples = len(dvalues)`, the nnfs book's batch size),
    before the arrays' `.shape[0]`: `len` counts the first axis, the batch's, and the user's own name reads best."""
    return [n.targets[0].id for n in ast.walk(func) if isinstance(n, ast.Assign) and len(n.targets) == 1 and
            isinstance(n.targets[0], ast.Name) and re.fullmatch(r"len\([\w.]+\)", text.of(n.value))]


def _settings(site: Site, scope: Scope, text: Text) -> list[str]:
    """Scalar settings: `self.p` set from a constructor argument with a number default, `p = param["p"]`."""
    out: list[str] = []
    for s in site.scopes:
        node = s.node
        defaults = {a.arg for a, d in zip(node.args.args[::-1], node.args.defaults[::-1], strict=False)
                    if isinstance(d, ast.Constant) and isinstance(d.value, (int, float))}
        if s is scope or not s.in_class:
            out += [d for d in defaults if d != "self"]
        for n in ast.walk(node):
            if s is scope and isinstance(n, ast.Assign) and len(n.targets) == 1:
                out += [name for name, value in _pairs_of(n.targets[0], n.value)
                        if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant) and
                        isinstance(value.slice.value, str)]
    here = set(_references([scope.node], scope, text, "")) if not scope.in_class else set()
    for s in site.scopes:  # `p = dropout_param["p"]` (or `p, mode = d["p"], d["mode"]`) in forward, `dropout_param`
        for n in ast.walk(s.node):  # unpacked from the cache here
            if s is not scope and isinstance(n, ast.Assign) and len(n.targets) == 1:
                out += [text.of(v) for _, v in _pairs_of(n.targets[0], n.value) if isinstance(v, ast.Subscript) and
                        isinstance(v.value, ast.Name) and v.value.id in here and
                        isinstance(v.slice, ast.Constant) and isinstance(v.slice.value, str)]
    init = _init_of(site, scope)
    if init is not None:
        out += [text.of(t) for t in _numeric_stores(init)]
    out += _ctx_settings(site, scope)
    words = _words(site.tree, text)
    return [h for h in dict.fromkeys(out) if h not in words][:4]


def _numeric_stores(func: ast.FunctionDef) -> list[ast.Attribute]:
    """The attributes `func` sets from an argument with a number default (`self.p = p` for `p=0.5`)."""
    numbers = {a.arg for a, d in zip(func.args.args[::-1], func.args.defaults[::-1], strict=False)
               if isinstance(d, ast.Constant) and isinstance(d.value, (int, float))}
    return [t for n in ast.walk(func) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Name) and
            n.value.id in numbers for t in n.targets if isinstance(t, ast.Attribute)]


def _ctx_settings(site: Site, scope: Scope) -> list[str]:
    """A custom function's settings as its backward reads them: `ctx.alpha = alpha` in a forward that takes `alpha=1.0`
    is `ctx.alpha` to a backward whose first argument is `ctx` (a staticmethod's, not `self`)."""
    args = scope.node.args.args
    if not args or args[0].arg == "self":
        return []
    out: list[str] = []
    for s in site.scopes:
        if s is not scope and s.node.args.args:
            holder = s.node.args.args[0].arg
            out += [f"{args[0].arg}.{t.attr}" for t in _numeric_stores(s.node)
                    if isinstance(t.value, ast.Name) and t.value.id == holder]
    return out


def _words(tree: ast.AST, text: Text) -> set[str]:
    """What the code compares with a string (`mode == "train"`), and the values it binds such a name from
    (`dropout_param["mode"]`): a setting that is a word, never a factor."""
    out = {text.of(side) for n in ast.walk(tree) if isinstance(n, ast.Compare)
           and any(isinstance(c, ast.Constant) and isinstance(c.value, str) for c in [n.left, *n.comparators])
           for side in [n.left, *n.comparators]}
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1:
            out |= {text.of(v) for name, v in _pairs_of(n.targets[0], n.value) if name in out}
    return out


def _pairs_of(target: ast.expr, value: ast.expr) -> list[tuple[str, ast.expr]]:
    """(name, value) of `p = d["p"]` and of each name of `ph, pw = d["h"], d["w"]`."""
    if isinstance(target, ast.Name):
        return [(target.id, value)]
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
        return [(t.id, v) for t, v in zip(target.elts, value.elts, strict=True) if isinstance(t, ast.Name)]
    return []


def _init_of(site: Site, scope: Scope) -> ast.FunctionDef | None:
    if not scope.in_class:
        return None
    for cls in ast.walk(site.tree):
        if isinstance(cls, ast.ClassDef) and scope.node in cls.body:
            return next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    return None


def _forward_functions(site: Site, numpy: str, text: Text) -> list[str]:
    """The one-argument functions the forward applies, then those a helper that is no derivative applies (the
    learners' `tanh(x)` defined in a constructor and handed to the base class with its `tanh_prime`), and such a
    helper of one argument itself where the module defines it (`sigmoid`)."""
    out: list[str] = []
    helpers = [s for s in site.scopes if s.role == "helper" and not _DERIVATIVE.search(s.node.name)]
    for s in [*(s for s in site.scopes if s.role == "forward"), *helpers]:
        for n in ast.walk(s.node):
            if isinstance(n, ast.Call) and len(n.args) == 1 and not n.keywords:
                name = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                if name and name not in _NOT_FUNCTIONS and not isinstance(n.func.ctx if hasattr(n.func, "ctx")
                                                                          else None, ast.Store):
                    if isinstance(n.func, ast.Name) or text.of(n.func).startswith(numpy + "."):
                        out.append(text.of(n.func))
        if s.role == "helper" and s.node in site.tree.body and len(s.node.args.args) == 1:  # `def sigmoid(z)` itself
            out.append(s.node.name)
    for s in site.scopes:  # the function a constructor hands its base class with the derivative: `np.tanh`
        for n in ast.walk(s.node):
            if isinstance(n, ast.Call) and text.of(n.func).endswith("__init__") and len(n.args) == 2 and \
                    isinstance(n.args[1], ast.Lambda) and text.of(n.args[0]).startswith(numpy + "."):
                out.append(text.of(n.args[0]))
    return list(dict.fromkeys(out))[:3]


def measured_factor(report: LayerReport) -> float | None:
    """analytic / numeric of the failing gradient, when one number explains it (least squares, tight fit)."""
    if report.failing is None:
        return None
    for g in report.failing.gradients:
        a, n = g.analytic, g.numeric
        if g.passed or a is None or n is None or np.shape(a) != np.shape(n):
            continue
        a, n = np.asarray(a, dtype=float).ravel(), np.asarray(n, dtype=float).ravel()
        if not (np.isfinite(a).all() and np.isfinite(n).all()) or not n.any():
            continue
        r = float(a @ n / (n @ n))
        if np.linalg.norm(a - r * n) <= 1e-4 * np.linalg.norm(a):
            return r
    return None


#: how a crash's message names the error and the user's line it was raised at
_RAISED = re.compile(r"raised (\w+: .*) \(at ([^:()]+):(\d+): ")


def crashes_in(site: Site, report: LayerReport) -> tuple[tuple[int, str], ...]:
    """(line, error) of each crash of the failing cases raised at a line of `site`'s own file."""
    out: list[tuple[int, str]] = []
    for failing in (report.failing, report.extreme_failure):
        for f in failing.findings if failing is not None else ():
            m = _RAISED.search(f.message) if f.code == "crashed" else None
            if m and m.group(2).replace("\\", "/").rsplit("/", 1)[-1] == site.path.name:
                out.append((int(m.group(3)), m.group(1)))
    return tuple(dict.fromkeys(out))


def _missing_sums(report: LayerReport) -> tuple[int, ...]:
    """The axes a failing gradient of the report has one too many of (`gradlab.fixes.sums.missing_axes`)."""
    out: list[int] = []
    for g in report.failing.gradients if report.failing is not None else ():
        if not g.passed and g.analytic_shape is not None:
            out += missing_axes(tuple(g.shape), tuple(g.analytic_shape))
    return tuple(dict.fromkeys(out))
