"""The recorder, end to end through alpaca-py against a local fake Alpaca server."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
import typer
from fake_alpaca import FakeAlpaca, alpaca_bars
from marketdata_helpers import make_store
from typer.testing import CliRunner

from workflows.marketdata.cli import record_command
from workflows.marketdata.record import RecordError, check_endpoint, credentials_from_env, record
from workflows.marketdata.store import BarStore

ENV = {"APCA_API_KEY_ID": "test-key", "APCA_API_SECRET_KEY": "test-secret"}
START, END = date(2025, 12, 1), date(2026, 1, 30)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> BarStore:
    return BarStore.open(make_store(tmp_path_factory.mktemp("src"), symbols=("SPY", "QQQ", "UVXY")))


@pytest.fixture
def fake(source: BarStore):
    data = {s: alpaca_bars(source.bars(s)) for s in ("SPY", "QQQ")}
    with FakeAlpaca(data, page_size=7) as server:
        yield server


def _record(fake: FakeAlpaca, out: Path, **kw):
    args = dict(url_override=fake.url, env=ENV, max_retries=0, retry_wait_seconds=0,
                recorded_at=datetime(2026, 2, 1, tzinfo=timezone.utc))
    return record(["SPY", "QQQ"], START, END, str(out), **{**args, **kw})


def test_records_across_pages_into_a_real_store(fake: FakeAlpaca, source: BarStore, tmp_path: Path) -> None:
    result = _record(fake, tmp_path / "rec")
    pages = [r for r in fake.requests if r["path"] == "/v2/stocks/bars"]
    assert len(pages) > 5  # ~80 bars in pages of 7
    first = pages[0]["query"]
    assert first["timeframe"] == "1Day" and first["adjustment"] == "all" and first["feed"] == "iex"
    assert first["symbols"] == "SPY,QQQ" and "page_token" in pages[1]["query"]
    assert [e.symbol for e in result.written] == ["SPY", "QQQ"] and result.empty == []
    store = BarStore.open(tmp_path / "rec")
    entry = store.entry("SPY")
    assert entry.provenance == "real" and entry.recording.adjustment == "all"
    assert entry.recording.feed == "iex" and entry.recording.recorded_at.startswith("2026-02-01")
    expected = source.daily_bars("SPY").loc["2025-12-01":"2026-01-30"]
    pd.testing.assert_frame_equal(store.daily_bars("SPY"), expected)
    assert str(entry.first) == "2025-12-01" and str(entry.last) == "2026-01-30"


def test_recording_merges_into_an_existing_store(fake: FakeAlpaca, tmp_path: Path) -> None:
    out = make_store(tmp_path / "mixed", symbols=("TLT",))
    _record(fake, out)
    store = BarStore.open(out)
    assert {s: store.provenance(s) for s in store.symbols()} == {"QQQ": "real", "SPY": "real", "TLT": "synthetic"}


def test_symbol_without_bars_is_reported_empty(fake: FakeAlpaca, tmp_path: Path) -> None:
    result = record(["SPY", "NODATA"], START, END, str(tmp_path / "r"), url_override=fake.url, env=ENV)
    assert result.empty == ["NODATA"] and [e.symbol for e in result.written] == ["SPY"]


@pytest.mark.parametrize(
    ("status", "pattern"),
    [(429, r"rate limit \(HTTP 429\).*re-run"), (500, r"server error \(HTTP 500\)")],
)
def test_http_errors_are_clear(fake: FakeAlpaca, tmp_path: Path, status: int, pattern: str) -> None:
    fake.fail_next = [status]
    with pytest.raises(RecordError, match=pattern) as info:
        _record(fake, tmp_path / "r")
    assert "test-secret" not in str(info.value)
    assert not (tmp_path / "r" / "MANIFEST.json").exists()


def test_a_429_is_retried_when_retries_are_allowed(fake: FakeAlpaca, tmp_path: Path) -> None:
    fake.fail_next = [429]
    result = _record(fake, tmp_path / "r", max_retries=2)  # retry wait 0: no sleeping
    assert len(result.written) == 2


def test_wrong_credentials_are_a_clear_401(fake: FakeAlpaca, tmp_path: Path) -> None:
    env = {"ALPACA__KEY": "test-key", "ALPACA__SECRET": "wrong-secret"}
    with pytest.raises(RecordError, match=r"rejected the credentials \(HTTP 401\)") as info:
        _record(fake, tmp_path / "r", env=env)
    assert "wrong-secret" not in str(info.value)


def test_missing_credentials_are_a_clear_error() -> None:
    with pytest.raises(RecordError, match="no Alpaca credentials: set APCA_API_KEY_ID"):
        credentials_from_env({"APCA_API_KEY_ID": "only-half"})
    assert credentials_from_env({"ALPACA__KEY": "k", "ALPACA__SECRET": "s"}).key_id == "k"
    assert repr(credentials_from_env({"ALPACA__KEY": "kk", "ALPACA__SECRET": "top-secret"})) == "Credentials()"


@pytest.mark.parametrize("url", ["https://data.alpaca.markets", "http://10.0.0.5:8080", "http://example.com"])
def test_non_loopback_override_is_refused_without_live(url: str) -> None:
    with pytest.raises(RecordError, match="not a loopback address.*--live"):
        check_endpoint(url, live=False)
    check_endpoint(url, live=True)  # allowed when asked for explicitly


def test_no_override_means_live_and_needs_the_flag() -> None:
    with pytest.raises(RecordError, match="pass --live"):
        check_endpoint(None, live=False)
    for url in ("http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "http://127.9.9.9"):
        check_endpoint(url, live=False)


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("record")(record_command)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps "record" a named subcommand
        pass

    return app


def test_cli_records_and_reports(fake: FakeAlpaca, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "cli"
    args = ["record", "--symbols", "SPY,qqq", "--start", "2025-12-01", "--end", "2026-01-30",
            "--out", str(out), "--url-override", fake.url]
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 0, result.output
    assert "SPY:" in result.output and "QQQ:" in result.output
    assert "test-secret" not in result.output
    assert BarStore.open(out).symbols() == ["QQQ", "SPY"]


def test_cli_without_credentials_fails_with_one_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA__KEY", "ALPACA__SECRET"):
        monkeypatch.delenv(name, raising=False)
    args = ["record", "--symbols", "SPY", "--start", "2025-12-01", "--end", "2026-01-30",
            "--out", str(tmp_path / "x"), "--url-override", "http://127.0.0.1:9"]
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 1
    assert "error: no Alpaca credentials" in result.output


def test_cli_refuses_a_live_endpoint_without_the_flag(tmp_path: Path) -> None:
    args = ["record", "--symbols", "SPY", "--start", "2025-12-01", "--end", "2026-01-30",
            "--out", str(tmp_path / "x"), "--url-override", "https://data.alpaca.markets"]
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 1 and "not a loopback address" in result.output
