"""Stack definitions: the resources of one variant, as pydantic models."""

from sim.stack.spec import (
    AsyncConfig,
    BucketSpec,
    DurationModel,
    EventSourceMappingSpec,
    FunctionSpec,
    QueueSpec,
    RedrivePolicy,
    RuleSpec,
    ScheduleSpec,
    Stack,
    TableSpec,
    TargetRetryPolicy,
    TargetSpec,
)
from sim.stack.load import load_stack

__all__ = [
    "AsyncConfig", "BucketSpec", "DurationModel", "EventSourceMappingSpec", "FunctionSpec", "QueueSpec",
    "RedrivePolicy", "RuleSpec", "ScheduleSpec", "Stack", "TableSpec", "TargetRetryPolicy", "TargetSpec",
    "load_stack",
]
