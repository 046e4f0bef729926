"""Safety (loopback only, fake credentials, no AWS) and clear errors for bad stacks."""

from __future__ import annotations

import json
import os

import boto3
import pytest

from sim import Simulation
from sim.emulator import check_loopback
from sim.errors import ConfigError, SafetyError
from sim.stack import load_stack
from tests.unit.sim.conftest import fn, make_stack


@pytest.mark.parametrize("url", ["https://dynamodb.us-east-1.amazonaws.com", "http://10.0.0.5:4566",
                                 "http://192.168.1.2:4566", "http://example.com:4566", "ftp://127.0.0.1"])
def test_non_loopback_endpoints_are_refused(url):
    with pytest.raises(SafetyError):
        check_loopback(url)
    with pytest.raises(SafetyError, match="loopback|http"):
        Simulation(make_stack(), endpoint_url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:4566", "http://localhost:5000", "http://[::1]:4566",
                                 "http://127.0.0.2:9"])
def test_loopback_endpoints_are_accepted(url):
    assert check_loopback(url)


def who_am_i(event, context):
    return {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "TZ",
                                            "AWS_LAMBDA_FUNCTION_NAME", "STAGE")}


def test_handlers_run_with_fake_credentials_and_their_own_environment(simulate, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY")
    sim = simulate(make_stack(functions=[fn("w", who_am_i, environment={"STAGE": "dev"})]))
    outside = os.environ["AWS_ACCESS_KEY_ID"]  # moto's own fake key while the emulator is active
    env = json.loads(sim.client("lambda").invoke(FunctionName="w", Payload=b"{}")["Payload"].read())
    assert env["AWS_ACCESS_KEY_ID"] == sim.kernel.account_id and env["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "w" and env["STAGE"] == "dev" and env["TZ"] == "UTC"  # set by the time pin, as in Lambda
    assert os.environ["AWS_ACCESS_KEY_ID"] == outside != "AKIAREALLOOKINGKEY"  # restored outside the handler
    assert "STAGE" not in os.environ


def reads_table(event, context):
    boto3.client("dynamodb").list_tables()


def test_emulator_calls_are_refused_when_the_in_process_emulator_is_not_active():
    sim = Simulation(make_stack(functions=[fn("r", reads_table)])).start()
    sim.close()  # the emulator is stopped: a handler call must not escape to AWS
    sim.lambda_.load_handlers()
    out = sim.client("lambda").invoke(FunctionName="r", Payload=b"{}")
    doc = json.loads(out["Payload"].read())
    assert doc["errorType"] == "SafetyError" and "not active" in doc["errorMessage"]


def test_yaml_errors_name_the_file_the_field_and_the_fix(tmp_path):
    f = tmp_path / "stack.yaml"
    f.write_text("name: s\nfunctions:\n  - name: f\n    handler: x:y\n    timeout_s: 901\n")
    with pytest.raises(ConfigError) as info:
        load_stack(f)
    msg = str(info.value)
    assert "stack.yaml" in msg and "functions.0.timeout_s" in msg and "900" in msg
    f.write_text("name: s\nfunctions: [\n")
    with pytest.raises(ConfigError, match=r"stack.yaml:\d+:\d+: not valid YAML"):
        load_stack(f)
    with pytest.raises(ConfigError, match="not found"):
        load_stack(tmp_path / "missing.yaml")


def test_dangling_references_are_refused():
    with pytest.raises(ConfigError, match="redrive dead_letter_queue 'nope'"):
        make_stack(queues=[{"name": "q", "redrive": {"dead_letter_queue": "nope", "max_receive_count": 3}}])
    with pytest.raises(ConfigError, match="event source mapping: function 'ghost'"):
        make_stack(queues=[{"name": "q"}], event_source_mappings=[{"queue": "q", "function": "ghost"}])
    with pytest.raises(ConfigError, match="targets 'function:ghost'"):
        Simulation(make_stack(rules=[{"name": "r", "event_pattern": {"source": ["x"]},
                                      "targets": [{"arn": "function:ghost"}]}]))


def test_bad_handler_path_is_a_config_error():
    sim = Simulation(make_stack(functions=[fn("f", "no.such.module:handler")]))
    with pytest.raises(ConfigError, match="cannot load handler 'no.such.module:handler'"):
        sim.start()
    sim.close()


def test_trace_exports_jsonl_and_chrome_trace(simulate, tmp_path):
    sim = simulate(make_stack(functions=[fn("w", who_am_i)]))
    sim.client("lambda").invoke(FunctionName="w", Payload=b"{}")
    paths = sim.run().write(tmp_path)
    lines = paths["trace"].read_text().splitlines()
    assert all(json.loads(line)["kind"] for line in lines)
    chrome = json.loads(paths["timeline"].read_text())
    spans = [e for e in chrome["traceEvents"] if e["ph"] == "X"]
    assert len(spans) == 1 and spans[0]["name"] == "w" and spans[0]["dur"] >= 1
    assert json.loads(paths["summary"].read_text())["ledger"]["total"] == 0


def phones_home(event, context):
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.connect((event["host"], 443))  # refused by the guard before any packet is sent
    finally:
        sock.close()


def test_handlers_cannot_open_sockets_outside_the_machine(simulate):
    sim = simulate(make_stack(functions=[fn("p", phones_home)]))
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never routed, and the guard refuses it anyway
    out = sim.client("lambda").invoke(FunctionName="p", Payload=b'{"host": "192.0.2.1"}')
    doc = json.loads(out["Payload"].read())
    assert doc["errorType"] == "SafetyError" and "only reach loopback" in doc["errorMessage"]
    out = sim.client("lambda").invoke(FunctionName="p", Payload=b'{"host": "api.alpaca.markets"}')
    assert json.loads(out["Payload"].read())["errorType"] == "SafetyError"
