"""sim.asl.lint: fields lost on an incoming edge (true positives and true negatives),
dead Choice branches, the seed's proposed state machine, and the conformance corpus."""

from __future__ import annotations

import copy
import glob
import json
import time
from pathlib import Path

import pytest

from sim.asl.errors import AslDefinitionError
from sim.asl.lint import Finding, lint
from sim.asl.validate import validate

ROOT = Path(__file__).resolve().parents[3]
DEFS = Path(__file__).parent / "defs"
SEED = ROOT / "workflows" / "asl" / "seed_strategy_orchestration.asl.json"
SEED_DOC = Path("/work/shared/seed/STEPFUNCTIONS_MIGRATION_ANALYSIS.md")
CORPUS = Path("/work/shared/conformance/asl/dev")
LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:f"


def m(states: dict, start: str = "A", **top) -> dict:
    d = {"StartAt": start, "States": states, **top}
    assert [x for x in validate(d) if x.severity == "ERROR"] == [], validate(d)
    return d


def end(**fields) -> dict:
    return {**fields, "End": True}


def reads(path: str, **fields) -> dict:
    """A Pass state whose Parameters read ``path``."""
    return {"Type": "Pass", "Parameters": {"v.$": path}, **({"End": True} if "Next" not in fields else {}), **fields}


def pointers(findings: list[Finding]) -> list[str]:
    return [f.pointer for f in findings]


# ---------------------------------------------------------------- Catch

def test_catch_without_resultpath_loses_the_input():
    findings = lint((DEFS / "catch_without_resultpath.asl.json").read_text())
    assert pointers(findings) == ["/States/Report/Parameters/id.$"]  # one: the Next edge keeps the field
    f = findings[0]
    assert (f.kind, f.state, f.error) == ("missing-field", "Report", "States.Runtime")
    assert "Work → Report via Catch #0 [States.ALL] (no ResultPath)" in f.message
    assert "input of 'Report' on that edge: {Error, Cause?}" in f.evidence
    assert f.evidence[-1] == ("at run time: States.Runtime: The JSONPath '$.correlation_id' specified for the "
                              "field 'id.$' could not be found in the input")


def test_catch_with_resultpath_keeps_the_input():
    assert lint((DEFS / "catch_with_resultpath.asl.json").read_text()) == []


def test_catch_resultpath_null_keeps_the_input():
    d = m({"A": {"Type": "Task", "Resource": LAMBDA, "Parameters": {"k.$": "$.k"}, "ResultPath": "$.r",
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "B"}], "Next": "B"},
           "B": reads("$.k")})
    assert lint(d) == []


def test_a_catch_output_is_the_error_object_and_has_error():
    d = m({"A": {"Type": "Task", "Resource": LAMBDA, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}],
                 "End": True},
           "B": {"Type": "Pass", "Parameters": {"e.$": "$.Error", "c.$": "$.Cause"}, "End": True}})
    assert lint(d) == []  # Error is always there, Cause may be: no finding for either


def test_jsonata_catch_without_output_gives_the_error_output():
    d = m({"A": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": LAMBDA, "End": True,
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}]},
           "B": reads("$.order_id")})
    assert pointers(lint(d)) == ["/States/B/Parameters/v.$"]


def test_intrinsic_arguments_are_reads():
    d = m({"A": {"Type": "Task", "Resource": LAMBDA, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}],
                 "End": True},
           "B": reads("States.Format('order {} failed', $.order_id)")})
    [f] = lint(d)
    assert f.pointer == "/States/B/Parameters/v.$"
    assert "The function 'States.Format('order {} failed', $.order_id)' had the following error" in f.evidence[-1]


def test_secondspath_after_a_catch():
    d = m({"A": {"Type": "Task", "Resource": LAMBDA, "Catch": [{"ErrorEquals": ["X"], "Next": "W"}], "End": True},
           "W": {"Type": "Wait", "SecondsPath": "$.delay", "End": True}})
    [f] = lint(d)
    assert f.pointer == "/States/W/SecondsPath"
    assert "The SecondsPath parameter does not reference an input value: $.delay" in f.evidence[-1]


# ---------------------------------------------------------------- results and templates

def test_unknown_task_results_are_never_reported():
    d = m({"A": {"Type": "Task", "Resource": LAMBDA, "Next": "B"}, "B": reads("$.anything")})
    assert lint(d) == []


def test_the_execution_input_is_unknown():
    assert lint(m({"A": reads("$.a.b.c")})) == []


def test_pass_result_with_default_resultpath_replaces_the_input():
    d = m({"A": {"Type": "Pass", "Result": {"a": 1}, "Next": "B"}, "B": reads("$.b", Next="C"),
           "C": reads("$.a")})
    findings = lint(d)
    assert pointers(findings) == ["/States/B/Parameters/v.$"]
    assert "because Pass state 'A' replaced its input with its Result {a}" in findings[0].evidence


