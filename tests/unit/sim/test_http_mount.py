"""HTTP services mounted into a simulation: handlers' ``requests`` calls are served in-process,
on the virtual clock, traced, open to the fault plan, and never leave the machine."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
import requests

from sim import Simulation
from sim.errors import ConfigError
from sim.faults import FaultPlan
from sim.runtime.http import HttpRequest, HttpResponse, json_response
from tests.unit.sim.conftest import fn, make_stack

HOST = "toy.example.com"


class Toy:
    """A toy service: echoes the request and the (virtual) time at which it answered."""

    def __init__(self, name: str = "toy") -> None:
        self.name = name
        self.seen: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.seen.append(request)
        now = datetime.now(timezone.utc).isoformat()
        if request.path == "/missing":
            return json_response({"code": 40410000, "message": "not here"}, 404)
        return json_response({"app": self.name, "now": now, "method": request.method, "path": request.path,
                              "query": request.query, "body": request.json(),
                              "key": request.headers.get("x-api-key")})


def caller(event, context):
    t0 = datetime.now(timezone.utc).isoformat()
    if event.get("post"):
        r = requests.post(f"https://{HOST}/v2/orders?dry=1", json={"qty": 3}, headers={"X-Api-Key": "k1"})
    else:
        r = requests.get(f"https://{HOST}{event.get('path', '/hello')}", params={"x": "1"})
    t1 = datetime.now(timezone.utc).isoformat()
    return {"status": r.status_code, "body": r.json(), "t0": t0, "t1": t1, "wall": time.time()}


def repeated(event, context):
    return [requests.get(f"https://{HOST}/v2/account").status_code for _ in range(event["n"])]


def phones_home(event, context):
    requests.get("https://unmounted.example.net/v2/account", timeout=1)


def stack():
    return make_stack(functions=[fn("c", caller, timeout_s=60), fn("r", repeated, timeout_s=120), fn("p", phones_home)])


def invoke(sim, function="c", payload=None):
    out = sim.client("lambda").invoke(FunctionName=function, Payload=json.dumps(payload or {}).encode())
    return json.loads(out["Payload"].read())


def mounted(simulate, app=None, **options):
    sim = simulate(stack(), **options)
    sim.mount_http(HOST, app or Toy())
    return sim


def test_a_request_is_served_by_the_app_after_a_latency_on_the_virtual_clock(simulate):
    app = Toy()
    sim = mounted(simulate, app, epoch="2026-01-12T09:00", tz="UTC")
    out = invoke(sim)
    assert out["status"] == 200 and out["body"]["app"] == "toy" and out["body"]["query"] == {"x": "1"}
    t0, t1 = datetime.fromisoformat(out["t0"]), datetime.fromisoformat(out["t1"])
    assert 0 < (t0 - datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)).total_seconds() < 0.2  # the invoke's own latency
    assert 0.01 < (t1 - t0).total_seconds() < 0.5  # a lognormal around 50 ms, on the virtual clock
    # the app ran inside the handler's scope: its datetime.now() is the virtual instant it answered
    assert datetime.fromisoformat(out["body"]["now"]) == t1
    assert out["wall"] == t1.timestamp()
    [rec] = sim.trace.where("http.call")
    assert rec == {"t": round((t1 - sim.clock.epoch).total_seconds(), 6), "kind": "http.call", "actor": "lambda:c",
                   "host": HOST, "method": "GET", "path": "/hello", "status": 200}


def test_method_headers_and_body_reach_the_app(simulate):
    app = Toy()
    sim = mounted(simulate, app)
    out = invoke(sim, payload={"post": True})
    assert out["body"]["method"] == "POST" and out["body"]["body"] == {"qty": 3}
    assert out["body"]["key"] == "k1" and out["body"]["query"] == {"dry": "1"}
    assert app.seen[0].host == HOST and app.seen[0].url.startswith(f"https://{HOST}/v2/orders")


def test_app_errors_are_answered_as_the_app_says(simulate):
    sim = mounted(simulate)
    out = invoke(sim, payload={"path": "/missing"})
    assert out["status"] == 404 and out["body"]["code"] == 40410000
    assert sim.trace.where("http.call")[0]["status"] == 404


def test_the_same_seed_gives_the_same_trace_and_another_seed_other_latencies():
    def run(seed):
        with Simulation(stack(), seed=seed) as sim:
            sim.mount_http(HOST, Toy())
            invoke(sim, "r", {"n": 5})
            return sim.run().trace.to_jsonl()

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_faults_inject_429_and_5xx_without_calling_the_app_and_add_latency(simulate):
    plan = FaultPlan.model_validate({"name": "drill", "rules": [
        {"name": "throttled", "match": {"point": "api_call", "service": f"http:{HOST}", "path": "/v2/*",
                                        "nth": [1]}, "action": {"kind": "throttle"}},
        {"name": "broken", "match": {"point": "api_call", "service": f"http:{HOST}", "operation": "GET",
                                     "nth": [3]},
         "action": {"kind": "raise_error", "code": "50010000", "status": 503, "message": "maintenance"}},
        {"name": "slow", "match": {"point": "api_call", "service": f"http:{HOST}", "nth": [4]},
         "action": {"kind": "latency", "seconds": 30}},
    ]})
    app = Toy()
    sim = mounted(simulate, app, faults=plan)
    assert invoke(sim, "r", {"n": 4}) == [429, 200, 503, 200]
    assert len(app.seen) == 2
    calls = sim.trace.where("http.call")
    assert [c["status"] for c in calls] == [429, 200, 503, 200]
    assert calls[3]["t"] - calls[2]["t"] > 30
    assert sim.result().faults_fired == {"throttled": 1, "broken": 1, "slow": 1}
    fault = sim.trace.where("fault", "throttled")[0]
    assert fault["service"] == f"http:{HOST}" and fault["operation"] == "GET" and fault["path"] == "/v2/account"


def test_a_kill_at_a_request_ends_the_invocation_before_the_app_sees_it(simulate):
    # "the execution Lambda dies as it submits the order": the third GET is never served
    plan = FaultPlan.model_validate({"name": "d", "rules": [
        {"name": "die", "match": {"point": "api_call", "service": f"http:{HOST}", "nth": [3]},
         "action": {"kind": "kill"}}]})
    app = Toy()
    sim = mounted(simulate, app, faults=plan)
    out = invoke(sim, "r", {"n": 4})
    assert out["errorType"] == "Runtime.ExitError" and "signal: killed" in out["errorMessage"]
    assert len(app.seen) == 2 and [c["status"] for c in sim.trace.where("http.call")] == [200, 200]
    assert sim.trace.where("invoke.end", "r")[0]["status"] == "killed"


def test_a_fault_body_is_alpaca_shaped_json(simulate):
    plan = FaultPlan.model_validate({"name": "d", "rules": [
        {"name": "e", "match": {"point": "api_call", "service": f"http:{HOST}"},
         "action": {"kind": "raise_error", "code": "40010001", "status": 422, "message": "bad"}}]})
    out = invoke(mounted(simulate, faults=plan))
    assert out["status"] == 422 and out["body"] == {"code": 40010001, "message": "bad"}


def test_a_path_rule_never_matches_a_boto3_call_and_needs_the_api_call_point():
    from sim.faults.inject import _matches
    from sim.faults.plan import FaultRule

    r = FaultRule.model_validate({"name": "x", "match": {"point": "api_call", "path": "*"},
                                  "action": {"kind": "throttle"}})
    assert not _matches(r, 0.0, {"service": "dynamodb", "operation": "PutItem"})
    assert _matches(r, 0.0, {"service": f"http:{HOST}", "operation": "GET", "path": "/"})
    with pytest.raises(ValueError, match="api_call"):
        FaultRule.model_validate({"name": "x", "match": {"point": "delivery", "path": "/x"},
                                  "action": {"kind": "drop"}})


def test_an_unmounted_host_is_refused_before_any_packet_or_dns_query(simulate):
    sim = mounted(simulate)
    doc = invoke(sim, "p")
    assert doc["errorType"] == "SafetyError" and "unmounted.example.net" in doc["errorMessage"]
    assert sim.trace.where("http.call") == []


def test_two_simulations_mounting_the_same_host_each_see_their_own_app():
    with Simulation(stack(), name="a") as a, Simulation(stack(), name="b") as b:
        a.mount_http(HOST, Toy("first"))
        b.mount_http(HOST, Toy("second"))
        assert invoke(b)["body"]["app"] == "second"
        assert invoke(a)["body"]["app"] == "first"
        assert len(a.trace.where("http.call")) == len(b.trace.where("http.call")) == 1


def test_a_simulation_without_mounts_leaves_requests_alone(simulate):
    sim = simulate(stack())
    doc = invoke(sim, "p")
    assert doc["errorType"] == "SafetyError"  # the socket guard, as before


def test_mount_validation(simulate):
    sim = simulate(stack())
    with pytest.raises(ConfigError, match="bare host"):
        sim.mount_http("https://toy.example.com", Toy())
    with pytest.raises(ConfigError, match="callable"):
        sim.mount_http(HOST, "not an app")
    sim.mount_http(HOST.upper(), Toy(), median_latency_s=0.2)
    with pytest.raises(ConfigError, match="already mounted"):
        sim.mount_http(HOST, Toy())


def test_the_median_latency_is_per_mount(simulate):
    sim = simulate(stack())
    sim.mount_http(HOST, Toy(), median_latency_s=5.0)
    out = invoke(sim)
    elapsed = (datetime.fromisoformat(out["t1"]) - datetime.fromisoformat(out["t0"])).total_seconds()
    assert 1.0 < elapsed < 25.0


def broken_app(request):
    raise KeyError("no route")


def test_an_app_that_raises_fails_the_calling_handler_and_is_traced(simulate):
    sim = mounted(simulate, broken_app)
    doc = invoke(sim)
    assert doc["errorType"] == "KeyError"
    [rec] = sim.trace.where("http.app_error")
    assert rec["host"] == HOST and rec["path"] == "/hello" and "no route" in rec["error"]
