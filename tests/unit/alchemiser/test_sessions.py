"""The aggregation session service against the emulator's DynamoDB, called from handlers on the
virtual clock (so concurrent calls interleave at every API call, as in Lambda)."""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal

import pytest

from tests.unit.alchemiser.signal_helpers import TABLE, session_items, table_spec
from tests.unit.sim.conftest import fn, make_stack
from workflows.alchemiser.sessions import AggregationSessionService

RESULTS: list[dict] = []


def session_op(event, context):
    """A handler that runs one service call and records (op, file, result)."""
    svc = AggregationSessionService(TABLE)
    op = event["op"]
    if op == "create":
        result = svc.create_session(event["session"], "corr-1", [(f, Decimal(a)) for f, a in event["configs"]], 600)
    elif op == "store":
        time.sleep(max(0.0, event.get("start_at", 0) - time.time()))  # virtual: line up concurrent callers
        result = svc.store_partial_signal(event["session"], event["file"], Decimal(event.get("allocation", "0.25")),
                                          {"target_allocations": {"SPY": event.get("allocation", "0.25")}},
                                          {"x": {"symbols": ["SPY"]}}, 1, {"gate_status": "PASS"})
    elif op == "status":
        result = svc.update_session_status(event["session"], event["status"])
    else:
        result = svc.get_all_partial_signals(event["session"])
    out = json.loads(json.dumps(result, default=str))
    RESULTS.append({"op": op, "file": event.get("file"), "result": out})
    return out


@pytest.fixture
def sim(simulate):
    RESULTS.clear()
    stack = make_stack("sessions", functions=[fn("svc", session_op, timeout_s=60)], tables=[table_spec()])
    return simulate(stack, seed=3, epoch="2026-01-12T15:45")


def call(sim, **event):
    reply = sim.client("lambda").invoke(FunctionName="svc", Payload=json.dumps(event).encode())
    assert "FunctionError" not in reply, reply["Payload"].read()
    return json.loads(reply["Payload"].read())


def create(sim, files=("a.clj", "b.clj", "c.clj", "d.clj", "e.clj")):
    return call(sim, op="create", session="s-1", configs=[(f, "0.2") for f in files])


def test_create_writes_the_metadata_item_with_a_24_hour_ttl(sim):
    item = create(sim)
    stored = session_items(sim, "s-1")["METADATA"]
    assert stored["PK"]["S"] == "SESSION#s-1" and stored["status"]["S"] == "PENDING"
    assert stored["total_strategies"]["N"] == "5" and stored["completed_strategies"]["N"] == "0"
    created = datetime.fromisoformat(item["created_at"])
    assert created.timestamp() == pytest.approx(sim.clock.epoch.timestamp(), abs=1)  # virtual time
    assert int(stored["TTL"]["N"]) == int(created.timestamp()) + 24 * 3600
    assert (datetime.fromisoformat(item["timeout_at"]) - created).total_seconds() == 600
    assert stored["strategy_configs"]["L"][0] == {"M": {"dsl_file": {"S": "a.clj"}, "allocation": {"N": "0.2"}}}


def test_concurrent_partials_see_each_count_exactly_once_and_only_one_sees_n(sim):
    create(sim)
    lam = sim.client("lambda")
    start_at = sim.clock.epoch.timestamp() + 5
    for f in ("a.clj", "b.clj", "c.clj", "d.clj", "e.clj"):
        lam.invoke(FunctionName="svc", InvocationType="Event",
                   Payload=json.dumps({"op": "store", "session": "s-1", "file": f, "start_at": start_at}).encode())
    result = sim.run()
    counts = [r["result"] for r in RESULTS if r["op"] == "store"]
    assert sorted(counts) == [1, 2, 3, 4, 5]
    # a real race: all five conditional puts went out before the first ADD did
    calls = [(r["t"], r["operation"]) for r in result.trace.where("api.call", "lambda:svc", service="dynamodb")
             if r["t"] >= 5]  # the stores, not the create
    puts = [t for t, op in calls if op == "PutItem"]
    adds = [t for t, op in calls if op == "UpdateItem"]
    assert len(puts) == len(adds) == 5 and max(puts) < min(adds)
    assert session_items(sim, "s-1")["METADATA"]["completed_strategies"]["N"] == "5"


def test_a_duplicate_partial_returns_the_current_count_without_incrementing(sim):
    create(sim)
    assert call(sim, op="store", session="s-1", file="a.clj", allocation="0.2") == 1
    assert call(sim, op="store", session="s-1", file="b.clj") == 2
    assert call(sim, op="store", session="s-1", file="a.clj", allocation="0.9") == 2  # duplicate: no ADD
    items = session_items(sim, "s-1")
    assert items["METADATA"]["completed_strategies"]["N"] == "2"
    assert items["STRATEGY#a.clj"]["allocation"]["N"] == "0.2"  # the first write stays
    assert any("Duplicate partial signal ignored" in r.get("line", "") for r in sim.trace.of_kind("log"))


def test_partials_are_decoded_and_statuses_are_unconditional(sim):
    create(sim, files=("a.clj", "b.clj"))
    call(sim, op="store", session="s-1", file="b.clj")
    call(sim, op="store", session="s-1", file="a.clj")
    partials = call(sim, op="partials", session="s-1")
    assert [p["dsl_file"] for p in partials] == ["a.clj", "b.clj"]  # SK order
    assert partials[0]["consolidated_portfolio"] == {"target_allocations": {"SPY": "0.25"}}
    assert partials[0]["data_freshness"] == {"gate_status": "PASS"} and partials[0]["signal_count"] == 1
    for status in ("AGGREGATING", "COMPLETED", "AGGREGATING"):  # no guard on any transition
        call(sim, op="status", session="s-1", status=status)
        assert session_items(sim, "s-1")["METADATA"]["status"]["S"] == status


def test_only_the_metadata_item_expires_partials_have_no_ttl(sim):
    create(sim, files=("a.clj",))
    call(sim, op="store", session="s-1", file="a.clj")
    items = session_items(sim, "s-1")
    assert "TTL" not in items["STRATEGY#a.clj"]
    sim.advance(23 * 3600)
    assert set(session_items(sim, "s-1")) == {"METADATA", "STRATEGY#a.clj"}
    sim.advance(2 * 3600)
    assert set(session_items(sim, "s-1")) == {"STRATEGY#a.clj"}
