"""`gradlab report PATH...`: the registry report's kind of report (Markdown, JSON, HTML with heat maps and
step-size curves) on the user's own layers, written by the same writer, and the registry report as it was."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import textwrap

import jsonschema
import pytest

from gradlab.cli.main import main
from gradlab.reporting import plots
from gradlab.reporting.report import write_registry_report
from gradlab.schemas import schema

LAYERS = """
    import numpy as np

    class Relu:
        def forward(self, x):
            self.mask = x <= 0
            out = x.copy()
            out[self.mask] = 0
            return out

        def backward(self, dout):
            dx = dout.copy()
            dx[self.mask] = 0
            return dx

    class Sigmoid:
        def forward(self, x):
            self.out = 1 / (1 + np.exp(-x))
            return self.out

        def backward(self, dout):
            return -dout * self.out * (1.0 - self.out)  # the sign is wrong
"""
BROKEN = """
    import numpy as np
    import gradlab_no_such_module_for_this_test

    class Tanh:
        pass
"""


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    return status, out.getvalue()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`gradlab report layers.py broken.py --out OUT` run once: its exit status, stdout and the three documents."""
    work = tmp_path_factory.mktemp("user")
    (work / "layers.py").write_text(textwrap.dedent(LAYERS))
    (work / "broken.py").write_text(textwrap.dedent(BROKEN))
    out = work / "out"
    status, stdout = _run(["report", str(work / "layers.py"), str(work / "broken.py"), "--out", str(out),
                           "--examples", "10", "--no-progress"])
    return {"status": status, "stdout": stdout, "out": out, "md": (out / "report.md").read_text(encoding="utf-8"),
            "html": (out / "report.html").read_text(encoding="utf-8"),
            "json": json.loads((out / "report.json").read_text(encoding="utf-8"))}


def test_a_file_with_a_correct_and_a_buggy_layer_gives_a_report_naming_both_with_their_verdicts(report):
    rows = {line.split(" | ")[0].strip("| "): line for line in report["md"].splitlines() if line.startswith("| ")}
    assert " | pass | " in rows["Relu"]
    assert " | fail | sign-flip | " in rows["Sigmoid"]
    assert "<td>Relu</td>" in report["html"] and "<td>Sigmoid</td>" in report["html"]
    verdicts = {layer["name"]: (layer["verdict"], layer["bug_codes"]) for layer in report["json"]["layers"]}
    assert verdicts == {"Relu": ("pass", []), "Sigmoid": ("fail", ["sign-flip"])}


def test_the_summary_counts_passes_warnings_and_failures_with_their_codes_not_buggy_variants_caught(report):
    sentence = "2 layers checked: 1 passed, 0 warned, 1 failed (Sigmoid: sign-flip); 1 file could not be imported"
    assert report["json"]["summary_sentence"] == sentence
    assert f"**{sentence}.**" in report["md"]
    assert sentence in report["stdout"]
    for document in (report["md"], report["html"], report["stdout"]):
        assert "buggy variants" not in document and "caught" not in document


def test_the_failing_gradient_s_heat_map_is_a_png_referenced_from_the_html_and_the_passing_layer_has_none(report):
    pytest.importorskip("matplotlib")
    heat = report["out"] / "figures" / "heat_Sigmoid_dx.png"
    assert heat.read_bytes().startswith(plots.PNG_SIGNATURE)
    assert 'src="figures/heat_Sigmoid_dx.png"' in report["html"]
    assert "(figures/heat_Sigmoid_dx.png)" in report["md"]
    assert sorted(p.name for p in (report["out"] / "figures").glob("heat_*.png")) == ["heat_Sigmoid_dx.png"]


def test_a_failing_layer_gets_its_error_against_step_size_flat_above_the_tolerance(report):
    (curve,) = [p for p in report["json"]["pictures"] if p["picture"] == "step_curve"]
    assert (curve["layer"], curve["gradient"], curve["path"]) == ("Sigmoid", "dx", "figures/steps_Sigmoid_dx.png")
    assert 'src="figures/steps_Sigmoid_dx.png"' in report["html"]
    from gradlab.cases.check_many import check_paths
    from gradlab.reporting.step_size import failing_gradient_errors

    work = report["out"].parent
    outcome = check_paths([work / "layers.py"], examples=10, only=["Sigmoid"])
    hs, errors = failing_gradient_errors(outcome.entries[0], dict(outcome.reports[0].failing.spec), "dx")
    assert len(hs) == len(errors) == 13
    assert min(errors) > 0.5  # a sign flip is wrong by the whole gradient at every step, not by the step's noise


