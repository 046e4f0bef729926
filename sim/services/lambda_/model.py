"""AWS Lambda on the virtual clock: sync and async invoke, concurrency,
async retries and destinations, cold starts.

Behaviour follows the Lambda developer guide:
* Asynchronous invocation: events wait in an internal queue; on a function
  error Lambda retries twice by default, about one minute and then two minutes
  later; events older than MaximumEventAgeInSeconds (default 6 h) are dropped
  or sent to the on-failure destination; throttled events return to the queue
  and are retried with exponential backoff from 1 s up to 5 min
  (invocation-async-error-handling.html, invocation-async.html).
* Concurrency: reserved concurrency caps a function and is carved out of the
  account pool (default 1000); a synchronous call over the limit fails with
  TooManyRequestsException (429) (lambda-concurrency.html).
* A timeout stops the invocation at its limit; the result is an error of type
  Sandbox.Timedout.
"""

from __future__ import annotations

import base64
import importlib
import json
import math
from dataclasses import replace
from typing import Any, Callable

import simpy

from sim.errors import AwsError, ConfigError, ResourceNotFoundException, TooManyRequestsException, ValidationException
from sim.faults.inject import first
from sim.runtime.calls import SandboxDied
from sim.runtime.context import LambdaContext
from sim.runtime.scope import HandlerScope
from sim.services.base import Kernel
from sim.services.lambda_.runner import (
    HandlerDriver, Invocation, InvokeResult, error_payload, killed_message, race, result_from_outcome,
    timeout_message,
)
from sim.stack.spec import FunctionSpec

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # 6 MB request and response (gettingstarted-limits.html)
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # 1 MB for asynchronous invocation (API_Invoke.html, raised from 256 KB in 2025)
RETRY_DELAYS_S = (60.0, 120.0)  # "one minute ... then two minutes" between async attempts
THROTTLE_BACKOFF_MAX_S = 300.0


def resolve_handler(spec: FunctionSpec) -> Callable:
    if callable(spec.handler):
        return spec.handler
    path = spec.handler
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
        fn = getattr(module, attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"function {spec.name!r}: cannot load handler {path!r} ({exc}); "
                          f"give it as 'package.module:function' importable from the project") from None
    if not callable(fn):
        raise ConfigError(f"function {spec.name!r}: handler {path!r} is not callable")
    return fn


class LogCapture:
    """What a handler prints goes to the trace (kind ``log``), as to CloudWatch Logs."""

    TAIL_BYTES = 4096  # Invoke with LogType=Tail returns the last 4 KB of the log

    def __init__(self, k: Kernel, function: str, request_id: str) -> None:
        self.k, self.function, self.request_id = k, function, request_id
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        self.k.trace.add(self.k.clock.now_s, "log", self.function, request_id=self.request_id, line=line)

    def tail(self) -> str:
        text = "".join(line + "\n" for line in self.lines).encode()
        return base64.b64encode(text[-self.TAIL_BYTES:]).decode()


