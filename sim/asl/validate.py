"""Static validation of an Amazon States Language definition, before anything runs.

``validate(definition) -> list[Diagnostic]`` answers what AWS's
ValidateStateMachineDefinition (and CreateStateMachine's InvalidDefinition)
would: each diagnostic has a severity (ERROR blocks creating the machine,
WARNING does not), one of AWS's diagnostic codes (SCHEMA_VALIDATION_FAILED,
INVALID_JSON_DESCRIPTION, MISSING_TRANSITION_TARGET, ...), a JSON pointer into
the definition (``/States/Foo/Next``) and a message in AWS's wording where that
wording is known.  Nested machines (Parallel branches, Map item processors) are
validated recursively, with pointers into them.

``load(definition) -> dict`` is what the engine calls: the parsed definition, or
``AslDefinitionError`` listing every ERROR as (pointer, "CODE: message").

``validate_command`` is the ``shadowsim asl validate FILE.json`` command (the
lead registers it): diagnostics plus the data-flow lint (``sim.asl.lint``).

Field rules live in ``validate_fields`` (per state) and ``validate_rules``
(Retry / Catch / Choice rules); path syntax in ``validate_paths``.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import typer

from sim.asl.errors import AslDefinitionError
from sim.asl.validate_fields import check_state, escape
from sim.asl.validate_rules import JSONATA, JSONPATH, M_REQUIRED, M_UNSUPPORTED, is_int
from sim.cli import friendly
from sim.errors import ConfigError

ERROR, WARNING = "ERROR", "WARNING"
SCHEMA = "SCHEMA_VALIDATION_FAILED"
MAX_NAME = 80  # state names: at most 80 Unicode characters (ASL spec)
_TOP_FIELDS = {"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"}
_SUB_FIELDS = {"branch": {"Comment", "StartAt", "States", "QueryLanguage"},
               "processor": {"Comment", "StartAt", "States", "ProcessorConfig", "QueryLanguage"}}


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "ERROR" | "WARNING"
    code: str
    location: str  # JSON pointer into the definition ("" = the whole definition)
    message: str

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.severity} {self.code} {self.location or '/'}: {self.message}"


class Report:
    """Collects diagnostics; the checkers call ``error`` / ``warning``."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, location: str, message: str, code: str = SCHEMA) -> None:
        self.items.append(Diagnostic(ERROR, code, location, message))

    def warning(self, location: str, message: str, code: str) -> None:
        self.items.append(Diagnostic(WARNING, code, location, message))


class _Obj(dict):
    """A parsed JSON object that remembers keys it saw twice (``dups``)."""

    dups: tuple = ()


def _pairs(pairs: list) -> _Obj:
    obj, seen, dups = _Obj(), set(), []
    for k, v in pairs:
        if k in seen:
            dups.append(k)
        seen.add(k)
        obj[k] = v
    obj.dups = tuple(dups)
    return obj


# ---------------------------------------------------------------- entry points

def validate(definition: dict | str | None) -> list[Diagnostic]:
    """Every problem AWS would report for ``definition`` (a dict or JSON text)."""
    rep = Report()
    parsed = _parse(definition, rep)
    if parsed is not None:
        _check_top(parsed, rep)
    return rep.items


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == ERROR]


def load(definition: dict | str) -> dict:
    """The definition as a dict, or AslDefinitionError with every ERROR diagnostic."""
    bad = errors(validate(definition))
    if bad:
        raise AslDefinitionError([(d.location, f"{d.code}: {d.message}") for d in bad])
    return json.loads(definition) if isinstance(definition, str) else definition


