"""Map (inline and distributed) and Parallel on the virtual clock: concurrency bounds,
item selection, batching, S3 item readers, failure handling and history threads."""

from __future__ import annotations

import json
import time

import pytest

from tests.unit.asl.conftest import describe, fn, history, lambda_arn, output, run, sm_stack, start, times, types

TEN_SECONDS = {"kind": "fixed", "seconds": 10.0}


def work(event, context):
    if event.get("fail"):
        time.sleep(event.get("after", 1))
        raise RuntimeError(f"bad item {event.get('id')}")
    time.sleep(event.get("sleep", 0))
    return {"id": event.get("id")}


def mapped(processor_states: dict, start_at: str = "W", mode: str = "INLINE", **fields) -> dict:
    processor = {"ProcessorConfig": {"Mode": mode, **({"ExecutionType": "STANDARD"} if mode == "DISTRIBUTED"
                                                       else {})},
                 "StartAt": start_at, "States": processor_states}
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}}}


def lambda_state(**fields) -> dict:
    return {"W": {"Type": "Task", "Resource": lambda_arn("work"), "End": True, **fields}}


# -- inline Map ----------------------------------------------------------------------------------
@pytest.mark.parametrize("limit,rounds", [(2, 3), (3, 2), (0, 1), (1, 6)])
def test_max_concurrency_bounds_how_many_items_run_at_once(simulate, limit, rounds):
    sim = simulate(sm_stack(mapped(lambda_state(), MaxConcurrency=limit),
                            functions=[fn("work", work, duration=TEN_SECONDS, timeout_s=60)]))
    arn, desc = run(sim, [{"id": i} for i in range(6)])
    events = history(sim, arn)
    assert output(desc) == [{"id": i} for i in range(6)]  # in item order
    elapsed = times(events, "MapStateExited")[0] - times(events, "MapStateEntered")[0]
    assert rounds * 10.0 < elapsed < rounds * 10.0 + 0.5  # each round: 10 s of work plus API latency
    started = sorted(times(events, "LambdaFunctionStarted"))
    width = limit or 6
    for r in range(rounds):  # items start in batches of `limit`, one batch per 10 s
        batch = started[r * width:(r + 1) * width]
        assert all(r * 10.0 <= t - started[0] < r * 10.0 + 0.5 for t in batch)


def test_item_selector_sees_the_map_item_index_and_value(simulate):
    definition = mapped({"P": {"Type": "Pass", "End": True}}, start_at="P", ItemsPath="$.items",
                        ItemSelector={"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value",
                                      "shared.$": "$.shared"})
    sim = simulate(sm_stack(definition))
    _, desc = run(sim, {"items": ["a", "b", "c"], "shared": 9})
    assert output(desc) == [{"index": 0, "value": "a", "shared": 9}, {"index": 1, "value": "b", "shared": 9},
                            {"index": 2, "value": "c", "shared": 9}]


def test_an_empty_item_list_gives_an_empty_output(simulate):
    sim = simulate(sm_stack(mapped({"P": {"Type": "Pass", "End": True}}, start_at="P")))
    arn, desc = run(sim, [])
    assert output(desc) == [] and "MapIterationStarted" not in types(history(sim, arn))


def test_a_failed_iteration_aborts_the_others_and_fails_the_map(simulate):
    sim = simulate(sm_stack(mapped(lambda_state()), functions=[fn("work", work, timeout_s=300)]))
    arn, desc = run(sim, [{"id": 0, "sleep": 100}, {"id": 1, "fail": True, "after": 3}, {"id": 2, "sleep": 100}])
    events = history(sim, arn)
    assert desc["status"] == "FAILED" and desc["error"] == "RuntimeError"
    assert "bad item 1" in desc["cause"]
    ended = times(events, "ExecutionFailed")[0]
    assert 3.0 < ended < 3.5  # not after the other items' 100 s
    kinds = types(events)
    assert kinds.count("MapIterationFailed") == 1 and kinds.count("MapIterationAborted") == 2
    assert kinds.count("TaskStateAborted") == 2
    # the aborts are recorded before the Map fails, and the execution's end is the last event
    assert kinds.index("MapStateFailed") > max(i for i, k in enumerate(kinds) if k.endswith("Aborted"))
    assert kinds[-2:] == ["MapStateFailed", "ExecutionFailed"]
    assert all(0 < e["previousEventId"] < e["id"] for e in events[1:])


