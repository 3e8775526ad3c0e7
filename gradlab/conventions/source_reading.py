"""What a file's source says without running it: could it hold layers, which kind a comment gives
a layer, whether a loss function returns only the loss.

Folder discovery imports only files that could hold a layer (so training scripts never run); a
`# gradlab: kind=affine` comment on the line above a class or `def` says what a layer with an
unusual name computes.
Non-goal: importing anything (that is `gradlab.conventions.imports`).
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gradlab.conventions.method_names import PROPAGATION_PAIRS
from gradlab.kinds import KINDS, kind_for_class, kind_for_loss_function

__all__ = ["FORWARD", "BACKWARD", "activation_inside", "could_hold_layers", "kind_comments", "own_array_type",
           "returns_loss_only"]

FORWARD = re.compile(r"^(?P<stem>[a-z0-9_]+?)_forward(?P<suffix>_[a-z0-9_]+)?$")
BACKWARD = re.compile(r"^(?P<stem>[a-z0-9_]+?)_backward(?P<suffix>_[a-z0-9_]+)?$")
_COMMENT = re.compile(r"^\s*#\s*gradlab:\s*kind\s*=\s*(?P<kind>[A-Za-z_]+)\s*(?:,.*)?$")
_DEFINITION = re.compile(r"^\s*(?:class|def|async\s+def)\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)")


def kind_comments(source: str) -> dict[str, str]:
    """`# gradlab: kind=<kind>` on the line above a class or `def` (decorators between are allowed):
    the name it defines -> the kind. An unknown kind raises ValueError naming the known ones."""
    out: dict[str, str] = {}
    pending: tuple[str, int] | None = None
    for number, line in enumerate(source.splitlines(), start=1):
        comment = _COMMENT.match(line)
        if comment:
            pending = (comment["kind"], number)
            continue
        definition = _DEFINITION.match(line)
        if pending is not None and definition:
            kind, at = pending
            if kind == "generic":  # a function of no kind, at the shapes the comment states: gradlab.functions
                pending = None
                continue
            if kind not in KINDS:
                raise ValueError(f"line {at}: '# gradlab: kind={kind}' names no kind gradlab knows; "
                                 f"use one of: {', '.join(sorted(KINDS))}")
            out[definition["name"]] = kind
            pending = None
        elif pending is not None and not line.strip().startswith("@") and line.strip():
            pending = None  # the comment belongs to the line just below it only
    return out


def _layer_function_name(name: str) -> bool:
    from gradlab.conventions.function_inputs import derivative_of

    # a loss's derivative named after it (`mse_prime`): the pair is a loss layer (`gradlab.conventions.function_inputs`)
    pair = derivative_of(name) is not None
    return bool(FORWARD.match(name) or BACKWARD.match(name)) or kind_for_loss_function(name) is not None or pair


def _flag_activation(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    from gradlab.conventions.derivative_classes import defines_flag_activation

    # `def sigmoid(x, derivative=False)`: an activation with its derivative behind a flag is a layer
    return defines_flag_activation(node)


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements that run at import, including those under `if`/`try`/`with` (not in function bodies)."""
    for node in body:
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for attr in ("body", "orelse", "finalbody"):
                yield from _statements(getattr(node, attr, None) or [])
            for handler in getattr(node, "handlers", None) or []:
                yield from _statements(handler.body)


