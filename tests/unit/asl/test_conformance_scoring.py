"""The conformance harness's scoring (the corpus README's rules), its run and its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sim.asl import conformance
from sim.asl.conformance import Actual, NotRunnable, load_cases, run_corpus, score
from sim.errors import ConfigError

CORPUS = Path("/work/shared/conformance/asl/dev")


def ok(expected: dict, **actual) -> tuple[bool, str]:
    return score({"id": "t", "category": "c", "expected": expected}, Actual(**actual))


def succeeded(output, **extra) -> dict:
    return {"status": "SUCCEEDED", "output": output, **extra}


# -- 1. status -----------------------------------------------------------------
def test_status_must_be_equal_and_the_reason_shows_the_actual_error():
    passed, reason = ok(succeeded({}), status="FAILED", error="States.Runtime", cause="boom at 'X'")
    assert not passed
    assert reason == "status FAILED != SUCCEEDED (error States.Runtime: boom at 'X')"
    passed, reason = ok({"status": "FAILED", "error": "E"}, status="SUCCEEDED", output={})
    assert not passed and reason == "status SUCCEEDED != FAILED (expected error E)"


def test_actual_may_be_a_dict_or_any_object_or_a_describe_response():
    case = {"expected": succeeded({"a": 1})}
    assert score(case, {"status": "SUCCEEDED", "output": {"a": 1}}) == (True, "ok")
    assert score(case, type("R", (), {"status": "SUCCEEDED", "output": {"a": 1.0}})()) == (True, "ok")
    described = {"status": "SUCCEEDED", "output": '{"a": 1}', "executionArn": "arn:..."}
    assert score(case, Actual.from_describe(described)) == (True, "ok")
    failed = Actual.from_describe({"status": "FAILED", "error": "E", "cause": "C"})
    assert (failed.output, failed.error, failed.cause) == (None, "E", "C")


# -- 2. outputs ----------------------------------------------------------------
def test_output_equal_as_json_key_order_irrelevant():
    assert ok(succeeded({"a": 1, "b": [1, {"c": None}]}), status="SUCCEEDED",
              output={"b": [1, {"c": None}], "a": 1})[0]


def test_output_difference_names_the_path():
    passed, reason = ok(succeeded({"a": {"b": 1}}), status="SUCCEEDED", output={"a": {"b": 2}})
    assert not passed and reason == "output differs at /a/b: expected 1, got 2"


def test_numbers_by_value_but_booleans_are_not_numbers():
    assert ok(succeeded({"n": 1}), status="SUCCEEDED", output={"n": 1.0})[0]
    assert ok(succeeded([2.5e3]), status="SUCCEEDED", output=[2500])[0]
    passed, reason = ok(succeeded({"n": 1}), status="SUCCEEDED", output={"n": True})
    assert not passed and reason == "output differs at /n: expected 1, got true"
    assert not ok(succeeded(False), status="SUCCEEDED", output=0)[0]
    assert not ok(succeeded("1"), status="SUCCEEDED", output=1)[0]
    assert not ok(succeeded(None), status="SUCCEEDED", output={})[0]


def test_missing_and_unexpected_keys_and_array_lengths_fail():
    assert ok(succeeded({"a": 1, "b": 2}), status="SUCCEEDED", output={"a": 1})[1] == \
        "output differs at /b: expected 2, got nothing (key absent)"
    assert ok(succeeded({"a": 1}), status="SUCCEEDED", output={"a": 1, "z": 0})[1] == \
        "output differs at /z: unexpected key (got 0)"
    assert ok(succeeded([1, 2]), status="SUCCEEDED", output=[1, 2, 3])[1] == "output differs at /: expected 2 items, got 3"
    assert ok(succeeded([1, 2]), status="SUCCEEDED", output=[1, 3])[1] == "output differs at /1: expected 2, got 3"


def test_ignore_paths_delete_from_both_sides():
    expected = succeeded({"Date": "date", "Headers": {"Id": "x-id", "Len": "3"}},
                         ignore_paths=[["Date"], ["Headers", "Id"]])
    assert ok(expected, status="SUCCEEDED", output={"Date": 1700000000, "Headers": {"Id": "abc", "Len": "3"}})[0]
    assert ok(expected, status="SUCCEEDED", output={"Headers": {"Len": "3"}})[0]  # absent in A: nothing to delete
    passed, reason = ok(expected, status="SUCCEEDED", output={"Date": 1, "Headers": {"Id": "abc", "Len": "4"}})
    assert not passed and reason == 'output differs at /Headers/Len: expected "3", got "4"'
    # without the ignore path the same output fails
    assert not ok(succeeded({"Date": "date"}), status="SUCCEEDED", output={"Date": 1})[0]


def test_ignore_path_into_an_array_keeps_later_indices():
    expected = succeeded({"a": ["ts-1", "keep", "ts-2"]}, ignore_paths=[["a", 0], ["a", 2]])
    assert ok(expected, status="SUCCEEDED", output={"a": [1, "keep", 2]})[0]
    assert not ok(expected, status="SUCCEEDED", output={"a": [1, "other", 2]})[0]
    assert not ok(expected, status="SUCCEEDED", output={"a": [1, "keep"]})[0]


def test_output_patterns_must_fully_match_then_are_deleted():
    expected = succeeded({"Cause": "id <request-id> end", "x": 1},
                         output_patterns=[{"path": ["Cause"], "regex": "^id (.+?) end$"}])
    assert ok(expected, status="SUCCEEDED", output={"Cause": "id 42-ab end", "x": 1})[0]
    passed, reason = ok(expected, status="SUCCEEDED", output={"Cause": "id 42-ab end!", "x": 1})
    assert not passed and reason.startswith('output at /Cause: "id 42-ab end!" does not match /^id (.+?) end$/')
    assert ok(expected, status="SUCCEEDED", output={"x": 1})[1] == \
        "output at /Cause: nothing there (output_patterns expects a string)"
    assert "expected a string" in ok(expected, status="SUCCEEDED", output={"Cause": 3, "x": 1})[1]
    assert not ok(expected, status="SUCCEEDED", output={"Cause": "id 1 end", "x": 2})[0]


def test_output_patterns_fullmatch_even_without_anchors():
    expected = succeeded({"v": "ab"}, output_patterns=[{"path": ["v"], "regex": "a."}])
    assert ok(expected, status="SUCCEEDED", output={"v": "ab"})[0]
    assert not ok(expected, status="SUCCEEDED", output={"v": "abc"})[0]


def test_output_patterns_with_array_indices():
    expected = succeeded([{"C": "r-<uuid:1>"}], output_patterns=[{"path": [0, "C"], "regex": "^r-(.+?)$"}])
    assert ok(expected, status="SUCCEEDED", output=[{"C": "r-123"}])[0]
    assert not ok(expected, status="SUCCEEDED", output=[{"C": "x-123"}])[0]


# -- 3. failures -----------------------------------------------------------------
def failed(**extra) -> dict:
    return {"status": "FAILED", **extra}


def test_error_and_cause_must_be_equal():
    expected = failed(error="States.Runtime", cause="An error occurred (entered at the event id #2).")
    assert ok(expected, status="FAILED", error="States.Runtime", cause="An error occurred (entered at the event id #2).")[0]
    passed, reason = ok(expected, status="FAILED", error="States.Runtime", cause="An error occurred (entered at the event id #3).")
    assert not passed and reason.startswith('cause "An error occurred (entered at the event id #3)." != ')
    passed, reason = ok(expected, status="FAILED", error="States.TaskFailed", cause=expected["cause"])
    assert not passed and reason == 'error "States.TaskFailed" != "States.Runtime"'


def test_error_and_cause_patterns():
    expected = failed(error="X", error_pattern="^Lambda\\..+$", cause="Request ID: <request_id>",
                      cause_pattern="^Request ID: (.+?)$")
    assert ok(expected, status="FAILED", error="Lambda.Unknown", cause="Request ID: 5f-1")[0]
    assert "does not match" in ok(expected, status="FAILED", error="States.X", cause="Request ID: 5f-1")[1]
    assert "cause" in ok(expected, status="FAILED", error="Lambda.Unknown", cause="Request: 5f-1")[1]
    assert not ok(expected, status="FAILED", error="Lambda.Unknown", cause=None)[0]


def test_absent_error_or_cause_must_be_absent_null_or_empty():
    expected = failed(cause="This failed.")
    for empty in (None, ""):
        assert ok(expected, status="FAILED", error=empty, cause="This failed.")[0]
    passed, reason = ok(expected, status="FAILED", error="Oops", cause="This failed.")
    assert not passed and reason == 'error should be absent, got "Oops"'
    assert ok(failed(error="E"), status="FAILED", error="E", cause="")[0]
    assert not ok(failed(error="E"), status="FAILED", error="E", cause="why")[0]


LAMBDA_DOC = {"errorMessage": "Some exception was raised.", "errorType": "Exception", "requestId": "<uuid:1>",
              "stackTrace": ["  File \"/var/task/handler.py\", line 2, in handler\n"
                             "    raise Exception(\"Some exception was raised.\")\n"]}


def test_json_document_cause_with_placeholders():
    expected = failed(error="Exception", cause=LAMBDA_DOC)
    actual = dict(LAMBDA_DOC, requestId="9b2b7f5e-0000-4000-8000-000000000001")
    assert ok(expected, status="FAILED", error="Exception", cause=json.dumps(actual))[0]
    assert ok(expected, status="FAILED", error="Exception", cause=json.dumps(actual, separators=(",", ":")))[0]
    wrong = dict(actual, stackTrace=[LAMBDA_DOC["stackTrace"][0].replace("/var/task/handler.py", "handler.py")])
    passed, reason = ok(expected, status="FAILED", error="Exception", cause=json.dumps(wrong))
    assert not passed and reason.startswith("cause differs at /stackTrace/0: expected ")
    passed, reason = ok(expected, status="FAILED", error="Exception", cause="Some exception was raised.")
    assert not passed and reason.startswith("cause is not a JSON document")
    missing = {k: v for k, v in actual.items() if k != "requestId"}
    assert not ok(expected, status="FAILED", error="Exception", cause=json.dumps(missing))[0]


def test_date_placeholders_match_any_value_and_embedded_ones_any_text():
    doc = {"ExecutionArn": "arn:aws:states:us-east-1:111111111111:execution:<ArnPart_0idx>:TestStartTarget",
           "StartDate": "start-date", "StopDate": "stop-date", "Status": "FAILED"}
    expected = failed(error="States.TaskFailed", cause=doc)
    actual = dict(doc, ExecutionArn="arn:aws:states:us-east-1:111111111111:execution:Target:TestStartTarget",
                  StartDate=1.7e12, StopDate=1.7e12 + 5)
    assert ok(expected, status="FAILED", error="States.TaskFailed", cause=json.dumps(actual))[0]
    other = dict(actual, ExecutionArn="arn:aws:states:us-east-1:111111111111:execution:Target:Other")
    assert not ok(expected, status="FAILED", error="States.TaskFailed", cause=json.dumps(other))[0]
    assert not ok(expected, status="FAILED", error="States.TaskFailed", cause=json.dumps(dict(actual, Status="X")))[0]


def test_document_cause_absent_keys_may_be_null_but_not_set():
    expected = failed(error="E", cause={"Error": "States.Timeout"})
    assert ok(expected, status="FAILED", error="E", cause='{"Error": "States.Timeout", "Cause": null}')[0]
    passed, reason = ok(expected, status="FAILED", error="E", cause='{"Error": "States.Timeout", "Cause": "x"}')
    assert not passed and reason == 'cause differs at /Cause: unexpected key (got "x")'


def test_placeholders_only_in_document_causes_not_in_outputs():
    assert not ok(succeeded({"id": "<uuid:1>"}), status="SUCCEEDED", output={"id": "abc"})[0]


def test_timed_out_checks_status_only():
    expected = {"status": "TIMED_OUT", "error": "States.Timeout"}
    assert ok(expected, status="TIMED_OUT")[0]
    assert ok(expected, status="TIMED_OUT", error="Other", cause="whatever")[0]
    assert not ok(expected, status="FAILED", error="States.Timeout")[0]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="conformance corpus not present")
def test_every_corpus_case_passes_against_its_own_expectation():
    """The README's promise, and a check that scoring reads every field the corpus uses."""
    for case in load_cases(CORPUS):
        e = case["expected"]
        cause = json.dumps(e["cause"]) if isinstance(e.get("cause"), (dict, list)) else e.get("cause")
        passed, reason = score(case, Actual(e["status"], e.get("output"), e.get("error"), cause))
        assert passed, f"{case['id']}: {reason}"


