"""What diagnosis may ask of the layer itself once a gradient has failed.

Some hypotheses about a wrong gradient can only be tested on the layer: "is dx the derivative evaluated at the
output where the input belongs?" is answered by running backward on the output; "does this sample's output depend
on another sample?" by running forward on a larger batch. An `Evidence` holds the layer and its case (in gradlab's
orientation) and answers such questions in the user's orientation, each for a few calls, computed only when asked
(a passing gradient never builds one). Every answer is None when the layer cannot give it (another shape, a crash).
Every question finds the layer as the check's backward found it, and diagnosis leaves it as it found it
(`gradlab.core.layer_on_case`). The questions about other batches are in `evidence_samples`, those about the
parameters in `evidence_parameters`; here are the Jacobians and the questions about the input and the labels.
Non-goal: naming the bug (that is `gradlab.core.diagnose`); the answers are measurements only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np

from gradlab.core import numeric
from gradlab.core.evidence_parameters import ParameterQuestions
from gradlab.core.evidence_samples import SampleQuestions

#: Jacobians for diagnosis (outputs x elements) are built only up to this many entries
MAX_JACOBIAN = 20000
#: a true gradient is computed again element by element (2 forwards each) only up to this many elements
MAX_LOOPED = 2048


class Evidence(SampleQuestions, ParameterQuestions):
    """The layer on one case, ready to answer diagnosis's questions about the gradient of `target`."""

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

    def without_flat_outputs(self, *, min_size: int = 64
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Where the forward holds some outputs flat (zeroed by a mask, clipped at a cap: unchanged to the last bit
        when every input element moves a little, in two random directions): (the target's gradient from backward
        for dout, the same with dout zeroed at the flat outputs, the same for minus that, the true gradient), in
        gradlab's orientation (the third tells a backward linear in dout from one reading its mask off dout's sign).
        On the case; where the case holds every output flat (or its true gradient vanishes) and the layer is no
        loss, on a larger batch (the case's samples repeated and spread, as `flows_where_zeroed` builds it), where
        the true gradient is computed again (2 calls per element). None: no output is flat, or the layer cannot
        say."""
        if self.G is None or self.n is None or not np.issubdtype(self.x.dtype, np.floating):
            return None
        rng = np.random.default_rng(5)

        def flat_at(x: np.ndarray, y0: np.ndarray) -> np.ndarray:
            return self._flat_outputs(x, y0, rng)

        def target_of(x: np.ndarray, G: np.ndarray) -> np.ndarray:
            dx, grads = self._backward_after_forward(x.copy(), self.t, G.copy())
            g = dx if self.target == "x" else grads.get(self.target)
            if g is None or np.shape(g) != (x.shape if self.target == "x" else self.arr.shape):
                raise ValueError("no gradient of the target's shape")
            return np.asarray(g, dtype=np.float64)

        def on_the_case() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
            assert self.G is not None and self.n is not None
            flat = flat_at(self.x, self.y0)
            if not flat.any() or flat.all() or not np.any(self.n):
                return None
            kept = np.where(flat, 0.0, self.G)
            return target_of(self.x, self.G), target_of(self.x, kept), target_of(self.x, -kept), self.n

        def on_a_larger_batch() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
            if self.t is not None or self.x.ndim < 1 or self.x.shape[0] < 1:
                return None
            reps = -(-min_size // max(self.x.size, 1))
            big = np.concatenate([self.x] * reps, axis=0).astype(np.float64)
            big = big + (0.5 * float(np.std(self.x)) + 0.5 * float(np.abs(self.x).mean()) + 0.1) * \
                rng.standard_normal(big.shape)
            y0 = np.asarray(self.layer.forward(big.copy(), None), dtype=np.float64)
            flat = flat_at(big, y0)
            if not flat.any() or flat.all():
                return None
            G = rng.standard_normal(y0.shape)
            arr = big if self.target == "x" else self.arr
            if arr.size > MAX_LOOPED:  # 2 forwards per element: a small layer's question only
                return None
            true = numeric.looped_gradient(lambda: self.layer.forward(big, None), arr, G)
            kept = np.where(flat, 0.0, G)
            return target_of(big, G), target_of(big, kept), target_of(big, -kept), true

        found = self._quietly(on_the_case)
        if found is None:
            found = self._quietly(on_a_larger_batch)
        return found

    def _flat_outputs(self, x: np.ndarray, y0: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The outputs `y0` (of input `x`) that stay the same to the last bit when every input element moves a little,
        in two random directions."""
        same = np.ones(y0.shape, dtype=bool)
        for _ in range(2):
            step = numeric.steps(x) * rng.uniform(0.5, 1.0, x.shape) * rng.choice((-1.0, 1.0), x.shape)
            y = np.asarray(self.layer.forward(x + step, self.t), dtype=np.float64)
            if y.shape != y0.shape:
                raise ValueError("the output's shape moved with the input")
            same &= y == y0
        return same

    def elementwise_on_a_larger_input(self, *, min_size: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """For a layer acting element by element (the caller confirms that on the case first): on an input of at
        least `min_size` elements (the case's samples repeated, spread out so that both sides of any threshold the
        case straddles are seen many times) and a new upstream gradient, (x, analytic dx, true dx), each in the user's
        orientation. The true dx moves every element at once (two calls), as `elementwise_gradient` does."""
        if not self.shape_preserving or self.t is not None or self.x.ndim < 1 or self.x.shape[0] < 1:
            return None
        reps = -(-min_size // max(self.x.size, 1))
        rng = np.random.default_rng(11)
        big = np.concatenate([self.x] * reps, axis=0).astype(np.float64)
        big = big + (0.5 * float(np.std(self.x)) + 0.5 * float(np.abs(self.x).mean()) + 0.1) * \
            rng.standard_normal(big.shape)
        G = rng.standard_normal(big.shape)

        def ask() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            dx, _ = self._backward_after_forward(big.copy(), None, G.copy())
            if dx is None or np.shape(dx) != big.shape:
                raise ValueError("no dx of x's shape on a larger input")
            h = numeric.steps(big)
            up = np.asarray(self.layer.forward(big + h, None), dtype=np.float64)
            down = np.asarray(self.layer.forward(big - h, None), dtype=np.float64)
            true = G * (up - down) / (2 * h)
            seen = (big, np.asarray(dx, dtype=np.float64), true)
            return tuple(np.asarray(self.show(v), dtype=np.float64) for v in seen)  # type: ignore[return-value]

        return self._quietly(ask)

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
