"""The reports/ policy (DECISIONS.md, "`reports/` and generated files"): what git tracks under reports/ is
reproducible and timing-free (the registry report and its figures, from a fixed seed), everything else
written there is ignored, and no command dirties a clean clone.

The thorough run's registry reports are its zoo reports (conftest's `zoo_reports`, which test_zoo and
test_codes_explained read too at the report's 50 cases: the zoo is checked once per run), and it regenerates the
whole report byte for byte; the clean-clone test runs `gradlab report` once more, in a clone of HEAD. The default
run compares the zoo's sample (tests/zoo_sample.py: the entries its zoo tests check) with the tracked report's
entries (`sampled`). Both write the caught variants' fixes, read back by key from the tracked
registry.json they write over (`gradlab.fixes.registry.written_fixes`), else from the user's fix cache; only
a variant, check or search changed since the report was last regenerated is searched again (minutes for
the whole zoo, and the byte-for-byte test then says to regenerate the report).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import zoo_sample

from gradlab.cli.main import build_parser
from gradlab.conventions.registry import load_reference
from gradlab.fixes.registry import fix_keys, fixes_for, written_fixes
from gradlab.reporting import plots
from gradlab.reporting.report import heatmaps, machine_stable, registry_figures, row, write_registry_report
from gradlab.reporting.training_report import write_training_report

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
DOCUMENTS = ("registry.md", "registry.json", "registry.html")
#: what commands write under reports/ that holds timings or machine details: never tracked
UNTRACKED = ("bench.json", "bench.md", "training.json", "training.md", "mnist_weights.npz",
             "figures/bench_scaling.png", "figures/training.png")

#: past the suite's 300 s: with a cold fix cache, the first report written here searches the zoo's fixes again
pytestmark = pytest.mark.timeout(1800)
needs_git = pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                               reason="needs git and a git checkout")


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def _tracked_figures() -> set[str]:
    """Tracked files under reports/figures/, as the report names them ("figures/....png")."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        return {p.removeprefix("reports/") for p in _git("ls-files", "reports/figures").split()}
    return {f"figures/{p.name}" for p in (REPORTS / "figures").glob("*.png")}


def _referenced_figures(folder: Path) -> set[str]:
    text = "".join((folder / name).read_text(encoding="utf-8") for name in ("registry.md", "registry.html"))
    return set(re.findall(r"figures/[\w.-]+\.png", text))


@pytest.fixture(scope="module")
def registry(zoo_reports):
    """The registry checked now with `gradlab report`'s own defaults (seed, examples): what
    `check_registry(examples=..., seed=...).reports` returns, each entry's report read from the run's shared zoo
    reports (conftest: test_zoo checks the zoo with the same cases) or checked here."""
    args = build_parser().parse_args(["report"])
    return zoo_reports.of_all(list(load_reference().values()), examples=args.examples, seed=args.seed)


@pytest.fixture(scope="module")
def sampled(zoo_reports):
    """The zoo's sample (tests/zoo_sample.py: test_zoo's in the default run) checked with `gradlab report`'s
    defaults, each with the fix the report would show: read back by key from the tracked registry.json, as
    `gradlab report` reads it."""
    args = build_parser().parse_args(["report"])
    entries = zoo_sample.sample(load_reference().values())
    reports = zoo_reports.of_all(entries, examples=args.examples, seed=args.seed)
    known = written_fixes(REPORTS / "registry.json")
    if any(key not in known for key in fix_keys(reports).values()):
        # a fix the tracked report does not show: the comparison fails on its key, and searching the sample's
        # fixes would take minutes to change nothing (after a change to the fix search: every key)
        return reports
    found = fixes_for(reports, known=known)
    return [replace(r, fix=found[r.name]) if r.name in found else r for r in reports]


def _as_written(value: Any) -> Any:
    """`value` as registry.json holds it: machine-stable numbers, through JSON."""
    return json.loads(json.dumps(machine_stable(value)))


def test_the_tracked_registry_json_holds_what_gradlab_report_finds_now_for_a_sample_of_the_registry(sampled):
    tracked = json.loads((REPORTS / "registry.json").read_text(encoding="utf-8"))
    rows = {r["layer"]: r for r in tracked["rows"]}
    layers = {layer["name"]: layer for layer in tracked["layers"]}
    keys, tracked_keys = fix_keys(sampled), tracked.get("fix_keys", {})
    stale = [r.name for r in sampled if _as_written(row(r)) != rows.get(r.name)
             or _as_written(r.to_dict()) != layers.get(r.name) or keys.get(r.name) != tracked_keys.get(r.name)]
    assert len(sampled) >= len(load_reference()) // zoo_sample.EVERY
    assert stale == [], (f"reports/registry.json is stale for {stale}: regenerate it with `gradlab report` and "
                         "commit it")


