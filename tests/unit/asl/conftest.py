"""Helpers for the engine's own tests: a stack with one state machine, started and read
through boto3 ``stepfunctions`` served by the simulation, with history timestamps as
virtual seconds from the run's epoch."""

from __future__ import annotations

import json
from typing import Any

from tests.unit.sim.conftest import fn, make_stack  # noqa: F401  (re-exported for the test modules)

REGION = "us-east-1"
US = 2e-6  # history timestamps are datetimes: they keep microseconds, so compare to +-2 us


def sm_stack(definition: dict, *, kind: str = "STANDARD", name: str = "sm", machines: list | None = None,
             **parts) -> Any:
    """A stack holding state machine ``name`` (plus ``machines``, more StateMachineSpec dicts)."""
    specs = [{"name": name, "definition": definition, "type": kind}, *(machines or [])]
    return make_stack(state_machines=specs, **parts)


def sm_arn(sim, name: str = "sm") -> str:
    return f"arn:aws:states:{REGION}:{sim.emulator.account_id}:stateMachine:{name}"


def lambda_arn(name: str) -> str:
    """A function ARN for a definition (the account is ${AccountId}, substituted by the stack)."""
    return f"arn:aws:lambda:{REGION}:${{AccountId}}:function:{name}"


def start(sim, value: Any = None, *, name: str | None = None, machine: str = "sm") -> str:
    kw = {"name": name} if name else {}
    out = sim.client("stepfunctions").start_execution(stateMachineArn=sm_arn(sim, machine),
                                                      input=json.dumps({} if value is None else value), **kw)
    return out["executionArn"]


def describe(sim, arn: str) -> dict:
    return sim.client("stepfunctions").describe_execution(executionArn=arn)


def run(sim, value: Any = None, **kw) -> tuple[str, dict]:
    """Start one execution, run the simulation until it is quiet; (arn, DescribeExecution)."""
    arn = start(sim, value, **kw)
    sim.run()
    return arn, describe(sim, arn)


def output(desc: dict) -> Any:
    return json.loads(desc["output"])


def history(sim, arn: str, **kw) -> list[dict]:
    """Every event of the execution (all pages), each with ``t``: virtual seconds from the epoch."""
    client = sim.client("stepfunctions")
    events, token = [], None
    while True:
        page = client.get_execution_history(executionArn=arn, **kw, **({"nextToken": token} if token else {}))
        events.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            break
    for e in events:
        e["t"] = (e["timestamp"] - sim.clock.epoch).total_seconds()
    return events


def times(events: list[dict], event_type: str) -> list[float]:
    return [e["t"] for e in events if e["type"] == event_type]


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def execution(sim, arn: str):
    """The model's Execution behind an ARN (for facts boto3 does not show, e.g. Express status)."""
    return sim.stepfunctions.execution(arn)