def test_pass_result_with_a_resultpath_keeps_the_input():
    d = m({"A": {"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$.r", "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"b.$": "$.b", "a.$": "$.r.a"}, "End": True}})
    assert lint(d) == []


def test_parameters_rebuild_the_input():
    d = m({"A": {"Type": "Pass", "Parameters": {"a.$": "$.a", "k": "v"}, "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"a.$": "$.a", "k.$": "$.k", "lost.$": "$.correlation_id"},
                 "End": True}})
    assert pointers(lint(d)) == ["/States/B/Parameters/lost.$"]


def test_outputpath_narrows_the_output():
    d = m({"A": {"Type": "Pass", "Result": {"x": {"y": 1}, "z": 2}, "OutputPath": "$.x", "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"y.$": "$.y", "z.$": "$.z"}, "End": True}})
    [f] = lint(d)
    assert f.pointer == "/States/B/Parameters/z.$"
    assert "because OutputPath '$.x' of 'A' kept only {y}" in f.evidence


def test_outputpath_that_misses_is_itself_a_finding():
    d = m({"A": {"Type": "Pass", "Result": {"x": 1}, "OutputPath": "$.y", "End": True}})
    [f] = lint(d)
    assert f.pointer == "/States/A/OutputPath" and "Invalid path '$.y'" in f.evidence[-1]


def test_inputpath_that_misses():
    d = m({"A": {"Type": "Pass", "Result": {"a": 1}, "Next": "B"}, "B": {"Type": "Pass", "InputPath": "$.b",
                                                                        "End": True}})
    assert pointers(lint(d)) == ["/States/B/InputPath"]


def test_fail_errorpath_on_a_rebuilt_input():
    d = m({"A": {"Type": "Pass", "Parameters": {"Error": "error-value"}, "Next": "F"},
           "F": {"Type": "Fail", "ErrorPath": "$.ErrorX"}})
    assert pointers(lint(d)) == ["/States/F/ErrorPath"]


def test_jsonata_output_builds_a_known_object():
    d = m({"A": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"a": "{% 1 + 1 %}"}, "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"a.$": "$.a", "b.$": "$.b"}, "End": True}})
    assert pointers(lint(d)) == ["/States/B/Parameters/b.$"]


# ---------------------------------------------------------------- Parallel and Map

def _parallel(**fields) -> dict:
    branch = {"StartAt": "X", "States": {"X": {"Type": "Pass", "Result": {"k": 1}, "End": True}}}
    branch2 = {"StartAt": "Y", "States": {"Y": {"Type": "Pass", "Result": {"j": 2}, "End": True}}}
    return {"Type": "Parallel", "Branches": [branch, branch2], **fields}


def test_parallel_output_is_an_array():
    d = m({"A": _parallel(Next="B"),
           "B": {"Type": "Pass", "Parameters": {"k0.$": "$[0].k", "j1.$": "$[1].j", "j0.$": "$[0].j", "k.$": "$.k"},
                 "End": True}})
    assert pointers(lint(d)) == ["/States/B/Parameters/j0.$", "/States/B/Parameters/k.$"]


def test_parallel_resultselector_reads_the_array():
    d = m({"A": _parallel(ResultSelector={"k.$": "$.k"}, End=True)})
    assert pointers(lint(d)) == ["/States/A/ResultSelector/k.$"]


def test_map_item_processor_gets_the_item():
    proc = {"StartAt": "Price", "States": {"Price": reads("$.price", Next="Sku"), "Sku": reads("$.sku")}}
    d = m({"A": {"Type": "Pass", "Result": {"items": [{"sku": "a"}, {"sku": "b"}]}, "Next": "M"},
           "M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": proc, "Next": "B"},
           "B": reads("$.items")})
    findings = lint(d)
    assert pointers(findings) == ["/States/B/Parameters/v.$", "/States/M/ItemProcessor/States/Price/Parameters/v.$"]
    assert "M → its ItemProcessor (one item)" in findings[1].evidence


def test_map_item_selector_builds_the_item():
    proc = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"s.$": "$.item.sku", "o.$": "$.order",
                                                                            "x.$": "$.extra"}, "End": True}}}
    d = m({"A": {"Type": "Pass", "Result": {"order": 7, "items": [{"sku": "a"}]}, "Next": "M"},
           "M": {"Type": "Map", "ItemsPath": "$.items", "End": True, "ItemProcessor": proc,
                 "ItemSelector": {"item.$": "$$.Map.Item.Value", "order.$": "$.order"}}})
    assert pointers(lint(d)) == ["/States/M/ItemProcessor/States/P/Parameters/x.$"]


def test_map_item_selector_is_only_checked_when_there_are_items():
    sel = {"missing.$": "$.nope"}
    proc = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    unknown_items = m({"A": {"Type": "Map", "ItemSelector": sel, "ItemProcessor": proc, "End": True}})
    assert lint(unknown_items) == []  # an empty array never evaluates the selector
    known = m({"A": {"Type": "Pass", "Result": [1], "Next": "M"},
               "M": {"Type": "Map", "ItemSelector": sel, "ItemProcessor": proc, "End": True}})
    assert pointers(lint(known)) == ["/States/M/ItemSelector/missing.$"]


# ---------------------------------------------------------------- Choice

def test_choice_ispresent_proves_absence_on_the_default_edge():
    d = m({"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Has"}],
                 "Default": "Lacks"},
           "Has": reads("$.x"), "Lacks": reads("$.x")})
    [f] = lint(d)
    assert f.pointer == "/States/Lacks/Parameters/v.$" and "A → Lacks via Default" in f.message


