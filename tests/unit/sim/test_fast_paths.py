"""The speed-ups inside moto and botocore change no answer (sim/motofast.py, sim/runtime/botofast.py),
and neither do the simulator's direct reads of moto (TTL) nor its batched bucket release."""

from __future__ import annotations

import copy
import logging
import os
from datetime import datetime, timezone

import boto3
import pytest
import time_machine
from moto import mock_aws

from sim import Simulation, motofast
from sim.runtime import botofast
from sim.services.dynamodb.peek import AttributeReader
from tests.unit.sim.conftest import fast_and_plain, make_stack
from tests.unit.sim.test_fast_paths_clients import _handler_a

ITEM = {"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "41.50"}, "flag": {"BOOL": True}, "nothing": {"NULL": True},
        "names": {"SS": ["x", "y"]}, "nums": {"NS": ["1", "2.5"]}, "blob": {"B": b"\x00\x01"},
        "m": {"M": {"inner": {"L": [{"S": "q"}, {"N": "3"}, {"M": {"deep": {"S": "d"}}}]}}}}


def dynamodb_bodies() -> list[bytes]:
    """The raw response bodies of a mix of DynamoDB calls on in-process moto, at a fixed instant."""
    bodies: list[bytes] = []
    with time_machine.travel(datetime(2026, 1, 14, 15, tzinfo=timezone.utc), tick=False), mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
        client.meta.events.register("needs-retry.dynamodb.*",  # every answer, errors too
                                    lambda response, **_kw: bodies.append(response[0].content) if response else None)
        client.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "N"}])
        client.put_item(TableName="t", Item=ITEM)
        client.put_item(TableName="t", Item={**ITEM, "sk": {"N": "2"}}, ReturnValues="ALL_OLD")
        client.get_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
        client.get_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, ProjectionExpression="m.inner, n")
        client.update_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                           UpdateExpression="SET n = n + :one REMOVE flag", ReturnValues="ALL_NEW",
                           ExpressionAttributeValues={":one": {"N": "1"}})
        client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
        client.scan(TableName="t", Limit=1)
        client.batch_get_item(RequestItems={"t": {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "2"}}]}})
        client.describe_table(TableName="t")
        client.list_tables()
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(TableName="t", Item=ITEM, ConditionExpression="attribute_not_exists(pk)")
        client.delete_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"N": "2"}}, ReturnValues="ALL_OLD")
    return bodies


def test_moto_answers_byte_for_byte_as_without_the_memoised_helpers():
    fast, plain = fast_and_plain(motofast, dynamodb_bodies)
    assert len(fast) == len(plain) == 13
    assert fast == plain


def s3_answers() -> list[tuple]:
    """Status and body of a mix of S3 calls (path and virtual-host style), request ids masked."""
    import re

    from botocore.config import Config

    answers: list[tuple] = []
    with time_machine.travel(datetime(2026, 1, 14, 15, tzinfo=timezone.utc), tick=False), mock_aws():
        for style in ("path", "virtual"):
            client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s",
                                  config=Config(s3={"addressing_style": style}))

            def keep(response, operation, **_kw):
                if response and operation.name != "GetObject":  # its body is a stream: read below
                    answers.append((response[0].status_code,
                                    re.sub(rb"<(RequestId|HostId)>[^<]*", b"", response[0].content)))

            client.meta.events.register("needs-retry.s3.*", keep)
            bucket = f"fast-{style}"
            client.create_bucket(Bucket=bucket)
            client.put_object(Bucket=bucket, Key="a/b.json", Body=b"{}")
            client.put_object(Bucket=bucket, Key="a/c d.txt", Body=b"x" * 10)
            answers.append(client.get_object(Bucket=bucket, Key="a/b.json")["Body"].read())
            client.head_object(Bucket=bucket, Key="a/c d.txt")
            client.list_objects_v2(Bucket=bucket, Prefix="a/")
            with pytest.raises(client.exceptions.NoSuchKey):
                client.get_object(Bucket=bucket, Key="missing")
            client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a/b.json"}, {"Key": "a/c d.txt"}]})
            client.delete_bucket(Bucket=bucket)
            client.list_buckets()
    return answers


def stubber_answers() -> list:
    """What moto's request router answers for URLs no service or no handler takes."""
    from botocore.awsrequest import AWSPreparedRequest
    from moto.core.models import botocore_stubber

    out = []
    with mock_aws():
        for url in ("https://nosuchservice.us-east-1.amazonaws.com/x", "https://example.com/",
                    "https://dynamodb.us-east-1.amazonaws.com/"):
            request = AWSPreparedRequest("POST", url, {"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                                       "Content-Type": "application/x-amz-json-1.0",
                                                       "Authorization": "AWS4-HMAC-SHA256 Credential=k/20260114/"
                                                       "us-east-1/dynamodb/aws4_request"}, b"{}", False)
            answer = botocore_stubber.process_request(request)
            out.append(answer if answer is None else (answer[0], answer[2]))
    return out


