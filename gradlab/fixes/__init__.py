"""Verified fixes: the edit of the user's own line that makes a failing layer pass, proved before it is shown.

For a failing layer, `find_fix` locates the statements of the user's source that build its gradients
(`gradlab.fixes.source`), proposes small edits guided by the diagnosis and the measured evidence
(`gradlab.fixes.candidates`), rebuilds the layer from each edited copy of the source in memory
(`gradlab.fixes.rebuild`), re-runs the same check on it and keeps an edit only when every gradient then
passes and the forward is unchanged (`gradlab.fixes.verify`). `gradlab.fixes.patch` writes a verified
fix into the file on request (`gradlab check --fix`).
Non-goal: guessing. No verified edit, no suggestion; the search is bounded by a number of candidates,
never by seconds, so its result does not depend on the machine.
"""

from __future__ import annotations

from gradlab.fixes.patch import apply_fixes, describe
from gradlab.fixes.search import MAX_CANDIDATES, find_fix, with_fixes

__all__ = ["MAX_CANDIDATES", "apply_fixes", "describe", "find_fix", "with_fixes"]