def test_choice_comparison_on_a_missing_variable_fails():
    d = m({"A": {"Type": "Pass", "Result": {"a": 1}, "Next": "C"},
           "C": {"Type": "Choice", "Choices": [{"Variable": "$.b", "StringEquals": "x", "Next": "D"},
                                               {"Variable": "$.a", "NumericEquals": 1, "Next": "D"}],
                 "Default": "D"},
           "D": {"Type": "Succeed"}})
    [f] = lint(d)
    assert f.pointer == "/States/C/Choices/0/Variable"
    assert "The choice state's condition path references an invalid value." in f.evidence[-1]


def test_dead_branch_when_the_field_is_certainly_absent():
    d = m({"A": {"Type": "Pass", "Result": {"a": 1}, "Next": "C"},
           "C": {"Type": "Choice", "Choices": [{"Variable": "$.b", "IsPresent": True, "Next": "X"}], "Default": "Y"},
           "X": {"Type": "Succeed"}, "Y": {"Type": "Succeed"}})
    [f] = lint(d)
    assert (f.kind, f.pointer, f.error) == ("dead-branch", "/States/C/Choices/0", None)
    assert "unless" not in f.message


def _map_then_choice(extra_edge: bool) -> dict:
    proc = {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": LAMBDA, "End": True}}}
    return m({"M": {"Type": "Map", "ItemProcessor": proc, "ResultPath": "$.results",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "C"}],
                    "Next": "C" if extra_edge else "Done"},
              "C": {"Type": "Choice", "Choices": [{"Variable": "$.results", "IsPresent": True, "Next": "Done"}],
                    "Default": "Failed"},
              "Done": {"Type": "Succeed"}, "Failed": {"Type": "Fail"}}, start="M")


def test_dead_branch_on_a_field_only_the_failed_state_would_have_written():
    [f] = lint(_map_then_choice(extra_edge=False))
    assert (f.kind, f.pointer) == ("dead-branch", "/States/C/Choices/0")
    assert "unless the execution input itself carries that field" in f.message
    assert "the machine writes it only at /States/M/ResultPath" in f.evidence[0]


def test_no_dead_branch_when_another_edge_writes_the_field():
    assert lint(_map_then_choice(extra_edge=True)) == []


# ---------------------------------------------------------------- loops, API

def test_loops_terminate():
    d = m({"A": {"Type": "Pass", "Result": {"n": 0}, "Next": "W"},
           "W": {"Type": "Wait", "Seconds": 1, "Next": "C"},
           "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 3, "Next": "Inc"}],
                 "Default": "Grow"},
           "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "W"},
           "Grow": {"Type": "Pass", "Parameters": {"prev.$": "$", "n": 0}, "Next": "Check"},
           "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 0, "Next": "Grow"}],
                     "Default": "Done"},
           "Done": {"Type": "Succeed"}})
    t = time.perf_counter()
    assert lint(d) == []
    assert time.perf_counter() - t < 5


def test_findings_serialise_and_input_is_not_mutated():
    d = json.loads((DEFS / "catch_without_resultpath.asl.json").read_text())
    before = copy.deepcopy(d)
    [f] = lint(d)
    assert d == before
    assert json.loads(json.dumps(f.to_dict()))["kind"] == "missing-field"


def test_lint_refuses_an_invalid_definition():
    with pytest.raises(AslDefinitionError):
        lint({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}}})


