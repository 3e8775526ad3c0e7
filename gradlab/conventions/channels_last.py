"""Images with their channels last: Keras' `Conv2D` and `MaxPool2D` as learners write them in numpy, x (N, H, W, C)
and a kernel (kh, kw, C_in, C_out), through gradlab's (N, C, H, W) checker. An option of the adapter (the entry's
`options["channels"] == "last"`), as the column layout is for 2-D data, not a second harness.

`ChannelsLastLayer` hands the layer x, the upstream gradient and a 4-D weight in its own layout, as *views* of the
checker's arrays (a parameter perturbed in place still reaches the layer), and turns its output and gradients back;
its `user_view` shows gradlab's arrays the user's way, so messages name the user's shapes. `takes_channels_last`
is the probe that sets the option when a class is found: on a case whose C, H and W differ, the layer's forward
and backward fail in gradlab's layout and run in this one.
Non-goal: deeplearning.ai's channels-last functions (their own kinds, `conv_channels_last`'s module), kinds whose
input is not an image.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.conventions.case_refusals import CHANNELS_LAST_SPEC
from gradlab.conventions.registry import Entry
from gradlab.conventions.unrunnable import GIVEN_CHANNELS_LAST, RUNNING_CHANNELS_LAST
from gradlab.core.protocol import Layer
from gradlab.kinds import Case, Kind

__all__ = ["CHANNELS_LAST", "ChannelsLastLayer", "takes_channels_last"]

#: the entry option's value (`options["channels"]`)
CHANNELS_LAST = "last"
#: attributes of an adapter that say whose layer it is (the user's object or functions), read through
_IDENTITY = ("obj", "fwd", "bwd", "fn")


def _to_last(a: Any) -> Any:
    """(N, C, H, W) as (N, H, W, C), a view; anything not 4-D as it is."""
    return np.transpose(a, (0, 2, 3, 1)) if isinstance(a, np.ndarray) and a.ndim == 4 else a


def _from_last(a: Any) -> Any:
    return np.transpose(a, (0, 3, 1, 2)) if isinstance(a, np.ndarray) and a.ndim == 4 else a


def _kernel(a: Any) -> Any:
    """A weight (F, C, kh, kw) as Keras keeps it, (kh, kw, C, F)."""
    return np.transpose(a, (2, 3, 1, 0)) if isinstance(a, np.ndarray) and a.ndim == 4 else a


def _kernel_back(a: Any, shape: tuple[int, ...]) -> Any:
    """A kernel gradient (kh, kw, C, F) in gradlab's (F, C, kh, kw); another shape as it came (the check says so)."""
    ok = isinstance(a, np.ndarray) and a.ndim == 4 and a.shape == (shape[2], shape[3], shape[1], shape[0])
    return np.transpose(a, (3, 2, 0, 1)) if ok else a


def _given_last(exc: BaseException) -> BaseException:
    """`exc` and the exceptions it was raised from, marked as raised on arrays in the layer's own layout (so that a
    crash there is not read as the layout's, `gradlab.conventions.unrunnable.channels_last`)."""
    seen: BaseException | None = exc
    while seen is not None:
        try:
            setattr(seen, GIVEN_CHANNELS_LAST, True)
        except AttributeError:  # an exception type that takes no attributes: read as before
            pass
        seen = seen.__cause__ or seen.__context__
    return exc


