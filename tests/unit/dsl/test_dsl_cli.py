"""``shadowsim dsl check|eval|universe|coverage`` through Typer's runner."""

from __future__ import annotations

import json
import re
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


def test_coverage_counts_nyse_sessions_not_weekdays():
    # 2024-05-20..31 has ten weekdays; Memorial Day (05-27) is not a session.
    files = [str(RSI_SWITCH), str(FIXTURE_STRATEGIES / "risk_parity.clj")]
    result = invoke("coverage", *files, "--start", "2024-05-20", "--end", "2024-05-31", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [f["evaluations"] for f in report["files"]] == [9, 9]
    assert report["branches_taken"] == sum(
        f["then_only"] + f["else_only"] + 2 * f["both"] for f in report["files"])
    assert report["branch_coverage"] == report["branches_taken"] / (2 * report["ifs"])
    assert report["infeasible"] == 0 and report["feasible_coverage"] == report["branch_coverage"]


def test_coverage_prints_per_file_and_overall_branch_coverage():
    # Good Friday (2024-03-29) falls in this range: nine sessions.
    files = [str(RSI_SWITCH), str(FIXTURE_STRATEGIES / "risk_parity.clj")]
    result = invoke("coverage", *files, "--start", "2024-03-25", "--end", "2024-04-05")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "9 NYSE sessions 2024-03-25..2024-04-05"
    per_file = [line for line in lines[1:-1] if not line.startswith(" " * 8)]
    assert len(per_file) == 2
    for line, path in zip(per_file, files, strict=True):
        assert re.match(rf"^\s*\d+\.\d%  {re.escape(path)}: \d+ ifs, both \d+, then-only \d+", line), line
    overall = re.match(r"^\s*(\d+\.\d)%  overall \((\d+)/(\d+) branches; (\d+\.\d)% of the (\d+) feasible\)$",
                       lines[-1])
    assert overall, lines[-1]
    taken, total = int(overall[2]), int(overall[3])
    assert total == 2 * (4 + 3) and float(overall[1]) == round(100 * taken / total, 1)


def test_coverage_untaken_lists_each_missing_branch_with_what_its_condition_saw():
    result = invoke("coverage", str(RSI_SWITCH), "--start", "2024-05-20", "--end", "2024-05-31", "--untaken")
    assert result.exit_code == 0, result.output
    details = [line.strip() for line in result.stdout.splitlines() if line.startswith(" " * 8)]
    headers = [line for line in details if " missing " in line]
    assert headers and all(re.match(r"^\d+:\d+ missing (then|else|then\+else) \(", h) for h in headers)
    assert any('(rsi "SPY" {:window 10}) in [' in h for h in headers)  # the values seen
    reasons = [line for line in details if line.startswith(("then:", "else:"))]
    assert len(reasons) >= len(headers)
    assert all(("closest" in r) or ("never crossed" in r) or ("infeasible" in r) for r in reasons)


def test_coverage_rejects_an_empty_or_reversed_range():
    result = invoke("coverage", str(RSI_SWITCH), "--start", "2024-06-01", "--end", "2024-06-02")
    assert result.exit_code == 1 and "error: no NYSE session from 2024-06-01 to 2024-06-02" in result.stderr
    result = invoke("coverage", str(RSI_SWITCH), "--start", "2024-06-10", "--end", "2024-06-03")
    assert result.exit_code == 1 and "is after --end" in result.stderr
    assert "Traceback" not in result.output


def test_coverage_untaken_in_json():
    result = invoke("coverage", str(RSI_SWITCH), "--start", "2024-05-20", "--end", "2024-05-31",
                    "--untaken", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (rows,) = report["untaken"].values()
    first = rows[0]
    assert {"line", "column", "condition", "missing", "sides", "closest_day", "infeasible"} <= set(first)
    assert first["sides"][0][0] == '(rsi "SPY" {:window 10})' and first["sides"][0][1] <= first["sides"][0][2]
