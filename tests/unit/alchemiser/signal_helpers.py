"""Small strategy-side stacks for the Alchemiser tests: build, seed with bars, capture events.

Names follow the real template (``alchemiser-dev-*``). Every event put on the bus
reaches the ``capture`` function through a catch-all rule, so tests read the
exact details the handlers published, in order.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from tests.unit.sim.conftest import fn, make_stack
from workflows.marketdata.s3_layout import publish
from workflows.marketdata.store import BarStore

ROOT = Path(__file__).resolve().parents[3]
STRATEGIES = ROOT / "fixtures" / "strategies"
MARKET = ROOT / "fixtures" / "market"
BUS = "alchemiser-dev-events"
TABLE = "alchemiser-dev-aggregation-sessions"
BUCKET = "alchemiser-dev-market-data-${AccountId}"
ORCHESTRATOR = "alchemiser-dev-strategy-orchestrator"
WORKER = "alchemiser-dev-strategy-worker"
AGGREGATOR = "alchemiser-dev-signal-aggregator"
DATA = "alchemiser-dev-data"
FETCH_TABLE = "alchemiser-dev-market-data-fetch-requests"
HANDLERS = "workflows.alchemiser.handlers"
# the tickers of rsi_switch.clj and core_satellite.clj
SYMBOLS = ("BIL", "GLL", "QQQ", "SOXL", "SOXS", "SPY", "TLT", "TQQQ", "UGL", "UVXY")

CAPTURED: list[dict[str, Any]] = []


def capture(event, context):
    CAPTURED.append(event)
    return None


def captured(detail_type: str | None = None) -> list[dict[str, Any]]:
    return [e for e in CAPTURED if detail_type is None or e["detail-type"] == detail_type]


def write_config(folder: Path, allocations: dict[str, float], files: list[str] | None = None,
                 name: str = "strategy.dev.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"files": files if files is not None else list(allocations),
                                "allocations": allocations}))
    return path


def strategy_env(config: Path, directory: Path = STRATEGIES) -> dict[str, str]:
    return {"STRATEGY__DIRECTORY": str(directory), "STRATEGY__CONFIG_FILE": str(config)}


def table_spec() -> dict:
    return {"name": TABLE, "hash_key": {"name": "PK"}, "range_key": {"name": "SK"}, "ttl_attribute": "TTL"}


def data_function(duration_s: float = 0.0) -> dict:
    """The Data Lambda as the template has it, for the workers' sync refresh."""
    env = {"APP__STAGE": "dev", "EVENT_BUS_NAME": BUS, "MARKET_DATA_BUCKET": BUCKET,
           "FETCH_REQUESTS_TABLE": FETCH_TABLE, "FETCH_COOLDOWN_MINUTES": "15"}
    return fn(DATA, f"{HANDLERS}.data_refresh:handler", timeout_s=900, memory_mb=1024, environment=env,
              duration={"kind": "fixed", "seconds": duration_s})


def fetch_table_spec() -> dict:
    return {"name": FETCH_TABLE, "hash_key": {"name": "PK"}, "ttl_attribute": "ttl"}


def capture_rule() -> dict:
    return {"name": "capture-all", "bus": BUS, "event_pattern": {"source": [{"prefix": "alchemiser."}]},
            "targets": [{"arn": "function:capture"}]}


def legacy_stack(config: Path, *, worker_env: dict | None = None, worker_handler=None, aggregator=True,
                 durations: dict[str, float] | None = None, data=False, **extra) -> Any:
    """Orchestrator -> async workers -> PartialSignalGenerated rule -> aggregator, plus capture
    (and, with ``data``, the Data Lambda and its fetch-requests table for the sync refresh)."""
    durations = durations or {}
    common = {"APP__STAGE": "dev", "EVENT_BUS_NAME": BUS}
    functions = [
        fn(ORCHESTRATOR, f"{HANDLERS}.strategy_orchestrator:handler", timeout_s=60,
           environment={**common, "AGGREGATION_TABLE_NAME": TABLE, "STRATEGY_FUNCTION_NAME": WORKER,
                        "AGGREGATION_TIMEOUT_SECONDS": "600", **strategy_env(config)}),
        fn(WORKER, worker_handler or f"{HANDLERS}.strategy_worker:handler", timeout_s=900, memory_mb=1024,
           environment={**common, "MARKET_DATA_BUCKET": BUCKET, "DATA_FUNCTION_NAME": DATA,
                        "SYNC_REFRESH_TIMEOUT_SECONDS": "300", **strategy_env(config), **(worker_env or {})},
           duration={"kind": "fixed", "seconds": durations.get(WORKER, 0.0)}),
        fn(AGGREGATOR, f"{HANDLERS}.signal_aggregator:handler", timeout_s=60,
           environment={**common, "AGGREGATION_TABLE_NAME": TABLE, "ALLOCATION_TOLERANCE": "0.01"}),
        fn("capture", capture),
    ]
    tables = [table_spec()]
    if data:
        functions.append(data_function(durations.get(DATA, 0.0)))
        tables.append(fetch_table_spec())
    rules = [capture_rule()]
    if aggregator:
        rules.append({"name": "partial-signal", "bus": BUS,
                      "event_pattern": {"source": ["alchemiser.strategy"], "detail-type": ["PartialSignalGenerated"]},
                      "targets": [{"arn": f"function:{AGGREGATOR}"}]})
    return make_stack("alchemiser-legacy", functions=functions, buses=[BUS], rules=rules, tables=tables,
                      buckets=[{"name": BUCKET}], **extra)


def bucket_name(sim) -> str:
    return BUCKET.replace("${AccountId}", sim.emulator.account_id)


