"""Retry and Catch on the virtual clock, measured on history timestamps of Lambda tasks."""

from __future__ import annotations

import json

import pytest

from tests.unit.asl.conftest import (
    US,     describe, fn, history, lambda_arn, output, run, sm_stack, start, times, types,
)


class Boom(Exception):
    pass


class Other(Exception):
    pass


def boom(event, context):
    raise Boom("always")


def other(event, context):
    raise Other("different")


def flaky_until_retry_two(event, context):
    """Fails until the state's $$.State.RetryCount reaches 2, then returns it."""
    if event["retry"] < 2:
        raise Boom(f"attempt with RetryCount {event['retry']}")
    return {"succeeded_at_retry": event["retry"]}


def task(function: str, **fields) -> dict:
    return {"Type": "Task", "Resource": lambda_arn(function), **fields}


def one_task(function: str, handler, **fields) -> tuple:
    state = task(function, End=True, **fields)
    return sm_stack({"StartAt": "T", "States": {"T": state}}, functions=[fn(function, handler)])


def gaps(events: list[dict]) -> list[float]:
    """Seconds from each failed attempt to the next attempt's scheduling: the retry delays."""
    failed = times(events, "LambdaFunctionFailed")
    scheduled = times(events, "LambdaFunctionScheduled")
    return [s - f for f, s in zip(failed, scheduled[1:])]


def test_interval_and_backoff_give_gaps_of_2_4_8_seconds(simulate):
    sim = simulate(one_task("f", boom, Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 2,
                                                "BackoffRate": 2.0, "MaxAttempts": 3}]))
    arn, desc = run(sim)
    events = history(sim, arn)
    assert desc["status"] == "FAILED" and desc["error"] == "Boom"
    assert len(times(events, "LambdaFunctionScheduled")) == 4  # the first attempt + MaxAttempts retries
    assert gaps(events) == pytest.approx([2.0, 4.0, 8.0], abs=US)
    assert "always" in json.loads(desc["cause"])["errorMessage"]


def test_max_delay_seconds_caps_the_backoff(simulate):
    sim = simulate(one_task("f", boom, Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2,
                                                "BackoffRate": 3.0, "MaxAttempts": 4, "MaxDelaySeconds": 10}]))
    arn, _ = run(sim)
    assert gaps(history(sim, arn)) == pytest.approx([2.0, 6.0, 10.0, 10.0], abs=US)


def test_default_retrier_is_one_second_doubling_three_attempts(simulate):
    sim = simulate(one_task("f", boom, Retry=[{"ErrorEquals": ["States.ALL"]}]))
    arn, _ = run(sim)
    assert gaps(history(sim, arn)) == pytest.approx([1.0, 2.0, 4.0], abs=US)


JITTER = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 4, "BackoffRate": 2.0, "MaxAttempts": 5,
           "MaxDelaySeconds": 20, "JitterStrategy": "FULL"}]


def jittered_gaps(simulate, seed: int) -> list[float]:
    sim = simulate(one_task("f", boom, Retry=JITTER), seed=seed)
    arn, _ = run(sim, name="jitter")
    return gaps(history(sim, arn))


def test_full_jitter_is_seeded_and_stays_within_the_capped_backoff(simulate):
    first, again, other_seed = (jittered_gaps(simulate, 1), jittered_gaps(simulate, 1),
                                jittered_gaps(simulate, 2))
    assert first == again  # same seed, same delays
    assert first != other_seed  # another seed, other delays
    caps = [4.0, 8.0, 16.0, 20.0, 20.0]
    for delays in (first, other_seed):
        assert len(delays) == 5
        assert all(0.0 <= d <= cap + 1e-9 for d, cap in zip(delays, caps))
    assert first != pytest.approx(caps)  # jittered, not the plain backoff


