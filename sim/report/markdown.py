"""The shadow report as a short Markdown PR comment: the verdict, the summary, the worst
differences (at most ten, divergences first), the tolerances, and one line per variant."""

from __future__ import annotations

from sim.report import common as c

MAX_ROWS = 10


def _cell(value: str) -> str:
    """A table cell: pipes escaped, line breaks flattened (a cell is one line)."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _code(value: str) -> str:
    value = _cell(value)
    return f"`{value}`" if "`" not in value else value


def _rows(report: dict) -> tuple[list[tuple[dict, dict]], int]:
    """(comparison, row) pairs, worst first over every comparison, and how many were left out."""
    pairs = [(comp, row) for comp in report.get("comparisons") or [] for row in c.not_equal(comp.get("rows") or [])]
    pairs.sort(key=lambda pair: c.severity(pair[1].get("status")))  # stable: the producer's order within a status
    return pairs[:MAX_ROWS], max(0, len(pairs) - MAX_ROWS)


def _table(report: dict) -> list[str]:
    pairs, left = _rows(report)
    if not pairs:
        return ["Every compared observable is equal."] if report.get("comparisons") else []
    several = len(report.get("comparisons") or []) > 1
    head = ["observable", "baseline", "candidate", "status", "tolerance", "detail"]
    head = ["comparison"] + head if several else head
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for comp, row in pairs:
        cells = [f"{comp.get('baseline')} → {comp.get('candidate')}"] if several else []
        cells += [_code(row.get("observable", "")), _cell(c.text(row.get("baseline"))),
                  _cell(c.text(row.get("candidate"))),
                  f"**{row.get('status')}**" if row.get("status") == "diverge" else _cell(row.get("status", "")),
                  _cell(c.rule_text(row.get("rule"))), _cell(row.get("detail") or "")]
        lines.append("| " + " | ".join(cells) + " |")
    if left:
        lines.append(f"\n…and {left} more differing observable{'s' if left != 1 else ''} (see the HTML report).")
    return lines


def _variant_lines(report: dict) -> list[str]:
    runs = report.get("runs") or {}
    lines = []
    for name in c.variants(report):
        run = runs.get(name)
        if run is None:
            lines.append(f"- **{name}**: no result")
            continue
        cost = run.get("cost") or {}
        money = f", cost/day {c.money(cost.get('total_per_day'))}" if cost else ""
        lines.append(f"- **{name}**: {c.text(run.get('outcome'))}{money}")
    return lines


def render_markdown(report: dict) -> str:
    verdict = str(report.get("verdict") or "error").upper()
    out = [f"### {report.get('title') or 'Shadow comparison'}", "",
           f"**{verdict}**: {_cell(report.get('summary') or '')}"]
    if report.get("error"):
        out += ["", "```", str(report["error"]).replace("```", "'''"), "```"]
    table = _table(report)
    if table:
        out += [""] + table
    tol = report.get("tolerances")
    if tol:
        source = f" (`{tol['source']}`)" if tol.get("source") else ""
        out += ["", f"Tolerances: **{_cell(c.text(tol.get('name')))}**{source}"]
    variants = _variant_lines(report)
    if variants:
        out += [""] + variants
    return "\n".join(out) + "\n"
