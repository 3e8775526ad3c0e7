"""Candidate family "rescale": the batch mean's 1/N applied to a gradient once it is built, by a line of its own
after its last write (`self.dinputs = self.dinputs / samples`), where that write is into an element of it
(`self.dinputs[range(samples), y_true] -= 1`) and so no edit of one value divides the whole.

Offered for the last statement of a function that writes a gradient by index, nothing after it reading the
gradient (a value that reads it is the factor family's to divide), with each name the code has for
the batch size (at most MAX_BATCH), the new line after the block of the function's body that holds it.
And a loss averaged over every element (`np.mean(...)` with no axis, in its own file's forward: a scratch-style
`mse` or `bce` whose `*_prime` returns the sum's gradient): its returned derivative divided by the size of each
array it receives (`y_true.size`; a class's `backward(self)`: each array its forward kept, `self.pred.size`), where
the batch size alone is not the count.
And a loss summed in a loop and divided by a count after it (`loss /= num_train`), the gradient written by index in
the same loop left undivided: the same division of the gradient on the line after the loss's.
Non-goal: a factor other than the batch size or the count of elements (the factor family edits values; a measured
constant is one).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import inputs
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, precedence

__all__ = ["MAX_BATCH", "rescale_edits", "size_edits"]

#: batch-size names offered, at most
MAX_BATCH = 3


def rescale_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else \
        stmt.target if isinstance(stmt, ast.AugAssign) else None
    if not isinstance(target, ast.Subscript) or not isinstance(target.value, (ast.Name, ast.Attribute)):
        return
    t = ctx.text
    name = t.of(target.value)
    later = [st for st in ast.walk(func) if isinstance(st, ast.stmt) and st.lineno > stmt.end_lineno]  # type: ignore[operator]
    # the new line goes after the statement of the function's own body that holds the write (a loop, an `if`)
    block = next((b for b in func.body if b.lineno <= stmt.lineno <= b.end_lineno), None)  # type: ignore[operator]
    if not _gradient_like(name):
        return
    yield from _like_the_loss(block, func, name, t)
    # written again later, or read later (`return loss, dx`: the factor family divides it there), it is not this one's
    if any(_writes(st, name, t) or _reads(st, name, t) for st in later):
        return
    if block is None or isinstance(block, ast.Return):
        return
    after = block.end_lineno + 1  # type: ignore[operator]
    indent = t.indent(block.lineno)
    for n in [*_counted(func, t), *ctx.batch][:MAX_BATCH]:
        yield (Edit((after, 0), (after, 0), f"{indent}{name} = {name} / {n}\n",
                    f"divide {name} by the batch size {n} once it is built", "rescale"),)


def _like_the_loss(block: ast.stmt | None, func: ast.FunctionDef, name: str, t: Text) -> Iterator[tuple[Edit, ...]]:
    """A loop that sums a loss and writes a gradient by index, after which the loss alone is divided by a count
    (`loss /= num_train`, then `dW += 2 * reg * W`): the gradient divided by the same count on the line after the
    loss's, before any term added to it later."""
    if not isinstance(block, (ast.For, ast.While)):
        return
    at = next(i for i, b in enumerate(func.body) if b is block)
    divided = next((st for st in func.body[at + 1:at + 3] if isinstance(st, ast.AugAssign) and
                    isinstance(st.op, ast.Div) and isinstance(st.target, ast.Name)), None)
    if divided is None or any(isinstance(st, ast.AugAssign) and isinstance(st.op, ast.Div) and t.of(st.target) == name
                              for st in func.body[at + 1:]):
        return
    loss = t.of(divided.target)
    if is_gradient(loss) or not any(_writes(st, loss, t) for st in ast.walk(block) if isinstance(st, ast.stmt)):
        return
    line = (divided.end_lineno or divided.lineno) + 1
    yield (Edit((line, 0), (line, 0), f"{t.indent(divided.lineno)}{name} /= {t.of(divided.value)}\n",
                f"divide {name} by {t.of(divided.value)}, as the loss is", "rescale"),)


def _gradient_like(name: str) -> bool:
    """A gradient's name, nnfs's long ones too (`self.dinputs`, `dweights`), which the search's usual test leaves
    out (it takes `d` and a short name, not to read `data` as one)."""
    return is_gradient(name) or bool(re.fullmatch(r"d(inputs|weights|biases|values|gamma|beta)", name.split(".")[-1]))


def _counted(func: ast.FunctionDef, t: Text) -> list[str]:
    """The names `func` binds to a count of its batch: `samples = len(dvalues)`, `N = dout.shape[0]`."""
    return [n.targets[0].id for n in ast.walk(func) if isinstance(n, ast.Assign) and len(n.targets) == 1 and
            isinstance(n.targets[0], ast.Name) and (t.of(n.value).startswith("len(") or
                                                    t.of(n.value).endswith(".shape[0]"))]


def _reads(stmt: ast.stmt, name: str, t: Text) -> bool:
    return any(isinstance(n, (ast.Name, ast.Attribute)) and isinstance(n.ctx, ast.Load) and t.of(n) == name
               for n in ast.walk(stmt))


def _writes(stmt: ast.stmt, name: str, t: Text) -> bool:
    """Whether `stmt` writes `name` or an element of it."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] \
        if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) else []
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, (ast.Name, ast.Attribute)) and t.of(node) == name:
                return True
    return False


def size_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    returned = isinstance(stmt, ast.Return) and stmt.value is not None and not isinstance(stmt.value, ast.Tuple)
    if not (returned or _binds_returned_gradient(stmt, func)) or not _averages_everything(ctx.text.text, ctx.numpy):
        return
    assert isinstance(stmt, (ast.Return, ast.Assign)) and stmt.value is not None
    t = ctx.text
    value = t.of(stmt.value) if precedence(stmt.value) >= 11 else f"({t.of(stmt.value)})"
    # the arrays it receives, or, for a class's `backward(self)` that receives none, those its forward kept
    arrays = [a.arg for a in func.args.args if a.arg != "self"] or inputs(ctx)
    for arg in arrays[:MAX_BATCH]:
        yield (t.replace(stmt.value, f"{value} / {arg}.size", 11, f"divide by {arg}.size, the count the mean takes",
                         family="rescale", need=0),)


def _binds_returned_gradient(stmt: ast.stmt, func: ast.FunctionDef) -> bool:
    """Whether `stmt` last binds a name a loss function returns after its loss (`dx = ...`, then `return loss, dx`):
    the derivative of a loss that returns both."""
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return False
    name = stmt.targets[0].id
    returns = [r for r in ast.walk(func) if isinstance(r, ast.Return) and isinstance(r.value, ast.Tuple)]
    if len(returns) != 1 or returns[0].lineno < stmt.lineno or \
            not any(isinstance(e, ast.Name) and e.id == name for e in returns[0].value.elts[1:]):  # type: ignore[union-attr]
        return False
    later = [n for n in ast.walk(func) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
             and stmt.lineno < n.lineno < returns[0].lineno]
    return not later


@functools.lru_cache(maxsize=8)
def _averages_everything(text: str, numpy: str) -> bool:
    """Whether the file takes a mean with no axis (`np.mean(a)`, `a.mean()`): a loss averaged over every element."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "mean" and
               not n.keywords and len(n.args) == (1 if isinstance(n.func.value, ast.Name) and n.func.value.id == numpy
                                                  else 0) for n in ast.walk(tree))