def test_max_attempts_zero_never_retries(simulate):
    sim = simulate(one_task("f", boom, Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 0},
                                               {"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}]))
    arn, desc = run(sim)
    events = history(sim, arn)
    assert desc["status"] == "FAILED" and desc["error"] == "Boom"
    assert len(times(events, "LambdaFunctionScheduled")) == 1  # the first match wins, even with 0 attempts


def test_first_matching_retrier_wins_and_its_attempts_bound_the_retries(simulate):
    sim = simulate(one_task("f", boom, Retry=[{"ErrorEquals": ["Other"], "IntervalSeconds": 50},
                                               {"ErrorEquals": ["Boom"], "IntervalSeconds": 3, "MaxAttempts": 1},
                                               {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 7,
                                                "MaxAttempts": 5}]))
    arn, desc = run(sim)
    assert desc["status"] == "FAILED"
    # Boom matched the second retrier: one retry 3 s later; once that is spent, States.ALL does not take over
    assert gaps(history(sim, arn)) == pytest.approx([3.0], abs=US)


def test_each_retrier_counts_its_own_attempts(simulate):
    calls = []

    def alternating(event, context):
        calls.append(1)
        raise (Boom if len(calls) % 2 else Other)("x")

    sim = simulate(one_task("f", alternating, Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 1,
                                                       "MaxAttempts": 2, "BackoffRate": 1.0},
                                                      {"ErrorEquals": ["Other"], "IntervalSeconds": 10,
                                                       "MaxAttempts": 2, "BackoffRate": 1.0}]))
    arn, desc = run(sim)
    # Boom, Other, Boom, Other, Boom: the third Boom finds its retrier spent
    assert desc["error"] == "Boom" and len(calls) == 5
    assert gaps(history(sim, arn)) == pytest.approx([1.0, 10.0, 1.0, 10.0], abs=US)


def test_states_all_neither_retries_nor_catches_states_runtime(simulate):
    definition = {"StartAt": "T", "States": {
        "T": task("f", InputPath="$.missing", End=True,
                  Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}],
                  Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]),
        "Caught": {"Type": "Pass", "End": True}}}
    sim = simulate(sm_stack(definition, functions=[fn("f", lambda e, c: e)]))
    arn, desc = run(sim, {"present": 1})
    events = history(sim, arn)
    assert desc["status"] == "FAILED" and desc["error"] == "States.Runtime"
    assert "$.missing" in desc["cause"]
    assert "LambdaFunctionScheduled" not in types(events)
    assert "PassStateEntered" not in types(events)


def catching(*catchers) -> dict:
    return {"StartAt": "T", "States": {
        "T": task("f", Next="Done", Catch=list(catchers)),
        "ByName": {"Type": "Pass", "Result": "by-name", "ResultPath": "$.route", "End": True},
        "ByAll": {"Type": "Pass", "Result": "by-all", "ResultPath": "$.route", "End": True},
        "Done": {"Type": "Pass", "End": True}}}


@pytest.mark.parametrize("handler,route", [(boom, "by-name"), (other, "by-all")])
def test_catchers_are_tried_in_order_and_result_path_keeps_the_input(simulate, handler, route):
    definition = catching({"ErrorEquals": ["Boom"], "Next": "ByName", "ResultPath": "$.err"},
                          {"ErrorEquals": ["States.ALL"], "Next": "ByAll", "ResultPath": "$.err"})
    sim = simulate(sm_stack(definition, functions=[fn("f", handler)]))
    arn, desc = run(sim, {"order": 7})
    out = output(desc)
    assert desc["status"] == "SUCCEEDED"
    assert out["order"] == 7 and out["route"] == route
    assert out["err"]["Error"] == handler.__name__.capitalize()
    assert json.loads(out["err"]["Cause"])["errorType"] == handler.__name__.capitalize()


def test_catch_without_result_path_replaces_the_input_with_the_error(simulate):
    definition = {"StartAt": "T", "States": {
        "T": task("f", End=True, Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "After"}]),
        "After": {"Type": "Pass", "End": True}}}
    sim = simulate(sm_stack(definition, functions=[fn("f", boom)]))
    _, desc = run(sim, {"lost": True})
    assert set(output(desc)) == {"Error", "Cause"} and output(desc)["Error"] == "Boom"


