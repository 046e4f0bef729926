"""FixtureWriter: the harness's own S3 writes, straight into moto, leave the run exactly as the
control-plane client's PutObject does (clock, seeded draws, trace, the stored objects)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sim import Simulation, motodirect
from sim.faults import FaultPlan
from sim.fixture_writer import FixtureWriter
from tests.unit.sim.conftest import make_stack

OBJECTS = [("prices/SPY.parquet", b"PAR1" + bytes(range(256)) * 40), ("prices/SPY.json", b'{"rows": 3}'),
           ("empty", b""), ("a b/ü.json", b"{}")]
VOLATILE = {"last_modified", "_time_progressed", "_value_buffer", "lock", "acl"}


def _key_state(sim: Simulation, bucket: str, name: str) -> dict:
    from moto.s3.models import s3_backends

    key = s3_backends[sim.emulator.account_id]["aws"].buckets[bucket].keys[name]
    state = {k: v for k, v in vars(key).items() if k not in VOLATILE}
    state["_metadata"] = dict(key._metadata)
    state["value"] = key.value
    state["acl"] = [(g.permissions, [(e.id, e.uri) for e in g.grantees]) for g in key.acl.grants]
    return state


def _read(sim: Simulation, bucket: str, name: str) -> dict:
    s3 = sim.emulator.client("s3")
    got = s3.get_object(Bucket=bucket, Key=name, ChecksumMode="ENABLED")
    got["Body"] = got["Body"].read()
    head = s3.head_object(Bucket=bucket, Key=name, ChecksumMode="ENABLED")
    return {k: v for k, v in {**head, **got}.items() if k not in ("ResponseMetadata", "LastModified")}


def _publish(monkeypatch, direct: bool, faults: FaultPlan | None = None) -> dict:
    monkeypatch.setattr(motodirect, "available", lambda: direct)
    stack = make_stack(name="fixture-writer", buckets=[{"name": "market-${AccountId}"}])
    with Simulation(stack, seed=7, faults=faults) as sim:
        bucket = f"market-{sim.emulator.account_id}"
        writer = FixtureWriter(sim) if direct else sim.client("s3")
        errors = []
        for name, body in OBJECTS:
            try:
                writer.put_object(Bucket=bucket, Key=name, Body=body)
            except ClientError as exc:
                errors.append((exc.response["Error"], exc.operation_name))
        stored = sorted(sim.emulator.client("s3").list_objects_v2(Bucket=bucket).get("Contents", []),
                        key=lambda c: c["Key"])
        return {"now": sim.clock.now_s, "trace": sim.trace.records, "errors": errors,
                "keys": {c["Key"]: (_key_state(sim, bucket, c["Key"]), _read(sim, bucket, c["Key"])) for c in stored},
                "next_draw": sim.rng("after").random()}


def test_objects_clock_and_trace_are_as_through_the_client(monkeypatch):
    direct, client = _publish(monkeypatch, True), _publish(monkeypatch, False)
    assert direct == client
    assert len(direct["keys"]) == len(OBJECTS) and direct["now"] > 0
    assert [r["kind"] for r in direct["trace"]].count("api.call") == len(OBJECTS)
    state, read = direct["keys"]["prices/SPY.json"]
    assert read["Body"] == b'{"rows": 3}' and read["ChecksumCRC32"] and read["ServerSideEncryption"] == "AES256"


def test_an_injected_error_is_raised_after_the_same_retries(monkeypatch):
    faults = FaultPlan.model_validate({"name": "s3-down", "rules": [
        {"name": "put-fails", "match": {"point": "api_call", "service": "s3", "operation": "PutObject", "nth": [2, 3, 4]},
         "action": {"kind": "raise_error", "code": "InternalError", "status": 500}}]})
    direct, client = _publish(monkeypatch, True, faults), _publish(monkeypatch, False, faults)
    assert direct == client
    assert direct["errors"][0][0]["Code"] == "InternalError" and len(direct["keys"]) == len(OBJECTS) - 1


def test_a_bucket_that_is_not_there_is_the_clients_error(monkeypatch):
    with Simulation(make_stack(name="fixture-writer-missing")) as sim:
        with pytest.raises(ClientError, match="NoSuchBucket"):
            FixtureWriter(sim).put_object(Bucket="not-there", Key="k", Body=b"x")
