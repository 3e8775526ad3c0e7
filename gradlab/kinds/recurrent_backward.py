"""The recurrent cells' exact backward with every activation derivative evaluated at a chosen array, and
the reading that names a derivative taken at the wrong array (`wrong-input`).

A recurrent cell applies tanh and sigmoid in several places (an RNN's new state; an LSTM's four gates
and the tanh of its cell state; a GRU's two gates and its candidate), and each derivative is written by
hand from a cached array: `1 - h_prev**2` where `1 - h_next**2` belongs, `1 - next_c**2` where
`1 - np.tanh(next_c)**2` belongs. Such a gradient is wrong by no simple pattern (the general diagnosis
says "a smaller term is missing"). The same holds for a product's local derivative, the other factor
(next_c = f * prev_c + i * g, so df = dc * prev_c), read from another array. Here every hypothesis "the
derivative at this place was computed from that array" is a whole backward of the cell, computed from the
case's own numbers; the one that reproduces the analytic gradient, where the true backward reproduces the
layer's own forward, names it.
Cells: the RNN step, the LSTM step in both published gate orders (CS231n's i, f, o, g; the textbook's
f, g, i, o), the textbook's GRU step (gates z, r, h) (`gradlab.kinds.recurrent_cells`); and sequences of
them from h0 (or zeros).
Non-goal: any other bug of a recurrent cell (the kinds' own readings and the general diagnosis keep those).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from gradlab.core.kind import Case
from gradlab.kinds.recurrent_cells import Arrays, Cell, Grads, Hypothesis, sigmoid

#: the analytic gradient is "this hypothesis" when it comes this close to the hypothesis's gradient, as a
#: fraction of the true gradient's largest element (round-off of a float64 cell is ~1e-15 of it; a cell
#: computing in float32, as the textbook's time layers do, ~1e-7) ...
MATCH_RTOL = 1e-5
#: ... and a hypothesis is told apart from the true backward only where it moves the gradient this much
APART_RTOL = 1e-3



def hypotheses(cell: Cell, arr: Arrays) -> Iterator[Hypothesis]:
    """Every derivative computed from another array of the cell's shape, one place at a time; then every place
    of one activation from its own pre-activation or its own output at once (one helper called for all gates)."""
    shape = arr["next_h"].shape
    names = [n for n, v in arr.items() if v.shape == shape]
    for site in cell.sites:
        for form, right in (("post", site.post), ("pre", site.pre))[:1 if site.activation is None else 2]:
            for name in names:
                if name != right:
                    yield Hypothesis((site,), form, (name,))
    for activation in (sigmoid, np.tanh):
        same = tuple(s for s in cell.sites if s.activation is activation)
        if len(same) > 1:
            yield Hypothesis(same, "post", tuple(s.pre for s in same))
            yield Hypothesis(same, "pre", tuple(s.post for s in same))
    # an activation's output computed once from another array, then read everywhere backward needs it (tc =
    # np.tanh(prev_c) in both do = dh * tc and dc = dh * o * (1 - tc**2))
    for site in cell.sites:
        readers = tuple(s for s in cell.sites if s.activation is None and s.of is not None and s.post == site.post)
        if site.activation is None or not readers:
            continue
        for name in names:
            if name != site.pre:
                yield Hypothesis((site, *readers), "pre", (name,) * (1 + len(readers)))


def _spoken(name: str) -> str:
    return f"the pre-activation {name}" if name == "a" or name.startswith("a_") else name


def sentence(h: Hypothesis, target: str) -> str:
    """What was written and what belongs there, in the cell's own array names."""
    site = h.sites[0]
    right = ", ".join(s.formula("post", s.post) for s in h.sites)
    if len(h.sites) > 1 and any(s.activation is None for s in h.sites):
        wrote = " and ".join(s.formula(h.form, n) for s, n in zip(h.sites, h.arrays))
        right = " and ".join(s.formula("post", s.post) for s in h.sites)
        return (f"d{target} is wrong because {site.post} is computed from {h.arrays[0]} instead of {site.pre}, in "
                f"every place backward reads it: {wrote} should be {right}")
    if len(h.sites) > 1:
        wrote = ", ".join(s.formula(h.form, n) for s, n in zip(h.sites, h.arrays))
        said = ("computed from the pre-activations, where the outputs belong" if h.form == "post"
                else "evaluated at the outputs, where it belongs at the pre-activations")
        return f"d{target} is wrong because every {site.name}' of the cell is {said} ({wrote}): write {right}"
    u = h.arrays[0]
    if site.activation is None:
        return (f"d{target} is wrong because {site.what} multiplies by {u}, where {site.post} belongs ({site.law}): "
                f"{site.formula('post', u)} should be {right}")
    if h.form == "post":
        said = f"is computed from {_spoken(u)}, where {site.post} belongs"
    else:
        said = f"is evaluated at {_spoken(u)}, where it belongs at {_spoken(site.pre)}"
    return (f"d{target} is wrong because the derivative of {site.what} {said}: "
            f"{site.formula(h.form, u)} should be {right}")


