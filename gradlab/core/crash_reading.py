"""What a crash in backward says about the gradient, when its shapes tell.

The textbook's second volume (and any layer storing in place, `self.grads[0][...] = dW`) turns a gradient
of the wrong shape into a crash: numpy refuses to broadcast it into the parameter's array. The message
holds both shapes, so the bug can still be named as if the array had been returned: the transposed shape
of its destination is `transposed`; one value per sample where one per feature belongs is
`wrong-reduction`. The crash itself stays in the sentence.
Non-goal: any other crash (it is `crashed`, DESIGN.md).
"""

from __future__ import annotations

import re

__all__ = ["read_crash"]

_BROADCAST = re.compile(r"could not broadcast input array from shape \(([\d, ]*)\) into shape \(([\d, ]*)\)")


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.replace(" ", "").split(",") if p)


def read_crash(exc: BaseException, batch_size: int) -> tuple[str, str] | None:
    """(bug code, sentence) for a crash whose shapes name the bug, else None. `exc` is gradlab's LayerCrash or
    the user's exception; the one that caused it is read too."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        found = _BROADCAST.search(str(exc))
        if found is not None:
            return _broadcast(_shape(found.group(1)), _shape(found.group(2)), batch_size)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


def _broadcast(given: tuple[int, ...], into: tuple[int, ...], N: int) -> tuple[str, str] | None:
    if len(given) == len(into) == 2 and given == into[::-1] and given != into:
        return ("transposed", f"the gradient stored has shape {given}, the transpose of its array's {into}: it was "
                              "computed transposed (e.g. dout.T @ x where x.T @ dout belongs)")
    # a bias's gradient with one value per sample (per sample and time step in a time layer's (N*T, H) view)
    if N > 0 and len(into) == 1 and len(given) in (1, 2) and (len(given) == 1 or given[1] == 1) \
            and given[0] % N == 0 and given[0] != into[0]:
        return ("wrong-reduction", f"the gradient stored has shape {given}, one value per sample, where {into} "
                                   "belongs: it was summed over the features instead of over the batch (axis=0)")
    return None
