"""Scoring the ASL interpreter against the conformance corpus (recorded AWS results).

The corpus format and the scoring rules are those of the corpus README
(``/work/shared/conformance/asl/README.md``); ``score`` implements them:

1. the status must be equal;
2. SUCCEEDED: delete every ``ignore_paths`` location from both outputs, check
   each ``output_patterns`` regex against the actual string there (then delete
   it from both), and compare what is left as JSON values (key order ignored,
   numbers by value: 1 == 1.0, but true != 1);
3. FAILED: ``error`` equal (or matching ``error_pattern``), ``cause`` equal (or
   matching ``cause_pattern``); an expected cause that is a JSON object/array
   means the actual cause must parse as JSON and equal it, where a placeholder
   string (``<uuid:1>``, ``<request_id>``, ``start-date``) matches any value and
   a ``<...>`` inside a longer string matches any text there. An ``error`` or
   ``cause`` absent from ``expected`` must be absent, null or empty (inside a
   JSON-document cause too: a key the recorded document lacks may be null or
   empty). Placeholders count only in causes; outputs rely on ``ignore_paths`` /
   ``output_patterns``. TIMED_OUT checks the status only.

``run_corpus`` runs every case through a runner (``runner(case) -> actual``;
``NotRunnable`` means "skip, counted as not run") and builds a ``Report``.
"""

from __future__ import annotations

import contextlib
import copy
import fnmatch
import json
import re
import sys
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

import typer

from sim.asl.conformance_report import FAIL, NOT_RUN, PASS, CaseResult, Report, load_known_gaps, print_report
from sim.cli import friendly
from sim.errors import ConfigError

STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT")
REQUIRED = ("id", "category", "definition", "expected")
_IGNORED = object()  # what an ignored array element becomes on both sides (indices stay put)
_PLACEHOLDER = re.compile(r"<[^<>\s]+>")  # <uuid:1>, <request_id>, <ArnPart_0idx>
_BARE_PLACEHOLDER = re.compile(r"(?:[a-z]+-)*date")  # date, start-date, stop-date, creation-date
SHORT = 80


@dataclass(frozen=True)
class Actual:
    """An execution's result as ``score`` reads it (any object or dict with these names will do)."""

    status: str
    output: Any = None  # the parsed JSON value, not the JSON text
    error: str | None = None
    cause: Any = None  # AWS's string (a JSON document's text where AWS quoted one)

    @classmethod
    def from_describe(cls, described: Mapping[str, Any]) -> "Actual":
        """From a DescribeExecution / StartSyncExecution response (``output`` is JSON text there)."""
        output = described.get("output")
        return cls(described["status"], json.loads(output) if isinstance(output, str) else output,
                   described.get("error"), described.get("cause"))


class NotRunnable(Exception):
    """Raised by a runner: the case cannot be run here (a need is not emulated); counted as not run."""


class _Diff(Exception):
    """The first difference found while comparing two JSON values."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, message)
        self.path, self.message = path, message


# -- loading -----------------------------------------------------------------
def load_cases(directory: str | Path) -> list[dict]:
    """Every ``*.json`` case in ``directory``, sorted by file name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"{directory}: not a directory; pass the corpus folder (e.g. .../conformance/asl/dev)")
    files = sorted(directory.glob("*.json"))
    if not files:
        raise ConfigError(f"{directory}: no *.json case files in this folder")
    cases, seen = [], {}
    for path in files:
        case = _load_case(path)
        if case["id"] in seen:
            raise ConfigError(f"{path}: case id {case['id']!r} is also used by {seen[case['id']].name}")
        seen[case["id"]] = path
        cases.append(case)
    return cases


def _load_case(path: Path) -> dict:
    try:
        case = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}:{exc.colno}: corrupt case, not valid JSON ({exc.msg})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the case ({exc})") from None
    if not isinstance(case, dict):
        raise ConfigError(f"{path}: corrupt case, expected a JSON object")
    missing = [k for k in REQUIRED if k not in case]
    if missing:
        raise ConfigError(f"{path}: corrupt case, missing {', '.join(missing)}")
    expected = case["expected"]
    if not isinstance(expected, dict) or expected.get("status") not in STATUSES:
        raise ConfigError(f"{path}: corrupt case, expected.status must be one of {', '.join(STATUSES)}")
    if not isinstance(case.get("needs", []), list):
        raise ConfigError(f"{path}: corrupt case, 'needs' must be a list")
    return case


# -- scoring -----------------------------------------------------------------
def score(case: dict, actual: Any) -> tuple[bool, str]:
    """(passed, reason) for one case; ``actual`` has status, output, error, cause
    (attributes or dict keys); ``output`` is the parsed JSON value, ``cause`` AWS's string."""
    expected = case["expected"]
    status = _field(actual, "status")
    if status != expected["status"]:
        return False, _status_reason(expected, actual)
    try:
        if status == "SUCCEEDED":
            _check_output(expected, _field(actual, "output"))
        elif status == "FAILED":
            _check_failure(expected, _field(actual, "error"), _field(actual, "cause"))
    except _Diff as diff:
        return False, diff.message
    return True, "ok"


