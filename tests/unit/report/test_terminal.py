"""The terminal view, without colour, at the widths a CI log and a laptop have."""

from __future__ import annotations

from rich.console import Console

from sim.report import print_report


def render(report, width=120, **kw) -> str:
    console = Console(record=True, width=width, color_system=None)
    print_report(report, console, **kw)
    return console.export_text()


def test_verdict_headline_rollup_diff_cost_and_noise(report):
    text = render(report)
    lines = text.splitlines()
    assert any("DIVERGE" in line and "stepfunctions diverges from legacy" in line for line in lines)
    headline = next(line for line in lines if line.startswith("signal ready"))
    assert headline.split() == ["signal", "ready", "15:45:34", "15:45:35"]
    nuclear = next(line for line in lines if line.startswith("nuclear "))
    assert nuclear.split() == ["nuclear", "diverge", "2", "1", "1"]
    spy = next(line for line in lines if line.startswith("allocation.weights.SPY"))
    assert "diverge" in spy and "absolute 1e-09" in spy
    # differences no rule judges are summarised by area under the judged ones
    assert "not judged by these rules (2): events 1, work 1" in text
    cost = next(line for line in lines if line.startswith("stepfunctions ") and "$" in line)
    assert "$0.00164" in cost and "$0.0360" in cost
    assert "Noise in legacy:" in text and "timing.signal_ready_at: differs across seeds" in text
    assert "Tolerances: seed (workflows/alchemiser/tolerances/seed.yaml)" in text


def test_the_diff_table_is_capped(report):
    text = render(report, max_rows=3)  # 4 judged rows (2 diverge, 1 noise, 1 within): 3 shown
    assert "…and 1 more" in text
    table = text.split("Cost")[0].split("…and")[0]
    assert "timing.signal_ready_at" in table and "within" not in table.split("observable")[-1]


def test_width_100_fits(report):
    text = render(report, width=100)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "diverge" in text and "DIVERGE" in text


def test_an_error_report(error_report):
    text = render(error_report, width=100)
    assert "ERROR" in text and "the legacy run failed to start" in text and "unknown type <AWS::Nope>" in text
