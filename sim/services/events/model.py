"""Amazon EventBridge on the virtual clock: buses, rules, targets, retries, DLQs.

* PutEvents validates each entry and answers per entry (ErrorCode and
  ErrorMessage for a failed one, EventId for the rest); an entry over 256 KB,
  sized as AWS sizes it (CalculatePutEventsEntrySize.html), fails.
* Each matching (event, target) pair is delivered by its own process, after a
  seeded delivery latency. A failed delivery is retried with exponential
  backoff until the target's RetryPolicy (default 185 attempts, 24 h) runs
  out, then the event goes to the target's dead-letter queue with AWS's
  message attributes, or is dropped (eb-rule-retry-policy.html,
  eb-rule-dlq.html). AWS does not publish the backoff curve; the model's is
  1 s doubling to a 10-minute cap, with seeded jitter.
"""

from __future__ import annotations

import json
from typing import Any

from sim.errors import AwsError, ResourceNotFoundException, ValidationException
from sim.services.base import Kernel, Target
from sim.services.events.pattern import matches, validate_pattern
from sim.services.events.transform import apply_input
from sim.stack.spec import RuleSpec, TargetSpec

ENTRY_LIMIT_BYTES = 256 * 1024
MAX_ENTRIES = 10
BACKOFF_CAP_S = 600.0


def entry_size(entry: dict) -> int:
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key) or "").encode())
    for res in entry.get("Resources") or []:
        size += len(res.encode())
    return size


