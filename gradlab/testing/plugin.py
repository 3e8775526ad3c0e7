"""The gradlab pytest plugin: options, a seed in the header, the `gradlab_check` fixture, registry params.

Registered under the `pytest11` entry point, so installing gradlab is enough. Options (group
"gradlab"): `--gradlab-seed=INT` (default: a random seed per run, printed in the report header so
the run can be repeated; `--gradlab-seed=last` repeats the previous run's), `--gradlab-examples=INT`
(default 50) and `--gradlab-deep` (500 cases). They become the defaults of `gradlab.assert_backward`
for the session, and a failure message ends with the command that repeats it.

Non-goals: collecting layers without a test (use `registry_params` in a test file or
`gradlab check`), and anything hypothesis's own plugin does (its profiles and database are left
alone). Importing this module is cheap: numpy and hypothesis are imported by the first check,
not by pytest start-up.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import zlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pytest

from gradlab.core.tolerances import DEEP_EXAMPLES, DEFAULT_EXAMPLES
from gradlab.testing import assertions
from gradlab.testing.assertions import SessionOptions

if TYPE_CHECKING:
    from _pytest.mark.structures import ParameterSet

    from gradlab.conventions.registry import Entry
    from gradlab.core.results import LayerReport
    from gradlab.kinds import Kind


_OPTIONS = pytest.StashKey[SessionOptions]()
_OUTER = pytest.StashKey["SessionOptions | None"]()
_CACHE_KEY = "gradlab/seed"


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a number of cases; pass 1 or more")
    return value


def _seed(text: str) -> int | str:
    if text == "last":
        return text  # resolved from pytest's cache in pytest_configure
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a seed; pass a whole number or 'last'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; pass a seed of 0 or more")
    return value


def _random_seed() -> int:
    # short enough to read out and type; any seed repeats its run exactly, so the range is ample
    return random.SystemRandom().randrange(10_000)


def _last_seed(config: pytest.Config) -> int:
    if not hasattr(config, "cache"):
        raise pytest.UsageError("--gradlab-seed=last needs pytest's cache; drop -p no:cacheprovider")
    seed = config.cache.get(_CACHE_KEY, None)
    if seed is None:
        raise pytest.UsageError("--gradlab-seed=last: no earlier run recorded a seed here; pass a number")
    return int(seed)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradlab", "gradlab: gradient checks of hand-written numpy layers")
    group.addoption("--gradlab-seed", type=_seed, default=None, metavar="INT",
                    help="seed of every gradlab check's hypothesis cases, or 'last' for the previous "
                         "run's (default: a random seed per run, printed in the header)")
    group.addoption("--gradlab-examples", type=_count, default=None, metavar="INT",
                    help=f"hypothesis cases per layer (default: {DEFAULT_EXAMPLES}, "
                         f"or {DEEP_EXAMPLES} with --gradlab-deep)")
    group.addoption("--gradlab-deep", action="store_true", default=False,
                    help=f"thorough run: {DEEP_EXAMPLES} cases per layer unless --gradlab-examples "
                         "is given (default: off)")


def _session_seed(config: pytest.Config) -> int:
    """--gradlab-seed, else hypothesis's --hypothesis-seed, else a random one; an xdist worker takes
    the controller's, so that all workers check the same cases."""
    seed = getattr(config, "workerinput", {}).get("gradlab_seed")
    if seed is None:
        seed = config.getoption("gradlab_seed")
    if seed == "last":
        return _last_seed(config)
    if seed is None and config.getoption("hypothesis_seed", None) is not None:
        text = str(config.getoption("hypothesis_seed"))
        # hypothesis takes any string as a seed; gradlab's are numbers, so map other strings to one
        return int(text) if text.isdigit() else zlib.crc32(text.encode()) % 10_000
    return _random_seed() if seed is None else int(seed)


def _session_examples(config: pytest.Config) -> int:
    """--gradlab-examples, else 500 with --gradlab-deep, else the max_examples of a profile chosen with
    --hypothesis-profile, else gradlab's default."""
    examples = config.getoption("gradlab_examples")
    if examples is not None:
        return int(examples)
    if config.getoption("gradlab_deep"):
        return DEEP_EXAMPLES
    profile = config.getoption("hypothesis_profile", None)
    if profile is not None:
        from hypothesis import settings

        return int(settings.get_profile(profile).max_examples)
    return DEFAULT_EXAMPLES


