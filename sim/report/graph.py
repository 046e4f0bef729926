"""A Step Functions execution as a graph: the definition's top-level states, coloured by
what the execution's history says happened to each, and a layered layout for an SVG.

    graph = execution_graph(ex.machine.raw, ex.history.aws(), epoch=sim_epoch)
    positions = layout(graph)

Which events belong to a top-level state. A Map iteration or a Parallel branch writes
its states' events into the same history, on a thread of its own: its first event's
``previousEventId`` is the Map's ``MapStateStarted`` (via ``MapIterationStarted``) or the
Parallel's ``ParallelStateStarted``, and every later event of that thread points back
along it. So an event's nesting depth is its previous event's depth, plus one when it
is a ``MapIterationStarted`` or a ``*StateEntered`` whose previous event is a
``ParallelStateStarted``; only depth-0 events are read against the top-level states,
and an inner state that shares a top-level state's name is never counted. ``Execution*``
events are always depth 0 (their previousEventId is the last event of any thread).
Without previousEventId (an export that dropped it) every event is depth 0 and states
are matched by name alone.

A state's status, over its visits: "failed" when a visit never exited and the execution
failed, timed out or was aborted there; "running" when a visit never exited and the
execution has not ended; "caught" when a visit saw a failure (``TaskFailed``,
``LambdaFunctionFailed``, ``MapStateFailed``...) as its last outcome and still exited,
which the engine does only through a Catch; "succeeded" otherwise; "not_entered" when
never entered. The worst visit wins (failed, running, caught, succeeded).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sim.report.common import parse_instant

EXECUTION_FAILED = ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")
EXECUTION_ENDED = EXECUTION_FAILED + ("ExecutionSucceeded",)
VISIT_ORDER = ("failed", "running", "caught", "succeeded")
EDGE_KINDS = ("next", "choice", "default", "catch")


# -- the history, per top-level state ----------------------------------------------------------
def _depths(events: list[dict]) -> dict[int, int]:
    """Nesting depth per event id (see the module's docstring)."""
    by_id: dict[Any, dict] = {}
    depth: dict[int, int] = {}
    for i, e in enumerate(events):
        key = e.get("id", -1 - i)
        prev = by_id.get(e.get("previousEventId"))
        d = 0
        if prev is not None and not str(e.get("type", "")).startswith("Execution"):
            d = depth[id(prev)]
            if e["type"] == "MapIterationStarted" or (
                    prev.get("type") == "ParallelStateStarted" and e["type"].endswith("StateEntered")):
                d += 1
        by_id[key] = e
        depth[id(e)] = d
    return depth


def _name(event: dict) -> str | None:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict) and "name" in value:
            return value["name"]
    return None


def _seconds(stamp: Any, base: datetime | None) -> float | None:
    """Virtual seconds: numbers as they are; datetimes / ISO text since ``base``."""
    if stamp is None:
        return None
    if isinstance(stamp, (int, float)):
        return round(float(stamp), 6)
    moment = parse_instant(stamp)
    return round((moment - base).total_seconds(), 6) if base is not None and moment is not None else None


class _Visit:
    __slots__ = ("name", "start", "end", "exited", "failure", "map_started", "items")

    def __init__(self, name: str, start: float | None) -> None:
        self.name, self.start, self.end = name, start, None
        self.exited, self.failure = False, False
        self.map_started: list[int] = []
        self.items: int | None = None


def _visits(states: dict, events: list[dict], base: datetime | None) -> tuple[list[_Visit], str | None, float | None]:
    """The top-level visits in order, the execution's terminal event type and its time."""
    ordered = sorted(events, key=lambda e: e.get("id", 0)) if all("id" in e for e in events) else list(events)
    depth = _depths(ordered)
    visits: list[_Visit] = []
    current: _Visit | None = None
    terminal, terminal_t = None, None
    for e in ordered:
        kind, t = str(e.get("type", "")), _seconds(e.get("timestamp"), base)
        if kind in EXECUTION_ENDED:
            terminal, terminal_t = kind, t
            continue
        if depth[id(e)] != 0:
            continue
        if kind.endswith("StateEntered"):
            name = _name(e)
            current = _Visit(name, t) if name in states else None
            if current is not None:
                visits.append(current)
        elif current is None:
            continue
        elif kind.endswith("StateExited"):
            current.exited, current.end, current = True, t, None
        elif kind == "MapStateStarted":
            current.map_started.append(e.get("id"))
            length = (e.get("mapStateStartedEventDetails") or {}).get("length")
            if isinstance(length, int):
                current.items = (current.items or 0) + length
        elif kind.endswith(("Failed", "TimedOut", "Aborted")):
            current.failure = True
        elif kind.endswith("Succeeded"):  # a retry that worked: the earlier failure is not the outcome
            current.failure = False
    return visits, terminal, terminal_t


