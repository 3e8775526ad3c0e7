"""One line in a test: `assert_backward(MyLayer)` passes, or fails with a report a person can act on.

`assert_backward` is a thin consumer of `runner.check_entry`: it validates the call, runs the
check, and turns the `LayerReport` into a pass (the report is returned), a `GradlabWarning`
(the layer is right but did something a layer should not, such as writing into `dout`), or a
`GradientCheckError` whose message is `messages.explain`: which gradient, where, analytic next to
numeric, the likely bug and its fix, the smallest failing case and how to repeat the run.

Under the pytest plugin the number of cases and the seed come from `--gradlab-examples` and
`--gradlab-seed` (the plugin installs them with `use_session_options`); elsewhere they are
`gradlab.core.tolerances.DEFAULT_EXAMPLES` and `DEFAULT_SEED`.
Non-goals: computing anything (that is the runner) and wording results (that is `gradlab.core.messages`).
This module imports neither numpy nor hypothesis at import time, so the pytest plugin that loads
it on every pytest run stays cheap.
"""

from __future__ import annotations

import difflib
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from gradlab.core.tolerances import DEFAULT_EXAMPLES, DEFAULT_SEED

if TYPE_CHECKING:
    from gradlab.conventions.registry import Entry
    from gradlab.core.results import LayerReport
    from gradlab.kinds import Kind



class GradientCheckError(AssertionError):
    """A layer failed its gradient check. The message is the full report; `.report` is the object."""

    def __init__(self, message: str, report: LayerReport):
        super().__init__(message)
        self.report = report


class GradlabWarning(UserWarning):
    """A layer whose gradients are right but which did something a layer should not."""


class FailureMemory(Protocol):
    """Where a session keeps each layer's smallest failing case, to try it first next time."""

    def recall(self, key: str) -> list[dict[str, Any]]: ...

    def remember(self, key: str, spec: dict[str, Any] | None) -> None: ...


@dataclass(frozen=True)
class SessionOptions:
    """What a pytest session chose: cases per layer and the seed, and how to ask for them again."""

    examples: int
    seed: int
    #: the command-line options that repeat this session's choice, e.g. "--gradlab-seed=5"
    repeat_options: str = ""
    #: failures of earlier runs, replayed first (the plugin keeps them in pytest's cache)
    memory: FailureMemory | None = None

    def reproduce(self, nodeid: str | None = None, *, examples_given: bool = False) -> str:
        """`repeat with: pytest 'test_x.py::test_y' --gradlab-seed=5` for a failure message."""
        options = f"--gradlab-seed={self.seed}" if examples_given else self.repeat_options
        target = f" '{nodeid}'" if nodeid else ""
        return f"repeat with: pytest{target} {options}"


# set by the pytest plugin for the length of a session; None outside pytest
_session: SessionOptions | None = None


def use_session_options(options: SessionOptions | None) -> SessionOptions | None:
    """Install the defaults of a pytest session (None removes them); returns the previous ones.

    Returning the previous value lets a nested session (pytester's in-process runs) put the outer
    session's options back when it ends.
    """
    global _session
    previous, _session = _session, options
    return previous


def session_options() -> SessionOptions | None:
    """The active pytest session's options, or None outside the gradlab pytest plugin."""
    return _session


