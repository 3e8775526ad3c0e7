"""Diagnosis of a gradient built from the layer's own arrays, but not the right ones, each a hypothesis tested on them:

- `wrong-input` for a parameter's gradient that is dout times another array the layer holds, summed over the
  axes the true one is (dgamma = sum(dout * xc), the centred input, where sum(dout * x_hat) belongs): the right
  formula, evaluated with the wrong array. The right array must explain the true gradient the same way (one the
  layer holds, or what the parameter multiplies in the forward, measured), so the formula is proved right;
- `dropped-term` for a gradient that is the true one with one factor of its chain-rule product left out: times (or
  divided by) an array the layer holds, or its output, it is the true gradient (sigmoid's dout * (1 - out) where
  dout * out * (1 - out) belongs; batch norm's dx without its 1 / std); or the true gradient for an upstream
  gradient of ones, where dout is left out of every term of a sum (a convolution's dw += window, in a loop);
- `dropped-term` as well for a gradient that lacks exactly one term dout * A, A an array the layer holds (or dout
  alone): a path overwritten (`dh = dr * r` where `dh += dr * r` belongs after `dh = dout * z`) or left out;
- `wrong-reduction` for a parameter's gradient whose shape follows the data's: asked on an input grown along
  one axis, its shape grows too, so it keeps an axis of dout the parameter is shared over (a conv's db summed over
  (0, 2) only), where a case whose other axes have length 1 shows the same values as keepdims=True would.
Where the layer holds nothing that explains the gradient, none of these speaks: no code is invented for a
mismatch nothing explains.
Non-goal: the derivative at the wrong input x or output y (`gradlab.core.diagnose_where.wrong_input`).
"""

from __future__ import annotations

__all__ = ["as_held", "data_axis_kept", "factor_left_out", "held_arrays", "left_out", "parameter_from_held_array",
           "term_left_out", "upstream_left_out"]

from collections.abc import Iterator
from itertools import combinations

import numpy as np

from gradlab.core import numeric
from gradlab.core.diagnose_routes import quietly
from gradlab.core.diagnose_where import EXPLAINED, Found, agrees, norm, without_upstream
from gradlab.core.evidence import Evidence
from gradlab.core.stored_arrays import user_names

#: an array has to hold at least this many distinct values (in magnitude) to be a factor: a mask (0 and 1, or 0 and
#: 1/p) is a missing mask's business, a constant a scale's
MIN_DISTINCT = 3
#: arrays held by the layer are read only up to this many elements (a reference to a data set is no factor)
MAX_HELD = 1 << 16
#: the true gradient for an upstream of ones is computed (2 calls per element) only up to this size
MAX_ONES_SIZE = 512
#: reductions of products with more axes than this are not searched (2**ndim sums)
MAX_AXES = 6
#: how an array is said that the user's code holds under no name of its own, and the layer's output
UNNAMED, OUTPUT = "an array the layer holds", "the output"


def held_arrays(ev: Evidence, *, min_distinct: int = MIN_DISTINCT) -> list[tuple[str, np.ndarray]]:
    """The arrays the layer held after its forward on the case (its cache, in the user's own orientation), and its
    output, each with how the user's code holds it: what a formula in backward can read. Floating, finite, varied
    ones only (at least `min_distinct` distinct magnitudes), each once."""
    found: list[tuple[str, np.ndarray]] = []
    state = ev.state
    ev.reset()  # named as the check's forward left them: a question since may have rebound them (self.h = ...)
    remote = getattr(ev.layer, "held_arrays", None)
    if callable(remote):  # a layer in another process (the grader's sandbox) holds them there, and names them
        values = list(remote())
    else:
        names = user_names(ev.layer)
        values = [(names.get(id(live), UNNAMED), v) for live, v in state.arrays] \
            if state is not None else []
    try:
        values.append((OUTPUT, np.asarray(ev.output())))
    except Exception:  # an output the user's view cannot show is not one to compare with
        pass
    # the user's names first: of two arrays with the same values, the one the user's code holds is said
    values.sort(key=lambda named: 1 if named[0] in (UNNAMED, OUTPUT) else 0)
    for said, v in values:
        if not isinstance(v, np.ndarray) or v.size < 2 or v.size > MAX_HELD or not np.issubdtype(v.dtype, np.floating):
            continue
        v = v.astype(np.float64)
        if not np.all(np.isfinite(v)) or np.unique(np.round(np.abs(v), 12)).size < min_distinct:
            continue
        if not any(u.shape == v.shape and np.array_equal(u, v) for _, u in found):
            found.append((said, v))
    return found


