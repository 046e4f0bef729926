"""``shadowsim asl run``: one JSON object per run, Step Functions Local mock configurations
driving Retry paths, and one clear message with exit code 2 for bad input."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from workflows.cli import app

LAMBDA = "arn:aws:states:::lambda:invoke"
DEFINITION = {"StartAt": "LambdaState", "States": {
    "LambdaState": {"Type": "Task", "Resource": LAMBDA,
                    "Parameters": {"FunctionName": "not-in-any-stack", "Payload.$": "$"},
                    "ResultSelector": {"body.$": "$.Payload.body"}, "ResultPath": "$.lambda",
                    "Retry": [{"ErrorEquals": ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException"],
                               "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 3}],
                    "Next": "SQSState"},
    "SQSState": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": "not-a-queue", "MessageBody.$": "$.lambda.body"},
                 "ResultSelector": {"id.$": "$.MessageId"}, "ResultPath": "$.sqs", "End": True}}}
MOCKS = {
    "StateMachines": {"orders": {"TestCases": {
        "HappyPath": {"LambdaState": "LambdaOk", "SQSState": "SqsOk"},
        "RetryPath": {"LambdaState": "LambdaRetry", "SQSState": "SqsOk"},
        "TooManyFailures": {"LambdaState": "LambdaAlwaysTimesOut"}}}},
    "MockedResponses": {
        "LambdaOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"body": "hello"}}}},
        "SqsOk": {"0": {"Return": {"MessageId": "m-1"}}},
        "LambdaRetry": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "not ready"}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}},
            "3": {"Return": {"StatusCode": 200, "Payload": {"body": "at last"}}}},
        "LambdaAlwaysTimesOut": {"0-3": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}}}}}


@pytest.fixture
def files(tmp_path):
    definition = tmp_path / "orders.asl.json"
    definition.write_text(json.dumps(DEFINITION))
    mocks = tmp_path / "MockConfigFile.json"
    mocks.write_text(json.dumps(MOCKS))
    value = tmp_path / "input.json"
    value.write_text(json.dumps({"order": 7}))
    return definition, mocks, value


def invoke(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["asl", "run", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def run_json(*args) -> dict:
    code, out, err = invoke(*args)
    assert code == 0, err
    return json.loads(out)  # exactly one JSON object: json.loads refuses anything more


def seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def test_happy_path_prints_one_json_object(files):
    definition, mocks, value = files
    doc = run_json(definition, "--input", value, "--mock-config", mocks, "--test-case", "HappyPath")
    assert doc["status"] == "SUCCEEDED" and doc["error"] is None and doc["cause"] is None
    assert doc["output"] == {"order": 7, "lambda": {"body": "hello"}, "sqs": {"id": "m-1"}}
    assert "history" not in doc
    assert seconds(doc["stopped"]) == seconds(doc["started"])  # mocks answer at once: no time passes


def test_attempt_ranges_drive_the_retry_path_on_the_virtual_clock(files):
    definition, mocks, value = files
    doc = run_json(definition, "--input", value, "--mock-config", mocks, "--test-case", "RetryPath", "--history")
    assert doc["status"] == "SUCCEEDED"
    assert doc["output"]["lambda"] == {"body": "at last"}
    events = doc["history"]
    failed = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert failed == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"]
    scheduled = [seconds(e["timestamp"]) for e in events if e["type"] == "TaskScheduled"]
    assert len(scheduled) == 5  # four Lambda attempts, one SQS
    assert [b - a for a, b in zip(scheduled, scheduled[1:4])] == pytest.approx([1.0, 2.0, 4.0], abs=1e-3)
    assert seconds(doc["stopped"]) - seconds(doc["started"]) == pytest.approx(7.0, abs=1e-3)


def test_retries_that_run_out_fail_the_execution(files):
    definition, mocks, value = files
    doc = run_json(definition, "--input", value, "--mock-config", mocks, "--test-case", "TooManyFailures")
    assert (doc["status"], doc["error"], doc["cause"], doc["output"]) == \
        ("FAILED", "Lambda.TimeoutException", "timed out", None)


def test_a_state_invoked_past_its_mocked_attempts_fails_with_states_runtime(files, tmp_path):
    definition, _, value = files
    short = json.loads(json.dumps(MOCKS))
    short["MockedResponses"]["LambdaRetry"].pop("3")
    mocks = tmp_path / "short.json"
    mocks.write_text(json.dumps(short))
    doc = run_json(definition, "--input", value, "--mock-config", mocks, "--test-case", "RetryPath")
    assert doc["status"] == "FAILED" and doc["error"] == "States.Runtime"
    assert "attempts defined: 0, 1-2" in doc["cause"]


def test_without_mocks_a_stack_supplies_the_real_function(tmp_path):
    definition = tmp_path / "echo.asl.json"
    definition.write_text(json.dumps({"StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "Seconds": 90, "Next": "Call"},
        "Call": {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "echo", "Payload.$": "$"},
                 "OutputPath": "$.Payload", "End": True}}}))
    stack = tmp_path / "stack.yaml"
    stack.write_text("name: cli\nfunctions:\n  - name: echo\n    handler: tests.unit.asl.test_engine_cli:echo\n")
    value = tmp_path / "in.json"
    value.write_text('{"hello": "world"}')
    doc = run_json(definition, "--stack", stack, "--input", value, "--name", "echoer")
    assert doc["status"] == "SUCCEEDED" and doc["output"] == {"echo": {"hello": "world"}}
    assert 90.0 < seconds(doc["stopped"]) - seconds(doc["started"]) < 91.0


def echo(event, context):
    return {"echo": event}


def test_express_runs_are_cut_at_five_minutes(tmp_path):
    definition = tmp_path / "long.asl.json"
    definition.write_text(json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 400,
                                                                        "End": True}}}))
    doc = run_json(definition, "--express")
    assert doc["status"] == "TIMED_OUT" and doc["error"] == "States.Timeout"
    assert seconds(doc["stopped"]) - seconds(doc["started"]) == pytest.approx(300.0)


@pytest.mark.parametrize("case,expected", [
    ("missing-definition", "cannot read the state machine definition"),
    ("definition-not-json", "the state machine definition is not valid JSON"),
    ("invalid-definition", "Invalid State Machine Definition"),
    ("input-not-json", "the execution input is not valid JSON"),
    ("mock-without-case", "--mock-config and --test-case go together"),
    ("unknown-test-case", "has no test case 'Nope'"),
    ("mock-config-missing", "mock config file not found"),
    ("bad-range", "is not an invocation number or range"),
])
def test_bad_input_gives_one_clear_message_and_exit_code_2(files, tmp_path, case, expected):
    definition, mocks, value = files
    bad = tmp_path / "bad.json"
    args = {
        "missing-definition": [tmp_path / "absent.asl.json"],
        "definition-not-json": [bad],
        "invalid-definition": [bad],
        "input-not-json": [definition, "--input", bad],
        "mock-without-case": [definition, "--mock-config", mocks],
        "unknown-test-case": [definition, "--mock-config", mocks, "--test-case", "Nope"],
        "mock-config-missing": [definition, "--mock-config", tmp_path / "absent.json", "--test-case", "HappyPath"],
        "bad-range": [definition, "--mock-config", bad, "--test-case", "HappyPath"],
    }[case]
    if case in ("definition-not-json", "input-not-json"):
        bad.write_text("{not json")
    elif case == "invalid-definition":
        bad.write_text(json.dumps({"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "End": True}}}))
    elif case == "bad-range":
        broken = json.loads(json.dumps(MOCKS))
        broken["MockedResponses"]["LambdaOk"] = {"2-1": {"Return": {}}}
        bad.write_text(json.dumps(broken))
    code, out, err = invoke(*args)
    assert code == 2
    assert out == ""  # no JSON on stdout, no partial result
    assert expected in err and "Traceback" not in err
    assert err.strip().startswith("error:") and len(err.strip().splitlines()) <= 3


def test_an_execution_still_waiting_when_the_clock_runs_dry_exits_3_with_its_json(tmp_path):
    definition = tmp_path / "waits.asl.json"
    definition.write_text(json.dumps({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "inbox", "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}}))
    stack = tmp_path / "stack.yaml"
    stack.write_text("name: cli\nqueues:\n  - name: inbox\n")
    code, out, _ = invoke(definition, "--stack", stack, "--history")
    doc = json.loads(out)
    assert code == 3 and doc["status"] == "RUNNING" and doc["stopped"] is None
    assert [e["type"] for e in doc["history"]][-1] == "TaskSubmitted"  # the message was sent; nobody answered
