"""Diagnosis's questions about the layer's parameters: what their gradients would be if written otherwise.

A parameter's wrong gradient may be another parameter's (stored in the wrong place), dout times the input or the
output (a formula reading the wrong array), or dx may have read weights backward had already updated. Each question
answers in the user's orientation and spelling (`dbeta`), or with nothing when the layer cannot tell.
Non-goal: naming the bug (that is `gradlab.core.diagnose`); the answers are measurements only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial

import numpy as np

from gradlab.core import numeric
from gradlab.core.layer_on_case import LayerOnCase
from gradlab.core.protocol import grad_name, user_view


class ParameterQuestions(LayerOnCase):
    """The questions `Evidence` asks about the arrays the layer holds and the gradients it gives for them."""

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

    def backward_with_altered(self, p: np.ndarray,
                              alter: Callable[[np.ndarray, np.ndarray], None]) -> np.ndarray | None:
        """The target's gradient (user's orientation) after the case's forward, with `alter(p, saved)` changing the
        parameter array `p` in place in between (a cache holds the parameter itself, or views of it): the sign-flip and
        block-order hypotheses ask it. `p` and the layer's state are put back after; None where the layer cannot
        answer (the hypothesis stays untested)."""
        assert self.G is not None
        saved = p.copy()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                self.reset()
                self.layer.forward(self.x, self.t)
                alter(p, saved)
                dx, grads = self.layer.backward(self.G.copy())
            g = dx if self.target == "x" else grads.get(self.target)
            if g is None or np.shape(g) != self.arr.shape:
                return None
            return np.asarray(self.show(np.asarray(g, dtype=np.float64)), dtype=np.float64)
        except Exception:  # noqa: BLE001 - a layer that cannot answer leaves the hypothesis untested
            return None
        finally:
            p[...] = saved
            try:
                self.layer.forward(self.x, self.t)
            except Exception:  # noqa: BLE001 - its crash is reported by the step that owns it
                pass

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

    def gradient_pair(self, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(backward's gradient, the true gradient) of parameter `key`, in gradlab's orientation (the one the layer
        holds it in), for the case's upstream gradient; None when backward gives none of its shape."""
        G, p = self.G, self.layer.params.get(key)
        if G is None or not isinstance(p, np.ndarray):
            return None

        def ask() -> tuple[np.ndarray, np.ndarray] | None:
            _, grads = self._backward_after_forward(self.x, self.t, G.copy())
            g = grads.get(key)
            if g is None or np.shape(g) != p.shape:
                return None
            mine = np.array(g, dtype=np.float64)
            return mine, self._numeric_of(p, G)

        return self._quietly(ask)

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
        """The true gradient of sum(G * forward(x)) with respect to the array `p` the layer holds, by central
        differences (2 calls per element), `p` put back after each."""
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
