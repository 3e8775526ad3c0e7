"""Compatibility name of the pytest plugin, which lives in `gradlab.testing.plugin`.

Kept so that `from gradlab.pytest_plugin import registry_params` (as older READMEs showed) works.
"""

from gradlab.testing.plugin import registry_params

__all__ = ["registry_params"]
