"""A new user's view of gradlab: layers written independently, as students of two courses would.

`tests/newuser/textbook_correct.py` follows "Deep Learning from Scratch" (common/layers.py),
`tests/newuser/cs231n_correct.py` follows the CS231n assignment solutions. Every
`tests/newuser/buggy_*.py` layer carries exactly one student mistake, announced by a
`# BUG: <code>` comment at the top of its class or function (for function-style layers, on
the function that holds the mistake). The checks go through the public CLI and its JSON
contract only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gradlab.cli.main import main

NEWUSER = Path(__file__).parent / "newuser"
EXAMPLES = "25"

TEXTBOOK_LAYERS = {
    "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "Dropout",
    "BatchNormalization", "Convolution", "Pooling",
}
CS231N_LAYERS = {
    "affine", "relu", "softmax_loss", "svm_loss", "batchnorm", "dropout", "conv", "max_pool",
}
BUGGY_FILES = sorted(NEWUSER.glob("buggy_*.py"))
RIGHT_CODE_BAR = 0.97  # issue 14: held-out one-bug layers are held to 97% intended codes

# The fifth set (issues 14 and 19) was written without reading gradlab's zoo and labelled before gradlab
# ever ran on it, so it is held layer by layer: its misses stay visible as strict xfails, each with the
# cause found in gradlab, rather than averaged into the bar above. Like every file here it is checked without the
# fix search (its fix figures are measured by hand: a search over the set takes a minute of the suite's time).
FIFTH_FILES = sorted(NEWUSER.glob("buggy_fresh_fifth*.py"))
FIFTH_KNOWN_MISSES: dict[tuple[str, str], str] = {}
# known misses that are not even failed (the rest are failed, with another code first)
FIFTH_UNDETECTED: set[tuple[str, str]] = set()

_DEF = re.compile(r"^\s*(?:class|def)\s+(\w+)")
_BUG = re.compile(r"^\s*#\s*BUG:\s*([a-z-]+)")


def layer_name(definition: str) -> str:
    """The name gradlab reports for a class or a `<name>_forward/_backward[_naive]` function."""
    return re.sub(r"_(?:forward|backward)(?:_naive)?$", "", definition)


def expected_bugs(path: Path) -> dict[str, str]:
    """Map each layer name in `path` to the code in the `# BUG:` comment of its class/function."""
    expected: dict[str, str] = {}
    current = None
    for line in path.read_text().splitlines():
        definition = _DEF.match(line)
        if definition:
            current = definition.group(1)
            continue
        bug = _BUG.match(line)
        if bug and current is not None:
            expected[layer_name(current)] = bug.group(1)
    return expected


_cache: dict[Path, dict] = {}


def check(path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run `gradlab check PATH --json FILE --examples 25 --no-fix-search` once per path and return the JSON."""
    if path not in _cache:
        out = tmp_path_factory.mktemp("gradlab") / "report.json"
        # no test here reads a fix: the search over these files was most of this file's time (229 s)
        code = main(["check", str(path), "--json", str(out), "--examples", EXAMPLES, "--no-fix-search"])
        assert code in (0, 1), f"gradlab check {path} exited with {code}"
        _cache[path] = json.loads(out.read_text())
    return _cache[path]


def by_name(report: dict) -> dict[str, dict]:
    return {layer["name"]: layer for layer in report["layers"]}


# --- the parser itself -------------------------------------------------------------------


def test_every_buggy_file_announces_one_bug_per_layer():
    total = 0
    for path in BUGGY_FILES:
        bugs = expected_bugs(path)
        assert bugs, f"{path.name} has no '# BUG:' comment"
        total += len(bugs)
    assert total >= 12


def test_bug_comment_parser_maps_functions_to_layer_names():
    assert layer_name("conv_backward_naive") == "conv"
    assert layer_name("max_pool_backward_naive") == "max_pool"
    assert layer_name("affine_backward") == "affine"
    assert layer_name("softmax_loss") == "softmax_loss"
    assert layer_name("BatchNormalization") == "BatchNormalization"