# --- a step or a sequence of steps, run forward and backward under one hypothesis --------------------------

def _states(case: Case, cell: Cell, zero: bool) -> tuple[np.ndarray, ...]:
    p, N = case.params, case.x.shape[0]
    if zero:
        # Wh is (H, gates * H); PyTorch's layouts hold W_hh (H, H) or a weight per gate, Wrh (H, H)
        H = next(p[k] for k in ("Wh", "W_hh", "Wrh") if k in p).shape[0]
        first = p.get("h0", np.zeros((N, H)))
        return (first, *(np.zeros((N, H)) for _ in cell.states[1:]))
    return tuple(p[name] for name in cell.states)


def run_step(cell: Cell, case: Case, order: tuple[int, ...], upstream: np.ndarray,
             hypothesis: Hypothesis | None) -> tuple[np.ndarray, Grads]:
    """One step's joined output and its gradients (upstream split per output, as `Kind.outputs` joins them)."""
    arr = cell.forward(case.x, _states(case, cell, zero=False), case.params, order)
    outs = [arr["next_h"]] + ([arr["next_c"]] if len(cell.states) > 1 else [])
    up = tuple(np.split(upstream, len(outs), axis=-1))
    return np.concatenate(outs, axis=-1), cell.backward(arr, cell.factors(arr, hypothesis), up, case.params, order)


def run_sequence(cell: Cell, case: Case, order: tuple[int, ...], upstream: np.ndarray, hypothesis: Hypothesis | None,
                 start: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, Grads]:
    """A sequence's hidden states (N, T, H) and its gradients (x, h0 and the weights), every step under the
    hypothesis, from `start` (else h0 or zeros, and a zero cell state)."""
    state = start if start is not None else _states(case, cell, zero=True)
    steps = []
    for t in range(case.x.shape[1]):
        arr = cell.forward(case.x[:, t], state, case.params, order)
        steps.append(arr)
        state = (arr["next_h"], *([arr["next_c"]] if len(state) > 1 else []))
    totals: Grads = {k: np.zeros_like(v) for k, v in case.params.items() if k in ("Wx", "Wh", "b")}
    dx = np.zeros(case.x.shape)
    carry = tuple(np.zeros_like(s) for s in state)
    for t in reversed(range(len(steps))):
        up = (upstream[:, t] + carry[0], *carry[1:])
        g = cell.backward(steps[t], cell.factors(steps[t], hypothesis), up, case.params, order)
        dx[:, t] = g["x"]
        for k in totals:
            totals[k] += g[k]
        carry = (g["prev_h"], *([g["prev_c"]] if len(carry) > 1 else []))
    grads = {"x": dx, "h0": carry[0], **totals}
    return np.stack([s["next_h"] for s in steps], axis=1), grads


