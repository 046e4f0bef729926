"""Flow states on the virtual clock: Wait (Seconds, SecondsPath, Timestamp, TimestampPath and
their errors), Pass/Choice/Succeed/Fail, and JSONata (Arguments, Output, Assign, $states,
Condition)."""

from __future__ import annotations

import pytest

from tests.unit.asl.conftest import US, fn, history, lambda_arn, output, run, sm_stack, start, times, types

EPOCH = "2026-01-12T14:00:00+00:00"  # every simulation here starts at this instant


def waiting(wait: dict, **machine) -> dict:
    return {**machine, "StartAt": "W", "States": {"W": {"Type": "Wait", "End": True, **wait}}}


def waited(simulate, wait: dict, value=None) -> tuple[dict, list[dict]]:
    sim = simulate(sm_stack(waiting(wait)), epoch=EPOCH, tz="UTC")
    arn, desc = run(sim, value)
    return desc, history(sim, arn)


def wait_length(events: list[dict]) -> float:
    return times(events, "WaitStateExited")[0] - times(events, "WaitStateEntered")[0]


# -- Wait -------------------------------------------------------------------------------------------
def test_wait_seconds_moves_the_clock_exactly(simulate):
    desc, events = waited(simulate, {"Seconds": 86400}, {"keep": 1})
    assert desc["status"] == "SUCCEEDED" and desc["output"] == '{"keep":1}'
    assert wait_length(events) == pytest.approx(86400.0, abs=US)


def test_wait_seconds_path_reads_the_delay_from_the_input(simulate):
    desc, events = waited(simulate, {"SecondsPath": "$.delay"}, {"delay": 12})
    assert desc["status"] == "SUCCEEDED" and wait_length(events) == pytest.approx(12.0, abs=US)


def test_wait_timestamp_ends_at_that_instant(simulate):
    desc, events = waited(simulate, {"Timestamp": "2026-01-12T15:30:00Z"})
    assert desc["status"] == "SUCCEEDED"
    assert times(events, "WaitStateExited")[0] == pytest.approx(5400.0, abs=US)  # 90 minutes after the epoch


def test_wait_timestamp_path_with_an_offset(simulate):
    desc, events = waited(simulate, {"TimestampPath": "$.at"}, {"at": "2026-01-12T10:00:00-05:00"})
    assert times(events, "WaitStateExited")[0] == pytest.approx(3600.0, abs=US)


def test_wait_timestamp_in_the_past_does_not_wait(simulate):
    desc, events = waited(simulate, {"TimestampPath": "$.at"}, {"at": "2020-01-01T00:00:00Z"})
    assert desc["status"] == "SUCCEEDED" and wait_length(events) == 0.0


@pytest.mark.parametrize("wait,value,message", [
    ({"SecondsPath": "$.delay"}, {"delay": -5}, "The SecondsPath parameter references a negative value: $.delay == -5"),
    ({"SecondsPath": "$.delay"}, {"delay": 1.5},
     "The SecondsPath parameter cannot be parsed as a long value: $.delay == 1.5"),
    ({"SecondsPath": "$.delay"}, {"delay": "ten"},
     "The SecondsPath parameter cannot be parsed as a long value: $.delay == ten"),
    ({"SecondsPath": "$.delay"}, {}, "The SecondsPath parameter does not reference an input value: $.delay"),
    ({"TimestampPath": "$.at"}, {"at": "tomorrow"},
     "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: "
     "$.at == tomorrow"),
    ({"TimestampPath": "$.at"}, {"at": "2026-01-12T15:00:00"},  # no offset: not accepted
     "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: "
     "$.at == 2026-01-12T15:00:00"),
])
def test_bad_wait_values_fail_with_states_runtime(simulate, wait, value, message):
    desc, events = waited(simulate, wait, value)
    assert desc["status"] == "FAILED" and desc["error"] == "States.Runtime"
    assert desc["cause"] == ("An error occurred while executing the state 'W' (entered at the event id #2). "
                             + message)
    assert times(events, "ExecutionFailed")[0] == times(events, "WaitStateEntered")[0]  # no time passed


def test_jsonata_wait_seconds_expression_and_its_error(simulate):
    wait = {"Seconds": "{% $states.input.d * 60 %}"}
    sim = simulate(sm_stack(waiting(wait, QueryLanguage="JSONata")))
    arn, desc = run(sim, {"d": 2})
    assert wait_length(history(sim, arn)) == pytest.approx(120.0, abs=US)
    arn, desc = run(sim, {"d": -1})
    assert desc["error"] == "States.QueryEvaluationError"
    assert "The Seconds field must be a non-negative integer, but was: -60" in desc["cause"]


# -- Pass / Choice / Succeed / Fail (JSONPath) ------------------------------------------------------
ROUTER = {"StartAt": "Route", "States": {
    "Route": {"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
        {"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 0}, {"Variable": "$.tag", "IsPresent": True}],
         "Next": "Tagged"}],
        "Default": "Small"},
    "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.route", "Next": "Done"},
    "Tagged": {"Type": "Pass", "Result": "tagged", "ResultPath": "$.route", "Next": "Done"},
    "Small": {"Type": "Fail", "Error": "TooSmall", "CausePath": "States.Format('n was {}', $.n)"},
    "Done": {"Type": "Succeed", "OutputPath": "$.route"}}}


