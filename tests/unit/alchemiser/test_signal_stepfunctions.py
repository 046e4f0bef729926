"""The Step Functions variant (seed B.1): config validator -> Map over workers (returning results)
-> array-input aggregator -> events:putEvents; and its agreement with the legacy path."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.unit.alchemiser.signal_helpers import (
    AGGREGATOR_SF, CAPTURED, ORCHESTRATOR, STATE_MACHINE, SYMBOLS, VALIDATOR, WORKER, captured, invoke, legacy_stack,
    seed_bars, stepfunctions_stack, write_config,
)

MONDAY = date(2026, 1, 12)
ALLOCATIONS = {"rsi_switch.clj": 0.6, "core_satellite.clj": 0.4}


@pytest.fixture(autouse=True)
def _fresh():
    CAPTURED.clear()


def execute(simulate, tmp_path, allocations=ALLOCATIONS, symbols=SYMBOLS):
    sim = simulate(stepfunctions_stack(write_config(tmp_path, allocations)), epoch="2026-01-12T15:45")
    seed_bars(sim, MONDAY, symbols)
    arn = f"arn:aws:states:us-east-1:{sim.emulator.account_id}:stateMachine:{STATE_MACHINE}"
    sfn = sim.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"correlation_id": "schedule-9"}))
    sim.run()
    return sim, sfn.describe_execution(executionArn=execution["executionArn"])


def test_the_state_machine_publishes_the_same_portfolio_as_the_legacy_path(simulate, tmp_path):
    sim, desc = execute(simulate, tmp_path / "sf")
    assert desc["status"] == "SUCCEEDED"
    assert captured("PartialSignalGenerated") == []  # workers return their results to the Map state
    [signal] = captured("SignalGenerated")
    detail = signal["detail"]
    assert signal["source"] == "alchemiser.strategy" and detail["event_type"] == "SignalGenerated"
    assert detail["causation_id"] == desc["executionArn"] and detail["correlation_id"] == "schedule-9"
    assert detail["metadata"]["aggregation_mode"] == "step_functions"
    assert [r["mode"] for r in sim.trace.where("invoke.start", WORKER)] == ["RequestResponse"] * 2
    CAPTURED.clear()
    legacy = simulate(legacy_stack(write_config(tmp_path / "legacy", ALLOCATIONS)), epoch="2026-01-12T15:45")
    seed_bars(legacy, MONDAY)
    invoke(legacy, ORCHESTRATOR, {"correlation_id": "schedule-9"})
    legacy.run()
    [legacy_signal] = captured("SignalGenerated")
    for key in ("target_allocations", "strategy_contributions", "strategy_count"):
        assert detail["consolidated_portfolio"][key] == legacy_signal["detail"]["consolidated_portfolio"][key]
    for key in ("signals_data", "signal_count", "data_freshness"):
        assert detail[key] == legacy_signal["detail"][key]


def test_a_bad_configuration_fails_before_any_worker_runs(simulate, tmp_path):
    sim, desc = execute(simulate, tmp_path, allocations={"rsi_switch.clj": 0.6, "core_satellite.clj": 0.3})
    assert (desc["status"], desc["error"]) == ("FAILED", "StrategyWorkflowFailed")
    assert sim.trace.where("invoke.start", WORKER) == []
    [failed] = captured("WorkflowFailed")
    assert failed["detail"]["workflow_type"] == "strategy_coordination"
    assert "sum to 1.0" in failed["detail"]["failure_reason"]


def test_a_failed_worker_fails_the_execution_and_reports_it(simulate, tmp_path):
    sim, desc = execute(simulate, tmp_path, symbols=[s for s in SYMBOLS if s != "SOXL"])
    assert desc["status"] == "FAILED"
    assert captured("SignalGenerated") == []
    [failed] = captured("WorkflowFailed")
    assert "MarketDataMissingError" in failed["detail"]["failure_reason"]
    assert sim.trace.where("invoke.start", AGGREGATOR_SF) == []


def test_the_config_validator_lists_the_map_items(simulate, tmp_path):
    sim = simulate(stepfunctions_stack(write_config(tmp_path, ALLOCATIONS)))
    out = invoke(sim, VALIDATOR, {"correlation_id": "c"})
    assert out["strategy_configs"] == [
        {"dsl_file": "rsi_switch.clj", "allocation": 0.6, "strategy_number": 1, "total_strategies": 2},
        {"dsl_file": "core_satellite.clj", "allocation": 0.4, "strategy_number": 2, "total_strategies": 2}]
    assert out["total_strategies"] == 2 and out["correlation_id"] == "c"


def result(dsl_file: str, weights: dict[str, str], **extra) -> dict:
    return {"dsl_file": dsl_file, "allocation": "0.5", "consolidated_portfolio": {"target_allocations": weights},
            "signals_data": {}, "signal_count": len(weights), "data_freshness": {}, "success": True, **extra}


def aggregate(sim, partials):
    reply = sim.client("lambda").invoke(FunctionName=AGGREGATOR_SF, Payload=json.dumps(
        {"partial_signals": partials, "correlation_id": "c", "execution_id": "arn:aws:states:x"}).encode())
    return reply.get("FunctionError"), json.loads(reply["Payload"].read())


def test_the_array_aggregator_sums_without_renormalizing(simulate, tmp_path):
    sim = simulate(stepfunctions_stack(write_config(tmp_path, ALLOCATIONS)))
    error, out = aggregate(sim, [result("a.clj", {"SPY": "0.3", "TLT": "0.2"}), result("b.clj", {"spy": "0.495"})])
    assert error is None
    assert out["consolidated_portfolio"]["target_allocations"] == {"SPY": "0.795", "TLT": "0.2"}
    assert out["signals_data"] == {"a": {"aggregated": True}, "b": {"aggregated": True}} and out["signal_count"] == 3
    assert out["event_id"].startswith("signal-generated-") and out["causation_id"] == "arn:aws:states:x"


@pytest.mark.parametrize("partials, message", [
    ([result("a.clj", {"SPY": "0.5"}), result("b.clj", {"TLT": "0.48"})], "outside"),
    ([result("a.clj", {"SPY": "0.5"}), result("b.clj", {"TLT": "0.5"}, success=False)], "b.clj"),
    ([], "non-empty"),
])
def test_the_array_aggregator_raises_aggregation_error(simulate, tmp_path, partials, message):
    sim = simulate(stepfunctions_stack(write_config(tmp_path, ALLOCATIONS)))
    error, out = aggregate(sim, partials)
    assert error == "Unhandled" and out["errorType"] == "AggregationError" and message in out["errorMessage"]
