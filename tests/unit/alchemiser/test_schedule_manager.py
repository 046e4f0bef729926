"""Schedule Manager on the virtual clock: 09:00 ET weekdays -> a one-time run at close - 15 min."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.unit.alchemiser.signal_helpers import BUS, CAPTURED, ORCHESTRATOR, capture, capture_rule, captured
from tests.unit.sim.conftest import fn, make_stack

NY = ZoneInfo("America/New_York")
MANAGER = "alchemiser-dev-schedule-manager"
RUNS: list[tuple[datetime, dict]] = []


def orchestrator_stub(event, context):
    RUNS.append((datetime.now(NY), event))
    return {"statusCode": 200}


@pytest.fixture(autouse=True)
def _fresh():
    RUNS.clear()
    CAPTURED.clear()


def stack(with_cron: bool = True, **env):
    environment = {"APP__STAGE": "dev", "EVENT_BUS_NAME": BUS, "SCHEDULE_GROUP_NAME": "default",
                   "MINUTES_BEFORE_CLOSE": "15",
                   "ORCHESTRATOR_FUNCTION_ARN": f"arn:aws:lambda:us-east-1:${{AccountId}}:function:{ORCHESTRATOR}",
                   "SCHEDULER_ROLE_ARN": "arn:aws:iam::${AccountId}:role/alchemiser-dev-scheduler", **env}
    schedules = [{"name": MANAGER, "expression": "cron(0 9 ? * MON-FRI *)", "timezone": "America/New_York",
                  "target": {"arn": f"function:{MANAGER}", "input": json.dumps({"source": "morning_schedule"}),
                             "retry_policy": {"maximum_retry_attempts": 2}}}] if with_cron else []
    return make_stack("alchemiser-schedule", functions=[
        fn(MANAGER, "workflows.alchemiser.handlers.schedule_manager:handler", timeout_s=60, memory_mb=256,
           environment={k: v for k, v in environment.items() if v is not None}),
        fn(ORCHESTRATOR, orchestrator_stub), fn("capture", capture)],
        buses=[BUS], rules=[capture_rule()], schedules=schedules,
        state_machines=[{"name": "alchemiser-dev-strategy-workflow",
                         "definition": {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}}])


def schedule_created() -> list[tuple[str, str]]:
    return [(e["detail"]["date"], e["detail"]["status"]) for e in captured("ScheduleCreated")]


def invoke_manager(sim) -> dict:
    reply = sim.client("lambda").invoke(FunctionName=MANAGER, Payload=b'{"source": "morning_schedule"}')
    return json.loads(reply["Payload"].read())


def test_a_week_with_a_monday_holiday(simulate):
    # Fri 2026-01-16, the weekend, Martin Luther King Day (Mon 01-19), Tue 01-20
    sim = simulate(stack(), seed=5, epoch="2026-01-16T08:00")
    sim.run(until=datetime(2026, 1, 20, 17, 0, tzinfo=NY))
    assert schedule_created() == [("2026-01-16", "scheduled"), ("2026-01-19", "skipped_holiday"),
                                  ("2026-01-20", "scheduled")]
    assert [(when.strftime("%a %H:%M:%S"), event["mode"], event["scheduled_by"]) for when, event in RUNS] == \
        [("Fri 15:45:00", "trade", "schedule_manager"), ("Tue 15:45:00", "trade", "schedule_manager")]
    fri = captured("ScheduleCreated")[0]
    assert fri["source"] == "alchemiser.coordinator"
    assert fri["detail"]["schedule_name"] == "alchemiser-dev-trading-execution-2026-01-16"
    assert fri["detail"]["execution_time"] == "2026-01-16T15:45:00-05:00"
    assert fri["detail"]["market_close_time"] == "2026-01-16T16:00:00-05:00"
    assert fri["detail"]["is_early_close"] is False
    # the run carries the Schedule Manager's correlation id, and the one-time schedule deletes itself
    assert RUNS[0][1]["correlation_id"] == fri["detail"]["correlation_id"]
    assert fri["detail"]["correlation_id"].startswith("schedule-")
    holiday = captured("ScheduleCreated")[1]["detail"]
    assert holiday["skip_reason"] and holiday["schedule_name"] is None and holiday["execution_time"] is None
    deleted = sim.trace.where("schedule.deleted", "alchemiser-dev-trading-execution-2026-01-16")
    assert [r["reason"] for r in deleted] == ["ActionAfterCompletion DELETE"]


@pytest.mark.parametrize("day, close, run_at", [("2025-11-28", "13:00", "12:45"), ("2025-12-24", "13:00", "12:45")])
def test_early_close_days_run_at_12_45(simulate, day, close, run_at):
    sim = simulate(stack(with_cron=False), epoch=f"{day}T09:00")
    body = invoke_manager(sim)["body"]
    assert body["is_early_close"] is True and body["execution_time"].startswith(f"{day}T{run_at}")
    sim.run()
    assert [when.strftime("%H:%M") for when, _ in RUNS] == [run_at]
    detail = captured("ScheduleCreated")[0]["detail"]
    assert (detail["status"], detail["is_early_close"]) == ("early_close", True)
    assert detail["market_close_time"].startswith(f"{day}T{close}")


def test_weekends_publish_nothing_and_schedule_nothing(simulate):
    sim = simulate(stack(with_cron=False), epoch="2026-01-17T09:00")  # a Saturday
    assert invoke_manager(sim)["body"]["status"] == "skipped"
    sim.run(until=datetime(2026, 1, 17, 18, 0, tzinfo=NY))
    assert CAPTURED == [] and RUNS == [] and sim.trace.where("schedule.created") == []


def test_a_second_run_the_same_morning_replaces_the_schedule(simulate):
    sim = simulate(stack(with_cron=False), epoch="2026-01-12T09:00")
    first = invoke_manager(sim)["body"]["correlation_id"]
    sim.advance(300)
    second = invoke_manager(sim)["body"]["correlation_id"]
    sim.run()
    assert first != second
    assert [event["correlation_id"] for _, event in RUNS] == [second]  # one run, not two
    assert len(sim.trace.where("schedule.deleted", reason="DeleteSchedule")) == 1


def test_a_failure_publishes_workflow_failed_and_returns_500(simulate):
    sim = simulate(stack(with_cron=False, ORCHESTRATOR_FUNCTION_ARN=None), epoch="2026-01-12T09:00")
    reply = invoke_manager(sim)
    assert reply["statusCode"] == 500 and "ORCHESTRATOR_FUNCTION_ARN" in reply["body"]["error"]
    sim.run()
    failed = captured("WorkflowFailed")
    assert [(e["source"], e["detail"]["workflow_type"], e["detail"]["failure_step"]) for e in failed] == \
        [("alchemiser.coordinator", "schedule_creation", "schedule_creation")]
    assert failed[0]["detail"]["error_details"]["exception_type"] == "ValueError"
    assert captured("ScheduleCreated") == [] and RUNS == []


def test_the_step_functions_flag_targets_the_state_machine(simulate):
    arn = "arn:aws:states:us-east-1:${AccountId}:stateMachine:alchemiser-dev-strategy-workflow"
    sim = simulate(stack(with_cron=False, USE_STEP_FUNCTIONS="true", STATE_MACHINE_ARN=arn), epoch="2026-01-12T09:00")
    correlation_id = invoke_manager(sim)["body"]["correlation_id"]
    sim.run()
    sfn = sim.client("stepfunctions")
    machine = arn.replace("${AccountId}", sim.emulator.account_id)
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert len(executions) == 1 and RUNS == []
    assert executions[0]["startDate"].astimezone(NY).strftime("%H:%M") == "15:45"
    described = sfn.describe_execution(executionArn=executions[0]["executionArn"])
    assert json.loads(described["input"]) == {"mode": "trade", "correlation_id": correlation_id,
                                              "scheduled_by": "schedule_manager"}
