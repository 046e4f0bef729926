"""A fault plan: rules that say where a fault is injected and what it does.

Injection points
  invocation_start  a Lambda invocation is about to run its handler
  invocation_end    the handler returned; the runtime is about to report it
  api_call          a boto3 call made by handler code (by service and operation), or an
                    HTTP request to a host mounted with ``Simulation.mount_http``:
                    service "http:<host>", operation the method ("GET", "POST", ...),
                    and ``path`` a glob on the URL path ("/v2/orders", "/v2/orders/*")
  delivery          a message handed from one service to another
                    (channel: lambda-async, events, sqs, scheduler)

Actions
  raise_error   the call, or the invocation, fails with ``code`` (AWS's error shape);
                an HTTP call is answered ``status`` with {"code": code, "message": message}
  throttle      the service's throttling error (Lambda: TooManyRequestsException, ...;
                an HTTP call: status 429)
  hang          the invocation never finishes: it runs until its timeout
  kill          the invocation's sandbox dies ``seconds`` after start (Runtime.ExitError);
                at api_call, as the handler makes the matching call (the call is never
                sent): "the orchestrator dies after dispatching k of N workers" is a kill
                on its (k+1)-th Invoke, whatever the latencies drawn
  crash_after   the handler's side effects stay, then the invocation fails
  latency       ``seconds`` more on the virtual clock
  duplicate     the message is delivered twice (the copy ``seconds`` after the original)
  delay         the delivery is late by ``seconds``
  reorder       the delivery is late by a seeded draw in [0, seconds], so others overtake it
  drop          the message is never delivered (the ledger says so, naming the rule)
  oversize      the function's (JSON object) result grows by ``bytes`` (a ``_padding`` field)

Attempt ranges use Step Functions Local's mock-config form: "0", "1-2".
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import ConfigError

POINT_ACTIONS = {
    "invocation_start": {"raise_error", "throttle", "hang", "kill", "latency"},
    "invocation_end": {"raise_error", "crash_after", "hang", "latency", "oversize"},
    "api_call": {"raise_error", "throttle", "latency", "kill"},
    "delivery": {"duplicate", "delay", "reorder", "drop", "raise_error"},
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_range(text: str) -> tuple[int, int]:
    """'0' -> (0, 0); '1-2' -> (1, 2). Raises ValueError with the offending text."""
    parts = text.split("-")
    try:
        lo, hi = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (None, None)
    except ValueError:
        lo = hi = None
    if lo is None or hi is None or lo < 0 or hi < lo:
        raise ValueError(f"bad attempt range {text!r}: use 'N' or 'N-M' with 0 <= N <= M")
    return lo, hi


class FaultMatch(_Model):
    point: Literal["invocation_start", "invocation_end", "api_call", "delivery"]
    function: str | None = None  # the invoked function, or the caller of an API call
    service: str | None = None
    operation: str | None = None
    channel: Literal["lambda-async", "events", "sqs", "scheduler"] | None = None
    resource: str | None = None  # rule, queue, function or schedule a delivery goes through or to
    path: str | None = None  # an HTTP call's URL path, as a glob ("/v2/orders*"); HTTP calls only
    attempt: str | None = None  # 0-based attempt range, e.g. "0" or "1-2"
    nth: list[int] | None = None  # 1-based: fire on these matching occurrences only
    probability: float = Field(1.0, ge=0.0, le=1.0)
    window_s: tuple[float, float] | None = None  # virtual seconds from the run epoch
    max_fires: int | None = Field(None, ge=1)

    @field_validator("attempt")
    @classmethod
    def _attempt(cls, v: str | None) -> str | None:
        if v is not None:
            parse_range(v)
        return v

    @model_validator(mode="after")
    def _path_only_for_api_calls(self) -> "FaultMatch":
        if self.path is not None and self.point != "api_call":
            raise ValueError(f"'path' matches HTTP calls, which are injected at 'api_call', not {self.point!r}")
        return self

    @field_validator("nth", mode="before")
    @classmethod
    def _nth(cls, v):
        return [v] if isinstance(v, int) else v


class FaultAction(_Model):
    kind: Literal["raise_error", "throttle", "hang", "kill", "crash_after", "latency",
                  "duplicate", "delay", "reorder", "drop", "oversize"]
    code: str | None = None
    message: str = ""
    status: int = 400
    seconds: float = Field(0.0, ge=0)
    bytes: int = Field(0, ge=0)  # oversize: how much larger the function's result becomes


class FaultRule(_Model):
    name: str
    match: FaultMatch
    action: FaultAction

    @model_validator(mode="after")
    def _fits_point(self) -> "FaultRule":
        allowed = POINT_ACTIONS[self.match.point]
        if self.action.kind not in allowed:
            raise ValueError(f"rule {self.name!r}: action {self.action.kind!r} cannot apply at {self.match.point!r}; "
                             f"use one of {sorted(allowed)}")
        if self.action.kind == "kill" and self.match.point == "api_call" and self.action.seconds:
            raise ValueError(f"rule {self.name!r}: a kill at 'api_call' happens as the call is made; drop 'seconds' "
                             f"(or kill at 'invocation_start' to die that many seconds into the invocation)")
        if self.action.kind == "raise_error" and not self.action.code:
            raise ValueError(f"rule {self.name!r}: raise_error needs a 'code' (an AWS error code or an error type)")
        return self


class FaultPlan(_Model):
    name: str = "no-faults"
    rules: list[FaultRule] = Field(default_factory=list)


def load_fault_plan(path: str | Path) -> FaultPlan:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: fault plan not found")
    try:
        data = yaml.safe_load(path.read_text())
        return FaultPlan.model_validate(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        details = "; ".join(f"at {'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                            for e in exc.errors())
        raise ConfigError(f"{path}: the fault plan does not validate: {details}") from None
