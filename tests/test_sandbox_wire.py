"""The wire: every malformed frame a hostile child can send is a `WireError`, never another exception."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest

from gradlab.grading.sandbox.wire import WireError, decode, encode


def frame(header: object, data: bytes = b"") -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack(">Q", len(raw)) + raw + data


def read(payload: bytes) -> dict:
    stream = io.BytesIO(payload)

    def read_exact(n: int) -> bytes:
        chunk = stream.read(n)
        if len(chunk) < n:
            raise EOFError
        return chunk

    return decode(read_exact, max_bytes=1 << 20)


def array_frame(dtype: object, shape: object) -> bytes:
    return frame({"body": {"out": {"__array__": 0}}, "arrays": [{"dtype": dtype, "shape": shape}]})


MALFORMED = {
    "nesting deeper than the stack": frame(b'{"body": ' + b"[" * 100_000 + b"]" * 100_000 + b', "arrays": []}'),
    "a 5000-digit integer": frame(b'{"body": {"ok": ' + b"9" * 5000 + b'}, "arrays": []}'),
    "a dtype numpy cannot parse": array_frame("f8,(", [1]),
    "a dtype numpy parses with a ValueError": array_frame("M8[xx]", [1]),
    "an object dtype": array_frame("O", [1]),
    "a big-endian dtype": array_frame(">f8", [1]),
    "a zero-size array with an absurd shape": array_frame("<f8", [0] + [2**39] * 31),
    "a negative dimension": array_frame("<f8", [-1]),
    "a boolean as a dimension": array_frame("<f8", [True]),
    "a shape that is not a list": array_frame("<f8", "3"),
    "an array reference out of range": frame({"body": {"out": {"__array__": 7}}, "arrays": []}),
    "a header that is not JSON": frame(b"\xff\xfe not json"),
    "a header without arrays": frame({"body": {}}),
    "a body that is not an object": frame({"body": [1, 2], "arrays": []}),
    "arrays larger than the limit": array_frame("<f8", [1 << 20]),
    "a header larger than the limit": struct.pack(">Q", 1 << 40),
}


@pytest.mark.parametrize("payload", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_frame_is_a_wire_error_and_nothing_else(payload):
    with pytest.raises(WireError):
        read(payload)


def test_a_lone_surrogate_in_a_reply_arrives_as_text_that_can_be_written_as_utf8():
    body = read(frame(b'{"body": {"detail": "bad \\udcff thing", "\\udcfe": 1}, "arrays": []}'))
    assert body["detail"] == "bad ? thing" and "?" in body
    assert json.dumps(body, ensure_ascii=False).encode("utf-8")


def test_arrays_and_json_values_round_trip():
    msg = {"ok": True, "out": np.arange(6.0).reshape(2, 3), "grads": {"W": np.zeros((0, 4), np.float32)},
           "scalar": np.float64(2.5), "names": ["a", "b"]}
    back = read(encode(msg))
    assert np.array_equal(back["out"], msg["out"]) and back["grads"]["W"].shape == (0, 4)
    assert back["scalar"] == 2.5 and back["names"] == ["a", "b"]
