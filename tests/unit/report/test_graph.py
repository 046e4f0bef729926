"""Execution graphs from histories: statuses per top-level state (a caught failure, a Map
whose iterations' states must not count, a failed Parallel, a running state, retries,
loops), the edges and which were taken, and the layered layout."""

from __future__ import annotations

import json

from sim.report import execution_graph, layout
from sim.report.graph import H_GAP
from tests.unit.report.conftest import DATA, EPOCH


class History:
    """Events as the engine writes them: ids count up, previousEventId follows the thread."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def add(self, kind: str, prev: int, t: float = 0.0, name: str | None = None, **details) -> int:
        event = {"timestamp": t, "type": kind, "id": len(self.events) + 1, "previousEventId": prev}
        if name is not None:
            details["name"] = name
        if details:
            key = "stateEnteredEventDetails" if kind.endswith("StateEntered") else \
                "stateExitedEventDetails" if kind.endswith("StateExited") else kind[0].lower() + kind[1:] + "EventDetails"
            event[key] = details
        self.events.append(event)
        return event["id"]


CAUGHT = {
    "StartAt": "Fetch",
    "States": {
        "Fetch": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Fan",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}]},
        "Recover": {"Type": "Pass", "Next": "Fan"},
        "Fan": {"Type": "Map", "Next": "Done", "ItemProcessor": {"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Fetch"},
            "Fetch": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}}}},
        "Done": {"Type": "Succeed"},
        "Never": {"Type": "Fail", "Error": "Unreachable"},
    },
}


def caught_history() -> list[dict]:
    h = History()
    e = h.add("ExecutionStarted", 0, 0.0)
    e = h.add("TaskStateEntered", e, 0.0, "Fetch")
    e = h.add("LambdaFunctionScheduled", e, 0.0)
    e = h.add("LambdaFunctionStarted", e, 0.1)
    e = h.add("LambdaFunctionFailed", e, 2.0, error="Boom")
    e = h.add("TaskStateExited", e, 2.0, "Fetch")
    e = h.add("PassStateEntered", e, 2.0, "Recover")
    e = h.add("PassStateExited", e, 2.0, "Recover")
    e = h.add("MapStateEntered", e, 3.0, "Fan")
    started = h.add("MapStateStarted", e, 3.0, length=2)
    for i in range(2):
        inner = h.add("MapIterationStarted", started, 3.0, "Fan", index=i)
        inner = h.add("TaskStateEntered", inner, 3.0, "Work")
        inner = h.add("TaskFailed", inner, 3.5, error="Flaky")  # inner failures are the iteration's
        inner = h.add("TaskSucceeded", inner, 4.0)
        inner = h.add("TaskStateExited", inner, 4.0, "Work")
        inner = h.add("TaskStateEntered", inner, 4.0, "Fetch")  # same name as a top-level state
        if i == 1:
            h.add("TaskFailed", inner, 4.5, error="Inner")  # ... and an inner Fetch that never exits
            h.add("MapIterationFailed", inner, 4.5, "Fan", index=i)
            continue
        inner = h.add("TaskStateExited", inner, 4.5, "Fetch")
        h.add("MapIterationSucceeded", inner, 4.5, "Fan", index=i)
    e = h.add("MapStateSucceeded", started, 5.0)
    e = h.add("MapStateExited", e, 5.0, "Fan")
    e = h.add("SucceedStateEntered", e, 5.0, "Done")
    e = h.add("SucceedStateExited", e, 5.0, "Done")
    h.add("ExecutionSucceeded", h.events[-1]["id"], 6.0)
    return h.events


def states(graph):
    return {s["name"]: s for s in graph["states"]}


def test_a_caught_failure_and_a_map_whose_iterations_do_not_count():
    graph = execution_graph(CAUGHT, caught_history())
    s = states(graph)
    assert list(s) == ["Fetch", "Recover", "Fan", "Done", "Never"]  # top-level only, definition order
    assert (s["Fetch"]["status"], s["Fetch"]["entered"], s["Fetch"]["start"], s["Fetch"]["end"]) == ("caught", 1, 0.0, 2.0)
    assert (s["Recover"]["status"], s["Fan"]["status"], s["Done"]["status"]) == ("succeeded",) * 3
    assert (s["Fan"]["type"], s["Fan"]["entered"], s["Fan"]["items"], s["Fan"]["start"], s["Fan"]["end"]) == \
        ("Map", 1, 2, 3.0, 5.0)
    assert (s["Never"]["status"], s["Never"]["entered"], s["Never"]["start"], s["Never"]["end"]) == \
        ("not_entered", 0, None, None)
    assert graph["start_at"] == "Fetch"


def test_edges_say_their_kind_and_which_were_taken():
    graph = execution_graph(CAUGHT, caught_history())
    edges = {(e["from"], e["to"], e["kind"]): e["taken"] for e in graph["edges"]}
    assert edges == {("Fetch", "Fan", "next"): False, ("Fetch", "Recover", "catch"): True,
                     ("Recover", "Fan", "next"): True, ("Fan", "Done", "next"): True}


def test_choice_and_default_edges():
    definition = {"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.a", "BooleanEquals": True, "Next": "Yes"},
                                                {"Variable": "$.b", "BooleanEquals": True, "Next": "Yes"}],
                 "Default": "No"},
        "Yes": {"Type": "Succeed"}, "No": {"Type": "Fail"}}}
    h = History()
    e = h.add("ExecutionStarted", 0)
    e = h.add("ChoiceStateEntered", e, 0, "Pick")
    e = h.add("ChoiceStateExited", e, 0, "Pick")
    e = h.add("FailStateEntered", e, 0, "No")
    h.add("ExecutionFailed", e, 1.0, error="States.Fail")
    graph = execution_graph(definition, h.events)
    assert [(e["to"], e["kind"], e["taken"]) for e in graph["edges"]] == \
        [("Yes", "choice", False), ("No", "default", True)]  # the repeated choice target once
    assert {n: s["status"] for n, s in states(graph).items()} == \
        {"Pick": "succeeded", "Yes": "not_entered", "No": "failed"}
    assert states(graph)["No"]["end"] == 1.0


def test_a_failed_parallel_counts_no_branch_state():
    definition = {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Next": "After", "Branches": [
            {"StartAt": "After", "States": {"After": {"Type": "Pass", "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}}}]},
        "After": {"Type": "Pass", "End": True}}}
    h = History()
    e = h.add("ExecutionStarted", 0)
    e = h.add("ParallelStateEntered", e, 0, "Both")
    started = h.add("ParallelStateStarted", e, 0)
    a = h.add("PassStateEntered", started, 0, "After")  # a branch state named like a top-level one
    h.add("PassStateExited", a, 0, "After")
    b = h.add("TaskStateEntered", started, 0, "B")
    b = h.add("TaskFailed", b, 1.0, error="Boom")
    e = h.add("ParallelStateFailed", started, 1.0)
    h.add("ExecutionFailed", e, 1.0, error="Boom")
    s = states(execution_graph(definition, h.events))
    assert (s["Both"]["status"], s["Both"]["entered"], s["Both"]["end"]) == ("failed", 1, 1.0)
    assert (s["After"]["status"], s["After"]["entered"]) == ("not_entered", 0)


def test_a_state_still_running_and_a_retry_that_worked():
    definition = {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    h = History()
    e = h.add("ExecutionStarted", 0, 10.0)
    e = h.add("TaskStateEntered", e, 10.0, "Call")
    e = h.add("TaskFailed", e, 11.0, error="States.Timeout")
    e = h.add("TaskSucceeded", e, 13.0)
    e = h.add("TaskStateExited", e, 13.0, "Call")
    h.add("WaitStateEntered", e, 13.0, "Pause")
    s = states(execution_graph(definition, h.events))
    assert (s["Call"]["status"], s["Call"]["end"]) == ("succeeded", 13.0)
    assert (s["Pause"]["status"], s["Pause"]["start"], s["Pause"]["end"]) == ("running", 13.0, None)


def test_a_loop_counts_every_visit():
    definition = {"StartAt": "Poll", "States": {
        "Poll": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Ready?"},
        "Ready?": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "End"}],
                   "Default": "Poll"},
        "End": {"Type": "Succeed"}}}
    h = History()
    e = h.add("ExecutionStarted", 0)
    for t in (0.0, 5.0):
        e = h.add("TaskStateEntered", e, t, "Poll")
        e = h.add("TaskStateExited", e, t + 1, "Poll")
        e = h.add("ChoiceStateEntered", e, t + 1, "Ready?")
        e = h.add("ChoiceStateExited", e, t + 1, "Ready?")
    e = h.add("SucceedStateEntered", e, 6.0, "End")
    h.add("SucceedStateExited", e, 6.0, "End")
    graph = execution_graph(definition, h.events)
    s = states(graph)
    assert (s["Poll"]["entered"], s["Poll"]["start"], s["Poll"]["end"]) == (2, 0.0, 6.0)
    assert {(e["to"], e["kind"]): e["taken"] for e in graph["edges"] if e["from"] == "Ready?"} == \
        {("End", "choice"): True, ("Poll", "default"): True}
    pos = layout(graph)
    back = next(e for e in pos["edges"] if e["to"] == "Poll")
    assert back["path"].startswith("M ") and " C " in back["path"]
    nodes = {n["name"]: n for n in pos["nodes"]}
    assert nodes["Poll"]["layer"] < nodes["Ready?"]["layer"] < nodes["End"]["layer"]


def test_iso_timestamps_are_read_against_the_epoch():
    events = [dict(e, timestamp=f"2026-01-14T20:45:{int(e['timestamp']):02d}+00:00") for e in caught_history()]
    s = states(execution_graph(CAUGHT, events, epoch=EPOCH))  # 08:55 New York -> 15:45 is 24600 s
    assert (s["Fetch"]["start"], s["Fetch"]["end"], s["Done"]["end"]) == (24600.0, 24602.0, 24605.0)
    relative = states(execution_graph(CAUGHT, events))  # no epoch: since the first event
    assert relative["Done"]["end"] == 5.0


def test_without_previous_event_ids_states_are_matched_by_name():
    events = [{k: v for k, v in e.items() if k not in ("id", "previousEventId")} for e in caught_history()]
    s = states(execution_graph(CAUGHT, events))
    assert s["Fetch"]["entered"] == 3  # the documented limit: inner states with a top-level name count


def _real_graphs():
    data = json.loads(DATA.read_text())
    return [execution_graph(ex["definition"], ex["events"], epoch=EPOCH)
            for ex in data["runs"]["stepfunctions"]["executions"]]


def test_real_histories():
    signal, trades = _real_graphs()
    s = states(signal)
    assert s["ExecuteStrategiesInParallel"]["items"] == 4 and s["ExecuteStrategiesInParallel"]["entered"] == 1
    assert s["HandlePartialFailure"]["status"] == "not_entered"
    assert (s["ValidateConfiguration"]["start"], s["PublishSignalGenerated"]["end"]) == (24600.0, 24635.240521)
    assert {n: x["status"] for n, x in states(trades).items() if x["status"] != "not_entered"} == dict.fromkeys(
        ["SeparateSellsAndBuys", "ExecuteSells", "CheckSellResults", "SellPhaseGuard", "ExecuteBuys",
         "AggregateAndPublish", "RunCompleted", "Done"], "succeeded")


def test_layout_layers_nodes_without_overlap():
    for graph in _real_graphs() + [execution_graph(CAUGHT, caught_history())]:
        pos = layout(graph)
        nodes = {n["name"]: n for n in pos["nodes"]}
        assert set(nodes) == {s["name"] for s in graph["states"]}
        for e in pos["edges"]:
            assert e["path"].startswith("M ")
        by_layer: dict[int, list[dict]] = {}
        for n in nodes.values():
            assert 0 <= n["x"] and n["x"] + n["w"] <= pos["width"] and n["y"] + n["h"] <= pos["height"]
            by_layer.setdefault(n["layer"], []).append(n)
        for row in by_layer.values():
            row.sort(key=lambda n: n["x"])
            for left, right in zip(row, row[1:]):
                assert left["x"] + left["w"] + H_GAP - 0.2 <= right["x"]
        for e in graph["edges"]:
            assert nodes[e["to"]]["layer"] > nodes[e["from"]]["layer"]  # no loops in these


def test_the_path_taken_draws_as_a_straight_line():
    _signal, trades = _real_graphs()
    pos = layout(trades)
    centre = {n["name"]: round(n["x"] + n["w"] / 2, 1) for n in pos["nodes"]}
    taken = ["SeparateSellsAndBuys", "ExecuteSells", "CheckSellResults", "SellPhaseGuard", "ExecuteBuys",
             "AggregateAndPublish", "RunCompleted", "Done"]
    assert len({centre[n] for n in taken}) == 1
    assert centre["BlockBuys"] != centre["ExecuteBuys"]