class LambdaService:
    def __init__(self, k: Kernel, functions: list[FunctionSpec], account_concurrency: int, sim: Any) -> None:
        self.k = k
        self.sim = sim
        self.functions = {f.name: f for f in functions}
        self.account_concurrency = account_concurrency
        reserved = sum(f.reserved_concurrency or 0 for f in functions)
        self.unreserved_limit = account_concurrency - reserved
        if self.unreserved_limit < 0:
            raise ConfigError(f"reserved concurrency ({reserved}) exceeds the account limit ({account_concurrency})")
        self.in_flight = {name: 0 for name in self.functions}
        self.unreserved_in_flight = 0
        self.idle: dict[str, list[float]] = {name: [] for name in self.functions}
        self.handlers: dict[str, Callable] = {}
        self.invocations = 0
        self._freed = k.clock.event()
        self._scopes: dict[str, tuple[FunctionSpec, HandlerScope]] = {}

    # -- setup ---------------------------------------------------------------
    def load_handlers(self) -> None:
        for name, spec in self.functions.items():
            with self.scope(spec)():
                self.handlers[name] = resolve_handler(spec)

    def scope(self, spec: FunctionSpec) -> HandlerScope:
        """The function's scope (environment and virtual time), made once per function:
        ``with scope(spec)():`` around every switch into one of its handlers."""
        scope = self._scopes.get(spec.name)
        if scope is None or scope[0] is not spec:
            env = {"AWS_REGION": self.k.region, "AWS_DEFAULT_REGION": self.k.region,
                   "AWS_LAMBDA_FUNCTION_NAME": spec.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                   "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", **self.sim.emulator.handler_env(),
                   **spec.environment}
            scope = self._scopes[spec.name] = (spec, HandlerScope(self.k.clock.now, env))
        return scope[1]

    def function_arn(self, name: str) -> str:
        return self.k.arn("lambda", f"function:{name}")

    def spec(self, ref: str) -> FunctionSpec:
        name = ref.split(":function:")[-1].split(":")[0] if ref.startswith("arn:") else ref
        spec = self.functions.get(name)
        if spec is None:
            raise ResourceNotFoundException(f"Function not found: {self.function_arn(name)}")
        return spec

    # -- concurrency -----------------------------------------------------------
    def throttle_reason(self, spec: FunctionSpec) -> str | None:
        if spec.reserved_concurrency is not None:
            if self.in_flight[spec.name] >= spec.reserved_concurrency:
                return "ReservedFunctionConcurrentInvocationLimitExceeded"
            return None
        if self.unreserved_in_flight >= self.unreserved_limit:
            return "ConcurrentInvocationLimitExceeded"
        return None

    def try_acquire(self, spec: FunctionSpec) -> str | None:
        """Take one unit of concurrency now, or say why not (the throttle reason).

        Taking it before the invocation process starts matters: several callers
        at the same instant must not all see the same free unit.
        """
        reason = self.throttle_reason(spec)
        if reason is None:
            self._acquire(spec)
        return reason

    def _acquire(self, spec: FunctionSpec) -> None:
        self.in_flight[spec.name] += 1
        if spec.reserved_concurrency is None:
            self.unreserved_in_flight += 1

    def _release(self, spec: FunctionSpec) -> None:
        self.in_flight[spec.name] -= 1
        if spec.reserved_concurrency is None:
            self.unreserved_in_flight -= 1
        freed, self._freed = self._freed, self.k.clock.event()
        freed.succeed()

    def release(self, spec: FunctionSpec) -> None:
        """Give back a unit taken with ``try_acquire`` that was not used."""
        self._release(spec)

    def capacity_event(self, _function: str):
        """An event that fires the next time any invocation ends (concurrency is freed)."""
        return self._freed

    def _take_instance(self, spec: FunctionSpec) -> bool:
        """True for a warm start: an idle instance younger than the idle timeout."""
        # The pool holds the times instances went idle, appended as the clock advances, so it is
        # sorted and the expired ones (the same test as ever) form a prefix: dropping that prefix
        # keeps exactly the instances a full scan would keep, in amortised O(1) per invocation
        # instead of a scan of the whole pool (thousands of entries at high concurrency).
        now = self.k.clock.now_s
        pool = self.idle[spec.name]
        expired = 0
        while expired < len(pool) and not now - pool[expired] < spec.idle_timeout_s:
            expired += 1
        if expired:
            del pool[:expired]
        warm = bool(pool)
        if warm:
            pool.pop()
        return warm

    # -- one invocation --------------------------------------------------------
    def run(self, spec: FunctionSpec, payload: bytes, request_id: str, attempt: int, mode: str,
            start_faults: list | None = None):
        """SimProcess -> InvokeResult. The caller holds a unit of concurrency (``try_acquire``)."""
        k, clock = self.k, self.k.clock
        self.invocations += 1
        start = clock.now_s
        warm = self._take_instance(spec)
        k.trace.add(start, "invoke.start", spec.name, request_id=request_id, attempt=attempt, mode=mode,
                    cold=not warm)
        if start_faults is None:
            start_faults = k.faults.check("invocation_start", start, function=spec.name, attempt=attempt)
        kill = first(start_faults, "kill")
        limit = spec.timeout_s if kill is None else min(spec.timeout_s, kill.seconds)
        if not warm:
            # The init phase (cold start) runs before the invoke phase; the function
            # timeout only bounds the invoke phase (lambda-runtime-environment.html).
            init_s = spec.cold_start.draw(k.streams.rng(f"lambda.cold.{spec.name}"))
            k.trace.add(start, "invoke.init", spec.name, request_id=request_id, init_s=round(init_s, 6))
            yield clock.timeout(init_s)
        inv = Invocation(self.sim, spec.name, request_id, attempt, mode)
        try:
            event = json.loads(payload) if payload else {}
        except ValueError:
            event = payload.decode(errors="replace")
        ctx = LambdaContext(function_name=spec.name, function_arn=self.function_arn(spec.name),
                            memory_mb=spec.memory_mb, request_id=request_id, deadline_s=clock.now_s + spec.timeout_s,
                            now_s=lambda: clock.now_s,
                            log_stream=f"{clock.now():%Y/%m/%d}/[$LATEST]{request_id.replace('-', '')[:32]}")
        log = LogCapture(k, spec.name, request_id)
        driver = HandlerDriver(inv, self.handlers[spec.name], event, ctx, self.scope(spec),
                               self.sim.serve_call, clock.timeout, log)
        box: dict[str, Any] = {}
        body = clock.process(self._body(spec, driver, start_faults, attempt, box))
        finished = yield from race(clock, body, clock.timeout(limit))
        if finished:
            result = box["result"]
        elif kill is not None and kill.seconds < spec.timeout_s:
            result = self._killed(request_id)
        else:
            msg = timeout_message(request_id, spec.timeout_s)
            result = InvokeResult(request_id, False, error_payload(request_id, "Sandbox.Timedout", msg),
                                  "Unhandled", "Sandbox.Timedout", msg, "timeout")
        result.start_s, result.end_s = start, clock.now_s
        self._release(spec)
        self.idle[spec.name].append(clock.now_s)
        duration_s = result.end_s - start
        k.trace.add(clock.now_s, "invoke.end", spec.name, request_id=request_id, attempt=attempt, mode=mode,
                    status=result.status, error_type=result.error_type or None,
                    duration_s=round(duration_s, 6), billed_ms=max(1, math.ceil(round(duration_s * 1000, 6))),
                    memory_mb=spec.memory_mb)
        result.extra["log_tail"] = log.tail()
        return result

    def _body(self, spec: FunctionSpec, driver: HandlerDriver, start_faults: list, attempt: int, box: dict):
        k, clock = self.k, self.k.clock
        try:
            delay = spec.duration.draw(k.streams.rng(f"lambda.duration.{spec.name}"))
            delay += sum(a.seconds for a in start_faults if a.kind == "latency")
            yield clock.timeout(delay)
            if first(start_faults, "hang"):
                yield clock.event()  # never fires: the deadline ends this invocation
            err = first(start_faults, "raise_error")
            if err is not None:
                box["result"] = self._failed(driver.inv.request_id, err.code, err.message or f"injected {err.code}")
                return
            outcome = yield from driver.run()
            result = result_from_outcome(outcome, driver.inv.request_id)
            box["result"] = yield from self._end_faults(spec, result, attempt)
        except simpy.Interrupt as interrupt:
            driver.kill(str(interrupt.cause))
        except SandboxDied:  # a fault killed the sandbox as the handler made a call
            driver.kill("killed")
            box["result"] = self._killed(driver.inv.request_id)

    def _end_faults(self, spec: FunctionSpec, result: InvokeResult, attempt: int):
        clock = self.k.clock
        actions = self.k.faults.check("invocation_end", clock.now_s, function=spec.name, attempt=attempt)
        extra = sum(a.seconds for a in actions if a.kind == "latency")
        if extra:
            yield clock.timeout(extra)
        if first(actions, "hang"):
            yield clock.event()
        crash = first(actions, "crash_after")
        if crash is not None:
            msg = crash.message or killed_message(result.request_id).replace("signal: killed", "exit status 1")
            return self._failed(result.request_id, crash.code or "Runtime.ExitError", msg)
        err = first(actions, "raise_error")
        if err is not None:
            return self._failed(result.request_id, err.code, err.message or f"injected {err.code}")
        grow = first(actions, "oversize")
        if grow is not None and result.ok:
            return replace(result, payload=oversized(result.payload, grow.bytes))
        return result

    @staticmethod
    def _killed(request_id: str) -> InvokeResult:
        message = killed_message(request_id)
        return InvokeResult(request_id, False, error_payload(request_id, "Runtime.ExitError", message), "Unhandled",
                            "Runtime.ExitError", message, "killed")

    @staticmethod
    def _failed(request_id: str, error_type: str, message: str) -> InvokeResult:
        return InvokeResult(request_id, False, error_payload(request_id, error_type, message), "Unhandled",
                            error_type, message, "failed")

    # -- synchronous ---------------------------------------------------------
    def invoke_sync(self, spec: FunctionSpec, payload: bytes, caller: str):
        """SimProcess -> InvokeResult; raises TooManyRequestsException when throttled."""
        k = self.k
        if len(payload) > SYNC_PAYLOAD_LIMIT:
            raise AwsError(f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation",
                           "RequestTooLargeException")
        request_id = k.uuid("lambda.request")
        faults = k.faults.check("invocation_start", k.clock.now_s, function=spec.name, attempt=0)
        reason = "Rate Exceeded." if first(faults, "throttle") else self.try_acquire(spec)
        if reason is not None:
            k.trace.add(k.clock.now_s, "throttle", spec.name, mode="RequestResponse", reason=reason, caller=caller)
            err = TooManyRequestsException("Rate Exceeded.")
            err.reason = reason
            raise err
        return (yield from self.run(spec, payload, request_id, 0, "RequestResponse", faults))

    # -- asynchronous --------------------------------------------------------
    def invoke_async(self, spec: FunctionSpec, payload: bytes, origin: str) -> str:
        """Accept an event (HTTP 202) and start its lifecycle; returns the request id."""
        k = self.k
        if len(payload) > ASYNC_PAYLOAD_LIMIT:
            raise AwsError(f"Request must be smaller than {ASYNC_PAYLOAD_LIMIT} bytes for the InvokeAsync operation",
                           "RequestTooLargeException")
        request_id = k.uuid("lambda.request")
        k.ledger.open(k.clock.now_s, request_id, "lambda-async-event", origin)
        k.trace.add(k.clock.now_s, "async.accepted", spec.name, request_id=request_id, origin=origin)
        copy_delays, extra = [0.0], 0.0
        for action in k.faults.check("delivery", k.clock.now_s, channel="lambda-async", resource=spec.name):
            if action.kind == "drop":
                k.ledger.close(k.clock.now_s, request_id, "dropped", "fault: delivery dropped")
                return request_id
            if action.kind == "duplicate":
                copy_delays.append(action.seconds)  # the copy arrives ``seconds`` after the original
            elif action.kind == "delay":
                extra += action.seconds
            elif action.kind == "reorder":
                extra += k.streams.rng(f"lambda.reorder.{spec.name}").uniform(0.0, action.seconds)
        for copy, late in enumerate(copy_delays):
            k.clock.process(self._async_lifecycle(spec, payload, request_id, copy, extra + late))
        return request_id

    def _async_lifecycle(self, spec: FunctionSpec, payload: bytes, request_id: str, copy: int, extra_s: float = 0.0):
        k, clock, cfg = self.k, self.k.clock, spec.async_config
        received = clock.now_s
        yield clock.timeout(k.latency(f"lambda.async-queue.{spec.name}", 0.02) + extra_s)
        attempt, backoff = 0, 1.0
        while True:
            age = clock.now_s - received
            if age >= cfg.maximum_event_age_s:
                yield from self._finish_async(spec, payload, request_id, attempt, None, "EventAgeExceeded", copy)
                return
            faults = k.faults.check("invocation_start", clock.now_s, function=spec.name, attempt=attempt)
            reason = "fault" if first(faults, "throttle") else self.try_acquire(spec)
            if reason is not None:
                k.trace.add(clock.now_s, "throttle", spec.name, mode="Event", request_id=request_id, reason=reason)
                wait = min(backoff, cfg.maximum_event_age_s - age)
                backoff = min(backoff * 2, THROTTLE_BACKOFF_MAX_S)
                yield clock.timeout(wait)
                continue
            result = yield from self.run(spec, payload, request_id, attempt, "Event", faults)
            if result.ok:
                yield from self._finish_async(spec, payload, request_id, attempt + 1, result, "Success", copy)
                return
            if attempt >= cfg.maximum_retry_attempts:
                yield from self._finish_async(spec, payload, request_id, attempt + 1, result, "RetriesExhausted", copy)
                return
            delay = RETRY_DELAYS_S[attempt] + k.streams.rng(f"lambda.retry-jitter.{spec.name}").uniform(0.0, 2.0)
            k.trace.add(clock.now_s, "retry", spec.name, request_id=request_id, attempt=attempt + 1,
                        delay_s=round(delay, 6), error_type=result.error_type)
            if k.ledger.entries[request_id].status == "open":
                k.ledger.note(clock.now_s, request_id, "retried", result.error_type)
            attempt += 1
            yield clock.timeout(delay)

    def _finish_async(self, spec, payload, request_id, invoke_count, result, condition, copy):
        k, clock = self.k, self.k.clock
        dest = spec.async_config.on_success if condition == "Success" else spec.async_config.on_failure
        status = {"Success": "delivered", "RetriesExhausted": "failed", "EventAgeExceeded": "expired"}[condition]
        k.trace.add(clock.now_s, "async.done", spec.name, request_id=request_id, condition=condition,
                    destination=dest)
        entry = k.ledger.entries[request_id]
        if copy == 0 or entry.status == "open":
            if entry.status == "open":
                k.ledger.close(clock.now_s, request_id, status, condition if dest is None else f"{condition} -> {dest}")
            else:
                k.ledger.note(clock.now_s, request_id, f"duplicate {status}", condition)
        if dest is None:
            return
        record = self.destination_record(spec, payload, request_id, invoke_count, result, condition)
        try:
            yield from k.router.send(k.router.resolve(dest), record, origin=f"lambda:{spec.name}:destination",
                                     success=condition == "Success")
        except AwsError as exc:
            k.trace.add(clock.now_s, "destination.failed", spec.name, request_id=request_id, error=exc.code)

    def destination_record(self, spec, payload, request_id, invoke_count, result, condition) -> dict:
        try:
            request_payload = json.loads(payload) if payload else None
        except ValueError:
            request_payload = payload.decode(errors="replace")
        record = {
            "version": "1.0",
            "timestamp": self.k.clock.iso(),
            "requestContext": {"requestId": request_id, "functionArn": self.function_arn(spec.name) + ":$LATEST",
                               "condition": condition, "approximateInvokeCount": invoke_count},
            "requestPayload": request_payload,
        }
        if result is not None:
            record["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST"}
            if result.function_error:
                record["responseContext"]["functionError"] = result.function_error
            record["responsePayload"] = result.payload_json()
        return record

    # -- the boto3 API ---------------------------------------------------------
    def api(self, op: str, params: dict, caller: str):
        if op == "Invoke":
            return (yield from self._api_invoke(params, caller))
        if op == "GetFunction":
            spec = self.spec(params["FunctionName"])
            return {"Configuration": self._configuration(spec)}
        if op == "ListFunctions":
            return {"Functions": [self._configuration(s) for s in self.functions.values()]}
        raise ValidationException(f"the simulator does not model lambda:{op}")

    def _configuration(self, spec: FunctionSpec) -> dict:
        return {"FunctionName": spec.name, "FunctionArn": self.function_arn(spec.name), "Timeout": int(spec.timeout_s),
                "MemorySize": spec.memory_mb, "Runtime": "python3.12", "State": "Active",
                "Environment": {"Variables": dict(spec.environment)}}

    def _api_invoke(self, params: dict, caller: str):
        from botocore.response import StreamingBody
        import io

        try:
            spec = self.spec(params["FunctionName"])
        except ResourceNotFoundException as exc:  # Invoke names the version it looked for
            qualifier = params.get("Qualifier") or "$LATEST"
            raise ResourceNotFoundException(f"{exc.args[0]}:{qualifier}") from None
        payload = params.get("Payload", b"") or b""
        if hasattr(payload, "read"):
            payload = payload.read()
        if isinstance(payload, str):
            payload = payload.encode()
        kind = params.get("InvocationType", "RequestResponse")
        if kind == "DryRun":
            return {"StatusCode": 204, "Payload": StreamingBody(io.BytesIO(b""), 0)}
        if kind == "Event":
            self.invoke_async(spec, payload, origin=caller)
            return {"StatusCode": 202, "Payload": StreamingBody(io.BytesIO(b""), 0)}
        result = yield from self.invoke_sync(spec, payload, caller)
        out = {"StatusCode": 200, "ExecutedVersion": "$LATEST",
               "Payload": StreamingBody(io.BytesIO(result.payload), len(result.payload))}
        if params.get("LogType") == "Tail":
            out["LogResult"] = result.extra.get("log_tail", "")
        if result.function_error:
            out["FunctionError"] = result.function_error
        return out


def oversized(payload: bytes, size: int) -> bytes:
    """The function's JSON object result with a ``_padding`` field that makes it ``size`` bytes
    larger (a fault: a function that returns more than the caller can take)."""
    value = json.loads(payload) if payload else {}
    if not isinstance(value, dict):
        value = {"result": value}
    value["_padding"] = "x" * size
    return json.dumps(value).encode()