def _field(actual: Any, name: str) -> Any:
    return actual.get(name) if isinstance(actual, dict) else getattr(actual, name, None)


def _status_reason(expected: dict, actual: Any) -> str:
    reason = f"status {_field(actual, 'status')} != {expected['status']}"
    error, cause = _field(actual, "error"), _field(actual, "cause")
    if error or cause:
        return f"{reason} (error {error}: {_short(cause, 160, raw=True)})"
    if expected.get("error"):
        return f"{reason} (expected error {expected['error']})"
    return reason


def _check_output(expected: dict, output: Any) -> None:
    a, e = copy.deepcopy(output), copy.deepcopy(expected.get("output"))
    for path in expected.get("ignore_paths", []):
        a, e = _delete(a, path), _delete(e, path)
    for pattern in expected.get("output_patterns", []):
        _check_pattern(a, pattern["path"], pattern["regex"])
        a, e = _delete(a, pattern["path"]), _delete(e, pattern["path"])
    try:
        _compare(e, a, "")
    except _Diff as diff:
        raise _Diff(diff.path, f"output differs at {diff.path or '/'}: {diff.message}") from None


def _check_pattern(doc: Any, path: list, regex: str) -> None:
    where = _pointer(path)
    found, value = _lookup(doc, path)
    if not found:
        raise _Diff(where, f"output at {where}: nothing there (output_patterns expects a string)")
    if not isinstance(value, str):
        raise _Diff(where, f"output at {where}: expected a string matching the pattern, got {_short(value)}")
    if not re.fullmatch(regex, value, re.DOTALL):
        raise _Diff(where, f"output at {where}: {_short(value, 160)} does not match /{_short(regex, 160, raw=True)}/")


def _check_failure(expected: dict, error: Any, cause: Any) -> None:
    _check_text("error", error, expected.get("error"), expected.get("error_pattern"), "error" in expected)
    if isinstance(expected.get("cause"), (dict, list)) and "cause_pattern" not in expected:
        _check_document_cause(expected["cause"], cause)
    else:
        _check_text("cause", cause, expected.get("cause"), expected.get("cause_pattern"), "cause" in expected)


def _check_text(name: str, actual: Any, expected: Any, pattern: str | None, present: bool) -> None:
    if pattern is not None:
        if not isinstance(actual, str) or not re.fullmatch(pattern, actual, re.DOTALL):
            raise _Diff(name, f"{name} {_short(actual, 160)} does not match /{_short(pattern, 160, raw=True)}/")
    elif not present:
        if not _empty(actual):
            raise _Diff(name, f"{name} should be absent, got {_short(actual, 160)}")
    elif actual != expected:
        raise _Diff(name, f"{name} {_short(actual, 160)} != {_short(expected, 160)}")


def _check_document_cause(expected: Any, cause: Any) -> None:
    doc = cause
    if isinstance(cause, (str, bytes)):
        try:
            doc = json.loads(cause)
        except ValueError:
            raise _Diff("cause", f"cause is not a JSON document: {_short(cause, 160)}") from None
    try:
        _compare(expected, doc, "", placeholders=True)
    except _Diff as diff:
        raise _Diff(diff.path, f"cause differs at {diff.path or '/'}: {diff.message}") from None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


# -- JSON comparison ---------------------------------------------------------
def _compare(e: Any, a: Any, path: str, placeholders: bool = False) -> None:
    """Raise _Diff at the first place ``a`` differs from ``e``."""
    if placeholders and isinstance(e, str) and _placeholder_matches(e, a):
        return
    if isinstance(e, dict) and isinstance(a, dict):
        _compare_objects(e, a, path, placeholders)
    elif isinstance(e, list) and isinstance(a, list):
        _compare_arrays(e, a, path, placeholders)
    elif not _scalar_equal(e, a):
        raise _Diff(path, f"expected {_short(e)}, got {_short(a)}")


def _compare_objects(e: dict, a: dict, path: str, placeholders: bool) -> None:
    for key in e:
        sub = f"{path}/{_escape_key(key)}"
        if key not in a:
            raise _Diff(sub, f"expected {_short(e[key])}, got nothing (key absent)")
        _compare(e[key], a[key], sub, placeholders)
    for key in a:
        if key not in e and not (placeholders and _empty(a[key])):  # in a cause: absent = null/empty
            raise _Diff(f"{path}/{_escape_key(key)}", f"unexpected key (got {_short(a[key])})")


def _compare_arrays(e: list, a: list, path: str, placeholders: bool) -> None:
    for i, (x, y) in enumerate(zip(e, a)):
        _compare(x, y, f"{path}/{i}", placeholders)
    if len(e) != len(a):
        raise _Diff(path or "/", f"expected {len(e)} items, got {len(a)}")


