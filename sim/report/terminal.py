"""The shadow report in a terminal, with rich: the verdict, the variants side by side, the
roll-ups, the biggest differences, the cost totals and the noise. Colour is decoration
only: every status is also written out, so a console without colour reads the same."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sim.report import common as c

STATUS_STYLE = {"diverge": "bold red", "unjudged": "yellow", "noise": "magenta", "within": "blue",
                "ignored": "dim", "equal": "green"}
VERDICT_STYLE = {"agree": "bold white on green", "diverge": "bold white on red", "error": "bold white on dark_orange3"}


def _table(title: str, *columns: str, right: tuple[int, ...] = ()) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for i, name in enumerate(columns):
        table.add_column(name, justify="right" if i in right else "left", overflow="fold")
    return table


def _status(status: str | None) -> Text:
    return Text(str(status or ""), style=STATUS_STYLE.get(status or "", ""))


def _verdict(report: dict, console: Console) -> None:
    verdict = str(report.get("verdict") or "error")
    line = Text()
    line.append(f" {verdict.upper()} ", style=VERDICT_STYLE.get(verdict, VERDICT_STYLE["error"]))
    line.append(f"  {report.get('summary') or ''}")
    if report.get("exit_code") is not None:
        line.append(f"  (exit {report['exit_code']})", style="dim")
    console.print(line)
    if report.get("error"):
        console.print(Text(str(report["error"]), style="red"))
    for note in report.get("notes") or []:
        console.print(Text(f"  • {note}", style="dim"))


def _headline(report: dict, console: Console) -> None:
    names = c.variants(report)
    runs = report.get("runs") or {}
    if not runs:
        return
    table = _table("Runs", "", *names)
    table.add_row("outcome", *[c.text((runs.get(n) or {}).get("outcome")) for n in names])
    for key in c.headline_keys(report):
        table.add_row(key, *[c.text(((runs.get(n) or {}).get("headline") or {}).get(key)) for n in names])
    console.print(table)


def _groups(report: dict, comp: dict, console: Console) -> None:
    for group in report.get("groups") or []:
        rows = c.rollup(comp.get("rows") or [], group.get("prefix", ""))
        if not rows:
            continue
        table = _table(f"{group.get('title') or group.get('prefix')}", "name", "worst", "observables",
                       "differing", "diverging", right=(2, 3, 4))
        for r in rows:
            table.add_row(r["key"], _status(r["worst"]), str(r["observables"]), str(r["differing"]),
                          str(r["diverging"]))
        console.print(table)


def _diff(comp: dict, console: Console, max_rows: int) -> None:
    rows = c.not_equal(comp.get("rows") or [])  # already biggest differences first
    counts = comp.get("counts") or {}
    title = (f"{comp.get('baseline')} → {comp.get('candidate')} ({comp.get('rules')}): "
             + ", ".join(f"{s} {counts.get(s, 0)}" for s in c.STATUSES))
    if not rows:
        console.print(Text(title + ": every observable equal", style="bold"))
        return
    # The rules' verdicts first (diverge, noise, within); differences no rule judges are
    # summarised by area below the table, so they inform without burying a divergence.
    judged = [r for r in rows if r.get("status") not in ("unjudged", "ignored")]
    unjudged = [r for r in rows if r.get("status") == "unjudged"]
    shown = judged[:max_rows] or unjudged[:max_rows]
    table = _table(title, "observable", str(comp.get("baseline")), str(comp.get("candidate")), "status",
                   "tolerance", "detail")
    # long decimals give way to the path, which is what a reader scans for; the rule's
    # "why" is in the tolerances file (named at the end), the rule itself stays
    for column, share in zip(table.columns[1:], (8, 8, None, 7, 5)):
        column.max_width = max(8, console.width // share) if share else None
    table.columns[3].no_wrap = True
    for row in shown:
        table.add_row(str(row.get("observable")), c.text(row.get("baseline")), c.text(row.get("candidate")),
                      _status(row.get("status")), c.rule_text(row.get("rule"), why=False),
                      str(row.get("detail") or ""))
    console.print(table)
    hidden = (judged if judged else unjudged)[len(shown):]
    if hidden:
        console.print(Text(f"…and {len(hidden)} more", style="dim"))
    if judged and unjudged:
        areas: dict[str, int] = {}
        for r in unjudged:
            area = str(r.get("observable")).split(".")[0]
            areas[area] = areas.get(area, 0) + 1
        console.print(Text(f"not judged by these rules ({len(unjudged)}): "
                           + ", ".join(f"{a} {n}" for a, n in sorted(areas.items())), style="yellow"))


def _cost(report: dict, console: Console) -> None:
    runs = report.get("runs") or {}
    names = [n for n in c.variants(report) if (runs.get(n) or {}).get("cost")]
    if not names:
        return
    table = _table("Cost", "variant", "per day", "per month", "priced", right=(1, 2))
    for n in names:
        cost = runs[n]["cost"]
        prices = cost.get("prices") or {}
        table.add_row(n, c.money(cost.get("total_per_day")), c.money(cost.get("total_per_month")),
                      " ".join(str(prices[k]) for k in ("region", "date") if prices.get(k)))
    console.print(table)


def _noise(report: dict, console: Console) -> None:
    for variant, body in sorted((report.get("noise") or {}).items()):
        paths = sorted(((body or {}).get("paths") or {}).items())
        if paths:
            console.print(Text(f"Noise in {variant}:", style="bold"))
            for path, text in paths:
                console.print(Text(f"  {path}: {text}", style="magenta"))


def print_report(report: dict, console: Console, *, max_rows: int = 15) -> None:
    if report.get("title"):
        console.print(Text(str(report["title"]), style="bold"))
    _verdict(report, console)
    _headline(report, console)
    for comp in report.get("comparisons") or []:
        _groups(report, comp, console)
        _diff(comp, console, max_rows)
    _cost(report, console)
    _noise(report, console)
    tol = report.get("tolerances")
    if tol:
        console.print(Text(f"Tolerances: {tol.get('name')}" + (f" ({tol['source']})" if tol.get("source") else ""),
                           style="dim"))