def _sums(P: np.ndarray, shape: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    """P summed over each set of axes (none included) that leaves as many elements as `shape` holds, reshaped to it."""
    size = int(np.prod(shape))
    if P.ndim > MAX_AXES:
        return
    for k in range(P.ndim, -1, -1):  # most axes first: a sum over an axis of length 1 is said as the sum it is
        for axes in combinations(range(P.ndim), k):
            r = P.sum(axis=axes) if axes else P
            if r.size == size:
                yield axes, r.reshape(shape)


def _multiplied(ev: Evidence) -> np.ndarray | None:
    """What the target parameter multiplies in the forward, element by element of the output, measured: the whole
    parameter moved by h and by -h at once (an output element of a broadcast parameter reads one of its elements).
    In the user's orientation of the output; None if the layer cannot say."""
    p = ev.arr
    if p.size < 1 or not np.issubdtype(p.dtype, np.floating):
        return None
    # one step for the whole parameter: each output element reads one of its elements, so one step is as good
    # as one per element
    h = 1e-6 * max(1.0, float(np.sqrt(np.mean(p.astype(np.float64) ** 2))))

    def measure() -> np.ndarray:
        old = p.copy()
        try:
            p[...] = old + h
            up = np.asarray(ev.layer.forward(ev.x, ev.t), dtype=np.float64)
            p[...] = old - h
            down = np.asarray(ev.layer.forward(ev.x, ev.t), dtype=np.float64)
        finally:
            p[...] = old
        return ev.show_out((up - down) / (2 * h))

    found = quietly(ev, measure)
    return None if found is None else np.asarray(found, dtype=np.float64)


def parameter_from_held_array(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """A parameter's gradient that is sum(dout * A) over the axes the true one sums sum(dout * B) over, A and B
    arrays of the same shape the layer holds (B may be what the parameter multiplies, measured): the right formula
    read with the wrong array."""
    if ev is None or ev.target == "x" or ev.G is None or a.shape != n.shape or a.size < 1:
        return None
    G = np.asarray(ev.show_out(ev.G), dtype=np.float64)  # dout as the user holds it, as the arrays are
    named = [(said, A) for said, A in held_arrays(ev) if A.shape == G.shape]
    held = [A for _, A in named]
    if not held:
        return None
    error = norm(a - n)
    right: dict[tuple[int, ...], list[int]] = {}  # the axes over which sum(G * B) is the true gradient, by B
    wrong: dict[tuple[int, ...], int] = {}
    for i, A in enumerate(held):
        for axes, r in _sums(G * A, a.shape):
            if agrees(r, n, error):
                right.setdefault(axes, []).append(i)
            elif agrees(r, a, error):
                wrong.setdefault(axes, i)
    if not wrong:
        return None
    if not right:
        B = _multiplied(ev)
        if B is not None and B.shape == G.shape:
            right = {axes: [-1] for axes, r in _sums(G * B, a.shape) if agrees(r, n, error)}
    for axes, i in wrong.items():
        if axes in right:
            return Found("wrong-input", f"{name} is dout times {as_held(named[i])}, summed as the true {name} sums it: "
                         "the formula is right, but it reads the wrong array (e.g. dgamma = sum(dout * xc) with "
                         "xc = x - mean, where the normalised x_hat = xc / std belongs)")
    return None


def as_held(named: tuple[str, np.ndarray]) -> str:
    """The array as the user's code holds it (`self.xc`), or what it is and its shape where no name says it."""
    said, A = named
    return said if said not in (UNNAMED, OUTPUT) else f"{said} (of shape {A.shape})"


def _factors(ev: Evidence, shape: tuple[int, ...]) -> Iterator[tuple[np.ndarray, str]]:
    """Each array the layer holds that broadcasts to `shape`, and its complement 1 - A (sigmoid's 1 - out), with how
    it enters the product (times it, or divided by it) and by its name."""
    for said, A in held_arrays(ev):
        try:
            np.broadcast_shapes(A.shape, shape)
        except ValueError:
            continue
        if np.broadcast_shapes(A.shape, shape) != shape:
            continue
        held = as_held((said, A))
        for F, what in ((A, held), (1.0 - A, f"1 - {held}")):
            yield F, f"times {what}"
            if np.all(np.abs(F) > 1e-12 * float(np.abs(F).max())):
                yield 1.0 / F, f"divided by {what}"


def factor_left_out(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """The true gradient is `a` times (or divided by) one array the layer holds, or its complement: one factor of
    the chain rule's product is missing. The factor must vary (a constant is a scale, a 0/1 array a mask)."""
    if ev is None or a.shape != n.shape or a.size < 2:
        return None
    error = norm(a - n)
    for F, how in _factors(ev, a.shape):
        if np.unique(np.round(np.abs(F), 9)).size < MIN_DISTINCT:
            continue
        if agrees(a * F, n, error):
            return Found("dropped-term", f"{name} is the true gradient with one factor of its product left out: "
                         f"{how} it is the true gradient (e.g. sigmoid's dout * (1 - out) where dout * out * (1 - out) "
                         "belongs): multiply the missing factor in")
    return None


def left_out(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None, ev: Evidence | None) -> Found | None:
    """A factor of the chain rule's product left out: dout (`gradlab.core.diagnose_where.without_upstream`), an array
    the layer holds, or dout inside every term of a sum."""
    return without_upstream(name, a, n, upstream) or factor_left_out(name, a, n, ev) or \
        upstream_left_out(name, a, n, upstream, ev)


def upstream_left_out(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None,
                      ev: Evidence | None) -> Found | None:
    """`a` is the true gradient for an upstream gradient of ones: dout is left out of every term of the sum (a
    convolution's dw += window where dw += window * dout[n, f, i, j] belongs, inside a loop). Not for a loss (its
    dout is one number: leaving it out is a scale) or a dout that is constant itself."""
    if ev is None or upstream is None or a.shape != n.shape or ev.y0.size < 2:
        return None
    G = np.asarray(upstream, dtype=np.float64)
    if np.unique(np.round(G, 12)).size < 2:
        return None
    ones = np.ones(ev.y0.shape)
    jac = ev.jacobians
    if jac is not None:
        true_for_ones = (ones.reshape(-1) @ jac[1]).reshape(ev.arr.shape)
    elif ev.arr.size <= MAX_ONES_SIZE:
        true_for_ones = quietly(ev, lambda: numeric.looped_gradient(
            lambda: np.asarray(ev.layer.forward(ev.x, ev.t), dtype=np.float64), ev.arr, ones, ev.h))
        if true_for_ones is None:
            return None
    else:
        return None
    predicted = np.asarray(ev.show(np.asarray(true_for_ones, dtype=np.float64)), dtype=np.float64)
    if predicted.shape != a.shape or not agrees(predicted, a, norm(a - n)) or \
            norm(predicted - n) <= EXPLAINED * norm(n):
        return None
    return Found("dropped-term", f"{name} is the true gradient for an upstream gradient of ones: dout is left out of "
                 "its terms; multiply each term of the sum by its element of dout (e.g. dw += window * dout[n, f, i, "
                 "j] where dw += window stands, np.add.at(dW, idx, dout) where np.add.at(dW, idx, 1) stands)")


def data_axis_kept(name: str, a: np.ndarray, ev: Evidence | None) -> Found | None:
    """A parameter's gradient whose shape changes when the input grows along one of its axes (the batch, a spatial
    axis): it keeps an axis of dout that the parameter is shared over. Asked by running the layer on the input
    doubled along each axis in turn (an axis the parameters fix, such as the channels, cannot grow: skipped)."""
    if ev is None or ev.target == "x" or ev.x.ndim < 1 or not np.issubdtype(ev.x.dtype, np.floating):
        return None
    target = ev.target
    rng = np.random.default_rng(13)

    def shape_for(x: np.ndarray) -> tuple[int, ...] | None:
        ev.reset()
        y = np.asarray(ev.layer.forward(x, ev.t), dtype=np.float64)
        _, grads = ev.layer.backward(rng.standard_normal(y.shape))
        g = grads.get(target)
        return None if g is None else tuple(np.shape(g))

    def grown() -> list[int]:
        own = shape_for(ev.x.copy())
        if own is None:
            return []
        axes = []
        for i in range(ev.x.ndim):
            if ev.t is not None and i == 0:
                continue  # labels come per sample: the batch cannot grow without them
            x2 = np.concatenate([ev.x, ev.x + 0.1 * rng.standard_normal(ev.x.shape)], axis=i)
            try:
                shape = shape_for(x2)
            except Exception:  # an axis the parameters fix (a weight's input size): not the data's to grow
                continue
            if shape is not None and shape != own:
                axes.append(i)
        return axes

    axes = quietly(ev, grown)
    if not axes:
        return None
    which = ", ".join(str(i) for i in axes)
    return Found("wrong-reduction", f"{name}'s shape follows the data's: with the input grown along its axis {which}, "
                 f"{name} grows too, so it keeps an axis of dout the parameter is shared over; sum over every axis "
                 "but the parameter's own (a conv's db sums dout over axes (0, 2, 3))")


def term_left_out(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None,
                  ev: Evidence | None) -> Found | None:
    """`name` plus dout times one array the layer holds (or plus dout itself) is the true gradient: that path's term is
    missing, as when `=` overwrites where `+=` belongs (a GRU's dprev_h = dnext_h * z, then dprev_h = drh * r) or a
    residual branch is left out. Only arrays of dout's and the gradient's shape, one term, exactly."""
    if ev is None or upstream is None or upstream.shape != a.shape or a.shape != n.shape:
        return None
    G = upstream.astype(np.float64)
    error = norm(a - n)
    terms = [("dout", G)] + [(f"dout * {as_held((said, A))}", G * A) for said, A in quietly(ev, lambda: held_arrays(ev))
                             or [] if A.shape == a.shape]
    for said, term in terms:
        if agrees(a + term, n, error):
            return Found("dropped-term", f"{name} lacks exactly the term {said}: with it added, {name} is the true "
                         "gradient. That path's contribution was overwritten (= where += belongs) or left out")
    return None
