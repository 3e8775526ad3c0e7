"""A layer that lives in a sandbox, seen from the grader as gradlab's native `Layer`.

`RemoteLayer` forwards `forward`/`backward` to the child and checks every reply before the checker
sees it: arrays must be plain numeric arrays, gradients must come for the parameters asked about,
nothing else is accepted. `params` are the grader's own live arrays: the checker perturbs them in
place as usual, and the proxy sends whatever changed with the next call; when the student's code
changes a parameter or writes into `x`, `t` or `dout`, the change is copied back so the checker's
structural checks (stale parameters, mutated inputs) see it as they would in process.
Non-goal: any judgement; `gradlab.core.check.check_case` does that, unchanged, on what this returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.conventions.gradient_shapes import ShapeNote
from gradlab.core.bugs import BUGS
from gradlab.core.protocol import LayerCrash, LayerSignatureError
from gradlab.core.results import FAIL, WARN, jsonable
from gradlab.grading.sandbox.process import Sandbox
from gradlab.kinds import Case, Kind

_TEXT_LIMIT = 600


def _text(value: Any) -> str:
    return str(value)[:_TEXT_LIMIT] if isinstance(value, str) else "(no message)"


#: at most this many inputs an adapter may add, of at most this many elements each (a carried state is (N, H))
_EXTRA_COUNT, _EXTRA_SIZE = 4, 10_000


def _extra_params(value: Any, case: Case) -> dict[str, np.ndarray]:
    """The float64 arrays the child says its adapter added; anything else (the child runs the student's code)
    is ignored, and can only leave those inputs unchecked."""
    if not isinstance(value, dict) or len(value) > _EXTRA_COUNT:
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and k not in case.params and k != "x"
            and isinstance(v, np.ndarray) and v.dtype == np.float64 and 0 < v.size <= _EXTRA_SIZE}


#: at most this many notes on a layer are taken from the child
_NOTES = 4


def _notes(value: Any) -> tuple[tuple[str, str], ...]:
    """The (code, message) notes the child says its adapter made; only codes gradlab knows are taken (the child runs
    the student's code: a forged note can only put a warning, which costs no points, in the student's own feedback)."""
    if not isinstance(value, list):
        return ()
    return tuple((v[0], _text(v[1])) for v in value[:_NOTES]
                 if isinstance(v, list) and len(v) == 2 and v[0] in BUGS and isinstance(v[1], str))


def _shape_notes(value: Any) -> list[ShapeNote]:
    """The notes the child's adapter read from the gradients' shapes (`gradlab.conventions.gradient_shapes`); a forged
    one can only warn or fail the student's own layer."""
    if not isinstance(value, list):
        return []
    return [ShapeNote(v[0], v[1], _text(v[2]), _text(v[3])) for v in value[:_NOTES]
            if isinstance(v, list) and len(v) == 4 and v[0] in BUGS and v[1] in (WARN, FAIL)
            and all(isinstance(p, str) for p in v)]


#: at most this many held arrays are taken from the child
_HELD = 64
#: the share of a layer's time left that one question of diagnosis asked in the child may take
_DIAGNOSIS_SHARE = 0.25


class RemoteLayer:
    """Native `Layer` protocol over a `Sandbox`; construct one per case, as an adapter would be."""

    #: set when the child's adapter has one (`_view`)
    user_view: Callable[[str, np.ndarray], np.ndarray]

    def __init__(self, box: Sandbox, entry: str, kind: Kind, case: Case, *, samples: str | None = None):
        self.box, self.kind, self.entry = box, kind, entry
        self.params: dict[str, np.ndarray] = case.params
        # `samples`: the layer takes one sample at a time (`gradlab.conventions.unbatched`), adapted so in the child
        reply = self._call({"op": "construct", "entry": entry, "x": case.x, "t": case.t, "params": case.params,
                            "hyper": jsonable(case.hyper), "spec": jsonable(case.spec), "samples": samples})
        # optional parameters the submitted layer does not have (a GRU without bias) are held at zero, here
        # as in the child, so the reference forward is computed without them too; only those may be zeroed
        held = reply.get("held_at_zero")
        for name in held if isinstance(held, list) else []:
            if isinstance(name, str) and name in (*kind.optional_params, *dict(kind.without_params)) and \
                    name in case.params:
                kind.hold_absent(name, case.params[name])
        #: inputs the child's adapter added (a stateful time layer's carried state), checked as parameters are
        self.extra = _extra_params(reply.get("extra_params"), case)
        if self.extra:
            self.params = {**case.params, **self.extra}
        names = reply.get("grad_names")
        names = names if isinstance(names, dict) else {}
        self.grad_names = {p: _text(names[p])[:40] if isinstance(names.get(p), str) else "d" + p
                           for p in (*kind.params, *self.extra)}
        #: the child's adapter's notes, as (bug code, message): `check_case` warns with each, as it does in process
        self.notes = _notes(reply.get("notes"))
        self._synced = {k: v.copy() for k, v in self.params.items()}
        if reply.get("views") is True:  # the child's adapter shows arrays in a course's own layout: the protocol's hook
            self.user_view = self._view
        #: the output of the first forward on the case's own input (a law of the forward, or an earlier forward on
        #: another input, may come first: `gradlab.core.check`), which the grader compares with the reference
        self.first_output: np.ndarray | None = None
        self._case_inputs = (case.x.copy(), None if case.t is None else np.array(case.t, copy=True))
        self.last_inputs: tuple[np.ndarray, np.ndarray | None] | None = None
        #: as the child's adapter reports them (`gradlab.core.check._param_change` reads both): parameters the layer
        #: replaced or whose update in backward changed dx, and whether updating itself is its convention
        self.rebound: set[str] = set()
        self.updates_itself = False

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        reply = self.box.call(message)
        if reply["ok"]:
            return reply
        error = reply.get("error")
        if error == "signature":
            raise LayerSignatureError(_text(reply.get("detail")))
        if error == "crash":
            raise LayerCrash(_text(reply.get("call")), _text(reply.get("detail")))
        raise self.box.fail("garbage", f"the process running your code sent an unknown error {error!r}")

    def _dirty(self) -> dict[str, np.ndarray]:
        """Parameters the checker changed since the child last saw them (perturbed or restored)."""
        out = {}
        for k, v in self.params.items():
            if not np.array_equal(v, self._synced[k], equal_nan=True):
                out[k] = v
                self._synced[k] = v.copy()
        return out

    def _array(self, value: Any, what: str, *, optional: bool = False) -> np.ndarray | None:
        if value is None and optional:
            return None
        if not isinstance(value, np.ndarray):
            raise self.box.fail("garbage", f"the process running your code sent {type(value).__name__} as {what}")
        return value

    def _apply(self, reply: dict[str, Any], inputs: dict[str, np.ndarray | None]) -> None:
        """Copy back what the student's code wrote into parameters and inputs, and what the child's adapter saw of
        its updates (only names of this layer's parameters are taken)."""
        rebound = reply.get("rebound")
        if isinstance(rebound, list):
            self.rebound |= {k for k in rebound if isinstance(k, str) and k in self.params}
        self.updates_itself = reply.get("updates_itself") is True
        changed = reply.get("changed", {})
        if not isinstance(changed, dict):
            raise self.box.fail("garbage", "the process running your code sent a malformed reply")
        for name, value in changed.items():
            target = self.params.get(name) if name in self.params else inputs.get(name)
            if target is None or not isinstance(value, np.ndarray) or value.shape != target.shape:
                continue
            if not target.flags.writeable:
                continue
            target[...] = value
            if name in self.params:
                self._synced[name] = target.copy()

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        first = self.first_output is None and self._is_case(x, t)  # before forward: it may write into x
        reply = self._call({"op": "forward", "x": x, "t": t, "params": self._dirty()})
        out = self._array(reply.get("out"), "the output of forward")
        assert out is not None
        self._apply(reply, {"x": x, "t": t})
        if first:
            self.first_output = out.copy()
        self.last_inputs = (x, t)
        return out

    def _is_case(self, x: np.ndarray, t: np.ndarray | None) -> bool:
        """Whether (x, t), as given to forward before it ran, are the case's own inputs."""
        cx, ct = self._case_inputs
        return np.shape(x) == cx.shape and np.array_equal(x, cx, equal_nan=True) and \
            (ct is None or (t is not None and np.shape(t) == ct.shape and np.array_equal(t, ct)))

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        reply = self._call({"op": "backward", "dout": np.asarray(dout), "params": self._dirty()})
        dx = self._array(reply.get("dx"), "dx", optional=True)
        grads = reply.get("grads")
        if not isinstance(grads, dict):
            raise self.box.fail("garbage", "the process running your code sent no parameter gradients")
        out = {k: self._array(grads.get(k), self.grad_names[k], optional=True)
               for k in (*self.kind.params, *self.extra)}
        self.shape_notes = _shape_notes(reply.get("shape_notes"))
        if isinstance(dout, np.ndarray):
            # a write into the x or t the forward was given (its cache holds them) lands where the checker looks
            x, t = self.last_inputs if self.last_inputs is not None else (None, None)
            self._apply(reply, {"dout": dout, "x": x, "t": t})
        return dx, out

    def _view(self, target: str, array: np.ndarray) -> np.ndarray:
        """The protocol's `user_view` hook, answered by the child's adapter; the array unchanged if it cannot."""
        try:
            shown = self._call({"op": "view", "target": target, "array": np.asarray(array)}).get("array")
        except LayerCrash:
            return array
        if not isinstance(shown, np.ndarray) or shown.size != np.size(array):
            raise self.box.fail("garbage", "the process running your code sent a malformed reply")
        return shown

    def snapshot_state(self) -> Callable[[], None] | None:
        """The protocol's `snapshot_state` hook: the child keeps its layer's whole state (the student's object, the
        gradients it accumulates, an optimizer's velocity); the callable returned puts it back there. None when
        the child cannot keep it: diagnosis then restores the parameters alone, as before."""
        try:
            reply = self._call({"op": "snapshot", "params": self._dirty()})
        except LayerCrash:
            return None
        index = reply.get("state")
        if not isinstance(index, int) or isinstance(index, bool):
            raise self.box.fail("garbage", "the process running your code sent a malformed reply")

        def restore() -> None:
            try:
                params = self._call({"op": "restore", "state": index}).get("params")
            except LayerCrash:  # the child could not put it back: the next question finds what it finds
                return
            for k, v in (params if isinstance(params, dict) else {}).items():
                # what the child holds now: the next call sends whatever differs from it
                if k in self._synced and isinstance(v, np.ndarray) and v.shape == self._synced[k].shape:
                    self._synced[k] = np.array(v, dtype=self._synced[k].dtype)

        return restore

    def stored_array_misreads(self, x: np.ndarray, t: np.ndarray | None, G: np.ndarray, target: str,
                              max_pairs: int, case_arrays: bool = False) -> list[tuple[str, str, np.ndarray]]:
        """The hook of `gradlab.core.stored_arrays`: (read, belongs, gradient) for each pair of arrays the layer stored,
        substituted in the child, where they are. Nothing here is trusted but its form: a forged gradient can at most
        name a wrong gradient's code `wrong-input`, and a failing part fails whatever its code."""
        try:
            # a share of what is left of the layer's time: a question of diagnosis must never cost the layer its
            # grade (the child stops asking at it, and answers with the pairs asked so far)
            reply = self._call({"op": "misread", "x": x, "t": t, "G": np.asarray(G), "target": target,
                                "max_pairs": int(max_pairs), "case_arrays": bool(case_arrays),
                                "seconds": self.box.time_left() * _DIAGNOSIS_SHARE, "params": self._dirty()})
        except LayerCrash:
            return []
        found = reply.get("found")
        return [(_text(f[0])[:80], _text(f[1])[:80], f[2]) for f in (found if isinstance(found, list) else [])
                if isinstance(f, list) and len(f) == 3 and isinstance(f[0], str) and isinstance(f[1], str)
                and isinstance(f[2], np.ndarray) and f[2].dtype == np.float64][:max_pairs]

    def held_arrays(self) -> list[tuple[str, np.ndarray]]:
        """The hook of `gradlab.core.diagnose_factors`: the arrays the layer holds in the child, with the user's names
        for them. As for `stored_array_misreads`, only the form of the reply is trusted."""
        try:
            reply = self._call({"op": "held", "params": self._dirty()})
        except LayerCrash:
            return []
        arrays = reply.get("arrays")
        return [(_text(a[0])[:80], a[1]) for a in (arrays if isinstance(arrays, list) else [])[:_HELD]
                if isinstance(a, list) and len(a) == 2 and isinstance(a[0], str) and isinstance(a[1], np.ndarray)]

    def forward_perturbed(self, target: str, flat_indices: np.ndarray, values: np.ndarray, *,
                          x: np.ndarray | None = None, t: np.ndarray | None = None) -> np.ndarray:
        """Outputs for many single-element perturbations, stacked: row k has element
        `flat_indices[k]` of `target` ("x" or a parameter name) set to `values[k]`, all else as now.

        `x`/`t` default to the inputs of the latest forward call. One round trip for all of them.
        """
        if x is None:
            if self.last_inputs is None:
                raise ValueError("forward_perturbed needs x: call forward first or pass x=")
            x, t = self.last_inputs
        if target != "x" and target not in self.params:
            raise ValueError(f"unknown target {target!r}; use 'x' or one of {sorted(self.params)}")
        idx = np.asarray(flat_indices, dtype=np.int64).reshape(-1)
        vals = np.asarray(values, dtype=np.float64).reshape(-1)
        reply = self._call({"op": "forward_perturbed", "target": target, "indices": idx, "values": vals,
                            "x": x, "t": t, "params": self._dirty()})
        outs = self._array(reply.get("outs"), "perturbed outputs")
        assert outs is not None
        if outs.shape[:1] != (idx.size,):
            raise self.box.fail("garbage", "the process running your code sent the wrong number of outputs")
        return outs