def test_the_tracked_heat_maps_of_a_sample_of_the_registry_carry_the_digest_of_its_data_now(sampled):
    figures = [figure for figs in heatmaps(sampled).values() for _, figure in figs]
    assert figures, "the sample holds no failing gradient to draw: it cannot stand for the registry"
    for figure in figures:
        assert plots.stored_digest(REPORTS / figure.name) == figure.digest, (
            f"reports/{figure.name} does not show the data at hand: run `gradlab report` and commit it")


@pytest.fixture(scope="module")
def written_without_matplotlib(registry, tmp_path_factory):
    """The registry report written afresh into a tmp folder, as on a machine without matplotlib."""
    out = tmp_path_factory.mktemp("reports")
    # written over the tracked report, as `gradlab report` writes it: the fixes it shows are read back by key
    shutil.copy(REPORTS / "registry.json", out / "registry.json")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "available", lambda: False)
        write_registry_report(registry, out)
    return out


@pytest.mark.thorough  # the whole registry at 50 cases; the default run compares `sampled` with registry.json
@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_tracked_registry_report_is_byte_for_byte_what_gradlab_report_writes_now(written_without_matplotlib,
                                                                                   name):
    fresh = (written_without_matplotlib / name).read_bytes()
    assert fresh == (REPORTS / name).read_bytes(), (
        f"reports/{name} is stale or depends on the run: regenerate it with `gradlab report` and commit it")


@pytest.mark.thorough  # the whole registry at 50 cases
def test_the_registry_report_names_exactly_the_tracked_figures(registry, written_without_matplotlib):
    step, heatmaps = registry_figures(registry)
    planned = {step.name} | {figure.name for figs in heatmaps.values() for _, figure in figs}
    assert _referenced_figures(written_without_matplotlib) == planned
    assert _tracked_figures() == planned


@pytest.mark.thorough  # the whole registry at 50 cases; the default run asks it of `sampled`'s heat maps
def test_every_tracked_figure_carries_the_digest_of_its_data_so_it_is_never_redrawn(registry):
    step, heatmaps = registry_figures(registry)
    for figure in [step, *(figure for figs in heatmaps.values() for _, figure in figs)]:
        assert plots.stored_digest(REPORTS / figure.name) == figure.digest, (
            f"reports/{figure.name} does not show the data at hand: run `gradlab report` and commit it")


@pytest.mark.thorough  # the whole registry at 50 cases
def test_training_results_and_matplotlib_change_neither_the_registry_report_nor_its_figures(registry, tmp_path):
    out = tmp_path / "reports"
    (out / "figures").mkdir(parents=True)
    for name in _tracked_figures():
        shutil.copy2(REPORTS / name, out / name)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "figures").iterdir()}
    write_training_report({"test_accuracy": 0.98, "val_accuracy": 0.97, "train_seconds": 12.3,
                           "epoch_seconds": [6.1, 6.2], "layers": ["Affine"], "curves": {}}, out)
    write_registry_report(registry, out)  # with matplotlib when it is installed
    for name in DOCUMENTS:
        assert (out / name).read_bytes() == (REPORTS / name).read_bytes(), name
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "figures").iterdir()}
    assert after == before, "a figure whose data did not change was drawn again"


def test_a_heat_map_of_a_gradient_that_no_longer_fails_is_removed(sampled, tmp_path):
    stale = tmp_path / "figures" / "heat_NoSuchLayer_dx.png"
    stale.parent.mkdir()
    stale.write_bytes(b"")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "available", lambda: False)
        write_registry_report(sampled, tmp_path, fixes=False)  # the figures do not depend on the fixes
    assert not stale.exists()