def _scalar_equal(e: Any, a: Any) -> bool:
    if e is _IGNORED or a is _IGNORED:
        return e is a
    if _is_number(e) and _is_number(a):
        return e == a
    if type(e) is not type(a):
        return False
    return e == a


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _placeholder_matches(expected: str, actual: Any) -> bool:
    """A whole-string placeholder matches any value; one inside a longer string matches any text."""
    if _PLACEHOLDER.fullmatch(expected) or _BARE_PLACEHOLDER.fullmatch(expected):
        return True
    pieces = _PLACEHOLDER.split(expected)
    if len(pieces) == 1 or not isinstance(actual, str):
        return False
    return re.fullmatch(".+?".join(re.escape(p) for p in pieces), actual, re.DOTALL) is not None


# -- paths -------------------------------------------------------------------
def _lookup(doc: Any, path: list) -> tuple[bool, Any]:
    for step in path:
        if isinstance(doc, dict) and isinstance(step, str) and step in doc:
            doc = doc[step]
        elif isinstance(doc, list) and _is_index(step) and -len(doc) <= step < len(doc):
            doc = doc[step]
        else:
            return False, None
    return True, doc


def _delete(doc: Any, path: list) -> Any:
    """``doc`` without the value at ``path`` (an object key is removed; an array item becomes
    ``_IGNORED`` on both sides so later indices keep their meaning). Mutates ``doc``."""
    if not path:
        return _IGNORED
    found, parent = _lookup(doc, path[:-1])
    last = path[-1]
    if found and isinstance(parent, dict) and isinstance(last, str):
        parent.pop(last, None)
    elif found and isinstance(parent, list) and _is_index(last) and -len(parent) <= last < len(parent):
        parent[last] = _IGNORED
    return doc


def _is_index(step: Any) -> bool:
    return isinstance(step, int) and not isinstance(step, bool)


def _pointer(path: list) -> str:
    return "/" + "/".join(_escape_key(str(p)) for p in path)


def _escape_key(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _short(value: Any, limit: int = SHORT, raw: bool = False) -> str:
    if value is _IGNORED:
        text = "(ignored)"
    elif raw and isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- running -----------------------------------------------------------------
Runner = Callable[[dict], Any]


def run_one(case: dict, runner: Runner) -> CaseResult:
    """One case's outcome; never raises for a runner's or a scorer's error."""
    outcome, reason = _outcome(case, runner)
    return CaseResult(case["id"], case["category"], tuple(case.get("needs") or ()), outcome, reason)


def _outcome(case: dict, runner: Runner) -> tuple[str, str]:
    try:
        actual = runner(case)
    except NotRunnable as exc:
        return NOT_RUN, str(exc) or "not runnable"
    except Exception as exc:  # a crash in the interpreter is a failed case, not a failed run
        return FAIL, f"runner raised {type(exc).__name__}: {_short(str(exc), 200, raw=True)}"
    try:
        passed, reason = score(case, actual)
    except Exception as exc:  # e.g. a malformed expectation in the case
        return FAIL, f"scoring raised {type(exc).__name__}: {_short(str(exc), 200, raw=True)}"
    return (PASS if passed else FAIL), reason


def run_corpus(directory: str | Path, runner: Runner, known_gaps_file: str | Path | None = None,
               select: str | None = None) -> Report:
    """Run every case in ``directory`` (``select``: only ids matching this glob or containing it)."""
    gaps = load_known_gaps(known_gaps_file) if known_gaps_file else {}
    cases = load_cases(directory)
    if select:
        cases = [c for c in cases if select in c["id"] or fnmatch.fnmatchcase(c["id"], select)]
        if not cases:
            raise ConfigError(f"no case id in {directory} matches {select!r}")
    return Report([run_one(case, runner) for case in cases], gaps)


def harness_runner() -> Runner:
    """The interpreter's runner (``sim.asl.harness.run_case``), imported only when needed."""
    from sim.asl.harness import run_case as harness_run_case

    return harness_run_case


@friendly
def conformance_command(
        directory: Path = typer.Argument(..., help="A folder of conformance cases (*.json)."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
        known_gaps: Optional[Path] = typer.Option(None, "--known-gaps",
                                                  help="YAML list of {id, reason}: cases allowed to fail."),
        only: Optional[str] = typer.Option(None, "--only", help="Run only case ids matching this glob or substring."),
) -> None:
    """Run the ASL conformance corpus and score each case against its recorded AWS result."""
    runner = harness_runner()
    if as_json:
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries exactly one JSON object
            report = run_corpus(directory, runner, known_gaps, only)
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        report = run_corpus(directory, runner, known_gaps, only)
        print_report(report)
    if not report.ok:
        raise typer.Exit(1)
