"""The HTML report's view: the report dict turned into rows of text and SVG geometry, so
the template only lays out what is here (and escapes it: autoescape is on).

Every piece may be missing (a legacy run has no executions, a run that errored has no
runs at all): each builder returns an empty list or None, and the template leaves the
section out or says there is nothing.
"""

from __future__ import annotations

from typing import Any

from sim.report import common as c
from sim.report.graph import layout
from sim.report.timeline import Axis

# Timeline span statuses grouped into the four colours of the legend.
SPAN_CLASS = {
    "succeeded": "ok", "deleted": "ok", "delivered": "ok",
    "put": "info", "fired": "info", "received": "info", "sent": "info",
    "running": "warn", "in-flight": "warn", "throttled": "warn", "unmatched": "other",
    "failed": "bad", "timeout": "bad", "killed": "bad", "timed_out": "bad", "aborted": "bad",
    "dead-lettered": "bad", "expired": "bad",
}
TIMELINE_W, LABEL_W, LANE_H, HEAD_H, AXIS_H = 1160.0, 292.0, 18.0, 24.0, 34.0


def build(report: dict) -> dict[str, Any]:
    names = c.variants(report)
    runs = report.get("runs") or {}
    return {
        "title": report.get("title") or "Shadow comparison",
        "meta": _meta(report),
        "verdict": _verdict(report),
        "notes": [str(n) for n in report.get("notes") or []],
        "inputs": [(str(k), c.text(v)) for k, v in (report.get("inputs") or {}).items()],
        "variants": [{"name": n, "baseline": n == report.get("baseline"),
                      "outcome": c.text(runs[n].get("outcome")) if n in runs else "no result"} for n in names],
        "has_runs": bool(runs),
        "headline": _headline(report, names),
        "comparisons": [_comparison(report, comp, i) for i, comp in enumerate(report.get("comparisons") or [])],
        "tolerances": _tolerances(report),
        "noise": _noise(report),
        "timeline": _timeline(report, names),
        "executions": _executions(report, names),
        "cost": _cost(report, names),
        "artifacts": _artifacts(report, names),
        "statuses": list(c.STATUSES),
    }


def _meta(report: dict) -> list[tuple[str, str]]:
    seeds = report.get("noise_seeds") or []
    return [("day", c.text(report.get("day"))), ("seed", c.text(report.get("seed"))),
            ("noise seeds", ", ".join(str(s) for s in seeds) if seeds else "none"),
            ("schema", c.text(report.get("schema") or c.SCHEMA))]


def _verdict(report: dict) -> dict:
    verdict = str(report.get("verdict") or "error").lower()
    return {"word": verdict.upper(), "cls": verdict if verdict in c.VERDICTS else "error",
            "summary": str(report.get("summary") or ""), "exit_code": report.get("exit_code"),
            "error": report.get("error")}


def _headline(report: dict, names: list[str]) -> list[dict]:
    runs = report.get("runs") or {}
    rows = []
    for key in c.headline_keys(report):
        values = [c.text(((runs.get(n) or {}).get("headline") or {}).get(key)) for n in names]
        rows.append({"key": key, "values": values, "same": len(set(values)) == 1})
    return rows


# -- the comparisons -------------------------------------------------------------------------------
def _row(row: dict) -> dict:
    return {"observable": str(row.get("observable", "")), "baseline": c.text(row.get("baseline")),
            "candidate": c.text(row.get("candidate")), "status": str(row.get("status", "")),
            "tolerance": c.rule_text(row.get("rule")), "detail": str(row.get("detail") or ""),
            "absent": [row.get("baseline") is None, row.get("candidate") is None]}


def _comparison(report: dict, comp: dict, index: int) -> dict:
    rows = comp.get("rows") or []
    counts = comp.get("counts") or {}
    return {"id": f"cmp-{index}", "baseline": comp.get("baseline"), "candidate": comp.get("candidate"),
            "rules": comp.get("rules"), "verdict": str(comp.get("verdict") or ""),
            "counts": [(s, counts.get(s, 0)) for s in c.STATUSES] + sorted(
                (k, v) for k, v in counts.items() if k not in c.STATUSES),
            # the rules' verdicts up front; what no rule judges is folded away, so it cannot bury them
            "flagged": [_row(r) for r in c.not_equal(rows) if r.get("status") not in ("unjudged", "ignored")],
            "unjudged": [_row(r) for r in c.not_equal(rows) if r.get("status") in ("unjudged", "ignored")],
            "all": [_row(r) for r in rows],
            "groups": [{"title": g.get("title") or g.get("prefix"), "prefix": g.get("prefix", ""),
                        "rows": c.rollup(rows, g.get("prefix", ""))} for g in report.get("groups") or []]}