def test_moto_routes_s3_and_unknown_requests_as_without_the_route_cache():
    # each twice: the second time from the cache
    fast, plain = fast_and_plain(motofast, lambda: (s3_answers() + s3_answers(), stubber_answers() + stubber_answers()))
    assert len(fast[0]) == 2 * 2 * 9
    assert fast == plain
    assert fast[1][0] == (404, "Not yet implemented") and fast[1][1] is None


def test_a_passthrough_service_set_after_caching_is_still_honoured():
    from moto.core import config

    motofast.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
        client.list_tables()  # the route is cached now
        config.default_user_config["core"]["service_whitelist"] = ["s3"]
        try:
            from moto.core.exceptions import ServiceNotWhitelisted

            with pytest.raises(ServiceNotWhitelisted):
                client.list_tables()
        finally:
            config.default_user_config["core"].pop("service_whitelist")
        client.list_tables()


def test_the_method_list_is_recomputed_when_a_response_class_changes():
    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler

    motofast.install()
    assert "get_item" in responses.method_names_from_class(DynamoHandler)
    DynamoHandler.shadowsim_probe = lambda self: None
    try:
        assert "shadowsim_probe" in responses.method_names_from_class(DynamoHandler)
    finally:
        del DynamoHandler.shadowsim_probe
    assert "shadowsim_probe" not in responses.method_names_from_class(DynamoHandler)


def _trie(node):
    """A trie's structure as plain data, with handlers by identity."""
    if isinstance(node, dict):
        return {k: _trie(v) for k, v in node.items()}
    if isinstance(node, tuple):
        return tuple([id(h) for h in part] for part in node)
    return node


