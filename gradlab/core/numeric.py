"""Finite differences in float64: the numeric side of every check.

The quantity differentiated is always `L = sum(G * y)` for a fixed upstream gradient `G` (for a
loss layer `y` is the scalar loss and `G = 1`). Differences are taken element-wise on `y` before
the sum with `G`, so outputs a perturbation does not reach cancel exactly instead of adding
rounding noise.

Two ways to evaluate perturbations:
- `stacked_input_gradient`: for layers that treat samples independently, perturb feature `j` of
  every sample at once and stack many such copies into one batch, so a whole gradient w.r.t. `x`
  costs a handful of forward calls;
- `looped_gradient`: one element at a time, perturbing a live array in place (parameters, and the
  input of loss layers and layers that mix samples).
Fewer calls for the second, exactly: `gradlab.core.separation` (one call per fiber of elements,
where the layer proves their outputs apart) and `gradlab.core.complex_step`.

`probe` re-examines a suspicious element with a five-point stencil to tell a kink (ReLU at 0, a
max-pool tie) from a wrong gradient. Non-goal: deciding pass or fail (that is `gradlab.core.compare`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: relative step: the cube root of float64's epsilon balances truncation and rounding error
STEP = float(np.finfo(np.float64).eps ** (1.0 / 3.0))
#: largest number of float64 elements a stacked batch may hold (keeps memory around 64 MB)
STACK_BUDGET = 1 << 23


def steps(arr: np.ndarray, rel: float = STEP) -> np.ndarray:
    """Per-element steps that scale with each element's magnitude (never below the array's scale)."""
    a = np.abs(arr)
    typical = float(np.sqrt(np.mean(a**2))) if a.size else 1.0
    # near-zero elements step by 1 (or by the array's typical size when all of it is small)
    floor = min(1.0, typical) if typical > 0 else 1.0
    return rel * np.maximum(a, floor)


def exact_steps(arr: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x + h, x - h, half the representable distance between them), so we divide by the real step."""
    plus, minus = arr + h, arr - h
    return plus, minus, (plus - minus) / 2.0


#: evaluate many single-element perturbations: (flat indices, new values) -> stacked outputs
ManyEvaluator = Callable[[np.ndarray, np.ndarray], np.ndarray]


def local_evaluator(evaluate: Callable[[], np.ndarray], arr: np.ndarray) -> ManyEvaluator:
    """Evaluate perturbations one by one in this process, setting and restoring `arr` in place."""
    flat = arr.reshape(-1)
    if not np.shares_memory(flat, arr):
        raise ValueError("perturbing needs a contiguous array that can be changed in place")

    def many(indices: np.ndarray, values: np.ndarray) -> np.ndarray:
        outs = []
        for k, v in zip(indices, values):
            old = flat[k]
            flat[k] = v
            try:
                outs.append(np.array(evaluate(), dtype=np.float64, copy=True))
            finally:
                flat[k] = old
        return np.stack(outs)

    return many


