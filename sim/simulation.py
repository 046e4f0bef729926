"""The composition root: one Simulation per variant, owning everything it uses.

    with Simulation(stack, seed=7, epoch="2026-01-12T09:00", tz="America/New_York") as sim:
        sim.client("lambda").invoke(FunctionName="producer", InvocationType="Event", Payload=b"{}")
        result = sim.run()

No global registries: the clock, streams, trace, ledger, services and emulator
account all hang off the instance, so two simulations interleave in one
process without seeing each other.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


import botocore
from botocore.exceptions import ClientError, ParamValidationError

from sim.api import ApiFront
from sim.clock import Clock
from sim.emulator import Emulator, account_for
from sim.errors import AwsError, ConfigError, ResourceNotFoundException, SimError, StepBudgetExceeded
from sim.faults import FaultPlan, Injector
from sim.ledger import Ledger
from sim.result import RunResult
from sim.runtime import gcfreeze, interpose
from sim.runtime.calls import PROCEED, ApiCall
from sim.runtime.http import App, HttpCall, HttpFront
from sim.runtime.retries import RetryPolicy
from sim.services.base import Kernel, Target
from sim.services.dynamodb.ttl import TtlSweeper
from sim.services.events.model import EventsService
from sim.services.lambda_ import LambdaService
from sim.services.scheduler.model import SchedulerService
from sim.services.sqs import SqsService
from sim.services.sqs.esm import Poller
from sim.services.stepfunctions.model import StepFunctionsService
from sim.stack.load import substitute
from sim.stack.spec import Stack
from sim.streams import Streams
from sim.trace import Trace

interpose.install()


def parse_epoch(epoch: datetime | str, tz: str) -> datetime:
    if isinstance(epoch, str):
        try:
            epoch = datetime.fromisoformat(epoch)
        except ValueError:
            raise ConfigError(f"bad epoch {epoch!r}: use ISO 8601, e.g. 2026-01-12T09:00") from None
    if epoch.tzinfo is None:
        epoch = epoch.replace(tzinfo=ZoneInfo(tz))
    return epoch


class Simulation:
    def __init__(self, stack: Stack, *, seed: int = 0, epoch: datetime | str = "2026-01-12T09:00",
                 tz: str = "America/New_York", faults: FaultPlan | None = None, name: str | None = None,
                 endpoint_url: str | None = None, account_id: str | None = None,
                 account_concurrency: int = 1000, ttl_deletion_delay_s: float = 0.0,
                 step_budget: int = 5_000_000) -> None:
        self.name = name or stack.name
        account = account_id or account_for(self.name)
        stack = substitute(stack, account, stack.region, stack.name)
        self.stack = stack
        self.seed = seed
        self.clock = Clock(parse_epoch(epoch, tz), tz)
        self.streams = Streams(seed)
        self.trace = Trace(self.name)
        self.ledger = Ledger()
        self.faults = faults or FaultPlan()
        self.injector = Injector(self.faults, self.streams.rng("faults"), self._record_fault)
        self.emulator = Emulator(endpoint_url, account, stack.region)
        self.kernel = Kernel(self.clock, self.streams, self.trace, self.ledger, self.injector, self,
                             self.emulator.account_id, stack.region, self.name)
        self.lambda_ = LambdaService(self.kernel, stack.functions, account_concurrency, self)
        self.sqs = SqsService(self.kernel, stack.queues)
        self.events = EventsService(self.kernel, stack.buses, stack.rules)
        scheduled_rules = [(r.name, r.schedule_expression) for r in stack.rules if r.schedule_expression]
        self.scheduler = SchedulerService(self.kernel, stack.schedules, scheduled_rules)
        self.stepfunctions = StepFunctionsService(self.kernel, stack.state_machines)
        self.services: dict[str, Any] = {"lambda": self.lambda_, "sqs": self.sqs, "events": self.events,
                                         "scheduler": self.scheduler, "stepfunctions": self.stepfunctions}
        self.pollers = [Poller(self.kernel, self.sqs, m, _FunctionPort(self)) for m in stack.event_source_mappings]
        self.ttl = TtlSweeper(self.kernel, stack.tables, self.emulator.client, ttl_deletion_delay_s, self.emulator)
        self.api = ApiFront(self)
        self.http = HttpFront(self.kernel)
        self.step_budget = step_budget
        self.steps = 0
        self._started = False
        self._closed = False
        self._running = False
        self._clients: dict[str, Any] = {}
        self._check_targets()

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> "Simulation":
        if self._started:
            return self
        self.emulator.start()
        self.emulator.setup(self.stack)
        self.lambda_.load_handlers()
        for poller in self.pollers:
            poller.start()
        self.scheduler.start()
        self._started = True
        gcfreeze.hold()
        return self

    def close(self) -> None:
        if self._started and not self._closed:
            self._closed = True
            gcfreeze.release()
        self.emulator.stop(self.stack)

    def __enter__(self) -> "Simulation":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- driving the clock ---------------------------------------------------------
    def run(self, until: float | datetime | None = None) -> RunResult:
        """Run until nothing but daemon timers remain, or until ``until`` (seconds or datetime)."""
        self.start()
        limit = self._limit_s(until)
        env = self.clock.env
        self._running = True
        try:
            while True:
                if limit is None and self.clock.quiescent:
                    break
                nxt = env.peek()
                if nxt == float("inf") or (limit is not None and nxt > limit):
                    break
                self._step()
            if limit is not None and limit > env.now:
                env.run(until=limit)
        finally:
            self._running = False
        return self.result()

    def advance(self, seconds: float) -> RunResult:
        return self.run(until=self.clock.now_s + seconds)

    def run_until_done(self, event) -> Any:
        """Advance the clock until ``event`` (a SimPy event or process) has happened."""
        env = self.clock.env
        while not event.processed:
            if env.peek() == float("inf"):
                raise SimError("the simulation ran out of events before the awaited one happened")
            self._step()
        if not event.ok:
            raise event.value
        return event.value

    def _step(self) -> None:
        self.steps += 1
        if self.steps > self.step_budget:
            busiest = Counter(r["actor"] for r in self.trace.records[-1000:]).most_common(1)
            who = f"; busiest actor recently: {busiest[0][0]}" if busiest else ""
            raise StepBudgetExceeded(f"{self.name}: more than {self.step_budget} kernel steps{who}; "
                                     f"a loop on the clock that never ends? raise step_budget if the run is just long")
        self.clock.env.step()

    def _limit_s(self, until: float | datetime | None) -> float | None:
        if until is None:
            return None
        if isinstance(until, datetime):
            return (parse_epoch(until, str(self.clock.tz)) - self.clock.epoch).total_seconds()
        return float(until)

    # -- randomness ------------------------------------------------------------------
    def rng(self, name: str):
        """The named, seeded random stream ``name`` (e.g. "lambda.duration.strategy-worker")."""
        return self.streams.rng(name)

    # -- control plane: boto3 clients bound to this simulation -----------------------
    def client(self, service: str):
        """A boto3 client whose calls this simulation serves (advancing its clock as needed)."""
        self.start()
        if service not in self._clients:
            self._clients[service] = self._new_client(service)
        return self._clients[service]

    def _new_client(self, service: str):
        client = self.emulator.make_client(service, {"mode": "standard"})

        def mark(context, **_kw):
            context[interpose.CONTROL_KEY] = self

        client.meta.events.register_first("before-parameter-build", mark)
        return client

    # -- HTTP services mounted into the simulation -------------------------------------
    def mount_http(self, host: str, app: App, *, median_latency_s: float | None = None) -> None:
        """Serve handlers' ``requests`` calls to ``host`` with ``app(HttpRequest) -> HttpResponse``,
        in-process, on this simulation's clock (see ``sim/runtime/http.py``)."""
        self.http.mount(host, app, median_latency_s)

    def serve_call(self, inv, call: ApiCall | HttpCall):
        """SimProcess: the reply to what a handler asked at a scheduling point."""
        if isinstance(call, HttpCall):
            return (yield from self.http.serve(inv, call))
        return (yield from self.api.serve(inv, call))

    def control_call(self, call: ApiCall):
        if self._running:
            raise SimError("a control-plane client was called while the simulation is running; "
                           "call it between runs, not from a SimPy callback")
        proc = self.clock.process(self.api.serve(None, call))
        return self.run_until_done(proc)

    # -- observation hooks -----------------------------------------------------------
    def observe_emulator_call(self, service: str, op: str, params: dict, status: int, parsed: dict) -> None:
        if service == "dynamodb" and status < 300:
            self.ttl.observe(op, params)

    def _record_fault(self, rule: str, point: str, **attrs: Any) -> None:
        self.trace.add(self.clock.now_s, "fault", rule, point=point, **attrs)

    # -- the router (cross-service deliveries) -----------------------------------------
    def resolve(self, ref: str) -> Target:
        if ref.startswith("arn:"):
            parts = ref.split(":")
            service, resource = parts[2], ":".join(parts[5:])
            if service == "lambda":
                return Target("lambda", resource.split("function:")[-1].split(":")[0])
            if service == "sqs":
                return Target("sqs", resource)
            if service == "events":
                return Target("events", resource.rsplit("/", 1)[-1])
            if service == "states":
                return Target("states", resource.rsplit(":", 1)[-1])
            raise ConfigError(f"target {ref!r}: service {service!r} is not a supported target")
        kind, sep, name = ref.partition(":")
        if sep and kind in ("function", "lambda", "queue", "sqs", "bus", "events", "statemachine", "states"):
            return Target({"function": "lambda", "queue": "sqs", "bus": "events", "statemachine": "states"}.get(kind, kind), name)
        if ref in self.lambda_.functions:
            return Target("lambda", ref)
        if ref in self.sqs.queues:
            return Target("sqs", ref)
        raise ConfigError(f"target {ref!r} names no function or queue of stack {self.stack.name!r}")

    def send(self, target: Target, payload: Any, origin: str, **opts: Any):
        if target.kind == "lambda":
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.lambda_.invoke_async(self.lambda_.spec(target.name), body, origin)
        elif target.kind == "sqs":
            body = payload if isinstance(payload, str) else json.dumps(payload)
            group = opts.get("message_group_id")
            dedup = hashlib.sha256(body.encode()).hexdigest() if self.sqs.queue(target.name).fifo and group else None
            self.sqs.send(self.sqs.queue(target.name), body, origin, opts.get("message_attributes"),
                          group_id=group, dedup_id=dedup)
        elif target.kind == "events":
            self._send_to_bus(target.name, payload, origin, opts)
        elif target.kind == "rule":
            self._fire_scheduled_rule(target.name)
        elif target.kind == "states":
            sfn = self.stepfunctions
            sfn.start(sfn.machine(target.name), payload if isinstance(payload, str) else json.dumps(payload),
                      None, origin)
        else:
            raise ResourceNotFoundException(f"{target}: this simulation has no {target.kind} target of that name")
        return None
        yield  # pragma: no cover - a generator, like every delivery

    def call_api(self, service: str, operation: str, params: dict, caller: str):
        """SimProcess -> (status, parsed): one AWS call made by the simulator itself (a Step
        Functions integration), through the API front: faults, latency, then a modelled
        service or the emulator. No SDK retries: Step Functions retries are the ASL's Retry."""
        call = ApiCall(service, operation, params, NO_RETRIES)
        reply = yield from self.api.serve(None, call, caller=caller)
        if reply is not PROCEED:
            return reply.status, reply.parsed
        client = self.emulator.client(service)
        method = getattr(client, botocore.xform_name(operation))
        try:
            parsed = method(**params)
        except ClientError as exc:
            return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400), exc.response
        except ParamValidationError as exc:
            return 400, {"Error": {"Code": "ValidationException", "Message": str(exc)}}
        self.observe_emulator_call(service, operation, params, 200, parsed)
        return 200, parsed

    def _send_to_bus(self, bus: str, payload: Any, origin: str, opts: dict) -> None:
        if "success" in opts:  # a Lambda destination record
            kind = "Success" if opts["success"] else "Failure"
            entry = {"Source": "lambda", "DetailType": f"Lambda Function Invocation Result - {kind}",
                     "Detail": json.dumps(payload), "EventBusName": bus}
            result = self.events.put_entry(entry, origin)
            if "ErrorCode" in result:
                raise AwsError(result["ErrorMessage"], result["ErrorCode"])
        else:
            if bus not in self.events.buses:
                raise ResourceNotFoundException(f"Event bus {bus} does not exist.")
            self.events.route(payload, bus, origin)

    def _fire_scheduled_rule(self, name: str) -> None:
        rule = next(r for r in self.events.rules if r.name == name)
        event = {"version": "0", "id": self.kernel.uuid("events.id"), "detail-type": "Scheduled Event",
                 "source": "aws.events", "account": self.kernel.account_id,
                 "time": self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "region": self.kernel.region,
                 "resources": [self.events.rule_arn(rule)], "detail": {}}
        self.trace.add(self.clock.now_s, "events.scheduled", name, event_id=event["id"])
        for i, target in enumerate(rule.targets):
            self.events.dispatch(event, rule, target, i, origin=f"schedule:{name}")

    def _check_targets(self) -> None:
        refs = [(f"rule {r.name!r}", t.arn) for r in self.stack.rules for t in r.targets]
        refs += [(f"schedule {s.name!r}", s.target.arn) for s in self.stack.schedules]
        for f in self.stack.functions:
            for dest in (f.async_config.on_success, f.async_config.on_failure):
                if dest:
                    refs.append((f"function {f.name!r} destination", dest))
        for where, ref in refs:
            target = self.resolve(ref)
            known = {"lambda": self.lambda_.functions, "sqs": self.sqs.queues, "events": self.events.buses,
                     "states": {m.name for m in self.stepfunctions.machines.values()}}
            if target.kind in known and target.name not in known[target.kind]:
                raise ConfigError(f"stack {self.stack.name!r}: {where} targets {ref!r}, which is not in the stack")

    # -- results ---------------------------------------------------------------------
    def result(self) -> RunResult:
        return RunResult.from_simulation(self)


NO_RETRIES = RetryPolicy("standard", 1, "states")


class _FunctionPort:
    """Lambda as an SQS poller sees it."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def try_acquire(self, function: str) -> str | None:
        return self.sim.lambda_.try_acquire(self.sim.lambda_.spec(function))

    def release(self, function: str) -> None:
        self.sim.lambda_.release(self.sim.lambda_.spec(function))

    def capacity_freed(self, function: str):
        return self.sim.lambda_.capacity_event(function)

    def invoke_for_queue(self, function: str, payload: bytes):
        lam = self.sim.lambda_
        spec = lam.spec(function)
        return (yield from lam.run(spec, payload, self.sim.kernel.uuid("lambda.request"), 0, "SQS"))