def test_map_iterations_have_their_own_previous_event_threads(simulate):
    sim = simulate(sm_stack(mapped(lambda_state()), functions=[fn("work", work)]))
    arn, _ = run(sim, [{"id": 0}, {"id": 1}])
    events = history(sim, arn)
    by_id = {e["id"]: e for e in events}
    map_started = next(e["id"] for e in events if e["type"] == "MapStateStarted")
    iterations = [e for e in events if e["type"] == "MapIterationStarted"]
    assert [e["previousEventId"] for e in iterations] == [map_started, map_started]
    for done in (e for e in events if e["type"] == "MapIterationSucceeded"):
        index = done["mapIterationSucceededEventDetails"]["index"]
        chain, prev = [], done["previousEventId"]
        while by_id[prev]["type"] != "MapIterationStarted":  # walk this iteration's own thread back
            chain.append(by_id[prev]["type"])
            prev = by_id[prev]["previousEventId"]
        assert by_id[prev]["mapIterationStartedEventDetails"]["index"] == index
        assert chain[::-1] == ["TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                               "LambdaFunctionSucceeded", "TaskStateExited"]


# -- distributed Map -------------------------------------------------------------------------------
def failing_items(n_failing: int, total: int = 10) -> list:
    return [{"id": i, "fail": i < n_failing, "after": 0} for i in range(total)]


@pytest.mark.parametrize("fields,failing,status", [
    ({"ToleratedFailureCount": 3}, 3, "SUCCEEDED"),
    ({"ToleratedFailureCount": 2}, 3, "FAILED"),
    ({"ToleratedFailurePercentage": 30}, 3, "SUCCEEDED"),
    ({"ToleratedFailurePercentage": 20}, 3, "FAILED"),
    ({}, 1, "FAILED"),
])
def test_distributed_map_tolerates_failures_up_to_its_thresholds(simulate, fields, failing, status):
    definition = mapped(lambda_state(), mode="DISTRIBUTED", MaxConcurrency=10, **fields)
    sim = simulate(sm_stack(definition, functions=[fn("work", work)]))
    arn, desc = run(sim, failing_items(failing))
    events = history(sim, arn)
    assert desc["status"] == status
    assert "MapRunStarted" in types(events) and "MapIterationStarted" not in types(events)  # children's own
    if status == "SUCCEEDED":
        out = output(desc)
        assert [o.get("Error") for o in out[:failing]] == ["RuntimeError"] * failing
        assert out[failing:] == [{"id": i} for i in range(failing, 10)]
        assert "MapRunSucceeded" in types(events)
    else:
        assert desc["error"] == "States.ExceedToleratedFailureThreshold"
        assert types(events)[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]


def test_item_batcher_groups_items_with_the_batch_input(simulate):
    definition = mapped({"P": {"Type": "Pass", "End": True}}, start_at="P", mode="DISTRIBUTED",
                        ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"job.$": "$.job"}}, ItemsPath="$.items")
    sim = simulate(sm_stack(definition))
    _, desc = run(sim, {"job": "j", "items": [1, 2, 3, 4, 5]})
    assert output(desc) == [{"BatchInput": {"job": "j"}, "Items": [1, 2]},
                            {"BatchInput": {"job": "j"}, "Items": [3, 4]},
                            {"BatchInput": {"job": "j"}, "Items": [5]}]


@pytest.mark.parametrize("input_type,body,expected", [
    ("JSON", json.dumps([{"sku": "a", "n": 1}, {"sku": "b", "n": 2}]), [{"sku": "a", "n": 1}, {"sku": "b", "n": 2}]),
    ("CSV", "sku,n\na,1\nb,2\n", [{"sku": "a", "n": "1"}, {"sku": "b", "n": "2"}]),
])
def test_item_reader_reads_an_object_put_in_a_stack_bucket(simulate, input_type, body, expected):
    config = {"InputType": input_type, **({"CSVHeaderLocation": "FIRST_ROW"} if input_type == "CSV" else {})}
    definition = mapped({"P": {"Type": "Pass", "End": True}}, start_at="P", mode="DISTRIBUTED",
                        ItemReader={"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
                                    "Parameters": {"Bucket.$": "$.bucket", "Key": "items/in.data"}})
    sim = simulate(sm_stack(definition, buckets=[{"name": "${AccountId}-items"}]))
    bucket = f"{sim.emulator.account_id}-items"
    sim.emulator.client("s3").put_object(Bucket=bucket, Key="items/in.data", Body=body.encode())
    _, desc = run(sim, {"bucket": bucket})
    assert desc["status"] == "SUCCEEDED" and output(desc) == expected


