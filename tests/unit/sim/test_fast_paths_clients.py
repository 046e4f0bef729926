"""Cheaper botocore client creation changes nothing a client does (sim/runtime/botofast.py):
handler tries shared until changed, the **kwargs check kept per code object, client classes
reused per session and service."""

from __future__ import annotations

import copy
import functools
import inspect
import random

import boto3
import pytest
from botocore import hooks

from sim.runtime import botofast
from tests.unit.sim.conftest import fast_and_plain

EVENTS = ["before-call.s3.ListObjects", "before-call.s3.PutObject", "before-call.dynamodb.GetItem", "before-call",
          "needs-retry.dynamodb", "after-call.*.GetItem", "request-created.s3", "before-send"]


def _h(name):
    def handler(**kwargs):
        return name
    handler.__qualname__ = name
    return handler


def _handler_a(**kwargs):
    return "a"


def _lookups(emitter) -> dict[str, list]:
    return {e: [id(h) for h in emitter._handlers.prefix_search(e)] for e in EVENTS}


def _script(seed: int) -> list[tuple]:
    """Random registrations, removals and copies over a tree of emitters (index 0 is the first)."""
    rng = random.Random(seed)
    handlers = [_h(f"h{i}") for i in range(12)]
    ops, count = [], 1
    for _ in range(120):
        kind = rng.choice(["register", "register", "first", "last", "unregister", "copy"])
        target = rng.randrange(count)
        if kind == "copy":
            ops.append(("copy", target))
            count += 1
        else:
            ops.append((kind, target, rng.choice(EVENTS), rng.choice(handlers)))
    return ops


def _play(ops: list[tuple]) -> tuple[list[str], list[dict]]:
    emitters, errors = [hooks.HierarchicalEmitter()], []
    for op in ops:
        if op[0] == "copy":
            emitters.append(copy.copy(emitters[op[1]]))
            continue
        kind, target, event, handler = op
        e = emitters[target]
        try:
            {"register": e.register, "first": e.register_first, "last": e.register_last,
             "unregister": e.unregister}[kind](event, handler)
        except AttributeError as exc:  # botocore's own: removing at a node that never held handlers
            errors.append(f"{len(errors)} {type(exc).__name__}")
    return errors, [_lookups(e) for e in emitters]


@pytest.mark.parametrize("seed", range(8))
def test_shared_tries_answer_every_lookup_as_deep_copies_do(seed):
    ops = _script(seed)
    fast, plain = fast_and_plain(botofast, lambda: _play(ops))
    assert fast == plain


def test_a_change_to_a_copy_or_to_its_original_stays_where_it_was_made():
    botofast.install()
    a = hooks.HierarchicalEmitter()
    a.register("before-call.s3", _handler_a)
    b = copy.copy(a)
    b.register("before-call.s3", _h("b"))
    a.unregister("before-call.s3", _handler_a)
    c = copy.copy(b)
    c.register_first("before-call.s3.Put", _h("c"))
    assert [h.__qualname__ for h in a._handlers.prefix_search("before-call.s3.Put")] == []
    assert [h.__qualname__ for h in b._handlers.prefix_search("before-call.s3.Put")] == ["_handler_a", "b"]
    assert [h.__qualname__ for h in c._handlers.prefix_search("before-call.s3.Put")] == ["c", "_handler_a", "b"]
    with pytest.raises(ValueError):  # removing under a key that is not there fails as before
        c._handlers.remove_item("no.such.key", _handler_a)


class _Signed:
    def method(self, a, **kw):
        return a


def _no_kwargs(a):
    return a


def _with_signature(**kw):
    return kw


_with_signature.__signature__ = inspect.Signature([inspect.Parameter("a", inspect.Parameter.POSITIONAL_ONLY)])


@pytest.mark.parametrize("func", [_handler_a, _no_kwargs, _Signed().method, _with_signature,
                                  functools.partial(_handler_a), lambda x, **rest: x, print])
def test_the_kwargs_check_answers_as_getfullargspec(func):
    botofast.install()
    try:
        expected = inspect.getfullargspec(func)[2]
    except TypeError:
        with pytest.raises(TypeError):
            hooks.accepts_kwargs(func)
        return
    assert hooks.accepts_kwargs(func) == expected
    assert hooks.accepts_kwargs(func) == expected  # the second time from the cache


def _client_surface(client) -> tuple:
    cls = type(client)
    methods = sorted(n for n in vars(cls) if not n.startswith("__"))
    return cls.__name__, [b.__name__ for b in cls.__mro__], methods, cls._PY_TO_OP_NAME


def test_clients_of_one_session_share_a_class_equal_to_botocores_own():
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    fast, plain = fast_and_plain(botofast, lambda: [session.client(s) for s in ("s3", "dynamodb", "s3")])
    assert [_client_surface(c) for c in fast] == [_client_surface(c) for c in plain]
    assert type(fast[0]) is type(fast[2]) and type(plain[0]) is not type(plain[2])
    assert hasattr(fast[0], "upload_file") and hasattr(fast[0], "generate_presigned_post")