def assert_backward(
    layer: Any,
    backward: Callable[..., Any] | None = None,
    *,
    kind: str | Kind | None = None,
    examples: int | None = None,
    seed: int | None = None,
    layout: str | None = None,
    weights: str = "in_out",
    inputs: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> LayerReport:
    """Check a layer's backward pass against finite differences; raise a readable report if wrong.

    `layer` is a class-style layer class (`Affine`, not `Affine(W, b)`: gradlab builds instances
    with parameters of the shapes it draws), a function-style forward with its `backward`
    (`assert_backward(affine_forward, affine_backward)`), a loss function (`softmax_loss`) or a
    registry `Entry`. `kind=` names what the layer computes when its name is not a usual one;
    `layout="columns"` (and `weights="out_in"`) is for layers written for samples as columns; without
    it, a layer that crashes on samples as rows and runs on columns is checked on columns and says so
    (`layout="rows"` keeps rows).
    `examples` (hypothesis cases) and `seed` default to the pytest options `--gradlab-examples`
    and `--gradlab-seed`, or to the defaults of `gradlab.core.tolerances` outside pytest.

    Returns the `LayerReport` when the layer passes; emits a `GradlabWarning` (and returns) when it
    passes with warnings; raises `GradientCheckError` (an `AssertionError`) when it fails.

    With `inputs=` (and `params=`), `layer` and `backward` are any forward/backward pair, checked at
    exactly those arrays (`gradlab.testing.any_function.assert_function`): a kind gradlab does not know.
    """
    __tracebackhide__ = True  # a failure points at the user's test line, not at gradlab
    if inputs is not None or params is not None:
        from gradlab.testing.any_function import assert_function

        if kind is not None or examples is not None:
            raise TypeError("kind= and examples= are for layers gradlab knows; with inputs= the pair is checked "
                            "once, at the arrays given")
        return assert_function(layer, backward, inputs=inputs, params=params, seed=seed or 0)  # type: ignore[return-value]
    return check_layer(layer, backward, kind=kind, examples=examples, seed=seed, stacklevel=3,
                       layout=layout, weights=weights)


def check_layer(
    layer: Any,
    backward: Callable[..., Any] | None = None,
    *,
    kind: str | Kind | None = None,
    examples: int | None = None,
    seed: int | None = None,
    session: SessionOptions | None = None,
    nodeid: str | None = None,
    stacklevel: int = 2,
    layout: str | None = None,
    weights: str = "in_out",
) -> LayerReport:
    """`assert_backward` with the knobs its wrappers need: explicit session options (instead of
    the installed ones), the test's node id for the message and the warning's stack level.
    Prefer `assert_backward` (or the `gradlab_check` fixture)."""
    __tracebackhide__ = True

    # all validation happens before any case runs, so a bad call fails in milliseconds
    _check_count("examples", examples, minimum=1, example=DEFAULT_EXAMPLES)
    _check_count("seed", seed, minimum=0, example=1234)
    entry = _entry(layer, backward, kind, layout, weights)

    session = session or _session
    n = examples if examples is not None else (session.examples if session else DEFAULT_EXAMPLES)
    s = seed if seed is not None else (session.seed if session else DEFAULT_SEED)
    if seed is not None:
        reproduce = f"seed={seed} is set in the call, so every run repeats these cases"
    elif session is not None:
        reproduce = session.reproduce(nodeid, examples_given=examples is not None)
    else:
        reproduce = f"the default seed {DEFAULT_SEED}: every run repeats these cases"

    from gradlab.cases.runner import check_entry
    from gradlab.core.messages import explain
    from gradlab.core.results import FAIL, WARN

    memory = session.memory if session is not None else None
    key = memory_key(entry)
    report = check_entry(entry, examples=n, seed=s, replay=memory.recall(key) if memory else ())
    if memory is not None:
        memory.remember(key, report.failing.spec if report.failing is not None else None)
    if report.verdict == FAIL:
        from dataclasses import replace

        from gradlab.fixes import describe, find_fix

        # the message ends with the verified edit that makes the layer pass, when the search finds one
        report = replace(report, fix=find_fix(entry, report, examples=n, seed=s))
        message = "\n".join([explain(report, reproduce=reproduce), *describe(report.fix, report.name)])
        raise GradientCheckError(message, report)
    if report.verdict == WARN:
        _advise(explain(report), stacklevel=stacklevel)
    return report


def memory_key(entry: Entry) -> str:
    """Which layer a remembered failure belongs to: where its code lives, its name and convention."""
    target = entry.target[0] if isinstance(entry.target, tuple) else entry.target
    where = f"{getattr(target, '__module__', entry.module)}.{getattr(target, '__qualname__', entry.name)}"
    return f"{where}:{entry.name}:{entry.convention}:{entry.kind}:{sorted(entry.options.items())}"


def _advise(message: str, *, stacklevel: int) -> None:
    """Warn with a `GradlabWarning`, which never fails a test: a blanket `-W error` (which would turn
    the textbook's correct Relu, writing into dout, into a failure) leaves it a warning; a filter
    that names GradlabWarning itself (`-W error::gradlab.GradlabWarning`, `ignore::...`) is obeyed."""
    # the first filter whose category covers GradlabWarning decides, as in the warnings module
    covering = [(f[0], f[2]) for f in warnings.filters if isinstance(f[2], type) and issubclass(GradlabWarning, f[2])]
    blanket_error = bool(covering) and covering[0][0] == "error" and not issubclass(covering[0][1], GradlabWarning)
    with warnings.catch_warnings():
        if blanket_error:
            warnings.simplefilter("default", GradlabWarning)
        warnings.warn(message, GradlabWarning, stacklevel=stacklevel + 1)


def _check_count(name: str, value: Any, *, minimum: int, example: int) -> None:
    if value is None:
        return
    # bool is an int to Python, but examples=True is always a slip
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}={value!r}: pass a whole number, e.g. {name}={example}")
    if value < minimum:
        what = "at least 1 hypothesis case" if name == "examples" else "a non-negative seed"
        raise ValueError(f"{name}={value!r}: pass {what}, e.g. {name}={example}")


