"""What backward returns when a square parameter is put in the place of its own transpose.

A dx computed with a parameter untransposed (`dx = dout @ W` where `dout @ W.T` belongs) is not dx's values
moved about: its error is dout · (W − Wᵀ), which no pattern in the numbers names (at one sample and two features
it even fits a coefficient per feature, as a reduction over the wrong axes would). The layer itself can say it:
after the forward, each square parameter's values are replaced by their transpose, backward runs once, and the
values are put back. If the gradient backward then returns equals the true one, backward reads the parameter
where its transpose belongs. `gradlab.core.diagnose_where.parameter_untransposed` judges the answer.
A stacked parameter of square blocks (a GRU's Wh of shape (H, 3H), read in backward as Wh[:, 2H:] and the
like) is asked block by block: each H x H block transposed alone, since the other blocks are read right.
Non-goals: a parameter that is neither square nor stacked of square blocks (its transpose would not fit in its
place: numpy's crash says it, `gradlab.core.crash_reading`), and the target's own gradient (a dW computed
transposed is a value pattern).
"""

from __future__ import annotations

import warnings

import numpy as np

from gradlab.core.evidence import Evidence
from gradlab.core.protocol import grad_name

__all__ = ["square_blocks", "with_each_square_parameter_transposed"]


def square_blocks(shape: tuple[int, ...]) -> list[tuple[str, tuple[slice, slice]]]:
    """The square blocks of a 2-D parameter, each as (how the user would index it, the index): the whole of a
    square one (''), the k column blocks of an (H, kH) one ('[:, 0:H]', ...), the k row blocks of a (kH, H) one."""
    if len(shape) != 2 or min(shape) < 2:
        return []
    rows, cols = shape
    if rows == cols:
        return [("", (slice(None), slice(None)))]
    H, k = min(shape), max(shape) // min(shape)
    if max(shape) != k * H:
        return []
    if cols > rows:
        return [(f"[:, {j * H}:{(j + 1) * H}]", (slice(None), slice(j * H, (j + 1) * H))) for j in range(k)]
    return [(f"[{j * H}:{(j + 1) * H}]", (slice(j * H, (j + 1) * H), slice(None))) for j in range(k)]


def with_each_square_parameter_transposed(ev: Evidence) -> dict[str, np.ndarray]:
    """For each square 2-D parameter that is not symmetric (its transpose would change
    nothing), and each square block of a stacked one: the target's gradient (in the user's orientation) from the
    backward run, after the case's forward, with those values transposed in place; by the parameter (or block) as
    the user spells it (`W`, `Wh`, `Wh[:, 4:6]`). A parameter whose backward raises or returns no gradient of the
    target's shape is left out."""
    if ev.G is None:
        return {}
    found: dict[str, np.ndarray] = {}
    for key, p in ev.layer.params.items():
        # the target too: its gradient may be wrong only through another's that reads it untransposed (a GRU's dWh
        # through dr, from Wh[:, 2H:] read where its transpose belongs); a dW computed transposed does not read W
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            continue
        for said, index in square_blocks(p.shape):
            block = p[index]
            if np.array_equal(block, block.T):
                continue
            g = _backward_with_transpose(ev, block)
            if g is not None:
                found[_spelled(ev, key) + said] = g
    return found


def _spelled(ev: Evidence, key: str) -> str:
    """The parameter as the user spells it, from its gradient's spelling: dWh -> Wh, grads[0] -> params[0]."""
    said = grad_name(ev.layer, key)
    if said.startswith("grads"):  # the textbook's lists: self.params[i] beside self.grads[i]
        return "params" + said[len("grads"):]
    return said[1:] if said.startswith("d") and said[1:].isidentifier() else key


def _backward_with_transpose(ev: Evidence, p: np.ndarray) -> np.ndarray | None:
    """The target's gradient with `p` (a parameter, or a view of one of its square blocks) transposed in place."""
    assert ev.G is not None
    saved = p.copy()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            ev.reset()  # as the check's backward found it: a gradient accumulated with += counts this backward alone
            ev.layer.forward(ev.x, ev.t)
            # in place, after the forward: the arrays its cache holds are the parameter itself (or views of it)
            p[...] = saved.T
            dx, grads = ev.layer.backward(ev.G.copy())
        g = dx if ev.target == "x" else grads.get(ev.target)
        if g is None or np.shape(g) != ev.arr.shape:
            return None
        return np.asarray(ev.show(np.asarray(g, dtype=np.float64)), dtype=np.float64)
    except Exception:  # a layer that cannot answer leaves the hypothesis untested, nothing more
        return None
    finally:
        p[...] = saved
        try:
            ev.layer.forward(ev.x, ev.t)
        except Exception:  # its crash is reported by the step that owns it
            pass
