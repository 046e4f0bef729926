"""The API front: where every boto3 call from a handler (or a control client) is served.

For each call: faults at ``api_call`` are consulted, a seeded latency is
charged on the clock, and then either a modelled service answers (Lambda,
EventBridge, SQS, Scheduler) or the call is let through to the AWS emulator.
Errors that the calling client would retry (its botocore retry mode and
attempts) are retried here, on the virtual clock, with seeded jitter.
"""

from __future__ import annotations

from typing import Any

from sim.errors import AwsError, aws_error
from sim.runtime.calls import PROCEED, ApiCall, Respond, SandboxDied

THROTTLE_CODES = {"lambda": ("TooManyRequestsException", 429), "dynamodb": ("ThrottlingException", 400),
                  "sqs": ("RequestThrottled", 403), "events": ("ThrottlingException", 400),
                  "scheduler": ("ThrottlingException", 429), "s3": ("SlowDown", 503), "ses": ("Throttling", 400),
                  "stepfunctions": ("ThrottlingException", 400)}
MEDIAN_LATENCY_S = {"lambda": 0.015, "events": 0.02, "sqs": 0.008, "dynamodb": 0.006, "s3": 0.02,
                    "scheduler": 0.03, "ses": 0.05, "stepfunctions": 0.02}


class ApiFront:
    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.k = sim.kernel
        self.calls = 0

    def modelled(self, service: str) -> Any | None:
        return self.sim.services.get(service)

    def serve(self, inv: Any, call: ApiCall, caller: str | None = None):
        """SimProcess: the reply for one call (a Respond, or PROCEED to the emulator)."""
        k, clock = self.k, self.k.clock
        caller = caller or (f"lambda:{inv.function}" if inv is not None else "control")
        function = inv.function if inv is not None else None
        attempt = 0
        while True:
            attempt += 1
            self.calls += 1
            faults = k.faults.check("api_call", clock.now_s, function=function, service=call.service,
                                    operation=call.operation, attempt=attempt - 1)
            kill = next((a for a in faults if a.kind == "kill"), None)
            if kill is not None and inv is not None:  # a control-plane call has no sandbox to kill
                raise SandboxDied(f"{call.service}.{call.operation}")
            latency = k.latency(f"api.{call.service}.{call.operation}", MEDIAN_LATENCY_S.get(call.service, 0.02))
            latency += sum(a.seconds for a in faults if a.kind == "latency")
            k.trace.add(clock.now_s, "api.call", caller, service=call.service, operation=call.operation,
                        attempt=attempt)
            yield clock.timeout(latency)
            error, reply = self._fault_error(call.service, faults), None
            if error is None:
                service = self.modelled(call.service)
                if service is None:
                    return PROCEED
                try:
                    result = yield from service.api(call.operation, call.params, caller)
                    reply = Respond(result)
                except AwsError as exc:
                    error = exc
            if error is None:
                return reply
            if call.policy.is_retryable(error.code, error.status) and attempt < call.policy.max_attempts:
                delay = call.policy.delay_s(attempt, error.code, k.streams.rng(f"sdk.retry.{call.service}"))
                k.trace.add(clock.now_s, "sdk.retry", caller, service=call.service, operation=call.operation,
                            attempt=attempt, error=error.code, delay_s=round(delay, 6))
                yield clock.timeout(delay)
                continue
            k.trace.add(clock.now_s, "api.error", caller, service=call.service, operation=call.operation,
                        error=error.code, attempts=attempt)
            shape = error.to_error_shape()
            if getattr(error, "reason", None):
                shape["Reason"] = error.reason
            shape["ResponseMetadata"]["RetryAttempts"] = attempt - 1
            return Respond(shape, status=error.status)

    @staticmethod
    def _fault_error(service: str, faults: list) -> AwsError | None:
        for a in faults:
            if a.kind == "throttle":
                code, status = THROTTLE_CODES.get(service, ("ThrottlingException", 400))
                return aws_error(code, a.message or "Rate exceeded", status)
            if a.kind == "raise_error":
                return aws_error(a.code, a.message or f"injected {a.code}", a.status)
        return None
