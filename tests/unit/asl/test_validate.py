"""sim.asl.validate: one small bad definition per rule (pointer + code), a clean one,
load(), the command, and no false positive on definitions that ran on real AWS."""

from __future__ import annotations

import copy
import glob
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sim.asl.errors import AslDefinitionError
from sim.asl.validate import Diagnostic, load, validate, validate_command

DEFS = Path(__file__).parent / "defs"
CORPUS = Path("/work/shared/conformance/asl/dev")
SCHEMA, TARGET = "SCHEMA_VALIDATION_FAILED", "MISSING_TRANSITION_TARGET"
LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:f"


def m(states: dict, start: str = "A", **top) -> dict:
    return {"StartAt": start, "States": states, **top}


def task(**fields) -> dict:
    return {"Type": "Task", "Resource": LAMBDA, **({} if "Next" in fields else {"End": True}), **fields}


def pass_(**fields) -> dict:
    return {"Type": "Pass", "End": True, **fields} if "Next" not in fields else {"Type": "Pass", **fields}


def choice(**fields) -> dict:
    return {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "B"}],
            "Default": "B", **fields}


def sub(states: dict, start: str = "X") -> dict:
    return {"StartAt": start, "States": states}


def has(diags: list[Diagnostic], code: str, location: str, severity: str = "ERROR") -> bool:
    return any(d.code == code and d.location == location and d.severity == severity for d in diags)


