"""Test-suite settings: hypothesis profiles and shared fixtures.

`pytest` uses the "default" profile (20 cases: fast enough to run often on 2 cores);
`pytest --hypothesis-profile=deep` runs the thorough one (500 cases per layer).
Tests that call `gradlab.cases.runner.check_entry` take their case count from the `layer_examples`
fixture, so the
profile controls them too.

The zoo's reports are computed once per run (`zoo_reports`): test_zoo, test_codes_explained and
test_reports_policy each read the same registry entries' reports (in the default run the zoo's sample chosen by a
rule, tests/zoo_sample.py; with --thorough every entry), and checking the zoo is the suite's largest cost; each
entry is checked by the first xdist worker that asks for it and read back by the others.

The default run samples the suite's exhaustive sweeps; `pytest --thorough` (or the deep profile, which implies it)
runs them in full. A parametrized test marked `@pytest.mark.sample(by=key)` runs, by default, its first case of each
`by(**params)` (one buggy zoo variant per bug code, say: a rule, so that the sample is not chosen by what passes);
one marked `@pytest.mark.sample(every=k)` runs one case in k by position (the first, the k+1st, ...), and one marked
`@pytest.mark.sample(keep=rule)` the cases whose `rule(**params)` holds (a diagonal of a grid, say); a test marked
`@pytest.mark.thorough` runs only in the thorough run; a test that draws its own cases asks `thorough_run` how many.
README ("Run the tests") lists what that leaves.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from gradlab.cases.runner import check_entry
from gradlab.conventions.registry import Entry
from gradlab.core.results import LayerReport
from gradlab.core.tolerances import DEFAULT_EXAMPLES

settings.register_profile("default", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile("default")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("gradlab-suite", "gradlab's own test suite").addoption(
        "--thorough", action="store_true", default=False,
        help="run every sweep in full: each test marked sample (every zoo variant's fix search, ...) on all its "
             "cases and the tests marked thorough (default: one case per key, thorough tests deselected; "
             "--hypothesis-profile=deep implies it)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sample(by): in the default run, only the first case of each by(**params) "
                                       "of this parametrized test runs (all with --thorough); sample(every=k): "
                                       "one case in k, by position; sample(keep): the cases keep(**params) holds for")
    config.addinivalue_line("markers", "thorough: runs only with --thorough (or --hypothesis-profile=deep)")


def thorough(config: pytest.Config) -> bool:
    """Whether this run is the thorough one: --thorough, or the deep hypothesis profile."""
    return bool(config.getoption("thorough")) or config.getoption("hypothesis_profile", None) == "deep"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The default run's sample of the sweeps: the first case of each key of a test marked sample, in the order the
    test lists its cases (the key of `every=k` is the case's position // k), or the cases `keep` holds for; tests
    marked thorough are deselected.
    Every xdist worker collects the same items in the same order, so each makes the same choice."""
    if thorough(config):
        return
    seen: set[tuple[str, object]] = set()
    positions: dict[str, int] = {}
    kept: list[pytest.Item] = []
    left: list[pytest.Item] = []
    for item in items:
        if item.get_closest_marker("thorough") is not None:
            left.append(item)
            continue
        mark = item.get_closest_marker("sample")
        callspec = getattr(item, "callspec", None)
        if mark is None or callspec is None:
            kept.append(item)
            continue
        test = item.nodeid.split("[", 1)[0]
        position = positions[test] = positions.get(test, -1) + 1
        if "keep" in mark.kwargs:
            (kept if mark.kwargs["keep"](**callspec.params) else left).append(item)
            continue
        key = position // mark.kwargs["every"] if "every" in mark.kwargs else mark.kwargs["by"](**callspec.params)
        group = (test, key)
        (left if group in seen else kept).append(item)
        seen.add(group)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture
def layer_examples() -> int:
    """Cases per layer for registry walks under the active hypothesis profile."""
    return settings().max_examples


@pytest.fixture
def thorough_run(request: pytest.FixtureRequest) -> bool:
    """Whether this run is the thorough one: a test drawing its own cases draws today's many only then."""
    return thorough(request.config)


@pytest.fixture
def zoo_examples() -> int:
    """Cases per zoo entry: as many as `gradlab report` checks the registry with (so the zoo's tests and the
    registry report's tests read the same reports), or the profile's when it asks for more (deep: 500). Fewer would
    save little: an entry's check costs about the same at 20 cases as at 50 (the first 69 entries: 57 s and 63 s)."""
    return max(settings().max_examples, DEFAULT_EXAMPLES)


class ZooReports:
    """`check_entry(entry, examples=..., seed=...)` of registry entries, kept as files in a folder this run's
    xdist workers share: each report is computed once per run, whichever test asks first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def of(self, entry: Entry, *, examples: int, seed: int = 0) -> LayerReport:
        report = self._of(entry, examples, seed, wait=True)
        assert report is not None
        return report

    def of_all(self, entries: list[Entry], *, examples: int, seed: int = 0) -> list[LayerReport]:
        """Every entry's report, in order; entries another worker is checking are taken up after the others."""
        found = {i: self._of(e, examples, seed, wait=False) for i, e in enumerate(entries)}
        return [found[i] or self.of(e, examples=examples, seed=seed) for i, e in enumerate(entries)]

    def _of(self, entry: Entry, examples: int, seed: int, *, wait: bool) -> LayerReport | None:
        digest = hashlib.sha256(f"{entry.module}:{entry.name}:{examples}:{seed}".encode()).hexdigest()[:32]
        path = self.folder / f"{digest}.pickle"
        with _locked(self.folder / f"{digest}.lock", wait=wait) as held:
            if path.exists():
                report: LayerReport = pickle.loads(path.read_bytes())
                return report
            if not held:
                return None
            report = check_entry(entry, examples=examples, seed=seed)
            partial = path.with_suffix(".partial")
            partial.write_bytes(pickle.dumps(report))
            partial.replace(path)
            return report


@contextmanager
def _locked(lock: Path, *, wait: bool) -> Iterator[bool]:
    """The lock file held for the block, True; False if another worker holds it and `wait` is False (a report
    it is computing: take it up later)."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): both workers may compute a report, and the same one
        yield True
        return
    with open(lock, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def zoo_reports(tmp_path_factory: pytest.TempPathFactory) -> ZooReports:
    """The zoo's reports of this run; under xdist the workers' base folders share a parent of this run's own."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return ZooReports(shared / "zoo-reports")
