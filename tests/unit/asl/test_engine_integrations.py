"""Task integrations through the kernel: EventBridge, SQS, DynamoDB, Lambda under injected
faults, EventBridge rules that start executions, and nested executions (.sync, .sync:2)."""

from __future__ import annotations

import json

import pytest

from sim.faults import FaultPlan
from tests.unit.asl.conftest import (
    REGION, US, describe, fn, history, lambda_arn, output, run, sm_arn, sm_stack, times, types,
)

SEEN: dict[str, list] = {}


def record(event, context):
    SEEN.setdefault(context.function_name, []).append(event)
    return {"ok": True}


@pytest.fixture(autouse=True)
def _fresh_seen():
    SEEN.clear()
    yield
    SEEN.clear()


def task(resource: str, parameters: dict, **fields) -> dict:
    return {"Type": "Task", "Resource": f"arn:aws:states:::{resource}", "Parameters": parameters, **fields}


# -- EventBridge, SQS, DynamoDB --------------------------------------------------------------------
def test_put_events_reaches_a_rules_lambda_target(simulate):
    definition = {"StartAt": "Put", "States": {"Put": task("events:putEvents", {"Entries": [
        {"Source": "shop", "DetailType": "OrderPlaced", "Detail": {"order.$": "$.order"}}]}, End=True)}}
    stack = sm_stack(definition, functions=[fn("sink", record)],
                     rules=[{"name": "orders", "event_pattern": {"source": ["shop"], "detail-type": ["OrderPlaced"]},
                             "targets": [{"arn": "function:sink"}]}])
    sim = simulate(stack)
    _, desc = run(sim, {"order": "o-17"})
    out = output(desc)
    assert desc["status"] == "SUCCEEDED"
    assert out["FailedEntryCount"] == 0 and len(out["Entries"]) == 1 and out["Entries"][0]["EventId"]
    assert [(e["source"], e["detail-type"], e["detail"]) for e in SEEN["sink"]] == \
        [("shop", "OrderPlaced", {"order": "o-17"})]
    assert SEEN["sink"][0]["id"] == out["Entries"][0]["EventId"]


def test_send_message_lands_in_the_kernels_queue(simulate):
    definition = {"StartAt": "Send", "States": {"Send": task("sqs:sendMessage", {
        "QueueUrl": "outbox", "MessageBody": {"order.$": "$.order", "qty": 3}}, End=True)}}
    sim = simulate(sm_stack(definition, queues=[{"name": "outbox"}]))
    _, desc = run(sim, {"order": "o-1"})
    sent = output(desc)
    assert desc["status"] == "SUCCEEDED" and sent["MessageId"] and sent["MD5OfMessageBody"]
    messages = sim.client("sqs").receive_message(QueueUrl="outbox", MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"]) for m in messages] == [{"order": "o-1", "qty": 3}]
    assert messages[0]["MessageId"] == sent["MessageId"]


def test_dynamodb_put_item_then_get_item_against_the_emulator_table(simulate):
    definition = {"StartAt": "Put", "States": {
        "Put": task("dynamodb:putItem", {"TableName": "orders",
                                         "Item": {"id": {"S.$": "$.id"}, "qty": {"N": "3"}}},
                    ResultPath=None, Next="Get"),
        "Get": task("dynamodb:getItem", {"TableName": "orders", "Key": {"id": {"S.$": "$.id"}}},
                    ResultSelector={"qty.$": "$.Item.qty.N", "id.$": "$.Item.id.S"}, End=True)}}
    sim = simulate(sm_stack(definition, tables=[{"name": "orders", "hash_key": {"name": "id"}}]))
    _, desc = run(sim, {"id": "o-9"})
    assert output(desc) == {"qty": "3", "id": "o-9"}
    item = sim.client("dynamodb").get_item(TableName="orders", Key={"id": {"S": "o-9"}})["Item"]
    assert item == {"id": {"S": "o-9"}, "qty": {"N": "3"}}


def test_dynamodb_errors_are_named_for_the_integration(simulate):
    definition = {"StartAt": "Get", "States": {"Get": task("dynamodb:getItem", {
        "TableName": "no-such-table", "Key": {"id": {"S": "x"}}}, End=True)}}
    sim = simulate(sm_stack(definition))
    _, desc = run(sim)
    assert desc["status"] == "FAILED" and desc["error"].startswith("DynamoDB.")
    assert "Service: AmazonDynamoDBv2" in desc["cause"]


def test_an_eventbridge_rule_targeting_the_state_machine_starts_an_execution(simulate):
    definition = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "InputPath": "$.detail", "End": True}}}
    stack = sm_stack(definition, rules=[{"name": "to-sfn", "event_pattern": {"source": ["billing"]},
                                         "targets": [{"arn": f"arn:aws:states:{REGION}:${{AccountId}}:"
                                                             "stateMachine:sm"}]}])
    sim = simulate(stack)
    sim.client("events").put_events(Entries=[
        {"Source": "billing", "DetailType": "Invoice", "Detail": json.dumps({"invoice": 12})},
        {"Source": "other", "DetailType": "Invoice", "Detail": json.dumps({"invoice": 13})}])
    sim.run()
    listed = sim.client("stepfunctions").list_executions(stateMachineArn=sm_arn(sim))["executions"]
    assert [e["status"] for e in listed] == ["SUCCEEDED"]
    assert output(describe(sim, listed[0]["executionArn"])) == {"invoice": 12}


