"""Lambda on the virtual clock: async retries, destinations, sync errors, timeouts, concurrency."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import boto3
import pytest

from tests.unit.sim.conftest import fn, make_stack, starts

CALLS: list = []


def failing(event, context):
    CALLS.append(event)
    raise ValueError("boom")


def ok(event, context):
    return {"seen": event}


def test_async_error_retries_twice_one_then_two_minutes_apart_then_on_failure_destination(simulate):
    # Given a function that always raises, with an on-failure destination queue
    stack = make_stack(functions=[fn("f", failing, async_config={"on_failure": "queue:dlq"})],
                       queues=[{"name": "dlq"}])
    sim = simulate(stack, seed=1)
    # When it is invoked asynchronously at t=0
    sim.client("lambda").invoke(FunctionName="f", InvocationType="Event", Payload=b'{"n": 1}')
    result = sim.run()
    # Then it ran exactly 3 times, at about t, t+1 min, t+3 min (AWS: 1 and 2 minutes between attempts)
    t = starts(result, "f")
    assert len(t) == 3
    assert t[1] - t[0] == pytest.approx(60, abs=2.5)
    assert t[2] - t[1] == pytest.approx(120, abs=2.5)
    # and the failure record reached the destination, in AWS's shape
    msgs = sim.client("sqs").receive_message(QueueUrl="dlq", MaxNumberOfMessages=10)["Messages"]
    assert len(msgs) == 1
    record = json.loads(msgs[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"n": 1}
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responseContext"]["functionError"] == "Unhandled"
    # and the ledger closed the event as failed, naming the destination
    entry = [e for e in result.ledger.entries.values() if e.kind == "lambda-async-event"][0]
    assert entry.status == "failed" and "dlq" in entry.reason


def test_async_retry_attempts_configurable(simulate):
    stack = make_stack(functions=[fn("f", failing, async_config={"maximum_retry_attempts": 0})])
    sim = simulate(stack)
    sim.client("lambda").invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    assert len(starts(sim.run(), "f")) == 1


def test_async_event_older_than_maximum_age_is_expired_not_retried(simulate):
    stack = make_stack(functions=[fn("f", failing, async_config={"maximum_event_age_s": 90,
                                                                  "on_failure": "queue:dlq"})],
                       queues=[{"name": "dlq"}])
    sim = simulate(stack)
    sim.client("lambda").invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    result = sim.run()
    assert len(starts(result, "f")) == 2  # t=0 and t~60; the t~180 retry would exceed 90 s
    body = json.loads(sim.client("sqs").receive_message(QueueUrl="dlq")["Messages"][0]["Body"])
    assert body["requestContext"]["condition"] == "EventAgeExceeded"
    assert [e.status for e in result.ledger.entries.values() if e.kind == "lambda-async-event"] == ["expired"]


def test_async_success_destination_on_a_bus(simulate):
    stack = make_stack(functions=[fn("f", ok, async_config={"on_success": "bus:results"}), fn("sink", ok)],
                       buses=["results"],
                       rules=[{"name": "r", "bus": "results", "event_pattern": {"source": ["lambda"]},
                               "targets": [{"arn": "function:sink"}]}])
    sim = simulate(stack)
    sim.client("lambda").invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    result = sim.run()
    put = result.trace.where("events.put", "results")[0]
    assert put["detail_type"] == "Lambda Function Invocation Result - Success"
    assert len(starts(result, "sink")) == 1


def test_sync_invoke_returns_payload_and_errors_in_lambda_shape(simulate):
    stack = make_stack(functions=[fn("ok", ok), fn("bad", failing)])
    sim = simulate(stack)
    lam = sim.client("lambda")
    good = lam.invoke(FunctionName="ok", Payload=b'{"a": 1}')
    assert good["StatusCode"] == 200 and "FunctionError" not in good
    assert json.loads(good["Payload"].read()) == {"seen": {"a": 1}}
    bad = lam.invoke(FunctionName="bad", Payload=b"{}")
    assert bad["FunctionError"] == "Unhandled"
    doc = json.loads(bad["Payload"].read())
    assert doc["errorType"] == "ValueError" and doc["errorMessage"] == "boom"
    assert "stackTrace" in doc and "requestId" in doc


def test_unknown_function_is_resource_not_found(simulate):
    sim = simulate(make_stack(functions=[fn("ok", ok)]))
    lam = sim.client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException, match="Function not found"):
        lam.invoke(FunctionName="nope", Payload=b"{}")


SIDE_EFFECTS: list = []


def slow_writer(event, context):
    boto3.client("dynamodb").put_item(TableName="t", Item={"pk": {"S": "before"}})
    time.sleep(10)  # virtual: the timeout (5 s) strikes here
    boto3.client("dynamodb").put_item(TableName="t", Item={"pk": {"S": "after"}})
    SIDE_EFFECTS.append("after")
    return "done"


def test_timeout_ends_invocation_at_its_limit_keeping_earlier_side_effects(simulate):
    stack = make_stack(functions=[fn("slow", slow_writer, timeout_s=5)],
                       tables=[{"name": "t", "hash_key": {"name": "pk"}}])
    sim = simulate(stack)
    out = sim.client("lambda").invoke(FunctionName="slow", Payload=b"{}")
    doc = json.loads(out["Payload"].read())
    assert out["FunctionError"] == "Unhandled"
    assert doc["errorType"] == "Sandbox.Timedout"
    assert doc["errorMessage"].endswith("Task timed out after 5.00 seconds")
    result = sim.run()
    end = result.trace.where("invoke.end", "slow")[0]
    assert end["status"] == "timeout" and end["duration_s"] == pytest.approx(5.0)
    keys = {i["pk"]["S"] for i in sim.client("dynamodb").scan(TableName="t")["Items"]}
    assert keys == {"before"}  # the write before the timeout stays; the one after never happens
    assert SIDE_EFFECTS == []


def clock_reader(event, context):
    return {"now": datetime.now(timezone.utc).isoformat(), "time": time.time(),
            "remaining_ms": context.get_remaining_time_in_millis(), "request_id": context.aws_request_id,
            "arn": context.invoked_function_arn, "memory": context.memory_limit_in_mb}


def test_handler_sees_virtual_time_and_a_lambda_context(simulate):
    stack = make_stack(functions=[fn("c", clock_reader, timeout_s=30, memory_mb=512,
                                     duration={"kind": "fixed", "seconds": 2.0})])
    sim = simulate(stack, epoch="2026-01-12T15:45", tz="America/New_York")
    doc = json.loads(sim.client("lambda").invoke(FunctionName="c", Payload=b"{}")["Payload"].read())
    # 15:45 New York is 20:45 UTC; the invoke latency and the 2 s duration come first
    assert doc["now"].startswith("2026-01-12T20:45:02")
    assert doc["time"] == pytest.approx(datetime(2026, 1, 12, 20, 45, 2, tzinfo=timezone.utc).timestamp(), abs=0.1)
    assert 27_900 < doc["remaining_ms"] <= 28_000
    assert doc["arn"].endswith(":function:c") and doc["memory"] == 512
    assert len(doc["request_id"]) == 36


def sleeper(event, context):
    time.sleep(event.get("s", 100))
    return "ok"


def test_reserved_concurrency_throttles_sync_calls(simulate):
    stack = make_stack(functions=[fn("busy", sleeper, timeout_s=300, reserved_concurrency=1)])
    sim = simulate(stack)
    sim.client("lambda").invoke(FunctionName="busy", InvocationType="Event", Payload=b"{}")
    sim.advance(1)  # the async invocation holds the only unit of concurrency for 100 s
    lam = sim.client("lambda")
    with pytest.raises(lam.exceptions.TooManyRequestsException) as info:
        lam.invoke(FunctionName="busy", Payload=b"{}")
    assert info.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    result = sim.run()
    # the control client's standard retry mode tried 3 times, backing off on the clock
    assert len(result.trace.where("sdk.retry", "control")) == 2


def test_async_events_wait_for_concurrency_and_all_run(simulate):
    stack = make_stack(functions=[fn("busy", sleeper, timeout_s=300, reserved_concurrency=2)])
    sim = simulate(stack)
    lam = sim.client("lambda")
    for _ in range(5):
        lam.invoke(FunctionName="busy", InvocationType="Event", Payload=b'{"s": 30}')
    result = sim.run()
    t = sorted(starts(result, "busy"))
    assert len(t) == 5
    assert len(result.trace.of_kind("throttle")) >= 3
    # never more than 2 at once: the 3rd start waits for the 1st end (30 s)
    assert t[2] >= t[0] + 30
    assert {e.status for e in result.ledger.entries.values()} == {"delivered"}


def test_sdk_retries_for_clients_with_more_attempts(simulate):
    stack = make_stack(functions=[fn("busy", sleeper, timeout_s=300, reserved_concurrency=1)])
    sim = simulate(stack)
    sim.client("lambda").invoke(FunctionName="busy", InvocationType="Event", Payload=b'{"s": 5}')
    sim.advance(0.5)
    lam = sim.client("lambda")
    lam.meta.config.retries = {"mode": "standard", "total_max_attempts": 10}
    out = lam.invoke(FunctionName="busy", Payload=b'{"s": 0}')  # retried on the clock until capacity frees
    assert out["StatusCode"] == 200
    assert sim.clock.now_s > 5


def chatty(event, context):
    import sys

    print("hello from the handler")
    print("careful", file=sys.stderr)
    return 1


def test_handler_output_is_captured_in_the_trace_and_log_tail(simulate):
    import base64

    sim = simulate(make_stack(functions=[fn("c", chatty)]))
    out = sim.client("lambda").invoke(FunctionName="c", Payload=b"{}", LogType="Tail")
    tail = base64.b64decode(out["LogResult"]).decode()
    assert "hello from the handler" in tail and "careful" in tail
    logs = sim.trace.where("log", "c")
    assert [r["line"] for r in logs] == ["hello from the handler", "careful"]
    end = sim.trace.where("invoke.end", "c")[0]
    assert end["memory_mb"] == 128 and end["billed_ms"] >= 1


def test_cold_start_runs_before_the_timeout_clock_starts(simulate):
    # a 2 s init and a 2.5 s handler fit a 3 s timeout: init is not part of the invoke phase
    stack = make_stack(functions=[{"name": "s", "handler": sleeper, "timeout_s": 3,
                                   "cold_start": {"kind": "fixed", "seconds": 2.0},
                                   "duration": {"kind": "fixed", "seconds": 0.0}}])
    sim = simulate(stack)
    out = sim.client("lambda").invoke(FunctionName="s", Payload=b'{"s": 2.5}')
    assert "FunctionError" not in out
    init = sim.trace.where("invoke.init", "s")[0]
    assert init["init_s"] == 2.0
    out = sim.client("lambda").invoke(FunctionName="s", Payload=b'{"s": 2.5}')  # warm now
    assert sim.trace.where("invoke.init", "s") == [init]
