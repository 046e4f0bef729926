"""shadowsim sweep: the report files (the page checked in chromium), exit codes, failures, Ctrl-C, bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.unit.report.test_html_browser import chromium_page
from workflows.alchemiser import sweep_cli
from workflows.alchemiser.sweep import run_task
from workflows.cli import app

runner = CliRunner()
SMALL = ["sweep", "--days", "2025-10-27", "--drills", "none,worker-killed", "--variants", "legacy,stepfunctions",
         "--seeds", "1", "--workers", "1"]


def test_a_sweep_with_its_report_and_the_page_in_a_browser(tmp_path):
    out = runner.invoke(app, SMALL + ["--report", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "4 of 4 tasks ran, 0 failed, 0 retried" in out.output
    report = json.loads((tmp_path / "sweep.json").read_text())
    assert report["schema"] == "shadowsim/sweep-report@1" and not report["partial"]
    lines = [json.loads(line) for line in (tmp_path / "tasks.jsonl").read_text().splitlines()]
    assert [line["task"]["variant"] for line in lines] == ["legacy", "stepfunctions"] * 2
    assert all("observables" not in line for line in lines)  # the small record, one line per task
    errors, requests = [], []
    with chromium_page(errors, requests) as page:
        page.goto((tmp_path / "sweep.html").as_uri(), wait_until="load")
        assert "4 of 4 tasks ran" in page.locator("#verdict").inner_text()
        assert page.locator("#outcomes svg").is_visible() and page.locator("#cost svg").is_visible()
        assert page.locator("#times svg").count() == 2
        assert "No retry" in page.locator("#findings").inner_text()
        assert page.locator("#divergence tbody tr").count() == 2
    assert errors == [] and all(url.startswith("file://") for url in requests)


def test_json_output_is_the_report():
    out = runner.invoke(app, SMALL[:4] + ["none", "--variants", "stepfunctions", "--seeds", "2", "--workers", "1",
                                          "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["aggregates"]["tasks"]["ran"] == 2 and report["aggregates"]["divergence"] == []


def test_a_task_that_fails_twice_is_reported_and_the_exit_code_says_so(tmp_path, monkeypatch):
    def broken_for_stepfunctions(task):
        if task.variant == "stepfunctions":
            raise RuntimeError("simulated worker trouble")
        return run_task(task)

    monkeypatch.setattr(sweep_cli, "run_task", broken_for_stepfunctions)
    out = runner.invoke(app, SMALL + ["--report", str(tmp_path)])
    assert out.exit_code == 1, out.output
    assert "2 of 4 tasks ran, 2 failed, 2 retried" in out.output
    assert ("failed 2025-10-27/none/stepfunctions/0 after 2 attempts: RuntimeError: simulated worker trouble"
            in out.output)
    report = json.loads((tmp_path / "sweep.json").read_text())
    assert [f["task"] for f in report["aggregates"]["failures"]] == ["2025-10-27/none/stepfunctions/0",
                                                                    "2025-10-27/worker-killed/stepfunctions/0"]
    assert "simulated worker trouble" in (tmp_path / "sweep.html").read_text()
    assert sum(1 for line in (tmp_path / "tasks.jsonl").read_text().splitlines() if '"error"' in line) == 2


def test_ctrl_c_writes_a_partial_report_that_says_so(tmp_path, monkeypatch):
    calls = []

    def interrupted_on_the_third(task):
        calls.append(task)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return run_task(task)

    monkeypatch.setattr(sweep_cli, "run_task", interrupted_on_the_third)
    out = runner.invoke(app, SMALL + ["--report", str(tmp_path)])
    assert out.exit_code == 130, out.output
    report = json.loads((tmp_path / "sweep.json").read_text())
    assert report["partial"] and report["aggregates"]["tasks"]["not_run"] == 2
    assert "PARTIAL (interrupted): 2 of 4 tasks ran" in out.output
    assert "This report is partial" in (tmp_path / "sweep.html").read_text()


@pytest.mark.parametrize("args, says", [
    (["--drills", "nope"], "no drill 'nope'"),
    (["--days", "2026-02-01..2026-01-01"], "ends before it starts"),
    (["--days", "2030-01-02"], "outside the market data fixtures"),
    (["--variants", "legacy,bogus"], "unknown"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "not both"),
    (["--workers", "0"], "--workers must be 1 or more"),
    (["--tolerances", "nope"], "no such rule set"),
    (["--drills", "duplicate-partial-race", "--variants", "stepfunctions"], "the plan has no task"),
])
def test_bad_input_is_one_message_and_exit_2(args, says):
    out = runner.invoke(app, ["sweep", "--days", "2025-10-27", "--seeds", "1"] + args)
    assert out.exit_code == 2, out.output
    assert says in out.output and "Traceback" not in out.output


def test_a_fault_free_task_is_reproduced_by_the_command_it_names(tmp_path):
    """On 2026-01-14 the legacy path's outcome depends on the seed (fills land either side of 100%
    deployed): each seed's outcome comes back from the command the sweep names for it."""
    from datetime import date

    from workflows.alchemiser.sweep import SweepTask

    outcomes = {}
    for seed in (0, 1):
        task = SweepTask(day=date(2026, 1, 14), drill=None, variant="legacy", seed=seed)
        assert task.reproduce() == f"shadowsim run --variant legacy --day 2026-01-14 --seed {seed}"
        out = runner.invoke(app, task.reproduce().split()[1:] + ["--json", "--out", str(tmp_path / str(seed))])
        assert out.exit_code == 0, out.output
        outcomes[seed] = json.loads(out.stdout)["outcome"]
        assert outcomes[seed] == run_task(task).outcome
    assert set(outcomes.values()) == {"FAILED", "TRADED"}
