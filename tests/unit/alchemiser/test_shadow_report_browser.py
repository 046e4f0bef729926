"""A real shadow report (the quick start's day) in Debian's chromium: it renders with no console
error, shows the verdict, the execution graphs and the timeline of every variant. The full-page
screenshot (reports/screenshots/shadow-demo.png) and its first 1500 px (shadow-demo-top.png, copied to
docs/img/shadow-report.png for the README) are made here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.unit.report.test_html_browser import chromium_page
from workflows.alchemiser.shadow import ShadowOptions, run_shadow
from workflows.alchemiser.shadow_cli import write_reports

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = ROOT / "reports" / "screenshots" / "shadow-demo.png"


def test_a_real_report_in_chromium(tmp_path):
    result = run_shadow(ShadowOptions(day=date(2026, 1, 14),
                                      variants=("legacy", "stepfunctions", "stepfunctions-execution")))
    paths = write_reports(result, tmp_path / "report")
    errors = []
    with chromium_page(errors) as page:
        page.goto(paths["html"].as_uri(), wait_until="load")
        verdict = page.locator("#verdict")
        assert verdict.is_visible() and "DIVERGE" in verdict.inner_text()
        assert "signal.signal_count" in page.content()
        # two state machines for stepfunctions-execution, one for stepfunctions
        assert page.locator("svg.graph").count() == 3
        assert page.get_by_text("ExecuteStrategiesInParallel").count() >= 2
        assert page.locator("svg#timeline-svg").is_visible()
        # the artifacts the report links to exist beside it
        for href in page.locator("a[href$='.jsonl'], a[href$='histories.json']").evaluate_all(
                "els => els.map(e => e.getAttribute('href'))"):
            assert (paths["html"].parent / href).is_file(), href
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 1500})
        page.screenshot(path=str(SCREENSHOT.with_name("shadow-demo-top.png")))  # the README's picture
    assert errors == []
