"""What grading one submission produces: a grade per required layer, made of explained parts, and their sum.

Non-goals: how the grade is reached (`gradlab.grading.grader`), how it is shown (`gradlab.grading.feedback`,
`gradlab.grading.gradescope`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradlab.core.results import FixResult
from gradlab.grading.assignment import Assignment, RequiredLayer
from gradlab.grading.tally import Part


@dataclass
class LayerGrade:
    required: RequiredLayer
    found_as: str | None
    parts: list[Part]
    error: str | None = None
    cases: int = 0
    note: str = ""
    #: hints said in the layout the layer was graded in, where they differ from `gradlab.core.bugs`
    hints: dict[str, str] = field(default_factory=dict)
    #: the verified fix (or that none was found) when the assignment shows fixes; `fix_note` says why none
    #: was searched (the time budget spent)
    fix: FixResult | None = None
    fix_note: str = ""
    #: what `gradlab check` would warn of on this layer (a convention read, a write into dout): no points lost
    warnings: list[str] = field(default_factory=list)
    #: the codes its drawn cases alone showed, before the extreme ones (inputs beyond exp's overflow): whether it only
    #: crashed, and is to be tried one sample at a time, is decided on these as `gradlab check` decides it
    drawn_codes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.found_as or self.required.name

    @property
    def score(self) -> float:
        # to the cent, as the total: parts of 20 points split in sevenths must not add up to 19.9998
        return round(sum(p.score for p in self.parts), 2)

    @property
    def max_score(self) -> float:
        return self.required.points

    @property
    def bug_codes(self) -> list[str]:
        return list(dict.fromkeys(c for p in self.parts for c in p.codes))


@dataclass
class Grade:
    submission: str
    assignment: Assignment
    layers: list[LayerGrade]
    notes: list[str] = field(default_factory=list)
    execution_time: float = 0.0
    #: the sandbox the code ran in: "bwrap" (the jail) or "process" (a plain child, see the README)
    sandbox: str = ""

    @property
    def score(self) -> float:
        return round(sum(layer.score for layer in self.layers), 2)

    @property
    def max_score(self) -> float:
        return self.assignment.max_score
