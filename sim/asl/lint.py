"""Data-flow lint: paths a state reads that some incoming edge has certainly lost.

``lint(definition) -> list[Finding]`` walks every edge of the machine (the
start, Next, Choice rules and Default, Catch) carrying what is *known* about
the JSON flowing along it (``lint_shapes``), and checks every path a state
reads: InputPath, Parameters / ItemSelector ``key.$`` values and the path
arguments of intrinsic calls, ItemsPath, Choice Variables, SecondsPath,
TimestampPath, TimeoutSecondsPath, HeartbeatSecondsPath, ErrorPath, CausePath,
MaxConcurrencyPath, ToleratedFailure*Path, ResultSelector and OutputPath.

A finding is reported only when the field is *certainly* missing on that edge,
so each one is a run-time failure (States.Runtime, which no Retry or Catch
handles) whenever the execution takes that edge, e.g.: a Catch without
ResultPath replaces the input with ``{Error, Cause}``; a Pass ``Result`` or
``Parameters`` rebuilds it; an OutputPath narrows it; a Parallel's output is an
array.  Results of Tasks, and the execution input, are unknown: reading them
is never reported.  Facts are kept per path (not merged at joins) so a field
lost on one incoming edge is found even if another edge keeps it.

Choice rules are also checked for branches that can never be taken
(``kind="dead-branch"``): every input reaching the Choice certainly fails the
rule, or the rule tests ``IsPresent`` on a field that the machine writes itself
(with a ResultPath) but that is not written on any path reaching the Choice,
so it matches only if the execution input already carried that field.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from sim.asl.lint_shapes import ABSENT, Shape, Unknown, describe, join, lookup, truncate
from sim.asl.lint_states import Edge, step_state
from sim.asl.validate import iter_states, load, state_ql
from sim.asl.validate_fields import escape
from sim.asl.validate_paths import definite_steps

TRAIL = 8  # edges kept as evidence
CAP = 24  # distinct input shapes kept per state before widening
BUDGET = 20000  # state visits per lint run


@dataclass(frozen=True)
class Finding:
    pointer: str  # JSON pointer of the field that reads the path (or of the Choice rule)
    state: str
    message: str
    evidence: tuple[str, ...]
    kind: str = "missing-field"  # | "dead-branch"
    error: str | None = "States.Runtime"  # what the execution fails with (None: no failure)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["evidence"] = list(self.evidence)
        return d


@dataclass(frozen=True)
class Fact:
    shape: Shape
    trail: tuple[str, ...]
    note: str | None = None


def lint(definition: dict | str) -> list[Finding]:
    """Data-flow findings; an invalid definition raises AslDefinitionError (see ``validate.load``)."""
    d = load(definition)
    linter = Linter(d)
    linter.sub(d, "", Unknown("input"), ())
    return linter.report()


class Linter:
    """State shared by the top machine and its nested machines."""

    def __init__(self, definition: dict) -> None:
        self.top_ql = state_ql(definition, "JSONPath")
        self.findings: dict[tuple, Finding] = {}
        self.choices: dict[tuple, dict] = {}  # (state pointer, rule index) -> verdicts
        self.choice_states: dict[str, tuple[str, dict]] = {}  # pointer -> (name, state)
        self.cache: dict[tuple, Shape] = {}
        self.budget = BUDGET
        self.writers = _writers(definition)

    def sub(self, machine: Any, ptr: str, start: Shape, trail: tuple) -> Shape:
        """Analyse a (nested) machine from ``start``; its output shape."""
        key = (ptr, start)
        if key not in self.cache:
            self.cache[key] = Unknown()  # recursion guard
            self.cache[key] = Flow(self, machine, ptr).run(start, trail) if isinstance(machine, dict) else Unknown()
        return self.cache[key]

    def report(self) -> list[Finding]:
        self._dead_branches()
        return sorted(self.findings.values(), key=lambda f: (f.pointer, f.evidence))

    def _dead_branches(self) -> None:
        for ptr, (name, state) in self.choice_states.items():
            for i, rule in enumerate(state.get("Choices") or []):
                info = self.choices.get((ptr, i))
                if info is None or info["live"]:
                    continue  # never evaluated (an earlier rule failed): nothing certain to say
                self._dead(ptr, name, i, rule, info)

    def _dead(self, ptr: str, name: str, i: int, rule: dict, info: dict) -> None:
        target = rule.get("Next") if isinstance(rule, dict) else None
        test = f"{rule.get('Variable')} IsPresent" if isinstance(rule, dict) and "IsPresent" in rule else "its test"
        message = (f"Choices #{i} of '{name}' ({test} -> '{target}') can never match on the paths that reach "
                   f"'{name}', so '{target}' is never entered from here")
        if info["input"]:
            message += " unless the execution input itself carries that field"
        self.findings[(f"{ptr}/Choices/{i}", "dead")] = Finding(
            f"{ptr}/Choices/{i}", name, message, tuple(info["why"]), "dead-branch", None)


def _writers(definition: dict) -> dict[tuple[str, str], list[str]]:
    """(machine pointer, top-level key) written by a ResultPath of that machine's states -> where."""
    out: dict[tuple[str, str], list[str]] = {}
    for ptr, state in iter_states(definition):
        scope = ptr.rsplit("/States/", 1)[0]
        spots = [(f"{ptr}/ResultPath", state.get("ResultPath"))]
        spots += [(f"{ptr}/Catch/{i}/ResultPath", c.get("ResultPath"))
                  for i, c in enumerate(state.get("Catch") or []) if isinstance(c, dict)]
        for where, path in spots:
            steps = definite_steps(path) if type(path) is str else None
            if steps and steps[0][0] == "key":
                out.setdefault((scope, steps[0][1]), []).append(where)
    return out


