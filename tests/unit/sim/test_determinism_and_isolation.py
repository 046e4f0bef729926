"""Same inputs and seed, same bytes; seeds change latencies, not outcomes; races are real;
two simulations in one process never see each other."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from sim import Simulation, load_stack
from tests.unit.sim.conftest import fn, make_stack

EXAMPLE = Path(__file__).resolve().parents[3] / "workflows" / "examples" / "orders" / "stack.yaml"


def run_example(seed: int):
    with Simulation(load_stack(EXAMPLE), seed=seed, epoch="2026-01-12T09:00") as sim:
        return sim.run(until=3 * 3600)


def test_same_seed_gives_a_byte_identical_trace():
    a, b = run_example(11), run_example(11)
    assert a.trace.to_jsonl() == b.trace.to_jsonl()
    assert a.digest() == b.digest()


def test_another_seed_changes_latencies_not_outcomes():
    a, b = run_example(11), run_example(12)
    assert a.trace.to_jsonl() != b.trace.to_jsonl()
    assert a.counts == b.counts
    assert a.ledger.summary()["by_status"] == b.ledger.summary()["by_status"]
    assert [r["t"] for r in a.trace.of_kind("invoke.end")] != [r["t"] for r in b.trace.of_kind("invoke.end")]


def read_then_write(event, context):
    table = boto3.resource("dynamodb").Table("counters")
    item = table.get_item(Key={"pk": "c"}).get("Item", {"n": 0})
    table.put_item(Item={"pk": "c", "n": item["n"] + 1})  # no condition: a lost update is possible


def atomic_add(event, context):
    boto3.resource("dynamodb").Table("counters").update_item(
        Key={"pk": "c"}, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": 1})


def race_stack(handler):
    return make_stack(functions=[fn("inc", handler, duration={"kind": "lognormal", "median_s": 0.01, "sigma": 1.0})],
                      tables=[{"name": "counters", "hash_key": {"name": "pk"}}])


def final_count(handler, seed: int, writers: int = 5) -> int:
    with Simulation(race_stack(handler), seed=seed) as sim:
        lam = sim.client("lambda")
        for _ in range(writers):
            lam.invoke(FunctionName="inc", InvocationType="Event", Payload=b"{}")
        sim.run()
        item = sim.client("dynamodb").get_item(TableName="counters", Key={"pk": {"S": "c"}})["Item"]
        return int(item["n"]["N"])


def test_read_then_write_loses_updates_under_some_seeds_and_atomic_add_never():
    racy = [final_count(read_then_write, seed) for seed in range(8)]
    assert min(racy) < 5, racy  # interleavings at the scheduling points lose updates
    assert racy == [final_count(read_then_write, seed) for seed in range(8)]  # reproducibly
    assert all(final_count(atomic_add, seed) == 5 for seed in range(8))


def put(event, context):
    boto3.client("dynamodb").put_item(TableName="shared-name", Item={"pk": {"S": event["who"]}})


def test_two_simulations_interleaved_in_one_process_never_see_each_other():
    stack_a = make_stack("variant-a", functions=[fn("put", put)], tables=[{"name": "shared-name", "hash_key": {"name": "pk"}}])
    stack_b = make_stack("variant-b", functions=[fn("put", put)], tables=[{"name": "shared-name", "hash_key": {"name": "pk"}}])
    with Simulation(stack_a, seed=1, epoch="2026-01-12T09:00") as a, \
            Simulation(stack_b, seed=1, epoch="2026-01-12T15:00") as b:
        a.client("lambda").invoke(FunctionName="put", InvocationType="Event", Payload=b'{"who": "a"}')
        b.client("lambda").invoke(FunctionName="put", InvocationType="Event", Payload=b'{"who": "b"}')
        # step them alternately, one kernel event at a time
        while a.clock.env.peek() != float("inf") or b.clock.env.peek() != float("inf"):
            for s in (a, b):
                if s.clock.env.peek() != float("inf"):
                    s.clock.env.step()
        seen_a = {i["pk"]["S"] for i in a.client("dynamodb").scan(TableName="shared-name")["Items"]}
        seen_b = {i["pk"]["S"] for i in b.client("dynamodb").scan(TableName="shared-name")["Items"]}
        assert seen_a == {"a"} and seen_b == {"b"}
        assert a.clock.now().hour == 14 and b.clock.now().hour == 20  # each keeps its own clock (UTC)
        assert a.kernel.account_id != b.kernel.account_id


def write_object(event, context):
    import os

    boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key="k", Body=event["who"].encode())


def bucket_stack(name: str, bucket: str):
    return make_stack(name, functions=[fn("w", write_object, environment={"BUCKET": bucket})],
                      buckets=[{"name": bucket}])


def test_buckets_named_with_the_account_id_keep_simulations_apart():
    a = Simulation(bucket_stack("variant-a", "data-${AccountId}")).start()
    b = Simulation(bucket_stack("variant-b", "data-${AWS::AccountId}")).start()
    try:
        assert a.stack.buckets[0].name == f"data-{a.kernel.account_id}"
        assert a.stack.functions[0].environment["BUCKET"] == a.stack.buckets[0].name
        for sim, who in ((a, "a"), (b, "b")):
            sim.client("lambda").invoke(FunctionName="w", Payload=json.dumps({"who": who}).encode())
        for sim, who in ((a, b"a"), (b, b"b")):
            body = sim.client("s3").get_object(Bucket=sim.stack.buckets[0].name, Key="k")["Body"].read()
            assert body == who
    finally:
        a.close()
        b.close()


def test_a_bucket_name_two_live_simulations_share_is_a_clear_error():
    from sim.errors import ConfigError
    import pytest

    a = Simulation(bucket_stack("variant-a", "shared-bucket")).start()
    b = Simulation(bucket_stack("variant-b", "shared-bucket"))
    try:
        with pytest.raises(ConfigError, match=r"name buckets with \$\{AccountId\}"):
            b.start()
    finally:
        a.close()
        b.close()


def test_named_streams_are_independent_and_seeded():
    s1 = Simulation(make_stack("s"), seed=4)
    s2 = Simulation(make_stack("s"), seed=4)
    a = [s1.rng("lambda.duration.worker").random() for _ in range(3)]
    s2.rng("something.else").random()  # drawing from another stream does not shift this one
    assert a == [s2.rng("lambda.duration.worker").random() for _ in range(3)]
    assert a != [Simulation(make_stack("s"), seed=5).rng("lambda.duration.worker").random() for _ in range(3)]
    assert s1.streams.uuid("x") == s2.streams.uuid("x")