# --- correct layers ----------------------------------------------------------------------


def test_every_textbook_layer_is_recognised_as_class_style_and_passes(tmp_path_factory):
    report = check(NEWUSER / "textbook_correct.py", tmp_path_factory)
    layers = by_name(report)
    assert set(layers) >= TEXTBOOK_LAYERS
    for name in TEXTBOOK_LAYERS:
        assert layers[name]["convention"] == "class", name
        assert layers[name]["verdict"] in ("pass", "warn"), (name, layers[name]["bug_codes"])
    assert not report["errors"]


def test_every_cs231n_layer_is_recognised_as_function_style_and_passes(tmp_path_factory):
    report = check(NEWUSER / "cs231n_correct.py", tmp_path_factory)
    layers = by_name(report)
    assert set(layers) >= CS231N_LAYERS
    for name in CS231N_LAYERS:
        assert layers[name]["convention"] == "function", name
        assert layers[name]["verdict"] in ("pass", "warn"), (name, layers[name]["bug_codes"])
    assert not report["errors"]


def test_textbook_relu_writing_into_dout_is_only_a_warning(tmp_path_factory):
    relu = by_name(check(NEWUSER / "textbook_correct.py", tmp_path_factory))["Relu"]
    assert relu["verdict"] == "warn"
    assert relu["bug_codes"] == []
    assert any(w["code"] == "mutates-input" for w in relu["warnings"])


def test_relu_mask_taken_from_the_output_is_not_a_bug(tmp_path_factory):
    layers = by_name(check(NEWUSER / "tricky_correct_1.py", tmp_path_factory))
    assert layers["Relu"]["verdict"] == "pass"


def test_affine_with_params_and_grads_dicts_passes(tmp_path_factory):
    layers = by_name(check(NEWUSER / "tricky_correct_1.py", tmp_path_factory))
    assert layers["Affine"]["verdict"] == "pass", layers["Affine"]["bug_codes"]


def test_max_pool_routing_to_every_tied_maximum_is_not_failed(tmp_path_factory):
    layers = by_name(check(NEWUSER / "tricky_correct_1.py", tmp_path_factory))
    assert layers["max_pool"]["verdict"] in ("pass", "warn")


def test_chapter_five_affine_that_only_takes_2d_input_is_not_failed_but_warned(tmp_path_factory):
    layers = by_name(check(NEWUSER / "tricky_correct_2.py", tmp_path_factory))
    assert layers["Affine"]["verdict"] == "warn", layers["Affine"]["bug_codes"]
    assert "2-D input" in layers["Affine"]["warnings"][0]["message"]


# --- buggy layers ------------------------------------------------------------------------


@pytest.mark.parametrize("path", BUGGY_FILES, ids=lambda p: p.name)
def test_every_buggy_layer_is_recognised_and_fails(path, tmp_path_factory):
    layers = by_name(check(path, tmp_path_factory))
    for name in expected_bugs(path):
        if (path.name, name) in FIFTH_UNDETECTED:  # a strict xfail of its own below
            continue
        assert name in layers, f"{path.name}: {name} not recognised"
        assert layers[name]["verdict"] == "fail", (path.name, name, layers[name]["verdict"])
        assert layers[name]["bug_codes"], (path.name, name)


def test_most_buggy_layers_are_given_the_expected_bug_code(tmp_path_factory):
    hits, misses = 0, []
    for path in BUGGY_FILES:
        if path in FIFTH_FILES:  # held layer by layer below
            continue
        layers = by_name(check(path, tmp_path_factory))
        for name, code in expected_bugs(path).items():
            reported = layers.get(name, {}).get("bug_codes", [])
            if code in reported:
                hits += 1
            else:
                misses.append(f"{path.name}:{name} expected {code}, got {reported}")
    total = hits + len(misses)
    assert hits / total >= RIGHT_CODE_BAR, f"{hits}/{total} right codes; misses: " + "; ".join(misses)


