"""The default run's sample of the zoo, shared by the tests that read zoo reports (test_zoo, test_codes_explained,
test_reports_policy), so that each sampled entry is checked once per run and read by all three.

The sample is a rule on the registry's order, not on what passes: every EVERY-th entry from the first, and the first
buggy variant of each bug code (so every code keeps a variant in the default run). `pytest --thorough` checks every
entry. Checking the whole zoo was the default run's largest cost (490 s of the workers' 3088 s in the last full CI),
and fewer cases would not cut it: an entry's check costs about the same at 20 cases as at 50.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from gradlab.conventions.registry import Entry

#: one entry in EVERY by the registry's order
EVERY = 4


def sample(entries: Iterable[Entry]) -> list[Entry]:
    """The entries of the default run, in their order."""
    entries = list(entries)
    first: dict[str, str] = {}
    for entry in entries:
        if entry.is_buggy:
            first.setdefault(entry.bug, entry.name)
    return [e for i, e in enumerate(entries) if i % EVERY == 0 or (e.is_buggy and first[e.bug] == e.name)]


def params(entries: Iterable[Entry], registry: Iterable[Entry]) -> list[Any]:
    """`entries` (some of `registry`, in any order) as parameters: those outside `registry`'s sample run only with
    --thorough (conftest)."""
    chosen = {e.name for e in sample(registry)}
    return [e if e.name in chosen else pytest.param(e, marks=pytest.mark.thorough, id=e.name) for e in entries]