def could_hold_layers(path: Path) -> bool:
    """Whether the file's source, read without running it, could define a layer gradlab finds: a class
    with a known layer name or with its own `forward` and `backward`, a function named
    `<stem>_forward...`/`<stem>_backward...` or like a known loss, or an import of gradlab (registered
    layers) or a `# gradlab:` comment. A file that does not parse could: importing it reports the syntax error."""
    try:
        source = path.read_bytes()
        tree = ast.parse(source, filename=str(path))
    except (SyntaxError, ValueError):
        return True
    if b"gradlab:" in source:
        return True  # a `# gradlab: kind=...` comment marks a layer with an unusual name
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "gradlab" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "gradlab":
            return True
    for node in _statements(tree.body):
        if isinstance(node, ast.ClassDef):
            methods = {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            # forward_pass/backward_pass: a numpy library's layer (ML-From-Scratch, learners' Keras-like ones)
            if kind_for_class(node.name) is not None or {"forward", "backward"} <= methods or \
                    {"forward_pass", "backward_pass"} <= methods or \
                    any(set(pair) <= methods for pair in PROPAGATION_PAIRS):
                return True
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                (_layer_function_name(node.name) or _flag_activation(node)):
            return True
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and _layer_function_name(t.id)
                                                  for t in node.targets):
            return True  # relu_forward = lambda x: ...
    return False


def returns_loss_only(fn: Callable[..., Any]) -> bool:
    """Whether every `return` of `fn` gives one value, none a pair: the textbook's `softmax_loss(x, t)`
    returns the loss alone, where CS231n's function of the same name returns (loss, dx)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    returns = [r for r in _own_nodes(node) if isinstance(r, ast.Return) and r.value is not None]
    # a bare name might hold a pair: only values that are plainly one number count
    plain = (ast.BinOp, ast.UnaryOp, ast.Call, ast.Constant, ast.Subscript, ast.Attribute)
    return bool(returns) and all(isinstance(r.value, plain) for r in returns)


#: what a backward that turns one label encoding into the other writes (np.eye(C)[t], argmax, a shape test)
_CONVERSIONS = re.compile(r"\beye\(|\bargmax\(|one_?hot|\bndim\b|len\([^()]*\.shape\)|\.size\s*==")


def converts_label_encodings(fn: Callable[..., Any]) -> bool:
    """Whether `fn`'s source converts between label encodings (False when it cannot be read): such a loss
    means to take both, where the book's `(y - t) / N` backward is written for one-hot labels alone."""
    try:
        return bool(_CONVERSIONS.search(inspect.getsource(fn)))
    except (OSError, TypeError):
        return False


def _own_nodes(fn: ast.AST) -> list[ast.AST]:
    """The nodes of a function body, nested functions and classes excluded."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return out


def activation_inside(cls: type, module_names: dict[str, Any]) -> str | None:
    """The name of the activation class `cls.__init__` builds (`self.activation = Softmax()`), when that class is a
    layer kind without parameters that is no loss; None otherwise. A loss that holds one applies it in its forward:
    it takes the activation's input (logits), not its output."""
    try:
        init = next(vars(c)["__init__"] for c in cls.__mro__ if "__init__" in vars(c))  # its own, or a base's
        tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                isinstance(node.value.func, ast.Name) and isinstance(module_names.get(node.value.func.id), type):
            kind = kind_for_class(node.value.func.id)
            if kind is not None and not kind.params and not kind.is_loss:
                return node.value.func.id
    return None


_NO_ATTRIBUTE = re.compile(r"'numpy\.ndarray' object has no attribute '(\w+)'")


def own_array_type(exc: BaseException, frame: Any) -> str | None:
    """"it is written for its own array type (...)" when `exc` is numpy's array lacking a method (`.map`) that a
    class of the user's, named in the failing function's own source (an annotation `inputs: Matrix`), has: a
    learner's pure-Python library whose layers take its Matrix, where gradlab gives numpy arrays. `frame` is the
    user's innermost frame. None otherwise."""
    m = _NO_ATTRIBUTE.fullmatch(str(exc)) if isinstance(exc, AttributeError) else None
    if m is None or frame is None:
        return None
    try:
        source = inspect.getsource(frame.f_code)
    except (OSError, TypeError):
        return None
    for name, value in frame.f_globals.items():
        if isinstance(value, type) and callable(getattr(value, m[1], None)) and \
                not value.__module__.startswith(("numpy", "builtins")) and re.search(rf"\b{name}\b", source):
            return (f"it is written for its own array type ({name}, whose .{m[1]}() numpy's arrays do not have), where "
                    f"gradlab gives numpy arrays ({exc})")
    return None

