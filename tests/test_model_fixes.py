"""Verified fixes for whole models (issue 19): a Nielsen-style network's slip in backprop, in a method backprop calls or
in the module's sigmoid_prime is found by the layer families, verified by the model's own check, shown as a layer's
fix is and written by `--fix`; a correct network gets no search at all. The networks of tests/realcode18/models_*.py
are written as learners port network.py, one slip each.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

import gradlab.fixes.models
from gradlab.cli.main import main
from gradlab.conventions.imports import load_module
from gradlab.fixes.models import MODEL_BUDGET, find_model_fix
from gradlab.models.check import check_model
from gradlab.models.fix_judge import judge_of
from gradlab.schemas import schema

HERE = Path(__file__).parent / "realcode18"
#: each one-slip network and the line its fix must write (the slip's line, as the correct network has it)
SLIPS = {
    "models_prime_plus.py": "    return s * (1.0 - s)",
    "models_prime_of_activation.py": "            sp = sigmoid_prime(zs[-l])",
}


def _network(path: Path) -> type:
    return load_module(path).Network  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(SLIPS))
def test_a_networks_slip_gets_a_verified_fix_that_writes_the_correct_line(name):
    path = HERE / name
    report = check_model(_network(path), seed=0, source=str(path))
    judge = judge_of(report)
    assert report.verdict == "fail" and judge is not None
    fix = find_model_fix(_network(path), judge)
    assert fix.status == "verified", fix
    assert 0 < fix.tried <= MODEL_BUDGET
    assert len(fix.lines) == 1
    assert fix.new_text.splitlines()[fix.lines[0] - 1] == SLIPS[name]
    assert "its forward is unchanged" in fix.explanation


def test_the_fix_applied_by_check_fix_makes_the_network_pass_on_new_cases(tmp_path):
    path = tmp_path / "network.py"
    shutil.copy(HERE / "models_prime_of_activation.py", path)
    assert main(["check", str(path), "--only", "Network", "--fix"]) == 1  # it failed as checked
    assert SLIPS["models_prime_of_activation.py"] in path.read_text().splitlines()
    fixed = check_model(load_module(path).Network, examples=3, seed=7, source=str(path))
    assert fixed.verdict == "pass"


def test_the_check_prints_the_verified_diff_under_a_failing_network_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "network.py"
    shutil.copy(HERE / "models_prime_of_activation.py", path)
    before = path.read_text()
    main(["check", str(path), "--only", "Network"])
    out = capsys.readouterr().out
    assert "suggested fix (use zs where acts is; verified: with it, every gradient of Network passes" in out
    assert "-            sp = sigmoid_prime(acts[-l])\n" in out and "+            sp = sigmoid_prime(zs[-l])\n" in out
    assert "--only Network --fix" in out
    assert path.read_text() == before


def test_the_json_entry_of_a_failing_network_carries_its_fix_and_validates(tmp_path):
    path = tmp_path / "network.py"
    shutil.copy(HERE / "models_prime_plus.py", path)
    out = tmp_path / "out.json"
    main(["check", str(path), "--json", str(out)])
    document = json.loads(out.read_text())
    jsonschema.Draft202012Validator(schema(document["schema"])).validate(document)
    fix = next(e for e in document["layers"] if e["kind"] == "model")["fix"]
    assert fix["status"] == "verified" and fix["lines"] == [12]
    assert fix["file"].endswith("network.py") and "+    return s * (1.0 - s)" in fix["diff"]


def test_no_fix_search_says_not_searched_for_a_failing_network(tmp_path):
    out = tmp_path / "out.json"
    main(["check", str(HERE / "models_prime_plus.py"), "--only", "Network", "--no-fix-search", "--json", str(out)])
    entry = json.loads(out.read_text())["layers"][0]
    assert entry["kind"] == "model" and entry["fix"] == {"status": "not-searched"}


def test_a_correct_network_gets_no_fix_search_at_all(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("a passing model was searched for a fix")

    monkeypatch.setattr(gradlab.fixes.models, "find_model_fix", never)
    out = tmp_path / "out.json"
    assert main(["check", str(HERE / "models_correct_network.py"), "--json", str(out)]) == 0
    entry = next(e for e in json.loads(out.read_text())["layers"] if e["kind"] == "model")
    assert entry["verdict"] == "pass" and entry["fix"] is None


def test_the_search_leaves_out_the_methods_the_check_never_runs():
    from gradlab.fixes.models import model_site

    path = HERE / "models_prime_plus.py"
    judge = judge_of(check_model(_network(path), seed=0, source=str(path)))
    assert judge is not None
    site = model_site(_network(path), judge)
    assert site is not None
    roles = {s.node.name: s.role for s in site.scopes}
    assert roles["backprop"] == roles["cost_derivative"] == "backward"
    assert roles["feedforward"] == "forward" and roles["sigmoid_prime"] == "helper"
    assert "train_step" not in roles


def test_an_edit_of_a_shared_helper_that_breaks_the_passing_base_network_is_refused(monkeypatch):
    from gradlab.fixes.rebuild import Edit

    path = HERE / "models_subclass_slip.py"
    module = load_module(path)
    judge = judge_of(check_model(module.CompactNetwork, seed=0, source=str(path)))
    assert judge is not None
    lines = path.read_text().splitlines()
    helper = lines.index("    return s * (1.0 - s)") + 1
    # sigmoid_prime of the activation, a * (1 - a), fits both of the subclass's calls and breaks the base's
    bend = Edit((helper, 0), (helper, len(lines[helper - 1])), "    return z * (1.0 - z)", "bend the helper", "call")
    monkeypatch.setattr(gradlab.fixes.models, "ranked", lambda site, report, judge: [(bend,)])
    fix = find_model_fix(module.CompactNetwork, judge)
    assert fix.status == "none-found" and fix.tried == 1
    assert check_model(module.Network, seed=0).verdict == "pass"


def test_a_network_in_a_notebook_has_its_fix_said_of_the_cell_and_written_into_it(tmp_path, capsys):
    source = (HERE / "models_prime_of_activation.py").read_text()
    helpers, network = source.split("\n\n\nclass Network")
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": text.splitlines(keepends=True)} for text in (helpers, "class Network" + network)]
    notebook = tmp_path / "week3.ipynb"
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    notebook.write_text(json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    main(["check", str(notebook), "--only", "Network", "--fix"])
    assert "fixed week3.ipynb (code cell 2): line 37 (Network)" in capsys.readouterr().out
    cell = "".join(json.loads(notebook.read_text())["cells"][1]["source"])
    assert SLIPS["models_prime_of_activation.py"] in cell.splitlines()
