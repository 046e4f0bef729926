"""Fault injection: each point and action, with its effect asserted on the virtual clock."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from sim.faults import FaultPlan
from sim.errors import ConfigError
from sim.faults.plan import load_fault_plan
from tests.unit.sim.conftest import fn, make_stack, starts


def plan(*rules) -> FaultPlan:
    return FaultPlan.model_validate({"name": "p", "rules": list(rules)})


def rule(name, match, action) -> dict:
    return {"name": name, "match": match, "action": action}


def writes(event, context):
    table = boto3.resource("dynamodb").Table("t")
    table.put_item(Item={"pk": "first"})
    time.sleep(1)
    table.put_item(Item={"pk": "second"})
    return {"ok": True}


def stack():
    return make_stack(functions=[fn("w", writes, timeout_s=900)], tables=[{"name": "t", "hash_key": {"name": "pk"}}])


def keys(sim) -> set[str]:
    return {i["pk"]["S"] for i in sim.client("dynamodb").scan(TableName="t")["Items"]}


def invoke(sim, sync=True):
    lam = sim.client("lambda")
    if sync:
        out = lam.invoke(FunctionName="w", Payload=b"{}")
        return out.get("FunctionError"), json.loads(out["Payload"].read())
    lam.invoke(FunctionName="w", InvocationType="Event", Payload=b"{}")
    return None


def test_hang_runs_until_the_900_second_timeout(simulate):
    sim = simulate(stack(), faults=plan(rule("hang", {"point": "invocation_start", "function": "w"}, {"kind": "hang"})))
    err, doc = invoke(sim)
    assert err == "Unhandled" and doc["errorType"] == "Sandbox.Timedout"
    end = sim.trace.where("invoke.end", "w")[0]
    assert end["duration_s"] == pytest.approx(900.0)
    assert keys(sim) == set()  # it hung before doing anything


def test_kill_mid_execution_keeps_side_effects_made_so_far(simulate):
    sim = simulate(stack(), faults=plan(rule("kill", {"point": "invocation_start", "function": "w"},
                                             {"kind": "kill", "seconds": 0.5})))
    err, doc = invoke(sim)
    assert doc["errorType"] == "Runtime.ExitError" and "signal: killed" in doc["errorMessage"]
    assert keys(sim) == {"first"}  # killed during the sleep between the two writes


def test_kill_at_a_call_ends_the_invocation_as_it_makes_that_call(simulate):
    # "dies after k of N": the sandbox dies as the handler makes its second PutItem, which is never sent
    sim = simulate(stack(), faults=plan(rule("kill-at-second-put", {"point": "api_call", "function": "w",
                                                                    "service": "dynamodb", "operation": "PutItem",
                                                                    "nth": [2]},
                                             {"kind": "kill"})))
    err, doc = invoke(sim)
    assert err == "Unhandled" and doc["errorType"] == "Runtime.ExitError" and "signal: killed" in doc["errorMessage"]
    assert keys(sim) == {"first"}
    end = sim.trace.where("invoke.end", "w")[0]
    assert end["status"] == "killed"
    puts = [r for r in sim.trace.where("api.call", "lambda:w") if r.get("operation") == "PutItem"]
    assert len(puts) == 1  # the killing call is not made
    assert end["t"] > puts[0]["t"] + 1.0  # it died after the handler's one-second sleep, at the second call
    assert sim.injector.fired_counts() == {"kill-at-second-put": 1}


def test_kill_at_a_call_does_not_apply_to_the_control_plane(simulate):
    sim = simulate(stack(), faults=plan(rule("kill-any-put", {"point": "api_call", "service": "dynamodb",
                                                              "operation": "PutItem"}, {"kind": "kill"})))
    sim.client("dynamodb").put_item(TableName="t", Item={"pk": {"S": "harness"}})
    assert keys(sim) == {"harness"}


def test_crash_after_side_effects_loses_the_result_not_the_writes(simulate):
    sim = simulate(stack(), faults=plan(rule("crash", {"point": "invocation_end", "function": "w"},
                                              {"kind": "crash_after"})))
    err, doc = invoke(sim)
    assert err == "Unhandled" and doc["errorType"] == "Runtime.ExitError"
    assert keys(sim) == {"first", "second"}


def test_raise_error_at_start_and_async_retry_attempt_ranges(simulate):
    # attempts 0 and 1 fail (Lambda.ServiceException-like), attempt 2 succeeds
    sim = simulate(stack(), faults=plan(rule("fail-first-two", {"point": "invocation_start", "function": "w",
                                                                 "attempt": "0-1"},
                                             {"kind": "raise_error", "code": "ServiceException"})))
    invoke(sim, sync=False)
    result = sim.run()
    assert len(starts(result, "w")) == 3
    assert [r["status"] for r in result.trace.where("invoke.end", "w")] == ["failed", "failed", "succeeded"]
    assert result.faults_fired == {"fail-first-two": 2}


THROTTLE_PUTS = {"point": "api_call", "service": "dynamodb", "operation": "PutItem"}


def test_api_call_error_reaches_the_handler_after_sdk_retries(simulate):
    # DynamoDB throttling on every PutItem: botocore's default (standard mode, 3 attempts) retries, then raises
    sim = simulate(stack(), faults=plan(rule("throttle", THROTTLE_PUTS, {"kind": "throttle"})))
    err, doc = invoke(sim)
    assert doc["errorType"] == "ThrottlingException"  # botocore's modelled class, as Lambda would report it
    retries = sim.trace.where("sdk.retry", "lambda:w")
    assert len(retries) == 2
    assert retries[0]["delay_s"] < 1 and retries[1]["delay_s"] < 2  # rand * min(2**i, 20) for throttles


def legacy_writer(event, context):
    from botocore.config import Config

    boto3.client("dynamodb", config=Config(retries={"mode": "legacy"})).put_item(TableName="t", Item={"pk": {"S": "x"}})


def test_legacy_retry_mode_uses_dynamodbs_ten_attempts_and_50ms_base(simulate):
    stack_ = make_stack(functions=[fn("w", legacy_writer, timeout_s=30)], tables=[{"name": "t", "hash_key": {"name": "pk"}}])
    sim = simulate(stack_, faults=plan(rule("throttle", THROTTLE_PUTS, {"kind": "throttle"})))
    invoke(sim)
    retries = sim.trace.where("sdk.retry", "lambda:w")
    assert len(retries) == 9
    assert [r["delay_s"] for r in retries][:3] == [0.05, 0.1, 0.2]


def test_api_call_nth_and_window(simulate):
    sim = simulate(stack(), faults=plan(rule("second-put", {"point": "api_call", "service": "dynamodb",
                                                             "operation": "PutItem", "nth": [2]},
                                             {"kind": "raise_error", "code": "ConditionalCheckFailedException",
                                              "message": "The conditional request failed"})))
    err, doc = invoke(sim)
    assert "ConditionalCheckFailedException" in doc["errorMessage"]
    assert keys(sim) == {"first"}


def test_api_latency_is_added_on_the_clock(simulate):
    sim = simulate(stack(), faults=plan(rule("slow-ddb", {"point": "api_call", "service": "dynamodb"},
                                             {"kind": "latency", "seconds": 30})))
    invoke(sim)
    assert sim.trace.where("invoke.end", "w")[0]["duration_s"] > 61


def test_probability_is_seeded(simulate):
    def fired(seed):
        s = simulate(stack(), seed=seed, faults=plan(rule("coin", {"point": "api_call", "service": "dynamodb",
                                                                   "probability": 0.5},
                                                          {"kind": "latency", "seconds": 1})))
        for _ in range(10):
            invoke(s)
        return s.injector.fired_counts()["coin"]

    assert fired(1) == fired(1)
    assert 0 < fired(1) < 20


def test_plan_validation_names_the_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nrules:\n  - name: r\n    match: {point: api_call}\n    action: {kind: hang}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml.*'hang' cannot apply at 'api_call'"):
        load_fault_plan(bad)
    bad.write_text("rules:\n  - name: r\n    match: {point: invocation_start, attempt: '3-1'}\n    action: {kind: hang}\n")
    with pytest.raises(ConfigError, match="bad attempt range '3-1'"):
        load_fault_plan(bad)
    bad.write_text("rules:\n  - name: r\n    match: {point: api_call}\n    action: {kind: kill, seconds: 5}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml.*kill at 'api_call' happens as the call is made; drop 'seconds'"):
        load_fault_plan(bad)


def count_calls(event, context):
    CALLED.append(event)


CALLED: list = []


def test_sqs_and_lambda_async_delivery_faults(simulate):
    CALLED.clear()
    stack_ = make_stack(functions=[fn("c", count_calls)], queues=[{"name": "std"}, {"name": "f.fifo"}],
                        event_source_mappings=[{"queue": "std", "function": "c", "batch_size": 1}])
    sim = simulate(stack_, faults=plan(
        rule("dup-sqs", {"point": "delivery", "channel": "sqs", "resource": "std", "nth": [1]}, {"kind": "duplicate"}),
        rule("drop-sqs", {"point": "delivery", "channel": "sqs", "resource": "std", "nth": [2]}, {"kind": "drop"}),
        rule("late-async", {"point": "delivery", "channel": "lambda-async", "resource": "c"},
             {"kind": "delay", "seconds": 60})))
    sqs = sim.client("sqs")
    sqs.send_message(QueueUrl="std", MessageBody="one")
    sqs.send_message(QueueUrl="std", MessageBody="two")
    sim.client("lambda").invoke(FunctionName="c", InvocationType="Event", Payload=b'{"async": true}')
    result = sim.run()
    bodies = [r["body"] for e in CALLED if "Records" in e for r in e["Records"]]
    assert bodies == ["one", "one"]  # delivered twice; "two" never
    async_start = [r["t"] for r in result.trace.where("invoke.start", "c", mode="Event")]
    assert async_start[0] >= 60
    assert [e.status for e in result.ledger.entries.values() if e.kind == "sqs-message"] == ["deleted", "dropped"]


def test_duplicate_delivery_on_a_fifo_queue_is_refused_by_name(simulate):
    from sim.errors import SimError

    sim = simulate(make_stack(queues=[{"name": "f.fifo"}]), faults=plan(
        rule("dup", {"point": "delivery", "channel": "sqs", "resource": "f.fifo"}, {"kind": "duplicate"})))
    with pytest.raises(SimError, match="exactly once"):
        sim.client("sqs").send_message(QueueUrl="f.fifo", MessageBody="x", MessageGroupId="g",
                                       MessageDeduplicationId="d")


def test_a_duplicate_async_delivery_can_arrive_later(simulate):
    CALLED.clear()
    sim = simulate(make_stack(functions=[fn("c", count_calls)]), faults=plan(
        rule("late-copy", {"point": "delivery", "channel": "lambda-async", "resource": "c"},
             {"kind": "duplicate", "seconds": 300})))
    sim.client("lambda").invoke(FunctionName="c", InvocationType="Event", Payload=b'{"async": true}')
    result = sim.run()
    times = [r["t"] for r in result.trace.where("invoke.start", "c")]
    assert len(times) == 2 and 299 < times[1] - times[0] < 301  # the copy, five minutes after the original


def answer(event, context):
    return {"answer": 42}


def test_oversize_grows_a_functions_result(simulate):
    sim = simulate(make_stack(functions=[fn("a", answer)]), faults=plan(
        rule("big", {"point": "invocation_end", "function": "a", "nth": [1]}, {"kind": "oversize", "bytes": 300_000})))
    lam = sim.client("lambda")
    first = json.loads(lam.invoke(FunctionName="a", Payload=b"{}")["Payload"].read())
    second = json.loads(lam.invoke(FunctionName="a", Payload=b"{}")["Payload"].read())
    assert first["answer"] == 42 and len(first["_padding"]) == 300_000
    assert second == {"answer": 42}


def test_oversize_applies_only_at_invocation_end():
    from sim.faults import FaultPlan

    with pytest.raises(ValueError, match="cannot apply at 'api_call'"):
        FaultPlan.model_validate({"rules": [{"name": "x", "match": {"point": "api_call"},
                                             "action": {"kind": "oversize", "bytes": 1}}]})
