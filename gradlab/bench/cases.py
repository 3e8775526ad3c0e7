"""The gradlab side of `gradlab bench`: the layers and cases it times, built on the real checker.

The headline cases are users' layers: the registry's reference class-style `Affine`,
`Convolution` and `BatchNormalization`, written as the textbook writes them, checked through their
adapters (`gradlab.conventions.adapters.adapt`) by `gradlab.core.check.check_case`, exactly as
`gradlab check` checks a student's layer: no gradlab-specific hook, the layer is a black box that
gradlab can only call (`UserCase`).

A separate, clearly labelled case is a native-protocol layer (`gradlab.core.protocol`) computing
an affine map, a sigmoid and softmax cross-entropy averaged over the batch, with a hand-written
backward. It also implements the protocol's optional `forward_perturbed` hook, vectorised: a
perturbation of `W[j, k]` or `b[k]` moves column k of the pre-activation only, and one of `x[i, j]`
row i only, so K perturbed losses cost O(K N) or O(K M) work instead of K full forward passes. Its
`forward_replaced` hook evaluates fast mode's whole-array moves as one batched pass. A user's layer
has neither hook, so this case shows what the hooks buy, never what a user gets. Deliberately
buggy variants show that the same check catches the classic 1/N and transpose bugs.

Non-goals: timing (that is `gradlab.bench.runner`), PyTorch (`gradlab.bench.pytorch`), and being a layer
anyone trains with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import numpy as np

from gradlab.core.check import check_case
from gradlab.core.protocol import Layer
from gradlab.core.results import CaseResult
from gradlab.kinds import Case, Kind, affine, batchnorm, build_case, conv

#: the issue's headline size: N=32, 128 -> 64, i.e. 4096 + 8192 + 64 = 12,352 checked elements
HEADLINE = {"N": 32, "D": 128, "M": 64}
#: the issue's convolution: N=4, C=3, 8x8 images, 4 filters of 3x3 (stride 1, padding 1)
CONV_SPEC = {"N": 4, "C": 3, "H": 8, "W": 8, "F": 4, "HH": 3, "WW": 3, "stride": 1, "pad": 1, "seed": 0}
#: the headline users' layers: kind name -> (registry entry, kind, case spec)
USER_LAYERS: dict[str, tuple[str, Kind, dict[str, Any]]] = {
    affine.KIND.name: ("Affine", affine.KIND, {"N": HEADLINE["N"], "in_shape": (HEADLINE["D"],), "out": HEADLINE["M"],
                                               "seed": 0, "scale": 1.0}),
    conv.KIND.name: ("Convolution", conv.KIND, CONV_SPEC),
    batchnorm.KIND.name: ("BatchNormalization", batchnorm.KIND, {"N": 64, "D": 32, "seed": 0, "scale": 1.0}),
}


#: float64 elements per temporary in the vectorised hooks (64 KB, below malloc's mmap threshold)
TEMP_BUDGET = 1 << 13


def _sigmoid_(z: np.ndarray) -> np.ndarray:
    """The sigmoid of `z`, computed in place.

    The tanh identity never overflows (1 / (1 + exp(-z)) does for z < -709) and is 5x faster than
    exp(-logaddexp(0, -z)); its error is absolute (~eps), which is all softmax and s(1-s) need.
    """
    z *= 0.5
    np.tanh(z, out=z)
    z *= 0.5
    z += 0.5
    return z


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return _sigmoid_(np.array(z, dtype=np.float64, copy=True))


class AffineSigmoidCE:
    """loss = mean over samples of cross-entropy(softmax(sigmoid(x @ W + b)), t), t class indices.

    The softmax's input is a sigmoid output in (0, 1), so its exponentials cannot overflow and
    need no max-shift; that also makes the incremental log-sum-exp of `forward_perturbed` exact
    to rounding.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.params = {"W": W, "b": b}
        self._cache: tuple[np.ndarray, ...] | None = None

    def _parts(self, x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
        """(z, s, exp(s), sum of exp(s) per sample, per-sample losses) for the live parameters."""
        W, b = self.params["W"], self.params["b"]
        z = x.reshape(x.shape[0], -1) @ W
        z += b
        s = _sigmoid(z)
        e = np.exp(s)
        total = e.sum(axis=1)
        per_sample = np.log(total) - s[np.arange(len(t)), t]
        return z, s, e, total, per_sample

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        assert t is not None, "a loss layer needs labels t"
        _, s, e, total, per_sample = self._parts(x, t)
        # the softmax itself is left to backward: the checker calls forward far more often
        self._cache = (x.reshape(x.shape[0], -1), s, e, total)
        self._t, self._x_shape = t, x.shape
        return np.asarray(per_sample.mean())

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray | None]]:
        dx, dW, db = self._gradients(dout)
        return dx, {"W": dW, "b": db}

    def _gradients(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(dx, dW, db) for the most recent forward."""
        assert self._cache is not None, "backward before forward"
        x2, s, e, total = self._cache
        N = len(self._t)
        ds = e / total[:, None]  # softmax probabilities
        ds[np.arange(N), self._t] -= 1.0
        ds *= float(dout) / N  # the loss is a batch mean
        dz = ds * s * (1.0 - s)
        dx = dz @ self.params["W"].T
        return dx.reshape(self._x_shape), x2.T @ dz, dz.sum(axis=0)

    def forward_perturbed(self, target: str, flat_indices: np.ndarray, values: np.ndarray, *, x: np.ndarray,
                          t: np.ndarray) -> np.ndarray:
        """The loss with `target.flat[i]` set to `v`, for every pair (i, v): shape (K,)."""
        if target not in ("x", "W", "b"):
            raise KeyError(f"no parameter {target!r}; this layer has x, W and b")
        x2 = x.reshape(x.shape[0], -1)
        base = self._parts(x2, t)  # the unperturbed pass, shared by every perturbation
        idx = np.asarray(flat_indices, dtype=np.intp)
        values = np.asarray(values, dtype=np.float64)
        # sub-chunks keep each (rows, N or M) temporary under 64 KB: bigger ones are fresh memory
        # from the OS every time, and its page faults cost more than the arithmetic
        rows = max(1, TEMP_BUDGET // max(x2.shape[0], self.params["W"].shape[1]))
        return np.concatenate([self._perturbed(target, idx[i:i + rows], values[i:i + rows], x2, t, base)
                               for i in range(0, idx.size, rows)])

    def _perturbed(self, target: str, idx: np.ndarray, values: np.ndarray, x2: np.ndarray, t: np.ndarray,
                   base: tuple[np.ndarray, ...]) -> np.ndarray:
        z, s, e, total, per_sample = base
        N, D = x2.shape
        if target == "x":
            i, j = np.divmod(idx, D)
            z_row = (values - x2[i, j])[:, None] * self.params["W"][j]
            z_row += z[i]  # (K, M): a change of x[i, j] moves row i only
            s_row = _sigmoid_(z_row)
            new = np.log(np.exp(s_row).sum(axis=1)) - s_row[np.arange(idx.size), t[i]]
            return (per_sample.sum() - per_sample[i] + new) / N
        if target == "W":
            j, k = np.divmod(idx, self.params["W"].shape[1])
            z_col = (values - self.params["W"].reshape(-1)[idx])[:, None] * x2[:, j].T
        else:
            k = idx
            z_col = np.repeat((values - self.params["b"][k])[:, None], N, axis=1)
        z_col += z[:, k].T  # (K, N): a change of W[j, k] or b[k] moves column k only
        s_col = _sigmoid_(z_col)
        # the log-sum-exp of each row with one term swapped (exact: exp(s) lies in (1, e))
        swapped = np.exp(s_col)
        swapped -= e[:, k].T
        swapped += total[None, :]
        lse = np.log(swapped, out=swapped)
        picked = np.where(t[None, :] == k[:, None], s_col, s[np.arange(N), t][None, :])
        lse -= picked
        return lse.mean(axis=1)

    def forward_replaced(self, target: str, arrays: np.ndarray, *, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The loss with `target` replaced by each of `arrays` (K, *shape): shape (K,), one batched pass."""
        W, b = self.params["W"], self.params["b"]
        arrays = np.asarray(arrays)
        K, N = arrays.shape[0], x.shape[0]
        if target == "x":
            # one (K N, D) @ (D, M) product: BLAS-friendly, unlike K small ones
            z = (arrays.reshape(K * N, -1) @ W).reshape(K, N, -1)
            z += b
        elif target == "W":
            z = np.matmul(x.reshape(N, -1), arrays)
            z += b
        elif target == "b":
            z = np.add((x.reshape(N, -1) @ W)[None], arrays[:, None, :])
        else:
            raise KeyError(f"no parameter {target!r}; this layer has x, W and b")
        z = _sigmoid_(z)  # in place: (K, N, M) temporaries cost more than the arithmetic
        picked = z[:, np.arange(N), t]
        np.exp(z, out=z)
        return (np.log(z.sum(axis=2)) - picked).mean(axis=1)


class AffineSigmoidCEMissingMean(AffineSigmoidCE):
    """Deliberately buggy: dW forgets the batch mean's 1/N (the classic bug; dx and db are right)."""

    def _gradients(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dx, dW, db = super()._gradients(dout)
        return dx, dW * len(self._t), db


class AffineSigmoidCETransposed(AffineSigmoidCE):
    """Deliberately buggy: dW computed as dz.T @ x, the transpose of the right matrix."""

    def _gradients(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dx, dW, db = super()._gradients(dout)
        return dx, dW.T.copy(), db


def _composite_case(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    N, D, M = spec["N"], spec["D"], spec["M"]
    x = rng.standard_normal((N, D))
    W = rng.standard_normal((D, M)) / np.sqrt(D)
    b = rng.standard_normal(M)
    t = rng.integers(0, M, size=N)
    return Case(x, t, {"W": W, "b": b}, {}, spec)


#: a kind of its own (not in the registry's KINDS): a loss layer with parameters and a differentiable x
COMPOSITE = Kind("affine_sigmoid_softmax_ce", ("affinesigmoidce",), _composite_case, params=("W", "b"),
                 is_loss=True)


def composite_case(N: int = HEADLINE["N"], D: int = HEADLINE["D"], M: int = HEADLINE["M"], seed: int = 0) -> Case:
    return build_case(COMPOSITE, {"N": N, "D": D, "M": M, "seed": seed})


def make_composite(layer_class: type = AffineSigmoidCE) -> Callable[[Case], AffineSigmoidCE]:
    """A factory for `check_case`: a fresh layer on copies of the case's parameters."""
    return lambda case: layer_class(case.params["W"].copy(), case.params["b"].copy())


def check_composite(case: Case, mode: str, layer_class: type = AffineSigmoidCE) -> CaseResult:
    """The check a user would run on this layer: `check_case` in `mode` ("full" or "fast")."""
    return check_case(make_composite(layer_class), COMPOSITE, case, name=layer_class.__name__, mode=mode)


@dataclass
class UserCase:
    """A registry reference layer on one case, checked as a user's layer is: through its adapter."""

    key: str
    entry: Any  # gradlab.conventions.registry.Entry
    kind: Kind
    case: Case

    def make(self, case: Case) -> Layer:
        from gradlab.conventions.adapters import adapt

        return adapt(self.entry, self.kind, case)

    def check(self, mode: str) -> CaseResult:
        """`check_case` with the adapter factory, in `mode` ("full" or "fast"): what `gradlab check` runs."""
        return check_case(self.make, self.kind, self.case, name=self.entry.name, convention=self.entry.convention,
                          mode=mode)

    def output(self) -> np.ndarray:
        """The layer's output on the case (one forward call through the adapter)."""
        return np.asarray(self.make(self.case).forward(self.case.x.copy(), self.case.t), dtype=np.float64)

    def upstream(self) -> np.ndarray:
        """The upstream gradient G the checker draws for this case (`check_case`, seed 0), so that the
        PyTorch side can check the very scalar gradlab checks, L = sum(G * y)."""
        return np.random.default_rng([0, 1]).standard_normal(self.output().shape)

    @property
    def elements(self) -> int:
        return int(self.case.x.size + sum(p.size for p in self.case.params.values()))

    def calls(self, mode: str) -> dict[str, int]:
        """Forward and backward calls one check in `mode` makes (counted on a separate, untimed run)."""
        counts = {"forward": 0, "backward": 0}

        def make(case: Case) -> Layer:
            layer = self.make(case)
            forward, backward = layer.forward, layer.backward

            def counted_forward(*args: Any, **kwargs: Any) -> Any:
                counts["forward"] += 1
                return forward(*args, **kwargs)

            def counted_backward(*args: Any, **kwargs: Any) -> Any:
                counts["backward"] += 1
                return backward(*args, **kwargs)

            layer.forward, layer.backward = counted_forward, counted_backward  # type: ignore[method-assign]
            return layer

        check_case(make, self.kind, self.case, name=self.entry.name, convention=self.entry.convention, mode=mode)
        return counts


def user_case(key: str) -> UserCase:
    """The headline case of kind `key` (see `USER_LAYERS`)."""
    from gradlab.conventions.registry import load_reference

    name, kind, spec = USER_LAYERS[key]
    return UserCase(key, load_reference()[name], kind, kind.case(dict(spec)))


@contextmanager
def element_loop_only() -> Iterator[None]:
    """Checks inside run as they did before output separation and the complex step (issue 15): two
    forward calls per element of every array that is not stacked. For the ablation only."""
    from gradlab.core import complex_step, separation

    with mock.patch.object(separation, "gradient", lambda *args, **kwargs: None), \
            mock.patch.object(complex_step, "gradient", lambda *args, **kwargs: None):
        yield


class AffineSigmoidCENoPerturbed(AffineSigmoidCE):
    """The same layer without `forward_perturbed`: the checker loops over elements (for the ablation)."""

    forward_perturbed = None  # type: ignore[assignment]


class AffineSigmoidCENoReplaced(AffineSigmoidCE):
    """The same layer without `forward_replaced`: fast mode moves the array in place (for the ablation)."""

    forward_replaced = None  # type: ignore[assignment]
