"""What diagnosis may ask of the layer itself once a gradient has failed.

Some hypotheses about a wrong gradient can only be tested on the layer: "is dx the derivative evaluated at the
output where the input belongs?" is answered by running backward on the output; "does this sample's output depend
on another sample?" by running forward on a larger batch. An `Evidence` holds the layer and its case (in gradlab's
orientation) and answers such questions in the user's orientation, each for a few calls, computed only when asked
(a passing gradient never builds one). Every answer is None when the layer cannot give it (another shape, a crash).
Every question finds the layer as the check's backward found it (`reset`, `gradlab.core.layer_state`): a layer that
updates its own weights in backward, or accumulates its gradients with `+=`, would otherwise answer each question on
the layer the previous one left behind. Once diagnosis is done, the layer is left as diagnosis found it (`leave`).
Non-goal: naming the bug (that is `gradlab.core.diagnose`); the answers are measurements only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

import numpy as np

from gradlab.core import numeric
from gradlab.core.layer_state import LayerState
from gradlab.core.protocol import Layer, grad_name, user_view

#: Jacobians for diagnosis (outputs x elements) are built only up to this many entries
MAX_JACOBIAN = 20000


def _same(a: np.ndarray) -> np.ndarray:
    return a


@dataclass
class Evidence:
    """The layer on one case, ready to answer diagnosis's questions about the gradient of `target`."""

    layer: Layer
    target: str  # "x" or a parameter name
    arr: np.ndarray  # the array `target` names (perturbed in place by `evaluate_at`, always restored)
    x: np.ndarray
    t: Any
    y0: np.ndarray
    h: np.ndarray
    evaluate_at: Callable[[int, float], np.ndarray]
    #: the upstream gradient backward was given, and how the user sees the target's and the output's arrays
    G: np.ndarray | None = None
    show: Callable[[np.ndarray], np.ndarray] = field(default=_same)
    show_out: Callable[[np.ndarray], np.ndarray] = field(default=_same)
    #: the true (numeric) gradient, in gradlab's orientation
    n: np.ndarray | None = None
    #: the layer as the check's backward found it (the check records it: `CheckContext.state`); without it, the
    #: layer as it is when the evidence is built
    state: LayerState | None = None
    #: the layer as diagnosis found it, to leave it so (`leave`)
    found: LayerState = field(init=False)

    def __post_init__(self) -> None:
        self.found = LayerState.of(self.layer)
        if self.state is None:
            self.state = self.found
        # the check records its state right after its forward on the case: put back whole, it holds that forward's
        # cache, and a backward on x needs no forward of its own (the user's forward may be slow, or write files)
        self._after_forward = self.state is not self.found and self.state.complete

    def reset(self) -> None:
        """Put the layer back as the check's backward found it: parameters, gradients it accumulates, its caches."""
        assert self.state is not None
        self.state.restore()

    def leave(self) -> None:
        """Put the layer back as diagnosis found it, once every question is answered: diagnosis changes nothing."""
        self.found.restore()

    def _backward_after_forward(self, x: np.ndarray, t: Any, G: np.ndarray) -> tuple[Any, dict[str, Any]]:
        """backward(G) after a forward on `x`, on the layer as the check's backward found it."""
        self.reset()
        return self._backward_as_it_is(x, t, G)

    def _backward_as_it_is(self, x: np.ndarray, t: Any, G: np.ndarray) -> tuple[Any, dict[str, Any]]:
        if not (self._after_forward and x is self.x and t is self.t):
            self.layer.forward(x, t)
        return self.layer.backward(G)

    def seen(self, G: np.ndarray, show: Callable[[np.ndarray], np.ndarray],
             show_out: Callable[[np.ndarray], np.ndarray], n: np.ndarray | None = None) -> Evidence:
        self.G, self.show, self.show_out, self.n = G, show, show_out, n
        return self

    @cached_property
    def jacobians(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(analytic, numeric) Jacobians of the output w.r.t. the target, each (outputs, elements); None if
        too big. Diagnosis needs them to see a dropped term for what it is: every entry right or missing.
        The analytic one is read off one backward per output element, with a one-hot upstream gradient."""
        m, size = self.y0.size, self.arr.size
        if not (0 < size and m * size <= MAX_JACOBIAN):
            return None
        h = self.h.reshape(-1)
        J = np.empty((m, size))
        try:
            self.reset()
            for k in range(size):
                up, down = self.evaluate_at(k, float(h[k])), self.evaluate_at(k, -float(h[k]))
                J[:, k] = (up - down).reshape(-1) / (2 * h[k])
            A = np.empty((m, size))
            for i in range(m):
                e = np.zeros(self.y0.shape)
                e.reshape(-1)[i] = 1.0
                # each row on the layer as the check found it: a backward that adds into its gradients (or updates
                # its weights) would otherwise give row i the sum of rows 0..i
                dx, grads = self._backward_after_forward(self.x, self.t, e)
                g = dx if self.target == "x" else grads.get(self.target)
                if g is None or np.shape(g) != self.arr.shape:
                    return None
                A[i] = np.asarray(g, dtype=np.float64).reshape(-1)
            return A, J
        finally:
            self.reset()

    @property
    def mixes_samples(self) -> bool | None:
        """Whether the layer's kind is meant to mix samples (batch norm), as its adapter says; None: unknown."""
        value = getattr(getattr(self.layer, "kind", None), "mixes_samples", None)
        return value if isinstance(value, bool) else None

    @property
    def batch_axis(self) -> int:
        """The user's batch axis: 1 for a layer written for samples as columns (its view transposes x), else 0."""
        seen = np.shape(self.show(self.x)) if self.target == "x" else self.x.shape
        return 1 if self.x.ndim == 2 and self.x.shape[0] != self.x.shape[1] and seen == self.x.shape[::-1] else 0

    @property
    def shape_preserving(self) -> bool:
        """dx of a layer whose output has its input's shape (an activation, dropout, a softmax)."""
        return self.target == "x" and self.y0.shape == self.x.shape

    def output(self) -> np.ndarray:
        """The layer's output on the case, as the user holds it."""
        return self.show_out(self.y0)

    def analytic_with_input(self, x_new: np.ndarray) -> np.ndarray | None:
        """The layer's own backward for the same upstream gradient, after a forward on `x_new` instead of x."""
        if self.target != "x" or self.G is None or x_new.shape != self.x.shape:
            return None
        return self._quietly(lambda: self._analytic(x_new))

    def dx_for_upstream(self, G: np.ndarray) -> np.ndarray | None:
        """dx (gradlab's orientation) after a forward on x, for upstream `G`; None: cannot tell (see `_dx_for`)."""
        return self._quietly(lambda: self._dx_for(self.x, G)) if self.target == "x" else None

    def dx_before_its_own_update(self) -> np.ndarray | None:
        """dx with what the layer's own update in backward put into it taken out (gradlab's orientation); None when
        backward changes no parameter. A backward that updates the parameters before it computes dx from them
        (`self.W -= lr * dW`, then `dout @ self.W.T`) gives dx(s·G) = s·A + s²·B: the update is itself linear in dout.
        A, the dx of the parameters forward used, is 2·dx(G) − dx(2G)/2."""
        G = self.G
        if self.target != "x" or G is None:
            return None

        def take_out() -> np.ndarray | None:
            (once, moved), (twice, _) = self._dx_and_moved(G), self._dx_and_moved(2 * G)
            return 2 * once - twice / 2 if moved else None

        return self._quietly(take_out)

    def _dx_and_moved(self, G: np.ndarray) -> tuple[np.ndarray, bool]:
        """dx for upstream `G` after a forward on x, and whether that backward changed a parameter (itself, or by
        the update its adapter made and put back: `rebound`, for a layer given a learning rate)."""
        self.reset()
        saved = {k: v.copy() for k, v in self.layer.params.items() if isinstance(v, np.ndarray)}
        rebound = set(getattr(self.layer, "rebound", ()))
        dx, _ = self._backward_as_it_is(self.x, self.t, np.array(G, copy=True))
        if dx is None or np.shape(dx) != self.x.shape:
            raise ValueError("no dx of x's shape")
        # changed in place, or replaced by a new array (self.W = self.W - lr * dW: the adapter puts gradlab's back
        # and notes it), or updated at the learning rate the adapter gave it and put back
        moved = any(not np.array_equal(self.layer.params[k], v) for k, v in saved.items()) or \
            bool(set(getattr(self.layer, "rebound", ())) - rebound) or \
            bool(rebound) and getattr(self.layer, "updates_itself", False) is True
        return np.asarray(dx, dtype=np.float64), moved

    def elementwise_gradient(self, at: np.ndarray) -> np.ndarray | None:
        """The true gradient at input `at` of a layer acting element by element: central differences moving every
        element at once (two calls; meaningless for a layer not element-wise: the caller confirms that on x first)."""
        if self.target != "x" or self.G is None or at.shape != self.x.shape or self.y0.shape != self.x.shape:
            return None
        G = self.G

        def gradient() -> np.ndarray:
            h = numeric.steps(at)
            up = np.asarray(self.layer.forward(at + h, self.t), dtype=np.float64)
            down = np.asarray(self.layer.forward(at - h, self.t), dtype=np.float64)
            return self.show(G * (up - down) / (2 * h))

        return self._quietly(gradient)

    def output_depends_on_another_sample(self) -> bool | None:
        """Whether sample 0's output changes when another sample joins the batch (None: cannot tell)."""
        if self.t is not None or self.x.ndim < 2 or self.y0.ndim < 1 or self.y0.shape[0] != self.x.shape[0]:
            return None
        # two other samples, one at a time: a shifted copy of sample 0 (a softmax over the batch of saturated
        # logits would not move for a sample far away) and one unlike it (a mean is unmoved by a copy)
        others = (self.x[:1] + 1.0, -1.7 * self.x[:1] + 0.3 * np.std(self.x) + 0.5)

        def changed() -> bool:
            for other in others:
                batch = np.concatenate([self.x, other], axis=0)
                y = np.asarray(self.layer.forward(batch, None), dtype=np.float64)
                if y.shape[1:] != self.y0.shape[1:] or y.shape[0] != batch.shape[0]:
                    raise ValueError("not a per-sample output")
                before, after = self.y0, y[:self.y0.shape[0]]
                if not np.allclose(after, before, rtol=1e-9, atol=1e-12 * (1.0 + float(np.abs(before).max()))):
                    return True
            return False

        return self._quietly(changed)

    def gradient_depends_on_another_upstream(self) -> bool | None:
        """Whether sample 0's dx changes when only the other samples' upstream gradient does (the same forward
        before each backward); None: cannot tell. A layer whose outputs are per sample gives each sample's dx
        from its own dout alone, whatever it does with its own features."""
        G = self.G
        if self.target != "x" or G is None or self.t is not None or self.x.ndim < 2 or G.ndim < 1 \
                or G.shape[0] != self.x.shape[0]:
            return None
        # one more sample, unlike sample 0, so that a batch of one asks the question too
        x = np.concatenate([self.x, -1.3 * self.x[:1] + 0.3 * float(np.std(self.x)) + 0.7], axis=0)
        rng = np.random.default_rng(11)
        size = 1.0 + float(np.std(G))
        first_G = np.concatenate([G, size * rng.standard_normal(G[:1].shape)], axis=0)
        second_G = first_G.copy()
        second_G[1:] = size * rng.standard_normal(second_G[1:].shape)

        def changed() -> bool | None:
            first = self._dx_for(x, first_G)
            second = self._dx_for(x, second_G)
            scale = float(np.abs(first).max(initial=0.0)) + float(np.abs(second).max(initial=0.0))
            same = partial(np.allclose, rtol=1e-9, atol=1e-12 * (1.0 + scale))
            if not same(self._dx_for(x, first_G), first):
                return None  # backward does not repeat itself (state kept between calls): no evidence here
            return not same(first[0], second[0])

        return self._quietly(changed)

    def _dx_for(self, x: np.ndarray, G: np.ndarray) -> np.ndarray:
        """dx after a forward on `x`, for upstream `G`. A backward that updates the parameters (`stale-parameters`)
        gives no evidence here: its dx may read the update, a sum over every sample's dout."""
        self.reset()
        saved = {k: v.copy() for k, v in self.layer.params.items() if isinstance(v, np.ndarray)}
        y = np.asarray(self.layer.forward(x.copy(), self.t))
        if y.shape != G.shape:
            raise ValueError("not one output per sample of the upstream gradient's shape")
        dx, _ = self.layer.backward(G.copy())
        if dx is None or np.shape(dx) != x.shape:
            raise ValueError("no dx of x's shape")
        if any(not np.array_equal(self.layer.params[k], v) for k, v in saved.items()):
            raise ValueError("backward changed the parameters")
        return np.asarray(dx, dtype=np.float64)

    def flows_where_zeroed(self, *, min_size: int = 256) -> tuple[int, int, int, int] | None:
        """On a batch of at least `min_size` elements (the case's samples repeated, shifted a little so that
        none repeats exactly): how many outputs the forward zeroed from a non-zero input, how many of those
        got gradient from backward, how many it kept (non-zero), and how many of those got none. A case small
        enough to zero nothing (or everything) cannot tell a missing mask from an inverted one."""
        if not self.shape_preserving or self.G is None or self.x.ndim < 1 or self.x.shape[0] < 1:
            return None
        reps = -(-min_size // max(self.x.size, 1))
        rng = np.random.default_rng(7)
        big = np.concatenate([self.x] * reps, axis=0)
        big = big + (0.1 * np.std(self.x) + 0.5 * np.abs(big).mean()) * rng.standard_normal(big.shape)
        G = rng.standard_normal(big.shape)

        def count() -> tuple[int, int, int, int]:
            y = np.asarray(self.layer.forward(big, self.t), dtype=np.float64)
            dx, _ = self.layer.backward(G.copy())
            if y.shape != big.shape or dx is None or np.shape(dx) != big.shape:
                raise ValueError("not shape-preserving on a larger batch")
            flows = np.asarray(dx) != 0
            zeroed, kept = (y == 0) & (big != 0), (y != 0) & (big != 0)
            return int(zeroed.sum()), int((zeroed & flows).sum()), int(kept.sum()), int((kept & ~flows).sum())

        return self._quietly(count)

    def upstream_times(self) -> dict[str, np.ndarray]:
        """For a parameter's gradient: dout times the input x and times the output y, each summed to the
        parameter's shape as a broadcast parameter's gradient is (over the leading axes, or all but the
        channel axis 1), in the user's orientation: what the gradient is if its formula read x or y."""
        G, p = self.G, self.arr.shape
        if self.target == "x" or G is None or not 0 < len(p) < G.ndim:
            return {}
        if G.shape[G.ndim - len(p):] == p:
            axes = tuple(range(G.ndim - len(p)))
        elif len(p) == 1 and G.ndim >= 3 and G.shape[1] == p[0]:
            axes = (0, *range(2, G.ndim))
        else:
            return {}
        return {name: self.show(np.sum(G * A, axis=axes)) for name, A in (("x", self.x), ("out", self.y0))
                if A.shape == G.shape and np.issubdtype(A.dtype, np.number)}

    def other_true_gradients(self, *, max_size: int = 256) -> dict[str, np.ndarray]:
        """The true gradients of the other parameters (small ones: 2 calls per element), by the user's
        spelling of each (`dbeta`), in the user's orientation: what a gradient stored in the wrong place holds."""
        G, found = self.G, {}
        if self.target == "x" or G is None:
            return {}
        for other, p in self.layer.params.items():
            if other == self.target or not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating) \
                    or not 0 < p.size <= max_size:
                continue
            g = self._quietly(partial(self._numeric_of, p, G))
            if g is not None:
                found[grad_name(self.layer, other)] = user_view(self.layer, other)(g)
        return found

    def analytic_gradients(self) -> dict[str, np.ndarray]:
        """The parameters' gradients the layer's own backward gives for the upstream gradient, by the user's
        spelling of each (`dbeta`), in the user's orientation."""
        G = self.G
        if G is None:
            return {}

        def ask() -> dict[str, np.ndarray]:
            _, grads = self._backward_after_forward(self.x, self.t, G.copy())
            return {grad_name(self.layer, k): user_view(self.layer, k)(np.asarray(v, dtype=np.float64))
                    for k, v in grads.items() if v is not None and np.issubdtype(np.asarray(v).dtype, np.number)}

        return self._quietly(ask) or {}

    def _numeric_of(self, p: np.ndarray, G: np.ndarray) -> np.ndarray:
        h, g = numeric.steps(p).reshape(-1), np.empty(p.size)
        for k in range(p.size):
            old = p.flat[k]
            try:
                p.flat[k] = old + h[k]
                up = float(np.sum(G * np.asarray(self.layer.forward(self.x, self.t), dtype=np.float64)))
                p.flat[k] = old - h[k]
                down = float(np.sum(G * np.asarray(self.layer.forward(self.x, self.t), dtype=np.float64)))
            finally:
                p.flat[k] = old
            g[k] = (up - down) / (2 * h[k])
        return g.reshape(p.shape)

    def loss_couples_samples(self) -> bool | None:
        """For a loss: whether sample 0's gradient stops being proportional to its own (the mean's 1/N aside)
        when another sample joins the batch; numeric, 2 calls per element of sample 0."""
        if self.target != "x" or self.t is None or self.n is None or self.y0.size != 1 or self.x.ndim < 2:
            return None
        x0, n0 = self.x[:1], self.n[:1]
        batch = np.concatenate([self.x, x0 + 1.0], axis=0)  # near sample 0: saturated logits still interact
        t = np.concatenate([self.t, self.t[:1]], axis=0)

        def coupled() -> bool:
            def sample0(xs: np.ndarray, ts: Any, stretch: float = 1.0) -> np.ndarray:
                first = xs[:1]  # a view of the batch: perturbed in place, element by element
                return numeric.looped_gradient(lambda: np.asarray(self.layer.forward(xs, ts)), first,
                                               np.ones(1), stretch * self.h[:1]).reshape(-1)  # the check's steps

            g, alone = sample0(batch, t), np.array(self.x, dtype=np.float64)
            # the finite differences' own noise, from two steps on the case's batch: a layer computing in
            # float32 is ~1e-3 off, which is no coupling (any failing float32 loss was couples-samples)
            first, second = sample0(alone, self.t), sample0(alone, self.t, 1.5)
            noise = float(np.linalg.norm(first - second)) / max(float(np.linalg.norm(first)), 1e-300)
            own = n0.reshape(-1)
            if not np.any(own) or not np.any(g):
                return bool(np.any(own) != np.any(g))
            c = float(g @ own) / float(own @ own)
            return bool(np.linalg.norm(g - c * own) > max(1e-4, 30 * noise) * np.linalg.norm(g))

        return self._quietly(coupled)

    def factor_on_a_doubled_batch(self, *, max_size: int = 2000) -> float | None:
        """The factor between backward's dx and the true one for the case's samples when the batch holds each
        sample twice (labels and upstream rows repeated): a missing or extra 1/N doubles or halves with the
        batch, a constant (a pooling window's area, a keep ratio) that equals N on this case stays. None: no
        answer (a parameter's gradient, samples as columns, a layer that cannot take the larger batch)."""
        G, N = self.G, self.x.shape[0] if self.x.ndim else 0
        if self.target != "x" or G is None or N < 1 or self.batch_axis != 0 or 2 * self.x.size > max_size:
            return None
        loss = self.y0.size == 1 and G.size == 1
        if not loss and (G.ndim < 1 or G.shape[0] != N):
            return None
        x2 = np.concatenate([self.x, self.x], axis=0)
        t2 = None if self.t is None else np.concatenate([np.asarray(self.t)] * 2, axis=0)
        G2 = np.asarray(G, dtype=np.float64) if loss else np.concatenate([G, G], axis=0)

        def factor() -> float | None:
            def total() -> float:
                y = np.asarray(self.layer.forward(x2, t2), dtype=np.float64)
                if y.shape != G2.shape:
                    raise ValueError("not one output per sample on a larger batch")
                return float(np.sum(G2 * y))

            first, h = x2[:N].reshape(-1), numeric.steps(self.x).reshape(-1)
            n2 = np.empty(first.size)
            for k in range(first.size):
                old = first[k]
                x2[:N].flat[k] = old + h[k]
                up = total()
                x2[:N].flat[k] = old - h[k]
                down = total()
                x2[:N].flat[k] = old
                n2[k] = (up - down) / (2 * h[k])
            dx, _ = self._backward_after_forward(x2.copy(), t2, G2.copy())
            if dx is None or np.shape(dx) != x2.shape:
                raise ValueError("no dx of the larger batch's shape")
            a2 = np.asarray(dx, dtype=np.float64)[:N].reshape(-1)
            if not np.any(n2):
                return None
            return float(a2 @ n2) / float(n2 @ n2)

        return self._quietly(factor)

    def label_dependence(self, *, max_size: int = 2000) -> tuple[np.ndarray, np.ndarray] | None:
        """For a loss: how backward's dx and the true dx change when only the labels change, as (analytic
        change, true change) in gradlab's orientation. The other labels: each index moved to the next class,
        or targets of x's shape (one-hot rows) rolled along the classes. Numeric: 2 calls per element of x."""
        G, t, n = self.G, self.t, self.n
        if self.target != "x" or G is None or t is None or n is None or self.y0.size != 1 \
                or not 2 <= self.x.shape[-1] or self.x.size > max_size:
            return None
        t = np.asarray(t)
        if np.issubdtype(t.dtype, np.integer) and t.shape == self.x.shape[:-1]:
            other = (t + 1) % self.x.shape[-1]
        elif t.shape == self.x.shape:
            other = np.roll(t, 1, axis=-1)
        else:  # labels packed with other arrays (a mask): no single way to move them
            return None
        if np.array_equal(other, t):
            return None

        def change() -> tuple[np.ndarray, np.ndarray]:
            x = self.x.astype(np.float64).copy()  # perturbed in place, element by element
            n_other = numeric.looped_gradient(lambda: np.asarray(self.layer.forward(x, other.copy())), x,
                                              np.asarray(G, dtype=np.float64), self.h)  # the check's steps
            analytic = []
            for labels in (t, other):
                dx, _ = self._backward_after_forward(self.x.copy(), labels.copy(), np.array(G, dtype=np.float64))
                if dx is None or np.shape(dx) != self.x.shape:
                    raise ValueError("no dx of x's shape")
                analytic.append(np.asarray(dx, dtype=np.float64))
            return analytic[1] - analytic[0], n_other - n

        return self._quietly(change)

    def _analytic(self, x_new: np.ndarray) -> np.ndarray:
        assert self.G is not None
        dx, _ = self._backward_after_forward(x_new.copy(), self.t, self.G.copy())
        if dx is None or np.shape(dx) != self.x.shape:
            raise ValueError("no dx of x's shape")
        return self.show(np.asarray(dx, dtype=np.float64))

    def _quietly(self, ask: Callable[[], Any]) -> Any:
        """`ask()` on the layer as the check's backward found it, or None if the layer raised; the layer is left
        so (its cache put back to the case's forward, for a layer whose state could not all be recorded)."""
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                self.reset()
                return ask()
        except Exception:  # a layer that cannot answer leaves the hypothesis untested, nothing more
            return None
        finally:
            if not self._after_forward:
                try:
                    self.layer.forward(self.x, self.t)
                except Exception:  # its crash is reported by the step that owns it
                    pass
            self.reset()
