"""A sweep report (schema shadowsim/sweep-report@1) as one self-contained HTML page.

Generic over what was swept: rows are (case, variant) pairs (``drill`` and ``variant``
in the report), outcomes are whatever strings the producer counted. The charts are
inline SVG (sim/report/plots.py): outcomes per case and variant, the time
distributions per variant, and cost per day. Same report, same bytes.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sim.report import plots

TIME_TITLES = {"signal_at_s": "Signal ready", "trades_done_at_s": "Run complete"}


def _env() -> Environment:
    return Environment(loader=PackageLoader("sim.report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def charts(report: dict) -> dict[str, Markup]:
    agg = report["aggregates"]
    out: dict[str, Markup] = {}
    rows = [r for r in agg["outcomes"] if r["runs"]]
    if rows:
        out["outcomes"] = Markup(plots.stacked_bars([f"{r['drill']} / {r['variant']}" for r in rows],
                                                    [r["counts"] for r in rows], "Outcomes per drill and variant"))
    scope = agg["series"]["scope"]
    for field, title in TIME_TITLES.items():
        series = agg["series"][field]
        if any(series.values()):
            out[field] = Markup(plots.distributions(series, f"{title}: seconds after the trading run started "
                                                            f"({scope})", "seconds"))
    if agg["cost"]:
        days = list(dict.fromkeys(c["day"] for c in agg["cost"]))
        variants = list(dict.fromkeys(c["variant"] for c in agg["cost"]))
        cost = {(c["day"], c["variant"]): c["cost_per_day_usd"] for c in agg["cost"]}
        out["cost"] = Markup(plots.grouped_bars(days, {v: [cost.get((d, v), 0.0) for d in days] for v in variants},
                                                "AWS cost per day (list prices)", "USD"))
    return out


def render_sweep_html(report: dict) -> str:
    return _env().get_template("sweep.html.j2").render(r=report, a=report["aggregates"], charts=charts(report))


def write_sweep_html(report: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_sweep_html(report), encoding="utf-8")
    return path


__all__ = ["charts", "render_sweep_html", "write_sweep_html"]
