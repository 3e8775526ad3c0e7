"""Any function and whole models in one line of a test: raise a report when a gradient is wrong.

`assert_function` is what `gradlab.assert_backward(forward, backward, inputs=..., params=...)` runs:
the pair checked as a generic function (`gradlab.functions.pair.check_backward`) at exactly those
arrays. `assert_model` is the same for a whole model (`gradlab.models.check.check_model`). A failure
raises `FunctionCheckError`, a `GradientCheckError`, its message the report.
Non-goal: computing anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from gradlab.testing.assertions import GradientCheckError

if TYPE_CHECKING:
    from gradlab.functions.report import FunctionReport

__all__ = ["FunctionCheckError", "assert_function", "assert_model"]


class FunctionCheckError(GradientCheckError):
    """A function or model failed its gradient check; `.report` is its `FunctionReport` (or `ModelReport`)."""

    def __init__(self, message: str, report: FunctionReport):
        AssertionError.__init__(self, message)
        self.report = report  # type: ignore[assignment]  # a function's report, not a layer's


def assert_function(forward: Callable[..., Any], backward: Callable[..., Any] | None, *,
                    inputs: Mapping[str, Any] | None = None, params: Mapping[str, Any] | None = None,
                    **options: Any) -> FunctionReport:
    """`assert_backward(forward, backward, inputs={"x": x}, params={"W": W})`: any function, at exactly
    these arrays (`gradlab.functions.pair.check_backward`; options `seed`, `rtol`, `atol`, `name`).
    Returns the report when it passes; raises `FunctionCheckError` with the report when it fails."""
    __tracebackhide__ = True
    if backward is None:
        raise TypeError("with inputs=, pass the forward and its backward: assert_backward(forward, backward, "
                        "inputs={'x': x}, params={...})")
    from gradlab.functions.pair import check_backward

    report = check_backward(forward, backward, inputs=inputs or {}, params=params, **options)
    if not report.passed:
        raise FunctionCheckError(report.explain(), report)
    return report
def assert_model(model: Any, **options: Any) -> Any:
    """Check every parameter's gradient of a whole model class (CS231n, the textbook or Nielsen style);
    raise a report that names the wrong parameters and where the error starts (`gradlab.models.check_model`)."""
    __tracebackhide__ = True
    from gradlab.models.check import check_model

    report = check_model(model, **options)
    if not report.passed:
        raise FunctionCheckError(report.explain(), report)
    return report
