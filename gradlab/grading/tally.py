"""How the cases of one layer add up to its tests: each test fails at its smallest failing case, and its
bug code is the one most failing cases showed.

Non-goal: running cases (that is `gradlab.grading.grader`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gradlab.core.results import FAIL, CaseResult
from gradlab.grading.forward_reference import ForwardCheck
from gradlab.kinds import describe_spec

#: the codes the structure test holds: inputs, parameters and samples left alone (DESIGN.md's "beyond values")
STRUCTURE_CODES = ("mutates-input", "stale-parameters", "couples-samples")


@dataclass
class Part:
    """One graded test of one layer: its forward, one gradient, or its structure."""

    layer: str
    component: str
    max_score: float
    passed: bool = True
    codes: list[str] = field(default_factory=list)
    message: str = ""
    smallest: str | None = None
    hidden: bool = False
    #: its code won the vote only because 'mismatch' never wins one (more failing cases found no explanation): a weak
    #: reading, which `gradlab.grading.check_names` asks check about
    contested: bool = False
    #: what the student calls this gradient (`dbias`, `dweights`, CS231n's `dw`), as its messages say it;
    #: `component` stays gradlab's own key (`db`, `dW`), the same for every submission
    label: str = ""

    @property
    def score(self) -> float:
        return self.max_score if self.passed else 0.0

    @property
    def title(self) -> str:
        return self.label or self.component


class Tally:
    """Per component: the smallest failing case and what it showed."""

    def __init__(self, parts: dict[str, Part]):
        self.parts = parts
        self.wrong_function = False  # forward differs from the reference (not merely a crash or inf)
        self.votes: dict[str, dict[str, float]] = {}
        self.first: dict[tuple[str, str], tuple[str, str]] = {}
        #: (whether the output was all zero, message, case) of each case whose forward differs from the reference
        self.wrong_forwards: list[tuple[bool, str, str]] = []
        #: what crashes' shapes said of a gradient (`gradlab.core.crash_reading`): code -> message, first case first
        self.crash_reads: dict[str, str] = {}
        #: the first case that crashed, and each gradient's code where its shapes fit by accident (`where_it_fits`)
        self.crashed_spec: dict[str, Any] | None = None
        self.fitted: dict[str, str | None] = {}

    def fail(self, component: str, codes: list[str], message: str, spec: dict[str, Any], *, vote: bool = True) -> None:
        part = self.parts.get(component) or self.parts["structure"]
        if part.passed:
            part.passed, part.codes, part.message, part.smallest = False, list(codes), message, describe_spec(spec)
        if not vote:  # a case diagnosed from its values alone (`layer_cases.DIAGNOSED_CASES`)
            return
        # every failing case votes for its codes, a bigger case louder: the smallest case shows the
        # bug best to a person, but a tiny case (N <= 2, one output channel) can make a transposed
        # or scaled gradient look like a dropped term
        weight = int(spec["N"]) * (0.5 if int(spec["N"]) <= 2 else 1.0)
        votes = self.votes.setdefault(part.component, {})
        for code in codes:
            votes[code] = votes.get(code, 0.0) + weight
            # the smallest case that showed each code, to explain the winner with its own words
            self.first.setdefault((part.component, code), (message, describe_spec(spec)))

    def settle(self) -> None:
        """Each failed part's code: the one most failing cases showed (crashes stay crashes), a crash's reading
        beside it."""
        self._crash_reads()
        for name, votes in self.votes.items():
            part = self.parts[name]
            if votes and "crashed" not in part.codes:
                # 'mismatch' says only that a case found no explanation (an RNN's one-step share is told
                # only where a step's inputs span less than the weight's rows): a case that found one wins
                explained = {c: v for c, v in votes.items() if c != "mismatch"} or votes
                code = max(explained, key=explained.__getitem__)  # the first of equals, as Counter.most_common
                part.contested = votes.get("mismatch", 0.0) > explained[code]
                part.codes = [code]
                part.message, part.smallest = self.first[(name, code)]
        # an output of zeros reads as a template's placeholder (loss = 0.0); where the forward is not zero on every
        # failing case, that zero was the bug's value there (a softmax over the batch of one sample), not a
        # placeholder: the smallest case that shows the bug otherwise explains it
        first = self.wrong_forwards[0] if self.wrong_forwards else None
        other = next((w for w in self.wrong_forwards if not w[0]), None)
        forward = self.parts.get("forward")
        if first is not None and first[0] and other is not None and forward is not None and \
                forward.message == first[1]:
            forward.message, forward.smallest = other[1], other[2]

    def _crash_reads(self) -> None:
        """A crash's reading goes with the gradients it crashed, before their `crashed`, as `gradlab check` lists
        [transposed, crashed]: to those whose values showed the same code where the shapes fit (`fitted`, or another
        case; dx, not the dW and db a wrong dx leaves right), else to every crashed gradient (the shapes do not say
        which)."""
        gradients = [p for name, p in self.parts.items() if name not in ("forward", "structure")]
        for code, message in self.crash_reads.items():
            crashed = [p for p in gradients if "crashed" in p.codes and code not in p.codes]
            showed = [p for p in crashed if self.fitted.get(p.component) == code or
                      code in self.votes.get(p.component, {})]
            for part in showed or crashed:
                part.codes = [code, *part.codes]
                part.message = f"{part.message}; {message}"

    def refuse_precision(self, result: CaseResult, required: str | None, spec: dict[str, Any],
                         display: dict[str, str]) -> None:
        """A gradient judged below the assignment's precision is refused: a clear message, no bug code."""
        for g in result.gradients:
            if required is not None and g.precision != required:
                self.fail(display.get(g.name, g.name), [],
                          f"refused: this assignment requires {required}, and your layer computes {g.name} in "
                          f"{g.precision} (an astype(np.float32), a float32 array or constant on the way); "
                          f"keep numpy's default {required} throughout", spec)

    def record(self, result: CaseResult, fwd: ForwardCheck | None, spec: dict[str, Any],
               display: dict[str, str], *, zero_output: bool = False, forward_ran: bool = False,
               vote: bool = True) -> None:
        """`zero_output`: the forward's output on this case was all zero. `forward_ran`: an extreme case's forward
        (judged on finiteness, with no `fwd`) returned, so a crash after it is backward's and costs forward nothing.
        `vote`: its gradients' codes vote (a case diagnosed without the layer's evidence does not)."""
        crashed = any(f.severity == FAIL and f.code == "crashed" for f in result.findings)
        if crashed and self.crashed_spec is None:
            self.crashed_spec = dict(spec)
        for f in result.findings:
            if f.severity != FAIL:
                continue
            if f.code == "crashed":
                for name in self.parts:
                    if name != "forward" or ((fwd is None or not fwd.ok) and not forward_ran):
                        self.fail(name, ["crashed"], f.message, spec)
            elif f.code == "non-finite":
                self.fail(display.get(f.gradient or "", "forward"), ["non-finite"], f.message, spec)
            elif f.gradient is None and f.code not in STRUCTURE_CODES and crashed:
                # a crash's shapes naming a gradient's bug (dout @ W where W.T belongs) is about that gradient, not
                # about inputs, parameters or samples left alone: it explains the crashed gradient (`settle`)
                self.crash_reads.setdefault(f.code, f.message)
            else:
                self.fail("structure", [f.code], f.message, spec)
        if fwd is not None and not fwd.ok:
            self.wrong_function = True
            # a forward whose samples depend on each other (a loss normalised over the batch, told by the loss law)
            # is wrong for that reason: named so, as `gradlab check` names it
            coupled = next((f for f in result.findings if f.severity == FAIL and f.code == "couples-samples"), None)
            message = fwd.message + (f"; {coupled.message}" if coupled else "")
            self.fail("forward", ["couples-samples" if coupled else "mismatch"], message, spec)
            self.wrong_forwards.append((zero_output, message, describe_spec(spec)))
        for g in result.gradients:
            if not g.passed:
                worst = ""
                if g.worst_index is not None and g.analytic_value is not None and g.numeric_value is not None:
                    idx = ", ".join(map(str, g.worst_index))
                    worst = f" (worst element [{idx}]: yours {g.analytic_value:.6g}, correct {g.numeric_value:.6g})"
                self.fail(display.get(g.name, g.name), [g.bug_code or "mismatch"], g.diagnosis + worst, spec, vote=vote)
