"""shadowsim shadow / golden / regress: exit codes 0/1/2, the files written, clear errors."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workflows.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_shadow_agreeing_day_exits_0_and_writes_every_report(tmp_path):
    out = runner.invoke(app, ["shadow", "--day", "2026-01-19", "--variants", "legacy,stepfunctions",
                              "--report", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "AGREE" in out.output and "Tolerances: seed" in out.output
    for name in ("report.html", "report.json", "summary.md", "junit.xml", "legacy/trace.jsonl",
                 "stepfunctions/histories.json"):
        assert (tmp_path / name).is_file(), name
    assert json.loads((tmp_path / "report.json").read_text())["schema"] == "shadowsim/shadow-report@1"
    assert ET.parse(tmp_path / "junit.xml").getroot().get("failures") == "0"
    assert "**AGREE**" in (tmp_path / "summary.md").read_text()


def test_shadow_diverging_day_exits_1_with_a_one_line_json(tmp_path):
    out = runner.invoke(app, ["shadow", "--day", "2026-01-14", "--report", str(tmp_path), "--json"])
    assert out.exit_code == 1, out.output
    line = json.loads(out.output.strip().splitlines()[-1])
    assert line["verdict"] == "diverge" and "signal.signal_count" in line["summary"]


@pytest.mark.parametrize("args, message", [
    (["shadow", "--day", "14-01-2026"], "is not a date"),
    (["shadow", "--day", "2026-01-14", "--variants", "legacy,nonesuch"], "unknown variant 'nonesuch'"),
    (["shadow", "--day", "2026-01-14", "--variants", "legacy"], "at least two different variants"),
    (["shadow", "--day", "2026-01-14", "--tolerances", "nonesuch"], "no such rule set"),
    (["shadow", "--day", "2026-01-14", "--noise-runs", "-1"], "--noise-runs"),
    (["shadow", "--day", "2020-01-14"], "outside the market data fixtures"),
    (["golden", "record", "2026-01-21", "--dir", "{tmp}"], "needs --title"),
    (["regress", "{tmp}"], "holds no golden day"),
])
def test_bad_input_exits_2_with_one_message(tmp_path, args, message):
    out = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args] + (
        ["--report", str(tmp_path / "r")] if args[0] == "shadow" else []))
    assert out.exit_code == 2, out.output
    assert message in out.output and "Traceback" not in out.output


def test_regress_passes_then_fails_when_something_moved(tmp_path):
    (tmp_path / "strategies").symlink_to(ROOT / "fixtures" / "strategies")
    day = tmp_path / "golden" / "2026-01-19"
    shutil.copytree(ROOT / "fixtures" / "golden" / "2026-01-19", day)
    junit = tmp_path / "junit.xml"
    out = runner.invoke(app, ["regress", str(tmp_path / "golden"), "--junit", str(junit)])
    assert out.exit_code == 0, out.output
    assert "UNCHANGED: 4 passed" in out.output
    assert ET.parse(junit).getroot().find("testsuite").get("tests") == "4"
    doc = json.loads((day / "expected" / "stepfunctions.json").read_text())
    doc["emails"] = []
    (day / "expected" / "stepfunctions.json").write_text(json.dumps(doc))
    out = runner.invoke(app, ["regress", str(tmp_path / "golden"), "--junit", str(junit)])
    assert out.exit_code == 1
    assert "CHANGED: 3 passed, 1 changed" in out.output and "emails: expected [], got" in out.output
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == "1"


def test_golden_record_and_list(tmp_path):
    (tmp_path / "strategies").symlink_to(ROOT / "fixtures" / "strategies")
    out = runner.invoke(app, ["golden", "record", "2026-02-16", "--dir", str(tmp_path / "golden"),
                              "--title", "Presidents' Day", "--exercises", "holiday",
                              "--variants", "legacy,stepfunctions"])
    assert out.exit_code == 0, out.output
    expected = json.loads((tmp_path / "golden" / "2026-02-16" / "expected" / "legacy.json").read_text())
    assert expected["outcome"] == "HOLIDAY"
    out = runner.invoke(app, ["golden", "list", "--dir", str(tmp_path / "golden")])
    assert out.exit_code == 0 and "Presidents' Day" in out.output