def test_a_client_copies_the_same_handler_trie_and_resolves_the_same_endpoints():
    session = boto3.session.Session(region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s")
    emitter = session._session.get_component("event_emitter")
    botofast.install()
    fast_copy = copy.copy(emitter)
    fast = [session.client(s)._ruleset_resolver.construct_endpoint(
        session.client(s).meta.service_model.operation_model(op), {"Bucket": "b"} if s == "s3" else {}, {}).url
        for s, op in (("s3", "ListObjects"), ("dynamodb", "GetItem"), ("events", "PutEvents"))]
    botofast.uninstall()
    try:
        plain_copy = copy.copy(emitter)
        plain = [session.client(s)._ruleset_resolver.construct_endpoint(
            session.client(s).meta.service_model.operation_model(op), {"Bucket": "b"} if s == "s3" else {}, {}).url
            for s, op in (("s3", "ListObjects"), ("dynamodb", "GetItem"), ("events", "PutEvents"))]
    finally:
        botofast.install()
    root = lambda e: e._emitter._handlers._root  # noqa: E731
    assert _trie(root(fast_copy)) == _trie(root(plain_copy)) == _trie(root(emitter))
    fast_copy.register("before-call.s3.ListObjects", _handler_a)  # a copy changes alone (path copying)
    assert _trie(root(fast_copy)) != _trie(root(emitter)) == _trie(root(plain_copy))
    assert fast == plain
    assert [url.split("/")[2] for url in fast] == ["s3.eu-west-1.amazonaws.com", "dynamodb.eu-west-1.amazonaws.com",
                                                   "events.eu-west-1.amazonaws.com"]


def test_event_names_are_aliased_and_logged_per_client_as_before(caplog):
    from botocore.hooks import EventAliaser, HierarchicalEmitter

    botofast.install()
    with caplog.at_level(logging.DEBUG, logger="botocore.hooks"):
        names = []
        for _ in range(2):  # a second client hits the shared table, and still logs its first rename
            aliaser = copy.copy(EventAliaser(HierarchicalEmitter()))  # as a client's: a copy of the table
            names += [aliaser._alias_event_name("before-call.apigateway.GetRestApi"),
                      aliaser._alias_event_name("before-call.apigateway.GetRestApi"),
                      aliaser._alias_event_name("before-call.dynamodb.GetItem")]
    assert names == ["before-call.api-gateway.GetRestApi", "before-call.api-gateway.GetRestApi",
                     "before-call.dynamodb.GetItem"] * 2
    renames = [r for r in caplog.records if r.getMessage().startswith("Changing event name")]
    assert len(renames) == 2


def test_ttl_reads_straight_from_moto_agree_with_get_item():
    stack = make_stack(tables=[{"name": "t", "hash_key": {"name": "pk"}, "ttl_attribute": "ttl"}])
    with Simulation(stack) as sim:
        ddb = sim.emulator.client("dynamodb")
        ddb.put_item(TableName="t", Item={"pk": {"S": "num"}, "ttl": {"N": "1768400000.25"}})
        ddb.put_item(TableName="t", Item={"pk": {"S": "str"}, "ttl": {"S": "1768400000"}})
        ddb.put_item(TableName="t", Item={"pk": {"S": "none"}})
        direct = AttributeReader(sim.emulator, lambda: ddb)
        via_client = AttributeReader(type("Remote", (), {"endpoint_url": "x"})(), lambda: ddb)
        for key in ("num", "str", "none", "absent"):
            k = {"pk": {"S": key}}
            assert direct.number("t", k, "ttl") == via_client.number("t", k, "ttl")
        assert direct.number("t", {"pk": {"S": "num"}}, "ttl") == 1768400000.25
        with pytest.raises(ddb.exceptions.ClientError):  # a wrong key fails as GetItem fails
            direct.number("t", {"nope": {"S": "num"}}, "ttl")


def test_closing_releases_a_versioned_bucket_with_its_versions_and_delete_markers():
    stack = make_stack(buckets=[{"name": "b-${AccountId}"}])
    for _ in range(2):  # the second run in the same account finds the name free again
        with Simulation(stack) as sim:
            s3, bucket = sim.emulator.client("s3"), sim.stack.buckets[0].name
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            for key in ("a", "b", "a"):
                s3.put_object(Bucket=bucket, Key=key, Body=b"x")
            s3.delete_object(Bucket=bucket, Key="b")
            listed = s3.list_object_versions(Bucket=bucket)
            assert len(listed["Versions"]) == 3 and len(listed["DeleteMarkers"]) == 1
        with mock_aws():
            from moto.s3.models import s3_backends

            assert all(bucket not in b.buckets for account in s3_backends.values() for b in account.values())


def _c_getenv(name: str) -> str | None:
    import ctypes

    libc = ctypes.CDLL(None)
    libc.getenv.restype = ctypes.c_char_p
    value = libc.getenv(name.encode())
    return value.decode() if value is not None else None


@pytest.mark.parametrize("inside", ["nothing", "change", "delete"])
def test_a_handler_environment_is_set_and_restored_as_os_environ_update_would(monkeypatch, inside):
    from sim.runtime import envswap

    monkeypatch.setenv("SHADOWSIM_T_KEPT", "before")
    monkeypatch.delenv("SHADOWSIM_T_NEW", raising=False)
    env = {"SHADOWSIM_T_KEPT": "handler", "SHADOWSIM_T_NEW": "é unicode"}
    for _ in range(2):  # the second time from the cache of encoded pairs
        restore = envswap.swap_in(env)
        assert os.environ["SHADOWSIM_T_KEPT"] == _c_getenv("SHADOWSIM_T_KEPT") == "handler"
        assert os.environ["SHADOWSIM_T_NEW"] == _c_getenv("SHADOWSIM_T_NEW") == "é unicode"
        if inside == "change":
            os.environ["SHADOWSIM_T_NEW"] = "changed"
            os.environ["SHADOWSIM_T_KEPT"] = "changed"
        elif inside == "delete":
            del os.environ["SHADOWSIM_T_NEW"], os.environ["SHADOWSIM_T_KEPT"]
        restore()
        assert os.environ["SHADOWSIM_T_KEPT"] == _c_getenv("SHADOWSIM_T_KEPT") == "before"
        assert "SHADOWSIM_T_NEW" not in os.environ and _c_getenv("SHADOWSIM_T_NEW") is None
    with pytest.raises(TypeError):  # a value that is not a string fails as os.environ.update fails
        envswap.swap_in({"SHADOWSIM_T_BAD": 1})


S3_HOSTS = ["s3.amazonaws.com", "bucket.s3.amazonaws.com", "s3.us-west-2.amazonaws.com", "b.s3.us-west-2.amazonaws.com",
            "localhost:5000", "localstack:4566", "127.0.0.1:4566", "[::1]:4566", "b.s3.amazonaws.com.cn",
            "moto.svc.cluster.local:80", "b.s3-fips.us-east-1.amazonaws.com", "s3.dualstack.eu-west-1.amazonaws.com",
            "myhost", "ceph.example.com", ""]


class _Request:
    def __init__(self, host: str) -> None:
        self.headers = {"Host": host} if host else {}
        self.url = "https://fallback.s3.amazonaws.com/k"


@pytest.mark.parametrize("custom", [None, "ceph.example.com"])
def test_the_s3_host_style_answer_is_motos_own(monkeypatch, custom):
    from moto.s3.responses import S3Response

    if custom:
        monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", custom)
    motofast.install()
    fast = [S3Response.subdomain_based_buckets(_Request(h)) for h in S3_HOSTS * 2]  # the second time kept
    motofast.uninstall()
    try:
        plain = [bool(S3Response.subdomain_based_buckets(_Request(h))) for h in S3_HOSTS * 2]
    finally:
        motofast.install()
    assert fast == plain and True in fast and False in fast
