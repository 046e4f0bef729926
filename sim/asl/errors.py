"""ASL error names and the one exception the interpreter raises for them.

A ``StatesError`` is an error *inside* an execution: it can be retried and
caught (or not, for the terminal ones) and ends the execution as FAILED with
``error`` and ``cause``. Errors in the definition itself are ``AslDefinitionError``
(found before anything runs).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any


class StatesErrorName(StrEnum):
    """The predefined error names (docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""

    ALL = "States.ALL"
    BRANCH_FAILED = "States.BranchFailed"
    DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
    EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
    HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
    INTRINSIC_FAILURE = "States.IntrinsicFailure"
    ITEM_READER_FAILED = "States.ItemReaderFailed"
    NO_CHOICE_MATCHED = "States.NoChoiceMatched"
    PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
    PERMISSIONS = "States.Permissions"
    QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
    RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
    RESULT_WRITER_FAILED = "States.ResultWriterFailed"
    RUNTIME = "States.Runtime"
    TASK_FAILED = "States.TaskFailed"
    TIMEOUT = "States.Timeout"


class StatesError(Exception):
    """An error raised while an execution runs.

    ``located``: the cause is a bare message about a field; the engine prefixes it
    with AWS's "An error occurred while executing the state 'X' (entered at the
    event id #N). " when it fails the state.
    """

    def __init__(self, error: str, cause: str | None = None, located: bool = False) -> None:
        # ``args`` stay what the constructor (or a subclass's) was given, so SimPy's
        # ``type(e)(*e.args)`` rebuilds any subclass.
        self.error = error if error is None else str(error)
        self.cause = cause
        self.located = located
        self.extra_timeout = False  # a Task's own timer fired (TaskTimedOut, not TaskFailed)

    def __str__(self) -> str:
        return f"{self.error}: {self.cause}" if self.cause else self.error


def runtime_error(message: str) -> StatesError:
    """States.Runtime about a field of the current state (prefixed with the state's location)."""
    return StatesError(StatesErrorName.RUNTIME, message, located=True)


def query_error(message: str) -> StatesError:
    """States.QueryEvaluationError about a JSONata field (prefixed with the state's location)."""
    return StatesError(StatesErrorName.QUERY_EVALUATION_ERROR, message, located=True)


class AslDefinitionError(Exception):
    """The definition is not valid ASL; ``diagnostics`` are (json_pointer, message) pairs."""

    def __init__(self, diagnostics: list[tuple[str, str]]) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        return "; ".join(f"{m} at {p or '/'}" for p, m in self.diagnostics)  # AWS: 'CODE: msg at /ptr'



_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def to_json(value: Any) -> str:
    """JSON as Step Functions prints it in messages and histories: compact, UTF-8."""
    return _ENCODE(value)
