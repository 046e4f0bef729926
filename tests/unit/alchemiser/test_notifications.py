"""Notifications: one SES email per event, with the real outcome rules and subjects (§3.7, §10.25)."""

from __future__ import annotations

import json

import pytest

from tests.unit.sim.conftest import fn, make_stack
from workflows.alchemiser.handlers import notifications

BUS = "alchemiser-dev-events"
RULES = [{"name": f"notify-{t}", "bus": BUS, "event_pattern": {"source": [{"prefix": "alchemiser."}], "detail-type": [t]},
          "targets": [{"arn": "notifications"}]}
         for t in ("AllTradesCompleted", "WorkflowFailed", "DataLakeUpdateCompleted", "ScheduleCreated")]
ENV = {"APP__STAGE": "dev", "SES_FROM_ADDRESS": "noreply@example.com", "SES_FROM_NAME": "Octarine Capital",
       "NOTIFICATIONS_TO_NONPROD": "dev-team@example.com", "NOTIFICATIONS_TO_PROD": "desk@example.com"}


def _stack(env: dict | None = None):
    return make_stack(buses=[BUS], rules=RULES, ses_identities=["noreply@example.com"],
                      functions=[fn("notifications", notifications.handler, environment=env or ENV)])


def _put(sim, source: str, detail_type: str, detail: dict) -> None:
    sim.client("events").put_events(Entries=[{"Source": source, "DetailType": detail_type, "EventBusName": BUS,
                                              "Detail": json.dumps(detail)}])
    sim.run()


def _trades(total: int, failed: int, failed_symbols=(), nf=()) -> dict:
    return {"run_id": "run-1", "correlation_id": "corr-1", "total_trades": total, "succeeded_trades": total - failed,
            "failed_trades": failed, "failed_symbols": list(failed_symbols),
            "non_fractionable_skipped_symbols": list(nf), "data_freshness": {}}


@pytest.mark.parametrize("detail,status", [
    (_trades(3, 0), "SUCCESS"),
    (_trades(2, 1, nf=["BRK.A"]), "PARTIAL_SUCCESS"),
    (_trades(2, 1, failed_symbols=["TQQQ"]), "FAILURE"),
    (_trades(3, 2, failed_symbols=["TQQQ"], nf=["BRK.A"]), "FAILURE"),
    (_trades(0, 0), "FAILURE"),
])
def test_trading_email_outcome_and_subject(simulate, detail, status):
    sim = simulate(_stack())
    _put(sim, "alchemiser.trade_aggregator", "AllTradesCompleted", detail)
    (email,) = sim.emulator.sent_emails()
    assert email["subject"] == f"[DEV] Daily Run - {status}"
    assert email["to"] == ["dev-team@example.com"] and email["source"] == "Octarine Capital <noreply@example.com>"
    assert f"Outcome: {status}" in email["body"]
    # data_freshness arrives empty (Portfolio drops it): the email shows the defaults
    assert "Latest candle: N/A" in email["body"] and "DATA_FRESHNESS_GATE: PASS" in email["body"]


def test_workflow_failed_always_sends_an_error_email(simulate):
    sim = simulate(_stack())
    _put(sim, "alchemiser.strategy", "WorkflowFailed", {"workflow_type": "signal_generation", "failure_step":
         "signal_generation", "failure_reason": "boom", "correlation_id": "c", "error_details": {"dsl_file": "a.clj"}})
    (email,) = sim.emulator.sent_emails()
    assert email["subject"] == "[DEV] Workflow - FAILURE"
    assert "Source module: strategy" in email["body"] and "Reason: boom" in email["body"]


def test_prod_sends_to_the_real_address_without_prefix(simulate):
    sim = simulate(_stack({**ENV, "APP__STAGE": "prod"}))
    _put(sim, "alchemiser.trade_aggregator", "AllTradesCompleted", _trades(1, 0))
    (email,) = sim.emulator.sent_emails()
    assert email["subject"] == "Daily Run - SUCCESS" and email["to"] == ["desk@example.com"]


def test_unverified_sender_is_answered_with_500_not_raised(simulate):
    stack = make_stack(buses=[BUS], rules=RULES, functions=[fn("notifications", notifications.handler, environment=ENV)])
    sim = simulate(stack)
    out = sim.client("lambda").invoke(FunctionName="notifications", Payload=json.dumps({
        "detail-type": "WorkflowFailed", "source": "alchemiser.portfolio", "detail": {}}).encode())
    body = json.loads(out["Payload"].read())
    assert "FunctionError" not in out and body["statusCode"] == 500
    assert sim.emulator.sent_emails() == []
