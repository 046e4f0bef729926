"""Full trading days, end to end, per variant (issue: each variant runs a full day; legacy and
stepfunctions give the same SignalGenerated allocations for the same day and seed)."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workflows.alchemiser.day import DayOptions, run_day
from workflows.cli import app

DAY = date(2026, 1, 14)  # a Wednesday
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "alchemiser"


@lru_cache(maxsize=None)
def day(variant: str, when: date = DAY, seed: int = 0) -> dict:
    return run_day(DayOptions(variant=variant, day=when, seed=seed)).summary()


def test_legacy_day_runs_from_schedule_to_email():
    s = day("legacy")
    # the 09:00 schedule creates the 15:45 run (market close - 15 min); the signal follows the workers
    assert s["emails"][0] == "[DEV] Schedule - SCHEDULED"
    assert "15:45:00" < s["signal_ready_at"] < s["failed_at"] < "16:00:00"
    assert s["events"]["PartialSignalGenerated"] == 4 and s["events"]["SignalGenerated"] == 1
    assert s["events"]["TradeExecuted"] == len(s["trades"]) and all(t["success"] for t in s["trades"])
    assert abs(sum(float(w) for w in s["allocations"].values()) - 1) < 1e-9
    # A finding the simulation makes visible: at the real 100 % deployment on a (default) margin
    # account, buying at the ask leaves long value just above equity; the trade aggregator's
    # capital_deployed_pct (100.01) fails AllTradesCompleted's 0-100 validation, so the run ends
    # FAILED with a WorkflowFailed email although every trade filled.
    assert s["outcome"] == "FAILED" and "AllTradesCompleted" not in s["events"]
    assert s["emails"][-1] == "[DEV] Workflow - FAILURE"
    # the positions after the day hold the allocation's symbols that traded
    bought = {t["symbol"] for t in s["trades"] if t["success"] and t["action"] == "BUY"}
    assert bought and bought <= set(s["positions"])


def test_stepfunctions_gives_the_legacy_allocations():
    legacy, sfn = day("legacy"), day("stepfunctions")
    assert sfn["allocations"] == legacy["allocations"]
    assert sfn["events"]["SignalGenerated"] == 1 and "PartialSignalGenerated" not in sfn["events"]
    assert [e["status"] for e in sfn["state_machine_executions"]] == ["SUCCEEDED"]


def test_verbatim_seed_signal_is_rejected_downstream():
    # The seed's PublishSignalGenerated builds a Detail without event_id, timestamp, source_module
    # or signal_count; the Portfolio rebuilds a strict SignalGenerated and fails: a finding.
    s = day("stepfunctions")
    assert s["outcome"] == "FAILED" and s["trades"] == []
    assert s["emails"][-1] == "[DEV] Workflow - FAILURE"


@pytest.mark.parametrize("variant", ["stepfunctions-fixed", "stepfunctions-execution"])
def test_fixed_stepfunctions_variants_trade_like_legacy(variant):
    legacy, s = day("legacy"), day(variant)
    assert s["allocations"] == legacy["allocations"]
    assert sorted(t["symbol"] for t in s["trades"]) == sorted(t["symbol"] for t in legacy["trades"])
    machines = [e["machine"] for e in s["state_machine_executions"]]
    assert ("alchemiser-dev-trade-execution" in machines) == (variant == "stepfunctions-execution")


def test_same_seed_same_bytes():
    a = run_day(DayOptions(variant="legacy", day=DAY, seed=3)).summary()
    b = run_day(DayOptions(variant="legacy", day=DAY, seed=3)).summary()
    assert a["digest"] == b["digest"]


def test_holiday_is_skipped_with_an_email():
    s = day("legacy", date(2026, 1, 19))  # Martin Luther King Jr. Day
    assert s["outcome"] == "HOLIDAY" and s["emails"] == ["[DEV] Schedule - SKIPPED_HOLIDAY"]
    assert s["signal_ready_at"] is None and s["lambda_invocations"] == 2


def test_early_close_runs_at_12_45():
    s = day("legacy", date(2025, 11, 28))  # the day after Thanksgiving closes at 13:00
    assert s["emails"][0] == "[DEV] Schedule - EARLY_CLOSE"
    assert "12:45:00" < s["signal_ready_at"] < "13:00:00"


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/alchemiser (the real strategy files)")
def test_real_strategies_give_the_same_allocations_on_both_paths():
    options = dict(day=DAY, strategies=SHARED / "strategies", config=SHARED / "config" / "strategy.dev.json")
    legacy = run_day(DayOptions(variant="legacy", **options)).summary()
    sfn = run_day(DayOptions(variant="stepfunctions", **options)).summary()
    assert legacy["events"]["PartialSignalGenerated"] == 12
    assert sfn["allocations"] == legacy["allocations"] and len(legacy["allocations"]) > 5
    # the seed's MaxConcurrency 4 runs the 12 workers in three waves: the signal comes later
    assert sfn["signal_ready_at"] > legacy["signal_ready_at"]


def test_cli_runs_a_day_and_writes_histories(tmp_path):
    out = CliRunner().invoke(app, ["run", "--variant", "stepfunctions-fixed", "--day", "2026-01-14",
                                   "--out", str(tmp_path), "--json"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)
    assert summary["signal_ready_at"] and summary["state_transitions"] > 0
    histories = json.loads((tmp_path / "histories.json").read_text())
    (events,) = histories.values()
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded"


def test_cli_refuses_bad_input(tmp_path):
    runner = CliRunner()
    for args, text in ((["--variant", "x", "--day", "2026-01-14"], "unknown variant"),
                       (["--variant", "legacy", "--day", "14/01/2026"], "not a date"),
                       (["--variant", "legacy"], "needs both"),
                       (["--variant", "legacy", "--day", "2026-01-14", "--config", str(tmp_path / "no.json")],
                        "does not exist")):
        out = runner.invoke(app, ["run", *args])
        assert out.exit_code == 2 and text in out.output, (args, out.output)
