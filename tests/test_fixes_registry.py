"""The registry report's fixes (issue 19): each caught buggy variant's verified fix, or "none found", searched on
two processes and cached in the user's cache folder (here a tmp folder, through $GRADLAB_CACHE), keyed by
everything the outcome depends on; the report's text is the same with a cold cache and a warm one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cases.check_many import check_registry
from gradlab.cli.main import main
from gradlab.fixes import registry
from gradlab.reporting import plots
from gradlab.reporting.report import write_registry_report

ROOT = Path(__file__).resolve().parents[1]
#: a variant with a one-edit fix, one whose fix is more than one edit, a correct layer
FEW = ["AffineDividesByBatch", "HardswishDropsProductBranch", "Affine"]
#: a small budget keeps the none-found search short; it is part of the cache key like any other
BUDGET = 60


@pytest.fixture(scope="module")
def reports():
    return check_registry(examples=5, seed=0, only=FEW).reports


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("GRADLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / registry.CACHE_FOLDER


def _counting(monkeypatch) -> list[str]:
    searched: list[str] = []
    real = registry._search

    def spy(report, budget):
        searched.append(report.name)
        return real(report, budget)

    monkeypatch.setattr(registry, "_search", spy)
    return searched


def test_each_failing_variant_gets_its_fix_or_none_found_and_a_warm_cache_gives_the_same_without_searching(
        reports, cache, monkeypatch):
    searched = _counting(monkeypatch)
    cold = registry.fixes_for(reports, budget=BUDGET, processes=1)
    assert sorted(searched) == ["AffineDividesByBatch", "HardswishDropsProductBranch"]  # the correct layer passes
    assert cold["AffineDividesByBatch"].status == "verified"
    more = cold["HardswishDropsProductBranch"]
    assert more.status == "none-found" and more.tried == BUDGET
    assert len(list(cache.glob("*.json"))) == 2
    searched.clear()
    assert registry.fixes_for(reports, budget=BUDGET, processes=1) == cold
    assert searched == []


def test_a_fix_names_its_file_relative_to_the_project_in_its_diff_too(reports, cache):
    fix = registry.fixes_for(reports, budget=BUDGET, processes=1)["AffineDividesByBatch"]
    assert fix.file.startswith("reference/") and (ROOT / fix.file).is_file()
    assert fix.diff.splitlines()[:2] == [f"--- {fix.file}", f"+++ {fix.file}"]


def test_two_processes_find_what_one_finds(reports, cache, monkeypatch):
    one = registry.fixes_for(reports, budget=BUDGET, processes=1, cache=False)
    assert registry.fixes_for(reports, budget=BUDGET, processes=2, cache=False) == one
    assert not cache.exists()  # cache=False reads and writes nothing


def test_the_cache_key_changes_with_the_source_text_the_budget_and_the_search_code(reports, tmp_path, monkeypatch):
    from gradlab.conventions.registry import load_reference

    report = next(r for r in reports if r.name == "AffineDividesByBatch")
    entry = load_reference()[report.name]
    key = registry._key(entry, report, BUDGET)
    assert registry._key(entry, report, BUDGET) == key
    assert registry._key(entry, report, BUDGET + 1) != key
    edited = tmp_path / "zoo.py"
    edited.write_text(Path(registry._module_file(entry)).read_text(encoding="utf-8") + "\n# one more line\n")
    with monkeypatch.context() as m:
        m.setattr(registry, "_module_file", lambda e: str(edited))
        assert registry._key(entry, report, BUDGET) != key
    with monkeypatch.context() as m:
        m.setattr(registry, "_search_code_digest", lambda: "another search")
        assert registry._key(entry, report, BUDGET) != key


def test_a_damaged_cache_record_is_searched_again(reports, cache, monkeypatch):
    first = registry.fixes_for(reports, budget=BUDGET, processes=1)
    for record in cache.glob("*.json"):
        record.write_text('{"status": "verif', encoding="utf-8")
    searched = _counting(monkeypatch)
    assert registry.fixes_for(reports, budget=BUDGET, processes=1) == first
    assert len(searched) == 2


def test_the_registry_report_shows_each_caught_variants_fix_and_none_found_the_same_cold_and_warm(
        reports, cache, tmp_path, monkeypatch):
    monkeypatch.setattr(plots, "available", lambda: False)
    monkeypatch.setattr(registry, "MAX_CANDIDATES", BUDGET)
    cold = write_registry_report(reports, tmp_path / "cold", models=[])
    searched = _counting(monkeypatch)
    warm = write_registry_report(reports, tmp_path / "warm", models=[])
    assert searched == []
    for name, path in cold.items():
        assert path.read_bytes() == warm[name].read_bytes(), name
    markdown = cold["md"].read_text(encoding="utf-8")
    assert "## Verified fixes" in markdown and "1/2 caught buggy variants get a verified fix" in markdown
    assert "`HardswishDropsProductBranch` (" in markdown and f"none found ({BUDGET} candidates tried)" in markdown
    assert "```diff\n--- reference/" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| AffineDividesByBatch |"))
    assert row.rstrip(" |").endswith(")") and "verified (line" in row
    layers = {e["name"]: e for e in json.loads(cold["json"].read_text(encoding="utf-8"))["layers"]}
    assert layers["AffineDividesByBatch"]["fix"]["status"] == "verified"
    assert layers["HardswishDropsProductBranch"]["fix"] == {"status": "none-found", "tried": BUDGET}
    assert layers["Affine"]["fix"] is None
    assert "<pre>--- reference/" in cold["html"].read_text(encoding="utf-8")


def test_report_no_fix_search_writes_the_report_without_searching_and_says_so(tmp_path, monkeypatch, cache):
    from gradlab.cases import check_many

    real = check_many.check_registry
    monkeypatch.setattr(check_many, "check_registry", lambda **kw: real(**kw, only=FEW))
    monkeypatch.setattr(plots, "available", lambda: False)
    searched = _counting(monkeypatch)
    assert main(["report", "--out", str(tmp_path / "out"), "--examples", "5", "--no-progress", "--no-fix-search"]) == 0
    assert searched == [] and not cache.exists()
    markdown = (tmp_path / "out" / "registry.md").read_text(encoding="utf-8")
    assert "Not searched: this report was written with `gradlab report --no-fix-search`." in markdown
    assert "| not searched |" in markdown


def test_a_report_written_over_its_previous_self_reads_the_fixes_it_shows_back_without_searching_or_a_cache(
        reports, tmp_path, monkeypatch):
    monkeypatch.setattr(plots, "available", lambda: False)
    monkeypatch.setattr(registry, "MAX_CANDIDATES", BUDGET)  # the budget of every search and key of this test
    monkeypatch.setenv("GRADLAB_CACHE", str(tmp_path / "first-cache"))
    first = write_registry_report(reports, tmp_path / "out", models=[])
    before = {name: path.read_bytes() for name, path in first.items()}
    assert json.loads(before["json"])["fix_keys"].keys() == {"AffineDividesByBatch", "HardswishDropsProductBranch"}
    # a clean clone: an empty cache, the tracked report in place; any search would show in `searched`
    monkeypatch.setenv("GRADLAB_CACHE", str(tmp_path / "empty-cache"))
    searched = _counting(monkeypatch)
    again = write_registry_report(reports, tmp_path / "out", models=[])
    assert searched == [] and not (tmp_path / "empty-cache").exists()
    assert {name: path.read_bytes() for name, path in again.items()} == before
    # a variant whose recorded key no longer matches (its file, the check or the search changed) is searched again
    document = json.loads(before["json"])
    document["fix_keys"]["AffineDividesByBatch"] = "0" * 64
    (tmp_path / "out" / "registry.json").write_text(json.dumps(document), encoding="utf-8")
    write_registry_report(reports, tmp_path / "out", models=[])
    assert searched == ["AffineDividesByBatch"]
