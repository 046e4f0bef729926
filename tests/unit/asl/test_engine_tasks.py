"""Task states on the virtual clock: TimeoutSeconds, HeartbeatSeconds, .waitForTaskToken
answered by handlers and control clients, activities, and the execution's own timeout."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.unit.asl.conftest import (
    US,     REGION, describe, fn, history, lambda_arn, output, run, sm_stack, start, times, types,
)


def sleeper(event, context):
    time.sleep(event.get("sleep", 100))
    return {"slept": event.get("sleep", 100)}


def lambda_task(function: str, **fields) -> dict:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": lambda_arn(function), "End": True,
                                             **fields}}}


def entered_at(events: list[dict]) -> float:
    return times(events, "TaskStateEntered")[0]


# -- TimeoutSeconds ---------------------------------------------------------------------------------
def test_timeout_seconds_fails_a_sleeping_lambda_at_exactly_the_limit(simulate):
    sim = simulate(sm_stack(lambda_task("slow", TimeoutSeconds=10), functions=[fn("slow", sleeper, timeout_s=900)]))
    arn, desc = run(sim, {"sleep": 100})
    events = history(sim, arn)
    assert desc["status"] == "FAILED" and desc["error"] == "States.Timeout"
    assert types(events)[-2:] == ["LambdaFunctionTimedOut", "ExecutionFailed"]
    assert times(events, "LambdaFunctionTimedOut")[0] - entered_at(events) == pytest.approx(10.0, abs=US)
    scheduled = [e for e in events if e["type"] == "LambdaFunctionScheduled"][0]
    assert scheduled["lambdaFunctionScheduledEventDetails"]["timeoutInSeconds"] == 10
    stopped = (desc["stopDate"] - sim.clock.epoch).total_seconds()
    assert stopped == pytest.approx(entered_at(events) + 10.0, abs=1e-3)


def test_a_task_that_finishes_inside_its_timeout_succeeds(simulate):
    sim = simulate(sm_stack(lambda_task("slow", TimeoutSeconds=10), functions=[fn("slow", sleeper, timeout_s=900)]))
    arn, desc = run(sim, {"sleep": 9})
    assert desc["status"] == "SUCCEEDED" and output(desc) == {"slept": 9}
    succeeded = times(history(sim, arn), "LambdaFunctionSucceeded")[0]
    assert 9.0 < succeeded - entered_at(history(sim, arn)) < 9.5


def test_timeout_seconds_path_reads_the_limit_from_the_input(simulate):
    sim = simulate(sm_stack(lambda_task("slow", TimeoutSecondsPath="$.limit"),
                            functions=[fn("slow", sleeper, timeout_s=900)]))
    arn, desc = run(sim, {"sleep": 100, "limit": 4})
    events = history(sim, arn)
    assert desc["error"] == "States.Timeout"
    assert times(events, "LambdaFunctionTimedOut")[0] - entered_at(events) == pytest.approx(4.0, abs=US)


def test_a_timed_out_attempt_is_retried_on_states_timeout(simulate):
    sim = simulate(sm_stack(lambda_task("slow", TimeoutSeconds=5, Retry=[{"ErrorEquals": ["States.Timeout"],
                                                                          "IntervalSeconds": 2, "MaxAttempts": 1}]),
                            functions=[fn("slow", sleeper, timeout_s=900)]))
    arn, desc = run(sim, {"sleep": 100})
    events = history(sim, arn)
    timed_out = times(events, "LambdaFunctionTimedOut")
    assert desc["error"] == "States.Timeout" and len(timed_out) == 2
    assert timed_out[1] - timed_out[0] == pytest.approx(2.0 + 5.0, abs=US)


# -- execution TimeoutSeconds ---------------------------------------------------------------------
def test_execution_timeout_seconds_ends_the_execution_timed_out(simulate):
    definition = {"TimeoutSeconds": 30, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100,
                                                                          "End": True}}}
    sim = simulate(sm_stack(definition))
    arn = start(sim)
    sim.run()
    ended = sim.clock.now_s
    desc, events = describe(sim, arn), history(sim, arn)
    assert desc["status"] == "TIMED_OUT"
    assert types(events) == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    started = times(events, "ExecutionStarted")[0]
    assert times(events, "ExecutionTimedOut")[0] - started == pytest.approx(30.0, abs=US)
    assert events[-1]["executionTimedOutEventDetails"]["error"] == "States.Timeout"
    assert ended == pytest.approx(started + 30.0, abs=US)  # the 100 s wait does not go on


def test_execution_timeout_inside_a_parallel_ends_everything_at_the_limit(simulate):
    branches = [{"StartAt": n, "States": {n: {"Type": "Wait", "Seconds": 100, "End": True}}} for n in "AB"]
    definition = {"TimeoutSeconds": 30, "StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": branches,
                                                                          "End": True}}}
    sim = simulate(sm_stack(definition))
    arn = start(sim)
    sim.run()
    ended = sim.clock.now_s
    events = history(sim, arn)
    assert describe(sim, arn)["status"] == "TIMED_OUT"
    assert types(events)[-1] == "ExecutionTimedOut"  # nothing after the terminal event
    started = times(events, "ExecutionStarted")[0]
    assert ended == pytest.approx(started + 30.0, abs=US)  # neither branch's 100 s wait goes on


# -- .waitForTaskToken ----------------------------------------------------------------------------
def answering(event, context):
    """A function that answers its own task token through ordinary boto3, after a while."""
    sfn = boto3.client("stepfunctions")
    time.sleep(event.get("work", 3))
    if event.get("fail"):
        sfn.send_task_failure(taskToken=event["token"], error="Rejected", cause=f"value {event['v']}")
    else:
        sfn.send_task_success(taskToken=event["token"], output=json.dumps({"approved": event["v"]}))
    return {"this": "is not the task's result"}


def callback_task(**fields) -> dict:
    return {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "approver", "Payload": {"token.$": "$$.Task.Token", "v.$": "$.v",
                                                                "fail.$": "$.fail", "work.$": "$.work"}},
        "End": True, **fields}}}


def test_lambda_answers_its_token_with_send_task_success(simulate):
    sim = simulate(sm_stack(callback_task(TimeoutSeconds=60), functions=[fn("approver", answering, timeout_s=60)]))
    arn, desc = run(sim, {"v": 5, "fail": False, "work": 3})
    events = history(sim, arn)
    assert desc["status"] == "SUCCEEDED" and output(desc) == {"approved": 5}
    assert types(events)[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert 3.0 < times(events, "TaskSucceeded")[0] - entered_at(events) < 3.5  # long before the 60 s timeout


def test_lambda_answers_its_token_with_send_task_failure(simulate):
    sim = simulate(sm_stack(callback_task(), functions=[fn("approver", answering, timeout_s=60)]))
    arn, desc = run(sim, {"v": 7, "fail": True, "work": 1})
    assert desc["status"] == "FAILED"
    assert (desc["error"], desc["cause"]) == ("Rejected", "value 7")
    failed = [e for e in history(sim, arn) if e["type"] == "TaskFailed"][0]["taskFailedEventDetails"]
    assert (failed["error"], failed["cause"], failed["resourceType"]) == ("Rejected", "value 7", "lambda")


def test_an_answer_after_the_timeout_is_refused_with_task_timed_out(simulate):
    tokens = []

    def remember(event, context):
        tokens.append(event["token"])
        return {}

    sim = simulate(sm_stack(callback_task(TimeoutSeconds=20), functions=[fn("approver", remember)]))
    arn, desc = run(sim, {"v": 1, "fail": False, "work": 0})
    events = history(sim, arn)
    assert desc["error"] == "States.Timeout"
    assert times(events, "TaskTimedOut")[0] - entered_at(events) == pytest.approx(20.0, abs=US)
    sfn = sim.client("stepfunctions")
    with pytest.raises(ClientError) as late:
        sfn.send_task_success(taskToken=tokens[0], output="{}")
    assert late.value.response["Error"]["Code"] == "TaskTimedOut"
    with pytest.raises(ClientError) as beat:
        sfn.send_task_heartbeat(taskToken=tokens[0])
    assert beat.value.response["Error"]["Code"] == "TaskTimedOut"


def test_unknown_tokens_are_invalid_tokens(simulate):
    sim = simulate(sm_stack(callback_task(), functions=[fn("approver", answering)]))
    sfn = sim.client("stepfunctions")
    for call in (lambda: sfn.send_task_success(taskToken="no-such-token", output="{}"),
                 lambda: sfn.send_task_failure(taskToken="no-such-token", error="E"),
                 lambda: sfn.send_task_heartbeat(taskToken="no-such-token")):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "InvalidToken"


def test_a_control_client_answers_a_token_between_runs(simulate):
    tokens = []

    def remember(event, context):
        tokens.append(event["token"])
        return {}

    sim = simulate(sm_stack(callback_task(), functions=[fn("approver", remember)]))
    arn = start(sim, {"v": 1, "fail": False, "work": 0})
    sim.run()  # nothing left to do but wait for the answer
    assert describe(sim, arn)["status"] == "RUNNING" and len(tokens) == 1
    sim.advance(3600)
    sfn = sim.client("stepfunctions")
    with pytest.raises(ClientError) as bad:
        sfn.send_task_success(taskToken=tokens[0], output="not json")
    assert bad.value.response["Error"]["Code"] == "InvalidOutput"
    sfn.send_task_success(taskToken=tokens[0], output='{"after": "an hour"}')
    sim.run()
    desc = describe(sim, arn)
    assert desc["status"] == "SUCCEEDED" and output(desc) == {"after": "an hour"}
    assert times(history(sim, arn), "TaskSucceeded")[0] > 3600


# -- HeartbeatSeconds ------------------------------------------------------------------------------
def sqs_worker(event, context):
    """An SQS-triggered worker: a heartbeat every 8 s, three times, then the answer."""
    sfn = boto3.client("stepfunctions")
    for record in event["Records"]:
        body = json.loads(record["body"])
        for _ in range(body["beats"]):
            time.sleep(8)
            sfn.send_task_heartbeat(taskToken=body["TaskToken"])
        time.sleep(body["last_gap"])
        sfn.send_task_success(taskToken=body["TaskToken"], output=json.dumps({"work": body["Message"]}))


def heartbeat_stack() -> object:
    definition = {"StartAt": "Send", "States": {"Send": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "TimeoutSeconds": 600, "HeartbeatSeconds": 10,
        "Parameters": {"QueueUrl": "jobs", "MessageBody": {"Message.$": "$.m", "beats.$": "$.beats",
                                                            "last_gap.$": "$.last_gap",
                                                            "TaskToken.$": "$$.Task.Token"}},
        "End": True}}}
    # the visibility timeout outlasts the worker's ~32 s, so the message is not delivered twice
    return sm_stack(definition, functions=[fn("worker", sqs_worker, timeout_s=900)],
                    queues=[{"name": "jobs", "visibility_timeout_s": 120}],
                    event_source_mappings=[{"queue": "jobs", "function": "worker", "batch_size": 1}])


def beat_times(sim) -> list[float]:
    return [r["t"] for r in sim.trace.records if r["kind"] == "api.call" and r.get("operation") ==
            "SendTaskHeartbeat"]


def test_heartbeats_every_8_seconds_keep_a_10_second_heartbeat_task_alive(simulate):
    sim = simulate(heartbeat_stack())
    arn, desc = run(sim, {"m": "resize", "beats": 3, "last_gap": 8})
    events = history(sim, arn)
    assert desc["status"] == "SUCCEEDED" and output(desc) == {"work": "resize"}
    assert types(events)[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert 32.0 < times(events, "TaskSucceeded")[0] - entered_at(events) < 34.0  # 4 gaps of 8 s, none > 10 s
    assert len(beat_times(sim)) == 3


def test_a_heartbeat_gap_longer_than_heartbeat_seconds_times_the_task_out(simulate):
    sim = simulate(heartbeat_stack())
    arn, desc = run(sim, {"m": "resize", "beats": 2, "last_gap": 30})
    events = history(sim, arn)
    assert desc["status"] == "FAILED" and desc["error"] == "States.Timeout"
    assert types(events)[-2:] == ["TaskTimedOut", "ExecutionFailed"]
    answered = [r for r in sim.trace.records if r["kind"] == "api.error" and r.get("operation") == "SendTaskSuccess"]
    assert answered and answered[0]["error"] == "TaskTimedOut"  # the worker's late answer was refused
    timed_out = times(events, "TaskTimedOut")[0]
    # the second heartbeat reached Step Functions just after t=16 (+ API latency): the timeout is 10 s later
    assert 26.0 < timed_out - entered_at(events) < 26.5


def test_control_client_heartbeats_set_the_exact_timeout_instant(simulate):
    tokens = []

    def remember(event, context):
        tokens.append(event["token"])
        return {}

    sim = simulate(sm_stack(callback_task(HeartbeatSeconds=10, TimeoutSeconds=300),
                            functions=[fn("approver", remember)]))
    arn = start(sim, {"v": 1, "fail": False, "work": 0})
    sfn = sim.client("stepfunctions")
    beats = []
    for _ in range(3):
        sim.advance(9)
        sfn.send_task_heartbeat(taskToken=tokens[0])
        beats.append(sim.clock.now_s)  # the call has been served: this is the heartbeat's instant
    sim.run()
    events = history(sim, arn)
    assert describe(sim, arn)["error"] == "States.Timeout"
    assert times(events, "TaskTimedOut")[0] == pytest.approx(beats[-1] + 10.0, abs=US)


# -- activities ----------------------------------------------------------------------------------
def activity_machine(**fields) -> dict:
    resource = f"arn:aws:states:{REGION}:${{AccountId}}:activity:work"
    return {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": resource, "End": True, **fields}}}


def test_a_control_client_worker_polls_get_activity_task_and_answers(simulate):
    sim = simulate(sm_stack(activity_machine(Parameters={"job.$": "$.job"})))
    sfn = sim.client("stepfunctions")
    activity = sfn.create_activity(name="work")["activityArn"]
    arn = start(sim, {"job": "j-1"})
    sim.run()
    task = sfn.get_activity_task(activityArn=activity, workerName="w-1")
    assert json.loads(task["input"]) == {"job": "j-1"}
    sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"done": "j-1"}))
    sim.run()
    desc = describe(sim, arn)
    events = history(sim, arn)
    assert desc["status"] == "SUCCEEDED" and output(desc) == {"done": "j-1"}
    assert types(events) == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
                             "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]
    started = [e for e in events if e["type"] == "ActivityStarted"][0]
    assert started["activityStartedEventDetails"]["workerName"] == "w-1"
    scheduled = [e for e in events if e["type"] == "ActivityScheduled"][0]["activityScheduledEventDetails"]
    assert json.loads(scheduled["input"]) == {"job": "j-1"} and scheduled["resource"].endswith(":activity:work")


def test_an_empty_long_poll_waits_60_virtual_seconds_and_returns_no_token(simulate):
    sim = simulate(sm_stack(activity_machine()))
    sfn = sim.client("stepfunctions")
    activity = sfn.create_activity(name="work")["activityArn"]
    before = sim.clock.now_s
    task = sfn.get_activity_task(activityArn=activity)
    assert "taskToken" not in task
    assert sim.clock.now_s - before == pytest.approx(60.0, abs=0.2)


def activity_worker(event, context):
    sfn = boto3.client("stepfunctions")
    task = sfn.get_activity_task(activityArn=event["activity"], workerName="lambda-worker")
    time.sleep(5)
    job = json.loads(task["input"])
    sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"doubled": job["n"] * 2}))


def test_a_handler_worker_long_polls_before_the_task_exists(simulate):
    sim = simulate(sm_stack(activity_machine(), functions=[fn("w", activity_worker, timeout_s=120)]))
    sfn = sim.client("stepfunctions")
    activity = sfn.create_activity(name="work")["activityArn"]
    sim.client("lambda").invoke(FunctionName="w", InvocationType="Event",
                                Payload=json.dumps({"activity": activity}).encode())
    sim.advance(10)  # the worker is now long-polling
    arn = start(sim, {"n": 21})
    sim.run()
    events = history(sim, arn)
    assert output(describe(sim, arn)) == {"doubled": 42}
    started = [e for e in events if e["type"] == "ActivityStarted"][0]
    assert started["activityStartedEventDetails"]["workerName"] == "lambda-worker"
    assert started["t"] == pytest.approx(times(events, "ActivityScheduled")[0], abs=US)  # handed over at once
    assert 5.0 < times(events, "ActivitySucceeded")[0] - started["t"] < 5.2


def test_an_activity_nobody_polls_times_out(simulate):
    sim = simulate(sm_stack(activity_machine(TimeoutSeconds=5)))
    sim.client("stepfunctions").create_activity(name="work")
    arn, desc = run(sim)
    events = history(sim, arn)
    assert desc["error"] == "States.Timeout"
    assert types(events)[-2:] == ["ActivityTimedOut", "ExecutionFailed"]
    assert times(events, "ActivityTimedOut")[0] - entered_at(events) == pytest.approx(5.0, abs=US)


def test_an_activity_without_heartbeats_fails_with_states_heartbeat_timeout(simulate):
    sim = simulate(sm_stack(activity_machine(HeartbeatSeconds=15, TimeoutSeconds=100)))
    sfn = sim.client("stepfunctions")
    activity = sfn.create_activity(name="work")["activityArn"]
    arn = start(sim)
    sim.advance(1)
    sfn.get_activity_task(activityArn=activity, workerName="silent")
    sim.run()
    events = history(sim, arn)
    assert describe(sim, arn)["error"] == "States.HeartbeatTimeout"
    assert times(events, "ActivityTimedOut")[0] - entered_at(events) == pytest.approx(15.0, abs=US)
