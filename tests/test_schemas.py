"""Every JSON document gradlab writes names its schema and validates against it; the schemas are strict enough to fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from gradlab.cli.main import main
from gradlab.core.bugs import BUG_CODES
from gradlab.schemas import FILES, schema

NEWUSER = Path(__file__).parent / "newuser"


def _validate(document: dict) -> None:
    jsonschema.Draft202012Validator(schema(document["schema"])).validate(document)


@pytest.fixture(scope="module")
def check_document(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("check") / "out.json"
    main(["check", str(NEWUSER / "buggy_classes_1.py"), str(NEWUSER / "textbook_correct.py"), "--json", str(out),
          "--examples", "5"])
    return json.loads(out.read_text())


@pytest.mark.parametrize("schema_id", sorted(FILES))
def test_each_shipped_schema_is_a_valid_json_schema_with_its_own_id(schema_id):
    s = schema(schema_id)
    jsonschema.Draft202012Validator.check_schema(s)
    assert s["$id"] == schema_id
    assert s["properties"]["schema"] == {"const": schema_id}


def test_an_unknown_schema_id_is_refused_with_the_known_ones():
    with pytest.raises(KeyError, match="gradlab-check/1"):
        schema("gradlab-check/0")


def test_the_bug_codes_in_the_schema_are_the_diagnosis_vocabulary():
    assert tuple(schema("gradlab-check/1")["$defs"]["bug_code"]["enum"]) == BUG_CODES


def test_gradlab_check_json_names_its_schema_and_validates(check_document):
    assert check_document["schema"] == "gradlab-check/1"
    _validate(check_document)
    verdicts = {layer["verdict"] for layer in check_document["layers"]}
    assert "fail" in verdicts and "pass" in verdicts  # both kinds of entry were validated


def test_every_gradient_entry_carries_its_own_verdict(check_document):
    for layer in check_document["layers"]:
        for gradient in layer["gradients"].values():
            assert gradient["verdict"] == ("pass" if gradient["passed"] else "fail")


@pytest.mark.parametrize("breakage", [
    pytest.param(lambda d: d.pop("seed"), id="missing-seed"),
    pytest.param(lambda d: d.pop("notes"), id="missing-notes"),
    pytest.param(lambda d: d.update(notes="no layers"), id="notes-not-a-list"),
    pytest.param(lambda d: d["layers"][0].update(bug_codes=["off-by-one"]), id="unknown-bug-code"),
    pytest.param(lambda d: d["layers"][0].update(verdict="maybe"), id="unknown-verdict"),
    pytest.param(lambda d: d.update(schema="gradlab-check/2"), id="other-version"),
    pytest.param(lambda d: next(iter(d["layers"][0]["gradients"].values())).pop("passed"), id="gradient-without-passed"),
])
def test_a_document_that_breaks_the_contract_does_not_validate(check_document, breakage):
    broken = copy.deepcopy(check_document)
    breakage(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema("gradlab-check/1")).validate(broken)


def test_gradlab_batch_json_names_its_schema_and_validates(tmp_path):
    out = tmp_path / "batch.json"
    main(["batch", str(NEWUSER / "textbook_correct.py"), "--json", str(out)])
    document = json.loads(out.read_text())
    assert document["schema"] == "gradlab-batch/1"
    _validate(document)
    assert document["layers"]


def test_the_tracked_registry_report_validates_against_its_schema():
    document = json.loads((Path(__file__).parent.parent / "reports" / "registry.json").read_text())
    assert document["schema"] == "gradlab-registry/1"
    _validate(document)


def test_the_registry_schema_describes_layers_exactly_as_the_check_schema_does():
    check, registry = schema("gradlab-check/1")["$defs"], schema("gradlab-registry/1")["$defs"]
    assert {k: registry[k] for k in check} == check
