"""Run one conformance case (shared/conformance/asl format) in a fresh simulation.

The case's account, region, names and ARNs are used as given; the Lambda
functions it names are the corpus's own bodies (``corpus_lambdas``); the queues,
topics, tables, buckets and activities its definition mentions are created in
the emulator; companion state machines are created, and activity workers
started, before the execution. Time is virtual: a case that waits a minute
runs in milliseconds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sim.asl import corpus_lambdas
from sim.asl.conformance import NotRunnable
from sim.errors import SimError

DEFAULT_EPOCH = "2026-01-12T14:00:00+00:00"
UNSUPPORTED_NEEDS: dict[str, str] = {}
_RESOURCE = re.compile(r"\b(queue|topic|table|bucket|activity)-(\d+)\b")


@dataclass
class CaseResult:
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history_types: list[str] = field(default_factory=list)


def run_case(case: dict) -> CaseResult:
    for need in case.get("needs", []):
        if need in UNSUPPORTED_NEEDS:
            raise NotRunnable(f"needs {need}: {UNSUPPORTED_NEEDS[need]}")
    from sim.simulation import Simulation

    ctx = case.get("context") or {}
    stack = _stack(case)
    with Simulation(stack, seed=0, epoch=ctx.get("now") or DEFAULT_EPOCH, tz="UTC",
                    account_id=ctx.get("account", "111111111111"), name="conformance") as s:
        _seed_resources(s, case)
        sfn = s.stepfunctions
        for comp in case.get("companions") or []:
            if comp.get("role") == "state-machine":
                sfn.create(comp["name"], comp["definition"], comp.get("type", "STANDARD"))
        kind = "EXPRESS" if ctx.get("state_machine_type") == "EXPRESS" else "STANDARD"
        sm = sfn.create(ctx.get("state_machine_name", "test-state-machine"), case["definition"], kind,
                        ctx.get("role_arn"))
        ex = sfn.start(sm, json.dumps(case.get("input", {})), ctx.get("execution_name", "test-execution"), "harness")
        for i, comp in enumerate(case.get("companions") or []):
            if comp.get("role") == "activity-worker":
                worker = sfn.create(f"activity-worker-{i}", comp["definition"], "STANDARD")
                sfn.start(worker, json.dumps(comp.get("input", {})), f"worker-{i}", "harness")
        try:
            s.run_until_done(ex.done)
        except SimError:
            pass  # ran out of events: the execution is still RUNNING
        return CaseResult(ex.status, ex.output, ex.error, ex.cause, ex.history.types())


def _stack(case: dict):
    from sim.stack.spec import BucketSpec, FunctionSpec, KeyAttr, QueueSpec, Stack, TableSpec

    functions = [FunctionSpec(name=name, handler=corpus_lambdas.handler_for(name, desc), timeout_s=900,
                              memory_mb=128) for name, desc in (case.get("lambdas") or {}).items()]
    found = _resources(case)
    queues = [QueueSpec(name=n) for n in found["queue"]]
    tables = [TableSpec(name=n, hash_key=KeyAttr(name="id")) for n in found["table"]]
    buckets = sorted(set(found["bucket"]) | {o["bucket"] for o in case.get("s3_objects") or []})
    return Stack(name="conformance", region=(case.get("context") or {}).get("region", "us-east-1"),
                 functions=functions, queues=queues, tables=tables, buckets=[BucketSpec(name=b) for b in buckets])


def _resources(case: dict) -> dict[str, list[str]]:
    text = json.dumps([case.get("definition"), case.get("input"), case.get("companions")])
    found: dict[str, list[str]] = {k: [] for k in ("queue", "topic", "table", "bucket", "activity")}
    for kind, n in _RESOURCE.findall(text):
        name = f"{kind}-{n}"
        if name not in found[kind]:
            found[kind].append(name)
    return found


def _seed_resources(s: Any, case: dict) -> None:
    found = _resources(case)
    if found["topic"]:
        sns = s.emulator.client("sns")
        for name in found["topic"]:
            sns.create_topic(Name=name)
    for name in found["activity"]:
        s.stepfunctions.activities.create(name)
    if case.get("s3_objects"):
        s3 = s.emulator.client("s3")
        for obj in case["s3_objects"]:
            body = obj.get("body", "")
            s3.put_object(Bucket=obj["bucket"], Key=obj["key"],
                          Body=body if isinstance(body, str) else json.dumps(body))