def test_registry_json_and_training_json_name_their_schema_first(tmp_path):
    registry_doc = json.loads((REPORTS / "registry.json").read_text(encoding="utf-8"))
    assert next(iter(registry_doc.items())) == ("schema", "gradlab-registry/1")
    assert "training" not in registry_doc
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "available", lambda: False)
        write_training_report({"test_accuracy": 0.98, "val_accuracy": 0.97, "train_seconds": 1.0}, tmp_path)
    training_doc = json.loads((tmp_path / "training.json").read_text(encoding="utf-8"))
    assert next(iter(training_doc.items())) == ("schema", "gradlab-training/1")
    assert "1.0 s" in (tmp_path / "training.md").read_text(encoding="utf-8")


def test_a_figure_is_drawn_only_when_its_data_changed(tmp_path):
    pytest.importorskip("matplotlib")
    first = plots.step_curve_figure("figures/curve.png", "t", [1e-1, 1e-2], [1e-3, 1e-5])
    assert first.write(tmp_path) is True
    assert plots.stored_digest(tmp_path / first.name) == first.digest
    assert first.write(tmp_path) is False
    changed = plots.step_curve_figure("figures/curve.png", "t", [1e-1, 1e-2], [1e-3, 2e-5])
    assert changed.digest != first.digest and changed.write(tmp_path) is True


@needs_git
def test_only_the_registry_report_and_its_figures_are_tracked_and_timings_are_ignored():
    tracked = _git("ls-files", "reports").split()
    allowed = r"reports/(registry\.(md|json|html)|figures/(heat_[\w.-]+|step_curve)\.png)"
    assert [p for p in tracked if not re.fullmatch(allowed, p)] == []
    assert {f"reports/{name}" for name in DOCUMENTS} <= set(tracked)
    ignored = _git("check-ignore", *(f"reports/{name}" for name in UNTRACKED)).split()
    assert set(ignored) == {f"reports/{name}" for name in UNTRACKED}


#: run `gradlab report` with the clone's own code: `python -m gradlab` in the clone imports gradlab from
#: the clone (the working directory comes first on sys.path), but the editable install maps
#: gradlab.reference to this checkout's reference/, so the clone's reference/ is put in its place first
CLONE_REPORT = """\
import importlib.util, pathlib, sys
clone = pathlib.Path.cwd().resolve()
spec = importlib.util.spec_from_file_location("gradlab.reference", clone / "reference" / "__init__.py",
                                              submodule_search_locations=[str(clone / "reference")])
module = importlib.util.module_from_spec(spec)
sys.modules["gradlab.reference"] = module
spec.loader.exec_module(module)
import gradlab
from gradlab.cli.main import main
assert pathlib.Path(gradlab.__file__).resolve().is_relative_to(clone), gradlab.__file__
status = main(["report"])
zoo = [m.__file__ for name, m in sys.modules.items() if name.startswith("gradlab.reference.")]
assert zoo and all(pathlib.Path(f).resolve().is_relative_to(clone) for f in zoo), zoo
sys.exit(status)
"""


@needs_git
@pytest.mark.thorough  # a whole `gradlab report` once more, in a child: the zoo checked a second time
def test_gradlab_report_in_a_clean_clone_leaves_git_status_clean(tmp_path):
    """A clone of HEAD (commit first to test the working tree's changes), `gradlab report` in it, nothing to commit."""
    clone = tmp_path / "clone"
    _git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone), cwd=tmp_path)
    done = subprocess.run([sys.executable, "-c", CLONE_REPORT], cwd=clone, capture_output=True, text=True,
                          timeout=900)  # a cold fix cache: the zoo's fixes searched again
    assert done.returncode == 0, done.stderr[-2000:]
    assert _git("status", "--porcelain", "--untracked-files=all", cwd=clone) == ""


def test_the_cases_of_a_seed_do_not_depend_on_which_modules_are_loaded(tmp_path, monkeypatch):
    """Hypothesis mixes constants from loaded local modules into its draws; gradlab's draws must ignore them."""
    from gradlab.cases.runner import check_entry
    from gradlab.conventions.registry import get

    def worst() -> dict[str, float]:
        report = check_entry(get("Tanh"), examples=50, seed=0)
        return {name: g.max_rel_error for name, g in report.worst.items()}

    before = worst()
    (tmp_path / "gradlab_numbers_elsewhere.py").write_text(
        "NUMBERS = [" + ", ".join(str(n) for n in [*range(1, 40), 512, 20000, 50_000, 2**20, 2**31 - 2]) + "]\n"
        "SCALES = [0.01, 0.5, 3.0, 30.0, 1e-3]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("gradlab_numbers_elsewhere")
    assert worst() == before