def test_the_report_json_names_its_own_schema_and_validates_against_it(report):
    document = report["json"]
    assert next(iter(document.items())) == ("schema", "gradlab-report/1")
    validator = jsonschema.Draft202012Validator(schema("gradlab-report/1"))
    validator.validate(document)
    broken = copy.deepcopy(document)
    broken["pictures"][0]["path"] = "/elsewhere/heat.png"  # the schema is strict enough to fail
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_the_report_schema_describes_layers_exactly_as_the_check_schema_does():
    report_defs, check_defs = schema("gradlab-report/1")["$defs"], schema("gradlab-check/1")["$defs"]
    assert {k: v for k, v in report_defs.items() if k in check_defs} == check_defs, (
        "copy gradlab/schemas/check.schema.json's $defs into report.schema.json")


def test_a_file_that_does_not_import_is_listed_in_the_report_and_the_exit_status_is_1(report):
    assert report["status"] == 1
    section = report["md"].split("## Files that could not be imported", 1)[1].split("## ", 1)[0]
    assert "broken.py" in section and "gradlab_no_such_module_for_this_test" in section
    listed = report["html"].split("<h2>Files that could not be imported</h2><ul>", 1)[1].split("</ul>", 1)[0]
    assert "broken.py" in listed
    assert [e for e in report["json"]["errors"] if "broken.py" in e]


def test_correct_layers_alone_exit_0_and_the_report_goes_to_gradlab_report_in_the_current_folder(tmp_path,
                                                                                                monkeypatch):
    (tmp_path / "layers.py").write_text(textwrap.dedent(LAYERS))
    monkeypatch.chdir(tmp_path)
    status, stdout = _run(["report", "layers.py", "--only", "relu", "--examples", "5", "--no-progress"])
    assert status == 0, stdout
    assert (tmp_path / "gradlab-report" / "report.md").exists()
    assert not (tmp_path / "reports").exists()
    assert "No gradient failed" in (tmp_path / "gradlab-report" / "report.md").read_text(encoding="utf-8")


def test_a_user_report_refuses_a_folder_that_holds_the_registry_report(tmp_path):
    (tmp_path / "layers.py").write_text(textwrap.dedent(LAYERS))
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "registry.json").write_text("{}")
    status, _ = _run(["report", str(tmp_path / "layers.py"), "--out", str(tmp_path / "reports")])
    assert status == 2
    assert not (tmp_path / "reports" / "report.md").exists()


@pytest.mark.parametrize("flag", [["--only", "Affine"], ["--mode", "fast"], ["--layout", "columns"]])
def test_options_that_choose_or_check_the_user_s_layers_are_refused_without_a_path(flag, tmp_path):
    assert _run(["report", "--out", str(tmp_path), *flag])[0] == 2
    assert not list(tmp_path.iterdir())


def test_without_a_path_gradlab_report_writes_the_registry_report_into_reports_as_before(tmp_path, monkeypatch):
    """The command's default folder and bytes; the bytes of the tracked report are tests/test_reports_policy.py's."""
    from gradlab.cases import check_many

    real = check_many.check_registry
    few = ["Affine", "AffineDividesByBatch", "SoftmaxWithLossNoMeanInBackward"]
    monkeypatch.setattr(check_many, "check_registry", lambda **kw: real(**kw, only=few))
    monkeypatch.setattr(plots, "available", lambda: False)
    monkeypatch.chdir(tmp_path)
    status, stdout = _run(["report", "--examples", "5", "--no-progress"])
    assert status == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    expected = write_registry_report(real(examples=5, seed=0, only=few).reports, tmp_path / "expected")
    for name, path in expected.items():
        assert (tmp_path / "reports" / path.name).read_bytes() == path.read_bytes(), name
    markdown = (tmp_path / "reports" / "registry.md").read_text(encoding="utf-8")
    assert "1/1 correct layers pass; 2/2 buggy variants caught" in markdown and "## MNIST" in markdown
    assert "buggy variants caught" in stdout