def _visit_status(v: _Visit, terminal: str | None) -> str:
    if v.exited:
        return "caught" if v.failure else "succeeded"
    return "failed" if terminal in EXECUTION_FAILED else "running"


# -- the graph ---------------------------------------------------------------------------------------
def _edges(states: dict) -> list[dict]:
    """Every transition the definition declares, in definition order, without repeats."""
    out: list[dict] = []

    def add(src: str, dst: Any, kind: str) -> None:
        edge = {"from": src, "to": dst, "kind": kind}
        if isinstance(dst, str) and dst in states and edge not in out:
            out.append(edge)

    for name, body in states.items():
        add(name, body.get("Next"), "next")
        for choice in body.get("Choices") or []:
            add(name, choice.get("Next"), "choice")
        add(name, body.get("Default"), "default")
        for catcher in body.get("Catch") or []:
            add(name, catcher.get("Next"), "catch")
    return out


def execution_graph(definition: dict, events: list[dict], *, epoch: Any = None) -> dict:
    """{"start_at", "states": [...], "edges": [...]} for the definition's top-level states.

    Times (``start``/``end``) are virtual seconds: since ``epoch`` (an ISO instant or datetime,
    the simulation's epoch) when the history's timestamps are datetimes or ISO text, else
    since the first event; numeric timestamps (``History.events``) are used as they are.
    Map states also get ``items`` (MapStateStarted's length, summed over visits); edges get
    ``taken`` (the execution went that way at least once)."""
    states = definition.get("States") or {}
    first = next((e.get("timestamp") for e in events if e.get("timestamp") is not None), None)
    base = parse_instant(epoch) if epoch is not None else (
        parse_instant(first) if first is not None and not isinstance(first, (int, float)) else None)
    visits, terminal, terminal_t = _visits(states, events, base)
    nodes = []
    for name, body in states.items():
        mine = [v for v in visits if v.name == name]
        statuses = [_visit_status(v, terminal) for v in mine]
        status = min(statuses, key=VISIT_ORDER.index) if statuses else "not_entered"
        end = None
        if mine and status != "running":
            last = mine[-1]
            end = last.end if last.exited else terminal_t
        node = {"name": name, "type": body.get("Type", "?"), "status": status, "entered": len(mine),
                "start": mine[0].start if mine else None, "end": end}
        if body.get("Type") == "Map":
            node["items"] = sum(v.items or 0 for v in mine) if mine else None
        nodes.append(node)
    edges = _edges(states)
    _mark_taken(edges, visits)
    return {"start_at": definition.get("StartAt"), "states": nodes, "edges": edges}


def _mark_taken(edges: list[dict], visits: list[_Visit]) -> None:
    """A visit followed by another took the edge between them: the Catch edge when the visit
    was caught, any other kind otherwise."""
    taken: set[tuple[str, str, bool]] = set()
    for here, there in zip(visits, visits[1:]):
        taken.add((here.name, there.name, here.exited and here.failure))
    for edge in edges:
        edge["taken"] = (edge["from"], edge["to"], edge["kind"] == "catch") in taken


# -- the layout ---------------------------------------------------------------------------------------
NODE_H, V_GAP, H_GAP, PAD, CHAR_W, DUMMY_W = 42.0, 44.0, 26.0, 18.0, 7.2, 8.0
KIND_RANK = {"next": 0, "default": 1, "choice": 2, "catch": 3}


def _walk(graph: dict) -> tuple[list[str], list[str], set[int]]:
    """Depth-first from StartAt (then from any state not reached, in definition order), edges
    in definition order: the preorder, the postorder, and the indices of back edges (to a
    state still on the path: a loop)."""
    edges = graph["edges"]
    out: dict[str, list[int]] = {s["name"]: [] for s in graph["states"]}
    for i, e in enumerate(edges):
        if e["from"] in out and e["to"] in out:
            out[e["from"]].append(i)
    pre: list[str] = []
    post: list[str] = []
    back: set[int] = set()
    on_path: dict[str, bool] = {}

    def visit(root: str) -> None:
        on_path[root] = True
        pre.append(root)
        stack = [(root, iter(out[root]))]
        while stack:
            node, todo = stack[-1]
            i = next(todo, None)
            if i is None:
                on_path[node] = False
                post.append(node)
                stack.pop()
                continue
            to = edges[i]["to"]
            if on_path.get(to):
                back.add(i)
            elif to not in on_path:
                on_path[to] = True
                pre.append(to)
                stack.append((to, iter(out[to])))

    roots = [graph.get("start_at")] + list(out)
    for root in roots:
        if root in out and root not in on_path:
            visit(root)
    return pre, post, back


