"""Whole models as public repositories publish them, beyond the course's own files: a network handed its cost
object (Net(layers, cost), the cost defined in the project's own package), a constructor argument gradlab
cannot guess, and a model file that does not import in a folder. The fixtures in tests/realmodels/ are our own,
written in those repositories' conventions."""

from __future__ import annotations

import json
from pathlib import Path

from gradlab.cli.main import main
from gradlab.models.discover import check_model_files

REAL = Path(__file__).parent / "realmodels"


def checked(capsys, tmp_path, folder: Path) -> tuple[int, str, dict]:
    out = tmp_path / "check.json"
    status = main(["check", str(folder), "--no-fix-search", "--json", str(out)])
    return status, capsys.readouterr().out, json.loads(out.read_text())


def test_a_network_handed_its_cost_is_checked_with_each_cost_its_package_defines(capsys, tmp_path):
    status, said, doc = checked(capsys, tmp_path, REAL / "required_cost" / "net")
    verdicts = {e["name"]: e["verdict"] for e in doc["layers"] if e.get("kind") == "model"}
    # the abstract base (its methods raise NotImplementedError) is not a cost; the two concrete ones are
    assert verdicts == {"Net(cost=SquaredError())": "pass", "Net(cost=LogLoss())": "pass",
                        "NetOutputErrorSquaredOnly(cost=SquaredError())": "pass",
                        "NetOutputErrorSquaredOnly(cost=LogLoss())": "fail"}, said
    assert status == 1 and "checked on NetOutputErrorSquaredOnly(layers=[" in said and "cost=LogLoss())" in said


def test_a_model_gradlab_cannot_build_is_not_checked_with_why_not_failed(capsys, tmp_path):
    status, said, doc = checked(capsys, tmp_path, REAL / "required_cost" / "unknown_argument.py")
    assert "FAIL" not in said and not doc["layers"]
    assert "SKIP ConfiguredNet: ConfiguredNet(config=?): gradlab does not know what to give 'config'" in said
    assert "not checked" in said and status == 1  # nothing was checked


def test_a_network_whose_module_offers_no_cost_is_not_checked_with_what_to_do(tmp_path, capsys):
    f = tmp_path / "net.py"
    f.write_text((REAL / "required_cost" / "net" / "__init__.py").read_text()
                 .replace("from losses.base import Cost\n", "Cost = object\n"))
    status, said, doc = checked(capsys, tmp_path, f)
    assert "FAIL" not in said and "SKIP Net: Net(cost=?) takes a cost object" in said
    assert "give 'cost' a default" in said


def test_a_model_file_that_does_not_import_in_a_folder_is_a_file_error_with_its_reason(capsys, tmp_path):
    status, said, doc = checked(capsys, tmp_path, REAL / "broken_import")
    assert status == 1 and "imports 'missing_helpers' (line 4)" in said and "1 file error(s)" in said
    assert "not imported" not in said  # was: passed over as a file that defines no layer


def test_a_model_run_at_its_own_sizes_is_checked_once_by_projection_and_a_wrong_gradient_still_named():
    # every case would be built at the same (large) sizes: one case, each parameter projected first; the
    # textbook's DeepConvNet (28x28 images) took 8 minutes element by element over three cases, now under one
    right, wrong = check_model_files([REAL / "own_sizes.py"])
    assert right.verdict == "pass" and right.examples == 1 and "input_dim=64" in right.case, right.explain()
    assert all(g.method.startswith("projection") for g in right.gradients.values())
    assert [p for p, g in wrong.gradients.items() if not g.passed] == ["b2"] and wrong.bug_codes == ["scaled"]
    assert wrong.gradients["b2"].method == "elementwise"  # the failing projection is looked at element by element


def test_a_second_volume_model_is_checked_as_a_model_and_its_layers_on_their_own(capsys, tmp_path):
    status, said, doc = checked(capsys, tmp_path, REAL / "second_volume.py")
    verdicts = {e["name"]: e["verdict"] for e in doc["layers"] if e.get("kind") == "model"}
    assert verdicts == {"TinyClassifier": "pass"}, said
    assert "PASS TinyClassifier (second-volume model" in said and "SKIP" not in said
    assert "not a layer name gradlab knows" not in said and "WARN Affine (class style" in said and status == 0