class Flow:
    """The worklist over one machine's edges."""

    def __init__(self, linter: Linter, machine: dict, ptr: str) -> None:
        self.linter, self.machine, self.ptr = linter, machine, ptr
        self.states = machine.get("States") if isinstance(machine.get("States"), dict) else {}
        self.ql = state_ql(machine, linter.top_ql)
        self.facts: dict[str, dict[tuple, Fact]] = {}
        self.outputs: list[Shape] = []
        self.todo: deque = deque()

    def run(self, start: Shape, trail: tuple) -> Shape:
        first = self.machine.get("StartAt")
        self.add(first, Fact(start, (trail + (f"start → {first}",))[-TRAIL:]))
        while self.todo and self.linter.budget > 0:
            self.linter.budget -= 1
            name, fact = self.todo.popleft()
            cx = Ctx(self, name, fact)
            for edge in step_state(cx):
                self.follow(fact, edge)
        out = None
        for shape in self.outputs:
            out = shape if out is None else join(out, shape)
        return out if out is not None else Unknown()

    def follow(self, fact: Fact, edge: Edge) -> None:
        trail = (fact.trail + (edge.label,))[-TRAIL:]
        self.add(edge.target, Fact(truncate(edge.shape), trail, edge.note or fact.note))

    def add(self, name: Any, fact: Fact) -> None:
        if name not in self.states or not isinstance(self.states[name], dict):
            return
        seen = self.facts.setdefault(name, {})
        key = (fact.shape, fact.trail[-1])
        if key in seen:
            return
        if len(seen) >= CAP:
            old = seen.get(("*",))
            shape = join(old.shape, fact.shape) if old else fact.shape
            if old and shape == old.shape:
                return
            key, fact = ("*",), Fact(shape, fact.trail, "several paths merged")
        seen[key] = fact
        self.todo.append((name, fact))


class Ctx:
    """What a transfer function sees of one state visit (see ``lint_states``)."""

    def __init__(self, flow: Flow, name: str, fact: Fact) -> None:
        self.flow, self.name, self.fact = flow, name, fact
        self.state = flow.states[name]
        self.ptr = f"{flow.ptr}/States/{escape(name)}"
        self.ql = state_ql(self.state, flow.ql)

    # ------------------------------------------------------------ results
    def output(self, shape: Shape) -> None:
        self.flow.outputs.append(shape)

    def sub_processor(self, item: Shape) -> Shape:
        key = "ItemProcessor" if "ItemProcessor" in self.state else "Iterator"
        trail = self.fact.trail + (f"{self.name} → its {key} (one item)",)
        return self.flow.linter.sub(self.state.get(key), f"{self.ptr}/{key}", item, trail)

    def sub_branches(self, branch_input: Shape) -> tuple:
        branches = self.state.get("Branches") or []
        return tuple(self.flow.linter.sub(b, f"{self.ptr}/Branches/{i}", branch_input,
                                          self.fact.trail + (f"{self.name} → branch #{i}",))
                     for i, b in enumerate(branches))

    def written(self, steps: tuple) -> bool:
        return steps[0][0] == "key" and (self.flow.ptr, steps[0][1]) in self.flow.linter.writers

    # ------------------------------------------------------------ findings
    def missing(self, pointer: str, path: str, cause: str, doc: Shape) -> None:
        edge = self.fact.trail[-1]
        evidence = self.fact.trail + (f"input of '{self.name}' on that edge: {describe(doc)}",)
        if self.fact.note:
            evidence += (f"because {self.fact.note}",)
        evidence += (f"at run time: States.Runtime: {cause}",)
        message = (f"'{self.name}' reads {path}, which is certainly missing when it is entered via "
                   f"[{edge}]: the execution fails there with States.Runtime")
        self.flow.linter.findings.setdefault((pointer, path, edge), Finding(pointer, self.name, message, evidence))

    def choice_verdict(self, i: int, rule: Any, verdict: str, cur: Shape) -> None:
        linter = self.flow.linter
        linter.choice_states[self.ptr] = (self.name, self.state)
        info = linter.choices.setdefault((self.ptr, i), {"live": False, "input": False, "why": []})
        info["live"] |= verdict in ("yes", "unknown")
        if verdict in ("no", "input") and len(info["why"]) < 6:
            info["input"] |= verdict == "input"
            info["why"].append(self._why(rule, verdict, cur))

    def _why(self, rule: dict, verdict: str, cur: Shape) -> str:
        var = rule.get("Variable")
        edge = self.fact.trail[-1]
        steps = definite_steps(var) or ()
        if verdict == "input":
            writers = ", ".join(self.flow.linter.writers.get((self.flow.ptr, steps[0][1]), []))
            return (f"via [{edge}]: {var} is not written on this path (the machine writes it only at {writers}); "
                    f"the input here is {describe(cur)}" + (f", because {self.fact.note}" if self.fact.note else ""))
        status = lookup(cur, steps)[0] if steps else "?"
        state = "absent" if status == ABSENT else "present"
        return f"via [{edge}]: {var} is {state}; the input here is {describe(cur)}"