def pytest_configure(config: pytest.Config) -> None:
    seed = _session_seed(config)
    examples = _session_examples(config)
    repeat = f"--gradlab-seed={seed}"
    if examples != DEFAULT_EXAMPLES:
        repeat += f" --gradlab-examples={examples}"
    memory = _CacheMemory(config.cache) if hasattr(config, "cache") else None
    options = SessionOptions(examples=examples, seed=seed, repeat_options=repeat, memory=memory)
    config.stash[_OPTIONS] = options
    # pytester runs a session inside a session: keep the outer one's options to restore them
    config.stash[_OUTER] = assertions.use_session_options(options)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: hand the controller's seed to each worker."""
    node.workerinput["gradlab_seed"] = node.config.stash[_OPTIONS].seed


def pytest_report_header(config: pytest.Config) -> str | None:
    """Only with -v, or when a gradlab option was given: a project that never checks a layer hears
    nothing from gradlab (a failure message carries its own seed line)."""
    asked = any(config.getoption(o) not in (None, False) for o in ("gradlab_seed", "gradlab_examples", "gradlab_deep"))
    if config.option.verbose <= 0 and not asked:
        return None
    options = config.stash[_OPTIONS]
    return f"gradlab: seed={options.seed}, examples={options.examples} (repeat with {options.repeat_options})"


def pytest_sessionfinish(session: pytest.Session) -> None:
    # the seed is remembered (for --gradlab-seed=last) only by a session that checked a layer
    options = session.config.stash.get(_OPTIONS, None)
    if options is not None and isinstance(options.memory, _CacheMemory) and options.memory.used:
        options.memory.cache.set(_CACHE_KEY, options.seed)


class _CacheMemory:
    """Failures kept in pytest's cache, one key per layer: replayed first by the next run (as --lf
    reruns failed tests first), forgotten once the layer passes. Nothing is written unless a layer
    is checked."""

    def __init__(self, cache: pytest.Cache):
        self.cache = cache
        self.used = False

    @staticmethod
    def _key(key: str) -> str:
        return f"gradlab/failures/{hashlib.sha256(key.encode()).hexdigest()[:20]}"

    def recall(self, key: str) -> list[dict[str, Any]]:
        self.used = True
        spec = self.cache.get(self._key(key), None)
        # JSON turned the spec's tuples (shapes) into lists
        return [{k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}] if isinstance(spec, dict) else []

    def remember(self, key: str, spec: dict[str, Any] | None) -> None:
        from gradlab.core.results import jsonable

        if spec is not None or self.cache.get(self._key(key), None) is not None:
            self.cache.set(self._key(key), None if spec is None else jsonable(spec))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _OUTER in config.stash:
        assertions.use_session_options(config.stash[_OUTER])


@pytest.fixture
def gradlab_check(request: pytest.FixtureRequest) -> Callable[..., LayerReport]:
    """`gradlab.assert_backward` bound to this session's options; a failure names this test.

    `gradlab_check(Affine)` or `gradlab_check(affine_forward, affine_backward, examples=20)`.
    """
    options = request.config.stash[_OPTIONS]
    nodeid = request.node.nodeid

    def check(layer: Any, backward: Callable[..., Any] | None = None, *, kind: str | Kind | None = None,
              examples: int | None = None, seed: int | None = None) -> LayerReport:
        __tracebackhide__ = True
        return assertions.check_layer(layer, backward, kind=kind, examples=examples, seed=seed,
                                      session=options, nodeid=nodeid, stacklevel=3)

    return check


@pytest.fixture(scope="session")
def gradlab_registry() -> Mapping[str, Entry]:
    """The reference registry (name -> Entry), loaded once, read-only."""
    from gradlab.conventions.registry import load_reference

    return MappingProxyType(load_reference())


def registry_params(*, correct_only: bool = True) -> list[ParameterSet]:
    """One `pytest.param(entry, id=entry.name)` per registry entry, for `@pytest.mark.parametrize`.

    `correct_only=False` includes the deliberately buggy variants (whose `entry.bug` is the code
    the check must report).
    """
    from gradlab.conventions.registry import load_reference

    if not isinstance(correct_only, bool):
        raise TypeError(f"correct_only={correct_only!r}: pass True or False")
    return [pytest.param(entry, id=entry.name) for entry in load_reference().values()
            if not (correct_only and entry.is_buggy)]