def _fifth_set() -> list:
    cases = []
    for path in FIFTH_FILES:
        for name, code in expected_bugs(path).items():
            reason = FIFTH_KNOWN_MISSES.get((path.name, name))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(path, name, code, id=f"{path.stem}:{name}", marks=marks))
    return cases


def test_the_fifth_set_has_its_45_layers_and_every_known_miss_names_one_of_them():
    layers = {(path.name, name) for path in FIFTH_FILES for name in expected_bugs(path)}
    assert len(layers) >= 45
    assert set(FIFTH_KNOWN_MISSES) <= layers


@pytest.mark.parametrize("path, name, code", _fifth_set())
def test_each_fifth_set_layer_is_named_first_with_the_code_it_was_labelled(path, name, code, tmp_path_factory):
    layer = by_name(check(path, tmp_path_factory))[name]
    assert layer["verdict"] == "fail"
    assert layer["bug_codes"][:1] == [code], (name, layer["bug_codes"])


def test_tricky_but_correct_fifth_set_layers_all_pass(tmp_path_factory):
    report = check(NEWUSER / "correct_fresh_fifth.py", tmp_path_factory)
    layers = by_name(report)
    assert set(layers) == {
        "sigmoid", "LeakyRelu", "softmax_loss", "batchnorm", "max_pool", "svm_loss_vectorized", "Dense",
        "Dropout", "avg_pool", "Affine", "Tanh", "linear",
    }
    failed = {name: layer["bug_codes"] for name, layer in layers.items() if layer["verdict"] not in ("pass", "warn")}
    assert not failed
    assert not report["errors"]


# --- bad input ---------------------------------------------------------------------------


def test_a_file_with_a_syntax_error_is_a_file_error_naming_the_line(tmp_path_factory):
    report = check(NEWUSER / "bad" / "syntax_error.py", tmp_path_factory)
    assert report["layers"] == []
    assert any("syntax_error.py:3" in e for e in report["errors"])


def test_a_file_importing_a_missing_package_is_a_file_error_naming_the_package(tmp_path_factory):
    report = check(NEWUSER / "bad" / "missing_import.py", tmp_path_factory)
    assert report["layers"] == []
    assert any("torchy_not_installed" in e for e in report["errors"])


def test_a_layer_returning_a_list_is_reported_as_crashed(tmp_path_factory):
    layers = by_name(check(NEWUSER / "bad" / "returns_list.py", tmp_path_factory))
    assert layers["Relu"]["bug_codes"] == ["crashed"]
    assert layers["sigmoid"]["bug_codes"] == ["crashed"]


def test_an_affine_built_from_sizes_is_checked_with_gradlabs_own_arrays(tmp_path_factory):
    # Affine(input_size, output_size) draws its own W and b; gradlab builds it with the case's sizes,
    # then puts its own arrays in their place: a correct layer passes (2-D input only: a warning)
    report = check(NEWUSER / "bad" / "odd_signature.py", tmp_path_factory)
    assert by_name(report)["Affine"]["verdict"] == "warn"
    assert by_name(report)["Affine"]["bug_codes"] == []


def test_a_folder_is_checked_file_by_file_with_errors_kept_apart(tmp_path_factory):
    report = check(NEWUSER / "bad", tmp_path_factory)
    assert len(report["errors"]) == 2
    assert {layer["name"] for layer in report["layers"]} >= {"Relu", "sigmoid", "Affine"}


def test_a_missing_path_is_a_usage_error_not_a_traceback(tmp_path, capsys):
    code = main(["check", str(NEWUSER / "no_such_file.py"), "--json", str(tmp_path / "r.json")])
    assert code == 2
    assert "no such file" in capsys.readouterr().err