@pytest.mark.parametrize("value,status,result", [
    ({"n": 11}, "SUCCEEDED", "big"), ({"n": 3, "tag": "x"}, "SUCCEEDED", "tagged"),
    ({"n": 3}, "FAILED", ("TooSmall", "n was 3")),
])
def test_choice_routes_to_the_first_matching_rule_or_the_default(simulate, value, status, result):
    sim = simulate(sm_stack(ROUTER))
    arn, desc = run(sim, value)
    assert desc["status"] == status
    if status == "SUCCEEDED":
        assert output(desc) == result
    else:
        assert (desc["error"], desc["cause"]) == result
        assert types(history(sim, arn))[-2:] == ["FailStateEntered", "ExecutionFailed"]


def test_choice_with_no_match_and_no_default_fails_with_no_choice_matched(simulate):
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]},
        "One": {"Type": "Succeed"}}}
    sim = simulate(sm_stack(definition))
    _, desc = run(sim, {"n": 2})
    assert desc["error"] == "States.NoChoiceMatched"


def test_pass_result_selector_free_data_flow(simulate):
    definition = {"StartAt": "P", "States": {"P": {
        "Type": "Pass", "InputPath": "$.in", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)", "fixed": "k"},
        "ResultPath": "$.out", "OutputPath": "$.out", "End": True}}}
    sim = simulate(sm_stack(definition))
    _, desc = run(sim, {"in": {"a": 2, "b": 5}})
    assert output(desc) == {"sum": 7, "fixed": "k"}


# -- JSONata -------------------------------------------------------------------------------------
def double(event, context):
    return {"doubled": event["x"] * 2, "who": event["who"]}


JSONATA_FLOW = {"QueryLanguage": "JSONata", "StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Assign": {"factor": "{% $states.input.factor %}", "label": "run"},
                "Output": {"x": "{% $states.input.x + 1 %}"}, "Next": "Call"},
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Arguments": {"FunctionName": lambda_arn("double"),
                           "Payload": {"x": "{% $states.input.x * $factor %}",
                                       "who": "{% $states.context.Execution.Name %}"}},
             "Assign": {"last": "{% $states.result.Payload.doubled %}"},
             "Output": "{% $states.result.Payload %}", "Next": "Decide"},
    "Decide": {"Type": "Choice", "Choices": [
        {"Condition": "{% $last > 100 %}", "Next": "Large", "Output": {"size": "large", "v": "{% $last %}"}}],
        "Default": "Small"},
    "Large": {"Type": "Succeed"},
    "Small": {"Type": "Pass", "Output": {"size": "small", "v": "{% $last %}", "label": "{% $label %}"},
              "End": True}}}


@pytest.mark.parametrize("value,expected", [
    ({"x": 4, "factor": 10}, {"size": "small", "v": 100, "label": "run"}),  # (4+1)*10*2 = 100: not > 100
    ({"x": 5, "factor": 10}, {"size": "large", "v": 120}),
])
def test_jsonata_arguments_output_assign_states_and_condition(simulate, value, expected):
    sim = simulate(sm_stack(JSONATA_FLOW, functions=[fn("double", double)]))
    arn, desc = run(sim, value, name="jsonata-run")
    assert desc["status"] == "SUCCEEDED" and output(desc) == expected
    scheduled = [e for e in history(sim, arn) if e["type"] == "TaskScheduled"][0]["taskScheduledEventDetails"]
    assert '"who":"jsonata-run"' in scheduled["parameters"]


def test_jsonata_condition_that_is_not_boolean_fails_with_query_evaluation_error(simulate):
    definition = {"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n %}", "Next": "S"}], "Default": "S"},
        "S": {"Type": "Succeed"}}}
    sim = simulate(sm_stack(definition))
    arn, desc = run(sim, {"n": 3})
    assert desc["error"] == "States.QueryEvaluationError"
    assert "The Condition field of choice 0 must evaluate to a boolean, but was: 3" in desc["cause"]
    assert "EvaluationFailed" in types(history(sim, arn))


def test_jsonata_catch_output_sees_the_error_output(simulate):
    definition = {"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": lambda_arn("boom"), "Next": "S",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S",
                         "Output": {"in": "{% $states.input.id %}", "err": "{% $states.errorOutput.Error %}"},
                         "Assign": {"failed": True}}]},
        "S": {"Type": "Pass", "Output": {"result": "{% $states.input %}", "failed": "{% $failed %}"}, "End": True}}}

    def boom(event, context):
        raise KeyError("missing")

    sim = simulate(sm_stack(definition, functions=[fn("boom", boom)]))
    _, desc = run(sim, {"id": "i-1"})
    assert output(desc) == {"result": {"in": "i-1", "err": "KeyError"}, "failed": True}


def test_variables_assigned_in_a_map_iteration_stay_inside_it(simulate):
    definition = {"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "M"},
        "M": {"Type": "Map", "Items": "{% [1, 2] %}", "Next": "After", "ItemProcessor": {
            "StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Assign": {"inner": "{% $states.input %}"},
                                                     "Output": "{% $outer + $states.input %}", "End": True}}}},
        "After": {"Type": "Pass", "Output": {"m": "{% $states.input %}", "outer": "{% $outer %}"}, "End": True}}}
    sim = simulate(sm_stack(definition))
    _, desc = run(sim)
    assert output(desc) == {"m": [2, 3], "outer": 1}


def test_a_long_wait_then_a_stop_leaves_the_clock_where_the_stop_happened(simulate):
    sim = simulate(sm_stack(waiting({"Seconds": 365 * 86400})))
    arn = start(sim)
    sim.advance(100)
    sim.client("stepfunctions").stop_execution(executionArn=arn)
    stopped_at = sim.clock.now_s
    sim.run()  # the year-long wait was aborted: its timer must not keep the run going
    assert sim.clock.now_s == stopped_at
