"""Task integrations: what a Task state's Resource does, and what it returns.

Every call goes through the router's ``call_api`` (the API front: faults,
latency, then a modelled service or the emulator), so a fault plan that
throttles ``lambda:Invoke`` throttles a state machine's Lambda task too.
Errors are named as Step Functions names them: ``Lambda.<Code>``,
``DynamoDB.<Code>`` for optimised integrations, ``<Service>.<Code>`` for
aws-sdk ones, the function's own errorType for a failed Lambda.
"""

from __future__ import annotations

import json
from typing import Any

from sim.asl.errors import StatesError, StatesErrorName, to_json
from sim.asl.ports import TaskRequest, parse_resource
from sim.services.base import Kernel
from sim.services.stepfunctions import envelopes
from sim.services.stepfunctions.sdk import emulator_gaps, sdk_call, sdk_error, to_sdk_params

# Optimised integrations: (service, action) -> (boto3 service, operation).
OPTIMISED = {
    ("lambda", "invoke"): ("lambda", "Invoke"),
    ("sqs", "sendMessage"): ("sqs", "SendMessage"),
    ("sns", "publish"): ("sns", "Publish"),
    ("events", "putEvents"): ("events", "PutEvents"),
    ("dynamodb", "getItem"): ("dynamodb", "GetItem"),
    ("dynamodb", "putItem"): ("dynamodb", "PutItem"),
    ("dynamodb", "updateItem"): ("dynamodb", "UpdateItem"),
    ("dynamodb", "deleteItem"): ("dynamodb", "DeleteItem"),
    ("states", "startExecution"): ("stepfunctions", "StartExecution"),
}


PATTERNS = {None, "sync", "sync:2", "waitForTaskToken"}


def refusal(resource: str) -> str | None:
    """Why a Task Resource cannot run here (None: it can). Checked when a machine is created."""
    kind, service, action, pattern = parse_resource(resource)
    if kind in ("lambda", "activity"):
        return None
    if kind != "integration":
        return f"'{resource}' is not a Task resource Step Functions knows"
    if service.startswith("aws-sdk:"):
        return None if pattern in (None, "waitForTaskToken") else f"aws-sdk integrations have no .{pattern} pattern"
    if service == "states" and action == "startExecution":
        return None
    if (service, action) in OPTIMISED and pattern in (None, "waitForTaskToken"):
        return None
    return (f"the integration '{resource}' is not modelled (supported: Lambda, lambda:invoke, sqs:sendMessage, "
            "sns:publish, events:putEvents, dynamodb:getItem/putItem/updateItem/deleteItem, "
            "states:startExecution[.sync|.sync:2], aws-sdk:*, activities, and .waitForTaskToken)")