# -- loading -------------------------------------------------------------------
def write_case(folder: Path, case_id: str, category: str = "base", needs=(), status="SUCCEEDED", **extra) -> dict:
    case = {"id": case_id, "category": category, "definition": {"StartAt": "P", "States": {}}, "input": {},
            "expected": {"status": status, "output": {"v": case_id}}, "needs": list(needs), **extra}
    (folder / f"{case_id}.json").write_text(json.dumps(case))
    return case


def test_load_cases_sorted_and_corrupt_cases_named(tmp_path):
    write_case(tmp_path, "b")
    write_case(tmp_path, "a")
    assert [c["id"] for c in load_cases(tmp_path)] == ["a", "b"]
    (tmp_path / "c.json").write_text('{"id": "c", ')
    with pytest.raises(ConfigError, match=r"c\.json:1:\d+: corrupt case, not valid JSON"):
        load_cases(tmp_path)
    (tmp_path / "c.json").write_text('{"id": "c", "category": "x", "definition": {}, "expected": {"status": "DONE"}}')
    with pytest.raises(ConfigError, match=r"c\.json: corrupt case, expected.status"):
        load_cases(tmp_path)
    (tmp_path / "c.json").write_text('{"id": "c"}')
    with pytest.raises(ConfigError, match=r"c\.json: corrupt case, missing category, definition, expected"):
        load_cases(tmp_path)