def chunk_size(out_size: int) -> int:
    """Elements whose perturbed outputs are stacked and summed with G together (at most 1024)."""
    return int(max(1, min(1024, STACK_BUDGET // max(1, 2 * out_size))))


def batched_gradient(many: ManyEvaluator, arr: np.ndarray, G: np.ndarray, h: np.ndarray | None = None,
                     out_size: int = 1) -> np.ndarray:
    """dL/d(arr) from the outputs of single-element perturbations, asked for many at a time.

    `many` may run them here (`local_evaluator`) or in another process (the grader's sandbox,
    which then needs one round trip per chunk instead of one per element).
    """
    flat = arr.reshape(-1)
    h = steps(arr) if h is None else h
    plus, minus, half = exact_steps(flat, h.reshape(-1))
    Gf = np.asarray(G, dtype=np.float64).reshape(-1)
    chunk = chunk_size(out_size)
    grad = np.empty(flat.size)
    for start in range(0, flat.size, chunk):
        idx = np.arange(start, min(flat.size, start + chunk))
        yp = np.asarray(many(idx, plus[idx]), dtype=np.float64).reshape(idx.size, -1)
        ym = np.asarray(many(idx, minus[idx]), dtype=np.float64).reshape(idx.size, -1)
        grad[idx] = ((yp - ym) @ Gf) / (2.0 * half[idx])
    return grad.reshape(arr.shape)


def looped_gradient(evaluate: Callable[[], np.ndarray], arr: np.ndarray, G: np.ndarray,
                    h: np.ndarray | None = None) -> np.ndarray:
    """dL/d(arr) one element at a time; `evaluate()` must read `arr` (which is perturbed in place)."""
    return batched_gradient(local_evaluator(evaluate, arr), arr, G, h, out_size=int(np.size(G)))


class StackingRefused(Exception):
    """The layer does not behave the same on a stacked batch; fall back to the element loop."""


def stacked_input_gradient(forward: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y0: np.ndarray,
                           G: np.ndarray, h: np.ndarray | None = None) -> np.ndarray:
    """dL/dx for a layer whose sample i output depends only on sample i.

    Copy k of the batch has feature j_k perturbed in every sample; copies for many features are
    stacked along the batch axis and evaluated in one forward call. The first copy of the first
    chunk is left unperturbed and must reproduce `y0`, which proves the layer really is
    per-sample and deterministic; otherwise `StackingRefused` is raised.
    """
    N = x.shape[0]
    feat = x.shape[1:]
    D = int(np.prod(feat)) if feat else 1
    out_per_sample = max(1, y0.size // max(N, 1))
    h = steps(x) if h is None else h
    xf = x.reshape(N, D)
    hf = h.reshape(N, D)
    plus, minus, half = exact_steps(xf, hf)
    per_copy = N * max(D, out_per_sample)
    chunk = max(1, min(D, STACK_BUDGET // (2 * per_copy)))
    Gs = G.reshape(N, -1)
    grad = np.empty((N, D))
    first = True
    for start in range(0, D, chunk):
        js = np.arange(start, min(D, start + chunk))
        K = js.size
        extra = 1 if first else 0
        batch = np.broadcast_to(xf, (2 * K + extra, N, D)).copy()
        rows = np.arange(K)
        batch[extra + 2 * rows, :, js] = plus[:, js].T
        batch[extra + 2 * rows + 1, :, js] = minus[:, js].T
        try:
            y = np.asarray(forward(batch.reshape((2 * K + extra) * N, *feat)), dtype=np.float64)
        except Exception as exc:
            raise StackingRefused(f"stacked forward raised {type(exc).__name__}") from exc
        if y.size != (2 * K + extra) * y0.size:
            raise StackingRefused("stacked output has the wrong size")
        y = y.reshape(2 * K + extra, N, -1)
        if first:
            ref = np.asarray(y0, dtype=np.float64).reshape(N, -1)
            alone = batch[extra].reshape(N, *feat)
            try:
                ref_perturbed = np.asarray(forward(alone), dtype=np.float64).reshape(N, -1)
            except Exception as exc:
                raise StackingRefused(f"forward raised {type(exc).__name__}") from exc
            # the unperturbed copy alone would miss batch statistics (the +h and -h copies cancel
            # in a mean), so one perturbed copy is also compared with the same copy run on its own
            for got, want in ((y[0], ref), (y[extra], ref_perturbed)):
                if not np.allclose(got, want, rtol=1e-10, atol=1e-13 * (1 + np.abs(want).max(initial=0))):
                    raise StackingRefused("a stacked copy of the batch gave a different output")
            first = False
        diff = y[extra::2] - y[extra + 1::2]  # (K, N, out)
        grad[:, js] = np.einsum("kno,no->nk", diff, Gs) / (2.0 * half[:, js])
    return grad.reshape(x.shape)


@dataclass(frozen=True)
class Probe:
    """A closer look at one element: a refined derivative and whether a kink lies in the stencil."""

    refined: float      # Richardson extrapolation of central differences at h and h/2
    kink: bool          # the function is not smooth within [x - h, x + h]
    roughness: float    # spread of second differences, in gradient units


def probe(evaluate_at: Callable[[float], np.ndarray], G: np.ndarray, h: float, discrepancy: float) -> Probe:
    """Five-point look at one element. `evaluate_at(delta)` returns y with the element moved by delta.

    On a smooth function the three second differences of the stencil agree to O(h^3); a kink
    between the points makes them differ by about h times the jump in slope. It is called a kink
    when that roughness is large enough to explain the disagreement `discrepancy` being examined.
    """
    Gf = np.asarray(G, dtype=np.float64)
    y = {d: np.asarray(evaluate_at(d * h), dtype=np.float64) for d in (-1.0, -0.5, 0.0, 0.5, 1.0)}

    def dot(a: np.ndarray) -> float:
        return float(np.vdot(Gf, a))

    d_h = dot(y[1.0] - y[-1.0]) / (2 * h)
    d_half = dot(y[0.5] - y[-0.5]) / h
    refined = (4 * d_half - d_h) / 3
    s = [dot((y[-1.0] - y[-0.5]) - (y[-0.5] - y[0.0])), dot((y[-0.5] - y[0.0]) - (y[0.0] - y[0.5])),
         dot((y[0.0] - y[0.5]) - (y[0.5] - y[1.0]))]
    roughness = (max(s) - min(s)) / (h / 2)
    return Probe(refined, roughness >= 0.25 * discrepancy, roughness)


#: a whole numeric array agreeing with the analytic one to this (CS231n's rel_error over the array) leaves no
#: truncation error worth looking for: the error shown is already far below what a student reads as suspect
AGREED = 1e-8
#: a truncation error, estimated on a few elements, above this fraction of the gradient's largest element is
#: taken out by Richardson extrapolation (central differences are O(h^2); the refined ones O(h^4))
TRUNCATION_TOL = 1e-9
#: elements the truncation estimate looks at (the analytic and numeric sides' largest disagreements)
TRUNCATION_PROBES = 3


def truncation_error(evaluate_at: Callable[[int, float], np.ndarray], G: np.ndarray, h: np.ndarray,
                     grad: np.ndarray, where: np.ndarray) -> float:
    """The largest |five-point − central| over the flat indices `where`: how far truncation alone moves
    those elements of `grad` (computed with steps `h`), estimated with a closer look at each."""
    g, hf = grad.reshape(-1), h.reshape(-1)
    worst = 0.0
    for k in where:
        look = probe(_moving(evaluate_at, int(k)), G, float(hf[k]), 0.0)
        worst = max(worst, abs(look.refined - float(g[k])))
    return worst


def _moving(evaluate_at: Callable[[int, float], np.ndarray], k: int) -> Callable[[float], np.ndarray]:
    """`evaluate_at` with element `k` fixed: what `probe` moves."""
    return lambda delta: evaluate_at(k, delta)


def refined_where_poor(grad: np.ndarray, analytic: np.ndarray | None, *,
                       gradient_at: Callable[[np.ndarray], np.ndarray],
                       evaluate_at: Callable[[int, float], np.ndarray], G: np.ndarray, h: np.ndarray,
                       noise: float) -> np.ndarray:
    """`grad` (central differences with steps `h`), Richardson-refined when its truncation error is large
    enough to show in the error reported: `gradient_at(h / 2)` is computed and (4 g(h/2) − g(h)) / 3 returned.

    The step scales with each element's magnitude, which is right where the function varies on that scale
    and too coarse where it varies on a much smaller one: batch norm of a feature whose samples spread by
    0.01 around 1 is differentiated with a step about 1e-3 of that spread, and its dx is off by ~1e-6.
    Nothing is spent on an array that already agrees with `analytic` to AGREED; otherwise the elements
    that disagree most get a five-point look (`truncation_error`), and only a truncation error above both
    TRUNCATION_TOL of the gradient and the rounding `noise` (which Richardson triples) is refined away.
    A wrong analytic gradient is no reason to refine: its disagreement is not truncation, the look says so.
    """
    if analytic is None or analytic.shape != grad.shape or not grad.size or not (
            np.issubdtype(analytic.dtype, np.floating) or np.issubdtype(analytic.dtype, np.integer)):
        return grad
    a = np.asarray(analytic, dtype=np.float64)
    if not np.all(np.isfinite(a)) or not np.all(np.isfinite(grad)):
        return grad
    diff = np.abs(a - grad).reshape(-1)
    size = float(np.linalg.norm(a) + np.linalg.norm(grad))
    if float(np.linalg.norm(diff)) <= AGREED * size:
        return grad
    where = np.argsort(-diff, kind="stable")[:TRUNCATION_PROBES]
    scale = float(np.abs(grad).max(initial=0.0))
    if truncation_error(evaluate_at, G, h, grad, where) <= max(TRUNCATION_TOL * scale, noise):
        return grad
    half = gradient_at(h / 2.0)
    return (4.0 * half - grad) / 3.0