def _rank(graph: dict, post: list[str], back: set[int]) -> dict[str, int]:
    """Longest-path layers over the edges that are not loops (reverse postorder is a
    topological order for them), so every forward edge goes down at least one layer."""
    layer = dict.fromkeys(post, 0)
    forward = [e for i, e in enumerate(graph["edges"]) if i not in back and e["from"] in layer and e["to"] in layer]
    for name in reversed(post):
        for e in forward:
            if e["from"] == name:
                layer[e["to"]] = max(layer[e["to"]], layer[name] + 1)
    return layer


def _priority(edge: dict) -> int:
    """Which edge a layer is lined up on: the path taken first, then Next/Default."""
    return 2 * bool(edge.get("taken")) + (edge["kind"] in ("next", "default"))


def layout(graph: dict) -> dict:
    """Positions for an SVG: {"width", "height", "nodes": [{name, type, status, x, y, w, h,
    layer}], "edges": [{from, to, kind, taken, path, label_x, label_y}]}.

    A small Sugiyama layout: longest-path layers from StartAt; an edge that skips layers
    passes through a narrow placeholder on each, so it bends round the states in between;
    each layer is ordered by the mean position of what leads to it, and placed around its
    most important member (on the path taken, or reached by Next/Default), which sits right
    under its predecessor, so the path the execution took draws as a straight line. Loops
    (edges back up) go round the right-hand side."""
    pre, post, back = _walk(graph)
    layer = _rank(graph, post, back)
    by_name = {s["name"]: s for s in graph["states"]}
    items: dict[str, dict] = {n: {"w": max(118.0, CHAR_W * len(n) + 28.0), "layer": layer[n], "preds": [],
                                  "disc": float(pre.index(n))} for n in pre}
    chains: dict[int, list[str]] = {}
    for i, e in enumerate(graph["edges"]):
        if i in back or e["from"] not in items or e["to"] not in items:
            continue
        link, prev, chain = (_priority(e), KIND_RANK.get(e["kind"], 9)), e["from"], []
        for level in range(layer[e["from"]] + 1, layer[e["to"]]):
            dummy = f"~{i}.{level}"
            items[dummy] = {"w": DUMMY_W, "layer": level, "preds": [(prev, *link)],
                            "disc": items[e["from"]]["disc"] + 0.5}
            chain.append(dummy)
            prev = dummy
        items[e["to"]]["preds"].append((prev, *link))
        chains[i] = chain
    centre = _place_all(items)
    nodes = []
    for name in (s["name"] for s in graph["states"]):
        item = items[name]
        nodes.append({"name": name, "type": by_name[name]["type"], "status": by_name[name]["status"],
                      "layer": item["layer"], "x": round(item["x"], 1), "y": _y(item["layer"]),
                      "w": round(item["w"], 1), "h": NODE_H})
    right = max((it["x"] + it["w"] for it in items.values()), default=0.0)
    edges = []
    for i, e in enumerate(graph["edges"]):
        if e["from"] in items and e["to"] in items:
            twin = _twin(e, graph["edges"])
            route = _loop(e, items, twin) if i in back else _forward(e, items, chains[i], centre, twin)
            edges.append(route)
            right = max(right, route.pop("right"))
    levels = max((it["layer"] for it in items.values()), default=-1) + 1
    return {"width": round(right + PAD, 1), "height": round(2 * PAD + levels * NODE_H + max(0, levels - 1) * V_GAP, 1),
            "nodes": nodes, "edges": edges}


def _y(level: int) -> float:
    return round(PAD + level * (NODE_H + V_GAP), 1)


def _place_all(items: dict[str, dict]) -> dict[str, float]:
    """Order and place every layer top-down; sets each item's "x"; returns the centres."""
    centre: dict[str, float] = {}
    rows: dict[int, list[str]] = {}
    for key in items:
        rows.setdefault(items[key]["layer"], []).append(key)
    for level in sorted(rows):
        wanted = {k: _wanted(items[k]["preds"], centre) for k in rows[level]}
        row = sorted(rows[level], key=lambda k: (wanted[k] is None, wanted[k] or 0.0,
                                                 min((r for _p, _q, r in items[k]["preds"]), default=9),
                                                 items[k]["disc"]))
        for k, x in zip(row, _place(row, items, wanted)):
            items[k]["x"] = x
            centre[k] = x + items[k]["w"] / 2
    left = min((it["x"] for it in items.values()), default=0.0)
    for k, it in items.items():  # the leftmost item PAD from the edge
        it["x"] = it["x"] - left + PAD
        centre[k] = it["x"] + it["w"] / 2
    return centre


