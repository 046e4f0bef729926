"""Strategy Orchestrator: the sum rule before dispatch, the session, one async worker per file."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.unit.alchemiser.signal_helpers import (
    CAPTURED, ORCHESTRATOR, WORKER, captured, invoke, legacy_stack, session_items, write_config,
)

PAYLOADS: list[dict] = []


def worker_stub(event, context):
    PAYLOADS.append(event)
    return {"statusCode": 200}


@pytest.fixture(autouse=True)
def _fresh():
    PAYLOADS.clear()
    CAPTURED.clear()


def sim_for(simulate, tmp_path, allocations, **kw):
    config = write_config(tmp_path, allocations)
    return simulate(legacy_stack(config, worker_handler=worker_stub, aggregator=False), **kw)


def test_one_async_worker_per_file_with_the_real_payload(simulate, tmp_path):
    sim = sim_for(simulate, tmp_path, {"rsi_switch.clj": 0.5, "core_satellite.clj": 0.3, "risk_parity.clj": 0.2},
                  epoch="2026-01-12T15:45")
    reply = invoke(sim, ORCHESTRATOR, {"mode": "trade", "correlation_id": "schedule-42", "scheduled_by": "schedule_manager"})
    assert reply["statusCode"] == 200
    assert reply["body"]["status"] == "dispatched" and reply["body"]["strategies_invoked"] == 3
    result = sim.run()
    assert sorted(PAYLOADS, key=lambda p: p["strategy_number"]) == [
        {"session_id": "schedule-42", "correlation_id": "schedule-42", "dsl_file": f, "allocation": a,
         "strategy_number": n, "total_strategies": 3, "mode": "single_strategy"}
        for n, (f, a) in enumerate([("rsi_switch.clj", 0.5), ("core_satellite.clj", 0.3), ("risk_parity.clj", 0.2)], 1)]
    assert all(r["mode"] == "Event" for r in result.trace.where("invoke.start", WORKER))  # async invokes
    meta = session_items(sim, "schedule-42")["METADATA"]
    assert (meta["status"]["S"], meta["total_strategies"]["N"], meta["completed_strategies"]["N"]) == \
        ("PENDING", "3", "0")
    assert reply["body"]["timeout_at"] == meta["timeout_at"]["S"]
    created = datetime.fromisoformat(meta["created_at"]["S"])
    assert (datetime.fromisoformat(meta["timeout_at"]["S"]) - created).total_seconds() == 600
    assert int(meta["TTL"]["N"]) == int(created.timestamp()) + 86400
    assert [m["M"]["allocation"]["N"] for m in meta["strategy_configs"]["L"]] == ["0.5", "0.3", "0.2"]


@pytest.mark.parametrize("allocations", [{"rsi_switch.clj": 0.6, "core_satellite.clj": 0.3},
                                         {"rsi_switch.clj": 0.6, "core_satellite.clj": 0.5}])
def test_allocations_off_by_more_than_one_percent_dispatch_nothing(simulate, tmp_path, allocations):
    sim = sim_for(simulate, tmp_path, allocations)
    reply = invoke(sim, ORCHESTRATOR, {"correlation_id": "schedule-1"})
    sim.run()
    assert reply["statusCode"] == 500 and "sum to 1.0" in reply["body"]["error"]
    assert PAYLOADS == [] and session_items(sim, "schedule-1") == {}  # checked before anything is created
    failed = captured("WorkflowFailed")
    assert [(e["source"], e["detail"]["source_module"], e["detail"]["workflow_type"], e["detail"]["failure_step"])
            for e in failed] == [("alchemiser.coordinator", "coordinator_v2", "strategy_coordination",
                                  "coordinator_dispatch")]


def test_allocations_within_rel_tol_are_dispatched_as_configured(simulate, tmp_path):
    sim = sim_for(simulate, tmp_path, {"rsi_switch.clj": 0.6, "core_satellite.clj": 0.395})
    assert invoke(sim, ORCHESTRATOR, {"correlation_id": "c"})["statusCode"] == 200
    sim.run()
    assert sorted(p["allocation"] for p in PAYLOADS) == [0.395, 0.6]  # not renormalized


def test_a_direct_run_gets_a_seeded_workflow_id(simulate, tmp_path):
    ids = []
    for _ in range(2):
        sim = sim_for(simulate, tmp_path, {"rsi_switch.clj": 1.0}, seed=11)
        ids.append(invoke(sim, ORCHESTRATOR, {})["body"]["session_id"])
        sim.run()
        assert PAYLOADS[-1]["session_id"] == PAYLOADS[-1]["correlation_id"] == ids[-1]
    assert ids[0] == ids[1] and ids[0].startswith("workflow-")


def test_a_missing_setting_fails_the_dispatch(simulate, tmp_path):
    config = write_config(tmp_path, {"rsi_switch.clj": 1.0})
    stack = legacy_stack(config, worker_handler=worker_stub, aggregator=False)
    orchestrator = stack.function(ORCHESTRATOR)
    env = {k: v for k, v in orchestrator.environment.items() if k != "STRATEGY_FUNCTION_NAME"}
    stack = stack.model_copy(update={"functions": [orchestrator.model_copy(update={"environment": env}),
                                                   *[f for f in stack.functions if f.name != ORCHESTRATOR]]})
    sim = simulate(stack)
    reply = invoke(sim, ORCHESTRATOR, {"correlation_id": "c"})
    sim.run()
    assert reply["statusCode"] == 500 and "STRATEGY_FUNCTION_NAME" in reply["body"]["error"]
    assert len(captured("WorkflowFailed")) == 1 and PAYLOADS == []
