"""What the Step Functions model does not simulate is refused by name when the machine is
created, never approximated at run time."""

from __future__ import annotations

import pytest

from sim import Simulation
from sim.errors import Refused
from sim.stack.load import stack_from_dict


def _machine(definition: dict) -> None:
    stack = stack_from_dict({"name": "refusals", "state_machines": [{"name": "m", "definition": definition}]})
    Simulation(stack)


def test_refuses_an_unmodelled_integration():
    definition = {"StartAt": "Run", "States": {"Run": {"Type": "Task", "End": True,
                  "Resource": "arn:aws:states:::ecs:runTask.sync", "Parameters": {"Cluster": "c"}}}}
    with pytest.raises(Refused, match=r"/States/Run/Resource: the integration 'arn:aws:states:::ecs:runTask.sync'"):
        _machine(definition)


def test_refuses_a_sync_pattern_on_an_integration_without_one():
    definition = {"StartAt": "Q", "States": {"Q": {"Type": "Task", "End": True,
                  "Resource": "arn:aws:states:::sqs:sendMessage.sync", "Parameters": {"QueueUrl": "q"}}}}
    with pytest.raises(Refused, match="sqs:sendMessage.sync"):
        _machine(definition)


def test_refuses_result_writer_inside_nested_machines():
    inner_map = {"Type": "Map", "End": True, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                                                              "Parameters": {"Bucket": "b", "Prefix": "p"}},
                 "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                   "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}
    definition = {"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "M", "States": {"M": inner_map}}]}}}
    with pytest.raises(Refused, match=r"^/States/Par/Branches/0/States/M/ResultWriter: exporting Map Run"):
        _machine(definition)


def test_supported_integrations_are_not_refused():
    states = {}
    resources = ["arn:aws:states:::lambda:invoke", "arn:aws:states:::lambda:invoke.waitForTaskToken",
                 "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "arn:aws:states:::events:putEvents",
                 "arn:aws:states:::dynamodb:updateItem", "arn:aws:states:::states:startExecution.sync:2",
                 "arn:aws:states:::aws-sdk:s3:listObjectsV2", "arn:aws:lambda:us-east-1:123456789012:function:f"]
    for i, resource in enumerate(resources):
        last = i == len(resources) - 1
        states[f"S{i}"] = {"Type": "Task", "Resource": resource, "Parameters": {},
                           **({"End": True} if last else {"Next": f"S{i + 1}"})}
    _machine({"StartAt": "S0", "States": states})
