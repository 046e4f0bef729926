"""Reusing boto3 resource classes changes nothing a resource does (sim/runtime/boto3fast.py): the
classes equal boto3's own, calls against moto answer the same, and handlers, sessions and clients
stay apart."""

from __future__ import annotations

import inspect
from datetime import datetime, timezone
from decimal import Decimal

import boto3
import pytest
import time_machine
from boto3.dynamodb.conditions import Attr, Key
from boto3.utils import lazy_call
from moto import mock_aws

from sim.runtime import botofast
from tests.unit.sim.conftest import fast_and_plain

# (service, how to reach the resource from the service resource)
RESOURCES = [("dynamodb", None), ("dynamodb", lambda r: r.Table("t")), ("s3", lambda r: r.Bucket("b")),
             ("s3", lambda r: r.Object("b", "k")), ("s3", lambda r: r.Bucket("b").Object("k")),
             ("sqs", lambda r: r.Queue("https://sqs.us-east-1.amazonaws.com/123456789012/q")),
             ("ec2", lambda r: r.Instance("i-1"))]


def _session() -> boto3.session.Session:
    return boto3.session.Session(region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")


def _member(value) -> tuple:
    """What a class attribute is, without the identity of the function objects boto3 makes each time."""
    if isinstance(value, property):
        return ("property", value.fget.__name__, str(inspect.signature(value.fget)), value.fset, value.fdel)
    if inspect.isfunction(value):
        return ("function", value.__name__, str(inspect.signature(value)))
    return (type(value).__name__, repr(value) if type(value).__name__ == "ResourceMeta" else None)


def _surface(resource) -> tuple:
    cls = type(resource)
    return (cls.__name__, [f"{b.__module__}.{b.__qualname__}" for b in cls.__mro__],
            sorted((n, _member(v)) for n, v in vars(cls).items() if n not in ("__doc__", "__module__")),
            cls.meta.identifiers, cls.meta.resource_model.name, resource.meta.identifiers,
            [getattr(resource, i) for i in resource.meta.identifiers], resource.meta.data,
            sorted(n for n in dir(resource) if not n.startswith("__")))


def _build(session) -> list:
    out = []
    for service, reach in RESOURCES:
        service_resource = session.resource(service)
        out.append(reach(service_resource) if reach else service_resource)
    return out


def test_resource_classes_equal_boto3s_own_and_are_shared_within_a_session():
    botofast.install()
    session = _session()
    fast, again = _build(session), _build(session)
    botofast.uninstall()
    try:
        plain, plain_again = _build(session), _build(session)
    finally:
        botofast.install()
    assert [_surface(r) for r in fast] == [_surface(r) for r in plain] == [_surface(r) for r in again]
    assert all(type(a) is type(b) for a, b in zip(fast, again))
    assert not any(type(a) is type(b) for a, b in zip(plain, plain_again))
    table = fast[1]
    assert [c.__name__ for c in type(table).__mro__][:3] == ["dynamodb.Table", "DynamoDBHighLevelResource",
                                                             "TableResource"]
    assert hasattr(fast[2], "upload_file") and hasattr(fast[3], "download_fileobj")  # boto3's S3 injections
    for a, b in zip(fast, again):  # instances stay apart
        assert a is not b and a.meta is not b.meta and a.meta.client is not b.meta.client
        assert a.meta is not type(a).meta


def test_another_session_builds_classes_of_its_own():
    botofast.install()
    one, two = _session(), _session()
    assert type(one.resource("dynamodb").Table("t")) is type(one.resource("dynamodb").Table("t"))
    assert type(one.resource("dynamodb").Table("t")) is not type(two.resource("dynamodb").Table("t"))
    assert type(one.resource("dynamodb")) is not type(one.resource("dynamodb").Table("t"))


def test_a_class_handler_of_ones_own_gets_a_class_of_its_own():
    botofast.install()
    session = _session()
    before = type(session.resource("dynamodb").Table("t"))

    class Extra:
        def shadowsim_extra(self):
            return "extra"

    def add_base(base_classes, **_kw):
        base_classes.insert(0, Extra)

    session.events.register("creating-resource-class.dynamodb.Table", add_base)
    after = session.resource("dynamodb").Table("t")
    assert after.shadowsim_extra() == "extra" and type(after) is not before
    assert type(session.resource("dynamodb").Table("t")) is not type(after)  # built each time, as boto3 does
    assert not hasattr(before, "shadowsim_extra")
    session.events.unregister("creating-resource-class.dynamodb.Table", add_base)
    assert type(session.resource("dynamodb").Table("t")) is before  # the same handlers again


def test_lazy_calls_count_as_the_librarys_own_only_when_they_import_the_librarys_own():
    assert botofast.library_handler(lazy_call("boto3.dynamodb.table.register_table_methods"))
    assert not botofast.library_handler(lazy_call("tests.unit.sim.test_fast_paths_resources._surface"))
    assert not botofast.library_handler(lambda **kw: None)
    assert botofast.library_handler(botofast.library_handler.__globals__["copy"].copy) is False  # not boto


def test_a_lazy_call_of_ones_own_builds_a_class_each_time():
    botofast.install()
    session = _session()
    session.events.register("creating-resource-class.dynamodb.Table",
                            lazy_call("tests.unit.sim.test_fast_paths_resources._add_marker"))
    a, b = session.resource("dynamodb").Table("t"), session.resource("dynamodb").Table("t")
    assert a.shadowsim_marker == b.shadowsim_marker == "marker" and type(a) is not type(b)


def _add_marker(class_attributes, **_kw):
    class_attributes["shadowsim_marker"] = "marker"


def test_each_table_registers_its_handlers_on_its_own_client_only():
    botofast.install()
    session = _session()
    a, b = session.resource("dynamodb").Table("t"), session.resource("dynamodb").Table("t")

    def handlers(table):
        return [h for h in table.meta.client.meta.events._emitter._handlers.prefix_search(
            "before-parameter-build.dynamodb.GetItem") if getattr(h, "__self__", None) is not None]

    assert len(handlers(a)) == len(handlers(b)) > 0
    assert not {id(h.__self__) for h in handlers(a)} & {id(h.__self__) for h in handlers(b)}


def _moto_results(session) -> list:
    """A mix of resource calls on in-process moto, at a fixed instant; what each answers."""
    out = []
    with time_machine.travel(datetime(2026, 1, 14, 15, tzinfo=timezone.utc), tick=False), mock_aws():
        ddb = session.resource("dynamodb")
        table = ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                            {"AttributeName": "sk", "KeyType": "RANGE"}],
                                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                       {"AttributeName": "sk", "AttributeType": "N"}])
        out.append((type(table).__name__, table.name))
        table = session.resource("dynamodb").Table("t")
        table.put_item(Item={"pk": "a", "sk": 1, "n": Decimal("41.5"), "tags": {"x", "y"}, "m": {"l": [1, "q"]}})
        with table.batch_writer() as batch:
            for i in range(2, 5):
                batch.put_item(Item={"pk": "a", "sk": i, "n": Decimal(i)})
        out.append(table.get_item(Key={"pk": "a", "sk": 1})["Item"])
        out.append(table.update_item(Key={"pk": "a", "sk": 1}, UpdateExpression="SET n = n + :one",
                                     ExpressionAttributeValues={":one": Decimal(1)}, ReturnValues="ALL_NEW")["Attributes"])
        out.append(table.query(KeyConditionExpression=Key("pk").eq("a") & Key("sk").gt(1),
                               FilterExpression=Attr("n").gte(3))["Items"])
        out.append((table.item_count, table.key_schema, table.table_status))  # loads through the class's load()
        with pytest.raises(table.meta.client.exceptions.ConditionalCheckFailedException):
            table.put_item(Item={"pk": "a", "sk": 1}, ConditionExpression=Attr("pk").not_exists())
        s3 = session.resource("s3")
        bucket = s3.create_bucket(Bucket="shadowsim-bucket")
        bucket.put_object(Key="k/x.json", Body=b"{}")
        out.append([o.key for o in bucket.objects.all()])
        obj = s3.Bucket("shadowsim-bucket").Object("k/x.json")
        out.append((obj.content_length, obj.get()["Body"].read()))
    return out


def test_resources_answer_calls_against_moto_as_boto3s_own():
    fast, plain = fast_and_plain(botofast, lambda: _moto_results(_session()) + _moto_results(_session()))
    assert fast == plain and len(fast) == 2 * 7