def _parse(definition: Any, rep: Report) -> dict | None:
    if definition is None or (isinstance(definition, str) and not definition.strip()):
        rep.error("", "Received a null or empty workflow input.", "MISSING_DESCRIPTION")
        return None
    value = definition
    if isinstance(definition, str):
        try:
            value = json.loads(definition, object_pairs_hook=_pairs)
        except json.JSONDecodeError as exc:
            rep.error("", f"Invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                      "INVALID_JSON_DESCRIPTION")
            return None
    if not isinstance(value, dict):
        rep.error("", "The definition must be a JSON object with the fields StartAt and States")
        return None
    return value


# ---------------------------------------------------------------- machine structure

class _Walk:
    """State-name bookkeeping shared by a machine and all its nested machines."""

    def __init__(self, rep: Report, top_ql: str) -> None:
        self.rep, self.top_ql = rep, top_ql
        self.names: dict[str, str] = {}  # state name -> pointer of its first declaration

    def machine(self, m: Any, ptr: str, kind: str = "top") -> None:
        if not isinstance(m, dict):
            self.rep.error(ptr, "A state machine must be a JSON object with the fields StartAt and States")
            return
        allowed = _TOP_FIELDS if kind == "top" else _SUB_FIELDS[kind]
        for f in m:
            if f not in allowed:
                self.rep.error(f"{ptr}/{escape(f)}", M_UNSUPPORTED.format(f))
        if kind == "processor":
            _processor_config(m.get("ProcessorConfig"), f"{ptr}/ProcessorConfig", self.rep)
        states = self.states(m, ptr)
        if states is None:
            return
        default = m.get("QueryLanguage") if m.get("QueryLanguage") in (JSONPATH, JSONATA) else self.top_ql
        for name, state in states.items():
            self.state_name(name, f"{ptr}/States/{escape(name)}")
            check_state(state, f"{ptr}/States/{escape(name)}", state_ql(state, default), self.rep, self.machine)
        _check_graph(m, states, ptr, self.rep)

    def states(self, m: dict, ptr: str) -> dict | None:
        missing = [f for f in ("StartAt", "States") if f not in m]
        if missing:
            self.rep.error(ptr, M_REQUIRED.format(", ".join(missing)))
        if "StartAt" in m and type(m["StartAt"]) is not str:
            self.rep.error(f"{ptr}/StartAt", "The value of 'StartAt' must be a state name (a string)")
        states = m.get("States")
        if "States" in m and (not isinstance(states, dict) or not states):
            self.rep.error(f"{ptr}/States", "The field 'States' should be non-empty")
            return None
        for name in getattr(states, "dups", ()):
            self.rep.error(f"{ptr}/States/{escape(name)}", f"Duplicate State name: {name}", "DUPLICATE_STATE_NAME")
        return states

    def state_name(self, name: str, ptr: str) -> None:
        if not name or len(name) > MAX_NAME:
            self.rep.error(ptr, f"The state name must be 1 to {MAX_NAME} characters long, but "
                                f"'{name[:20]}...' has {len(name)}", "INVALID_STATE_NAME")
        if name in self.names:
            self.rep.error(ptr, f"Duplicate State name: {name} (also declared at {self.names[name]})",
                           "DUPLICATE_STATE_NAME")
        else:
            self.names[name] = ptr



def state_ql(state: Any, default: str) -> str:
    """A state's query language: its own QueryLanguage, else its machine's."""
    ql = state.get("QueryLanguage") if isinstance(state, dict) else None
    return ql if ql in (JSONPATH, JSONATA) else default


def _check_top(d: dict, rep: Report) -> None:
    ql = d.get("QueryLanguage", JSONPATH)
    if ql not in (JSONPATH, JSONATA):
        rep.error("/QueryLanguage", "Value should be one of the following: [JSONPath, JSONata]")
        ql = JSONPATH
    if "Version" in d and d["Version"] != "1.0":
        rep.error("/Version", "Value should be one of the following: [1.0]")
    if "TimeoutSeconds" in d and not (is_int(d["TimeoutSeconds"]) and d["TimeoutSeconds"] >= 0):
        rep.error("/TimeoutSeconds", "The value of 'TimeoutSeconds' must be an integer >= 0")
    if "Comment" in d and type(d["Comment"]) is not str:
        rep.error("/Comment", "The value of 'Comment' must be a string")
    _check_state_languages(d, ql, rep)
    _Walk(rep, ql).machine(d, "")


def _check_state_languages(d: dict, top_ql: str, rep: Report) -> None:
    for ptr, state in iter_states(d):
        ql = state.get("QueryLanguage")
        if "QueryLanguage" in state and ql not in (JSONPATH, JSONATA):
            rep.error(f"{ptr}/QueryLanguage", "Value should be one of the following: [JSONPath, JSONata]")
        elif top_ql == JSONATA and ql == JSONPATH:
            rep.error(f"{ptr}/QueryLanguage",
                      "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")


def _processor_config(cfg: Any, ptr: str, rep: Report) -> None:
    if cfg is None:
        return
    if not isinstance(cfg, dict):
        rep.error(ptr, "The value of 'ProcessorConfig' must be a JSON object")
        return
    mode = cfg.get("Mode", "INLINE")
    if mode not in ("INLINE", "DISTRIBUTED"):
        rep.error(f"{ptr}/Mode", "Value should be one of the following: [INLINE, DISTRIBUTED]")
    if mode == "DISTRIBUTED" and cfg.get("ExecutionType") not in ("STANDARD", "EXPRESS"):
        rep.error(ptr, M_REQUIRED.format("ExecutionType") if "ExecutionType" not in cfg
                  else "Value should be one of the following: [STANDARD, EXPRESS]")
    if mode == "INLINE" and "ExecutionType" in cfg:
        rep.error(f"{ptr}/ExecutionType", M_UNSUPPORTED.format("ExecutionType"))


def iter_states(machine: dict, ptr: str = "") -> Iterator[tuple[str, dict]]:
    """(pointer, state) for every state object of ``machine`` and its nested machines."""
    states = machine.get("States") if isinstance(machine, dict) else None
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        p = f"{ptr}/States/{escape(name)}"
        yield p, state
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from iter_states(state[key], f"{p}/{key}")
        for i, branch in enumerate(state.get("Branches") or [] if isinstance(state.get("Branches"), list) else []):
            yield from iter_states(branch, f"{p}/Branches/{i}")


# ---------------------------------------------------------------- transitions

def transitions(state: Any) -> list[tuple[str, str, str]]:
    """(pointer suffix, target, field) of every transition a state declares."""
    if not isinstance(state, dict):
        return []
    out = []
    for f in ("Next", "Default"):
        if type(state.get(f)) is str:
            out.append((f"/{f}", state[f], f))
    for block, field in (("Choices", "Next"), ("Catch", "Next")):
        entries = state.get(block)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, dict) and type(entry.get(field)) is str:
                out.append((f"/{block}/{i}/{field}", entry[field], field))
    return out