def seed_bars(sim, day: date, symbols=SYMBOLS) -> None:
    """Publish the fixture bars dated before ``day`` into the stack's bucket (what the live
    bucket would hold on the morning of ``day``)."""
    publish(BarStore.open(MARKET), sim.client("s3"), bucket_name(sim), symbols=symbols, before=day)


def session_items(sim, session_id: str) -> dict[str, dict]:
    items = sim.client("dynamodb").query(
        TableName=TABLE, KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"SESSION#{session_id}"}})["Items"]
    return {item["SK"]["S"]: item for item in items}


def invoke(sim, function: str, payload: dict, sync: bool = True) -> Any:
    reply = sim.client("lambda").invoke(FunctionName=function, InvocationType="RequestResponse" if sync else "Event",
                                        Payload=json.dumps(payload).encode())
    return json.loads(reply["Payload"].read()) if sync else reply


# -- the Step Functions variant (seed B.1) --------------------------------------------------------
STATE_MACHINE = "alchemiser-dev-strategy-workflow"
VALIDATOR = "alchemiser-dev-config-validator"
AGGREGATOR_SF = "alchemiser-dev-signal-aggregator-sf"


def _lambda(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:${{AccountId}}:function:{name}"


def seed_definition() -> dict:
    """The seed's state machine, with two deliberate changes: each Catch keeps the input
    (``ResultPath: $.error``; the seed's drop it, so PublishWorkflowFailed could not read
    $.correlation_id), and SignalGenerated's Detail is the aggregator's whole event."""
    put = "arn:aws:states:::events:putEvents"
    return {"Comment": "Strategy Orchestration - Multi-Node Scaling", "StartAt": "ValidateConfiguration", "States": {
        "ValidateConfiguration": {
            "Type": "Task", "Resource": _lambda(VALIDATOR), "Parameters": {"correlation_id.$": "$.correlation_id"},
            "ResultPath": "$.config", "Next": "ExecuteStrategiesInParallel",
            "Catch": [{"ErrorEquals": ["ConfigurationError"], "ResultPath": "$.error", "Next": "PublishWorkflowFailed"}]},
        "ExecuteStrategiesInParallel": {
            "Type": "Map", "ItemsPath": "$.config.strategy_configs", "MaxConcurrency": 4,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "ExecuteSingleStrategy", "States": {
                "ExecuteSingleStrategy": {
                    "Type": "Task", "Resource": _lambda(WORKER),
                    "Parameters": {"dsl_file.$": "$.dsl_file", "allocation.$": "$.allocation",
                                   "correlation_id.$": "$$.Execution.Input.correlation_id",
                                   "session_id.$": "$$.Execution.Id"},
                    "TimeoutSeconds": 900,
                    "Retry": [{"ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException"],
                               "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
                    "End": True}}},
            "ResultPath": "$.partial_signals", "Next": "AggregateSignals",
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "HandlePartialFailure"}]},
        "HandlePartialFailure": {"Type": "Choice", "Choices": [
            {"Variable": "$.partial_signals", "IsPresent": True, "Next": "AggregateSignals"}],
            "Default": "PublishWorkflowFailed"},
        "AggregateSignals": {
            "Type": "Task", "Resource": _lambda(AGGREGATOR_SF),
            "Parameters": {"partial_signals.$": "$.partial_signals", "correlation_id.$": "$.correlation_id",
                           "execution_id.$": "$$.Execution.Id"},
            "ResultPath": "$.aggregated_signal", "Next": "PublishSignalGenerated",
            "Catch": [{"ErrorEquals": ["AggregationError"], "ResultPath": "$.error", "Next": "PublishWorkflowFailed"}]},
        "PublishSignalGenerated": {"Type": "Task", "Resource": put, "Parameters": {"Entries": [{
            "Source": "alchemiser.strategy", "DetailType": "SignalGenerated", "Detail.$": "$.aggregated_signal",
            "EventBusName": BUS}]}, "End": True},
        "PublishWorkflowFailed": {"Type": "Task", "Resource": put, "Parameters": {"Entries": [{
            "Source": "alchemiser.strategy", "DetailType": "WorkflowFailed",
            "Detail": {"correlation_id.$": "$.correlation_id", "workflow_type": "strategy_coordination",
                       "failure_reason.$": "$.error.Cause", "execution_id.$": "$$.Execution.Id"},
            "EventBusName": BUS}]}, "Next": "FailExecution"},
        "FailExecution": {"Type": "Fail", "Error": "StrategyWorkflowFailed",
                          "Cause": "One or more strategies failed to execute"}}}


def stepfunctions_stack(config: Path) -> Any:
    common = {"APP__STAGE": "dev", "EVENT_BUS_NAME": BUS}
    functions = [
        fn(VALIDATOR, f"{HANDLERS}.config_validator:handler", timeout_s=60, environment={**common, **strategy_env(config)}),
        fn(WORKER, f"{HANDLERS}.strategy_worker:handler", timeout_s=900, memory_mb=1024,
           environment={**common, "MARKET_DATA_BUCKET": BUCKET, **strategy_env(config)}),
        fn(AGGREGATOR_SF, f"{HANDLERS}.signal_aggregator_sf:handler", timeout_s=60,
           environment={**common, "ALLOCATION_TOLERANCE": "0.01"}),
        fn("capture", capture),
    ]
    return make_stack("alchemiser-stepfunctions", functions=functions, buses=[BUS], rules=[capture_rule()],
                      buckets=[{"name": BUCKET}], state_machines=[{"name": STATE_MACHINE, "definition": seed_definition()}])
