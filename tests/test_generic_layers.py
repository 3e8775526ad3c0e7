"""Pairs of no kind gradlab knows, in a user's file: checked as generic functions when their shapes are known."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from gradlab.cli.main import main
from gradlab.conventions.source_reading import kind_comments
from gradlab.functions.generic_layers import generic_comments, shapes_of
from gradlab.schemas import schema

OPS = Path(__file__).parent / "generic" / "generic_ops.py"


def test_a_generic_comment_gives_each_argument_its_symbolic_shape_and_names_no_kind():
    source = "# gradlab: kind=generic, x=(N, D), W=(D, M), b=(M,)\ndef f_forward(x, W, b):\n    pass\n"
    assert generic_comments(source) == {"f_forward": {"x": ("N", "D"), "W": ("D", "M"), "b": ("M",)}}
    assert kind_comments(source) == {}  # not a kind: no error, and discovery leaves it to gradlab.functions


def test_symbolic_sizes_are_drawn_distinct_and_the_same_symbol_gets_the_same_size():
    shapes = shapes_of({"x": ("N", "D"), "W": ("D", "M"), "b": ("M",), "k": ("3",)}, seed=0, case=1)
    (N, D), (D2, M), (M2,) = shapes["x"], shapes["W"], shapes["b"]
    assert D == D2 and M == M2 and len({N, D, M}) == 3 and N >= 2 and shapes["k"] == (3,)
    assert shapes_of({"x": ("N", "D")}, seed=0, case=1) == shapes_of({"x": ("N", "D")}, seed=0, case=1)


def test_gradlab_check_checks_unknown_pairs_whose_shapes_it_knows_and_says_how_to_give_the_others(tmp_path, capsys):
    out = tmp_path / "check.json"
    assert main(["check", str(OPS), "--json", str(out)]) == 1
    text = capsys.readouterr().out
    assert "FAIL tanh_gate (generic function, generic_ops.py) [dropped-term]" in text  # one argument: x is (N, D)
    assert "PASS scaled_affine (generic function, generic_ops.py): x, W, b right" in text  # from its comment
    assert "SKIP bilinear: bilinear_forward takes x, y, W: say the shape of each in a comment above it, " \
           "# gradlab: kind=generic, x=(...), y=(...), W=(...)" in text
    document = json.loads(out.read_text())
    jsonschema.Draft202012Validator(schema("gradlab-check/1")).validate(document)
    entries = {e["name"]: e for e in document["layers"]}
    assert entries["tanh_gate"]["kind"] == "generic" and entries["tanh_gate"]["gradients"]["x"]["bug_code"] == "dropped-term"
    assert [s["name"] for s in document["skipped"]] == ["bilinear"]