def _check_graph(m: dict, states: dict, ptr: str, rep: Report) -> None:
    start = m.get("StartAt")
    if type(start) is str and start not in states:
        rep.error(f"{ptr}/StartAt", f"Missing 'StartAt' target: {start}", "MISSING_TRANSITION_TARGET")
    for name, state in states.items():
        for suffix, target, field in transitions(state):
            if target not in states:
                rep.error(f"{ptr}/States/{escape(name)}{suffix}", f"Missing '{field}' target: {target}",
                          "MISSING_TRANSITION_TARGET")
    if type(start) is str and start in states:
        seen = reachable(states, start)
        for name in states:
            if name not in seen:
                rep.error(f"{ptr}/States/{escape(name)}", f'State "{name}" is not reachable.',
                          "MISSING_TRANSITION_TARGET")
    if not any(_terminal(s) for s in states.values()):
        rep.error(f"{ptr}/States", "The workflow does not have a terminal state.", "MISSING_END_STATE")


def reachable(states: dict, start: str) -> set[str]:
    seen, todo = {start}, deque([start])
    while todo:
        for _, target, _ in transitions(states[todo.popleft()]):
            if target in states and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _terminal(state: Any) -> bool:
    return isinstance(state, dict) and (state.get("End") is True or state.get("Type") in ("Succeed", "Fail"))


# ---------------------------------------------------------------- command line

@friendly
def validate_command(file: Path = typer.Argument(..., help="A state machine definition (.asl.json)."),
                     as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Validate a state machine definition as AWS would, then lint its data flow."""
    from sim.asl.lint import lint

    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the state machine definition {file}: {exc.strerror or exc}; "
                          f"pass the path of an ASL JSON file") from None
    diagnostics = validate(text)
    findings = [] if errors(diagnostics) else lint(json.loads(text))
    if as_json:
        print(json.dumps({"diagnostics": [d.to_dict() for d in diagnostics],
                          "findings": [f.to_dict() for f in findings]}, indent=2, ensure_ascii=False))
    else:
        _print_text(file, diagnostics, findings)
    if errors(diagnostics):
        raise typer.Exit(1)


def _print_text(file: Path, diagnostics: list[Diagnostic], findings: list) -> None:
    for d in diagnostics:
        typer.echo(f"{d.severity:<7} {d.code} {d.location or '/'}: {d.message}")
    for f in findings:
        typer.echo(f"LINT    {f.kind} {f.pointer}: {f.message}")
        for line in f.evidence:
            typer.echo(f"          {line}")
    n_err = len(errors(diagnostics))
    typer.echo(f"{file}: {n_err} error(s), {len(diagnostics) - n_err} warning(s), "
               f"{len(findings)} data-flow finding(s)" + ("" if not n_err else " (lint skipped: fix the errors)"))
