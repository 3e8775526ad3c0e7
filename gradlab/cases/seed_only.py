"""Hypothesis draws that depend on the seed alone, not on which modules happen to be loaded.

Hypothesis (6.131 and later) mixes the literal numbers and strings it finds in the source of every
*local* module in `sys.modules` (not site-packages, not test files) into its draws, and stops
collecting them after a time limit. For gradlab that made the cases of a seed depend on what was
imported before the check (the CLI imports more than a test does; a pytest worker imports whatever
its earlier tests needed) and on every number written anywhere in gradlab or the reference zoo: the
tracked registry report changed with unrelated edits, and a seed did not repeat a run.

`seed_only()` empties that pool while gradlab draws. It reaches into a private part of hypothesis
(`hypothesis.internal.conjecture.providers`); on a version without it, it does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def seed_only() -> Iterator[None]:
    """Within the block, hypothesis draws no constants collected from local modules."""
    try:
        from hypothesis.internal.conjecture import providers

        collect, cache, empty = providers._get_local_constants, providers.CONSTANTS_CACHE, providers.Constants()
    except (ImportError, AttributeError):
        yield
        return
    cache.cache.clear()  # it holds the pool of constants each kind of draw may use
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = collect
        cache.cache.clear()