def test_load_cases_refuses_missing_empty_or_duplicate(tmp_path):
    with pytest.raises(ConfigError, match="not a directory"):
        load_cases(tmp_path / "nope")
    with pytest.raises(ConfigError, match="no \\*.json case files"):
        load_cases(tmp_path)
    case = write_case(tmp_path, "a")
    (tmp_path / "z.json").write_text(json.dumps(case))
    with pytest.raises(ConfigError, match="z.json: case id 'a' is also used by a.json"):
        load_cases(tmp_path)


# -- running and reporting ---------------------------------------------------------
def fake_runner(case: dict):
    kind = case["id"].split("-")[0]
    if kind == "pass":
        return Actual("SUCCEEDED", case["expected"]["output"])
    if kind == "fail":
        return Actual("SUCCEEDED", {"v": "wrong"})
    if kind == "skip":
        raise NotRunnable("needs sqs")
    raise RuntimeError("interpreter crashed")


@pytest.fixture
def corpus(tmp_path) -> Path:
    write_case(tmp_path, "pass-1", "base", needs=["map", "retry"])
    write_case(tmp_path, "pass-2", "choice")
    write_case(tmp_path, "fail-1", "base", needs=["map"])
    write_case(tmp_path, "skip-1", "services", needs=["sqs"])
    write_case(tmp_path, "crash-1", "services")
    return tmp_path


