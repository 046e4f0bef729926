"""Legacy fan-in: partials -> session counter -> exactly one SignalGenerated, and the real holes."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from tests.unit.alchemiser.signal_helpers import (
    AGGREGATOR, BUS, CAPTURED, ORCHESTRATOR, SYMBOLS, TABLE, captured, invoke, legacy_stack, seed_bars, session_items,
    write_config,
)
from workflows.alchemiser.events import PartialSignalGenerated, entry

MONDAY = date(2026, 1, 12)
NOW = datetime(2026, 1, 12, 20, 45, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _fresh():
    CAPTURED.clear()


def e2e(simulate, tmp_path, symbols=SYMBOLS, **kw):
    """Both fixture strategies, the whole legacy path, run to quiet."""
    config = write_config(tmp_path, {"rsi_switch.clj": 0.6, "core_satellite.clj": 0.4})
    sim = simulate(legacy_stack(config), epoch="2026-01-12T15:45", **kw)
    seed_bars(sim, MONDAY, symbols)
    invoke(sim, ORCHESTRATOR, {"mode": "trade", "correlation_id": "schedule-1", "scheduled_by": "schedule_manager"})
    return sim, sim.run()


def aggregator_logs(result) -> list[dict]:
    return [json.loads(r["line"]) for r in result.trace.where("log", AGGREGATOR)]


def test_the_last_partial_merges_and_publishes_one_signal(simulate, tmp_path):
    sim, result = e2e(simulate, tmp_path)
    partials = [e["detail"] for e in captured("PartialSignalGenerated")]
    [signal] = captured("SignalGenerated")
    assert signal["source"] == "alchemiser.strategy"
    detail = signal["detail"]
    # per-symbol Decimal sums of the scaled partials: no rounding, no renormalization
    expected: dict[str, Decimal] = {}
    for partial in partials:
        for symbol, weight in partial["consolidated_portfolio"]["target_allocations"].items():
            expected[symbol] = expected.get(symbol, Decimal(0)) + Decimal(weight)
    cp = detail["consolidated_portfolio"]
    assert cp["target_allocations"] == {s: str(w) for s, w in sorted(expected.items())}
    assert all(isinstance(w, str) for w in cp["target_allocations"].values())
    assert Decimal("0.99") <= sum(expected.values()) <= Decimal("1.01")
    assert cp["strategy_contributions"] == {p["dsl_file"].removesuffix(".clj"):
                                            p["consolidated_portfolio"]["target_allocations"] for p in partials}
    assert (cp["is_partial"], cp["strategy_count"], sorted(cp["source_strategies"])) == \
        (False, 2, ["core_satellite.clj", "rsi_switch.clj"])
    assert detail["signals_data"] == {"core_satellite": {"aggregated": True}, "rsi_switch": {"aggregated": True}}
    assert detail["signal_count"] == sum(p["signal_count"] for p in partials)
    assert detail["metadata"] == {"aggregation_session_id": "schedule-1", "strategies_aggregated": 2,
                                  "aggregation_mode": "multi_node"}
    assert (detail["correlation_id"], detail["causation_id"]) == ("schedule-1", "schedule-1")
    assert detail["event_id"].startswith("signal-generated-")
    assert detail["data_freshness"] == {"latest_timestamp": "2026-01-09T00:00:00+00:00", "age_days": 3,
                                        "gate_status": "PASS"}
    meta = session_items(sim, "schedule-1")["METADATA"]
    assert (meta["status"]["S"], meta["completed_strategies"]["N"]) == ("COMPLETED", "2")
    # one invocation per partial; only the one whose ADD returned N aggregated
    assert [log["message"] for log in aggregator_logs(result)] == ["Waiting for more partial signals",
                                                                  "SignalGenerated published"]


def open_session(sim, session_id: str, files: list[str]) -> None:
    """The orchestrator's metadata item, written straight into the table."""
    sim.client("dynamodb").put_item(TableName=TABLE, Item={
        "PK": {"S": f"SESSION#{session_id}"}, "SK": {"S": "METADATA"}, "session_id": {"S": session_id},
        "correlation_id": {"S": session_id}, "total_strategies": {"N": str(len(files))},
        "completed_strategies": {"N": "0"}, "status": {"S": "PENDING"}})


