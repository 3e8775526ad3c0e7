"""Test-suite settings: hypothesis profiles and shared fixtures.

`pytest` uses the "default" profile (fast enough to run often on 2 cores);
`pytest --hypothesis-profile=deep` runs the thorough one (500 cases per layer).
Tests that call `gradlab.cases.runner.check_entry` take their case count from the `layer_examples`
fixture, so the
profile controls them too.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile("default")


@pytest.fixture
def layer_examples() -> int:
    """Cases per layer for registry walks under the active hypothesis profile."""
    return settings().max_examples