def _tolerances(report: dict) -> dict | None:
    tol = report.get("tolerances")
    if not tol:
        return None
    uses = c.rule_uses(report)
    rules = [{"match": c.text(r.get("match")), "kind": c.text(r.get("kind")),
              "value": "" if r.get("value") is None else c.number(r.get("value")),
              "why": str(r.get("why") or ""), "uses": uses.get(c.rule_key(r), 0)} for r in tol.get("rules") or []]
    return {"name": c.text(tol.get("name")), "source": tol.get("source"),
            "description": str(tol.get("description") or ""), "rules": rules}


def _noise(report: dict) -> list[dict]:
    out = []
    for variant, body in sorted((report.get("noise") or {}).items()):
        body = body or {}
        out.append({"variant": variant, "seeds": ", ".join(str(s) for s in body.get("seeds") or []),
                    "paths": sorted((str(p), c.text(t)) for p, t in (body.get("paths") or {}).items())})
    return out


# -- the timeline ----------------------------------------------------------------------------------
def _timeline(report: dict, names: list[str]) -> dict | None:
    """Every variant's lanes on one clock (the baseline's epoch), idle stretches folded."""
    runs = report.get("runs") or {}
    shown = [n for n in names if (runs.get(n) or {}).get("timeline")]
    if not shown:
        return None
    ref = c.Clock(runs[shown[0]].get("epoch"), runs[shown[0]].get("tz"))
    offsets = {n: c.Clock(runs[n].get("epoch"), runs[n].get("tz")).offset_from(ref) for n in shown}
    intervals = [(s["start"] + offsets[n], s["end"] + offsets[n]) for n in shown for s in runs[n]["timeline"]]
    axis = Axis(intervals, LABEL_W, TIMELINE_W - 12)
    groups, y = [], AXIS_H
    for n in shown:
        lanes = _lanes(runs[n]["timeline"])
        group = {"variant": n, "y": y, "lanes": []}
        y += HEAD_H
        for i, (lane, items) in enumerate(lanes):
            group["lanes"].append({"name": lane, "label": _clip(lane, 44), "y": y, "alt": i % 2 == 1,
                                   "shapes": [_shape(s, offsets[n], axis, y, lane) for s in items]})
            y += LANE_H
        groups.append(group)
        y += 8
    return {"width": TIMELINE_W, "height": y + 4, "plot_x": LABEL_W, "groups": groups,
            "ticks": _ticks(axis, ref), "folds": _folds(axis), "zone": runs[shown[0]].get("tz") or "",
            "bottom": y}


def _lanes(spans: list[dict]) -> list[tuple[str, list[dict]]]:
    lanes: dict[str, list[dict]] = {}
    for s in spans:
        lanes.setdefault(s["lane"], []).append(s)
    return sorted(lanes.items(), key=lambda item: (min(s["start"] for s in item[1]), item[0]))


def _shape(span: dict, offset: float, axis: Axis, y: float, lane: str) -> dict:
    x0, x1 = axis.x(span["start"] + offset), axis.x(span["end"] + offset)
    instant = span["end"] == span["start"]
    return {"instant": instant, "x": x0, "w": round(max(x1 - x0, 2.5), 2), "y": y + 4, "h": LANE_H - 8,
            "cx": x0, "cy": y + LANE_H / 2, "cls": SPAN_CLASS.get(span.get("status", ""), "other"),
            "title": f"{lane} · {span.get('title') or span.get('label', '')}"}


def _ticks(axis: Axis, clock: c.Clock) -> list[dict]:
    out, last = [], None
    for t in axis.ticks():
        x = axis.x(t)
        if last is None or x - last >= 70:
            out.append({"x": x, "label": clock.hms(t)})
            last = x
    return out


