"""Loading the strategy set: the real strategy.*.json format, the stage rule, overrides, errors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.unit.alchemiser.signal_helpers import STRATEGIES, write_config
from workflows.alchemiser.strategy_config import (
    StrategyConfigError, check_allocation_sum, load_strategy_config,
)
from workflows.dsl import tickers_in_files

REAL = Path(__file__).resolve().parents[4] / "shared" / "alchemiser"
needs_real = pytest.mark.skipif(not (REAL / "config" / "strategy.dev.json").is_file(),
                                reason="the real system's reference data (../shared/alchemiser) is not here")


def env(**extra) -> dict[str, str]:
    return {"STRATEGY__DIRECTORY": str(STRATEGIES), **extra}


@needs_real
def test_the_real_config_loads_with_its_twelve_files_and_their_universe():
    cfg = load_strategy_config({"STRATEGY__DIRECTORY": str(REAL / "strategies"),
                                "STRATEGY__CONFIG_DIR": str(REAL / "config"), "APP__STAGE": "prod"})
    assert cfg.source.endswith("strategy.prod.json") and len(cfg.files) == 12
    assert cfg.files[0] == "blatant_tech.clj" and cfg.allocations["defence.clj"] == Decimal("0.1")
    configs = cfg.allocation_list()
    assert check_allocation_sum(configs) == Decimal("1.000")  # 4 x 0.075 + 6 x 0.10 + 2 x 0.05
    universe = tickers_in_files([cfg.path(f) for f in cfg.files])  # reference §4.7 / §10 item 29
    assert (len(universe), len(universe.assets), len(universe.indicator_only)) == (198, 165, 33)


@pytest.mark.parametrize("stage, picked", [("prod", "prod"), ("dev", "dev"), ("staging", "dev"), ("pr-17", "dev")])
def test_prod_reads_strategy_prod_json_and_every_other_stage_strategy_dev_json(tmp_path, stage, picked):
    for name in ("dev", "staging", "prod"):
        write_config(tmp_path, {f"{'rsi_switch' if name == 'prod' else 'risk_parity'}.clj": 1.0},
                     name=f"strategy.{name}.json")
    cfg = load_strategy_config(env(STRATEGY__CONFIG_DIR=str(tmp_path), APP__STAGE=stage))
    assert cfg.source == str(tmp_path / f"strategy.{picked}.json")
    assert cfg.files == (("rsi_switch.clj",) if picked == "prod" else ("risk_parity.clj",))


def test_files_without_allocations_dispatch_with_zero_and_fail_the_sum_rule(tmp_path):
    path = write_config(tmp_path, {"rsi_switch.clj": 0.6}, files=["rsi_switch.clj", "core_satellite.clj"])
    cfg = load_strategy_config(env(STRATEGY__CONFIG_FILE=str(path)))
    assert cfg.allocation_list() == [("rsi_switch.clj", Decimal("0.6")), ("core_satellite.clj", Decimal("0.0"))]
    with pytest.raises(ValueError, match="sum to 1.0"):
        check_allocation_sum(cfg.allocation_list())


# math.isclose scales rel_tol by the larger value and works on floats: 1.0101 passes, 0.990 does not
@pytest.mark.parametrize("total, ok", [("0.9901", True), ("1.0101", True), ("0.990", False), ("1.0102", False)])
def test_the_pre_dispatch_rule_is_math_isclose_rel_tol_one_percent(total, ok):
    configs = [("a.clj", Decimal(total) - Decimal("0.5")), ("b.clj", Decimal("0.5"))]
    if ok:
        assert check_allocation_sum(configs) == Decimal(total)
    else:
        with pytest.raises(ValueError):
            check_allocation_sum(configs)


def test_environment_overrides_win_in_json_or_csv_and_default_to_equal_weights(tmp_path):
    path = write_config(tmp_path, {"rsi_switch.clj": 1.0})
    cfg = load_strategy_config(env(STRATEGY__CONFIG_FILE=str(path),
                                   STRATEGY__DSL_FILES="core_satellite.clj, risk_parity.clj"))
    assert cfg.files == ("core_satellite.clj", "risk_parity.clj")
    assert cfg.allocations == {"core_satellite.clj": Decimal("0.5"), "risk_parity.clj": Decimal("0.5")}
    cfg = load_strategy_config(env(STRATEGY__DSL_FILES=json.dumps(["rsi_switch.clj", "risk_parity.clj"]),
                                   STRATEGY__DSL_ALLOCATIONS="rsi_switch.clj:0.25,risk_parity.clj:0.75"))
    assert cfg.allocation_list() == [("rsi_switch.clj", Decimal("0.25")), ("risk_parity.clj", Decimal("0.75"))]
    cfg = load_strategy_config(env(STRATEGY__CONFIG_FILE=str(path),
                                   STRATEGY__DSL_ALLOCATIONS=json.dumps({"rsi_switch.clj": 0.9})))
    assert cfg.allocations == {"rsi_switch.clj": Decimal("0.9")}


@pytest.mark.parametrize("text, message", [
    ('{"files": ["rsi_switch.clj"],\n "allocations": {', ":2:"),  # file:line:col
    ('["rsi_switch.clj"]', "expected an object"),
    ('{"files": [], "allocations": {}}', "'files' must be a non-empty list"),
    ('{"files": ["rsi_switch.clj", "rsi_switch.clj"]}', "files[1] 'rsi_switch.clj' is listed twice"),
    ('{"files": ["rsi_switch.clj"], "allocations": {"rsi_switch.clj": -0.5}}', "allocations['rsi_switch.clj']"),
    ('{"files": ["rsi_switch.clj"], "allocations": {"rsi_switch.clj": "lots"}}', "must be a number"),
    ('{"files": ["rsi_switch.clj"], "allocations": {"rsi_swich.clj": 1.0}}', "names 'rsi_swich.clj'"),
    ('{"files": ["missing.clj"], "allocations": {"missing.clj": 1.0}}', "files[0] 'missing.clj' not found"),
    ('{"files": ["../market/x.clj"], "allocations": {}}', "bare file name"),
])
def test_validation_errors_name_the_config_file_and_the_field(tmp_path, text, message):
    path = tmp_path / "strategy.dev.json"
    path.write_text(text)
    with pytest.raises(StrategyConfigError) as info:
        load_strategy_config(env(STRATEGY__CONFIG_FILE=str(path)))
    assert message in str(info.value)
    if "bare file name" not in message:
        assert str(path) in str(info.value)


def test_missing_settings_are_named(tmp_path):
    with pytest.raises(StrategyConfigError, match="STRATEGY__DIRECTORY is not set"):
        load_strategy_config({})
    with pytest.raises(StrategyConfigError, match="STRATEGY__CONFIG_FILE"):
        load_strategy_config(env())
    with pytest.raises(StrategyConfigError, match="cannot read"):
        load_strategy_config(env(STRATEGY__CONFIG_FILE=str(tmp_path / "nope.json")))
