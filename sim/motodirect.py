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


# What botocore (default checksum settings) sends with a plain PutObject, as moto keeps it: the body
# streamed aws-chunked with a CRC32 trailer, no Content-Type (moto records its default).
_PUT_METADATA = {"content-type": "binary/octet-stream", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}


def _s3(account: str, region: str):
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    return s3_backends[account][get_partition(region)]


def plain_put(account: str, region: str, bucket_name: str, body: Any) -> bool:
    """Whether ``put_object`` can write ``body`` into this bucket: it exists, in this account, is
    a plain bucket (not an S3 Tables one) without object lock, and the body is bytes."""
    from moto.s3.models import FakeTableStorageBucket

    bucket = _s3(account, region).buckets.get(bucket_name)
    return bucket is not None and not isinstance(bucket, FakeTableStorageBucket) \
        and not bucket.object_lock_enabled and isinstance(body, bytes)


def put_object(account: str, region: str, bucket_name: str, key: str, body: bytes) -> None:
    """PutObject(Bucket, Key, Body) as moto's response layer carries out boto3's plain request (no
    headers of the caller's: no ACL, tagging, lock, encryption or metadata of its own), where
    ``plain_put`` holds. The key ends as that request leaves it: value, ETag, the CRC32 checksum
    botocore sends, the bucket's default encryption, the default ACL and moto's recorded headers."""
    from moto.s3.utils import compute_checksum, metadata_from_headers

    backend = _s3(account, region)
    bucket = backend.buckets[bucket_name]
    checksum = compute_checksum(body, algorithm="CRC32").decode("utf-8")
    new_key = backend.put_object(bucket_name, key, body, storage="STANDARD", encryption=None, kms_key_id=None,
                                 bucket_key_enabled=None, lock_mode=None, lock_legal_status=None, lock_until=None,
                                 checksum_value=checksum)
    new_key.set_metadata(metadata_from_headers(_PUT_METADATA))
    new_key.set_acl(bucket.acl)
    new_key.website_redirect_location = None
    new_key.checksum_algorithm = "CRC32"
    backend.put_object_tagging(new_key, {})
