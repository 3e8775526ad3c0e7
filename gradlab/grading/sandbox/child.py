"""The process that runs a student's code: it imports the submission and serves layer calls.

Started by `gradlab.grading.sandbox.process` as `python -I -B -m gradlab.grading.sandbox.child ...` in a scratch folder,
with a clean environment, its own session and the pipe file descriptors on the command line. It
first limits itself (address space, CPU time, file size; an unprivileged user when started as
root), then imports the submission, then answers requests until its pipe closes:
`construct` (a layer for one case), `forward`, `backward`, `forward_perturbed`, `misread` (diagnosis's stored
arrays, substituted where they are), and `fix` (the search for
a verified fix, which runs the student's code edited, so here and nowhere else).

Everything here is advisory: once the student's code has been imported it can change anything in
this process, so nothing it replies is trusted. The grader validates every reply and computes
every verdict in its own process; this file only has to work for honest submissions.
Non-goal: checking or scoring anything.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Any

from gradlab.grading.sandbox.child_setup import (
    NoReference,
    drop_privileges,
    limit,
    load_submission,
    read_exact,
    write_all,
)


def _describe(exc: BaseException) -> str:
    from gradlab.conventions.adapters import crash_report

    return crash_report("", exc).detail


class Server:
    """The child's side of the protocol: one live layer at a time, built from the parent's case."""

    def __init__(self, entries: dict[str, Any]):
        self.entries = entries
        self.layer: Any = None
        #: the layer's states the grader asked to keep (`snapshot`), to put back on request (`restore`)
        self.states: list[Any] = []
        #: the latest forward's x and t, and their values as it left them (what backward may write into)
        self.inputs: tuple[Any, Any, Any, Any] | None = None

    def handle(self, msg: dict[str, Any]) -> dict[str, Any]:
        from gradlab.core.protocol import LayerCrash, LayerSignatureError

        op = msg.get("op")
        try:
            if op == "construct":
                return self.construct(msg)
            if op == "fix":
                return self.fix(msg)
            if op == "labels":
                return self.labels(msg)
            if op == "samples":
                return self.samples(msg)
            if self.layer is None:
                return {"ok": False, "error": "crash", "call": op, "detail": "no layer was constructed"}
            if op == "forward":
                return self.forward(msg)
            if op == "backward":
                return self.backward(msg)
            if op == "forward_perturbed":
                return self.forward_perturbed(msg)
            if op == "view":
                return self.view(msg)
            if op == "snapshot":
                return self.snapshot(msg)
            if op == "restore":
                return self.restore(msg)
            if op == "misread":
                return self.misread(msg)
            if op == "held":
                return self.held(msg)
            return {"ok": False, "error": "protocol", "detail": f"unknown op {op!r}"}
        except LayerSignatureError as exc:
            return {"ok": False, "error": "signature", "detail": str(exc)}
        except LayerCrash as exc:
            return {"ok": False, "error": "crash", "call": exc.call, "detail": exc.detail}
        except BaseException as exc:  # KeyboardInterrupt, SystemExit, GeneratorExit from student code
            return {"ok": False, "error": "crash", "call": str(op), "detail": _describe(exc)}

    def construct(self, msg: dict[str, Any]) -> dict[str, Any]:
        from dataclasses import replace

        import numpy as np

        from gradlab.conventions.adapters import adapt
        from gradlab.kinds import KINDS, Case

        entry = self.entries[msg["entry"]]
        kind = KINDS[entry.kind]
        if msg.get("samples") is not None:  # a layer taking one sample at a time, as `gradlab check` detects it
            entry = replace(entry, options={**entry.options, "samples": str(msg["samples"])})
        case = Case(msg["x"], msg.get("t"), dict(msg["params"]), dict(msg["hyper"]), dict(msg["spec"]))
        self.layer, self.states, self.inputs = None, [], None
        self.layer = adapt(entry, kind, case)
        names = dict(getattr(self.layer, "grad_names", {}))
        # inputs the adapter adds of its own (a stateful time layer's carried state): checked as parameters are
        extra = {str(k): np.array(v, copy=True) for k, v in self.layer.params.items() if k not in case.params}
        held = [str(k) for k in getattr(self.layer, "held_at_zero", [])]
        # what the adapter read in the layer's convention (a backward(x) returning f'(x)): the check warns with it
        notes = [[str(code), str(text)] for code, text in getattr(self.layer, "notes", ())]
        return {"ok": True, "grad_names": {str(k): str(v) for k, v in names.items()}, "extra_params": extra,
                "held_at_zero": held, "views": callable(getattr(self.layer, "user_view", None)), "notes": notes}

    def labels(self, msg: dict[str, Any]) -> dict[str, Any]:
        """The label encodings a loss takes when it refuses some that courses use, probed as `gradlab check`
        probes them (its cases then draw the first); [] when it takes all, or none."""
        from gradlab.cases.runner import label_encodings_taken
        from gradlab.kinds import KINDS

        entry = self.entries[msg["entry"]]
        return {"ok": True, "taken": label_encodings_taken(entry, KINDS[entry.kind])}

    def samples(self, msg: dict[str, Any]) -> dict[str, Any]:
        """The one-sample conventions `gradlab check` tries, in order, on a layer that crashed on batches
        (`gradlab.cases.other_layouts`); the grader tries them in the same order."""
        from gradlab.cases.other_layouts import sample_conventions
        from gradlab.kinds import KINDS

        entry = self.entries[msg["entry"]]
        return {"ok": True, "tries": [list(t) for t in sample_conventions(entry, KINDS[entry.kind])]}

    def fix(self, msg: dict[str, Any]) -> dict[str, Any]:
        """The verified fix of a layer (issue 19, an assignment's `show_fix`): the layer checked here, where its
        code runs, and each candidate edit rebuilt and re-checked here too, until `seconds` have passed."""
        import time
        from dataclasses import replace

        from gradlab.cases.runner import check_entry
        from gradlab.fixes import find_fix

        deadline = time.monotonic() + float(msg["seconds"])
        entry = self.entries[msg["entry"]]
        if msg.get("layout") == "columns":
            entry = replace(entry, options={**entry.options, "layout": "columns", "weights": msg.get("weights")})
        examples, seed = int(msg["examples"]), int(msg["seed"])
        report = check_entry(entry, examples=examples, seed=seed)
        if time.monotonic() > deadline:
            return {"ok": True, "fix": {"status": "not-searched"}}
        found = find_fix(entry, report, examples=examples, seed=seed, deadline=deadline)
        return {"ok": True, "fix": None if found is None else found.to_dict()}

    def _sync(self, msg: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        for k, v in msg.get("params", {}).items():
            self.layer.params[k][...] = v
        return {k: np.array(v, copy=True) for k, v in self.layer.params.items()}

    def _changed(self, before: dict[str, Any], **inputs: tuple[Any, Any]) -> dict[str, Any]:
        import numpy as np

        out = {k: v for k, v in self.layer.params.items() if not np.array_equal(v, before[k], equal_nan=True)}
        for name, (now, then) in inputs.items():
            if now is not None and not np.array_equal(now, then, equal_nan=True):
                out[name] = now
        return out

    def forward(self, msg: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        before = self._sync(msg)
        x, t = msg["x"], msg.get("t")
        x0, t0 = x.copy(), None if t is None else t.copy()
        out = np.asarray(self.layer.forward(x, t))
        changed = self._changed(before, x=(x, x0), t=(t, t0))
        # as forward left them: a backward that writes into the x its cache holds (g = x; g[x > 0] = 1) is told too
        self.inputs = (x, x.copy(), t, None if t is None else t.copy())
        return {"ok": True, "out": out, "changed": changed, **self._updates()}

    def backward(self, msg: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        before = self._sync(msg)
        dout = msg["dout"]
        dout0 = dout.copy()
        dx, grads = self.layer.backward(dout)
        x, x0, t, t0 = self.inputs if self.inputs is not None else (None, None, None, None)
        # what the gradients' shapes said in the student's own shapes (a (M, 1) bias's gradient returned as (M,))
        shape_notes = [[str(v) for v in note] for note in getattr(self.layer, "shape_notes", ())]
        return {"ok": True, "dx": None if dx is None else np.asarray(dx),
                "grads": {k: None if g is None else np.asarray(g) for k, g in grads.items()},
                "changed": self._changed(before, dout=(dout, dout0), x=(x, x0), t=(t, t0)), **self._updates(),
                "shape_notes": shape_notes}

    def _updates(self) -> dict[str, Any]:
        """What the adapter saw of the layer's own updates: the parameters it replaced or whose update changed dx
        (`rebound`), and whether updating itself is the layer's convention (a learning rate it was given). The
        check's structure step reads them (`stale-parameters`); the parameters' values come back as `changed`."""
        return {"rebound": sorted(str(k) for k in getattr(self.layer, "rebound", ())),
                "updates_itself": bool(getattr(self.layer, "updates_itself", False))}

    def view(self, msg: dict[str, Any]) -> dict[str, Any]:
        """An array of gradlab's orientation as the student's code holds it (the adapter's `user_view` hook: a
        course's own layout, samples as columns), so that the feedback speaks of the student's shapes and axes."""
        import numpy as np

        return {"ok": True, "array": np.asarray(self.layer.user_view(str(msg.get("target")), msg["array"]))}

    def snapshot(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Keep the layer's whole state (`gradlab.core.layer_state`): diagnosis asks each of its questions of the
        layer as the check's backward found it, and a layer that adds into its gradients or updates itself in
        backward lives here. A few per layer: a layer is built per case."""
        from gradlab.core.layer_state import LayerState

        self._sync(msg)
        if len(self.states) >= _MAX_STATES:
            return {"ok": False, "error": "crash", "call": "snapshot", "detail": "too many states kept"}
        self.states.append(LayerState.of(self.layer))
        return {"ok": True, "state": len(self.states) - 1}

    def restore(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Put a kept state back; the reply holds the parameters as they now are, for the grader's record."""
        import numpy as np

        index = msg.get("state")
        if not isinstance(index, int) or not 0 <= index < len(self.states):
            return {"ok": False, "error": "crash", "call": "restore", "detail": f"no kept state {index!r}"}
        self.states[index].restore()
        return {"ok": True, "params": {k: np.array(v, copy=True) for k, v in self.layer.params.items()}}

    def misread(self, msg: dict[str, Any]) -> dict[str, Any]:
        """The target's gradient with each of the layer's stored arrays read where another belongs
        (`gradlab.core.stored_arrays`), asked here, where the arrays are; the layer is put back as it was found."""
        import time

        from gradlab.core.layer_state import LayerState
        from gradlab.core.stored_arrays import case_array_gradients, misread_gradients

        self._sync(msg)
        state = LayerState.of(self.layer)
        deadline = time.monotonic() + float(msg.get("seconds", 1.0))
        found = []
        try:
            # the case's input or output put in a stored array's place, or another stored array
            pairs = case_array_gradients(self.layer, msg["x"], msg.get("t"), msg["G"], str(msg["target"]),
                                         state.restore) if msg.get("case_arrays") else \
                misread_gradients(self.layer, msg["x"], msg.get("t"), msg["G"], str(msg["target"]), state.restore,
                                  max_pairs=int(msg["max_pairs"]))
            for read, belongs, g in pairs:
                found.append([read, belongs, g])
                if time.monotonic() > deadline:  # the grader's time is the student's: what was asked so far
                    break
        finally:
            state.restore()
        return {"ok": True, "found": found}

    def held(self, msg: dict[str, Any]) -> dict[str, Any]:
        """The arrays the layer holds now, each with how the user's code holds it (`self.xc`, `cache[1]`): what a
        formula in backward can read, for diagnosis's factors (`gradlab.core.diagnose_factors`)."""
        import numpy as np

        from gradlab.core.layer_state import LayerState
        from gradlab.core.stored_arrays import user_names

        self._sync(msg)
        names = user_names(self.layer)
        return {"ok": True, "arrays": [[names.get(id(live), "an array the layer holds"), np.array(v, copy=True)]
                                       for live, v in LayerState.of(self.layer).arrays if isinstance(v, np.ndarray)]}

    def forward_perturbed(self, msg: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        self._sync(msg)
        x, t, target = msg["x"], msg.get("t"), msg["target"]
        saved = {k: np.array(v, copy=True) for k, v in self.layer.params.items()}
        outs = []
        try:
            for i, v in zip(msg["indices"].tolist(), msg["values"].tolist()):
                # fresh inputs and restored parameters for every evaluation: a layer that shifts x in
                # place, or changes a parameter, must not move the next evaluation's point
                for k, p in self.layer.params.items():
                    p[...] = saved[k]
                xi, ti = np.array(x, copy=True), None if t is None else np.array(t, copy=True)
                arr = xi if target == "x" else self.layer.params[target]
                arr.flat[i] = v  # .flat writes through whatever the layout (reshape(-1) may copy)
                outs.append(np.array(self.layer.forward(xi, ti), dtype=np.float64, copy=True))
        finally:
            for k, p in self.layer.params.items():
                p[...] = saved[k]
        if outs and any(o.shape != outs[0].shape for o in outs):
            return {"ok": False, "error": "crash", "call": "forward", "detail": "output shape changed between calls"}
        return {"ok": True, "outs": np.stack(outs) if outs else np.zeros((0,))}


#: states kept per layer: the check keeps one, each diagnosis one more (the layer as diagnosis found it)
_MAX_STATES = 64


def _parser() -> argparse.ArgumentParser:
    """The child's command line, written by `gradlab.grading.sandbox.process`: the pipes it reads requests from and
    writes replies to, the limits it sets on itself, the uid it drops to, the submission's files."""
    p = argparse.ArgumentParser(prog="gradlab.grading.sandbox.child")
    p.add_argument("--req", type=int, required=True)
    p.add_argument("--rep", type=int, required=True)
    p.add_argument("--memory-mb", type=int, required=True)
    p.add_argument("--cpu-seconds", type=int, required=True)
    p.add_argument("--fsize-mb", type=int, required=True)
    p.add_argument("--uid", type=int, default=None)
    p.add_argument("--max-reply-bytes", type=int, required=True)
    p.add_argument("--stage", default=None, help="copy this read-only folder into the working folder first")
    p.add_argument("files", nargs="+")
    return p


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    limit(args.memory_mb, args.cpu_seconds, args.fsize_mb)
    if args.uid is not None:
        drop_privileges(args.uid)
    if args.stage is not None:  # in the jail: the submission's own writable copy, in the scratch tmpfs
        import shutil

        shutil.copytree(args.stage, os.getcwd(), dirs_exist_ok=True)
    files = [os.path.abspath(f) for f in args.files]

    import numpy as np

    # loaded before student code, so a submission that patches them patches its own copy only
    from gradlab import kinds  # noqa: F401
    from gradlab.conventions import adapters, discover  # noqa: F401
    from gradlab.conventions.import_finders import PastBuiltins
    from gradlab.core import protocol  # noqa: F401
    from gradlab.grading.sandbox.wire import WireError, decode, encode

    np.seterr(all="ignore")
    warnings.simplefilter("ignore")
    sys.meta_path.insert(0, NoReference())
    # for the whole session, not only while files are imported (the one load_module adds leaves with it)
    sys.meta_path.append(PastBuiltins())
    req, rep = args.req, args.rep

    entries, skipped, duplicates, error = load_submission(files)
    hello: dict[str, Any] = {"ok": error is None, "error": error, "skipped": skipped, "duplicates": duplicates,
                             "entries": [{"name": key, "kind": e.kind, "convention": e.convention,
                                          # a course's own convention (deeplearning.ai's), which the grader says
                                          **{k: e.options.get(k) for k in ("layout", "weights", "param_gradients")}}
                                         for key, e in entries.items() if "@" not in key]}
    write_all(rep, encode(hello))
    server = Server(entries)
    while True:
        try:
            msg = decode(lambda n: read_exact(req, n), max_bytes=1 << 31)
        except (EOFError, WireError):
            break
        try:
            payload = encode(server.handle(msg))
        except WireError as exc:
            payload = encode({"ok": False, "error": "crash", "call": str(msg.get("op")), "detail": f"returned {exc}"})
        write_all(rep, payload)
    for stream in (sys.stdout, sys.stderr):  # os._exit skips the flush a student's last print needs
        try:
            stream.flush()
        except BaseException:  # a stream the student replaced or closed
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