def test_writes_inside_a_map_do_not_count_for_the_outer_machine():
    proc = {"StartAt": "W", "States": {"W": {"Type": "Pass", "Result": 1, "ResultPath": "$.flag", "End": True}}}
    d = m({"M": {"Type": "Map", "ItemProcessor": proc, "ResultPath": "$.out", "Next": "C"},
           "C": {"Type": "Choice", "Choices": [{"Variable": "$.flag", "IsPresent": True, "Next": "Done"}],
                 "Default": "Done"},
           "Done": {"Type": "Succeed"}}, start="M")
    assert lint(d) == []  # $.flag comes from the execution input here: no claim about it


# ---------------------------------------------------------------- the seed's machine

def _seed_block() -> str:
    lines = SEED_DOC.read_text(encoding="utf-8").split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("#### Proposed Step Functions State Machine"))
    first = next(i for i in range(start, len(lines)) if lines[i].strip() == "```json") + 1
    last = next(i for i in range(first, len(lines)) if lines[i].strip() == "```")
    return "\n".join(lines[first:last]) + "\n"


@pytest.mark.skipif(not SEED_DOC.is_file(), reason="the seed's documents (/work/shared) are not here")
def test_seed_copy_is_verbatim():
    assert SEED.read_text(encoding="utf-8") == _seed_block()


def test_seed_validates_with_placeholder_warnings_only():
    diags = validate(SEED.read_text())
    assert {(d.severity, d.code, d.location) for d in diags} == {
        ("WARNING", "INVALID_RESOURCE", "/States/ValidateConfiguration/Resource"),
        ("WARNING", "INVALID_RESOURCE", "/States/ExecuteStrategiesInParallel/ItemProcessor/States/"
                                        "ExecuteSingleStrategy/Resource"),
        ("WARNING", "INVALID_RESOURCE", "/States/AggregateSignals/Resource")}


DETAIL = "/States/PublishWorkflowFailed/Parameters/Entries/0/Detail"
CATCH_VC = "ValidateConfiguration → PublishWorkflowFailed via Catch #0 [ConfigurationError] (no ResultPath)"
CATCH_AS = "AggregateSignals → PublishWorkflowFailed via Catch #0 [AggregationError] (no ResultPath)"


def test_seed_lint_findings():
    findings = lint(SEED.read_text())
    got = {(f.kind, f.pointer, f.evidence[-1] if f.kind == "missing-field" else None, _edge(f)) for f in findings}
    cause = ("at run time: States.Runtime: The JSONPath '{}' specified for the field '{}' "
             "could not be found in the input")
    assert got == {
        ("missing-field", f"{DETAIL}/correlation_id.$", cause.format("$.correlation_id", "correlation_id.$"), CATCH_VC),
        ("missing-field", f"{DETAIL}/correlation_id.$", cause.format("$.correlation_id", "correlation_id.$"), CATCH_AS),
        ("missing-field", f"{DETAIL}/failure_reason.$", cause.format("$.error.Cause", "failure_reason.$"), CATCH_VC),
        ("missing-field", f"{DETAIL}/failure_reason.$", cause.format("$.error.Cause", "failure_reason.$"), CATCH_AS),
        ("dead-branch", "/States/HandlePartialFailure/Choices/0", None,
         "ExecuteStrategiesInParallel → HandlePartialFailure via Catch #0 [States.ALL]"),
    }
    for f in findings:
        if f.kind == "missing-field":
            assert "input of 'PublishWorkflowFailed' on that edge: {Error, Cause?}" in f.evidence


def _edge(f: Finding) -> str:
    if f.kind == "missing-field":
        return f.message.split("[", 1)[1].split("]:", 1)[0]
    return f.evidence[0].split("[", 1)[1].split("]:", 1)[0]


def test_seed_with_resultpath_on_its_catches_loses_nothing():
    d = json.loads(SEED.read_text())
    for name in ("ValidateConfiguration", "AggregateSignals"):
        d["States"][name]["Catch"][0]["ResultPath"] = "$.error"
    assert [f.kind for f in lint(d)] == ["dead-branch"]  # partial results are still discarded by the Map


# ---------------------------------------------------------------- the corpus (ran on real AWS)

@pytest.mark.skipif(not CORPUS.is_dir(), reason="the conformance corpus (/work/shared) is not here")
def test_lint_agrees_with_what_aws_recorded():
    """No finding on any execution AWS recorded as SUCCEEDED (all of them ran the lint's
    edges without failing), and each finding on a FAILED one is the failure AWS reported."""
    checked = 0
    for path in sorted(glob.glob(str(CORPUS / "*.json"))):
        case = json.loads(Path(path).read_text())
        findings = lint(case["definition"])
        checked += 1
        expected = case["expected"]
        if expected["status"] == "SUCCEEDED":
            assert findings == [], (path, findings)
        for f in findings:
            assert expected["error"] == "States.Runtime", path
            assert f.evidence[-1].split("States.Runtime: ", 1)[1] in expected["cause"], path
    assert checked > 600
