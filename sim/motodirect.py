"""The simulator's own setup and teardown, straight into in-process moto (pinned: moto==5.2.5).

Every run deletes and recreates its stack's tables (ListTables, DeleteTable,
CreateTable, UpdateTimeToLive: about 18 requests for the Alchemiser) and, when
it closes, empties and deletes its buckets (ListObjectVersions, DeleteObjects,
DeleteBucket). None of it is a handler's call: it is not traced, charged or
faulted. Through boto3 each request is serialised by botocore, routed, parsed
and answered by moto's response layer and parsed back, which cost a tenth of
a simulated day. Here the same moto backend methods are called with the
arguments moto's response layer would have passed them, so the backend ends in
the same state.

Only the plain cases are done here; each function returns False when its case
is not plain, and the caller then makes the request through the API as before,
so every error (a validation error, a table that is protected, a bucket owned
by another account, a versioned bucket, one with event notifications) is
raised exactly as it was. A remote emulator (moto server, LocalStack) always
goes through the API.
"""

from __future__ import annotations

from typing import Any

MOTO_VERSION = "5.2.5"


def available() -> bool:
    import moto

    return moto.__version__ == MOTO_VERSION


def _dynamodb(account: str, region: str):
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[account][region]


def table_names(account: str, region: str) -> list[str]:
    """What ``list_tables()`` answers (its first page: at most 100 names)."""
    names, _last = _dynamodb(account, region).list_tables(100, None)
    return names


def delete_table(account: str, region: str, name: str) -> bool:
    from moto.dynamodb.models.table import Table

    backend = _dynamodb(account, region)
    table = backend.tables.get(name)
    if table is None or (isinstance(table, Table) and table.deletion_protection_enabled):
        return False
    backend.delete_table(name)
    return True


def create_table(account: str, region: str, request: dict[str, Any]) -> bool:
    """CreateTable with the API's parameters, as ``DynamoHandler.create_table`` passes them on."""
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.responses import DynamoHandler

    backend = _dynamodb(account, region)
    name = request["TableName"]
    billing_mode = "PAY_PER_REQUEST" if request.get("BillingMode") == "PAY_PER_REQUEST" else "PROVISIONED"
    args = dict(billing_mode=billing_mode, throughput=request.get("ProvisionedThroughput"),
                key_schema=request["KeySchema"], global_indexes=request.get("GlobalSecondaryIndexes"),
                local_secondary_indexes=request.get("LocalSecondaryIndexes"), attr=request["AttributeDefinitions"],
                warm_throughput=request.get("WarmThroughput"))
    try:
        DynamoHandler()._validate_table_creation(**args)
    except JsonRESTError:
        return False  # the API request raises it, worded as a client sees it
    if name in backend.tables:
        return False
    backend.create_table(name, schema=args["key_schema"], throughput=args["throughput"], attr=args["attr"],
                         global_indexes=args["global_indexes"] or [],
                         indexes=args["local_secondary_indexes"] or [],
                         streams=request.get("StreamSpecification"), billing_mode=billing_mode,
                         sse_specification=request.get("SSESpecification"), tags=request.get("Tags", []),
                         deletion_protection_enabled=request.get("DeletionProtectionEnabled", False),
                         warm_throughput=args["warm_throughput"])
    return True


def update_time_to_live(account: str, region: str, name: str, spec: dict[str, Any]) -> bool:
    backend = _dynamodb(account, region)
    if name not in backend.tables or "Enabled" not in spec or "AttributeName" not in spec:
        return False
    backend.update_time_to_live(name, spec)
    return True


def release_bucket(account: str, region: str, name: str) -> bool:
    """Empty and delete this account's bucket ``name`` when it is a plain one (never versioned, no
    event notifications): every key deleted as DeleteObjects deletes it, then DeleteBucket."""
    from moto.s3.models import FakeTableStorageBucket, s3_backends
    from moto.utilities.utils import get_partition

    backend = s3_backends[account][get_partition(region)]
    bucket = backend.buckets.get(name)
    if bucket is None or isinstance(bucket, FakeTableStorageBucket) or bucket.versioning_status is not None \
            or bucket.notification_configuration is not None:
        return False
    for key in sorted(bucket.keys):  # in the order ListObjectVersions lists them
        backend.delete_object(name, key)
    backend.delete_bucket(name)
    return True
