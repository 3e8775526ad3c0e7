"""What a crash in backward says about the gradient, when its shapes tell.

A gradient of the wrong shape often crashes before it is returned: the textbook's second volume stores it in
place (`self.grads[0][...] = dW`) or joins a gated cell's pieces (`np.hstack((dWxz, dWxr, dWxh))`), a
learner's `backward(grad, lr)` updates the weights with it, CS231n's linear classifier adds the
regularisation to it (`dW += 2 * reg * W`). numpy's message holds shapes, and where they prove it, the bug
is named as if the array had been returned, given the shapes the layer's gradients must have:
- an array stored into, or updated in place, with the transpose of a gradient's shape: `transposed`;
- one value per sample where one per feature belongs, or a stacked bias with one of its blocks a single
  value, or a 0-d array joined: `wrong-reduction` (summed over the wrong axes, or over all of them);
- arrays joined whose numbers of axes differ by one: `wrong-shape` (an axis kept, `keepdims=True`);
- in backward, a product (np.dot, @) refused where one operand has a parameter's shape and its transpose would
  fit: `transposed` (dx = dout @ W where dout @ W.T belongs).
The crash itself stays a finding (`crashed`, DESIGN.md). `SHAPE_CRASH` are numpy's words for a crash on
mismatched shapes, which the layer and model checkers retry where the shapes fit by accident.
Non-goal: any other crash (it is `crashed` alone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from gradlab.core.kind import Case, Kind

__all__ = ["FITS_BY_ACCIDENT", "RUNS_ELSEWHERE", "SHAPE_CRASH", "gradient_shapes", "is_shape_crash", "read_crash",
           "transposed_operand"]

Shape = tuple[int, ...]

#: numpy's words for arithmetic, a store or a join on arrays of mismatched shapes
SHAPE_CRASH = ("could not be broadcast", "non-broadcastable", "could not broadcast", "not aligned",
               "mismatch in its core dimension", "cannot reshape", "concatenation axis must match exactly",
               "must have same number of dimensions", "zero-dimensional arrays cannot be concatenated")

#: the words of a finding re-judged where the sizes fit (gradlab.cases.where_it_fits), which the report reads
FITS_BY_ACCIDENT = "where the shapes fit by accident"
#: ... and of a crash on the smallest case said with another case where the layer runs and is wrong
RUNS_ELSEWHERE = "where it runs,"

_BROADCAST = re.compile(r"could not broadcast input array from shape \(([\d, ]*)\) into shape \(([\d, ]*)\)")
_OPERAND = re.compile(r"non-broadcastable output operand with shape \(([\d, ]*)\) doesn't match the broadcast "
                      r"shape \(([\d, ]*)\)")
_DIMENSIONS = re.compile(r"must have same number of dimensions, but the array at index (\d+) has (\d+) "
                         r"dimension\(s\) and the array at index (\d+) has (\d+) dimension\(s\)")
_ALIGNED = re.compile(r"shapes \(([\d, ]*)\) and \(([\d, ]*)\) not aligned: \d+ \(dim (\d+)\) != \d+ \(dim (\d+)\)")
_CORE = re.compile(r"Input operand 1 has a mismatch in its core dimension 0, with gufunc signature [^ ]+ "
                   r"\(size (\d+) is different from (\d+)\)")
_ZERO_D = "zero-dimensional arrays cannot be concatenated"
_ZERO_D_READ = ("wrong-reduction", "a 0-d array was joined into a gradient: one of its pieces was summed over all axes "
                                  "(np.sum(d) where np.sum(d, axis=0) belongs)")


def is_shape_crash(message: str) -> bool:
    """Whether a crash's message is numpy refusing arrays of mismatched shapes."""
    return any(s in message for s in SHAPE_CRASH)


def gradient_shapes(kind: Kind, case: Case) -> dict[str, Shape]:
    """The shapes the layer's gradients must have on `case`, by name: what a crash's shapes are read against."""
    shapes = {name: tuple(p.shape) for name, p in case.params.items()}
    return {"x": tuple(case.x.shape), **shapes} if kind.x_differentiable else shapes


def _shape(text: str) -> Shape:
    return tuple(int(p) for p in text.replace(" ", "").split(",") if p)


def read_crash(exc: BaseException, batch_size: int,
               shapes: Mapping[str, Shape] | None = None) -> tuple[str, str] | None:
    """(bug code, sentence) for a crash whose shapes name the bug, else None. `exc` is gradlab's LayerCrash or
    the user's exception; the one that caused it is read too. `shapes` are the shapes the layer's gradients
    must have (x's and each parameter's), by name; without them only the shapes in the message are read."""
    expected = dict(shapes or {})
    # a product refused in forward is the forward's own bug; only backward's is read as a gradient's
    in_backward = "backward" in str(getattr(exc, "call", ""))
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        read = _read(str(exc), batch_size, expected) or (_product(str(exc), expected) if in_backward else None)
        if read is not None:
            return read
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