def test_item_reader_on_a_missing_object_fails_with_item_reader_failed(simulate):
    definition = mapped({"P": {"Type": "Pass", "End": True}}, start_at="P", mode="DISTRIBUTED",
                        ItemReader={"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                                    "Parameters": {"Bucket": "${AccountId}-items", "Key": "absent.json"}})
    sim = simulate(sm_stack(definition, buckets=[{"name": "${AccountId}-items"}]))
    _, desc = run(sim)
    assert desc["status"] == "FAILED" and desc["error"] == "States.ItemReaderFailed"
    assert "NoSuchKey" in desc["cause"]


# -- Parallel -----------------------------------------------------------------------------------
def branch(name: str, state: dict) -> dict:
    terminal = state["Type"] in ("Fail", "Succeed")
    return {"StartAt": name, "States": {name: state if terminal else {**state, "End": True}}}


def test_parallel_outputs_are_in_branch_order_not_finishing_order(simulate):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        branch("Slow", {"Type": "Wait", "Seconds": 20}),
        branch("Fast", {"Type": "Pass", "Result": "fast"}),
        branch("Mid", {"Type": "Task", "Resource": lambda_arn("work"), "Parameters": {"id": "mid", "sleep": 5}})]}}}
    sim = simulate(sm_stack(definition, functions=[fn("work", work, timeout_s=60)]))
    arn, desc = run(sim, {"in": 1})
    events = history(sim, arn)
    assert output(desc) == [{"in": 1}, "fast", {"id": "mid"}]
    assert times(events, "ParallelStateExited")[0] - times(events, "ParallelStateEntered")[0] == \
        pytest.approx(20.0, abs=2e-6)  # as long as its slowest branch


def test_a_failing_branch_fails_the_parallel_and_aborts_the_others(simulate):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        branch("Long", {"Type": "Task", "Resource": lambda_arn("work"), "Parameters": {"id": "long", "sleep": 100}}),
        branch("Bad", {"Type": "Task", "Resource": lambda_arn("work"),
                       "Parameters": {"id": "bad", "fail": True, "after": 2}})]}}}
    sim = simulate(sm_stack(definition, functions=[fn("work", work, timeout_s=300)]))
    arn, desc = run(sim)
    events = history(sim, arn)
    kinds = types(events)
    assert desc["status"] == "FAILED" and desc["error"] == "RuntimeError" and "bad item bad" in desc["cause"]
    assert 2.0 < times(events, "ExecutionFailed")[0] < 2.5
    assert kinds[-3:] == ["TaskStateAborted", "ParallelStateFailed", "ExecutionFailed"]
    aborted = [e for e in events if e["type"] == "TaskStateAborted"][0]
    scheduled_long = [e for e in events if e["type"] == "LambdaFunctionScheduled"
                      and json.loads(e["lambdaFunctionScheduledEventDetails"]["input"])["id"] == "long"][0]
    assert aborted["previousEventId"] == scheduled_long["id"] + 1  # on the long branch's own thread


def test_a_parallel_failure_is_caught_on_the_parallel_state(simulate):
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Ok", "Branches": [branch("Bad", {"Type": "Fail", "Error": "Nope",
                                                                               "Cause": "branch failed"})],
              "Catch": [{"ErrorEquals": ["Nope"], "Next": "Handled", "ResultPath": "$.error"}]},
        "Ok": {"Type": "Succeed"}, "Handled": {"Type": "Pass", "End": True}}}
    sim = simulate(sm_stack(definition))
    _, desc = run(sim, {"x": 1})
    assert output(desc) == {"x": 1, "error": {"Error": "Nope", "Cause": "branch failed"}}


def test_stop_execution_mid_map_ends_the_history_with_execution_aborted(simulate):
    sim = simulate(sm_stack(mapped(lambda_state()), functions=[fn("work", work, timeout_s=300)]))
    arn = start(sim, [{"id": 0, "sleep": 100}, {"id": 1, "sleep": 100}])
    sim.advance(10)
    sim.client("stepfunctions").stop_execution(executionArn=arn, error="Halt", cause="by operator")
    sim.run()
    events = history(sim, arn)
    assert describe(sim, arn)["status"] == "ABORTED"
    assert types(events)[-1] == "ExecutionAborted"  # nothing is written after the terminal event
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Halt", "cause": "by operator"}