def partial_entry(session_id: str, dsl_file: str, weights: dict[str, str], number: int = 1, total: int = 2,
                  freshness: dict | None = None) -> dict:
    stem = dsl_file.removesuffix(".clj")
    allocation = sum((Decimal(w) for w in weights.values()), Decimal(0))
    event = PartialSignalGenerated(
        correlation_id=session_id, causation_id=session_id, event_id=f"partial-signal-{stem}", timestamp=NOW,
        source_module="strategy_v2", session_id=session_id, dsl_file=dsl_file, allocation=allocation,
        strategy_number=number, total_strategies=total, signals_data={stem: {"symbols": list(weights)}},
        consolidated_portfolio={"target_allocations": weights, "strategy_contributions": {stem: weights},
                                "is_partial": True},
        signal_count=len(weights), data_freshness=freshness or {})
    return entry(event, BUS)


def direct_sim(simulate, tmp_path, **kw):
    return simulate(legacy_stack(write_config(tmp_path, {"rsi_switch.clj": 1.0})), **kw)


@pytest.mark.parametrize("b_weights, total", [({"TLT": "0.495"}, "0.995"), ({"SPY": "0.25", "BIL": "0.255"}, "1.005")])
def test_merging_sums_without_renormalizing(simulate, tmp_path, b_weights, total):
    sim = direct_sim(simulate, tmp_path)
    open_session(sim, "s", ["a.clj", "b.clj"])
    sim.client("events").put_events(Entries=[
        partial_entry("s", "a.clj", {"SPY": "0.3", "TLT": "0.2"},
                      freshness={"latest_timestamp": "2026-01-09T00:00:00+00:00", "age_days": 3, "gate_status": "PASS"}),
        partial_entry("s", "b.clj", b_weights, 2,
                      freshness={"latest_timestamp": "2026-01-08T00:00:00+00:00", "age_days": 4, "gate_status": "FAIL"})])
    sim.run()
    [signal] = captured("SignalGenerated")
    targets = signal["detail"]["consolidated_portfolio"]["target_allocations"]
    assert sum(Decimal(w) for w in targets.values()) == Decimal(total)
    if "SPY" in b_weights:
        assert targets == {"BIL": "0.255", "SPY": "0.55", "TLT": "0.2"}
    assert signal["detail"]["data_freshness"] == {"latest_timestamp": "2026-01-08T00:00:00+00:00", "age_days": 4,
                                                  "gate_status": "FAIL"}


@pytest.mark.parametrize("b_weights", [{"TLT": "0.48"}, {"TLT": "0.52"}])
def test_a_total_outside_the_tolerance_fails_the_session(simulate, tmp_path, b_weights):
    sim = direct_sim(simulate, tmp_path)
    open_session(sim, "s", ["a.clj", "b.clj"])
    sim.client("events").put_events(Entries=[partial_entry("s", "a.clj", {"SPY": "0.5"}),
                                             partial_entry("s", "b.clj", b_weights, 2)])
    sim.run()
    assert captured("SignalGenerated") == []
    [failed] = captured("WorkflowFailed")
    assert failed["source"] == "alchemiser.aggregator"
    assert (failed["detail"]["source_module"], failed["detail"]["workflow_type"], failed["detail"]["failure_step"]) == \
        ("aggregator_v2", "signal_aggregation", "aggregation")
    assert failed["detail"]["error_details"]["exception_type"] == "AggregationError"
    assert session_items(sim, "s")["METADATA"]["status"]["S"] == "FAILED"