@dataclass(frozen=True)
class Runner:
    """A case's cell run one way: one step from the case's state, or a sequence from `start` (a gate order -> the
    first state; None: h0 or zeros, and a zero cell state)."""

    cell: Cell
    case: Case
    upstream: np.ndarray
    sequence: bool = False
    start: Callable[[tuple[int, ...]], tuple[np.ndarray, ...]] | None = None

    def begin(self, order: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        if self.start is not None:
            return self.start(order)
        return _states(self.case, self.cell, zero=self.sequence)

    def __call__(self, order: tuple[int, ...], h: Hypothesis | None) -> tuple[np.ndarray, Grads]:
        if self.sequence:
            return run_sequence(self.cell, self.case, order, self.upstream, h, self.begin(order))
        return run_step(self.cell, self.case, order, self.upstream, h)

    def first_arrays(self, order: tuple[int, ...]) -> Arrays:
        """The arrays of the first step: they name the hypotheses (every step has the same names)."""
        x = self.case.x[:, 0] if self.sequence else self.case.x
        return self.cell.forward(x, self.begin(order), self.case.params, order)


def _close(a: np.ndarray, b: np.ndarray, scale: float, rtol: float) -> bool:
    return a.shape == b.shape and float(np.abs(a - b).max(initial=0.0)) <= rtol * scale


Predictions = tuple[Grads, list[tuple[Hypothesis, Grads]]]
#: the last case's predictions: the check reads every failing gradient of a case in turn, and each hypothesis's
#: backward gives all of them at once (keyed by the case's numbers, the upstream gradient and the output)
_LAST: dict[bytes, Predictions | None] = {}


def _key(runs: list[Runner], out: np.ndarray) -> bytes:
    case = runs[0].case
    arrays = [case.x, runs[0].upstream, out, *(case.params[k] for k in sorted(case.params))]
    return b"|".join([repr([(r.sequence, r.start is not None, id(r.cell)) for r in runs]).encode(),
                      *(np.ascontiguousarray(a).tobytes() + repr(a.shape).encode() for a in arrays)])


def predictions(runs: list[Runner], out: np.ndarray) -> Predictions | None:
    """The true gradients and every hypothesis's, under the first gate order and start whose true forward is the
    layer's output `out` (None: no run reproduces it, the cell is not one of these)."""
    key = _key(runs, out)
    if key in _LAST:
        return _LAST[key]
    found: Predictions | None = None
    for run, order in [(r, o) for r in runs for o in r.cell.orders]:
        y, true = run(order, None)
        if y.shape == out.shape and np.allclose(y, out, rtol=1e-5, atol=1e-8 * float(np.abs(out).max())):
            found = true, [(h, run(order, h)[1]) for h in hypotheses(run.cell, run.first_arrays(order))]
            break
    _LAST.clear()
    _LAST[key] = found
    return found


def read_wrong_input(runs: list[Runner], target: str, analytic: np.ndarray, numeric: np.ndarray,
                     out: np.ndarray) -> tuple[str, str] | None:
    """`wrong-input` with its sentence when one hypothesis's d`target` is the analytic one, under a gate order and
    a start whose true forward is the layer's output `out`; None otherwise."""
    found = predictions(runs, out)
    if found is None or target not in found[0]:
        return None
    true, tested = found
    scale = max(float(np.abs(numeric).max(initial=0.0)), 1e-300)
    for h, grads in tested:
        g = grads[target]
        if _close(analytic, g, scale, MATCH_RTOL) and not _close(g, true[target], scale, APART_RTOL):
            return "wrong-input", sentence(h, target)
    return None


# --- the kinds' reading -------------------------------------------------------------------------------------

Reading = Callable[[Case, str, np.ndarray, np.ndarray, np.ndarray], "tuple[str, str] | None"]


def _carried(cell: Cell, case: Case) -> Callable[[tuple[int, ...]], tuple[np.ndarray, ...]]:
    """The state a stateful time layer starts its checked call from: what a first call on the sequence reversed
    in time left (`Kind.carried_state`)."""
    reversed_case = Case(case.x[:, ::-1], None, case.params, case.hyper, case.spec)

    def start(order: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        state = _states(case, cell, zero=True)
        for t in range(reversed_case.x.shape[1]):
            arr = cell.forward(reversed_case.x[:, t], state, case.params, order)
            state = (arr["next_h"], *([arr["next_c"]] if len(state) > 1 else []))
        return state
    return start


@dataclass(frozen=True)
class WrongInput:
    """A recurrent kind's `Kind.explain`: its earlier reading first (the forget gate left out, one time step's
    share), then a derivative evaluated at the wrong array (`read_wrong_input`), for a step or a sequence."""

    cell: Cell
    sequence: bool = False
    first: Reading | None = None
    #: the other cells the kind's layers are written as (a GRU step in the textbook's equations or PyTorch's): each
    #: is tried where the one before does not reproduce the layer's forward
    others: tuple[Cell, ...] = ()
    #: `Kind.explain` protocol: the hypotheses' gradients are computed from dout
    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
                 out: np.ndarray, upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        found = self.first(case, target, analytic, numeric, out) if self.first is not None else None
        if found is not None or upstream is None or upstream.shape != out.shape:
            return found
        runs = []
        for cell in self.cells:
            if self.sequence and case.hyper.get("stateful"):
                runs.append(Runner(cell, case, upstream, True, _carried(cell, case)))
            runs.append(Runner(cell, case, upstream, self.sequence))
        return read_wrong_input(runs, target, analytic, numeric, out)

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (self.cell, *self.others)
