"""The Step Functions API through boto3 (``sim.client("stepfunctions")``): state machines,
Standard vs Express executions, stopping, listing and the execution history's shape."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.unit.asl.conftest import (
    US, describe, execution, history, output, run, sm_arn, sm_stack, start, times, types,
)

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Done"},
                                   "Done": {"Type": "Pass", "Result": {"done": True}, "End": True}}}


def error_code(call) -> str:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]["Code"]


# -- state machines ------------------------------------------------------------------------------
def test_create_describe_and_list_state_machines(simulate):
    sim = simulate(sm_stack(PASS))
    sfn = sim.client("stepfunctions")
    created = sfn.create_state_machine(name="made", definition=json.dumps(WAIT), type="EXPRESS",
                                       roleArn="arn:aws:iam::123456789012:role/r")
    assert created["stateMachineArn"] == sm_arn(sim, "made")
    desc = sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"])
    assert (desc["name"], desc["type"], json.loads(desc["definition"])) == ("made", "EXPRESS", WAIT)
    assert desc["roleArn"] == "arn:aws:iam::123456789012:role/r" and desc["status"] == "ACTIVE"
    names = {m["name"]: m["type"] for m in sfn.list_state_machines()["stateMachines"]}
    assert names == {"sm": "STANDARD", "made": "EXPRESS"}
    # the same definition again is the same machine; another definition under that name is refused
    again = sfn.create_state_machine(name="made", definition=json.dumps(WAIT), type="EXPRESS",
                                     roleArn="arn:aws:iam::123456789012:role/r")
    assert again["stateMachineArn"] == created["stateMachineArn"]
    assert error_code(lambda: sfn.create_state_machine(name="made", definition=json.dumps(PASS),
                                                       roleArn="arn:aws:iam::123456789012:role/r")) == \
        "StateMachineAlreadyExists"


@pytest.mark.parametrize("definition", [
    {"StartAt": "Missing", "States": {"P": {"Type": "Pass", "End": True}}},
    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": -1, "End": True}}},
    {"StartAt": "P", "States": {"P": {"Type": "Pass"}}},
    "not json at all",
])
def test_an_invalid_definition_is_refused_with_invalid_definition(simulate, definition):
    sim = simulate(sm_stack(PASS))
    text = definition if isinstance(definition, str) else json.dumps(definition)
    with pytest.raises(ClientError) as err:
        sim.client("stepfunctions").create_state_machine(name="bad", definition=text,
                                                          roleArn="arn:aws:iam::123456789012:role/r")
    assert err.value.response["Error"]["Code"] == "InvalidDefinition"
    assert err.value.response["Error"]["Message"].startswith("Invalid State Machine Definition: ")


def test_unknown_machines_executions_and_bad_input_are_refused(simulate):
    sim = simulate(sm_stack(PASS))
    sfn = sim.client("stepfunctions")
    assert error_code(lambda: sfn.start_execution(stateMachineArn=sm_arn(sim, "nope"))) == "StateMachineDoesNotExist"
    assert error_code(lambda: sfn.describe_execution(executionArn=sm_arn(sim).replace(
        "stateMachine:sm", "execution:sm:nope"))) == "ExecutionDoesNotExist"
    assert error_code(lambda: sfn.start_execution(stateMachineArn=sm_arn(sim), input="{oops")) == \
        "InvalidExecutionInput"


# -- Standard executions ------------------------------------------------------------------------
def test_standard_start_execution_is_idempotent_on_name_and_input_while_running(simulate):
    sim = simulate(sm_stack(WAIT))
    first = start(sim, {"wait": 60}, name="order-1")
    assert start(sim, {"wait": 60}, name="order-1") == first  # same name, same input: the same execution
    assert error_code(lambda: start(sim, {"wait": 61}, name="order-1")) == "ExecutionAlreadyExists"
    sim.run()
    assert describe(sim, first)["status"] == "SUCCEEDED"
    # once it has ended, even the same input is refused
    assert error_code(lambda: start(sim, {"wait": 60}, name="order-1")) == "ExecutionAlreadyExists"
    listed = sim.client("stepfunctions").list_executions(stateMachineArn=sm_arn(sim))["executions"]
    assert [e["executionArn"] for e in listed] == [first]  # still the one execution


def test_stop_execution_mid_wait_aborts_it(simulate):
    sim = simulate(sm_stack(WAIT))
    arn = start(sim, {"wait": 3600})
    sim.advance(100)
    sfn = sim.client("stepfunctions")
    stopped = sfn.stop_execution(executionArn=arn, error="Manual", cause="operator stopped it")
    stop_s = sim.clock.now_s
    sim.run()
    ended = sim.clock.now_s
    desc = describe(sim, arn)
    events = history(sim, arn)
    assert desc["status"] == "ABORTED" and (desc["error"], desc["cause"]) == ("Manual", "operator stopped it")
    assert (desc["stopDate"] - sim.clock.epoch).total_seconds() == pytest.approx(stop_s, abs=US)
    assert stopped["stopDate"] == desc["stopDate"]
    assert types(events) == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Manual", "cause": "operator stopped it"}
    assert ended == stop_s  # the hour-long wait did not keep the run going
    # stopping again changes nothing
    sfn.stop_execution(executionArn=arn, error="Again")
    assert describe(sim, arn)["error"] == "Manual"


def test_list_executions_newest_first_with_a_status_filter_and_pages(simulate):
    sim = simulate(sm_stack(WAIT))
    done = [start(sim, {"wait": 1}, name=f"quick-{i}") for i in range(3)]
    sim.run()
    waiting = start(sim, {"wait": 1000}, name="slow")
    sfn = sim.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=sm_arn(sim))["executions"]
    assert [e["name"] for e in listed] == ["slow", "quick-2", "quick-1", "quick-0"]
    running = sfn.list_executions(stateMachineArn=sm_arn(sim), statusFilter="RUNNING")["executions"]
    assert [e["executionArn"] for e in running] == [waiting]
    paged, token = [], None
    while True:
        page = sfn.list_executions(stateMachineArn=sm_arn(sim), maxResults=3, **({"nextToken": token} if token
                                                                                  else {}))
        assert len(page["executions"]) <= 3
        paged.extend(e["executionArn"] for e in page["executions"])
        token = page.get("nextToken")
        if not token:
            break
    assert paged == [waiting, *reversed(done)]


# -- the history's shape --------------------------------------------------------------------------
PARALLEL = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "M", "Branches": [
    {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 5, "End": True}}},
    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "B2"}, "B2": {"Type": "Pass", "End": True}}}]},
    "M": {"Type": "Map", "End": True, "ItemsPath": "$[0].items",
          "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}}}


def test_history_ids_and_previous_event_ids_form_threads(simulate):
    sim = simulate(sm_stack(PARALLEL))
    arn, desc = run(sim, {"items": [1, 2, 3]})
    events = history(sim, arn)
    assert desc["status"] == "SUCCEEDED" and output(desc) == [1, 2, 3]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["previousEventId"] == 0
    assert all(0 < e["previousEventId"] < e["id"] for e in events[1:])  # each refers to an earlier event
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    by_type = {}
    for e in events:
        by_type.setdefault(e["type"], []).append(e)
    parallel_started = by_type["ParallelStateStarted"][0]["id"]
    branch_heads = [e for e in events if e["type"] in ("WaitStateEntered", "PassStateEntered")
                    and e["stateEnteredEventDetails"]["name"] in ("A", "B")]
    assert [e["previousEventId"] for e in branch_heads] == [parallel_started, parallel_started]
    b2 = [e for e in events if e["type"] == "PassStateEntered" and e["stateEnteredEventDetails"]["name"] == "B2"][0]
    b_exited = [e for e in events if e["type"] == "PassStateExited" and e["stateExitedEventDetails"]["name"] == "B"]
    assert b2["previousEventId"] == b_exited[0]["id"]  # B2 follows B on the branch's own thread
    map_started = by_type["MapStateStarted"][0]["id"]
    assert [e["previousEventId"] for e in by_type["MapIterationStarted"]] == [map_started] * 3
    assert [e["mapIterationStartedEventDetails"]["index"] for e in by_type["MapIterationStarted"]] == [0, 1, 2]
    assert times(events, "ParallelStateExited")[0] - times(events, "ParallelStateEntered")[0] == \
        pytest.approx(5.0, abs=US)


def test_history_reverse_order_pages_and_execution_data(simulate):
    sim = simulate(sm_stack(PARALLEL))
    arn, _ = run(sim, {"items": [1, 2]})
    sfn = sim.client("stepfunctions")
    forward = sfn.get_execution_history(executionArn=arn)["events"]
    backward = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert [e["id"] for e in backward] == [e["id"] for e in reversed(forward)]
    pages, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=4, **({"nextToken": token} if token else {}))
        pages.append([e["id"] for e in page["events"]])
        token = page.get("nextToken")
        if not token:
            break
    assert all(len(p) == 4 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 4
    assert sum(pages, []) == [e["id"] for e in forward]
    lean = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert "input" not in lean[0]["executionStartedEventDetails"]
    assert "roleArn" in lean[0]["executionStartedEventDetails"]
    assert json.loads(forward[0]["executionStartedEventDetails"]["input"]) == {"items": [1, 2]}


# -- Express -------------------------------------------------------------------------------------
def test_express_keeps_no_history(simulate):
    sim = simulate(sm_stack(PASS, kind="EXPRESS"))
    arn = start(sim, {"a": 1})
    sim.run()
    assert ":express:sm:" in arn
    assert execution(sim, arn).status == "SUCCEEDED"
    sfn = sim.client("stepfunctions")
    assert error_code(lambda: sfn.get_execution_history(executionArn=arn)) == "InvalidArn"
    assert error_code(lambda: sfn.describe_execution(executionArn=arn)) == "InvalidArn"


def test_express_executions_cannot_be_stopped(simulate):
    # docs: StopExecution "is not supported by EXPRESS state machines"
    sim = simulate(sm_stack(WAIT, kind="EXPRESS"))
    arn = start(sim, {"wait": 60})
    sim.advance(10)
    sfn = sim.client("stepfunctions")
    assert error_code(lambda: sfn.stop_execution(executionArn=arn)) == "InvalidArn"
    assert execution(sim, arn).status == "RUNNING"


def test_express_executions_end_timed_out_after_five_minutes(simulate):
    sim = simulate(sm_stack(WAIT, kind="EXPRESS"))
    arn = start(sim, {"wait": 400})
    began = sim.clock.now_s
    sim.run()
    ex = execution(sim, arn)
    assert ex.status == "TIMED_OUT" and ex.error == "States.Timeout"
    ran = (ex.stop_date - ex.start_date).total_seconds()
    assert ran == pytest.approx(300.0, abs=US)
    assert sim.clock.now_s == pytest.approx(began + 300.0, abs=1e-3)  # the 400 s wait stopped with it


def test_an_express_machines_own_shorter_timeout_wins(simulate):
    sim = simulate(sm_stack({**WAIT, "TimeoutSeconds": 30}, kind="EXPRESS"))
    arn = start(sim, {"wait": 400})
    sim.run()
    ex = execution(sim, arn)
    assert ex.status == "TIMED_OUT" and (ex.stop_date - ex.start_date).total_seconds() == pytest.approx(30.0)


def test_start_sync_execution_returns_the_result(simulate):
    sim = simulate(sm_stack(WAIT, kind="EXPRESS"))
    sfn = sim.client("stepfunctions")
    before = sim.clock.now_s
    out = sfn.start_sync_execution(stateMachineArn=sm_arn(sim), input=json.dumps({"wait": 42}), name="sync-1")
    assert out["status"] == "SUCCEEDED" and json.loads(out["output"]) == {"done": True}
    assert out["name"] == "sync-1" and json.loads(out["input"]) == {"wait": 42}
    assert (out["stopDate"] - out["startDate"]).total_seconds() == pytest.approx(42.0, abs=US)
    assert 42.0 < sim.clock.now_s - before < 42.5  # the call itself waited on the virtual clock


def test_start_sync_execution_reports_a_failure_and_refuses_standard_machines(simulate):
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad", "Cause": "it failed"}}}
    sim = simulate(sm_stack(failing, kind="EXPRESS", machines=[{"name": "std", "definition": PASS}]))
    sfn = sim.client("stepfunctions")
    out = sfn.start_sync_execution(stateMachineArn=sm_arn(sim))
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "Bad", "it failed") and "output" not in out
    assert error_code(lambda: sfn.start_sync_execution(stateMachineArn=sm_arn(sim, "std"))) == \
        "StateMachineTypeNotSupported"


def test_a_next_token_this_api_did_not_hand_out_is_an_invalid_token(simulate):
    sim = simulate(sm_stack(PASS))
    arn, _ = run(sim)
    sfn = sim.client("stepfunctions")
    assert error_code(lambda: sfn.get_execution_history(executionArn=arn, nextToken="garbage")) == "InvalidToken"
    assert error_code(lambda: sfn.list_executions(stateMachineArn=sm_arn(sim), nextToken="garbage")) == \
        "InvalidToken"
