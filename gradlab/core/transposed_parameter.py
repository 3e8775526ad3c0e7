"""What backward returns when a square parameter is put in the place of its own transpose.

A dx computed with a parameter untransposed (`dx = dout @ W` where `dout @ W.T` belongs) is not dx's values
moved about: its error is dout · (W − Wᵀ), which no pattern in the numbers names (at one sample and two features
it even fits a coefficient per feature, as a reduction over the wrong axes would). The layer itself can say it:
after the forward, each square parameter's values are replaced by their transpose, backward runs once, and the
values are put back. If the gradient backward then returns equals the true one, backward reads the parameter
where its transpose belongs. `gradlab.core.diagnose_where.parameter_untransposed` judges the answer.
Non-goals: a parameter that is not square (its transpose would not fit in its place: numpy's crash says it,
`gradlab.core.crash_reading`), and the target's own gradient (a dW computed transposed is a value pattern).
"""

from __future__ import annotations

import warnings

import numpy as np

from gradlab.core.evidence import Evidence
from gradlab.core.protocol import grad_name

__all__ = ["with_each_square_parameter_transposed"]


def with_each_square_parameter_transposed(ev: Evidence) -> dict[str, np.ndarray]:
    """For each square 2-D parameter other than the target that is not symmetric (its transpose would change
    nothing): the target's gradient (in the user's orientation) from the backward run, after the case's forward,
    with that parameter's values transposed in place; by the parameter's name as the user spells it (`W`, `Wh`).
    A parameter whose backward raises or returns no gradient of the target's shape is left out."""
    if ev.G is None:
        return {}
    found: dict[str, np.ndarray] = {}
    for key, p in ev.layer.params.items():
        if key == ev.target or not isinstance(p, np.ndarray) or p.ndim != 2 or p.shape[0] != p.shape[1] \
                or p.shape[0] < 2 or not np.issubdtype(p.dtype, np.floating) or np.array_equal(p, p.T):
            continue
        g = _backward_with_transpose(ev, p)
        if g is not None:
            found[_spelled(ev, key)] = g
    return found


def _spelled(ev: Evidence, key: str) -> str:
    """The parameter as the user spells it, from its gradient's spelling: dWh -> Wh, grads[0] -> params[0]."""
    said = grad_name(ev.layer, key)
    if said.startswith("grads"):  # the textbook's lists: self.params[i] beside self.grads[i]
        return "params" + said[len("grads"):]
    return said[1:] if said.startswith("d") and said[1:].isidentifier() else key


def _backward_with_transpose(ev: Evidence, p: np.ndarray) -> np.ndarray | None:
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
