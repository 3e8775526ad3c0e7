"""Errors that say gradlab called a function in another way than it is written to be called, not that it is wrong.

Two shapes of it, both in real code (wiseodd/hipsternet's layers and losses):
- the call itself does not bind because the function needs more than gradlab gives: `hinge_loss(model, y_pred,
  y_train, lam)` given a loss's (scores, labels) raises "missing 1 required positional argument" before any line of
  it runs (one that takes fewer, a backward that forgot its dout, is the user's crash);
- a settings dict where the code takes numbers: `conv_forward(X, W, b, stride=1, padding=1)` handed CS231n's
  `conv_param` dict divides an int by it.
Either is a convention gradlab does not adapt: the layer is set aside with why (`cannot_run_here`), never failed
`crashed`. An error raised inside the user's own lines for any other reason stays the user's.
"""

from __future__ import annotations

import re

__all__ = ["called_otherwise"]

# only a function that needs MORE than gradlab gives: one that takes fewer (a backward that forgot its dout) is
# written code that crashes, and stays `crashed`
_BINDING = re.compile(r"missing \d+ required (positional|keyword-only) arguments?")
_DICT_AS_NUMBER = re.compile(r"(unsupported operand type\(s\) for .+: .*'dict'|argument must be .* not 'dict'|"
                             r"'dict' object cannot be interpreted as an integer|'<' not supported between .*'dict')")


def called_otherwise(exc: BaseException, raised_in_user_code: bool) -> str | None:
    """Why `exc` means the function takes its arguments another way than gradlab gave them, or None."""
    if not isinstance(exc, TypeError):
        return None
    text = str(exc)
    if not raised_in_user_code and _BINDING.search(text):
        return (f"it takes other arguments than gradlab gives a layer of its kind ({text}); give it the kind's "
                "signature, or check it with gradlab.assert_backward(forward, backward, inputs={...})")
    if raised_in_user_code and _DICT_AS_NUMBER.search(text):
        return (f"it takes its settings (stride, padding, pool size, keep ratio) as numbers, where gradlab passes the "
                f"course's settings dict ({text}); check it with gradlab.assert_backward and its settings bound "
                "(functools.partial)")
    return None
