"""Golden days: the bundled set covers what it claims, regress catches what moved, bad files are named."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from sim.errors import ConfigError
from workflows.alchemiser.golden import GOLDEN, GoldenDay, golden_days
from workflows.alchemiser.regress import check, junit_suites, record, regress
from workflows.dsl import IndicatorCache, evaluate_file
from workflows.marketdata.store import BarStore

ROOT = Path(__file__).resolve().parents[3]
DAYS = {g.day.isoformat(): g for g in golden_days()}


def expected(day: str, variant: str = "legacy") -> dict:
    return DAYS[day].expected(variant)


def test_at_least_eight_golden_days_cover_what_the_issue_lists():
    assert len(DAYS) >= 8
    exercised = {e for g in DAYS.values() for e in g.exercises}
    assert {"calm day", "sell-off", "rally", "early close", "no-trade day", "filter ties", "inverse volatility",
            "monday after a holiday"} <= exercised
    for g in DAYS.values():
        for variant in g.variants:
            assert g.expected_path(variant).is_file(), (g.day, variant)


def test_each_day_shows_what_it_is_there_for():
    assert expected("2025-11-28")["timing"]["signal_ready_at"].startswith("12:45")  # early close: 12:45 run
    assert "[DEV] Schedule - EARLY_CLOSE" in expected("2025-11-28")["emails"]
    assert expected("2025-11-11")["outcome"] == "NO_TRADES" and expected("2025-11-11")["trades"] == {}
    assert expected("2026-01-19")["outcome"] == "HOLIDAY"
    assert [k for k in expected("2025-10-16")["trades"] if k.endswith("SELL")]  # a held book is sold down
    # Monday after a Friday holiday: the newest bar is 4 days old, the advisory gate says FAIL, the day trades
    assert expected("2025-07-07")["signal"]["data_gate"] == "FAIL" and expected("2025-07-07")["outcome"] == "TRADED"
    assert expected("2025-07-28")["signal"]["data_gate"] == "PASS"
    # the seed's verbatim B.1 drops signal_count from SignalGenerated on every trading day
    assert expected("2026-01-14", "stepfunctions")["signal"]["signal_count"] is None
    assert expected("2026-01-14")["signal"]["signal_count"] == 13


def test_the_tie_day_really_ties_and_splits_by_inverse_volatility():
    g = DAYS["2026-02-05"]
    source = BarStore.open(ROOT / "fixtures" / "market")
    result = evaluate_file(ROOT / "fixtures" / "strategies" / "tie_break.clj", IndicatorCache(source), g.day)
    filters = [e for e in result.trace_json() if e["kind"] == "filter"]
    assert len(filters) == 2
    for f in filters:
        scores = {c["score"] for c in f["candidates"]}
        assert len(scores) == 1  # an exact tie ...
        assert f["survivors"] == [f["candidates"][0]["id"]]  # ... kept in DSL order
    bonds = {s: float(w) for s, w in result.weights.items() if s in ("TLT", "IEF", "SHY")}
    assert len(set(round(w, 6) for w in bonds.values())) == 3  # unequal: split by inverse volatility
    assert set(expected("2026-02-05")["strategies"]["tie_break"]["weights"]) == {"TQQQ", "SPY", "TLT", "IEF", "SHY"}


def test_a_golden_day_replays_unchanged():
    result = check(DAYS["2026-01-19"], "legacy")
    assert result.status == "passed", result.details()


@pytest.fixture
def copy_of(tmp_path):
    # day.yaml's paths are relative to its folder (../../strategies): lay the copy out the same way
    (tmp_path / "strategies").symlink_to(ROOT / "fixtures" / "strategies")

    def copy(day: str) -> GoldenDay:
        shutil.copytree(GOLDEN / day, tmp_path / "golden" / day)
        return GoldenDay.load(tmp_path / "golden" / day)
    return copy


def test_regress_names_what_moved(copy_of):
    g = copy_of("2026-01-19")
    doc = g.expected("legacy")
    doc["emails"] = ["[DEV] Schedule - SCHEDULED"]
    doc["events"]["ScheduleCreated"] = 2
    g.write_expected("legacy", doc)
    result = check(g, "legacy")
    assert result.status == "failed"
    assert "emails: expected ['[DEV] Schedule - SCHEDULED'], got ['[DEV] Schedule - SKIPPED_HOLIDAY']" in result.details()
    assert "events.ScheduleCreated: expected 2, got 1" in result.details()
    suite = junit_suites([result])[0]
    assert suite["cases"][0]["status"] == "failed" and "exact" in suite["cases"][0]["details"]


def test_a_missing_or_corrupt_expectation_is_an_error_that_says_how_to_fix_it(copy_of):
    g = copy_of("2026-01-19")
    g.expected_path("legacy").unlink()
    result = check(g, "legacy")
    assert result.status == "error" and "shadowsim golden record 2026-01-19" in result.message
    g.expected_path("stepfunctions").write_text("{not json")
    result = check(g, "stepfunctions")
    assert result.status == "error" and "line 1" in result.message and "not valid JSON" in result.message


def test_record_writes_what_regress_then_passes(copy_of):
    g = copy_of("2026-01-19").model_copy(update={"variants": ["legacy", "stepfunctions"]})
    for variant in g.variants:
        g.expected_path(variant).unlink()
    record(g)
    assert json.loads(g.expected_path("legacy").read_text())["outcome"] == "HOLIDAY"
    results = regress([GoldenDay.load(g.folder)])
    assert [r.status for r in results] == ["passed", "passed"]


@pytest.mark.parametrize("edit, message", [
    ({"day": "2026-01-20"}, "does not match its folder 2026-01-19"),
    ({"title": None}, "title"),
    ({"broker": {"multiplier": 3}}, "broker.multiplier"),
    ({"unknown": 1}, "unknown: Extra inputs are not permitted"),
])
def test_bad_day_files_are_named_with_the_field(copy_of, edit, message):
    g = copy_of("2026-01-19")
    data = yaml.safe_load((g.folder / "day.yaml").read_text())
    data.update(edit)
    (g.folder / "day.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="day.yaml") as err:
        GoldenDay.load(g.folder)
    assert message in str(err.value)


def test_a_folder_without_golden_days_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="holds no golden day"):
        golden_days(tmp_path)
    with pytest.raises(ConfigError, match="no such folder"):
        golden_days(tmp_path / "nope")


def test_golden_days_are_inside_the_market_fixtures():
    for g in DAYS.values():
        assert date(2024, 1, 2) < g.day <= date(2026, 3, 2)


@pytest.mark.parametrize("day", sorted(DAYS))
def test_shadow_verdicts_on_every_golden_day(day):
    """What `shadowsim shadow --day D` says of each golden day (regress proves the runs still equal these
    expectations): the verbatim seed machine diverges on its own criterion on every trading day, only by
    the missing signal_count; its fixed form agrees on every day."""
    from sim.diff import compare
    from workflows.alchemiser.shadow import rules_for

    seed = rules_for("seed")
    legacy = expected(day)
    verbatim = compare(legacy, expected(day, "stepfunctions"), seed)
    fixed = compare(legacy, expected(day, "stepfunctions-fixed"), seed)
    assert fixed.verdict == "agree", fixed.summary()
    if legacy["outcome"] == "HOLIDAY":
        assert verbatim.verdict == "agree"
    else:
        assert [r.observable for r in verbatim.diverged()] == ["signal.signal_count"], verbatim.summary()