class EventsService:
    def __init__(self, k: Kernel, buses: list[str], rules: list[RuleSpec]) -> None:
        self.k = k
        self.buses = {"default", *buses}
        self.archive: list[tuple[float, str, dict]] = []  # (t, bus, event) of every routed event
        self.rules: list[RuleSpec] = []
        self.patterns: dict[str, dict] = {}
        for rule in rules:
            self.add_rule(rule)
        self.put_count = 0
        self.matched_count = 0

    def add_rule(self, rule: RuleSpec) -> None:
        if rule.event_pattern is not None:
            self.patterns[rule.name] = validate_pattern(rule.event_pattern)
        self.rules.append(rule)

    def bus_arn(self, name: str) -> str:
        return self.k.arn("events", f"event-bus/{name}")

    def rule_arn(self, rule: RuleSpec) -> str:
        suffix = f"rule/{rule.name}" if rule.bus == "default" else f"rule/{rule.bus}/{rule.name}"
        return self.k.arn("events", suffix)

    # -- publishing --------------------------------------------------------------
    def put_entry(self, entry: dict, origin: str) -> dict:
        """Validate one PutEvents entry, route it; returns its result entry."""
        problem = self._entry_problem(entry)
        if problem is not None:
            code, message = problem
            self.k.trace.add(self.k.clock.now_s, "events.rejected", entry.get("EventBusName") or "default",
                             error=code, origin=origin)
            return {"ErrorCode": code, "ErrorMessage": message}
        event = self._envelope(entry)
        self.put_count += 1
        self.route(event, entry.get("EventBusName") or "default", origin)
        return {"EventId": event["id"]}

    def _entry_problem(self, entry: dict) -> tuple[str, str] | None:
        for key in ("Source", "DetailType", "Detail"):
            if not entry.get(key):
                return "InvalidArgument", f"Parameter {key} is not valid. Reason: {key} is a required argument."
        try:
            detail = json.loads(entry["Detail"])
        except ValueError:
            return "MalformedDetail", "Detail is malformed."
        if not isinstance(detail, dict):
            return "MalformedDetail", "Detail is malformed."
        if entry_size(entry) > ENTRY_LIMIT_BYTES:
            return "InvalidArgument", "Parameter Entries is not valid. Reason: Event size exceeds the limit of 256 KB."
        bus = (entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
        if bus not in self.buses:
            return "ResourceNotFoundException", f"Event bus {bus} does not exist."
        return None

    def _envelope(self, entry: dict) -> dict:
        k = self.k
        when = entry.get("Time")
        time_text = when.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(when, "strftime") else k.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"version": "0", "id": k.uuid("events.id"), "detail-type": entry["DetailType"],
                "source": entry["Source"], "account": k.account_id, "time": time_text, "region": k.region,
                "resources": list(entry.get("Resources") or []), "detail": json.loads(entry["Detail"])}

    def route(self, event: dict, bus: str, origin: str) -> None:
        k, now = self.k, self.k.clock.now_s
        bus = bus.rsplit("/", 1)[-1]
        matched = [r for r in self.rules if r.bus == bus and r.state == "ENABLED" and r.name in self.patterns
                   and matches(self.patterns[r.name], event)]
        k.trace.add(now, "events.put", bus, event_id=event["id"], source=event["source"],
                    detail_type=event["detail-type"], rules=[r.name for r in matched], origin=origin)
        self.archive.append((now, bus, event))  # what reached each bus, for reports (never read back)
        if not matched:
            k.ledger.open(now, f"{event['id']}", "eventbridge-event", origin)
            k.ledger.close(now, event["id"], "dropped", f"no rule on bus {bus} matched")
            return
        for rule in matched:
            self.matched_count += 1
            for i, target in enumerate(rule.targets):
                self.dispatch(event, rule, target, i, origin)

    def dispatch(self, event: dict, rule: RuleSpec, target: TargetSpec, index: int, origin: str) -> None:
        """Start the delivery of ``event`` through ``rule`` to one target (also used for scheduled rules)."""
        k, now = self.k, self.k.clock.now_s
        msg_id = f"{event['id']}/{rule.name}/{target.id or index}"
        k.ledger.open(now, msg_id, "eventbridge-delivery", f"{origin} via rule {rule.name}")
        copy_delays, extra_delay = [0.0], 0.0
        for action in k.faults.check("delivery", now, channel="events", resource=rule.name):
            if action.kind == "drop":
                k.ledger.close(now, msg_id, "dropped", f"fault: delivery through {rule.name} dropped")
                return
            if action.kind == "duplicate":
                copy_delays.append(action.seconds)  # the copy arrives ``seconds`` after the original
            elif action.kind == "delay":
                extra_delay += action.seconds
            elif action.kind == "reorder":
                extra_delay += k.streams.rng("events.reorder").uniform(0.0, action.seconds)
        for copy, late in enumerate(copy_delays):
            k.clock.process(self._deliver(event, rule, target, msg_id, copy, extra_delay + late))

    def _deliver(self, event: dict, rule: RuleSpec, target: TargetSpec, msg_id: str, copy: int, extra_delay: float):
        k, clock = self.k, self.k.clock
        started = clock.now_s
        yield clock.timeout(k.latency(f"events.delivery.{rule.name}", 0.05) + extra_delay)
        policy, attempt, last_error = target.retry_policy, 0, None
        payload = apply_input(target, event)
        while True:
            attempt += 1
            error = yield from self._attempt(target, payload, msg_id, rule, attempt, copy)
            if error is None:
                self._close(msg_id, copy, "delivered", f"{target.arn} (attempt {attempt})")
                return
            last_error = error
            retryable = error.code not in ("ResourceNotFoundException", "AccessDeniedException")
            age = clock.now_s - started
            if not retryable or attempt > policy.maximum_retry_attempts or age >= policy.maximum_event_age_s:
                break
            delay = min(BACKOFF_CAP_S, 2.0 ** (attempt - 1)) * k.streams.rng("events.backoff").uniform(0.8, 1.2)
            delay = min(delay, policy.maximum_event_age_s - age)
            k.trace.add(clock.now_s, "events.retry", rule.name, event_id=event["id"], target=target.arn,
                        attempt=attempt, delay_s=round(delay, 6), error=error.code)
            yield clock.timeout(delay)
        yield from self._give_up(event, rule, target, msg_id, copy, last_error, attempt)

    def _attempt(self, target: TargetSpec, payload: Any, msg_id: str, rule: RuleSpec, attempt: int, copy: int):
        k = self.k
        for action in k.faults.check("delivery", k.clock.now_s, channel="events", resource=target.arn,
                                     attempt=attempt - 1):
            if action.kind == "raise_error":
                return AwsError(action.message or f"injected {action.code}", action.code)
        try:
            resolved: Target = k.router.resolve(target.arn)
            yield from k.router.send(resolved, payload, origin=f"events:{rule.name}",
                                     message_group_id=target.message_group_id)
        except AwsError as exc:
            k.trace.add(k.clock.now_s, "events.delivery-failed", rule.name, target=target.arn, attempt=attempt,
                        error=exc.code)
            return exc
        k.trace.add(k.clock.now_s, "events.delivered", rule.name, target=target.arn, attempt=attempt,
                    message=msg_id, copy=copy)
        return None

    def _give_up(self, event, rule, target, msg_id, copy, error, attempts):
        k = self.k
        if target.dead_letter_queue:
            body = json.dumps(event)
            attrs = {"RULE_ARN": self.rule_arn(rule), "TARGET_ARN": target.arn,
                     "ERROR_CODE": error.code, "ERROR_MESSAGE": error.message or error.code}
            try:
                yield from k.router.send(Target("sqs", target.dead_letter_queue), body, origin=f"events:{rule.name}:dlq",
                                         message_attributes={n: {"DataType": "String", "StringValue": v}
                                                             for n, v in attrs.items()})
                self._close(msg_id, copy, "dlq", f"{target.dead_letter_queue} after {attempts} attempt(s): {error.code}")
                return
            except AwsError as exc:
                error = exc
        self._close(msg_id, copy, "dropped", f"retries exhausted after {attempts} attempt(s): {error.code}")

    def _close(self, msg_id: str, copy: int, status: str, reason: str) -> None:
        entry = self.k.ledger.entries[msg_id]
        if entry.status == "open":
            self.k.ledger.close(self.k.clock.now_s, msg_id, status, reason)
        else:
            self.k.ledger.note(self.k.clock.now_s, msg_id, f"duplicate {status}", reason)

    # -- the boto3 API -----------------------------------------------------------
    def api(self, op: str, params: dict, caller: str):
        if op == "PutEvents":
            entries = params.get("Entries") or []
            if not 1 <= len(entries) <= MAX_ENTRIES:
                raise ValidationException(f"1 validation error detected: Value at 'entries' failed to satisfy "
                                          f"constraint: Member must have length less than or equal to {MAX_ENTRIES}")
            results = [self.put_entry(e, caller) for e in entries]
            return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}
        if op == "TestEventPattern":
            return {"Result": matches(validate_pattern(params["EventPattern"]), json.loads(params["Event"]))}
        if op == "ListRules":
            bus = params.get("EventBusName", "default")
            return {"Rules": [{"Name": r.name, "Arn": self.rule_arn(r), "EventBusName": r.bus, "State": r.state}
                              for r in self.rules if r.bus == bus]}
        if op == "DescribeEventBus":
            name = params.get("Name", "default")
            if name not in self.buses:
                raise ResourceNotFoundException(f"Event bus {name} does not exist.")
            return {"Name": name, "Arn": self.bus_arn(name)}
        raise ValidationException(f"the simulator does not model events:{op}")
        yield  # pragma: no cover - makes this a generator like every api()
