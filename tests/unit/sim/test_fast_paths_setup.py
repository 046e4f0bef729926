"""The simulator's own setup and teardown straight into in-process moto (sim/motodirect.py) leave
moto as the same requests through the API leave it."""

from __future__ import annotations

import pytest
from moto import mock_aws

from sim import Simulation, motodirect
from tests.unit.sim.conftest import make_stack

TABLES = [{"name": "plain", "hash_key": {"name": "pk"}},
          {"name": "ranged", "hash_key": {"name": "pk"}, "range_key": {"name": "sk", "type": "N"},
           "ttl_attribute": "expires",
           "global_secondary_indexes": [{"name": "by-status", "hash_key": "status", "range_key": "sk"}]}]


def _tables(sim: Simulation) -> dict:
    ddb = sim.emulator.client("dynamodb")
    out = {"names": ddb.list_tables()["TableNames"]}
    for name in out["names"]:
        table = ddb.describe_table(TableName=name)["Table"]
        table.pop("CreationDateTime")
        for index in table.get("GlobalSecondaryIndexes", []):
            index.pop("IndexArn", None)
        out[name] = (table, ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"])
    return out


def _setup_twice(monkeypatch, direct: bool, stack) -> list[dict]:
    monkeypatch.setattr(motodirect, "available", lambda: direct)
    seen = []
    for _ in range(2):  # the second run finds the tables and recreates them
        with Simulation(stack) as sim:
            ddb = sim.emulator.client("dynamodb")
            ddb.put_item(TableName="plain", Item={"pk": {"S": "left-behind"}})
            seen.append(_tables(sim))
            assert ddb.scan(TableName="plain")["Count"] == 1  # the previous run's item is gone
    return seen


def test_tables_are_created_afresh_as_through_the_api(monkeypatch):
    stack = make_stack(name="direct-tables", tables=TABLES)
    fast = _setup_twice(monkeypatch, True, stack)
    plain = _setup_twice(monkeypatch, False, stack)
    assert fast == plain
    assert fast[0]["names"] == ["plain", "ranged"]
    assert fast[0]["ranged"][1] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


def test_a_table_moto_rejects_is_left_to_the_api_and_nothing_is_made():
    with mock_aws():
        request = {"TableName": "bad", "BillingMode": "PAY_PER_REQUEST",
                   "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                            {"AttributeName": "unused", "AttributeType": "S"}]}
        assert motodirect.create_table("123456789012", "us-east-1", request) is False
        assert motodirect.table_names("123456789012", "us-east-1") == []
        assert motodirect.delete_table("123456789012", "us-east-1", "bad") is False
        assert motodirect.update_time_to_live("123456789012", "us-east-1", "bad",
                                              {"Enabled": True, "AttributeName": "x"}) is False


def _bucket_gone(name: str) -> bool:
    from moto.s3.models import s3_backends

    return all(name not in b.buckets for account in s3_backends.values() for b in account.values()) \
        and name not in s3_backends.bucket_accounts


@pytest.mark.parametrize("direct", [True, False])
def test_closing_releases_a_plain_bucket_with_its_objects(monkeypatch, direct):
    monkeypatch.setattr(motodirect, "available", lambda: direct)
    stack = make_stack(name="direct-buckets", buckets=[{"name": "data-${AccountId}"}, {"name": "other-${AccountId}"}])
    for _ in range(2):  # the second run in the same account finds the names free again
        with Simulation(stack) as sim:
            s3 = sim.emulator.client("s3")
            names = [b.name for b in sim.stack.buckets]
            for key in ("a/daily.parquet", "a/metadata.json", "b c"):
                s3.put_object(Bucket=names[0], Key=key, Body=b"x")
            assert s3.get_bucket_encryption(Bucket=names[0])["ServerSideEncryptionConfiguration"]["Rules"]
        with mock_aws():
            assert all(_bucket_gone(n) for n in names)


def test_a_bucket_that_is_not_plain_is_left_to_the_api():
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
        s3.create_bucket(Bucket="versioned-direct")
        s3.put_bucket_versioning(Bucket="versioned-direct", VersioningConfiguration={"Status": "Suspended"})
        s3.put_object(Bucket="versioned-direct", Key="k", Body=b"x")
        assert motodirect.release_bucket("123456789012", "us-east-1", "versioned-direct") is False
        assert motodirect.release_bucket("123456789012", "us-east-1", "no-such-bucket") is False
        assert s3.get_object(Bucket="versioned-direct", Key="k")["Body"].read() == b"x"
