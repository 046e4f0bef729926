"""Step Functions Local's mock configuration file (``MockConfigFile.json``).

Format (docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html)::

    {"StateMachines": {"<machine name>": {"TestCases": {"<test case>": {"<state>": "<mocked response>"}}}},
     "MockedResponses": {"<mocked response>": {"0": {"Return": <any JSON>},
                                              "1-2": {"Throw": {"Error": "...", "Cause": "..."}}}}}

A test case maps Task state names to mocked responses. A mocked response maps
0-based invocation numbers of that state ("0", "1", or an inclusive range
"1-2") to exactly one of ``Return`` (the task's result, any JSON value) or
``Throw`` (``Error`` and ``Cause`` strings). An execution starts a test case by
naming it after the machine: ``<stateMachineArn>#<TestCase>``.

Behaviour (Step Functions Local 2.0.0), which the interpreter must follow:

* A state not in the test case is not mocked: its real integration runs
  (``TestCaseMocks.response`` returns None).
* The invocation number counts every invocation of that state in the
  execution: retries, re-entries from a loop and every Map iteration all
  advance one counter per state (so with a Map, use MaxConcurrency 1 for a
  predictable order, as AWS advises).
* No entry for an invocation number (past the last range, or a gap) does NOT
  reuse the last response: the AWS guide says a mocked Task needs a response
  for every invocation, else the execution fails; SFN Local fails the state with
  ``States.Runtime`` when it is entered. ``response`` raises ``MockMissing``
  (a ``StatesError`` of that name) for it.
* ``.waitForTaskToken`` tasks: SFN Local generates the task token itself; the
  mocked response is the task's result.

Checked here when loading (stricter than SFN Local, which finds some of these
only when a state is entered): the file's shape, range keys ("2-1" is not one),
overlapping ranges, Return together with Throw. A test case that names an
undefined mocked response is refused when that test case is selected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Union

from pydantic import BaseModel, ConfigDict, RootModel, ValidationError, model_validator

from sim.asl.errors import StatesError, StatesErrorName
from sim.errors import ConfigError
from sim.faults.plan import parse_range

TEST_CASE_SEPARATOR = "#"
_RANGE_KEY = re.compile(r"[0-9]+(?:-[0-9]+)?")


# -- the file, as written -------------------------------------------------------
class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RawThrow(_Raw):
    Error: str
    Cause: str


class RawResponse(_Raw):
    """One attempt entry: exactly one of Return / Throw."""

    Return: Any = None
    Throw: Optional[RawThrow] = None

    @model_validator(mode="before")
    @classmethod
    def _one_of(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if "Return" in data and "Throw" in data:
                raise ValueError("an attempt has either 'Return' or 'Throw', not both")
            if "Return" not in data and "Throw" not in data:
                raise ValueError("an attempt needs 'Return' (the result) or 'Throw' (Error and Cause)")
        return data

    @property
    def is_throw(self) -> bool:
        return self.Throw is not None


class RawTestCase(RootModel[dict[str, str]]):
    model_config = ConfigDict(frozen=True)


class RawStateMachine(_Raw):
    TestCases: dict[str, RawTestCase]


class RawMockConfig(_Raw):
    StateMachines: dict[str, RawStateMachine]
    MockedResponses: dict[str, dict[str, RawResponse]]


# -- what the interpreter asks --------------------------------------------------
@dataclass(frozen=True)
class MockReturn:
    value: Any


@dataclass(frozen=True)
class MockThrow:
    error: str
    cause: str


MockOutcome = Union[MockReturn, MockThrow]


class MockMissing(StatesError):
    """A mocked state was invoked more times than its mocked response covers."""

    def __init__(self, cause: str) -> None:
        super().__init__(StatesErrorName.RUNTIME, cause)


@dataclass(frozen=True)
class MockedResponse:
    """One entry of ``MockedResponses``: sorted, non-overlapping attempt ranges."""

    name: str
    ranges: tuple[tuple[int, int, MockOutcome], ...]

    def at(self, attempt: int) -> MockOutcome | None:
        for lo, hi, outcome in self.ranges:
            if lo <= attempt <= hi:
                return outcome
        return None


@dataclass(frozen=True)
class TestCaseMocks:
    """The mocks of one test case: state name -> mocked response."""

    __test__ = False  # not a pytest test class

    state_machine: str
    test_case: str
    states: Mapping[str, MockedResponse]
    source: str = "<mock config>"

    def response(self, state_name: str, attempt: int) -> MockOutcome | None:
        """The outcome of invocation ``attempt`` (0-based, counted per state per execution)
        of ``state_name``; None when the state is not mocked (run the real integration)."""
        mocked = self.states.get(state_name)
        if mocked is None:
            return None
        outcome = mocked.at(attempt)
        if outcome is None:
            covered = ", ".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi, _ in mocked.ranges) or "none"
            raise MockMissing(f"state '{state_name}' was invoked for the {_ordinal(attempt + 1)} time (attempt "
                              f"{attempt}) but mocked response '{mocked.name}' in {self.source} defines no entry "
                              f"for it (attempts defined: {covered})")
        return outcome


@dataclass(frozen=True)
class MockConfig:
    raw: RawMockConfig
    source: str = "<mock config>"

    @classmethod
    def load(cls, path_or_dict: Union[str, Path, Mapping[str, Any]]) -> "MockConfig":
        if isinstance(path_or_dict, Mapping):
            return cls.from_dict(path_or_dict, "<mock config>")
        path = Path(path_or_dict)
        if not path.is_file():
            raise ConfigError(f"{path}: mock config file not found")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "<mock config>") -> "MockConfig":
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: a mock config is a JSON object with 'StateMachines' and 'MockedResponses'")
        try:
            raw = RawMockConfig.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_format_errors(exc, source)) from None
        config = cls(raw, source)
        for name in raw.MockedResponses:
            config.mocked_response(name)  # range keys and overlaps, checked up front
        return config

    def test_case(self, state_machine_name: str, test_case: str) -> TestCaseMocks:
        machine = self.raw.StateMachines.get(state_machine_name)
        if machine is None:
            known = ", ".join(sorted(self.raw.StateMachines)) or "none"
            raise ConfigError(f"{self.source}: /StateMachines has no state machine '{state_machine_name}' "
                              f"(defined: {known})")
        case = machine.TestCases.get(test_case)
        if case is None:
            known = ", ".join(sorted(machine.TestCases)) or "none"
            raise ConfigError(f"{self.source}: /StateMachines/{state_machine_name}/TestCases has no test case "
                              f"'{test_case}' (defined: {known})")
        where = f"/StateMachines/{state_machine_name}/TestCases/{test_case}"
        states = {state: self._referenced(name, f"{where}/{state}") for state, name in case.root.items()}
        return TestCaseMocks(state_machine_name, test_case, states, self.source)

    def mocked_response(self, name: str) -> MockedResponse:
        entries = self.raw.MockedResponses[name]
        where = f"/MockedResponses/{name}"
        ranges = sorted(((*_range(key, f"{where}/{key}", self.source), _outcome(raw)) for key, raw in entries.items()),
                        key=lambda r: (r[0], r[1]))
        for (lo1, hi1, _), (lo2, hi2, _) in zip(ranges, ranges[1:]):
            if lo2 <= hi1:
                raise ConfigError(f"{self.source}: {where}: attempt ranges {_key(lo1, hi1)!r} and {_key(lo2, hi2)!r} "
                                  f"overlap; each invocation number may appear in one key only")
        return MockedResponse(name, tuple(ranges))

    def _referenced(self, name: str, where: str) -> MockedResponse:
        if name not in self.raw.MockedResponses:
            known = ", ".join(sorted(self.raw.MockedResponses)) or "none"
            raise ConfigError(f"{self.source}: {where} names mocked response '{name}', which /MockedResponses "
                              f"does not define (defined: {known})")
        return self.mocked_response(name)


def split_test_case(state_machine_arn: str) -> tuple[str, str | None]:
    """'arn:...:stateMachine:M#HappyPath' -> ('arn:...:stateMachine:M', 'HappyPath')."""
    arn, sep, case = state_machine_arn.partition(TEST_CASE_SEPARATOR)
    return arn, (case if sep else None)


def _range(key: str, where: str, source: str) -> tuple[int, int]:
    try:
        if not _RANGE_KEY.fullmatch(key):
            raise ValueError(key)
        return parse_range(key)
    except ValueError:
        raise ConfigError(f"{source}: {where}: {key!r} is not an invocation number or range; use 'N' or "
                          f"'N-M' with 0 <= N <= M (0 is the first invocation)") from None


def _outcome(raw: RawResponse) -> MockOutcome:
    if raw.Throw is not None:
        return MockThrow(raw.Throw.Error, raw.Throw.Cause)
    return MockReturn(raw.Return)


def _key(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _format_errors(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: the mock config does not validate ({exc.error_count()} problem(s)):"]
    for err in exc.errors():
        loc = "/" + "/".join(str(p) for p in err["loc"] if p != "root")
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  at {loc}: {msg}")
    return "\n".join(lines)
