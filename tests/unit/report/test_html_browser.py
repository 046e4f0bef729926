"""The HTML report in a real browser (Debian's chromium, driven by playwright): no console
error, no page error, no request leaving the page, the verdict visible, the timeline and
the graphs drawn. Leaves a full-page screenshot in reports/screenshots/shadow-report.png.

Skipped when /usr/bin/chromium or playwright is missing, unless SHADOWSIM_REQUIRE_BROWSER=1
(CI), where a missing browser is a failure."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from sim.report import write_html

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = ROOT / "reports" / "screenshots" / "shadow-report.png"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _browser_or_skip():
    required = os.environ.get("SHADOWSIM_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = []
    if sync_playwright is None:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (install Debian's chromium package: apt-get install chromium)")
    if missing:
        message = "the browser test needs " + " and ".join(missing)
        if required:
            pytest.fail(f"{message}; SHADOWSIM_REQUIRE_BROWSER=1 makes it required")
        pytest.skip(message)
    return sync_playwright


@contextmanager
def chromium_page(errors: list, requests: list | None = None):
    """A page in Debian's chromium that refuses every request but file:// and collects console
    errors and page errors into ``errors`` (and every request URL into ``requests``)."""
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            # anything but a file would leave the machine: refuse it, and remember it
            context.route(lambda url: not url.startswith("file://"), lambda route: route.abort())
            page = context.new_page()
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            if requests is not None:
                page.on("request", lambda req: requests.append(req.url))
            yield page
        finally:
            browser.close()


def test_the_report_in_chromium(report, tmp_path):
    page_path = write_html(report, tmp_path / "shadow" / "report.html")
    errors, requests = [], []
    with chromium_page(errors, requests) as page:
        page.goto(page_path.as_uri(), wait_until="load")

        verdict = page.locator("#verdict")
        assert verdict.is_visible()
        assert "DIVERGE" in verdict.inner_text() and "stepfunctions diverges from legacy" in verdict.inner_text()
        assert page.locator("svg#timeline-svg").is_visible()
        assert page.locator("svg#timeline-svg rect.t-ok").count() > 20
        assert page.locator("svg.graph").count() == 2
        assert page.locator("svg.graph g.node").count() == 17
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        # "all N observables" opens without script
        unjudged = page.locator("#cmp-0 details.unjudged")
        assert "3 differences these rules do not judge" in unjudged.locator("summary").inner_text()
        everything = page.locator("#cmp-0 details:not(.unjudged)")
        assert not everything.locator("table").is_visible()
        everything.locator("summary").click()
        assert everything.locator("table").is_visible()
        assert everything.locator("tbody tr").count() == 25
    assert errors == []
    assert requests and all(url.startswith("file://") for url in requests), requests
    assert SCREENSHOT.stat().st_size > 10_000


def test_a_missing_browser_skips_unless_required(monkeypatch, tmp_path):
    import tests.unit.report.test_html_browser as me
    monkeypatch.setattr(me, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("SHADOWSIM_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install Debian's chromium package"):
        me._browser_or_skip()
    monkeypatch.setenv("SHADOWSIM_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="install Debian's chromium package.*required"):
        me._browser_or_skip()