def test_a_session_with_its_own_class_handler_gets_a_class_of_its_own():
    botofast.install()
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    before = type(session.client("sqs"))

    def add_method(class_attributes, **_kw):
        class_attributes["shadowsim_extra"] = lambda self: "extra"

    session.events.register("creating-client-class.sqs", add_method)
    after = session.client("sqs")
    assert after.shadowsim_extra() == "extra" and type(after) is not before
    assert not hasattr(before, "shadowsim_extra")


CALLS = [("dynamodb", "get_item", {"TableName": "t", "Key": {"pk": {"S": "a"}}}),
         ("dynamodb", "update_item", {"TableName": "t", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "ADD n :one",
                                      "ExpressionAttributeValues": {":one": {"N": "1"}}}),
         ("events", "put_events", {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}"}]}),
         ("sqs", "send_message", {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                                  "MessageBody": "hi"}),
         ("s3", "put_object", {"Bucket": "b", "Key": "k/x.json", "Body": b"{}"}),
         ("s3", "get_object", {"Bucket": "b", "Key": "k/x.json"})]
VOLATILE = {"x-amz-date", "authorization", "amz-sdk-invocation-id", "amz-sdk-request", "user-agent"}


def _sent(session) -> list:
    """What each client call sends, and what it makes of a canned reply (no network)."""
    from botocore.awsrequest import AWSResponse

    out = []

    def capture(request, **_kw):
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in VOLATILE}
        body = request.body if isinstance(request.body, (bytes, str, type(None))) else request.body.read()
        out.append((request.method, request.url, sorted(headers.items()), body))
        return AWSResponse(request.url, 200, {}, _Raw(b"{}" if "amazonaws.com/" not in request.url
                                                      or "s3." not in request.url else b""))

    for service, op, params in CALLS:
        client = session.client(service)
        client.meta.events.register_first("before-send", capture)
        parsed = getattr(client, op)(**params)
        parsed.pop("ResponseMetadata", None)
        out.append(sorted(k for k in parsed))
    return out


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_kw):
        yield self.data

    def read(self, *_a, **_kw) -> bytes:
        data, self.data = self.data, b""
        return data


def test_clients_made_the_cheaper_way_send_what_botocores_own_send():
    def session():
        return boto3.session.Session(region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")

    # a second session reuses nothing of the first
    fast, plain = fast_and_plain(botofast, lambda: _sent(session()) + _sent(session()))
    assert fast == plain and len(fast) == 4 * len(CALLS)


def test_clients_of_a_service_share_one_read_only_model():
    botofast.install()
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    a, b = session.client("dynamodb"), session.client("dynamodb")
    assert a.meta.service_model is b.meta.service_model
    assert a.meta.service_model.operation_names == b.meta.service_model.operation_names
    assert session.client("sqs").meta.service_model is not a.meta.service_model


def _user_agents() -> list[str]:
    """User-Agent strings for sessions and client configs of every kind, two clients each."""
    from botocore.config import Config
    from botocore.useragent import UserAgentString

    configs = [None, Config(user_agent_extra="extra/1"), Config(user_agent="legacy/2", user_agent_extra="x"),
               Config(user_agent_appid="app id#3"), Config(retries={"mode": "adaptive"}),
               Config(retries={"mode": "standard"}, endpoint_discovery_enabled=True), Config(retries={})]
    out = []
    for name, version, extra in ((None, None, None), ("Tool", "9.9", "session/extra")):
        session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
        core = session._session
        if name:
            core.user_agent_name, core.user_agent_version, core.user_agent_extra = name, version, extra
        for config in configs:
            for _ in range(2):
                client = session.client("sqs", config=config)
                out.append(client._user_agent_creator.to_string())
    for mode in ("standard", "legacy", "adaptive"):
        ua = UserAgentString.from_environment().with_client_config(Config(retries={"mode": mode}))
        out.append(ua.to_string())
        out.append(ua.to_string())  # botocore's own per-object cache
    ua = UserAgentString.from_environment().with_client_config(Config(user_agent_extra="a"))
    first = ua.to_string()
    ua._client_config.user_agent_extra = "b"  # a changed input is seen, as botocore sees it
    out += [first, ua.to_string()]
    return out


def test_user_agents_are_botocores_own():
    fast, plain = fast_and_plain(botofast, _user_agents)
    assert fast == plain
    assert any("app/app-id#3" in ua for ua in fast) and any(ua.startswith("legacy/2") for ua in fast)
    assert any("retry-mode#adaptive" in ua for ua in fast) and any("session/extra" in ua for ua in fast)
    assert fast[-2].endswith(" a") and fast[-1].endswith(" b")
