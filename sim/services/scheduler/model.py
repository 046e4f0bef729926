"""EventBridge Scheduler (and EventBridge scheduled rules) on the virtual clock.

* cron, rate and at expressions in the schedule's time zone
  (``expressions.py``); one-time schedules with ActionAfterCompletion DELETE
  delete themselves after they fire (schedule-types.html).
* A Lambda target is invoked asynchronously with the schedule's Input. A
  failed delivery is retried per the schedule's RetryPolicy (default 185
  attempts within 24 h) and then dropped or sent to its dead-letter queue.
* Recurring schedules are daemon timers: they fire while a run goes on but
  never keep it alive. A one-time schedule is work: the run waits for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sim.errors import AwsError, ResourceNotFoundException, ValidationException
from sim.services.base import Kernel, Target
from sim.services.scheduler.expressions import ScheduleExpression, parse_schedule_expression
from sim.stack.spec import ScheduleSpec, TargetRetryPolicy, TargetSpec

BACKOFF_CAP_S = 600.0


@dataclass
class Schedule:
    spec: ScheduleSpec
    expression: ScheduleExpression
    created: datetime
    fires: int = 0
    deleted: bool = False
    tags: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.spec.group, self.spec.name)


class SchedulerService:
    def __init__(self, k: Kernel, schedules: list[ScheduleSpec], scheduled_rules: list[tuple[str, str]]) -> None:
        self.k = k
        self.schedules: dict[tuple[str, str], Schedule] = {}
        self._initial = list(schedules)
        self._rules = list(scheduled_rules)  # (rule name, expression), EventBridge scheduled rules (UTC)

    def start(self) -> None:
        for spec in self._initial:
            self.create(spec)
        for name, expr in self._rules:
            parsed = parse_schedule_expression(expr, "UTC")
            self.k.clock.process(self._rule_ticks(name, parsed))

    # -- lifecycle ---------------------------------------------------------------
    def create(self, spec: ScheduleSpec) -> Schedule:
        key = (spec.group, spec.name)
        if key in self.schedules:
            raise AwsError(f"Schedule {spec.name} already exists.", "ConflictException")
        sched = Schedule(spec, parse_schedule_expression(spec.expression, spec.timezone), self.k.clock.now())
        self.schedules[key] = sched
        self.k.trace.add(self.k.clock.now_s, "schedule.created", spec.name, expression=spec.expression,
                         timezone=spec.timezone, group=spec.group)
        if spec.state == "ENABLED":
            self.k.clock.process(self._ticks(sched))
        return sched

    def delete(self, group: str, name: str, reason: str = "DeleteSchedule") -> None:
        sched = self.schedules.pop((group, name), None)
        if sched is None:
            raise ResourceNotFoundException(f"Schedule {name} does not exist.")
        sched.deleted = True
        self.k.trace.add(self.k.clock.now_s, "schedule.deleted", name, group=group, reason=reason)

    def _ticks(self, sched: Schedule):
        clock = self.k.clock
        last = clock.now()
        if sched.expression.kind == "rate":
            # without a StartDate a rate schedule "starts invoking the target immediately"
            last -= timedelta(microseconds=1)
        while not sched.deleted:
            nxt = sched.expression.next_fire(last, start=sched.created if sched.expression.kind == "rate" else None)
            if nxt is None:
                return
            one_time = sched.expression.kind == "at"
            yield clock.timeout((nxt - clock.now()).total_seconds(), daemon=not one_time)
            if sched.deleted:
                return
            last = nxt
            offset = 0.0
            if sched.spec.flexible_window_minutes:
                offset = self.k.streams.rng(f"scheduler.flex.{sched.spec.name}").uniform(0, sched.spec.flexible_window_minutes * 60)
            clock.process(self._fire(sched, offset))
            if one_time:
                if sched.spec.action_after_completion == "DELETE":
                    self.delete(sched.spec.group, sched.spec.name, reason="ActionAfterCompletion DELETE")
                return

    def _rule_ticks(self, rule: str, expr: ScheduleExpression):
        clock = self.k.clock
        last = clock.now()
        while True:
            nxt = expr.next_fire(last, start=clock.epoch if expr.kind == "rate" else None)
            if nxt is None:
                return
            yield clock.timeout((nxt - clock.now()).total_seconds(), daemon=True)
            last = nxt
            try:
                yield from self.k.router.send(Target("rule", rule), None, origin=f"schedule:{rule}")
            except AwsError as exc:
                self.k.trace.add(clock.now_s, "schedule.failed", rule, error=exc.code)

    # -- firing ------------------------------------------------------------------
    def _fire(self, sched: Schedule, offset_s: float):
        k, clock = self.k, self.k.clock
        if offset_s:
            yield clock.timeout(offset_s)
        sched.fires += 1
        msg_id = f"schedule/{sched.spec.group}/{sched.spec.name}/{sched.fires}"
        k.ledger.open(clock.now_s, msg_id, "schedule-fire", f"schedule:{sched.spec.name}")
        k.trace.add(clock.now_s, "schedule.fired", sched.spec.name, target=sched.spec.target.arn, fire=sched.fires)
        target, policy = sched.spec.target, sched.spec.retry_policy
        started, attempt = clock.now_s, 0
        payload = json.loads(target.input) if target.input else {}
        while True:
            attempt += 1
            try:
                late, copies = 0.0, 1
                for action in k.faults.check("delivery", clock.now_s, channel="scheduler", resource=sched.spec.name,
                                             attempt=attempt - 1):
                    if action.kind == "raise_error":
                        raise AwsError(action.message or f"injected {action.code}", action.code)
                    if action.kind == "drop":
                        k.ledger.close(clock.now_s, msg_id, "dropped", "fault: schedule delivery dropped")
                        return
                    if action.kind == "delay":
                        late += action.seconds
                    elif action.kind == "reorder":
                        late += k.streams.rng("scheduler.reorder").uniform(0.0, action.seconds)
                    elif action.kind == "duplicate":
                        copies += 1  # Scheduler delivers at least once
                if late:
                    yield clock.timeout(late)
                for _ in range(copies):
                    yield from k.router.send(k.router.resolve(target.arn), payload,
                                             origin=f"scheduler:{sched.spec.name}",
                                             message_group_id=target.message_group_id)
                k.ledger.close(clock.now_s, msg_id, "delivered", f"{target.arn} (attempt {attempt})")
                return
            except AwsError as exc:
                k.trace.add(clock.now_s, "schedule.delivery-failed", sched.spec.name, attempt=attempt, error=exc.code)
                age = clock.now_s - started
                if exc.code == "ResourceNotFoundException" or attempt > policy.maximum_retry_attempts \
                        or age >= policy.maximum_event_age_s:
                    yield from self._give_up(sched, msg_id, exc, attempt)
                    return
                delay = min(BACKOFF_CAP_S, 2.0 ** (attempt - 1)) * k.streams.rng("scheduler.backoff").uniform(0.8, 1.2)
                yield clock.timeout(min(delay, policy.maximum_event_age_s - age))

    def _give_up(self, sched: Schedule, msg_id: str, error: AwsError, attempts: int):
        k = self.k
        dlq = sched.spec.target.dead_letter_queue
        if dlq:
            try:
                yield from k.router.send(Target("sqs", dlq), json.dumps({"schedule": sched.spec.name}),
                                         origin=f"scheduler:{sched.spec.name}:dlq")
                k.ledger.close(k.clock.now_s, msg_id, "dlq", f"{dlq}: {error.code}")
                return
            except AwsError as dlq_error:  # the DLQ itself failed: say so in the drop reason
                error = AwsError(f"dead-letter queue {dlq} failed too: {dlq_error.code}", error.code)
        detail = f" ({error.message})" if error.message else ""
        k.ledger.close(k.clock.now_s, msg_id, "dropped", f"retries exhausted after {attempts}: {error.code}{detail}")

    # -- the boto3 API -----------------------------------------------------------
    def api(self, op: str, params: dict, caller: str):
        group = params.get("GroupName", "default")
        if op == "CreateSchedule":
            sched = self.create(self._spec_from_api(params))
            return {"ScheduleArn": self._arn(sched.spec)}
        if op == "DeleteSchedule":
            self.delete(group, params["Name"])
            return {}
        if op == "GetSchedule":
            sched = self.schedules.get((group, params["Name"]))
            if sched is None:
                raise ResourceNotFoundException(f"Schedule {params['Name']} does not exist.")
            return self._describe(sched)
        if op == "ListSchedules":
            return {"Schedules": [{"Name": s.spec.name, "GroupName": s.spec.group, "Arn": self._arn(s.spec),
                                   "State": s.spec.state} for s in self.schedules.values()
                                  if s.spec.name.startswith(params.get("NamePrefix", ""))]}
        raise ValidationException(f"the simulator does not model scheduler:{op}")
        yield  # pragma: no cover

    def _arn(self, spec: ScheduleSpec) -> str:
        return self.k.arn("scheduler", f"schedule/{spec.group}/{spec.name}")

    def _describe(self, sched: Schedule) -> dict:
        s = sched.spec
        return {"Name": s.name, "GroupName": s.group, "Arn": self._arn(s), "ScheduleExpression": s.expression,
                "ScheduleExpressionTimezone": s.timezone, "State": s.state,
                "ActionAfterCompletion": s.action_after_completion,
                "Target": {"Arn": s.target.arn, "RoleArn": self.k.arn("iam", "role/scheduler"),
                           **({"Input": s.target.input} if s.target.input is not None else {})},
                "FlexibleTimeWindow": {"Mode": "FLEXIBLE" if s.flexible_window_minutes else "OFF"}}

    def _spec_from_api(self, p: dict) -> ScheduleSpec:
        t = p["Target"]
        retry = t.get("RetryPolicy") or {}
        window = p.get("FlexibleTimeWindow") or {"Mode": "OFF"}
        try:
            return ScheduleSpec(
                name=p["Name"], group=p.get("GroupName", "default"), expression=p["ScheduleExpression"],
                timezone=p.get("ScheduleExpressionTimezone", "UTC"),
                target=TargetSpec(arn=t["Arn"], input=t.get("Input"),
                                  message_group_id=(t.get("SqsParameters") or {}).get("MessageGroupId"),
                                  dead_letter_queue=((t.get("DeadLetterConfig") or {}).get("Arn") or "").rsplit(":", 1)[-1] or None),
                action_after_completion=p.get("ActionAfterCompletion", "NONE"),
                flexible_window_minutes=window.get("MaximumWindowInMinutes") if window.get("Mode") == "FLEXIBLE" else None,
                state=p.get("State", "ENABLED"),
                retry_policy=TargetRetryPolicy(maximum_retry_attempts=retry.get("MaximumRetryAttempts", 185),
                                               maximum_event_age_s=retry.get("MaximumEventAgeInSeconds", 86400)))
        except (KeyError, ValueError) as exc:
            raise ValidationException(f"Invalid CreateSchedule request: {exc}") from None
