"""The column layout some courses use: samples as columns, an option of the adapter, not a second harness.

With `layout="columns"` a layer receives `x` as `(features, N)` and returns `(outputs, N)`; one-hot
labels and regression targets are `(C, N)` (class indices stay `(N,)`); a bias, and batch norm's
gamma and beta, are columns `(M, 1)` (a layer that fails on columns is given flat `(M,)` vectors
instead, and a gradient may come back either way). Weights are `(in, out)` as in the rest of
gradlab, or `(out, in)` with `weights="out_in"` (`Z = W @ X + b`, the best-known column-style
course). The checker keeps working in gradlab's own row layout: `ColumnsLayer` transposes on the
way in and out, and hands the layer *views* of the checker's arrays, so perturbing a parameter in
place still reaches the layer, and a write into `x` or `dout` is still seen. Its `user_view` turns
gradlab's arrays back into the user's orientation, so messages name the user's shapes and axes;
`HINTS` are the bug hints said in this layout.

The layout is for 2-D data (features, N): affine, activations, softmax, losses, batch norm,
dropout. `refusal` says in one line why it does not apply to a kind whose input is not 2-D
features (convolution and pooling are batch-first in every course; embedding takes indices).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.conventions.gradient_shapes import stored_shape_note
from gradlab.core.protocol import Layer, LayerCrash, LayerSignatureError, grad_name
from gradlab.kinds import Case, Kind

__all__ = ["LAYOUTS", "WEIGHT_LAYOUTS", "ColumnsLayer", "hints", "refusal"]

LAYOUTS = ("rows", "columns")
WEIGHT_LAYOUTS = ("in_out", "out_in")

_Map = Callable[[np.ndarray], np.ndarray]
#: attributes of an adapter that say whose layer it is (the user's object or functions), read through
_IDENTITY = ("obj", "fwd", "bwd", "fn")


def _same(a: np.ndarray) -> np.ndarray:
    return a


def _t(a: Any) -> Any:
    """The transpose (a view) of a 2-D array; anything else (None, a scalar, index labels) as it is."""
    return a.T if isinstance(a, np.ndarray) and a.ndim == 2 else a


def refusal(kind: Kind, case: Case | None = None) -> str | None:
    """Why the column layout does not apply to `kind` (or to this `case` of it), in one line; None if it does."""
    if case is None:
        try:
            case = kind.case({"N": 2, **kind.batch_spec("class"), "seed": 0})
        except Exception:  # a kind without a batch spec: let its cases decide
            return None
    x = np.asarray(case.x)
    if kind.forward_takes_t and not kind.is_loss:
        # scored against rows picked by indices (the second volume's EmbeddingDot): one number per sample comes
        # out, a 1-D array with no features axis to put first
        return (f"the column layout is for 2-D data (features, N); {kind.name} layers take integer indices next to "
                "x and return one number per sample in every course: check this one without --layout columns")
    if kind.x_differentiable and x.ndim == 2 and np.issubdtype(x.dtype, np.floating):
        return None
    what = ("integer indices" if not np.issubdtype(x.dtype, np.floating) else f"{x.ndim}-D input, samples first,")
    return (f"the column layout is for 2-D data (features, N); {kind.name} layers take {what} in every course: "
            "check this one without --layout columns")


def hints(weights: str = "in_out") -> dict[str, str]:
    """The hints of `gradlab.core.bugs` that name axes or a product, said for samples as columns."""
    product = "dW = dout @ x.T for Z = W @ X + b" if weights == "out_in" else "dW = x @ dout.T for Z = W.T @ X + b"
    return {
        "transposed": f"check the order of a matrix product (with samples as columns, {product}) or of the "
                      "axes in a transpose/reshape",
        "wrong-reduction": "a parameter broadcast over the samples (the columns) gets the sum over axis 1 only, "
                           "kept a column: db = dout.sum(axis=1, keepdims=True)",
        "couples-samples": "compute each sample's output from its own column only; reductions over axis 1 "
                           "(the samples) mix samples",
        "non-finite": "stabilise the computation: subtract each column's maximum (over the classes, axis 0) "
                      "before exp, and compute log-softmax as z - log(sum(exp(z))) rather than log(softmax), "
                      "which underflows to log(0)",
    }


class _Orientation:
    """How each of gradlab's arrays looks to the user: `show` any array of gradlab's orientation the
    user's way, `back` a gradient the user returned into gradlab's. For a shape that is neither the
    expected one nor an accepted variant, `back` leaves the array as it is, so that `show` of it is
    exactly what the user returned (a wrong shape is diagnosed in the user's own terms)."""

    def __init__(self, case: Case, *, weights: str, flat_vectors: bool, per_sample: tuple[str, ...] = ()):
        self.shows: dict[str, _Map] = {"x": _t, "out": _t}
        self.backs: dict[str, _Map] = {"x": _t}
        for name, value in case.params.items():
            self.shows[name], self.backs[name] = self._param(value, weights=weights, flat_vectors=flat_vectors)
        for name in per_sample:  # one row per sample, as x (`Kind.batch_params`): a column per sample, as x
            self.shows[name] = self.backs[name] = _t

    @staticmethod
    def _param(value: np.ndarray, *, weights: str, flat_vectors: bool) -> tuple[_Map, _Map]:
        if value.ndim == 1:
            M = value.shape[0]
            if flat_vectors:
                return _same, _same
            return ((lambda a: a.reshape(M, 1) if a.shape == (M,) else a),
                    (lambda g: g.reshape(M) if g.shape in ((M, 1), (M,)) else g))
        if value.ndim == 2 and weights == "out_in":
            return _t, _t
        return _same, _same

    def show(self, target: str, array: np.ndarray) -> np.ndarray:
        return self.shows.get(target, _same)(array)

    def back(self, target: str, array: np.ndarray) -> np.ndarray:
        return self.backs.get(target, _same)(array)


class ColumnsLayer(Layer):
    """Runs a layer written for `(features, N)` data through gradlab's `(N, features)` checker.

    `make_inner(case)` builds the layer from a case already in the column layout (an adapter, or a
    sandboxed layer's proxy). Raises `LayerSignatureError` (one line) where the layout does not apply.
    `index_labels`: the layer takes class indices only (a loss function), so one-hot labels are
    handed over as indices.
    """

    def __init__(self, make_inner: Callable[[Case], Layer], kind: Kind, case: Case, *, weights: str = "in_out",
                 index_labels: bool = False):
        why = refusal(kind, case)
        if why is not None:
            raise LayerSignatureError(why)
        self.make_inner, self.kind, self.case, self.weights = make_inner, kind, case, weights
        #: the inner layer takes class indices only (a loss function): one-hot labels become indices here,
        #: where their class axis is still known, rather than be transposed
        self.index_labels = index_labels
        self.params = dict(case.params)  # gradlab's arrays; the inner layer holds views of them
        self.flat_vectors = False
        #: whether the choice between (M, 1) columns and flat (M,) vectors is made (the first forward makes it)
        self.decided = not any(v.ndim == 1 for v in case.params.values())
        try:
            self._build()
        except (LayerCrash, LayerSignatureError) as first:
            if self.decided:
                raise
            self.flat_vectors = self.decided = True  # a constructor that insists on (M,) vectors
            try:
                self._build()
            except (LayerCrash, LayerSignatureError):
                raise first from None

    def _build(self) -> None:
        self.orientation = _Orientation(self.case, weights=self.weights, flat_vectors=self.flat_vectors,
                                        per_sample=self.kind.batch_params)
        show = self.orientation.show
        inner_params = {k: show(k, v) for k, v in self.case.params.items()}
        inner_case = replace(self.case, x=_t(self.case.x), t=self._labels(self.case.t), params=inner_params)
        self.inner = self.make_inner(inner_case)

    def _flat_forward(self, x: np.ndarray, t: np.ndarray | None) -> Any:
        """The output with flat (M,) vectors if the layer builds, runs and gives an output of the right
        shape with them; else None, with the layer built on columns again."""
        self.flat_vectors = True
        try:
            self._build()
            out = self.inner.forward(_t(x), self._labels(t))
            if self._fits(out, x):
                return out
        except (LayerCrash, LayerSignatureError):
            pass
        self.flat_vectors = False
        self._build()
        return None

    @property
    def grad_names(self) -> dict[str, str]:
        return dict(getattr(self.inner, "grad_names", {}))

    @property
    def rebound(self) -> set[str]:
        return set(getattr(self.inner, "rebound", set()))

    @property
    def first_output(self) -> np.ndarray | None:
        """The inner layer's first output in gradlab's orientation, when it keeps one (a sandboxed proxy)."""
        out = getattr(self.inner, "first_output", None)
        return None if out is None else self._out(out)

    def user_view(self, target: str, array: np.ndarray) -> np.ndarray:
        """`array`, in gradlab's orientation for `target` ("x", a parameter, or "out": the output and
        the upstream gradient), as the user's code holds it: what messages show."""
        return self.orientation.show(target, array)

    def gradlab_view(self, target: str, array: np.ndarray) -> np.ndarray:
        """`user_view`'s inverse: a gradient as the user's code holds it, in gradlab's orientation (what a kind's
        reading of a failing gradient takes, beside the case)."""
        return self.orientation.back(target, array)

    def install_param(self, name: str, array: np.ndarray) -> None:
        """The protocol's optional `install_param` hook (the complex step's complex copy), passed on in
        the inner layer's orientation: to its own hook, or into its `params`."""
        inner_array = self.orientation.show(name, array)
        hook = getattr(self.inner, "install_param", None)
        if callable(hook):
            hook(name, inner_array)
        else:
            self.inner.params[name] = inner_array

    # ---------------------------------------------------------------- the native protocol

    def _one_hot_forward(self, x: np.ndarray, t: Any) -> Any:
        """A loss that crashed on class indices, run on the one-hot labels as columns `(C, N)` (deeplearning.ai's
        `Y`), which it is then always given; None where it crashes on those too (the indices' crash stands)."""
        if not self.index_labels or not isinstance(t, np.ndarray) or t.ndim != 2:
            return None
        if hasattr(self.inner, "as_given"):
            self.inner.as_given = True
        try:
            out = self.inner.forward(_t(x), _t(t))
        except (LayerCrash, LayerSignatureError):
            if hasattr(self.inner, "as_given"):
                self.inner.as_given = False
            return None
        self.index_labels = False
        return out

    def _labels(self, t: Any) -> Any:
        if self.index_labels and isinstance(t, np.ndarray) and t.ndim == 2:
            return t.argmax(axis=1)
        return _t(t)

    def _out(self, out: Any) -> Any:
        return out if self.kind.is_loss else _t(out)

    def _fits(self, out: Any, x: np.ndarray) -> bool:
        """Whether an output has the column layout's shape: a scalar loss, or (outputs, N)."""
        if self.kind.is_loss:
            return True
        shape = np.shape(out)
        return len(shape) == 2 and shape[1] == x.shape[0]

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        if self.decided:
            try:
                return self._out(self.inner.forward(_t(x), self._labels(t)))
            except LayerCrash:
                one_hot = self._one_hot_forward(x, t)
                if one_hot is None:
                    raise
                return self._out(one_hot)
        self.decided = True
        try:
            out = self.inner.forward(_t(x), self._labels(t))
        except (LayerCrash, LayerSignatureError):
            one_hot = self._one_hot_forward(x, t)
            if one_hot is not None:
                return self._out(one_hot)
            flat = self._flat_forward(x, t)
            if flat is None:
                raise
            return self._out(flat)
        if self._fits(out, x):
            return self._out(out)
        flat = self._flat_forward(x, t)
        # on columns after all: the same forward again, so that the rebuilt layer holds its state
        return self._out(flat if flat is not None else self.inner.forward(_t(x), self._labels(t)))

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        dx, grads = self.inner.backward(_t(dout))
        back = self.orientation.back
        # a (M, 1) column's gradient returned as (M,): `b -= lr * db` would make b (M, M)
        self.shape_notes = list(getattr(self.inner, "shape_notes", ()))
        for k, g in grads.items():
            if g is not None and k in self.params and self.params[k].ndim == 1:
                note = stored_shape_note(grad_name(self, k), k, np.shape(self.orientation.show(k, self.params[k])),
                                         np.shape(g))
                self.shape_notes += [note] if note is not None else []
        return (None if dx is None else back("x", np.asarray(dx)),
                {k: None if g is None else back(k, np.asarray(g)) for k, g in grads.items()})

    # ---------------------------------------------------------------- a sandboxed inner layer's batch call

    def __getattr__(self, name: str) -> Any:
        inner = self.__dict__.get("inner")
        # `forward_perturbed` exists exactly when the inner layer has it (the checker asks with getattr)
        if name == "forward_perturbed" and callable(getattr(inner, "forward_perturbed", None)):
            return self._forward_perturbed
        if name in _IDENTITY and inner is not None:  # who the user's layer is (a class, its functions)
            return getattr(inner, name)
        raise AttributeError(name)

    def _forward_perturbed(self, target: str, flat_indices: np.ndarray, values: np.ndarray, *,
                           x: np.ndarray | None = None, t: np.ndarray | None = None) -> np.ndarray:
        """The inner layer's stacked outputs for single-element perturbations, indices and outputs mapped."""
        arr = (self.case.x if x is None else x) if target == "x" else self.params[target]
        position = np.asarray(self.orientation.show(target, np.arange(arr.size).reshape(arr.shape))).reshape(-1)
        inner_index = np.empty(arr.size, dtype=np.int64)
        inner_index[position] = np.arange(arr.size)  # gradlab's flat index -> the inner array's
        idx = inner_index[np.asarray(flat_indices, dtype=np.int64).reshape(-1)]
        outs = np.asarray(self.inner.forward_perturbed(target, idx, values,  # type: ignore[attr-defined]
                                                       x=_t(x), t=self._labels(t)))
        return outs if self.kind.is_loss or outs.ndim != 3 else np.swapaxes(outs, 1, 2)
