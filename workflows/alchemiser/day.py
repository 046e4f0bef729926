"""One full trading day of a variant: from the 09:00 schedule to the notification email.

    report = run_day(DayOptions(variant="legacy", day=date(2026, 1, 14)))

The day starts at 08:55 New York with the market data store holding every bar
dated before the day (what the live bucket holds that morning), a simulated
Alpaca account, and the strategy set (the project's own by default; the real
12 files when pointed at them). It runs until 18:00 New York on the virtual
clock, and is summarised from what the system itself left behind: the events
put on its bus, the execution runs table, the emails SES accepted, the broker's
account, and the kernel's trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sim import FaultPlan, Simulation, load_fault_plan, load_stack
from sim.errors import ConfigError
from sim.fixture_writer import FixtureWriter
from workflows.alchemiser.broker import Broker, BrokerConfig
from workflows.alchemiser.handlers.data_refresh import SYMBOL_PATTERNS
from workflows.alchemiser.strategy_config import StrategyConfigError, load_strategy_config
from workflows.marketdata import calendar, s3_layout
from workflows.marketdata.store import BarStore

ROOT = Path(__file__).resolve().parents[2]
STACKS = Path(__file__).with_name("stacks")
VARIANTS = ("legacy", "stepfunctions", "stepfunctions-fixed", "stepfunctions-execution")
DEFAULT_STRATEGIES = ROOT / "fixtures" / "strategies"
DEFAULT_CONFIG = DEFAULT_STRATEGIES / "strategy.sim.json"
MARKET = ROOT / "fixtures" / "market"
TZ = "America/New_York"
START, END = time(8, 55), time(18, 0)
BUCKET = "alchemiser-dev-market-data-{account}"
RUNS_TABLE = "alchemiser-dev-execution-runs"
SESSIONS_TABLE = "alchemiser-dev-aggregation-sessions"


@dataclass(frozen=True)
class DayOptions:
    variant: str
    day: date
    seed: int = 0
    strategies: Path = DEFAULT_STRATEGIES
    config: Path = DEFAULT_CONFIG
    # Alpaca opens every account as a margin account, 2x (Reg T) for non-PDT accounts with $2,000 or
    # more equity (docs.alpaca.markets "account plans"): the real system's daily run trades on that.
    broker: BrokerConfig = field(default_factory=lambda: BrokerConfig(multiplier=2))
    market: Path = MARKET
    # The broker's quote model (spreads, intraday path) is the market, not the system under test:
    # shadow noise runs vary the simulation seed and keep it. None: the simulation seed.
    market_seed: int | None = None
    faults: Path | FaultPlan | None = None  # a fault plan (YAML path or model) applied to the run
    extra_days: int = 0  # run on to 18:00 this many calendar days later (a drill whose effects outlast the day)

    @property
    def name(self) -> str:
        """The variant's name: a bundled variant, or the stem of a stack file given by path."""
        return Path(self.variant).stem if is_stack_path(self.variant) else self.variant


def is_stack_path(variant: str) -> bool:
    return variant.endswith((".yaml", ".yml")) or "/" in variant


def stack_for(options: DayOptions):
    if is_stack_path(options.variant):
        path = Path(options.variant)
        if not path.is_file():
            raise ConfigError(f"{path}: the variant's stack file does not exist; give a bundled variant "
                              f"({', '.join(VARIANTS)}) or the path of a stack YAML (e.g. one that extends "
                              f"{STACKS / 'legacy.yaml'})")
        stack = load_stack(path)
    elif options.variant not in VARIANTS:
        raise ConfigError(f"unknown variant {options.variant!r}: choose one of {', '.join(VARIANTS)}, "
                          "or give the path of a stack YAML")
    else:
        stack = load_stack(STACKS / f"{options.variant}.yaml")
    env = {"STRATEGY__DIRECTORY": str(options.strategies.resolve()), "STRATEGY__CONFIG_FILE": str(options.config.resolve()),
           "STRATEGY_DIR": str(options.strategies.resolve())}
    functions = [f.model_copy(update={"environment": {**f.environment, **env}}) for f in stack.functions]
    return stack.model_copy(update={"functions": functions})


