"""The endpoint backend: the example stack against a real ``moto_server`` subprocess.

One moto server per module, on a free loopback port. Readiness comes from the
server itself: the fixture reads its output line by line (blocking reads, no
sleeps, no polling) until werkzeug logs "Running on http://127.0.0.1:PORT", and
fails with the server's output if the process exits first. A daemon thread then
drains the pipe so the server never blocks on a full pipe buffer.

What is checked:
(a) the example stack gives the same outcome over HTTP as in-process, same seed;
(b) the same through ``localstack-client`` pointed at the moto server's port;
(c) two simulations with different names on one server keep separate tables
    (each request carries ``x-moto-account-id``);
and S3 virtual-hosted addressing onto a ``localhost`` endpoint keeps the bucket.
"""

from __future__ import annotations

import collections
import json
import os
import socket
import subprocess
import sys
import threading
import types
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from sim import Simulation, load_stack
from sim.emulator import ACCOUNT_HEADER
from sim.stack.load import stack_from_dict

REPO = Path(__file__).resolve().parents[3]
STACK = REPO / "workflows" / "examples" / "orders" / "stack.yaml"
EPOCH = "2026-01-12T09:00"
UNTIL = 3 * 3600
STARTUP_WATCHDOG_S = 60.0  # only a safety net: kills a server that hangs without printing anything


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("moto_server")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
    return head + ["-H", "127.0.0.1", "-p", str(port)]


class MotoServer:
    def __init__(self, proc: subprocess.Popen, port: int, log: collections.deque) -> None:
        self.proc, self.port, self.log = proc, port, log
        self.url = f"http://127.0.0.1:{port}"

    def client(self, service: str, account_id: str | None = None):
        """A plain boto3 client straight to the server (no simulation), optionally in one account."""
        client = boto3.session.Session().client(service, endpoint_url=self.url, region_name="us-east-1",
                                                aws_access_key_id="testing", aws_secret_access_key="testing")
        if account_id is not None:
            def add_account(params, **_kw):
                params.setdefault("headers", {})[ACCOUNT_HEADER] = account_id
            client.meta.events.register_first("before-call", add_account)
        return client


