"""One Lambda invocation on the virtual clock: cold start, handler, timeout, kill.

The handler runs in a greenlet (``sim.runtime.greenlets``). This module's
generator drives it: every boto3 call or ``time.sleep`` the handler makes
arrives here as a request, is served on the clock, and the reply is switched
back in. The invocation races its deadline (the function timeout, or an
injected kill): when the deadline wins, the handler is abandoned where it
stands. Side effects already made stay; the rest never happens, as in a
Lambda sandbox that is stopped.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import simpy

from sim.runtime.calls import ApiCall, InvocationKilled, Sleep
from sim.runtime.context import LambdaContext
from sim.runtime.greenlets import HandlerGreenlet, Outcome, run_handler
from sim.runtime.http import HttpCall


@dataclass
class Invocation:
    """What a running handler's greenlet knows about itself."""

    sim: Any  # the Simulation (for its emulator and observers)
    function: str
    request_id: str
    attempt: int
    mode: str  # RequestResponse | Event | SQS
    killed: str = ""


@dataclass
class InvokeResult:
    request_id: str
    ok: bool
    payload: bytes = b""
    function_error: str | None = None  # "Unhandled" when the function failed
    error_type: str = ""
    error_message: str = ""
    status: str = "succeeded"  # succeeded | failed | timeout | killed | throttled
    start_s: float = 0.0
    end_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def payload_json(self) -> Any:
        return json.loads(self.payload) if self.payload else None


def error_payload(request_id: str, error_type: str, message: str, stack: list[str] | None = None) -> bytes:
    doc: dict[str, Any] = {"errorMessage": message, "errorType": error_type}
    if stack is not None:
        doc["requestId"] = request_id
        doc["stackTrace"] = stack
    return json.dumps(doc).encode()


def timeout_message(request_id: str, timeout_s: float) -> str:
    return f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"


def killed_message(request_id: str) -> str:
    return f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"


def result_from_outcome(out: Outcome, request_id: str) -> InvokeResult:
    if out.ok:
        if isinstance(out.value, (bytes, bytearray)):  # the Python runtime sends bytes as they are
            return InvokeResult(request_id, True, bytes(out.value))
        try:
            payload = b"null" if out.value is None else json.dumps(out.value).encode()
        except (TypeError, ValueError) as exc:
            msg = f"Unable to marshal response: {exc}"
            return InvokeResult(request_id, False, error_payload(request_id, "Runtime.MarshalError", msg, []),
                                "Unhandled", "Runtime.MarshalError", msg, "failed")
        return InvokeResult(request_id, True, payload)
    return InvokeResult(request_id, False, error_payload(request_id, out.error_type, out.error_message, out.stack),
                        "Unhandled", out.error_type, out.error_message, "failed")


class HandlerDriver:
    """Runs one handler in a greenlet, serving its requests on the clock."""

    def __init__(self, inv: Invocation, handler: Callable, event: Any, context: LambdaContext,
                 scope: Callable[[], Any], serve_call: Callable[[Invocation, ApiCall], Any], timeout,
                 log: Callable[[str], None]) -> None:
        self.inv = inv
        self.scope = scope  # () -> context manager: env + time pin for this function
        self.serve_call = serve_call  # (inv, call) -> SimProcess yielding the reply (ApiCall or HttpCall)
        self.timeout = timeout
        self.log = log  # receives each line the handler printed, as CloudWatch Logs would
        self.greenlet = HandlerGreenlet(lambda *_: run_handler(handler, event, context), inv)
        self._out = io.StringIO()

    def _switch(self, value: Any = None, throw: BaseException | None = None) -> Any:
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = self._out
        try:
            with self.scope():
                if throw is not None:
                    return self.greenlet.throw(throw)
                return self.greenlet.switch(value)
        finally:
            sys.stdout, sys.stderr = saved
            if self._out.tell():
                for line in self._out.getvalue().splitlines():
                    self.log(line)
                self._out.seek(0)
                self._out.truncate()

    def run(self):
        """SimProcess: the handler's Outcome."""
        reply: Any = None
        while True:
            msg = self._switch(reply)
            if self.greenlet.dead:
                return msg
            if isinstance(msg, Sleep):
                yield self.timeout(max(msg.seconds, 0.0))
                reply = None
            elif isinstance(msg, (ApiCall, HttpCall)):
                reply = yield from self.serve_call(self.inv, msg)
            else:  # pragma: no cover - a bug in the runtime, not in handler code
                raise RuntimeError(f"unexpected request from handler: {msg!r}")

    def kill(self, reason: str) -> None:
        """Abandon the handler: unwind its greenlet without letting it act again."""
        self.inv.killed = reason
        if self.greenlet.dead or not self.greenlet:
            return
        try:
            self._switch(throw=InvocationKilled(reason))
        except InvocationKilled:
            pass


def race(clock, body: simpy.Process, deadline: simpy.Timeout):
    """SimProcess: True if ``body`` finished before ``deadline``; else interrupts it."""
    done = yield body | deadline
    if body in done:
        clock.cancel(deadline)  # an unreached deadline must not keep the run alive
        return True
    if body.is_alive:
        body.interrupt("deadline")
    return False
