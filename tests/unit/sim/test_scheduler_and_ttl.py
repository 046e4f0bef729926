"""EventBridge Scheduler and DynamoDB TTL on the virtual clock."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest

from tests.unit.sim.conftest import fn, make_stack, starts

NY = ZoneInfo("America/New_York")


def noop(event, context):
    return event


def test_cron_schedule_fires_weekday_mornings_in_new_york_time(simulate):
    stack = make_stack(functions=[fn("f", noop)], schedules=[{
        "name": "morning", "expression": "cron(0 9 ? * MON-FRI *)", "timezone": "America/New_York",
        "target": {"arn": "function:f", "input": '{"source": "morning_schedule"}'}}])
    # Friday 2026-01-09 08:00 New York; run to Tuesday 10:00
    sim = simulate(stack, epoch="2026-01-09T08:00", tz="America/New_York")
    result = sim.run(until=datetime(2026, 1, 13, 10, 0, tzinfo=NY))
    fired = [sim.clock.to_datetime(t).astimezone(NY) for t in starts(result, "f")]
    assert [(d.strftime("%a"), d.hour) for d in fired] == [("Fri", 9), ("Mon", 9), ("Tue", 9)]


def test_recurring_schedules_never_keep_a_run_alive(simulate):
    stack = make_stack(functions=[fn("f", noop)], schedules=[{
        "name": "often", "expression": "rate(5 minutes)", "target": {"arn": "function:f"}}])
    sim = simulate(stack)
    result = sim.run()
    # a rate schedule fires at once; then nothing but its daemon timer remains, so the run ends
    assert len(starts(result, "f")) == 1 and starts(result, "f")[0] < 0.1
    assert result.end_s < 1
    result = sim.run(until=3600)
    assert result.counts["schedule.fired"] == 13  # t = 0, 300, ..., 3600


def schedule_manager(event, context):
    """Like the real Schedule Manager: create a one-time schedule for later today."""
    now = datetime.now(NY)
    at = (now + timedelta(hours=6, minutes=45)).strftime("%Y-%m-%dT%H:%M:%S")
    boto3.client("scheduler").create_schedule(
        Name="trading-run", ScheduleExpression=f"at({at})", ScheduleExpressionTimezone="America/New_York",
        FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
        Target={"Arn": f"arn:aws:lambda:us-east-1:{context.invoked_function_arn.split(':')[4]}:function:run",
                "RoleArn": "arn:aws:iam::000000000000:role/x", "Input": json.dumps({"mode": "trade"})})
    return at


def test_handler_created_one_time_schedule_fires_once_then_deletes_itself(simulate):
    stack = make_stack(functions=[fn("manager", schedule_manager, timeout_s=60), fn("run", noop)])
    sim = simulate(stack, epoch="2026-01-12T09:00", tz="America/New_York")
    sim.client("lambda").invoke(FunctionName="manager", Payload=b"{}")
    result = sim.run()
    fired = [sim.clock.to_datetime(t).astimezone(NY) for t in starts(result, "run")]
    assert len(fired) == 1 and fired[0].strftime("%H:%M") == "15:45"
    assert result.trace.where("schedule.deleted", "trading-run")[0]["reason"] == "ActionAfterCompletion DELETE"
    scheduler = sim.client("scheduler")
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name="trading-run")


def test_scheduled_eventbridge_rule_targets(simulate):
    stack = make_stack(functions=[fn("f", noop)],
                       rules=[{"name": "nightly", "schedule_expression": "cron(0 10 ? * TUE-SAT *)",
                               "targets": [{"arn": "function:f"}]}])
    sim = simulate(stack, epoch="2026-01-13T00:00", tz="UTC")
    result = sim.run(until=86400)
    assert [sim.clock.to_datetime(t).hour for t in starts(result, "f")] == [10]


def writer(event, context):
    table = boto3.resource("dynamodb").Table("sessions")
    table.put_item(Item={"PK": event["pk"], "TTL": int(time.time()) + event["ttl_s"]})
    return None


def extender(event, context):
    boto3.resource("dynamodb").Table("sessions").update_item(
        Key={"PK": event["pk"]}, UpdateExpression="SET #t = :t", ExpressionAttributeNames={"#t": "TTL"},
        ExpressionAttributeValues={":t": int(time.time()) + 3600})
    return None


def ttl_stack():
    return make_stack(functions=[fn("w", writer), fn("x", extender)],
                      tables=[{"name": "sessions", "hash_key": {"name": "PK"}, "ttl_attribute": "TTL"}])


def items(sim) -> set[str]:
    return {i["PK"]["S"] for i in sim.client("dynamodb").scan(TableName="sessions")["Items"]}


def test_ttl_item_disappears_after_expiry_plus_deletion_delay(simulate):
    sim = simulate(ttl_stack(), ttl_deletion_delay_s=120)
    sim.client("lambda").invoke(FunctionName="w", Payload=b'{"pk": "S1", "ttl_s": 600}')
    sim.advance(600 + 60)
    assert items(sim) == {"S1"}  # expired, not yet deleted: AWS still returns it
    sim.advance(120)
    assert items(sim) == set()
    assert len(sim.trace.of_kind("dynamodb.ttl-expired")) == 1


def test_ttl_extended_item_survives(simulate):
    sim = simulate(ttl_stack())
    lam = sim.client("lambda")
    lam.invoke(FunctionName="w", Payload=b'{"pk": "S1", "ttl_s": 600}')
    sim.advance(300)
    lam.invoke(FunctionName="x", Payload=b'{"pk": "S1"}')
    sim.advance(900)
    assert items(sim) == {"S1"}
    sim.advance(3600)
    assert items(sim) == set()


def test_schedule_delivery_failures_are_retried_then_dead_lettered(simulate):
    from sim.faults import FaultPlan

    plan = FaultPlan.model_validate({"rules": [
        {"name": "target-down", "match": {"point": "delivery", "channel": "scheduler", "resource": "once"},
         "action": {"kind": "raise_error", "code": "ThrottlingException"}}]})
    stack = make_stack(functions=[fn("f", noop)], queues=[{"name": "dlq"}], schedules=[{
        "name": "once", "expression": "at(2026-01-12T10:00:00)", "timezone": "America/New_York",
        "target": {"arn": "function:f", "dead_letter_queue": "dlq"},
        "retry_policy": {"maximum_retry_attempts": 2, "maximum_event_age_s": 3600}}])
    sim = simulate(stack, epoch="2026-01-12T09:00", tz="America/New_York", faults=plan)
    result = sim.run()
    failures = result.trace.of_kind("schedule.delivery-failed")
    assert [f["attempt"] for f in failures] == [1, 2, 3]
    assert failures[0]["t"] == pytest.approx(3600)
    assert starts(result, "f") == []
    fire = [e for e in result.ledger.entries.values() if e.kind == "schedule-fire"][0]
    assert fire.status == "dlq" and "ThrottlingException" in fire.reason
    assert len(sim.client("sqs").receive_message(QueueUrl="dlq")["Messages"]) == 1


@pytest.mark.parametrize("action, expected_starts", [
    ({"kind": "delay", "seconds": 1200}, [4800.0]),
    ({"kind": "duplicate"}, [3600.0, 3600.0]),
])
def test_schedule_delivery_delay_and_duplicate(simulate, action, expected_starts):
    from sim.faults import FaultPlan

    plan = FaultPlan.model_validate({"rules": [
        {"name": "late", "match": {"point": "delivery", "channel": "scheduler", "resource": "once"}, "action": action}]})
    stack = make_stack(functions=[fn("f", noop)], schedules=[{
        "name": "once", "expression": "at(2026-01-12T10:00:00)", "timezone": "America/New_York",
        "target": {"arn": "function:f"}}])
    result = simulate(stack, epoch="2026-01-12T09:00", tz="America/New_York", faults=plan).run()
    assert [round(t) for t in starts(result, "f")] == [round(t) for t in expected_starts]
    assert result.faults_fired == {"late": 1}