def test_catch_assign_sets_variables_the_next_state_reads(simulate):
    definition = {"StartAt": "T", "States": {
        "T": task("f", End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Read", "ResultPath": None,
                                         "Assign": {"caughtError.$": "$.Error", "fixed": 42}}]),
        "Read": {"Type": "Pass", "Parameters": {"error.$": "$caughtError", "fixed.$": "$fixed", "in.$": "$"},
                 "End": True}}}
    sim = simulate(sm_stack(definition, functions=[fn("f", boom)]))
    arn, desc = run(sim, {"a": 1})
    assert output(desc) == {"error": "Boom", "fixed": 42, "in": {"a": 1}}  # ResultPath null keeps the input
    exited = [e for e in history(sim, arn) if e["type"] == "TaskStateExited"]
    assert json.loads(exited[0]["stateExitedEventDetails"]["assignedVariables"]["caughtError"]) == "Boom"


def test_retries_run_before_catch_and_catch_sees_the_last_error(simulate):
    definition = catching({"ErrorEquals": ["Other"], "Next": "ByName", "ResultPath": "$.err"},
                          {"ErrorEquals": ["States.ALL"], "Next": "ByAll", "ResultPath": "$.err"})
    definition["States"]["T"]["Retry"] = [{"ErrorEquals": ["Boom"], "IntervalSeconds": 5, "MaxAttempts": 2,
                                           "BackoffRate": 1.0}]
    sim = simulate(sm_stack(definition, functions=[fn("f", boom)]))
    arn, desc = run(sim)
    events = history(sim, arn)
    assert output(desc)["route"] == "by-all"
    assert gaps(events) == pytest.approx([5.0, 5.0], abs=US)
    assert times(events, "PassStateEntered")[0] == pytest.approx(times(events, "LambdaFunctionFailed")[-1])


def test_state_retry_count_in_the_context_object(simulate):
    sim = simulate(one_task("f", flaky_until_retry_two, Parameters={"retry.$": "$$.State.RetryCount"},
                            Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 5}]))
    arn, desc = run(sim)
    assert output(desc) == {"succeeded_at_retry": 2}
    inputs = [json.loads(e["lambdaFunctionScheduledEventDetails"]["input"])
              for e in history(sim, arn) if e["type"] == "LambdaFunctionScheduled"]
    assert inputs == [{"retry": 0}, {"retry": 1}, {"retry": 2}]


def test_retry_count_starts_at_zero_again_in_the_next_state(simulate):
    definition = {"StartAt": "First", "States": {
        "First": task("f", Parameters={"retry.$": "$$.State.RetryCount"}, Next="Second",
                      Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 5}]),
        "Second": task("g", Parameters={"retry.$": "$$.State.RetryCount"}, End=True)}}
    sim = simulate(sm_stack(definition, functions=[fn("f", flaky_until_retry_two), fn("g", lambda e, c: e)]))
    _, desc = run(sim)
    assert output(desc) == {"retry": 0}


def test_a_retried_execution_starts_when_the_control_call_returns(simulate):
    sim = simulate(one_task("f", boom, Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 30, "MaxAttempts": 1}]))
    arn = start(sim)
    began = sim.clock.now_s
    sim.advance(29)  # mid-backoff: still running, one attempt made
    assert describe(sim, arn)["status"] == "RUNNING"
    assert len(times(history(sim, arn), "LambdaFunctionScheduled")) == 1
    sim.run()
    events = history(sim, arn)
    assert times(events, "LambdaFunctionScheduled")[1] - times(events, "LambdaFunctionFailed")[0] == \
        pytest.approx(30.0, abs=US)
    assert times(events, "ExecutionStarted")[0] <= began


def test_stopping_an_execution_mid_backoff_ends_the_run_at_the_stop(simulate):
    sim = simulate(one_task("f", boom, Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 1000, "MaxAttempts": 1}]))
    arn = start(sim)
    sim.advance(10)
    sim.client("stepfunctions").stop_execution(executionArn=arn)
    stopped_at = sim.clock.now_s
    sim.run()  # the 1000 s backoff was abandoned with the execution: its timer must not keep the run going
    assert sim.clock.now_s == stopped_at
    assert describe(sim, arn)["status"] == "ABORTED"
    assert len(times(history(sim, arn), "LambdaFunctionScheduled")) == 1
