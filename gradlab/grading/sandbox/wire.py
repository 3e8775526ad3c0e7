"""The wire between the grader and a sandboxed child: length-prefixed JSON plus raw array bytes.

A message is an 8-byte big-endian length, a JSON header of that length, then the bytes of every
array the header lists. Arrays are replaced in the JSON by `{"__array__": i}`. Nothing is ever
unpickled: a reply from student-controlled code can describe only JSON values and plain numeric
arrays, and `decode` checks every size, dtype and shape before it allocates anything.
Non-goal: deciding whether a reply makes sense for the request (that is `gradlab.grading.sandbox.process`).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

#: numeric dtype kinds that may cross the wire (bool, signed, unsigned, float)
ALLOWED_KINDS = "biuf"
MAX_HEADER = 1 << 20
MAX_NDIM = 32
_LEN = struct.Struct(">Q")


class WireError(Exception):
    """A message that is not well formed: wrong framing, bad JSON, a forbidden dtype, too large."""


def _strip(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in ALLOWED_KINDS:
            raise WireError(f"an array of dtype {value.dtype} cannot be sent; use a numeric dtype")
        # not np.ascontiguousarray: it turns a 0-d array into a 1-d one
        arrays.append(value if value.flags.c_contiguous else value.copy(order="C"))
        return {"__array__": len(arrays) - 1}
    if isinstance(value, dict):
        return {str(k): _strip(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strip(v, arrays) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def encode(message: dict[str, Any]) -> bytes:
    """The bytes of `message`; numpy arrays anywhere inside travel as raw little-endian data."""
    arrays: list[np.ndarray] = []
    body = _strip(message, arrays)
    meta = []
    for a in arrays:
        a_le = a.astype(a.dtype.newbyteorder("<"), copy=False) if a.dtype.byteorder == ">" else a
        meta.append({"dtype": a_le.dtype.str, "shape": list(a_le.shape)})
    header = json.dumps({"body": body, "arrays": meta}, allow_nan=True).encode()
    chunks = [_LEN.pack(len(header)), header]
    chunks += [a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes() for a in arrays]
    return b"".join(chunks)


def _dtype(text: Any) -> np.dtype:
    if not isinstance(text, str) or len(text) > 8:
        raise WireError(f"bad dtype {str(text)[:40]!r}")
    try:
        dt = np.dtype(text)
    except Exception:  # numpy raises TypeError, ValueError or SyntaxError depending on the string
        raise WireError(f"bad dtype {text!r}") from None
    if dt.kind not in ALLOWED_KINDS or dt.hasobject or dt.byteorder == ">":
        raise WireError(f"dtype {text!r} is not a plain numeric dtype")
    return dt


def _shape(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > MAX_NDIM or \
            not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**40 for d in value):
        raise WireError(f"bad shape {value!r}")
    return tuple(value)


def _restore(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, str):
        # JSON may spell a lone surrogate ("\\udcff"); text that cannot be written as UTF-8 would break
        # every report it reaches, so it is replaced here, once
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            i = value["__array__"]
            if not isinstance(i, int) or not 0 <= i < len(arrays):
                raise WireError(f"array reference {i!r} out of range")
            return arrays[i]
        return {_restore(k, arrays): _restore(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, arrays) for v in value]
    return value


def decode(read_exact: Callable[[int], bytes], *, max_bytes: int) -> dict[str, Any]:
    """Read one message with `read_exact(n)`; refuse anything malformed or over `max_bytes` of arrays.

    Every way a frame can be malformed (nesting deep enough to exhaust the stack, a 5000-digit
    integer, a dtype numpy cannot parse, a shape it cannot allocate) is a `WireError`: a finding
    against the sender, never an exception of another type in the reader."""
    try:
        return _decode(read_exact, max_bytes)
    except WireError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError, MemoryError, struct.error) as exc:
        raise WireError(f"malformed message ({type(exc).__name__}: {str(exc)[:200]})") from None


def _decode(read_exact: Callable[[int], bytes], max_bytes: int) -> dict[str, Any]:
    (size,) = _LEN.unpack(read_exact(_LEN.size))
    if size > MAX_HEADER:
        raise WireError(f"header of {size} bytes (the limit is {MAX_HEADER})")
    try:
        header = json.loads(read_exact(size))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"header is not JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(header.get("arrays"), list) or "body" not in header:
        raise WireError("header lacks 'body' and 'arrays'")
    plan = []
    total = 0
    for meta in header["arrays"]:
        if not isinstance(meta, dict):
            raise WireError("bad array description")
        dt, shape = _dtype(meta.get("dtype")), _shape(meta.get("shape"))
        nbytes = int(np.prod(shape, dtype=object)) * dt.itemsize
        total += nbytes
        if total > max_bytes:
            raise WireError(f"a reply of more than {max_bytes} bytes of arrays")
        plan.append((dt, shape, nbytes))
    # a zero-size array's other dimensions are still bounded: numpy refuses a shape whose product
    # of non-zero sizes overflows, and that refusal is a malformed frame
    arrays = [np.frombuffer(read_exact(n), dtype=dt).reshape(shape).copy() if n else np.zeros(shape, dt)
              for dt, shape, n in plan]
    body = _restore(header["body"], arrays)
    if not isinstance(body, dict):
        raise WireError("message body is not an object")
    return body
