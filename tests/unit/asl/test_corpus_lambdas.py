"""The corpus's Lambda functions: found by name and behaviour, and failing with the
error documents AWS recorded (stack traces naming /var/task/handler.py and its line)."""

from __future__ import annotations

import json
import traceback
from pathlib import Path

import pytest

from sim import Simulation
from sim.asl.conformance import NotRunnable, score
from sim.asl.corpus_lambdas import HANDLER_FILE, UnknownLambda, handler_file_text, handler_for, known_names
from tests.unit.sim.conftest import fn, make_stack

CORPUS = Path("/work/shared/conformance/asl/dev")

# As recorded by AWS (the corpus case error_handling.task_lambda.raise_exception and
# error_handling.task_lambda.raise_custom_exception); requestId is a placeholder.
RAISE_EXCEPTION_DOC = {
    "errorMessage": "Some exception was raised.", "errorType": "Exception", "requestId": "<uuid:1>",
    "stackTrace": ["  File \"/var/task/handler.py\", line 2, in handler\n"
                   "    raise Exception(\"Some exception was raised.\")\n"]}
CUSTOM_EXCEPTION_DOC = {
    "errorMessage": "", "errorType": "CustomException", "requestId": "<uuid:1>",
    "stackTrace": ["  File \"/var/task/handler.py\", line 9, in handler\n    raise CustomException()\n"]}
RAISES = "raises a plain Python Exception whose message is 'Some exception was raised.' " \
         "(the Lambda error type is 'Exception')"
IDENTITY = "returns its input event unchanged"


def corpus_lambdas() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for path in sorted(CORPUS.glob("*.json")):
        found.update(json.loads(path.read_text()).get("lambdas") or {})
    return found


@pytest.mark.skipif(not CORPUS.is_dir(), reason="conformance corpus not present")
def test_every_lambda_the_corpus_names_has_a_handler():
    lambdas = corpus_lambdas()
    assert lambdas, "the dev corpus names Lambda functions"
    for name, description in lambdas.items():
        assert callable(handler_for(name, description)), name
    assert set(lambdas) <= set(known_names())


def test_unknown_function_or_behaviour_is_not_runnable():
    with pytest.raises(UnknownLambda, match="lambda:nope: unknown corpus function"):
        handler_for("nope")
    with pytest.raises(NotRunnable, match="no corpus handler does 'sings a song'"):
        handler_for("id_function", {"behaviour": "sings a song"})


def test_a_known_behaviour_under_another_name_works():
    assert handler_for("echo_function", {"behaviour": IDENTITY})({"a": 1}, None) == {"a": 1}
    assert handler_for("id_function", "returns its   input event\nunchanged")([1], None) == [1]


def lambda_stack_trace(handler) -> tuple[Exception, list[str]]:
    """Call the handler and format its traceback as the Lambda runtime does (its own frames dropped)."""
    try:
        handler({}, None)
    except Exception as exc:  # noqa: BLE001 - the handler's error is the point
        return exc, traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])
    raise AssertionError("the handler did not raise")


def test_raise_exception_stack_trace_names_var_task_handler_line_2():
    exc, stack = lambda_stack_trace(handler_for("raise_exception", {"behaviour": RAISES}))
    assert (type(exc).__name__, str(exc)) == ("Exception", "Some exception was raised.")
    assert stack == RAISE_EXCEPTION_DOC["stackTrace"]


def test_raise_custom_exception_has_an_empty_message_and_line_9():
    exc, stack = lambda_stack_trace(handler_for("raise_custom_exception"))
    assert (type(exc).__name__, str(exc), exc.message) == ("CustomException", "", "CustomException message")
    assert stack == CUSTOM_EXCEPTION_DOC["stackTrace"]


def test_both_raising_handlers_show_their_own_lines_whichever_was_built_last():
    first = handler_for("raise_exception")
    handler_for("raise_custom_exception")
    assert lambda_stack_trace(first)[1] == RAISE_EXCEPTION_DOC["stackTrace"]


def test_the_virtual_handler_file_holds_each_handler_at_its_lines():
    lines = handler_file_text().splitlines()
    assert lines[1] == '    raise Exception("Some exception was raised.")'
    assert lines[8] == "    raise CustomException()"
    assert HANDLER_FILE == "/var/task/handler.py"


def test_bytes_results():
    assert handler_for("return_bytes_str")({}, None) == b'"HelloWorld!"'
    big = handler_for("large_output_string")({}, None)
    assert big == b"a" * (257 * 1024) and len(big) > 256 * 1024


# -- through the simulator's Lambda ---------------------------------------------
@pytest.fixture
def lam():
    names = ["raise_exception", "raise_custom_exception", "id_function", "wait_60_seconds", "lambda_1_func_uid1",
             "return_bytes_str", "large_output_string"]
    sim = Simulation(make_stack(functions=[fn(n, handler_for(n), timeout_s=300) for n in names])).start()
    yield sim
    sim.close()


def invoke(sim, name: str, payload: bytes = b'{"a": 1}') -> tuple[dict, bytes]:
    out = sim.client("lambda").invoke(FunctionName=name, Payload=payload)
    return out, out["Payload"].read()


def test_id_function_and_sleepers_return_the_event_after_60_virtual_seconds(lam):
    assert json.loads(invoke(lam, "id_function")[1]) == {"a": 1}
    for name in ("wait_60_seconds", "lambda_1_func_uid1"):
        before = lam.clock.now_s
        out, body = invoke(lam, name)
        assert "FunctionError" not in out and json.loads(body) == {"a": 1}
        assert lam.clock.now_s - before >= 60.0


def as_case(doc: dict) -> dict:
    return {"expected": {"status": "FAILED", "error": doc["errorType"], "cause": doc}}


@pytest.mark.parametrize("name, doc", [("raise_exception", RAISE_EXCEPTION_DOC),
                                       ("raise_custom_exception", CUSTOM_EXCEPTION_DOC)])
def test_simulated_lambda_error_document_is_the_recorded_one(lam, name, doc):
    out, body = invoke(lam, name)
    assert out["FunctionError"] == "Unhandled"
    got = json.loads(body)
    assert list(got) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    actual = {"status": "FAILED", "error": got["errorType"], "cause": body.decode()}
    assert score(as_case(doc), actual) == (True, "ok")


def test_simulated_lambda_sends_bytes_unchanged(lam):
    out, body = invoke(lam, "return_bytes_str")
    assert "FunctionError" not in out and body == b'"HelloWorld!"'
    out, body = invoke(lam, "large_output_string")
    assert "FunctionError" not in out and body == b"a" * (257 * 1024)  # not JSON: the caller's limit check decides
