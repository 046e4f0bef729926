"""The run's trace: every invocation, attempt, retry, throttle, timeout,
delivery, API call and fault, stamped with virtual time.

Records are plain dicts with a fixed key order and times rounded to the
microsecond, so the JSONL export of a run is byte-identical for the same
inputs and seed. ``to_chrome`` writes the Trace Event Format that Perfetto and
chrome://tracing open: invocations become spans on a track per function.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterable


def _t(t_s: float) -> float:
    return round(t_s, 6)


class Trace:
    def __init__(self, name: str = "sim") -> None:
        self.name = name
        self.records: list[dict[str, Any]] = []

    def add(self, t_s: float, kind: str, actor: str, **attrs: Any) -> dict[str, Any]:
        rec = {"t": _t(t_s), "kind": kind, "actor": actor}
        rec.update(attrs)
        self.records.append(rec)
        return rec

    # -- reading ----------------------------------------------------------
    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["kind"] in kinds]

    def where(self, kind: str | None = None, actor: str | None = None, **attrs: Any) -> list[dict[str, Any]]:
        out = []
        for r in self.records:
            if kind is not None and r["kind"] != kind:
                continue
            if actor is not None and r["actor"] != actor:
                continue
            if all(r.get(k) == v for k, v in attrs.items()):
                out.append(r)
        return out

    def counts(self) -> Counter:
        return Counter(r["kind"] for r in self.records)

    # -- export -----------------------------------------------------------
    def to_jsonl(self) -> str:
        return "".join(json.dumps(r, sort_keys=False, default=str, separators=(",", ":")) + "\n" for r in self.records)

    def write_jsonl(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_jsonl())
        return path

    def to_chrome(self, pid: int = 1) -> dict[str, Any]:
        return {"traceEvents": list(chrome_events(self.records, self.name, pid)), "displayTimeUnit": "ms"}

    def write_chrome(self, path: Path, pid: int = 1) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_chrome(pid), default=str))
        return path


def chrome_events(records: Iterable[dict[str, Any]], process_name: str, pid: int) -> Iterable[dict[str, Any]]:
    """Spans for invocations (start/end pairs), instants for everything else."""
    tids: dict[str, int] = {}
    open_spans: dict[str, dict[str, Any]] = {}
    yield {"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": process_name}}

    def tid_of(actor: str) -> int:
        if actor not in tids:
            tids[actor] = len(tids) + 1
        return tids[actor]

    for r in records:
        us = int(round(r["t"] * 1e6))
        tid = tid_of(r["actor"])
        args = {k: v for k, v in r.items() if k not in ("t", "kind", "actor")}
        if r["kind"] == "invoke.start":
            open_spans[r["request_id"]] = {"ts": us, "tid": tid, "args": args, "name": r["actor"]}
            continue
        if r["kind"] == "invoke.end" and r.get("request_id") in open_spans:
            span = open_spans.pop(r["request_id"])
            span["args"].update(args)
            yield {"ph": "X", "name": span["name"], "cat": "invocation", "pid": pid, "tid": span["tid"],
                   "ts": span["ts"], "dur": max(us - span["ts"], 1), "args": span["args"]}
            continue
        yield {"ph": "i", "s": "t", "name": r["kind"], "cat": r["kind"].split(".")[0], "pid": pid, "tid": tid,
               "ts": us, "args": args}
    for actor, tid in tids.items():
        yield {"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": actor}}
