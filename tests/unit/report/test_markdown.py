"""The PR comment: verdict marker, summary, at most ten differing rows (divergences first),
tolerances, one line per variant."""

from __future__ import annotations

from sim.report import render_markdown


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and "| observable | baseline |" not in line]


def test_the_verdict_summary_rows_tolerances_and_variants(report):
    text = render_markdown(report)
    lines = text.splitlines()
    assert lines[0] == "### Shadow comparison, 2026-01-14"
    assert "**DIVERGE**: stepfunctions diverges from legacy on 2 observables (2 unjudged, 1 noise)" in lines
    rows = table_rows(text)
    assert len(rows) == 7
    assert rows[0].startswith("| `allocation.weights.SPY` | 0.2940936859139306135990977830 | "
                              "0.2840936859139306135990977830 | **diverge** | absolute 1e-09 (")
    assert "| `events.PartialSignalGenerated` | 4 | — | unjudged | no rule | only in legacy |" in rows
    assert "Tolerances: **seed** (`workflows/alchemiser/tolerances/seed.yaml`)" in lines
    assert "- **legacy**: TRADED, cost/day $0.00124" in lines
    assert "- **stepfunctions**: TRADED, cost/day $0.00164" in lines
    assert all(ord(ch) < 0x2600 for ch in text)  # no emoji


def test_at_most_ten_rows_divergences_first(report):
    rows = report["comparisons"][0]["rows"]
    extra = [dict(rows[3], observable=f"work.extra.{i}") for i in range(12)]  # unjudged, listed first
    extra.append(dict(rows[0], observable="allocation.weights.QQQ"))  # a divergence listed last
    report["comparisons"][0]["rows"] = extra + rows
    text = render_markdown(report)
    statuses = [row.split(" | ")[3] for row in table_rows(text)]
    assert len(statuses) == 10
    assert statuses[:3] == ["**diverge**"] * 3 and set(statuses[3:]) == {"unjudged"}
    assert "`allocation.weights.QQQ`" in table_rows(text)[0]  # stable: the producer's order within a status
    assert "…and 10 more differing observables (see the HTML report)." in text


def test_cells_cannot_break_the_table(report):
    row = report["comparisons"][0]["rows"][0]
    row["detail"] = "a | b\nc"
    text = render_markdown(report)
    assert "a \\| b c" in table_rows(text)[0]


def test_agreement_and_error(report, error_report):
    for row in report["comparisons"][0]["rows"]:
        row["status"] = "equal"
    report["verdict"], report["summary"] = "agree", "stepfunctions agrees with legacy"
    text = render_markdown(report)
    assert "**AGREE**: stepfunctions agrees with legacy" in text and "Every compared observable is equal." in text
    assert table_rows(text) == []
    text = render_markdown(error_report)
    assert "**ERROR**: the legacy run failed to start" in text
    assert "stack.yaml: Resources.Queue: unknown type <AWS::Nope>" in text and "- **legacy**: no result" in text


def test_several_comparisons_name_theirs(report):
    second = dict(report["comparisons"][0], candidate="stepfunctions-fixed")
    second["rows"] = [dict(r) for r in second["rows"][:1]]
    report["comparisons"].append(second)
    rows = table_rows(render_markdown(report))
    assert len(rows) == 8
    assert rows[0].startswith("| legacy → stepfunctions | `allocation.weights.SPY` |")
    assert rows[1].startswith("| legacy → stepfunctions | `strategies.nuclear.weights.SPY` |")
    assert rows[2].startswith("| legacy → stepfunctions-fixed | `allocation.weights.SPY` |")