def strategy_symbols(options: DayOptions) -> list[str]:
    """Every ticker the configured files name (the data refresh's extractor), checked for the config's errors."""
    try:
        config = load_strategy_config({"STRATEGY__DIRECTORY": str(options.strategies),
                                       "STRATEGY__CONFIG_FILE": str(options.config)})
    except StrategyConfigError as exc:
        raise ConfigError(f"{exc}; fix the strategy config (--config) or the folder (--strategies)") from None
    found: set[str] = set()
    for name in config.files:
        text = config.path(name).read_text()
        for pattern in SYMBOL_PATTERNS:
            found.update(pattern.findall(text))
    return sorted(found)


def run_day(options: DayOptions) -> "DayRun":
    store = BarStore.open(options.market)
    symbols = strategy_symbols(options)
    missing = [s for s in symbols if s not in store]
    if missing:
        raise ConfigError(f"the strategies name tickers the market data fixtures do not have: {', '.join(missing)}; "
                          f"record or generate them into {options.market}")
    _check_day(options.day, store, symbols[0])
    epoch = datetime.combine(options.day, START)
    plan = load_fault_plan(options.faults) if isinstance(options.faults, Path) else options.faults
    sim = Simulation(stack_for(options), seed=options.seed, epoch=epoch, tz=TZ, name=options.name, faults=plan)
    with sim:
        bucket = BUCKET.format(account=sim.emulator.account_id)
        s3_layout.publish(store, FixtureWriter(sim), bucket, symbols=symbols, before=options.day)
        market_seed = options.seed if options.market_seed is None else options.market_seed
        broker = Broker(options.broker.model_copy(update={"seed": market_seed}), store).mount(sim)
        result = sim.run(until=datetime.combine(options.day + timedelta(days=options.extra_days), END))
        broker.catch_up(sim.clock.now())
        run = DayRun(options, sim, result, broker, _scan(sim, RUNS_TABLE))
        run.left_behind(sim)
        return run


def _check_day(day: date, store: BarStore, symbol: str) -> None:
    dates = store.daily_bars(symbol).index
    first, last = dates.min().date(), dates.max().date()
    if not first < day <= calendar.next_session(last):
        raise ConfigError(f"day {day} is outside the market data fixtures ({first} .. {last}); the run needs the "
                          f"bars before the day: pick a day after {first} and at most the session after {last}")


def _scan(sim: Simulation, table: str) -> list[dict]:
    """Every item of a table as plain values (the harness reads: not part of the run's trace)."""
    if table not in {t.name for t in sim.stack.tables}:
        return []
    items = sim.client("dynamodb").scan(TableName=table)["Items"]
    return [{k: _plain(v) for k, v in item.items()} for item in items]


def _plain(value: dict) -> Any:
    (kind, raw), = value.items()
    if kind == "N":
        return Decimal(raw)
    if kind == "L":
        return [_plain(v) for v in raw]
    if kind == "M":
        return {k: _plain(v) for k, v in raw.items()}
    return raw