def test_run_corpus_totals_categories_needs_and_lists(corpus):
    report = run_corpus(corpus, fake_runner)
    assert report.totals() == {"pass": 2, "fail": 2, "not_run": 1}
    assert report.by_category() == {"base": {"pass": 1, "fail": 1, "not_run": 0},
                                    "choice": {"pass": 1, "fail": 0, "not_run": 0},
                                    "services": {"pass": 0, "fail": 1, "not_run": 1}}
    assert report.by_need() == {"(none)": {"pass": 1, "fail": 1, "not_run": 0},
                                "map": {"pass": 1, "fail": 1, "not_run": 0},
                                "retry": {"pass": 1, "fail": 0, "not_run": 0},
                                "sqs": {"pass": 0, "fail": 0, "not_run": 1}}
    assert report.failures() == [
        {"id": "crash-1", "reason": "runner raised RuntimeError: interpreter crashed"},
        {"id": "fail-1", "reason": 'output differs at /v: expected "fail-1", got "wrong"'}]
    assert report.not_run() == [{"id": "skip-1", "reason": "needs sqs"}]
    assert not report.ok


def test_a_scoring_error_is_a_failed_case_not_a_crash(tmp_path):
    write_case(tmp_path, "pass-1", expected={"status": "SUCCEEDED", "output": {},
                                             "output_patterns": [{"path": ["v"], "regex": "("}]})
    report = run_corpus(tmp_path, lambda case: Actual("SUCCEEDED", {"v": "x"}))
    assert report.failures()[0]["reason"].startswith("scoring raised error")


