"""gradlab: is a hand-written backward pass right, and if not, what is the bug?

The public names below are imported on first use, so `import gradlab` (and pytest start-up, which
loads the gradlab plugin) does not pay for numpy and hypothesis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["GradientCheckError", "GradlabWarning", "assert_backward", "assert_batch_mean", "assert_model",
           "batch_vs_samples", "check_entry", "check_grad", "check_model", "entry_for", "numeric_gradient"]

if TYPE_CHECKING:
    from gradlab.cases.per_sample import assert_batch_mean, batch_vs_samples
    from gradlab.cases.runner import check_entry
    from gradlab.conventions.discover import entry_for
    from gradlab.functions.gradient import numeric_gradient
    from gradlab.functions.scipy_style import check_grad
    from gradlab.models.check import check_model
    from gradlab.testing.any_function import assert_model
    from gradlab.testing.assertions import GradientCheckError, GradlabWarning, assert_backward

_HOMES = {
    "GradientCheckError": "gradlab.testing.assertions",
    "GradlabWarning": "gradlab.testing.assertions",
    "assert_backward": "gradlab.testing.assertions",
    "assert_model": "gradlab.testing.any_function",
    "assert_batch_mean": "gradlab.cases.per_sample",
    "batch_vs_samples": "gradlab.cases.per_sample",
    "check_entry": "gradlab.cases.runner",
    "entry_for": "gradlab.conventions.discover",
    "check_grad": "gradlab.functions.scipy_style",
    "check_model": "gradlab.models.check",
    "numeric_gradient": "gradlab.functions.gradient",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'gradlab' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
