"""The resources of a stack. Defaults and limits are AWS's, each with its source.

A stack is data: it can be written in YAML (``load_stack``) or built in Python.
Handlers are import paths ("package.module:function") or callables.
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class DurationModel(_Model):
    """Virtual seconds a step takes: fixed, lognormal, or drawn from a recorded sample."""

    kind: Literal["fixed", "lognormal", "sample"] = "fixed"
    seconds: float = Field(0.0, ge=0)
    median_s: float = Field(0.1, gt=0)
    sigma: float = Field(0.25, ge=0)
    samples: list[float] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> "DurationModel":
        if self.kind == "sample" and not self.samples:
            raise ValueError("a 'sample' duration model needs a non-empty 'samples' list")
        return self

    def draw(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            return self.seconds
        if self.kind == "lognormal":
            return self.median_s * math.exp(rng.gauss(0.0, self.sigma))
        return rng.choice(self.samples)


def fixed(seconds: float) -> DurationModel:
    return DurationModel(kind="fixed", seconds=seconds)


class AsyncConfig(_Model):
    """EventInvokeConfig. Defaults: 2 retries, 6 h event age, no destinations
    (docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html)."""

    maximum_retry_attempts: int = Field(2, ge=0, le=2)
    maximum_event_age_s: int = Field(21600, ge=60, le=21600)
    on_success: str | None = None  # destination: function, queue, or "bus:<name>"
    on_failure: str | None = None


class FunctionSpec(_Model):
    name: str
    handler: Union[str, Callable[..., Any]]
    timeout_s: float = Field(3.0, ge=1, le=900)  # Lambda default 3 s, max 900 s
    memory_mb: int = Field(128, ge=128, le=10240)
    reserved_concurrency: int | None = Field(None, ge=0)
    environment: dict[str, str] = Field(default_factory=dict)
    async_config: AsyncConfig = AsyncConfig()
    duration: DurationModel = DurationModel(kind="fixed", seconds=0.05)
    cold_start: DurationModel = DurationModel(kind="fixed", seconds=0.25)
    idle_timeout_s: float = Field(600.0, gt=0)  # how long a warm instance is kept (not documented by AWS)


class TargetRetryPolicy(_Model):
    """EventBridge target RetryPolicy. Defaults: 185 attempts, 24 h
    (docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html)."""

    maximum_retry_attempts: int = Field(185, ge=0, le=185)
    maximum_event_age_s: int = Field(86400, ge=60, le=86400)


class TargetSpec(_Model):
    """A rule or schedule target: a function, a queue, a bus or a state machine, by name or ARN."""

    id: str = ""
    arn: str
    input: str | None = None  # constant JSON text
    input_path: str | None = None
    input_transformer: dict[str, Any] | None = None
    message_group_id: str | None = None  # SqsParameters for FIFO targets
    retry_policy: TargetRetryPolicy = TargetRetryPolicy()
    dead_letter_queue: str | None = None


class RuleSpec(_Model):
    name: str
    bus: str = "default"
    event_pattern: dict[str, Any] | None = None
    schedule_expression: str | None = None
    state: Literal["ENABLED", "DISABLED"] = "ENABLED"
    targets: list[TargetSpec] = Field(default_factory=list, max_length=5)  # 5 targets per rule

    @model_validator(mode="after")
    def _one_trigger(self) -> "RuleSpec":
        if (self.event_pattern is None) == (self.schedule_expression is None):
            raise ValueError("a rule needs exactly one of event_pattern or schedule_expression")
        return self


class RedrivePolicy(_Model):
    dead_letter_queue: str
    max_receive_count: int = Field(..., ge=1, le=1000)


class QueueSpec(_Model):
    """SQS queue attributes, AWS defaults (docs: SetQueueAttributes)."""

    name: str
    visibility_timeout_s: int = Field(30, ge=0, le=43200)
    retention_s: int = Field(345600, ge=60, le=1209600)
    delay_s: int = Field(0, ge=0, le=900)
    max_message_bytes: int = Field(262144, ge=1024, le=1048576)
    redrive: RedrivePolicy | None = None
    content_based_deduplication: bool = False
    deduplication_scope: Literal["queue", "messageGroup"] = "queue"
    fifo_throughput_limit: Literal["perQueue", "perMessageGroupId"] = "perQueue"

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        stem = v[:-5] if v.endswith(".fifo") else v
        if not stem or len(v) > 80 or not all(c.isalnum() or c in "-_" for c in stem):
            raise ValueError(f"invalid queue name {v!r}: up to 80 letters, digits, '-' or '_' (FIFO ends in .fifo)")
        return v


class EventSourceMappingSpec(_Model):
    queue: str
    function: str
    batch_size: int = Field(10, ge=1, le=10000)  # SQS default 10
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = Field(None, ge=2, le=1000)  # ScalingConfig
    enabled: bool = True


class KeyAttr(_Model):
    name: str
    type: Literal["S", "N", "B"] = "S"


class TableSpec(_Model):
    name: str
    hash_key: KeyAttr
    range_key: KeyAttr | None = None
    ttl_attribute: str | None = None
    global_secondary_indexes: list[dict[str, Any]] = Field(default_factory=list)


class BucketSpec(_Model):
    name: str


class ScheduleSpec(_Model):
    """An EventBridge Scheduler schedule (docs: CreateSchedule)."""

    name: str
    group: str = "default"
    expression: str
    timezone: str = "UTC"
    target: TargetSpec
    action_after_completion: Literal["NONE", "DELETE"] = "NONE"
    flexible_window_minutes: int | None = Field(None, ge=1, le=1440)
    state: Literal["ENABLED", "DISABLED"] = "ENABLED"
    retry_policy: TargetRetryPolicy = TargetRetryPolicy()


class StateMachineSpec(_Model):
    """A Step Functions state machine: its ASL inline or in a JSON file (docs: CreateStateMachine)."""

    name: str = Field(..., min_length=1, max_length=80)
    definition: dict[str, Any] | None = None
    definition_file: str | None = None  # relative paths resolve against the stack file's folder
    type: Literal["STANDARD", "EXPRESS"] = "STANDARD"
    role_arn: str | None = None
    # Literal text replacements applied to the definition before it is created, like SAM's
    # DefinitionSubstitutions but for definitions that carry bare placeholders (e.g. "REGION").
    replacements: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_definition(self) -> "StateMachineSpec":
        if (self.definition is None) == (self.definition_file is None):
            raise ValueError(f"state machine {self.name!r}: give exactly one of 'definition' or 'definition_file'")
        return self

    def definition_text(self) -> str:
        import json
        from pathlib import Path

        if self.definition is not None:
            text = json.dumps(self.definition)
        else:
            path = Path(self.definition_file)
            try:
                text = path.read_text()
            except OSError as exc:
                from sim.errors import ConfigError
                raise ConfigError(f"state machine {self.name!r}: cannot read definition_file {path} "
                                  f"({exc.strerror}); fix the path (relative paths are from the stack file)") from None
        for old, new in self.replacements.items():
            text = text.replace(old, new)
        return text


class Stack(_Model):
    name: str
    region: str = "us-east-1"
    functions: list[FunctionSpec] = Field(default_factory=list)
    buses: list[str] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(default_factory=list)
    queues: list[QueueSpec] = Field(default_factory=list)
    event_source_mappings: list[EventSourceMappingSpec] = Field(default_factory=list)
    tables: list[TableSpec] = Field(default_factory=list)
    buckets: list[BucketSpec] = Field(default_factory=list)
    schedules: list[ScheduleSpec] = Field(default_factory=list)
    ses_identities: list[str] = Field(default_factory=list)
    state_machines: list[StateMachineSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> "Stack":
        check_references(self)
        return self

    def function(self, name: str) -> FunctionSpec:
        for fn in self.functions:
            if fn.name == name:
                return fn
        raise KeyError(name)


def _unique(kind: str, names: list[str]) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ValueError(f"duplicate {kind} name {n!r}")
        seen.add(n)


def check_references(stack: Stack) -> None:
    """Every name a resource refers to exists; names are unique."""
    functions = [f.name for f in stack.functions]
    queues = [q.name for q in stack.queues]
    for kind, names in (("function", functions), ("queue", queues), ("table", [t.name for t in stack.tables]),
                        ("rule", [r.name for r in stack.rules]), ("schedule", [s.name for s in stack.schedules])):
        _unique(kind, names)
    buses = {"default", *stack.buses}
    for q in stack.queues:
        if q.redrive and q.redrive.dead_letter_queue not in queues:
            raise ValueError(f"queue {q.name!r}: redrive dead_letter_queue {q.redrive.dead_letter_queue!r} is not a queue of this stack")
        if q.redrive and q.fifo != q.redrive.dead_letter_queue.endswith(".fifo"):
            raise ValueError(f"queue {q.name!r}: the dead-letter queue of a FIFO queue must be FIFO, and of a standard queue standard")
    for m in stack.event_source_mappings:
        if m.queue not in queues:
            raise ValueError(f"event source mapping: queue {m.queue!r} is not a queue of this stack")
        if m.function not in functions:
            raise ValueError(f"event source mapping: function {m.function!r} is not a function of this stack")
        if m.queue.endswith(".fifo") and m.batch_size > 10:
            raise ValueError(f"event source mapping {m.queue!r}: FIFO queues allow a batch size of at most 10")
    for r in stack.rules:
        if r.bus not in buses:
            raise ValueError(f"rule {r.name!r}: bus {r.bus!r} is not declared in 'buses'")
        for t in r.targets:
            if t.dead_letter_queue and t.dead_letter_queue not in queues:
                raise ValueError(f"rule {r.name!r}: target dead_letter_queue {t.dead_letter_queue!r} is not a queue of this stack")