# (id, definition, code, pointer)
CASES = [
    ("missing StartAt", {"States": {"A": pass_()}}, SCHEMA, ""),
    ("empty States", m({}), SCHEMA, "/States"),
    ("StartAt names no state", m({"A": pass_()}, start="Nope"), TARGET, "/StartAt"),
    ("no Next on a non-terminal state", m({"A": {"Type": "Pass"}}), SCHEMA, "/States/A"),
    ("Next names no state", m({"A": pass_(Next="Nope")}), TARGET, "/States/A/Next"),
    ("Default names no state", m({"A": choice(Default="Nope"), "B": pass_()}), TARGET, "/States/A/Default"),
    ("Catch Next names no state", m({"A": task(Catch=[{"ErrorEquals": ["X"], "Next": "Nope"}])}),
     TARGET, "/States/A/Catch/0/Next"),
    ("unreachable state", m({"A": pass_(), "B": pass_()}), TARGET, "/States/B"),
    ("unreachable cycle", m({"A": pass_(), "B": pass_(Next="C"), "C": pass_(Next="B")}), TARGET, "/States/C"),
    ("End and Next", m({"A": pass_(Next="B", End=True), "B": pass_()}), SCHEMA, "/States/A"),
    ("no terminal state", m({"A": pass_(Next="B"), "B": pass_(Next="A")}), "MISSING_END_STATE", "/States"),
    ("unknown Type", m({"A": {"Type": "Lambda", "End": True}}), SCHEMA, "/States/A/Type"),
    ("missing Type", m({"A": {"End": True}}), SCHEMA, "/States/A"),
    ("field of another type", m({"A": pass_(Resource=LAMBDA)}), SCHEMA, "/States/A/Resource"),
    ("unknown field", m({"A": task(Timeout=5)}), SCHEMA, "/States/A/Timeout"),
    ("Next on a Choice", m({"A": choice(Next="B"), "B": pass_()}), SCHEMA, "/States/A/Next"),
    ("Assign on Succeed", m({"A": {"Type": "Succeed", "Assign": {"x": 1}}}), SCHEMA, "/States/A/Assign"),
    ("InputPath on Fail", m({"A": {"Type": "Fail", "InputPath": "$"}}), SCHEMA, "/States/A/InputPath"),
    ("unknown top-level field", m({"A": pass_()}, Coment="typo"), SCHEMA, "/Coment"),
    ("unknown field in a Catch", m({"A": task(Catch=[{"ErrorEquals": ["X"], "Next": "A", "_c": 1}])}),
     SCHEMA, "/States/A/Catch/0/_c"),
    ("JSONata field in a JSONPath state", m({"A": pass_(Output={"a": 1})}), SCHEMA, "/States/A/Output"),
    ("Arguments in a JSONPath state", m({"A": task(Arguments={})}), SCHEMA, "/States/A/Arguments"),
    ("JSONPath field in a JSONata state", m({"A": task(QueryLanguage="JSONata", Parameters={})}),
     SCHEMA, "/States/A/Parameters"),
    ("JSONPath field in a JSONata machine", m({"A": pass_(ResultPath="$.r")}, QueryLanguage="JSONata"),
     SCHEMA, "/States/A/ResultPath"),
    ("Result in a JSONata state", m({"A": pass_(Result=1)}, QueryLanguage="JSONata"), SCHEMA, "/States/A/Result"),
    ("Catch ResultPath in a JSONata state",
     m({"A": task(QueryLanguage="JSONata", Catch=[{"ErrorEquals": ["X"], "Next": "A", "ResultPath": "$.e"}])}),
     SCHEMA, "/States/A/Catch/0/ResultPath"),
    ("Variable rule in a JSONata Choice", m({"A": choice(QueryLanguage="JSONata"), "B": pass_()}),
     SCHEMA, "/States/A/Choices/0/Variable"),
    ("Condition rule in a JSONPath Choice",
     m({"A": choice(Choices=[{"Condition": "{% true %}", "Next": "B"}]), "B": pass_()}),
     SCHEMA, "/States/A/Choices/0/Condition"),
    ("JSONPath state in a JSONata machine", m({"A": pass_(QueryLanguage="JSONPath")}, QueryLanguage="JSONata"),
     SCHEMA, "/States/A/QueryLanguage"),
    ("bad QueryLanguage", m({"A": pass_()}, QueryLanguage="XPath"), SCHEMA, "/QueryLanguage"),
    ("JSONata expression in a JSONPath state", m({"A": task(TimeoutSeconds="{% 5 %}")}),
     SCHEMA, "/States/A/TimeoutSeconds"),
    ("unterminated JSONata expression", m({"A": pass_(Output={"a": "{% $states.input"})}, QueryLanguage="JSONata"),
     SCHEMA, "/States/A/Output/a"),
    ("InputPath that does not parse", m({"A": pass_(InputPath="$.a[")}), SCHEMA, "/States/A/InputPath"),
    ("OutputPath without $", m({"A": pass_(OutputPath="a.b")}), SCHEMA, "/States/A/OutputPath"),
    ("ResultPath not a reference path", m({"A": pass_(ResultPath="$.a[*]")}), SCHEMA, "/States/A/ResultPath"),
    ("ResultPath on the Context object", m({"A": pass_(ResultPath="$$.Execution")}), SCHEMA, "/States/A/ResultPath"),
    ("ItemsPath not a reference path",
     m({"A": {"Type": "Map", "ItemsPath": "$..items", "ItemProcessor": sub({"X": pass_()}), "End": True}}),
     SCHEMA, "/States/A/ItemsPath"),
    ("Choice Variable that does not parse",
     m({"A": choice(Choices=[{"Variable": "$.a..", "IsNull": True, "Next": "B"}]), "B": pass_()}),
     SCHEMA, "/States/A/Choices/0/Variable"),
    (".$ value that is not a path", m({"A": pass_(Parameters={"x.$": "x"})}), SCHEMA, "/States/A/Parameters/x.$"),
    (".$ value nested in an array", m({"A": pass_(Parameters={"l": [{"y.$": 3}]})}),
     SCHEMA, "/States/A/Parameters/l/0/y.$"),
    (".$ value in ResultSelector", m({"A": task(ResultSelector={"y.$": "$.a["})}),
     SCHEMA, "/States/A/ResultSelector/y.$"),
    ("unknown intrinsic function", m({"A": pass_(Parameters={"x.$": "States.Concat($.a)"})}),
     SCHEMA, "/States/A/Parameters/x.$"),
    ("intrinsic with the wrong arity", m({"A": pass_(Parameters={"x.$": "States.ArrayLength($.a, $.b)"})}),
     SCHEMA, "/States/A/Parameters/x.$"),
    ("nested intrinsic with the wrong arity",
     m({"A": pass_(Parameters={"x.$": "States.Format('{}', States.UUID(1))"})}),
     SCHEMA, "/States/A/Parameters/x.$"),
    ("malformed intrinsic", m({"A": pass_(Parameters={"x.$": "States.Format('{}', $.a"})}),
     SCHEMA, "/States/A/Parameters/x.$"),
    ("Retry without ErrorEquals", m({"A": task(Retry=[{"MaxAttempts": 1}])}), SCHEMA, "/States/A/Retry/0"),
    ("empty ErrorEquals", m({"A": task(Retry=[{"ErrorEquals": []}])}), SCHEMA, "/States/A/Retry/0/ErrorEquals"),
    ("States.ALL not alone", m({"A": task(Catch=[{"ErrorEquals": ["States.ALL", "X"], "Next": "A"}])}),
     SCHEMA, "/States/A/Catch/0/ErrorEquals"),
    ("States.ALL not last", m({"A": task(Retry=[{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}])}),
     SCHEMA, "/States/A/Retry/0/ErrorEquals"),
    ("Catch without Next", m({"A": task(Catch=[{"ErrorEquals": ["X"]}])}), SCHEMA, "/States/A/Catch/0"),
    ("MaxAttempts below 0", m({"A": task(Retry=[{"ErrorEquals": ["X"], "MaxAttempts": -1}])}),
     SCHEMA, "/States/A/Retry/0/MaxAttempts"),
    ("BackoffRate below 1", m({"A": task(Retry=[{"ErrorEquals": ["X"], "BackoffRate": 0.5}])}),
     SCHEMA, "/States/A/Retry/0/BackoffRate"),
    ("IntervalSeconds 0", m({"A": task(Retry=[{"ErrorEquals": ["X"], "IntervalSeconds": 0}])}),
     SCHEMA, "/States/A/Retry/0/IntervalSeconds"),
    ("bad JitterStrategy", m({"A": task(Retry=[{"ErrorEquals": ["X"], "JitterStrategy": "HALF"}])}),
     SCHEMA, "/States/A/Retry/0/JitterStrategy"),
    ("Choice without Choices", m({"A": {"Type": "Choice", "Default": "B"}, "B": pass_()}), SCHEMA, "/States/A"),
    ("empty Choices", m({"A": choice(Choices=[]), "B": pass_()}), SCHEMA, "/States/A/Choices"),
    ("Choice rule without Next", m({"A": choice(Choices=[{"Variable": "$.x", "IsNull": True}]), "B": pass_()}),
     SCHEMA, "/States/A/Choices/0"),
    ("Choice rule with two operators",
     m({"A": choice(Choices=[{"Variable": "$.x", "IsNull": True, "IsString": True, "Next": "B"}]), "B": pass_()}),
     SCHEMA, "/States/A/Choices/0"),
    ("Choice operand of the wrong type",
     m({"A": choice(Choices=[{"Variable": "$.x", "NumericEquals": "1", "Next": "B"}]), "B": pass_()}),
     SCHEMA, "/States/A/Choices/0/NumericEquals"),
    ("Next inside And", m({"A": choice(Choices=[{"And": [{"Variable": "$.x", "IsNull": True, "Next": "B"}],
                                                  "Next": "B"}]), "B": pass_()}),
     SCHEMA, "/States/A/Choices/0/And/0/Next"),
    ("Map without ItemProcessor", m({"A": {"Type": "Map", "End": True}}), SCHEMA, "/States/A"),
    ("DISTRIBUTED Map without ExecutionType",
     m({"A": {"Type": "Map", "End": True, "ItemProcessor": {**sub({"X": pass_()}),
                                                              "ProcessorConfig": {"Mode": "DISTRIBUTED"}}}}),
     SCHEMA, "/States/A/ItemProcessor/ProcessorConfig"),
    ("Parallel without Branches", m({"A": {"Type": "Parallel", "End": True}}), SCHEMA, "/States/A"),
    ("Fail with Error and ErrorPath", m({"A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}),
     SCHEMA, "/States/A/ErrorPath"),
    ("Fail with a bad CausePath", m({"A": {"Type": "Fail", "CausePath": "cause"}}), SCHEMA, "/States/A/CausePath"),
    ("Wait with nothing to wait for", m({"A": {"Type": "Wait", "End": True}}), SCHEMA, "/States/A"),
    ("Wait with two of Seconds/Timestamp", m({"A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}}),
     SCHEMA, "/States/A"),
    ("Wait with a bad Timestamp", m({"A": {"Type": "Wait", "Timestamp": "2026-01-12 10:00", "End": True}}),
     SCHEMA, "/States/A/Timestamp"),
    ("negative Seconds", m({"A": {"Type": "Wait", "Seconds": -1, "End": True}}), SCHEMA, "/States/A/Seconds"),
    ("HeartbeatSeconds not below TimeoutSeconds", m({"A": task(TimeoutSeconds=10, HeartbeatSeconds=10)}),
     SCHEMA, "/States/A/HeartbeatSeconds"),
    ("TimeoutSeconds and TimeoutSecondsPath", m({"A": task(TimeoutSeconds=10, TimeoutSecondsPath="$.t")}),
     SCHEMA, "/States/A/TimeoutSecondsPath"),
    ("TimeoutSeconds 0", m({"A": task(TimeoutSeconds=0)}), SCHEMA, "/States/A/TimeoutSeconds"),
    ("Task without Resource", m({"A": {"Type": "Task", "End": True}}), SCHEMA, "/States/A"),
    ("Resource that is not an ARN", m({"A": task(Resource="my-function")}), "INVALID_RESOURCE", "/States/A/Resource"),
    ("state name over 80 characters", m({"A" * 81: pass_()}, start="A" * 81),
     "INVALID_STATE_NAME", "/States/" + "A" * 81),
    ("duplicate state name across scopes",
     m({"A": {"Type": "Parallel", "End": True, "Branches": [sub({"A": pass_()}, "A")]}}),
     "DUPLICATE_STATE_NAME", "/States/A/Branches/0/States/A"),
    ("reserved variable name", m({"A": pass_(Assign={"states": 1})}),
     "RESERVED_VARIABLE_NAME", "/States/A/Assign/states"),
    ("invalid variable name", m({"A": pass_(Assign={"my-var": 1})}),
     "INVALID_VARIABLE_NAME", "/States/A/Assign/my-var"),
    ("Map item processor: Next names no state",
     m({"A": {"Type": "Map", "End": True, "ItemProcessor": sub({"X": pass_(Next="Gone")})}}),
     TARGET, "/States/A/ItemProcessor/States/X/Next"),
    ("Map item processor cannot leave its scope",
     m({"A": {"Type": "Map", "Next": "B", "ItemProcessor": sub({"X": pass_(Next="B")})}, "B": pass_()}),
     TARGET, "/States/A/ItemProcessor/States/X/Next"),
    ("Parallel branch: unreachable state",
     m({"A": {"Type": "Parallel", "End": True, "Branches": [sub({"X": pass_(), "Y": pass_()})]}}),
     TARGET, "/States/A/Branches/0/States/Y"),
    ("Parallel branch: bad field in a nested state",
     m({"A": {"Type": "Parallel", "End": True, "Branches": [sub({"X": task(Resource="nope")})]}}),
     "INVALID_RESOURCE", "/States/A/Branches/0/States/X/Resource"),
    ("Iterator (legacy) validated too",
     m({"A": {"Type": "Map", "End": True, "Iterator": sub({"X": {"Type": "Pass"}})}}),
     SCHEMA, "/States/A/Iterator/States/X"),
]


@pytest.mark.parametrize("definition,code,pointer", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_reports_its_pointer_and_code(definition, code, pointer):
    diags = validate(definition)
    assert has(diags, code, pointer), "\n".join(map(str, diags))


@pytest.mark.parametrize("definition,code,pointer", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_gives_the_same_answer_for_the_json_text(definition, code, pointer):
    assert has(validate(json.dumps(definition)), code, pointer)


def test_unparseable_json_names_line_and_column():
    diags = validate((DEFS / "not_json.asl.json").read_text())
    assert [d.code for d in diags] == ["INVALID_JSON_DESCRIPTION"]
    assert "line 5, column 3" in diags[0].message and diags[0].severity == "ERROR"


@pytest.mark.parametrize("text", [None, "", "  \n"])
def test_empty_definition(text):
    assert [d.code for d in validate(text)] == ["MISSING_DESCRIPTION"]


def test_duplicate_state_name_in_the_json_text():
    text = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}}'
    assert has(validate(text), "DUPLICATE_STATE_NAME", "/States/A")


def test_state_names_are_escaped_in_pointers():
    d = m({"a/b~c": pass_(Next="nope")}, start="a/b~c")
    assert has(validate(d), TARGET, "/States/a~1b~0c/Next")


def test_a_clean_definition_gives_no_diagnostics():
    assert validate((DEFS / "clean.asl.json").read_text()) == []


def test_warnings_do_not_block():
    d = m({"A": task(Resource="arn:aws:lambda:REGION:ACCOUNT:function:f",
                     Parameters={"p": "$.not_evaluated"}, Next="B"),
           "B": pass_(Result={"k.$": "$.x"}, Next="C"),
           "C": {"Type": "Fail", "Error": "$.error"}})
    diags = validate(d)
    assert {(x.severity, x.code, x.location) for x in diags} == {
        ("WARNING", "INVALID_RESOURCE", "/States/A/Resource"),
        ("WARNING", "NO_DOLLAR", "/States/A/Parameters/p"),
        ("WARNING", "PASS_RESULT_IS_STATIC", "/States/B/Result"),
        ("WARNING", "NO_PATH", "/States/C/Error")}
    assert load(d) is d


def test_diagnostics_are_frozen_and_serialisable():
    d = validate(m({"A": pass_(Next="Nope")}))[0]
    with pytest.raises(Exception):
        d.code = "X"  # type: ignore[misc]
    assert json.loads(json.dumps(d.to_dict()))["location"] == "/States/A/Next"


def test_messages_use_aws_wording():
    msgs = {d.location: d.message for d in validate(m({"A": pass_(Next="Nope", Resource=LAMBDA), "B": pass_()}))}
    assert msgs["/States/A/Next"] == "Missing 'Next' target: Nope"
    assert msgs["/States/B"] == 'State "B" is not reachable.'
    assert msgs["/States/A/Resource"] == "Field 'Resource' is not supported"


# ---------------------------------------------------------------- load()

def test_load_returns_the_definition():
    text = (DEFS / "clean.asl.json").read_text()
    assert load(text) == json.loads(text)
    assert type(load(text)) is dict


def test_load_raises_with_every_error():
    with pytest.raises(AslDefinitionError) as exc:
        load(m({"A": pass_(Next="Nope"), "B": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}))
    pairs = dict(exc.value.diagnostics)
    assert pairs["/States/A/Next"] == "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope"
    assert pairs["/States/B/ErrorPath"].startswith("SCHEMA_VALIDATION_FAILED: ")


def test_load_rejects_bad_json():
    with pytest.raises(AslDefinitionError) as exc:
        load("{not json")
    assert exc.value.diagnostics[0][1].startswith("INVALID_JSON_DESCRIPTION: ")


# ---------------------------------------------------------------- the command

def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("validate")(validate_command)
    app.command("other")(lambda: None)  # two commands: typer keeps "validate" as a sub-command
    return app


def test_command_on_a_clean_file_exits_0():
    out = CliRunner().invoke(_app(), ["validate", str(DEFS / "clean.asl.json")])
    assert out.exit_code == 0, out.output
    assert "0 error(s), 0 warning(s), 0 data-flow finding(s)" in out.output


def test_command_prints_errors_and_exits_1(tmp_path):
    bad = tmp_path / "bad.asl.json"
    bad.write_text(json.dumps(m({"A": pass_(Next="Nope")})))
    out = CliRunner().invoke(_app(), ["validate", str(bad)])
    assert out.exit_code == 1
    assert "ERROR   MISSING_TRANSITION_TARGET /States/A/Next: Missing 'Next' target: Nope" in out.output


def test_command_prints_lint_findings_without_failing():
    out = CliRunner().invoke(_app(), ["validate", str(DEFS / "catch_without_resultpath.asl.json")])
    assert out.exit_code == 0, out.output
    assert "LINT    missing-field /States/Report/Parameters/id.$" in out.output


def test_command_json_is_one_object():
    out = CliRunner().invoke(_app(), ["validate", "--json", str(DEFS / "catch_without_resultpath.asl.json")])
    assert out.exit_code == 0
    doc = json.loads(out.output)
    assert doc["diagnostics"] == []
    assert [f["pointer"] for f in doc["findings"]] == ["/States/Report/Parameters/id.$"]


def test_command_json_exit_code_follows_errors():
    out = CliRunner().invoke(_app(), ["validate", "--json", str(DEFS / "not_json.asl.json")])
    assert out.exit_code == 1
    assert json.loads(out.output)["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"


def test_command_missing_file_is_one_clear_message_and_exit_2(tmp_path):
    out = CliRunner().invoke(_app(), ["validate", str(tmp_path / "nope.json")])
    assert out.exit_code == 2
    assert "cannot read the state machine definition" in out.output and "Traceback" not in out.output


# ---------------------------------------------------------------- no false positives

def _corpus_definitions():
    for f in sorted(glob.glob(str(CORPUS / "*.json"))):
        case = json.loads(Path(f).read_text())
        yield Path(f).name, case["definition"]
        for c in case.get("companions", []):
            if "definition" in c:
                yield Path(f).name + " (companion)", c["definition"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the conformance corpus (/work/shared) is not here")
def test_no_error_on_definitions_that_ran_on_real_aws():
    seen, bad = 0, []
    for name, definition in _corpus_definitions():
        seen += 1
        bad += [f"{name}: {d}" for d in validate(definition) if d.severity == "ERROR"]
        bad += [f"{name} (text): {d}" for d in validate(json.dumps(definition)) if d.severity == "ERROR"]
    assert seen > 600
    assert bad == []


@pytest.mark.parametrize("definition", [
    [], "[1]", {"StartAt": 1, "States": []}, {"StartAt": "A", "States": {"A": "Pass"}},
    {"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": "$", "Default": 3}}},
    {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": LAMBDA, "End": 1.5, "Catch": 1, "Retry": [2]}}},
    {"StartAt": "A", "States": {"A": {"Type": "Parallel", "Branches": [1, {"States": {}}], "End": True}}},
    {"StartAt": "A", "States": {"A": {"Type": "Map", "ItemProcessor": [], "Iterator": {}, "End": True}}},
    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"a.$": None, "b": {"c.$": ["$"]}}, "End": True}}},
])
def test_malformed_definitions_give_diagnostics_not_exceptions(definition):
    assert any(d.severity == "ERROR" for d in validate(definition))


def test_cases_do_not_mutate_their_input():
    d = m({"A": pass_(Parameters={"x.$": "$.a"})})
    before = copy.deepcopy(d)
    validate(d)
    assert d == before