@pytest.fixture(scope="module")
def moto_server():
    port = _free_loopback_port()
    env = {**os.environ, "MOTO_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    # MOTO_ACCOUNT_ID would override x-moto-account-id for every request (moto's first priority),
    # merging all simulations into one account; AWS_ENDPOINT_URL is irrelevant to the server.
    for var in ("MOTO_ACCOUNT_ID", "AWS_ENDPOINT_URL"):
        env.pop(var, None)
    proc = subprocess.Popen(_server_command(port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env, text=True, bufsize=1)
    # A watchdog, not a poll: it only fires if the server neither prints the line nor exits.
    watchdog = threading.Timer(STARTUP_WATCHDOG_S, proc.kill)
    watchdog.daemon = True
    watchdog.start()
    seen: list[str] = []
    ready = False
    for line in proc.stdout:  # blocking reads until the line, or EOF when the process exits
        seen.append(line)
        if "Running on" in line:
            ready = True
            break
    watchdog.cancel()
    if not ready:
        code = proc.wait()
        pytest.fail(f"moto_server ({' '.join(_server_command(port))}) exited with code {code} before it was "
                    f"ready (killed by the {STARTUP_WATCHDOG_S:.0f} s watchdog if negative). Its output:\n"
                    + "".join(seen))
    if f"127.0.0.1:{port}" not in seen[-1]:
        proc.kill()
        proc.wait()
        pytest.fail(f"moto_server did not start on 127.0.0.1:{port}: {seen[-1]!r}")

    log: collections.deque = collections.deque(seen, maxlen=500)

    def drain() -> None:
        for out in proc.stdout:
            log.append(out)

    threading.Thread(target=drain, name="moto-server-drain", daemon=True).start()
    server = MotoServer(proc, port, log)
    yield server
    proc.terminate()
    killer = threading.Timer(15.0, proc.kill)  # werkzeug exits on SIGTERM; this is the fallback
    killer.daemon = True
    killer.start()
    proc.wait()
    killer.cancel()


def _run_orders(seed: int = 3, endpoint_url: str | None = None, name: str | None = None):
    """Run the example stack for 3 virtual hours; return (result, filled counter, SES sends, account).

    Setup recreates tables and buckets but SES has no reset, and its send count is per account: an
    earlier run under the same name has already added to it, so the sends are counted as a difference."""
    with Simulation(load_stack(STACK), seed=seed, epoch=EPOCH, endpoint_url=endpoint_url, name=name) as sim:
        ses = sim.client("ses")
        sent_before = ses.get_send_quota()["SentLast24Hours"]
        result = sim.run(until=UNTIL)
        filled = _counter(sim)
        sent = ses.get_send_quota()["SentLast24Hours"] - sent_before
        return result, filled, sent, sim.emulator.account_id


def _counter(sim: Simulation) -> int | None:
    item = sim.client("dynamodb").get_item(TableName="orders", Key={"pk": {"S": "COUNTER#filled"}},
                                           ConsistentRead=True).get("Item")
    return None if item is None else int(item["filled"]["N"])


@pytest.fixture(scope="module")
def inprocess_run():
    return _run_orders(seed=3)


# -- (a) the same outcome over HTTP as in-process -----------------------------------------
def test_example_stack_same_outcome_as_inprocess(moto_server, inprocess_run):
    base, base_filled, base_sent, _ = inprocess_run
    result, filled, sent, account = _run_orders(seed=3, endpoint_url=moto_server.url)

    assert base_filled == 3
    assert result.counts == base.counts
    assert result.ledger.summary()["by_status"] == base.ledger.summary()["by_status"]
    assert filled == 3
    assert sent == base_sent == 3.0  # fulfil's send_email calls reached the server's SES
    # Virtual time does not depend on the backend, so the whole trace and ledger agree too.
    assert result.digest() == base.digest()

    # The state really lives in the server, in this simulation's account (not in an in-process mock).
    item = moto_server.client("dynamodb", account).get_item(TableName="orders",
                                                             Key={"pk": {"S": "COUNTER#filled"}})["Item"]
    assert item["filled"] == {"N": "3"}


# -- (b) through localstack-client --------------------------------------------------------
def test_localstack_client_pointed_at_the_moto_server(moto_server, inprocess_run, monkeypatch):
    """localstack-client can target any host:port: ``LOCALSTACK_HOST=host:port`` (read when a Session is
    made) or ``Session(localstack_host="host:port")``. (Its module-level ``client(..., localstack_host=...)``
    shortcut cannot: it forwards the keyword to boto3 as well and raises TypeError.) ``AWS_ENDPOINT_URL``,
    when set, wins over both, and the simulator sets it inside handlers in endpoint mode, so the session is
    made here, outside any handler, with LOCALSTACK_HOST alone. The example's handlers then run with
    ``localstack_client.session`` in place of their ``boto3`` module."""
    import localstack_client.session as ls_session

    from workflows.examples.orders import handlers

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("LOCALSTACK_HOST", f"127.0.0.1:{moto_server.port}")
    monkeypatch.setattr(ls_session, "DEFAULT_SESSION", None)
    session = ls_session._get_default_session()
    for service in ("dynamodb", "ses", "sqs", "events", "lambda"):
        assert session._service_endpoint_mapping[service] == moto_server.url

    used: list[str] = []

    def client(service, **kwargs):
        used.append(service)
        return ls_session.client(service, **kwargs)

    def resource(service, **kwargs):
        used.append(service)
        return ls_session.resource(service, **kwargs)

    monkeypatch.setattr(handlers, "boto3", types.SimpleNamespace(client=client, resource=resource))

    base, *_ = inprocess_run
    result, filled, sent, account = _run_orders(seed=3, endpoint_url=moto_server.url)
    assert {"events", "dynamodb", "sqs", "ses"} <= set(used)  # the handlers' clients came from localstack-client
    assert result.counts == base.counts
    assert result.ledger.summary()["by_status"] == base.ledger.summary()["by_status"]
    assert filled == 3 and sent == 3.0

    # localstack-client as a plain client on the same port: it sees the counter in the simulation's
    # account once it sends the account header, and nothing of it in moto's default account.
    ddb = ls_session.client("dynamodb")
    assert ddb.meta.endpoint_url == moto_server.url
    assert "orders" not in ddb.list_tables()["TableNames"]

    def add_account(params, **_kw):
        params.setdefault("headers", {})[ACCOUNT_HEADER] = account

    ddb.meta.events.register_first("before-call", add_account)
    item = ddb.get_item(TableName="orders", Key={"pk": {"S": "COUNTER#filled"}})["Item"]
    assert item["filled"] == {"N": "3"}


# -- (c) account isolation on one server --------------------------------------------------
def test_two_simulations_on_one_server_keep_separate_tables(moto_server):
    stack = load_stack(STACK)
    a = Simulation(stack, seed=3, epoch=EPOCH, name="desk-a", endpoint_url=moto_server.url)
    b = Simulation(stack, seed=11, epoch=EPOCH, name="desk-b", endpoint_url=moto_server.url)
    assert a.emulator.account_id != b.emulator.account_id
    with a, b:  # both create "orders": in one shared account b's setup would delete a's table
        a.run(until=UNTIL)
        assert _counter(a) == 3
        assert _counter(b) is None  # b's own "orders" table exists and is still empty
        b.run(until=UNTIL)
        assert _counter(a) == 3 and _counter(b) == 3  # not 6: two tables, one per account

    for sim in (a, b):
        ddb = moto_server.client("dynamodb", sim.emulator.account_id)
        assert "orders" in ddb.list_tables()["TableNames"]
        item = ddb.get_item(TableName="orders", Key={"pk": {"S": "COUNTER#filled"}})["Item"]
        assert item["filled"] == {"N": "3"}


# -- S3 addressing through the endpoint -----------------------------------------------------
def _s3_roundtrip(event, context):
    s3 = boto3.client("s3", config=Config(s3={"addressing_style": event["style"]}))
    s3.put_object(Bucket=event["bucket"], Key="day/1.txt", Body=b"hello")
    return s3.get_object(Bucket=event["bucket"], Key="day/1.txt")["Body"].read().decode()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("style", ["path", "virtual"])
def test_s3_addressing_styles_keep_the_bucket(moto_server, host, style):
    """With endpoint http://localhost:PORT a virtual-hosted client sends to reports-bkt.localhost:PORT;
    the emulator must move the bucket into the path when it re-targets the request.

    Each case has its own bucket name: S3 bucket names are global across accounts (in moto as in AWS),
    so the account header does not separate two simulations' buckets of the same name."""
    bucket = f"reports-{host.replace('.', '-')}-{style}"
    stack = stack_from_dict({"name": f"s3-{host}-{style}", "functions": [{"name": "put", "handler": _s3_roundtrip}],
                             "buckets": [{"name": bucket}]})
    with Simulation(stack, endpoint_url=f"http://{host}:{moto_server.port}") as sim:
        out = sim.client("lambda").invoke(FunctionName="put",
                                          Payload=json.dumps({"style": style, "bucket": bucket}).encode())
        assert out.get("FunctionError") is None, out["Payload"].read()
        assert out["Payload"].read() == b'"hello"'
        keys = [o["Key"] for o in sim.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert keys == ["day/1.txt"]