class Integrations:
    """The interpreter's TaskPorts, for one simulation."""

    def __init__(self, k: Kernel, sfn: Any) -> None:
        self.k = k
        self.sfn = sfn
        self.region = k.region
        self.account_id = k.account_id
        self.tokens: dict[str, TaskRequest | None] = {}
        self.activities: Any = None

    # -- tokens ------------------------------------------------------------------------------
    def new_token(self, execution: Any, state_name: str) -> str:
        token = self.k.uuid("states.token")
        self.tokens[token] = None
        return token

    def _await_token(self, req: TaskRequest):
        # Once per attempt: an answer that came while the request was still being made
        # (a handler calling SendTaskSuccess before its Invoke returned) must not be lost.
        if req.callback is None:
            req.callback = self.k.clock.event()
        self.tokens[req.token] = req
        return req.callback

    def _open_request(self, token: str) -> TaskRequest:
        req = self.tokens.get(token)
        if req is None or req.callback is None:  # AWS's message does not echo the token
            raise sdk_error_shape("InvalidToken", "Invalid Token: 'Invalid token'")
        if req.closed or req.callback.triggered:
            raise sdk_error_shape("TaskTimedOut", f"Task Timed Out: '{token}'")
        return req

    def answer(self, token: str, outcome: tuple) -> None:
        req = self._open_request(token)
        req.callback.succeed(outcome)

    def heartbeat(self, token: str) -> None:
        self._open_request(token).beat(self.k.clock.now_s)

    # -- the port --------------------------------------------------------------------------------
    def run_task(self, req: TaskRequest):
        mocked = self._mocked(req)
        if mocked is not None:
            return (yield from mocked)
        if req.kind == "activity":
            return (yield from self.activities.run(req))
        if req.kind == "lambda":
            return (yield from self._lambda(req, bare=True))
        if req.service == "lambda" and req.action == "invoke":
            result = yield from self._lambda(req, bare=False)
        elif req.service == "states" and req.action == "startExecution":
            return (yield from self._start_execution(req))
        elif req.service.startswith("aws-sdk:"):
            result = yield from sdk_call(self, req)
        elif (req.service, req.action) in OPTIMISED:
            result = yield from self._optimised(req)
        else:
            raise StatesError(StatesErrorName.RUNTIME, f"The resource '{req.resource}' is not supported by the "
                                                       "simulator (supported: see sim/services/stepfunctions/README.md)")
        if req.pattern == "waitForTaskToken":
            return (yield from self._wait_for_token(req, result))
        return result

    def _wait_for_token(self, req: TaskRequest, submitted: Any):
        if req.on_submitted:
            req.on_submitted(submitted)
        outcome = yield self._await_token(req)
        if outcome[0] == "success":
            return outcome[1]
        raise StatesError(outcome[1] or "", outcome[2])

    def call_api(self, service: str, operation: str, params: dict, req: TaskRequest):
        """SimProcess -> (status, parsed) through the kernel's API front."""
        caller = f"states:{req.execution.sm_name}/{req.state_name}"
        return (yield from self.k.router.call_api(service, operation, params, caller))

    # -- Lambda --------------------------------------------------------------------------------
    def _lambda(self, req: TaskRequest, bare: bool):
        params = dict(req.parameters or {}) if not bare else {"FunctionName": req.resource,
                                                              "Payload": req.parameters}
        payload = params.get("Payload")
        if payload is None and not bare:
            params.pop("Payload", None)  # no payload: the function's event is {}
        else:
            params["Payload"] = (to_json(payload) if not isinstance(payload, str) or bare else payload).encode()
        if req.pattern == "waitForTaskToken":
            self._await_token(req)
        status, parsed = yield from self.call_api("lambda", "Invoke", params, req)
        if status >= 300:
            raise envelopes.lambda_service_error(parsed, status)
        body = parsed["Payload"].read() if hasattr(parsed.get("Payload"), "read") else (parsed.get("Payload") or b"")
        if parsed.get("FunctionError"):
            raise envelopes.lambda_function_error(body, bare)
        value = envelopes.decode_payload(body)
        if bare:
            return value
        return envelopes.lambda_envelope(value, body, parsed, status)

    # -- optimised integrations -----------------------------------------------------------
    def _optimised(self, req: TaskRequest):
        service, operation = OPTIMISED[(req.service, req.action)]
        params = to_sdk_params(service, operation,
                               envelopes.request_params(req.service, req.action, req.parameters or {}))
        if req.pattern == "waitForTaskToken":
            self._await_token(req)
        status, parsed = yield from self.call_api(service, operation, params, req)
        if status >= 300:
            raise envelopes.optimised_error(req.service, parsed, status)
        return envelopes.optimised_result(req.service, req.action, emulator_gaps(service, operation, params, parsed))

    # -- nested executions ------------------------------------------------------------------
    def _start_execution(self, req: TaskRequest):
        params = to_sdk_params("stepfunctions", "StartExecution", dict(req.parameters or {}))
        if params.get("input") is None:
            params["input"] = "{}"  # a null Input starts the execution with {}
        elif not isinstance(params["input"], str):
            params["input"] = to_json(params["input"])
        if req.pattern == "waitForTaskToken":
            self._await_token(req)
        status, parsed = yield from self.call_api("stepfunctions", "StartExecution", params, req)
        if status >= 300:
            raise sdk_error("sfn", parsed, status)
        started = {"ExecutionArn": parsed["executionArn"], "StartDate": envelopes.epoch_ms(parsed["startDate"])}
        if req.pattern is None:
            return envelopes.with_sdk_metadata(started, "application/x-amz-json-1.0")
        if req.pattern == "waitForTaskToken":
            return (yield from self._wait_for_token(req, started))
        if req.on_submitted:
            req.on_submitted(started)
        child = self.sfn.execution(parsed["executionArn"])
        yield child.done
        return envelopes.sync_result(child, req.pattern == "sync:2")

    # -- S3 for ItemReader ---------------------------------------------------------------------
    def s3_get_object(self, bucket: str, key: str):
        status, parsed = yield from self.k.router.call_api("s3", "GetObject", {"Bucket": bucket, "Key": key},
                                                           "states:ItemReader")
        if status >= 300:
            raise envelopes.item_reader_error(parsed, status)
        return parsed["Body"].read()

    def s3_list_objects(self, bucket: str, prefix: str | None):
        params = {"Bucket": bucket, **({"Prefix": prefix} if prefix else {})}
        objects: list[dict] = []
        while True:
            status, parsed = yield from self.k.router.call_api("s3", "ListObjectsV2", params, "states:ItemReader")
            if status >= 300:
                raise envelopes.item_reader_error(parsed, status)
            objects.extend(parsed.get("Contents", []))
            if not parsed.get("IsTruncated"):
                return objects
            params["ContinuationToken"] = parsed["NextContinuationToken"]

    # -- Step Functions Local mock configuration ------------------------------------------------
    def _mocked(self, req: TaskRequest):
        mocks = getattr(req.execution, "mocks", None)
        if mocks is None:
            return None
        attempt = req.execution.mock_attempts.get(req.state_name, 0)
        response = mocks.response(req.state_name, attempt)
        if response is None:
            return None
        req.execution.mock_attempts[req.state_name] = attempt + 1
        return self._mock_outcome(req, response)

    def _mock_outcome(self, req: TaskRequest, response: Any):
        yield self.k.clock.timeout(0)
        if hasattr(response, "error"):
            raise StatesError(response.error, response.cause)
        if req.pattern == "waitForTaskToken" and req.on_submitted:
            req.on_submitted({})
        return response.value


def sdk_error_shape(code: str, message: str):
    from sim.errors import aws_error
    return aws_error(code, message, 400)


__all__ = ["Integrations", "json"]