# -- fault injection: the ASL Retry recovers -----------------------------------------------------
def throttled_twice() -> FaultPlan:
    return FaultPlan.model_validate({"name": "throttle-lambda", "rules": [{
        "name": "throttle", "match": {"point": "api_call", "service": "lambda", "operation": "Invoke",
                                      "max_fires": 2},
        "action": {"kind": "throttle"}}]})


def lambda_with_retry(retry: list) -> dict:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": lambda_arn("work"), "Retry": retry,
                                             "End": True}}}


def test_a_throttled_invoke_fails_the_task_with_lambda_too_many_requests(simulate):
    sim = simulate(sm_stack(lambda_with_retry([]), functions=[fn("work", record)]), faults=throttled_twice())
    arn, desc = run(sim)
    assert desc["status"] == "FAILED" and desc["error"] == "Lambda.TooManyRequestsException"
    assert "Status Code: 429" in desc["cause"]
    assert types(history(sim, arn))[-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]
    assert "work" not in SEEN  # the function never ran


def test_asl_retry_recovers_from_injected_throttling(simulate):
    retry = [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2, "BackoffRate": 2,
              "MaxAttempts": 3}]
    sim = simulate(sm_stack(lambda_with_retry(retry), functions=[fn("work", record)]), faults=throttled_twice())
    arn, desc = run(sim, {"n": 1})
    events = history(sim, arn)
    assert desc["status"] == "SUCCEEDED" and output(desc) == {"ok": True}
    failed = [e["lambdaFunctionFailedEventDetails"]["error"] for e in events if e["type"] == "LambdaFunctionFailed"]
    assert failed == ["Lambda.TooManyRequestsException"] * 2
    scheduled, failed_t = times(events, "LambdaFunctionScheduled"), times(events, "LambdaFunctionFailed")
    assert [s - f for f, s in zip(failed_t, scheduled[1:])] == pytest.approx([2.0, 4.0], abs=US)
    assert SEEN["work"] == [{"n": 1}]  # it ran once, on the third attempt
    assert sim.injector.fired_counts() == {"throttle": 2}


# -- nested executions ----------------------------------------------------------------------------
CHILD = {"StartAt": "Work", "States": {
    "Work": {"Type": "Wait", "Seconds": 50, "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "No"}],
              "Default": "Yes"},
    "Yes": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": True},
    "No": {"Type": "Fail", "Error": "ChildError", "Cause": "the child said no"}}}


def nested(pattern: str, extra_states: dict | None = None, **fields) -> object:
    parent = {"StartAt": "Start", "States": {"Start": task(
        f"states:startExecution{pattern}",
        {"StateMachineArn": f"arn:aws:states:{REGION}:${{AccountId}}:stateMachine:child",
         "Input": {"n.$": "$.n", "fail.$": "$.fail"}, "Name": "kid"}, End=True, **fields), **(extra_states or {})}}
    return sm_stack(parent, machines=[{"name": "child", "definition": CHILD}])


def child_arn(sim) -> str:
    return f"arn:aws:states:{REGION}:{sim.emulator.account_id}:execution:child:kid"


def test_start_execution_returns_at_once_with_the_childs_arn(simulate):
    sim = simulate(nested(""))
    arn, desc = run(sim, {"n": 4, "fail": False})
    out = output(desc)
    assert out["ExecutionArn"] == child_arn(sim) and isinstance(out["StartDate"], int)
    assert times(history(sim, arn), "ExecutionSucceeded")[0] < 1.0  # it did not wait for the child's 50 s
    assert describe(sim, child_arn(sim))["status"] == "SUCCEEDED"  # which still ran to the end


def test_sync_waits_for_the_child_and_returns_its_output_as_a_string(simulate):
    sim = simulate(nested(".sync"))
    arn, desc = run(sim, {"n": 4, "fail": False})
    out = output(desc)
    events = history(sim, arn)
    assert out["Status"] == "SUCCEEDED" and out["ExecutionArn"] == child_arn(sim)
    assert out["Output"] == '{"doubled":8}' and out["Input"] == '{"n":4,"fail":false}'
    assert types(events)[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert 50.0 < times(events, "TaskSucceeded")[0] < 50.5


def test_sync_2_returns_the_childs_output_as_json(simulate):
    sim = simulate(nested(".sync:2"))
    _, desc = run(sim, {"n": 4, "fail": False})
    out = output(desc)
    assert out["Output"] == {"doubled": 8} and out["Input"] == {"n": 4, "fail": False}


@pytest.mark.parametrize("pattern", [".sync", ".sync:2"])
def test_a_failed_child_fails_the_task_with_states_task_failed(simulate, pattern):
    sim = simulate(nested(pattern))
    arn, desc = run(sim, {"n": 4, "fail": True})
    assert desc["status"] == "FAILED" and desc["error"] == "States.TaskFailed"
    cause = json.loads(desc["cause"])
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "ChildError", "the child said no")
    assert cause["ExecutionArn"] == child_arn(sim)
    assert types(history(sim, arn))[-2:] == ["TaskFailed", "ExecutionFailed"]


def test_a_failed_child_is_caught_by_states_task_failed(simulate):
    sim = simulate(nested(".sync", {"Recovered": {"Type": "Pass", "End": True}},
                          Catch=[{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.child",
                                  "Next": "Recovered"}]))
    _, desc = run(sim, {"n": 1, "fail": True})
    out = output(desc)
    assert desc["status"] == "SUCCEEDED" and out["n"] == 1
    assert out["child"]["Error"] == "States.TaskFailed"
    assert json.loads(out["child"]["Cause"])["Error"] == "ChildError"
