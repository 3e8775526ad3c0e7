"""What one function of a layer reads, as the candidate families need it: the upstream gradients it receives,
the names an expression reads, the arrays its backward may build a mask from.
Non-goal: the edits (the family modules: `scatter`, `inplace`, `penalty`, `masks`, `upstream`, `squares`, ...).
"""

from __future__ import annotations

import ast

from gradlab.fixes.expressions import Context, is_gradient

__all__ = ["gradient_params", "inputs", "names_read", "statements_of"]


def gradient_params(func: ast.FunctionDef) -> list[str]:
    """The upstream gradients a backward receives (`dout`, `dnext_h`, `dnext_c`, `output_gradient`)."""
    return [a.arg for a in func.args.args if a.arg != "self" and is_gradient(a.arg)]


def names_read(node: ast.AST, ctx: Context) -> set[str]:
    """The names, attributes and subscripts `node` reads, in the user's text (`self.x`, `cache["x"]`, `dout`)."""
    return {ctx.text.of(n) for n in ast.walk(node)
            if isinstance(n, (ast.Name, ast.Attribute, ast.Subscript)) and isinstance(n.ctx, ast.Load)}


def inputs(ctx: Context) -> list[str]:
    """The arrays a backward may compare with 0 for a mask: what forward stored, then its other non-gradient
    references (`x = cache`), never a cache holder or a setting; at most three."""
    found = [r for r in [*ctx.cached, *ctx.refs] if not is_gradient(r) and "cache" not in r.lower()
             and "[" not in r and r not in ctx.hypers and "mask" not in r.lower()]
    return list(dict.fromkeys(found))[:3]


def statements_of(func: ast.FunctionDef) -> list[ast.stmt]:
    """Every statement of `func`, nested ones included (not those of nested definitions), in file order."""
    out: list[ast.stmt] = []
    stack: list[ast.AST] = [func]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(child, ast.stmt):
                out.append(child)
            stack.append(child)
    return sorted(out, key=lambda s: (s.lineno, s.col_offset))