def test_select_runs_matching_ids_only(corpus):
    assert [r.id for r in run_corpus(corpus, fake_runner, select="pass-*").results] == ["pass-1", "pass-2"]
    assert [r.id for r in run_corpus(corpus, fake_runner, select="skip").results] == ["skip-1"]
    with pytest.raises(ConfigError, match="matches 'zzz'"):
        run_corpus(corpus, fake_runner, select="zzz")


def many_cases(folder: Path, n_pass: int, failing: list[str]) -> None:
    for i in range(n_pass):
        write_case(folder, f"pass-{i}")
    for case_id in failing:
        write_case(folder, case_id)


def gaps_file(folder: Path, *ids: str) -> Path:
    path = folder / "gaps.yaml"
    path.write_text("".join(f"- id: {i}\n  reason: not modelled yet\n" for i in ids))
    return path


def test_known_gaps_listed_failures_are_allowed_and_stale_ones_flagged(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    many_cases(cases, 98, ["fail-1", "skip-1"])
    gaps = gaps_file(tmp_path, "fail-1", "skip-1")
    report = run_corpus(cases, fake_runner, gaps)
    assert report.ok and report.totals() == {"pass": 98, "fail": 1, "not_run": 1}
    assert report.failures()[0]["known_gap"] == "not modelled yet"
    assert [g["id"] for g in report.known_gaps()] == ["fail-1", "skip-1"]
    assert report.stale_gaps() == []
    report = run_corpus(cases, fake_runner, gaps_file(tmp_path, "fail-1", "skip-1", "pass-0", "holdout.x"))
    assert report.stale_gaps() == [{"id": "pass-0", "listed_because": "not modelled yet"}]
    assert report.gaps_not_in_corpus() == ["holdout.x"]
    assert not report.ok  # 3 listed cases > 2 % of 100


def test_unlisted_failure_or_not_run_is_not_ok(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    many_cases(cases, 98, ["fail-1", "skip-1"])
    assert not run_corpus(cases, fake_runner, gaps_file(tmp_path, "fail-1")).ok
    assert not run_corpus(cases, fake_runner, gaps_file(tmp_path, "skip-1")).ok


@pytest.mark.parametrize("text, message", [
    ("{id: a}", "a YAML list"),
    ("- id: a\n", "exactly the keys 'id' and 'reason'"),
    ("- {id: a, reason: ''}\n", "'reason' must say why"),
    ("- {id: a, reason: x}\n- {id: a, reason: y}\n", "listed twice"),
    ("- [a\n", "not valid YAML"),
])
def test_bad_known_gaps_file_is_named(tmp_path, corpus, text, message):
    path = tmp_path / "gaps.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        run_corpus(corpus, fake_runner, path)
    assert "gaps.yaml" in str(err.value)


# -- the command -----------------------------------------------------------------
@pytest.fixture
def app(monkeypatch) -> typer.Typer:
    monkeypatch.setattr(conformance, "harness_runner", lambda: fake_runner)
    app = typer.Typer()
    app.command("conformance")(conformance.conformance_command)
    app.command("other")(lambda: None)  # a group, as `shadowsim asl conformance`
    return app


def test_command_json_is_one_object_and_exit_1_when_not_ok(app, corpus):
    result = CliRunner().invoke(app, ["conformance", str(corpus), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["totals"] == {"pass": 2, "fail": 2, "not_run": 1}
    assert report["by_category"]["base"] == {"pass": 1, "fail": 1, "not_run": 0}
    assert report["by_need"]["(none)"] == {"pass": 1, "fail": 1, "not_run": 0}
    assert [f["id"] for f in report["failures"]] == ["crash-1", "fail-1"]
    assert report["ok"] is False


def test_command_table_lists_failures_and_exit_0_when_ok(app, tmp_path):
    many_cases(tmp_path, 3, [])
    result = CliRunner().invoke(app, ["conformance", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "by category" in result.output and "by needs" in result.output and "OK" in result.output
    write_case(tmp_path, "fail-9")
    result = CliRunner().invoke(app, ["conformance", str(tmp_path)])
    assert result.exit_code == 1 and "fail-9" in result.output and "expected" in result.output


def test_command_bad_input_is_one_message_exit_2(app, tmp_path):
    result = CliRunner().invoke(app, ["conformance", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "not a directory" in result.output