class DayRun:
    """What a day left behind, read back from the system's own records."""

    def __init__(self, options: DayOptions, sim: Simulation, result: Any, broker: Broker, runs: list[dict]) -> None:
        self.options, self.result, self.broker, self.runs = options, result, broker, runs
        self.clock = sim.clock
        self.events = [(t, event) for t, _bus, event in sim.events.archive]
        self.emails = sim.emulator.sent_emails()
        self.executions = list(sim.stepfunctions.executions.values())
        self.lambda_invocations = sum(1 for r in result.trace.records if r["kind"] == "invoke.start")
        self.api_calls: dict[str, int] = {}
        for r in result.trace.records:
            if r["kind"] in ("api.call", "http.call"):
                key = r.get("service") or f"http:{r.get('host')}"
                self.api_calls[key] = self.api_calls.get(key, 0) + 1
        self.state_transitions = sum(1 for ex in self.executions for e in ex.history.events
                                     if e["type"].endswith("StateEntered"))
        self.positions = {s: p.qty for s, p in sorted(broker.account.positions.items()) if p.qty}
        self.cash = broker.account.cash

    def left_behind(self, sim: Simulation) -> None:
        """What the day left in its stores: session items, queue depths (DLQs included), fired faults."""
        self.sessions = _scan(sim, SESSIONS_TABLE)
        sqs = sim.client("sqs")
        self.queues: dict[str, dict[str, int]] = {}
        for spec in sim.stack.queues:
            attrs = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName=spec.name)["QueueUrl"],
                                             AttributeNames=["ApproximateNumberOfMessages",
                                                             "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            self.queues[spec.name] = {"visible": int(attrs["ApproximateNumberOfMessages"]),
                                      "in_flight": int(attrs["ApproximateNumberOfMessagesNotVisible"])}
        self.faults_fired = dict(self.result.faults_fired)

    def of_type(self, detail_type: str) -> list[tuple[float, dict]]:
        return [(t, e) for t, e in self.events if e["detail-type"] == detail_type]

    def at(self, t: float | None, millis: bool = False) -> str | None:
        if t is None:
            return None
        local = self.clock.to_datetime(t).astimezone(self.clock.tz)
        return local.strftime("%H:%M:%S.%f")[:12] if millis else local.strftime("%H:%M:%S")

    def trading_started_at(self) -> float | None:
        """When the day's one-time trading schedule fired (the run's start on either path)."""
        return next((r["t"] for r in self.result.trace.records
                     if r["kind"] == "schedule.fired" and "trading-execution" in r["actor"]), None)

    def signal(self) -> dict | None:
        signals = self.of_type("SignalGenerated")
        return signals[0][1]["detail"] if signals else None

    def allocations(self) -> dict[str, str]:
        detail = self.signal() or {}
        return dict(sorted(((detail.get("consolidated_portfolio") or {}).get("target_allocations") or {}).items()))

    def trades(self) -> list[dict]:
        out = []
        for _t, event in self.of_type("TradeExecuted"):
            d = event["detail"]["execution_data"]
            out.append({"symbol": d.get("symbol"), "action": d.get("action"), "success": event["detail"]["success"],
                        "shares": d.get("shares_executed"), "price": d.get("price")})
        return out

    def outcome(self) -> str:
        if self.of_type("WorkflowFailed"):
            return "FAILED"
        if self.of_type("AllTradesCompleted"):
            return "TRADED"
        planned = sum(int((e["detail"].get("metadata") or {}).get("trade_count") or 0)
                      for _t, e in self.of_type("RebalancePlanned"))
        if self.of_type("TradeExecuted") or planned:
            return "INCOMPLETE"  # trades were planned (or ran) but the day never reached a terminal event
        if self.of_type("RebalancePlanned"):
            return "NO_TRADES"
        if self.of_type("SignalGenerated"):
            return "SIGNAL_ONLY"
        skipped = [e for _t, e in self.of_type("ScheduleCreated") if e["detail"].get("status") == "skipped_holiday"]
        return "HOLIDAY" if skipped or not calendar.is_session(self.options.day) else "NO_SIGNAL"

    def summary(self) -> dict:
        first = {name: next((t for t, _e in self.of_type(name)), None)
                 for name in ("SignalGenerated", "AllTradesCompleted", "WorkflowFailed")}
        counts: dict[str, int] = {}
        for _t, e in self.events:
            counts[e["detail-type"]] = counts.get(e["detail-type"], 0) + 1
        allocations = self.allocations()
        return {"variant": self.options.name, "day": self.options.day.isoformat(), "seed": self.options.seed,
                "outcome": self.outcome(), "signal_ready_at": self.at(first["SignalGenerated"]),
                "trades_complete_at": self.at(first["AllTradesCompleted"]),
                "failed_at": self.at(first["WorkflowFailed"]), "allocations": allocations,
                "allocation_sum": str(sum((Decimal(v) for v in allocations.values()), Decimal(0))),
                "trades": self.trades(), "positions": self.positions, "cash": round(self.cash, 2),
                "emails": [e["subject"] for e in self.emails], "events": counts,
                "state_machine_executions": [{"name": ex.name, "machine": ex.sm_name, "status": ex.status,
                                              "error": ex.error} for ex in self.executions],
                "lambda_invocations": self.lambda_invocations, "api_calls": dict(sorted(self.api_calls.items())),
                "state_transitions": self.state_transitions, "digest": self.result.digest()}

    def write(self, folder: Path) -> dict[str, Path]:
        import json

        paths = self.result.write(folder)
        histories = {ex.arn: ex.history.aws() for ex in self.executions}
        paths["histories"] = folder / "histories.json"
        paths["histories"].write_text(json.dumps(histories, indent=1, default=str))
        paths["day"] = folder / "day.json"
        paths["day"].write_text(json.dumps(self.summary(), indent=1, default=str))
        return paths


__all__ = ["DayOptions", "DayRun", "VARIANTS", "run_day"]
