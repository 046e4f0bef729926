"""Step Functions Local's mock configuration: loading, lookups and clear errors."""

from __future__ import annotations

import copy
import json

import pytest
from pydantic import ValidationError

from sim.asl.errors import StatesError
from sim.asl.mockconfig import (
    MockConfig, MockMissing, MockReturn, MockThrow, RawMockConfig, TestCaseMocks, split_test_case,
)
from sim.errors import ConfigError

# The example of the AWS guide (sfn-local-mock-cfg-file.html), trimmed.
EXAMPLE = {
    "StateMachines": {
        "LambdaSQSIntegration": {
            "TestCases": {
                "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
                "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
                "HybridPath": {"LambdaState": "MockedLambdaSuccess"},
            }
        }
    },
    "MockedResponses": {
        "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"body": "Hello from Lambda!"}}}},
        "MockedSQSSuccess": {"0": {"Return": {"MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
        "MockedLambdaRetry": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
            "3": {"Return": {"StatusCode": 200, "Payload": {"body": "Hello from Lambda!"}}},
        },
    },
}


def edited(**responses) -> dict:
    doc = copy.deepcopy(EXAMPLE)
    doc["MockedResponses"].update(responses)
    return doc


def test_load_from_dict_or_file_and_look_up_attempts(tmp_path):
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(EXAMPLE))
    for config in (MockConfig.load(EXAMPLE), MockConfig.load(path), MockConfig.load(str(path))):
        mocks = config.test_case("LambdaSQSIntegration", "RetryPath")
        assert isinstance(mocks, TestCaseMocks)
        assert mocks.response("LambdaState", 0) == MockThrow("Lambda.ResourceNotReadyException",
                                                             "Lambda resource is not ready.")
        assert mocks.response("LambdaState", 1) == mocks.response("LambdaState", 2) == \
            MockThrow("Lambda.TimeoutException", "Lambda timed out.")
        assert mocks.response("LambdaState", 3) == MockReturn({"StatusCode": 200, "Payload": {"body": "Hello from Lambda!"}})
        assert mocks.response("SQSState", 0) == MockReturn({"MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"})


def test_a_state_not_in_the_test_case_is_not_mocked():
    mocks = MockConfig.load(EXAMPLE).test_case("LambdaSQSIntegration", "HybridPath")
    assert mocks.response("SQSState", 0) is None  # the real integration runs
    assert mocks.response("LambdaState", 0) == MockReturn({"StatusCode": 200, "Payload": {"body": "Hello from Lambda!"}})


def test_return_may_be_any_json_value_including_null():
    config = MockConfig.load(edited(Plain={"0": {"Return": "text"}, "1": {"Return": None}, "2": {"Return": [1]}}))
    assert config.mocked_response("Plain").at(0) == MockReturn("text")
    assert config.mocked_response("Plain").at(1) == MockReturn(None)
    assert config.mocked_response("Plain").at(2) == MockReturn([1])


def test_an_attempt_past_the_last_range_fails_the_state_with_states_runtime():
    mocks = MockConfig.load(EXAMPLE).test_case("LambdaSQSIntegration", "RetryPath")
    with pytest.raises(MockMissing) as err:
        mocks.response("LambdaState", 4)
    assert isinstance(err.value, StatesError) and err.value.error == "States.Runtime"
    assert "'LambdaState'" in err.value.cause and "'MockedLambdaRetry'" in err.value.cause
    assert "attempt 4" in err.value.cause and "0, 1-2, 3" in err.value.cause


def test_a_gap_between_ranges_fails_and_an_empty_response_loads_but_fails_when_used():
    doc = edited(Gappy={"0": {"Return": 1}, "2": {"Return": 3}}, Empty={})
    doc["StateMachines"]["M"] = {"TestCases": {"T": {"S": "Gappy", "E": "Empty"}}}
    mocks = MockConfig.load(doc).test_case("M", "T")
    assert mocks.response("S", 2) == MockReturn(3)
    with pytest.raises(MockMissing, match="attempt 1"):
        mocks.response("S", 1)
    with pytest.raises(MockMissing, match=r"attempts defined: none"):
        mocks.response("E", 0)


def test_unknown_state_machine_or_test_case_names_the_location():
    config = MockConfig.load(EXAMPLE)
    with pytest.raises(ConfigError, match=r"/StateMachines/LambdaSQSIntegration/TestCases has no test case 'Sad' "
                                          r"\(defined: HappyPath, HybridPath, RetryPath\)"):
        config.test_case("LambdaSQSIntegration", "Sad")
    with pytest.raises(ConfigError, match="/StateMachines has no state machine 'Other'"):
        config.test_case("Other", "HappyPath")


def test_undefined_mocked_response_is_refused_when_its_test_case_is_chosen(tmp_path):
    doc = copy.deepcopy(EXAMPLE)
    doc["StateMachines"]["LambdaSQSIntegration"]["TestCases"]["Broken"] = {"LambdaState": "Nope"}
    path = tmp_path / "mock.json"
    path.write_text(json.dumps(doc))
    config = MockConfig.load(path)
    config.test_case("LambdaSQSIntegration", "HappyPath")  # other test cases still work
    with pytest.raises(ConfigError) as err:
        config.test_case("LambdaSQSIntegration", "Broken")
    assert str(err.value).startswith(f"{path}: /StateMachines/LambdaSQSIntegration/TestCases/Broken/LambdaState "
                                     f"names mocked response 'Nope', which /MockedResponses does not define")


@pytest.mark.parametrize("entries, message", [
    ({"2-1": {"Return": 1}}, r"/MockedResponses/Bad/2-1: '2-1' is not an invocation number or range"),
    ({"-1": {"Return": 1}}, r"'-1' is not an invocation number"),
    ({"one": {"Return": 1}}, r"'one' is not an invocation number"),
    ({"1-2-3": {"Return": 1}}, r"'1-2-3' is not an invocation number"),
    ({"0-2": {"Return": 1}, "2": {"Return": 2}}, r"/MockedResponses/Bad: attempt ranges '0-2' and '2' overlap"),
    ({"3-5": {"Return": 1}, "0-3": {"Return": 2}}, r"attempt ranges '0-3' and '3-5' overlap"),
    ({"1": {"Return": 1}, "1-1": {"Return": 2}}, r"attempt ranges '1' and '1' overlap"),
])
def test_bad_range_keys_and_overlaps_are_refused(entries, message):
    with pytest.raises(ConfigError, match=message):
        MockConfig.load(edited(Bad=entries))


@pytest.mark.parametrize("entry, message", [
    ({"Return": 1, "Throw": {"Error": "E", "Cause": "C"}}, r"at /MockedResponses/Bad/0: .*either 'Return' or 'Throw'"),
    ({}, r"at /MockedResponses/Bad/0: an attempt needs 'Return' .* or 'Throw'"),
    ({"Throw": {"Error": "E"}}, r"at /MockedResponses/Bad/0/Throw/Cause: Field required"),
    ({"Throw": {"Error": 1, "Cause": "C"}}, r"at /MockedResponses/Bad/0/Throw/Error: Input should be a valid string"),
    ({"Return": 1, "Delay": 3}, r"at /MockedResponses/Bad/0/Delay: Extra inputs"),
])
def test_bad_attempt_entries_are_refused_with_their_location(tmp_path, entry, message):
    path = tmp_path / "mock.json"
    path.write_text(json.dumps(edited(Bad={"0": entry})))
    with pytest.raises(ConfigError, match=message) as err:
        MockConfig.load(path)
    assert str(err.value).startswith(f"{path}: the mock config does not validate")


@pytest.mark.parametrize("doc, message", [
    ({"MockedResponses": {}}, "at /StateMachines: Field required"),
    ({"StateMachines": {"M": {"TestCases": {"T": {"S": 3}}}}, "MockedResponses": {}},
     "at /StateMachines/M/TestCases/T/S: Input should be a valid string"),
    ({"StateMachines": {"M": {}}, "MockedResponses": {}}, "at /StateMachines/M/TestCases: Field required"),
    ([], "a mock config is a JSON object"),
])
def test_bad_file_shapes(doc, message):
    with pytest.raises(ConfigError, match=message):
        MockConfig.from_dict(doc)


def test_missing_or_unparseable_file(tmp_path):
    with pytest.raises(ConfigError, match="mock config file not found"):
        MockConfig.load(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"StateMachines": ')
    with pytest.raises(ConfigError, match=r"bad\.json:1:\d+: not valid JSON"):
        MockConfig.load(bad)


def test_raw_models_are_frozen():
    raw = RawMockConfig.model_validate(EXAMPLE)
    with pytest.raises(ValidationError):
        raw.StateMachines = {}


def test_test_case_suffix_of_a_state_machine_arn():
    arn = "arn:aws:states:us-east-1:111111111111:stateMachine:LambdaSQSIntegration"
    assert split_test_case(f"{arn}#HappyPath") == (arn, "HappyPath")
    assert split_test_case(arn) == (arn, None)
