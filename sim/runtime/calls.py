"""What a handler's greenlet asks of the simulator at a scheduling point."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.runtime.retries import RetryPolicy


@dataclass
class ApiCall:
    """One boto3 call made by handler code (or by a control-plane client)."""

    service: str  # boto3 service name: "lambda", "sqs", "dynamodb", ...
    operation: str  # AWS operation name: "Invoke", "PutItem", ...
    params: dict[str, Any]
    policy: RetryPolicy
    request: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass
class Sleep:
    """``time.sleep(seconds)`` called from handler code."""

    seconds: float


class _Proceed:
    """Reply: let botocore send the request on to the AWS emulator."""

    def __repr__(self) -> str:
        return "PROCEED"


PROCEED = _Proceed()


@dataclass
class Respond:
    """Reply: the simulator answered the call itself (a result or an AWS error)."""

    parsed: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class InvocationKilled(BaseException):
    """Thrown into a handler whose invocation ended (timeout, crash, kill).

    A BaseException so ordinary ``except Exception`` blocks in handler code do
    not swallow it: like a frozen Lambda sandbox, the code after it never runs.
    """


class SandboxDied(Exception):
    """Raised in an invocation's SimPy process when a fault kills its sandbox as the handler
    makes a call (fault action ``kill`` at ``api_call``): the call is never sent, and the
    invocation ends as a killed one (Runtime.ExitError) at that instant."""

    def __init__(self, target: str) -> None:
        super().__init__(f"sandbox killed by a fault as it called {target}")
        self.target = target
