"""Reading config variables straight from the environment's encoded pairs and the session's own
variables answers as botocore's providers do (sim/runtime/botofast.py), whatever the environment."""

from __future__ import annotations

import os

import botocore.session
import pytest
from botocore import configprovider
from botocore.exceptions import ProfileNotFound

from sim.runtime import botofast
from tests.unit.sim.conftest import fast_and_plain

ENVIRONMENTS = [
    {},
    {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "us-west-2", "AWS_MAX_ATTEMPTS": "7",
     "AWS_RETRY_MODE": "adaptive", "AWS_USE_FIPS_ENDPOINT": "true", "AWS_DEFAULTS_MODE": "standard"},
    {"AWS_DEFAULT_REGION": "", "AWS_USE_DUALSTACK_ENDPOINT": "false", "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT": "legacy",
     "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required", "AWS_SDK_UA_APP_ID": "app-\udcff-é"},
    {"AWS_PROFILE": "nowhere"},  # a profile that is not in the config file: ProfileNotFound either way
    {"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_DEFAULT_PROFILE": "default", "AWS_EC2_METADATA_DISABLED": "true"},
]
SET = [{}, {"region": "ap-south-1", "max_attempts": 2}, {"profile": None, "retry_mode": "legacy"}]


def _clear(monkeypatch) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_") or name.startswith("BOTO_"):
            monkeypatch.delenv(name)


def _answers(env: dict, instance: dict) -> dict:
    session = botocore.session.Session()
    for name, value in instance.items():
        session.set_config_variable(name, value)
    store = session.get_component("config_store")
    out = {}
    for name in sorted(set(store._mapping) | set(session.session_var_map)):
        try:
            out[name] = ("value", store.get_config_variable(name), session.get_config_variable(name))
        except ProfileNotFound as exc:
            out[name] = ("error", str(exc))
    try:
        out["(scoped)"] = session.get_scoped_config()
    except ProfileNotFound as exc:
        out["(scoped)"] = str(exc)
    return out


@pytest.mark.parametrize("instance", SET)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_config_variable_reads_as_botocores_providers_read_it(monkeypatch, env, instance):
    _clear(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fast, plain = fast_and_plain(botofast, lambda: _answers(env, instance))
    assert fast == plain
    assert any(v[0] == "value" and v[1] is not None for v in fast.values() if isinstance(v, tuple))


def test_the_environment_is_read_afresh_at_each_lookup(monkeypatch):
    botofast.install()
    provider = configprovider.EnvironmentProvider("SHADOWSIM_TEST_VAR", os.environ)
    monkeypatch.delenv("SHADOWSIM_TEST_VAR", raising=False)
    seen = [provider.provide()]
    for value in ("a", "", "\udcfe-\u00e9-\u4e2d"):
        monkeypatch.setenv("SHADOWSIM_TEST_VAR", value)
        seen.append(provider.provide())
    monkeypatch.delenv("SHADOWSIM_TEST_VAR")
    seen.append(provider.provide())
    assert seen == [None, "a", "", "\udcfe-\u00e9-\u4e2d", None]


def test_other_environments_and_names_go_through_botocores_own_code():
    botofast.install()
    assert configprovider.EnvironmentProvider("X", {"X": "from-dict"}).provide() == "from-dict"
    assert configprovider.EnvironmentProvider("X", {}).provide() is None
    with pytest.raises(TypeError):  # os.environ refuses a name that is not a str, as it did
        configprovider.EnvironmentProvider(b"X", os.environ).provide()


def test_session_variables_are_read_as_set_and_a_session_of_ones_own_is_asked():
    botofast.install()
    session = botocore.session.Session()
    provider = configprovider.InstanceVarProvider("region", session)
    assert provider.provide() is None
    session.set_config_variable("region", "eu-central-1")
    assert provider.provide() == "eu-central-1"

    class Own(botocore.session.Session):
        def instance_variables(self):
            return {"region": "own"}

    assert configprovider.InstanceVarProvider("region", Own()).provide() == "own"