def _entry(layer: Any, backward: Any, kind: Any, layout: str | None = None, weights: str = "in_out") -> Entry:
    """The registry-style entry for what the user passed, or an error saying how to fix the call."""
    from gradlab.conventions.discover import entry_for
    from gradlab.conventions.registry import Entry
    from gradlab.kinds import KINDS, Kind

    known = ", ".join(sorted(KINDS))
    if kind is not None and not isinstance(kind, (str, Kind)):
        raise TypeError(f"kind={kind!r}: pass the name of a layer kind as a string, one of: {known}")
    if isinstance(kind, str) and kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=1)
        guess = f"did you mean kind={close[0]!r}? " if close else ""
        raise ValueError(f"kind={kind!r} is not a layer kind gradlab knows; {guess}known kinds: {known}")
    if backward is not None and not callable(backward):
        raise TypeError(f"backward={backward!r} is not callable; pass the backward function itself, "
                        "e.g. assert_backward(affine_forward, affine_backward)")

    if isinstance(layer, Entry):
        if backward is not None or kind is not None:
            raise TypeError("a registry Entry already says what the layer is and how to call it; "
                            "pass it alone: assert_backward(entry)")
        return layer
    if isinstance(layer, type):
        if backward is not None:
            raise TypeError(f"{layer.__name__} is a class: its backward is the method; "
                            f"call assert_backward({layer.__name__}) without a backward function")
        missing = [m for m in ("forward", "backward") if not callable(getattr(layer, m, None))]
        if missing:
            raise TypeError(f"class {layer.__name__} has no {' or '.join(missing)} method; a class-style layer "
                            "defines forward(x) and backward(dout)")
    elif isinstance(layer, str):
        raise TypeError(f"got the string {layer!r}; pass the layer itself (the class or the functions). "
                        "A reference layer is found by name with gradlab.conventions.registry.get(name)")
    elif not callable(layer):
        cls = type(layer)
        if callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None)):
            raise TypeError(f"got an instance of {cls.__name__}; pass the class itself, "
                            f"assert_backward({cls.__name__}): gradlab builds its own instances with "
                            "parameters of the shapes it draws")
        raise TypeError(f"expected a layer class, a forward function with its backward, or a loss function; "
                        f"got {cls.__name__} {layer!r:.60}")
    elif backward is None and inspect.isfunction(layer) and "_forward" in layer.__name__:
        stem = layer.__name__.replace("_forward", "_backward", 1)
        raise TypeError(f"{layer.__name__} is a forward function; pass its backward too: "
                        f"assert_backward({layer.__name__}, {stem})")

    # an unknown name raises here, with a message that already says to pass kind=
    return entry_for(layer, backward, kind=kind, layout=layout, weights=weights)