def _folds(axis: Axis) -> list[dict]:
    return [{"x": a.x1, "w": round(b.x0 - a.x1, 2), "label": c.duration(b.t0 - a.t1)} for a, b in axis.gaps]


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# -- executions --------------------------------------------------------------------------------------
def _executions(report: dict, names: list[str]) -> list[dict]:
    runs = report.get("runs") or {}
    out = []
    for n in names:
        run = runs.get(n) or {}
        clock = c.Clock(run.get("epoch"), run.get("tz"))
        for ex in run.get("executions") or []:
            graph = ex.get("graph")
            out.append({"id": f"g{len(out)}", "variant": n, "name": c.text(ex.get("name")),
                        "machine": c.text(ex.get("machine")), "status": c.text(ex.get("status")),
                        "error": ex.get("error"), "svg": _graph_svg(graph, clock) if graph else None})
    return out


def _graph_svg(graph: dict, clock: c.Clock) -> dict:
    pos = layout(graph)
    states = {s["name"]: s for s in graph.get("states") or []}
    for node in pos["nodes"]:
        s = states[node["name"]]
        sub = s.get("type", "")
        if s.get("items") is not None:
            sub += f" · {s['items']} item" + ("" if s["items"] == 1 else "s")
        if s.get("entered", 0) > 1:
            sub += f" · entered {s['entered']}×"
        node["sub"] = sub
        node["cx"], node["ty"] = round(node["x"] + node["w"] / 2, 1), node["y"] + 17
        when = ""
        if s.get("start") is not None:
            when = f", {clock.hms(s['start'])}" + (f" → {clock.hms(s['end'])}" if s.get("end") is not None else "")
        node["title"] = f"{node['name']} ({s.get('type')}): {s.get('status')}, entered {s.get('entered', 0)}×{when}"
    return pos


# -- cost and artifacts --------------------------------------------------------------------------------
def _cost(report: dict, names: list[str]) -> dict | None:
    runs = report.get("runs") or {}
    costs = {n: (runs.get(n) or {}).get("cost") for n in names}
    shown = [n for n in names if costs[n]]
    if not shown:
        return None
    keys: list[tuple] = []
    index: dict[str, dict[tuple, dict]] = {}
    for n in shown:
        index[n] = {}
        for item in costs[n].get("items") or []:
            key = (item.get("service"), item.get("item"), item.get("unit"))
            index[n][key] = item
            if key not in keys:
                keys.append(key)
    rows = []
    for key in keys:
        prices = sorted({c.plain(index[n][key].get("unit_price")) for n in shown if key in index[n]})
        rows.append({"service": c.text(key[0]), "item": c.text(key[1]), "unit": c.text(key[2]),
                     "unit_price": " / ".join(f"${p}" for p in prices),
                     "per": [(c.quantity(index[n][key].get("quantity")), c.money(index[n][key].get("cost")))
                             if key in index[n] else (c.ABSENT, c.ABSENT) for n in shown]})
    return {"variants": shown, "rows": rows,
            "per_day": [c.money(costs[n].get("total_per_day")) for n in shown],
            "per_month": [c.money(costs[n].get("total_per_month")) for n in shown],
            "days": [c.text(costs[n].get("days_per_month")) for n in shown],
            "prices": _prices([costs[n].get("prices") or {} for n in shown], shown)}


def _prices(prices: list[dict], names: list[str]) -> list[str]:
    """One line when every variant was priced from the same list, else one per variant."""
    lines = [", ".join(f"{k} {c.text(p.get(k))}" for k in ("region", "date", "source_file") if p.get(k) is not None)
             for p in prices]
    if len(set(lines)) <= 1:
        return [f"Prices: {lines[0]}"] if lines and lines[0] else []
    return [f"{n} prices: {line}" for n, line in zip(names, lines) if line]


def _artifacts(report: dict, names: list[str]) -> list[dict]:
    runs = report.get("runs") or {}
    out = []
    for n in names:
        links = sorted(((runs.get(n) or {}).get("artifacts") or {}).items())
        if links:
            out.append({"variant": n, "links": [(str(k), str(v)) for k, v in links]})
    return out