def _wanted(preds: list[tuple], centre: dict[str, float]) -> float | None:
    """Where an item would like its centre: under its most important predecessors (their
    mean), so a state reached by the path taken lines up with it whatever else leads there."""
    placed = [(prio, centre[p]) for p, prio, _rank in preds if p in centre]
    if not placed:
        return None
    top = max(prio for prio, _x in placed)
    xs = [x for prio, x in placed if prio == top]
    return sum(xs) / len(xs)


def _place(row: list[str], items: dict[str, dict], wanted: dict[str, float | None]) -> list[float]:
    """Left edges for a row: the most important item at its wanted centre, the others as
    close to theirs as the ones between allow."""
    ws = [items[k]["w"] for k in row]
    prio = [max((q for _p, q, _r in items[k]["preds"]), default=-1) for k in row]
    anchor = prio.index(max(prio)) if row else 0
    xs = [0.0] * len(row)
    for i in [anchor] + list(range(anchor - 1, -1, -1)) + list(range(anchor + 1, len(row))):
        want = wanted[row[i]]
        x = (want if want is not None else 0.0) - ws[i] / 2
        if i < anchor:
            limit = xs[i + 1] - H_GAP - ws[i]
            xs[i] = min(limit, x) if want is not None else limit
        elif i > anchor:
            limit = xs[i - 1] + ws[i - 1] + H_GAP
            xs[i] = max(limit, x) if want is not None else limit
        else:
            xs[i] = x
    return xs


def _twin(edge: dict, edges: list[dict]) -> int:
    """Which of the edges between the same two states this is (0, 1...), to draw them apart."""
    same = [e for e in edges if e["from"] == edge["from"] and e["to"] == edge["to"]]
    return same.index(edge)


def _forward(edge: dict, items: dict[str, dict], chain: list[str], centre: dict[str, float], twin: int) -> dict:
    """Down from the source's bottom through each placeholder to the target's top: curves
    between layers, straight lines through a placeholder's layer."""
    shift = 10.0 * twin
    a, b = items[edge["from"]], items[edge["to"]]
    pts = [(centre[edge["from"]] + shift, _y(a["layer"]) + NODE_H)]
    for dummy in chain:
        x = centre[dummy] + shift
        pts += [(x, _y(items[dummy]["layer"])), (x, _y(items[dummy]["layer"]) + NODE_H)]
    pts.append((centre[edge["to"]] + shift, _y(b["layer"]) - 2))
    path = "M {:.1f} {:.1f}".format(*pts[0])
    label = None
    for j in range(1, len(pts)):
        (x0, y0), (x1, y1) = pts[j - 1], pts[j]
        if j % 2 == 0:  # through a placeholder's layer
            path += f" L {x1:.1f} {y1:.1f}"
            continue
        mid = (y1 - y0) / 2
        path += f" C {x0:.1f} {y0 + mid:.1f}, {x1:.1f} {y1 - mid:.1f}, {x1:.1f} {y1:.1f}"
        if label is None:  # the first curve's point at t = 1/2: near the state the edge leaves
            label = ((x0 + x1) / 2, (y0 + y1) / 2)
    right = max(x for x, _y0 in pts)
    return dict(edge, path=path, label_x=round(label[0], 1), label_y=round(label[1], 1), right=right)


def _loop(edge: dict, items: dict[str, dict], twin: int) -> dict:
    """Back up (or to itself): leave and arrive on the right, round everything in between."""
    shift = 10.0 * twin
    a, b = items[edge["from"]], items[edge["to"]]
    low, high = sorted((a["layer"], b["layer"]))
    beside = max(it["x"] + it["w"] for it in items.values() if low <= it["layer"] <= high)
    x1, y1 = a["x"] + a["w"], _y(a["layer"]) + NODE_H / 2 - 6 + shift
    x2, y2 = b["x"] + b["w"] + 2, _y(b["layer"]) + NODE_H / 2 + 6 + shift
    bulge = beside + 34 + shift
    path = f"M {x1:.1f} {y1:.1f} C {bulge:.1f} {y1:.1f}, {bulge:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}"
    return dict(edge, path=path, label_x=round(bulge - 8, 1), label_y=round((y1 + y2) / 2, 1), right=bulge)
