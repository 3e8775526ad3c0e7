"""What stops gradlab from calling a built model in its convention: the exceptions the adapters raise.

They live apart from `gradlab.models.adapters` so that the modules it calls on for one convention
(`gradlab.models.nielsen`, `gradlab.models.second_volume_parameters`) can raise them without importing it back.
Non-goal: what a model's own code raises (that is a finding of `gradlab.models.check`, not an exception here).
"""

from __future__ import annotations

from gradlab.models.build import NotRunnable

__all__ = ["ModelError", "NoDataRuns", "NotImplementedYet"]


class ModelError(Exception):
    """The model does not follow its convention in a way gradlab can call; the message says what to fix."""


class NoDataRuns(NotRunnable):
    """A second-volume model whose forward runs on none of the data gradlab makes at these sizes (skipped unless
    other sizes run: a tied embedding needs its word vector and hidden sizes equal)."""


class NotImplementedYet(ModelError):
    """The model is a course template whose constructor's TODO is not filled in: no parameters after it is built
    (skipped, as an untouched layer template is)."""
