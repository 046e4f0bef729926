"""Strategy Worker: bars from S3 (real layout), the DSL as of today, scaled Decimal weights, both modes."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from tests.unit.alchemiser.signal_helpers import (
    CAPTURED, MARKET, STRATEGIES, SYMBOLS, WORKER, captured, legacy_stack, seed_bars, write_config,
)
from workflows.dsl import IndicatorCache, evaluate_file
from workflows.marketdata.store import BarStore

MONDAY = date(2026, 1, 12)
EXECUTION_ARN = "arn:aws:states:us-east-1:123456789012:execution:alchemiser-dev-strategy-workflow:run-1"


@pytest.fixture(autouse=True)
def _fresh():
    CAPTURED.clear()


@pytest.fixture(scope="module")
def expected():
    """What the DSL engine gives on the fixture store (the worker must read the same from S3)."""
    cache = IndicatorCache(BarStore.open(MARKET))
    return lambda file, day: evaluate_file(STRATEGIES / file, cache, day)


def worker_sim(simulate, tmp_path, day: date, symbols=SYMBOLS, **kw):
    config = write_config(tmp_path, {"rsi_switch.clj": 0.6, "core_satellite.clj": 0.4})
    sim = simulate(legacy_stack(config, aggregator=False), epoch=f"{day.isoformat()}T15:45", **kw)
    seed_bars(sim, day, symbols)
    return sim


def run_worker(sim, payload: dict) -> tuple[dict, dict]:
    reply = sim.client("lambda").invoke(FunctionName=WORKER, Payload=json.dumps(payload).encode())
    body = json.loads(reply["Payload"].read())
    sim.run()
    return reply, body


def payload(dsl_file="core_satellite.clj", allocation=0.4, **kw) -> dict:
    return {"session_id": "schedule-7", "correlation_id": "schedule-7", "dsl_file": dsl_file,
            "allocation": allocation, "strategy_number": 2, "total_strategies": 2, "mode": "single_strategy", **kw}


def test_the_partial_carries_the_scaled_decimal_weights_of_todays_evaluation(simulate, tmp_path, expected):
    sim = worker_sim(simulate, tmp_path, MONDAY)
    _, body = run_worker(sim, payload())
    assert body["statusCode"] == 200
    [event] = captured("PartialSignalGenerated")
    assert event["source"] == "alchemiser.strategy"
    detail = event["detail"]
    result = expected("core_satellite.clj", MONDAY)  # as of the run's New York date: bars before it
    scaled = {s: str(w) for s, w in result.scaled(Decimal("0.4")).items()}
    cp = detail["consolidated_portfolio"]
    assert cp["target_allocations"] == scaled and cp["strategy_contributions"] == {"core_satellite": scaled}
    assert (cp["is_partial"], cp["strategy_count"], cp["source_strategies"]) == (True, 1, ["core_satellite.clj"])
    assert detail["allocation"] == "0.4" and detail["signal_count"] == len(scaled)
    assert (detail["session_id"], detail["causation_id"], detail["strategy_number"], detail["total_strategies"]) == \
        ("schedule-7", "schedule-7", 2, 2)
    assert detail["event_id"].startswith("partial-signal-") and detail["metadata"] == {"single_file_mode": True}
    assert (detail["source_module"], detail["source_component"]) == ("strategy_v2", "StrategyWorker")
    signals = detail["signals_data"]["core_satellite"]
    assert signals["symbols"] == list(scaled) and signals["action"] == "REBALANCE"
    assert signals["raw_allocations"] == {s: float(w) for s, w in result.weights.items()}
    assert signals["file_weight"] == 0.4 and signals["total_allocation"] == pytest.approx(0.4)
    assert signals["reasoning"] == "DSL strategy core_satellite"  # no if in this file


def test_reasoning_is_the_if_decision_path(simulate, tmp_path, expected):
    sim = worker_sim(simulate, tmp_path, MONDAY)
    run_worker(sim, payload("rsi_switch.clj", 0.6, strategy_number=1))
    reasoning = captured("PartialSignalGenerated")[0]["detail"]["signals_data"]["rsi_switch"]["reasoning"]
    path = [e for e in expected("rsi_switch.clj", MONDAY).trace_json() if e["kind"] == "if"]
    assert [(r["condition"], r["branch"]) for r in reasoning] == [(e["condition"], e["branch"]) for e in path]
    assert {r["file"] for r in reasoning} == {"rsi_switch.clj"}  # no machine path in the event


@pytest.mark.parametrize("day, last_bar, age, gate", [
    (MONDAY, "2026-01-09", 3, "PASS"),            # Friday's bar on a Monday: 3 days
    (date(2026, 1, 20), "2026-01-16", 4, "FAIL"),  # Tuesday after Martin Luther King Day: 4 days
])
def test_data_freshness_covers_the_final_allocation_only(simulate, tmp_path, day, last_bar, age, gate):
    sim = worker_sim(simulate, tmp_path, day)
    run_worker(sim, payload())
    detail = captured("PartialSignalGenerated")[0]["detail"]
    freshness = detail["data_freshness"]
    held = sorted(detail["consolidated_portfolio"]["target_allocations"])
    assert freshness["symbols_checked"] == held and len(held) < len(SYMBOLS)
    assert freshness["latest_timestamp"] == f"{last_bar}T00:00:00+00:00"
    assert (freshness["age_days"], freshness["gate_status"]) == (age, gate)
    assert freshness["stale_symbols"] == (held if gate == "FAIL" else [])


def test_missing_session_or_file_is_a_400_and_publishes_nothing(simulate, tmp_path):
    sim = worker_sim(simulate, tmp_path, MONDAY, symbols=())
    _, body = run_worker(sim, {"dsl_file": "rsi_switch.clj", "allocation": 1.0})
    assert body["statusCode"] == 400 and CAPTURED == []


@pytest.mark.parametrize("case, symbols, allocation, exception", [
    ("a ticker without bars", [s for s in SYMBOLS if s != "SOXL"], 0.4, "MarketDataMissingError"),
    ("a zero allocation", SYMBOLS, 0.0, "NoSignalsError"),
])
def test_a_failure_publishes_workflow_failed_returns_500_and_is_not_retried(simulate, tmp_path, case, symbols,
                                                                           allocation, exception):
    sim = worker_sim(simulate, tmp_path, MONDAY, symbols=symbols)
    sim.client("lambda").invoke(FunctionName=WORKER, InvocationType="Event",
                                Payload=json.dumps(payload(allocation=allocation)).encode())
    result = sim.run()
    assert captured("PartialSignalGenerated") == []
    [failed] = captured("WorkflowFailed")
    assert failed["source"] == "alchemiser.strategy"
    detail = failed["detail"]
    assert (detail["source_module"], detail["source_component"], detail["workflow_type"], detail["failure_step"]) == \
        ("strategy_v2", "StrategyWorker", "signal_generation", "signal_generation")
    assert detail["error_details"] == {"exception_type": exception, "dsl_file": "core_satellite.clj",
                                       "session_id": "schedule-7"}
    # the handler returned (500 body) instead of raising: Lambda saw a success and never retried
    assert [r["status"] for r in result.trace.where("invoke.end", WORKER)] == ["succeeded"]
    assert result.trace.where("retry", WORKER) == []


def test_step_functions_mode_returns_the_result_and_publishes_nothing(simulate, tmp_path, expected):
    sim = worker_sim(simulate, tmp_path, MONDAY)
    reply, body = run_worker(sim, {"dsl_file": "rsi_switch.clj", "allocation": 0.6, "correlation_id": "c-1",
                                   "session_id": EXECUTION_ARN})
    assert "FunctionError" not in reply and CAPTURED == []
    assert body["success"] is True and body["dsl_file"] == "rsi_switch.clj" and body["allocation"] == "0.6"
    scaled = {s: str(w) for s, w in expected("rsi_switch.clj", MONDAY).scaled(Decimal("0.6")).items()}
    assert body["consolidated_portfolio"]["target_allocations"] == scaled
    assert body["signal_count"] == len(scaled) and body["data_freshness"]["gate_status"] == "PASS"
    assert set(body) == {"dsl_file", "allocation", "consolidated_portfolio", "signals_data", "signal_count",
                         "data_freshness", "success"}


def test_step_functions_mode_raises_so_the_state_machine_sees_the_error(simulate, tmp_path):
    sim = worker_sim(simulate, tmp_path, MONDAY, symbols=())
    reply, body = run_worker(sim, {"dsl_file": "rsi_switch.clj", "allocation": 0.6, "session_id": EXECUTION_ARN})
    assert reply["FunctionError"] == "Unhandled" and body["errorType"] == "MarketDataMissingError"
    assert CAPTURED == []