def _read(message: str, N: int, expected: dict[str, Shape]) -> tuple[str, str] | None:
    found = _BROADCAST.search(message)
    if found is not None:
        return _broadcast(_shape(found.group(1)), _shape(found.group(2)), N, expected)
    found = _OPERAND.search(message)
    if found is not None:
        return _operand(_shape(found.group(1)), expected)
    found = _DIMENSIONS.search(message)
    if found is not None:
        fewer, more = sorted((int(found.group(2)), int(found.group(4))))
        if fewer == 0:
            return _ZERO_D_READ
        if more - fewer != 1:
            return None
        return ("wrong-shape", f"arrays of {fewer} and {more} axes were joined into one gradient: one of them kept "
                               "an axis the others do not have (a sum with keepdims=True, where the result must "
                               "have the parameter's shape)")
    return _ZERO_D_READ if _ZERO_D in message else None


def _broadcast(given: Shape, into: Shape, N: int, expected: dict[str, Shape]) -> tuple[str, str] | None:
    if len(given) == len(into) == 2 and given == into[::-1] and given != into:
        return ("transposed", f"the gradient stored has shape {given}, the transpose of its array's {into}: it was "
                              "computed transposed (e.g. dout.T @ x where x.T @ dout belongs)")
    # a bias's gradient with one value per sample (per sample and time step in a time layer's (N*T, H) view)
    per_sample = N > 0 and len(into) == 1 and len(given) in (1, 2) and (len(given) == 1 or given[1] == 1) \
        and given[0] % N == 0 and given[0] != into[0]
    # at N=1 every length is a multiple of N: a stacked bias's blocks, below, say more there
    if per_sample and N > 1:
        return _per_sample(given, into)
    # a stacked bias (a gated cell's (3H,) or (4H,)) whose gradient joins k blocks of m values, one of them a
    # single value: that block was summed over all axes. m is read off the shapes alone, and only a 1-D array
    # a gradient must have counts as the destination
    if len(given) == len(into) == 1 and (not expected or into in expected.values()):
        for m in range(2, into[0] // 2 + 1):
            if into[0] % m == 0 and given[0] == into[0] - m + 1:
                return ("wrong-reduction", f"the gradient stored has shape {given} where {into} belongs: it joins "
                                           f"{into[0] // m} blocks of {m}, one of them a single value, summed over "
                                           "all axes (np.sum(d) where np.sum(d, axis=0) belongs)")
    return _per_sample(given, into) if per_sample else None


def _per_sample(given: Shape, into: Shape) -> tuple[str, str]:
    return ("wrong-reduction", f"the gradient stored has shape {given}, one value per sample, where {into} belongs: "
                               "it was summed over the features instead of over the batch (axis=0)")


def _operand(operand: Shape, expected: dict[str, Shape]) -> tuple[str, str] | None:
    """An in-place update (`dW += reg * W`) on an array whose shape no gradient has, but the transpose of one's."""
    if len(operand) != 2 or operand == operand[::-1] or operand in expected.values():
        return None
    names = [name for name, shape in expected.items() if shape == operand[::-1]]
    if len(names) != 1:
        return None
    return ("transposed", f"an array of shape {operand}, the transpose of d{names[0]}'s {operand[::-1]}, was updated "
                          f"in place: d{names[0]} was computed transposed (e.g. dout.T @ x where x.T @ dout belongs)")


def transposed_operand(message: str) -> Shape | None:
    """The shape of the one operand of a refused matrix product (np.dot, 2-D, not square) whose transpose would make
    the product fit (`np.dot(w, delta)` where `np.dot(w.T, delta)` belongs), read off numpy's message alone; None
    when the message is no such refusal, or both operands' transposes would fit (the message cannot say which)."""
    found = _ALIGNED.search(message)
    if found is None:
        return None
    left, right = _shape(found.group(1)), _shape(found.group(2))
    if len(left) != 2 or len(right) != 2:
        return None
    fits = [shape for shape, ok in ((left, left[0] == right[0]), (right, left[1] == right[1]))
            if ok and shape != shape[::-1]]
    return fits[0] if len(fits) == 1 else None


def _product(message: str, expected: dict[str, Shape]) -> tuple[str, str] | None:
    """A product refused where one operand has a parameter's shape (not square) and its transpose would fit."""
    found = _ALIGNED.search(message)
    if found is not None:
        left, right = _shape(found.group(1)), _shape(found.group(2))
        i, j = int(found.group(3)), int(found.group(4))
        if not (i < len(left) and j < len(right)):
            return None
        # the right operand untransposed (dout @ W), or the left one (W @ x where W.T @ x belongs)
        operands = []
        if len(right) == 2 and right[::-1][j] == left[i]:
            operands.append(right)
        if len(left) == 2 and left[0] == right[j]:
            operands.append(left)
    else:
        found = _CORE.search(message)
        if found is None:
            return None
        # operand 1's first axis has s1 where operand 0's last has s0: a (s1, s0) parameter, either operand,
        # would fit transposed
        s1, s0 = int(found.group(1)), int(found.group(2))
        operands = [(s1, s0)]
    names = {name for operand in operands for name, shape in expected.items()
             if name != "x" and shape == operand and shape != shape[::-1]}
    if len(names) != 1:
        return None
    (name,) = names
    shape = expected[name]
    return ("transposed", f"backward multiplied an array of shape {shape}, {name}'s shape, where the product needs "
                          f"its transpose {shape[::-1]}: it uses {name} where {name}.T belongs (e.g. dout @ {name} "
                          f"where dout @ {name}.T belongs)")
