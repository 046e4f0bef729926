"""The pytest plugin, loaded through its entry point: fixtures and the --golden option."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
USER_TESTS = '''
def test_golden(golden_case):
    golden_case.assert_unchanged()

def test_day(golden_day):
    assert golden_day("2026-01-19").expected("legacy")["outcome"] == "HOLIDAY"

def test_shadow(shadow_run):
    result = shadow_run("2026-01-19", variants="legacy,stepfunctions-fixed", report=True)
    assert result.verdict == "agree", result.report["summary"]
    assert result.paths["html"].is_file()
'''


@pytest.fixture
def golden_root(tmp_path: Path) -> Path:
    """One golden day (a holiday: fast) with one variant, laid out as in fixtures/."""
    (tmp_path / "strategies").symlink_to(ROOT / "fixtures" / "strategies")
    day = tmp_path / "golden" / "2026-01-19"
    shutil.copytree(ROOT / "fixtures" / "golden" / "2026-01-19", day)
    text = (day / "day.yaml").read_text()
    head = text.split("variants:")[0]
    (day / "day.yaml").write_text(head + "variants:\n- legacy\n")
    return tmp_path / "golden"


def test_the_plugin_is_registered_as_an_entry_point():
    from importlib.metadata import entry_points

    names = {e.name: e.value for e in entry_points(group="pytest11")}
    assert names.get("shadowsim") == "workflows.alchemiser.pytest_plugin"


def test_golden_cases_are_skipped_without_the_option(pytester, golden_root):
    file = pytester.makepyfile(USER_TESTS)
    result = pytester.runpytest_subprocess("--golden-dir", str(golden_root), f"{file}::test_golden",
                                           f"{file}::test_day")
    result.assert_outcomes(passed=1, skipped=1)


def test_the_golden_option_replays_each_day_and_variant(pytester, golden_root):
    pytester.makepyfile(USER_TESTS)
    result = pytester.runpytest_subprocess("--golden", "--golden-dir", str(golden_root), "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_golden?2026-01-19-legacy? PASSED*"])


def test_a_moved_golden_day_fails_with_the_diff(pytester, golden_root):
    path = golden_root / "2026-01-19" / "expected" / "legacy.json"
    doc = json.loads(path.read_text())
    doc["events"]["ScheduleCreated"] = 3
    path.write_text(json.dumps(doc))
    file = pytester.makepyfile(USER_TESTS)
    result = pytester.runpytest_subprocess("--golden", "--golden-dir", str(golden_root), f"{file}::test_golden")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*golden day 2026-01-19 legacy failed*",
                                 "*events.ScheduleCreated: expected 3, got 1*"])
