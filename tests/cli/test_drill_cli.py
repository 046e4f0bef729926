"""shadowsim drill: the catalogue, a report with its matrix page (checked in chromium), exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.unit.report.test_html_browser import chromium_page
from workflows.cli import app

runner = CliRunner()


def test_list_shows_the_catalogue():
    out = runner.invoke(app, ["drill", "--list"])
    assert out.exit_code == 0 and "worker-timeout" in out.output and "Timeout Test" in out.output


def test_a_drill_with_its_report_and_the_matrix_in_a_browser(tmp_path):
    out = runner.invoke(app, ["drill", "worker-killed", "--report", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "3 drill runs: 1 pass, 2 findings, 0 fail" in out.output and "No retry" in out.output
    data = json.loads((tmp_path / "drills.json").read_text())
    assert [r["verdict"] for r in data["results"]] == ["pass", "finding", "finding"]
    assert (tmp_path / "worker-killed" / "stepfunctions" / "timeline.json").is_file()
    errors = []
    with chromium_page(errors) as page:
        page.goto((tmp_path / "drills.html").as_uri())
        assert "every expectation holds" in page.locator("#verdict").inner_text()
        assert page.locator("#matrix tbody tr").count() == 1
        links = page.locator("#matrix a[href$='timeline.json']").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))")
        assert len(links) == 3 and all((tmp_path / href).is_file() for href in links)
        assert page.locator("#worker-killed--stepfunctions").is_visible()  # the finding, with its evidence
        pages = page.locator("#matrix a[href$='run.html']").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))")
        assert len(pages) == 3
        page.goto((tmp_path / pages[1]).as_uri())  # one run: its verdict, checks, timeline, graphs
        assert "FINDING" in page.locator("#verdict").inner_text()
        assert page.locator("svg#timeline-svg").is_visible() and page.locator("svg.graph").count() == 1
    assert errors == []


def test_the_race_finder_from_the_command_line():
    out = runner.invoke(app, ["drill", "duplicate-partial-race", "--seed", "2", "--schedules", "3", "--json"])
    data = json.loads(out.output)
    outcomes = data["races"][0]["outcomes"]
    assert len(outcomes) >= 2 and all(o["reproduce"].startswith("shadowsim drill duplicate-partial-race") for o in outcomes)


@pytest.mark.parametrize("args, message", [
    (["drill"], "give a drill name or --all"),
    (["drill", "nonesuch"], "known drills"),
    (["drill", "holiday", "--day", "19-01-2026"], "is not a date"),
    (["drill", "holiday", "--variants", "nonesuch"], "no drill runs"),
])
def test_bad_input_exits_2(args, message):
    out = runner.invoke(app, args)
    assert out.exit_code == 2 and message in out.output and "Traceback" not in out.output
