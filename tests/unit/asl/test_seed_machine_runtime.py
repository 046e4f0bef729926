"""The lint's findings on the seed's state machine, made true at run time.

The seed's machine (workflows/asl/, kept verbatim) is run on the virtual clock
with small stand-in functions; each lint finding must show up as the failure
(or the dead branch) it predicts. Provenance: sim_only (the seed's machine was
never deployed; the behaviour rests on the engine's AWS-recorded conformance).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim import Simulation
from sim.asl import paths
from sim.asl.lint import lint
from sim.stack.load import stack_from_dict

SEED = Path(__file__).resolve().parents[3] / "workflows" / "asl" / "seed_strategy_orchestration.asl.json"
ACCOUNT = "123456789012"


class ConfigurationError(Exception):
    pass


class AggregationError(Exception):
    pass


def _definition() -> dict:
    text = SEED.read_text().replace("REGION", "us-east-1").replace("ACCOUNT", ACCOUNT).replace("STAGE", "test")
    return json.loads(text)


def _run(validator, worker, aggregator) -> tuple[object, Simulation]:
    stack = stack_from_dict({
        "name": "seed", "buses": ["alchemiser-test-events"],
        "functions": [{"name": "alchemiser-test-config-validator", "handler": validator},
                      {"name": "alchemiser-test-strategy-worker", "handler": worker},
                      {"name": "alchemiser-test-signal-aggregator-sf", "handler": aggregator}],
        "state_machines": [{"name": "orchestration", "definition": _definition()}]})
    sim = Simulation(stack, account_id=ACCOUNT).start()
    sfn = sim.stepfunctions
    ex = sfn.start(sfn.machine("orchestration"), json.dumps({"correlation_id": "corr-1"}), "day-1", "test")
    sim.run()
    sim.close()
    return ex, sim


def valid_config(event, context):
    return {"strategy_configs": [{"dsl_file": "a.clj", "allocation": 0.5}, {"dsl_file": "b.clj", "allocation": 0.5}]}


def bad_config(event, context):
    raise ConfigurationError("allocations sum to 0.9")


def worker_ok(event, context):
    return {"dsl_file": event["dsl_file"], "signals": {"SPY": event["allocation"]}}


def worker_fails(event, context):
    raise RuntimeError("strategy evaluation failed")


def aggregate_ok(event, context):
    return {"signals_data": {}, "consolidated_portfolio": {"SPY": 1.0}, "data_freshness": "fresh"}


def aggregate_fails(event, context):
    raise AggregationError("partial signals disagree")


def _entered_input(ex, state: str):
    events = [e for e in ex.history.aws() if e["type"].endswith("StateEntered")
              and e["stateEnteredEventDetails"]["name"] == state]
    return [json.loads(e["stateEnteredEventDetails"]["input"]) for e in events]


def _findings() -> list:
    return lint(_definition())


def test_lint_reports_the_seeds_defects():
    kinds = sorted((f.kind, f.state, f.pointer.rsplit("/", 1)[-1]) for f in _findings())
    assert kinds == [("dead-branch", "HandlePartialFailure", "0"),
                     ("missing-field", "PublishWorkflowFailed", "correlation_id.$"),
                     ("missing-field", "PublishWorkflowFailed", "correlation_id.$"),
                     ("missing-field", "PublishWorkflowFailed", "failure_reason.$"),
                     ("missing-field", "PublishWorkflowFailed", "failure_reason.$")]


# Which run reaches each Catch edge the lint names.
EDGES = {"ValidateConfiguration": (bad_config, worker_ok, aggregate_ok),
         "AggregateSignals": (valid_config, worker_ok, aggregate_fails)}


@pytest.mark.parametrize("finding", [f for f in _findings() if f.kind == "missing-field"],
                         ids=lambda f: f"{f.pointer.rsplit('/', 1)[-1]}-via-{_edge(f)}")
def test_each_missing_field_finding_fails_at_run_time(finding):
    # Given the run that takes the Catch edge the finding names
    ex, sim = _run(*EDGES[_edge(finding)])
    # Then the execution fails with States.Runtime in PublishWorkflowFailed, instead of publishing
    assert ex.status == "FAILED" and ex.error == "States.Runtime"
    assert "executing the state 'PublishWorkflowFailed'" in ex.cause
    # and the field the finding names is missing from the input PublishWorkflowFailed really got
    (seen,) = _entered_input(ex, "PublishWorkflowFailed")
    assert set(seen) == {"Error", "Cause"}
    path = finding.message.split(" reads ")[1].split(",")[0]
    with pytest.raises(paths.PathNotFound):
        paths.get(path, seen, "x")
    # and WorkflowFailed never reached the bus
    assert _published(sim) == []


def _edge(finding) -> str:
    via = next(line for line in finding.evidence if "→ PublishWorkflowFailed via Catch" in line)
    return via.split(" → ")[0]


def test_dead_branch_finding_is_never_taken_at_run_time():
    # Given a worker that fails: the Map's Catch (ResultPath $.error) leads to HandlePartialFailure
    ex, sim = _run(valid_config, worker_fails, aggregate_ok)
    (choice_input,) = _entered_input(ex, "HandlePartialFailure")
    # Then no partial result reaches it, so its first rule (-> AggregateSignals) cannot match
    assert "partial_signals" not in choice_input
    assert _entered_input(ex, "AggregateSignals") == []
    # and the run ends through the Default: WorkflowFailed is published (this edge keeps the input)
    assert _entered_input(ex, "PublishWorkflowFailed")[0]["correlation_id"] == "corr-1"
    assert _published(sim) == ["WorkflowFailed"]
    assert ex.status == "FAILED" and ex.error == "StrategyWorkflowFailed"


def test_happy_path_publishes_signal_generated():
    ex, sim = _run(valid_config, worker_ok, aggregate_ok)
    assert ex.status == "SUCCEEDED" and ex.output["FailedEntryCount"] == 0
    (published,) = _entered_input(ex, "PublishSignalGenerated")
    assert published["aggregated_signal"]["consolidated_portfolio"] == {"SPY": 1.0}
    assert [w["dsl_file"] for w in published["partial_signals"]] == ["a.clj", "b.clj"]
    assert _published(sim) == ["SignalGenerated"]


def _published(sim) -> list[str]:
    return [r["detail_type"] for r in sim.trace.records if r["kind"] == "events.put"]