class ChannelsLastLayer(Layer):
    """Runs a layer written for (N, H, W, C) images through gradlab's (N, C, H, W) checker; `make_inner(case)` builds
    it from a case already in its layout and the kind."""

    def __init__(self, make_inner: Callable[[Case, Kind], Layer], kind: Kind, case: Case):
        self.kind, self.case = kind, case
        self.params = dict(case.params)  # gradlab's arrays; the inner layer holds views of them
        self.shapes = {k: v.shape for k, v in case.params.items()}
        inner_params = {k: self.user_view(k, v) for k, v in case.params.items()}
        inner = replace(case, x=_to_last(case.x), params=inner_params, spec={**case.spec, CHANNELS_LAST_SPEC: True})
        # a layer built from its sizes (Conv2D(filters, kernel_size)) is given them as gradlab's arrays have them
        sizes = kind.sizes
        inner_kind = kind if sizes is None else replace(kind, sizes=lambda _: sizes(case))
        self.inner = make_inner(inner, inner_kind)

    @property
    def grad_names(self) -> dict[str, str]:
        return dict(getattr(self.inner, "grad_names", {}))

    @property
    def rebound(self) -> set[str]:
        return set(getattr(self.inner, "rebound", set()))

    def user_view(self, target: str, array: np.ndarray) -> np.ndarray:
        """`array`, in gradlab's layout for `target` ("x", a parameter, or "out"), as the user's code holds it."""
        if target in ("x", "out"):
            return _to_last(array)
        return _kernel(array) if target in self.shapes and len(self.shapes[target]) == 4 else array

    def install_param(self, name: str, array: np.ndarray) -> None:
        """The protocol's optional hook (the complex step's copy), passed on in the inner layer's layout."""
        hook = getattr(self.inner, "install_param", None)
        if callable(hook):
            hook(name, self.user_view(name, array))
        else:
            self.inner.params[name] = self.user_view(name, array)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        token = RUNNING_CHANNELS_LAST.set(True)
        try:
            return _from_last(np.asarray(self.inner.forward(_to_last(x), t)))
        except Exception as exc:
            raise _given_last(exc) from exc.__cause__
        finally:
            RUNNING_CHANNELS_LAST.reset(token)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        token = RUNNING_CHANNELS_LAST.set(True)
        try:
            dx, grads = self.inner.backward(_to_last(dout))  # a view: a write into dout is still seen
        except Exception as exc:
            raise _given_last(exc) from exc.__cause__
        finally:
            RUNNING_CHANNELS_LAST.reset(token)
        self.shape_notes = list(getattr(self.inner, "shape_notes", ()))
        back = {k: (_kernel_back(np.asarray(g), self.shapes[k]) if g is not None and k in self.shapes and
                    len(self.shapes[k]) == 4 else g) for k, g in grads.items()}
        return (None if dx is None else _from_last(np.asarray(dx))), back

    def __getattr__(self, name: str) -> Any:
        inner = self.__dict__.get("inner")
        if name in _IDENTITY and inner is not None:  # who the user's layer is
            return getattr(inner, name)
        raise AttributeError(name)


def takes_channels_last(entry: Entry, kind: Kind, make: Callable[[Entry, Kind, Case], Layer]) -> bool:
    """Whether the class of `entry` (a kind whose input is an image) is written for channels last: on a case whose C,
    H and W differ, forward and backward fail in gradlab's layout (raise, or give an empty output or a dx of another
    shape) and run in this one. `make` is the adapter (`gradlab.conventions.adapters.adapt`)."""
    last = replace(entry, options={**entry.options, "channels": CHANNELS_LAST})
    # unpadded too: Keras' Conv2D(padding="valid") as learners write it takes no padding, and refuses padded cases
    for case in _probe_cases(kind, entry.convention):
        if _runs(make, last, kind, case):
            return not _runs(make, entry, kind, case)
    return False


def _probe_cases(kind: Kind, convention: str) -> list[Case]:
    try:
        spec: dict[str, Any] = {"N": 2, **kind.batch_spec(convention), "seed": 0}
        if not {"C", "H", "W"} <= set(spec) or kind.is_loss:
            return []
        for key in ("H", "W"):  # sizes that tell the layouts apart, each moved by whole strides (C == H moves H)
            for _ in range(8):
                if spec[key] not in {spec[k] for k in ("C", "H", "W") if k != key}:
                    break
                spec[key] += int(spec.get("stride", 1)) or 1
        cases = [kind.case(spec)] + ([kind.case({**spec, "pad": 0})] if spec.get("pad") else [])
    except Exception:  # noqa: BLE001 - a kind built from fixed specs only: no probe
        return []
    return [c for c in cases if np.ndim(c.x) == 4]


def _runs(make: Callable[[Entry, Kind, Case], Layer], entry: Entry, kind: Kind, case: Case) -> bool:
    """Whether the layer runs on `case` and gives an image with the case's channels, or its filters', on axis 1 and a
    dx of x's shape (a pool written for (N, H, W, C) may reshape an (N, C, H, W) image without an error)."""
    channels = {case.x.shape[1]} | {n for p in case.params.values() if np.ndim(p) == 4 for n in np.shape(p)[:2]}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            layer = make(entry, kind, case)
            out = np.asarray(layer.forward(case.x.copy(), None))
            dx, _ = layer.backward(np.ones_like(out))
        except Exception:  # noqa: BLE001 - any error means "not written for this layout"
            return False
    return out.ndim == 4 and out.size > 0 and out.shape[0] == case.x.shape[0] and out.shape[1] in channels and \
        dx is not None and np.shape(dx) == case.x.shape
