"""``shadowsim dsl check|eval|universe|coverage`` through Typer's runner."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from dsl_helpers import FIXTURE_STRATEGIES
from typer.testing import CliRunner

from workflows.dsl import cli
from workflows.dsl.testing import InMemoryBars

runner = CliRunner()
RSI_SWITCH = FIXTURE_STRATEGIES / "rsi_switch.clj"


def invoke(*args: str):
    return runner.invoke(cli.dsl_app, list(args))


def test_check_ok():
    result = invoke("check", *map(str, sorted(FIXTURE_STRATEGIES.glob("*.clj"))))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok  ") == len(list(FIXTURE_STRATEGIES.glob("*.clj")))


def test_check_reports_syntax_errors_with_location_and_exits_1(tmp_path):
    bad = tmp_path / "bad.clj"
    bad.write_text('(defsymphony "x" {}\n  (weight-equal [(asset "A")]\n')
    binary = tmp_path / "binary.clj"
    binary.write_bytes(b"\xff\xfe(")
    result = invoke("check", str(RSI_SWITCH), str(bad), str(tmp_path / "missing.clj"), str(tmp_path),
                    str(binary))
    assert result.exit_code == 1
    assert f"{bad}:2:3: syntax error: unclosed '(' opened at 2:3" in result.stderr
    assert "      ^" in result.stderr
    assert f"error: {tmp_path / 'missing.clj'}: no such file" in result.stderr
    assert f"error: {tmp_path}: Is a directory" in result.stderr
    assert f"error: {binary}: not a UTF-8 text file" in result.stderr
    assert "Traceback" not in result.output


def test_eval_json_prints_exactly_one_object():
    result = invoke("eval", str(RSI_SWITCH), "--as-of", "2024-06-03", "--synthetic", "3",
                    "--allocation", "0.1", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == ["weights", "scaled_weights", "signal_count", "decision_trace"]
    assert sum(Decimal(v) for v in payload["weights"].values()) == 1
    assert sum(Decimal(v) for v in payload["scaled_weights"].values()) == Decimal("0.1")
    assert payload["signal_count"] == len(payload["scaled_weights"])
    assert payload["decision_trace"][0]["kind"] == "if"
    assert payload["decision_trace"][0]["reads"][0]["symbol"] == "SPY"


def test_eval_text_output_and_live_bar_policy():
    result = invoke("eval", str(RSI_SWITCH), "--as-of", "2024-06-03", "--synthetic", "3",
                    "--live-bar-policy", "as-built-22594d65a")
    assert result.exit_code == 0, result.output
    assert "target weights:" in result.stdout and "signal count:" in result.stdout
    assert "if 8:4 (> (rsi \"SPY\" {:window 10}) 79)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.clj", "--as-of", "2024-06-03", "--synthetic", "1"], "missing.clj: no such file"),
        ([str(RSI_SWITCH), "--as-of", "2024-13-01", "--synthetic", "1"], "bad date '2024-13-01'"),
        ([str(RSI_SWITCH), "--as-of", "2024-06-03", "--allocation", "lots", "--synthetic", "1"],
         "bad allocation 'lots'"),
    ],
)
def test_eval_errors_are_one_line(args, message):
    result = invoke("eval", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_eval_unknown_ticker(monkeypatch, tmp_path):
    strategy = tmp_path / "s.clj"
    strategy.write_text('(if (> (rsi "ZZZZ" {:window 5}) 50)\n  (asset "A") (asset "B"))')
    source = InMemoryBars.from_closes({"A": [1.0] * 10})
    monkeypatch.setattr(cli, "open_source", lambda *args: source)
    result = invoke("eval", str(strategy), "--as-of", "2024-07-01")
    assert result.exit_code == 1
    assert result.stderr == f"error: {strategy}:1:8: in (rsi ...): no market data for symbol 'ZZZZ'\n"


def test_eval_syntax_error_and_missing_data_dir(tmp_path):
    strategy = tmp_path / "s.clj"
    strategy.write_text("(asset")
    result = invoke("eval", str(strategy), "--as-of", "2024-07-01", "--synthetic", "1")
    assert result.exit_code == 1 and "syntax error: unclosed '('" in result.stderr
    result = invoke("eval", str(RSI_SWITCH), "--as-of", "2024-07-01", "--data", str(tmp_path / "none"))
    assert result.exit_code == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_universe_and_coverage_commands():
    files = [str(p) for p in sorted(FIXTURE_STRATEGIES.glob("*.clj"))]
    result = invoke("universe", *files)
    assert result.exit_code == 0 and "tradable:" in result.stdout
    result = invoke("coverage", str(RSI_SWITCH), "--start", "2024-05-01", "--end", "2024-05-10",
                    "--synthetic", "2", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ifs"] == 4 and report["files"][0]["evaluations"] == 8