def test_concurrent_partials_produce_exactly_one_signal(simulate, tmp_path):
    sim = direct_sim(simulate, tmp_path, seed=9)
    files = ["a.clj", "b.clj", "c.clj", "d.clj"]
    open_session(sim, "s", files)
    sim.client("events").put_events(Entries=[partial_entry("s", f, {f"T{i}": "0.25"}, i + 1, 4)
                                             for i, f in enumerate(files)])
    result = sim.run()
    assert len(captured("SignalGenerated")) == 1
    logs = aggregator_logs(result)
    assert sorted(log.get("completed", 4) for log in logs) == [1, 2, 3, 4]
    assert [log["message"] for log in logs].count("SignalGenerated published") == 1
    starts = [r["t"] for r in result.trace.where("invoke.start", AGGREGATOR)]
    ends = [r["t"] for r in result.trace.where("invoke.end", AGGREGATOR)]
    assert len(starts) == 4 and max(starts) < min(ends)  # all four ran at once
    assert session_items(sim, "s")["METADATA"]["completed_strategies"]["N"] == "4"


def test_a_duplicate_before_completion_waits_and_after_completion_republishes(simulate, tmp_path):
    sim = direct_sim(simulate, tmp_path)
    open_session(sim, "s", ["a.clj", "b.clj"])
    first, last = partial_entry("s", "a.clj", {"SPY": "0.5"}), partial_entry("s", "b.clj", {"TLT": "0.5"}, 2)
    events = sim.client("events")
    for batch in ([first], [first], [last]):
        events.put_events(Entries=batch)
        sim.run()
    assert len(captured("SignalGenerated")) == 1  # the early duplicate only waited
    events.put_events(Entries=[last])  # EventBridge delivers at least once: the same partial, later
    sim.run()
    signals = captured("SignalGenerated")
    assert len(signals) == 2  # the real hole: no status guard, so a second signal (and trading run)
    assert signals[0]["detail"]["consolidated_portfolio"]["target_allocations"] == \
        signals[1]["detail"]["consolidated_portfolio"]["target_allocations"]
    assert signals[0]["detail"]["event_id"] != signals[1]["detail"]["event_id"]
    meta = session_items(sim, "s")["METADATA"]
    assert (meta["completed_strategies"]["N"], meta["status"]["S"]) == ("2", "COMPLETED")


def test_a_failed_worker_leaves_the_day_without_a_signal(simulate, tmp_path):
    sim, _ = e2e(simulate, tmp_path, symbols=[s for s in SYMBOLS if s != "SOXL"])  # core_satellite needs SOXL
    assert [e["detail"]["dsl_file"] for e in captured("PartialSignalGenerated")] == ["rsi_switch.clj"]
    assert [e["source"] for e in captured("WorkflowFailed")] == ["alchemiser.strategy"]
    sim.advance(3600)  # well past timeout_at: nothing enforces it
    assert captured("SignalGenerated") == []
    meta = session_items(sim, "schedule-1")["METADATA"]
    assert (meta["status"]["S"], meta["completed_strategies"]["N"]) == ("PENDING", "1")
    sim.advance(24 * 3600)  # the metadata item expires; the stored partial stays
    assert set(session_items(sim, "schedule-1")) == {"STRATEGY#rsi_switch.clj"}
    assert captured("SignalGenerated") == []


def test_the_same_seed_gives_the_same_trace_and_signal(tmp_path):
    from sim import Simulation

    config = write_config(tmp_path, {"rsi_switch.clj": 0.6, "core_satellite.clj": 0.4})
    runs = []
    for _ in range(2):
        CAPTURED.clear()
        with Simulation(legacy_stack(config), seed=21, epoch="2026-01-12T15:45") as sim:
            seed_bars(sim, MONDAY)
            invoke(sim, ORCHESTRATOR, {"mode": "trade"})  # no correlation id: the orchestrator draws one
            runs.append((sim.run().trace.to_jsonl(), captured("SignalGenerated")))
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] == runs[1][1] and runs[0][1][0]["detail"]["correlation_id"].startswith("workflow-")
