"""Shadow comparison: run variants side by side on one day's inputs and say whether they agree.

    result = run_shadow(ShadowOptions(day=date(2026, 1, 14)))
    result.exit_code      # 0 agree, 1 diverge, 2 could not run
    result.report         # the report dict (docs/reports.md), rendered by sim.report

Every variant gets the same inputs: the golden day's strategy set, account and
seed when the day is a golden day, the bundled defaults otherwise. The first
variant is the baseline; each other one is compared with it under a rule set
(``seed`` by default: the migration analysis's own pass criterion).

Noise (Diffy's primary/secondary/candidate): with ``noise_runs=K`` each variant
also runs under K other simulation seeds (the market stays the same). An
observable whose value moves between runs of the *same* variant cannot tell the
variants apart, so a difference there is reported as noise, not divergence.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from sim.diff import Comparison, RuleSet, compare, load_rules, noise_between
from sim.errors import ConfigError, SimError
from sim.report import execution_graph, spans
from workflows.alchemiser import golden as goldens
from workflows.alchemiser.day import ROOT, DayOptions, DayRun, run_day
from workflows.alchemiser.observables import cost_table, observe

TOLERANCES = Path(__file__).with_name("tolerances")
SCHEMA = "shadowsim/shadow-report@1"
GROUPS = [{"title": "Per strategy", "prefix": "strategies."}]


def rules_for(name_or_path: str | Path) -> RuleSet:
    """A bundled rule set by name (seed, strict, golden) or a YAML file by path."""
    text = str(name_or_path)
    bundled = TOLERANCES / f"{text}.yaml"
    path = bundled if bundled.is_file() else Path(text)
    if not path.is_file():
        raise ConfigError(f"--tolerances {text}: no such rule set; use seed, strict or golden, or the path of a "
                          f"YAML rule file (see {TOLERANCES.relative_to(ROOT)}/strict.yaml)")
    rules = load_rules(path)
    # reports name the file relative to the project, so they are the same bytes on every machine
    try:
        return rules.model_copy(update={"source": str(path.resolve().relative_to(ROOT))})
    except ValueError:  # a rule file outside the project: its path as given
        return rules


@dataclass(frozen=True)
class ShadowOptions:
    day: date
    variants: tuple[str, ...] = ("legacy", "stepfunctions")
    seed: int | None = None  # None: the golden day's seed, or 0
    noise_runs: int = 0
    tolerances: str = "seed"
    golden_root: Path = goldens.GOLDEN
    base: DayOptions | None = None  # explicit inputs (strategies, account...) instead of the golden day's
    faults: Path | None = None  # one fault plan, applied to every variant's runs


@dataclass
class ShadowResult:
    report: dict[str, Any]
    runs: dict[str, DayRun] = field(default_factory=dict)
    observables: dict[str, dict] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return self.report["verdict"]

    @property
    def exit_code(self) -> int:
        return self.report["exit_code"]

    def write_artifacts(self, folder: Path) -> None:
        """Each variant's trace, timeline, ledger and histories beside the report."""
        for name, run in self.runs.items():
            run.write(folder / name)


def run_shadow(options: ShadowOptions) -> ShadowResult:
    rules = rules_for(options.tolerances)  # bad rules are bad input: raised, exit 2 before any run
    golden = None if options.base is not None else goldens.find(options.day, options.golden_root)
    if len(set(options.variants)) < 2:
        raise SimError("a shadow comparison needs at least two different variants (e.g. legacy,stepfunctions)")
    seed = options.seed if options.seed is not None else (golden.seed if golden else 0)
    result = ShadowResult(report=_skeleton(options, seed, rules, golden))
    try:
        for variant in options.variants:
            base = _day_options(options, golden, variant, seed)
            result.runs[base.name] = run_day(base)
            result.observables[base.name] = observe(result.runs[base.name])
        noise = _noise(options, golden, seed, rules, result)
    except Exception as exc:  # noqa: BLE001 - any failure to run is verdict "error" (exit 2), reported, not raised
        return _error(result, f"{type(exc).__name__}: {exc}" if not isinstance(exc, SimError) else str(exc))
    names = list(result.runs)
    for candidate in names[1:]:
        paths = {**noise.get(names[0], {}), **noise.get(candidate, {})}
        result.comparisons.append(compare(result.observables[names[0]], result.observables[candidate], rules,
                                          baseline_name=names[0], candidate_name=candidate, noise=paths))
    _finish(result, noise, seed)
    return result


def _day_options(options: ShadowOptions, golden: goldens.GoldenDay | None, variant: str, seed: int) -> DayOptions:
    if golden is not None:
        return replace(golden.options(variant, seed), faults=options.faults)
    base = options.base or DayOptions(variant=variant, day=options.day)
    return replace(base, variant=variant, day=options.day, seed=seed, faults=options.faults,
                   market_seed=base.market_seed if base.market_seed is not None else seed)


def _noise(options: ShadowOptions, golden, seed: int, rules: RuleSet, result: ShadowResult) -> dict[str, dict]:
    """Per variant: the observables that differ between its own runs under other seeds."""
    found: dict[str, dict] = {}
    seeds = [seed + i for i in range(1, options.noise_runs + 1)]
    if not seeds:
        return found
    for variant in options.variants:
        primary = _day_options(options, golden, variant, seed)
        docs = [result.observables[primary.name]]
        for other in seeds:
            extra = replace(primary, seed=other, market_seed=primary.market_seed if primary.market_seed is not None
                            else seed)
            docs.append(observe(run_day(extra)))
        found[primary.name] = noise_between(docs, rules, labels=[str(s) for s in [seed, *seeds]])
    result.report["noise"] = {name: {"seeds": [seed, *seeds], "paths": paths} for name, paths in found.items()}
    return found


def _skeleton(options: ShadowOptions, seed: int, rules: RuleSet, golden) -> dict[str, Any]:
    inputs = {"faults": str(options.faults) if options.faults else "none",
              "golden_day": str(golden.folder.relative_to(goldens.ROOT)) if golden and _inside(golden.folder) else
              (str(golden.folder) if golden else None)}
    if golden is not None:
        inputs.update({"title": golden.title, "exercises": ", ".join(golden.exercises),
                       "strategies": golden.strategies, "config": golden.config,
                       "starting cash": f"{golden.broker.starting_cash:,.2f}",
                       "positions": ", ".join(sorted(golden.broker.positions)) or "none"})
    return {"schema": SCHEMA, "title": f"Shadow comparison, {options.day.isoformat()}",
            "day": options.day.isoformat(), "seed": seed,
            "noise_seeds": [seed + i for i in range(1, options.noise_runs + 1)], "inputs": inputs,
            "verdict": "error", "exit_code": 2, "summary": "", "error": None, "tolerances": rules.to_dict(),
            "baseline": DayOptions(variant=options.variants[0], day=options.day).name, "groups": GROUPS,
            "comparisons": [], "noise": {}, "notes": [], "runs": {}}


def _inside(folder: Path) -> bool:
    try:
        folder.resolve().relative_to(goldens.ROOT)
        return True
    except ValueError:
        return False


def _error(result: ShadowResult, message: str) -> ShadowResult:
    report = result.report
    report.update({"verdict": "error", "exit_code": 2, "error": message,
                   "summary": f"ERROR {report['day']}: could not run the comparison: {message}"})
    for name, run in result.runs.items():
        report["runs"][name] = run_entry(name, run, result.observables.get(name, {}))
    return result


def _finish(result: ShadowResult, noise: dict[str, dict], seed: int) -> None:
    report = result.report
    report["comparisons"] = [c.to_dict() for c in result.comparisons]
    report["runs"] = {name: run_entry(name, run, result.observables[name]) for name, run in result.runs.items()}
    diverged = [c for c in result.comparisons if c.verdict == "diverge"]
    report["verdict"] = "diverge" if diverged else "agree"
    report["exit_code"] = 1 if diverged else 0
    report["summary"] = _summary(report, result.comparisons)
    report["notes"] = _notes(result, noise)


def _summary(report: dict, comparisons: list[Comparison]) -> str:
    head = f"{report['day']} [rules: {report['tolerances']['name']}]"
    parts = [f"{c.baseline_name} vs {c.candidate_name}: {c.summary()}" for c in comparisons]
    return head + " " + "; ".join(parts)


def _notes(result: ShadowResult, noise: dict[str, dict]) -> list[str]:
    notes = []
    for c in result.comparisons:
        unjudged = [r for r in c.rows if r.status == "unjudged"]
        if unjudged:
            tops = sorted({r.observable.split(".")[0] for r in unjudged})
            notes.append(f"{c.baseline_name} vs {c.candidate_name}: {len(unjudged)} observables differ that the "
                         f"'{c.rules}' rules do not judge ({', '.join(tops)}); --tolerances strict judges them")
    for name, paths in noise.items():
        if "outcome" in paths:
            notes.append(f"{name}: the day's OUTCOME changes with the seed alone ({paths['outcome']}): "
                         "the pipeline is not deterministic under scheduling noise, look at the timing")
        if paths:
            notes.append(f"{name}: fault-free runs under other seeds differed in {len(paths)} observables "
                         f"({', '.join(sorted(paths)[:4])}{'...' if len(paths) > 4 else ''}): reported as noise")
        else:
            notes.append(f"{name}: no noise: its runs under other seeds gave identical observables")
    return notes


def run_entry(name: str, run: DayRun, observables: dict) -> dict[str, Any]:
    epoch = run.clock.to_datetime(0).astimezone(run.clock.tz)
    timing = observables.get("timing", {})
    return {"outcome": run.outcome(), "epoch": epoch.isoformat(), "tz": str(run.clock.tz),
            "headline": {"signal ready": timing.get("signal_ready_at") or "-",
                         "trades complete": timing.get("trades_complete_at") or "-",
                         "failed at": timing.get("failed_at") or "-",
                         "trades": str(len(observables.get("trades", {}))),
                         "Lambda invocations": str(run.lambda_invocations),
                         "state transitions": str(run.state_transitions),
                         "cost per day (USD)": f"{observables.get('work', {}).get('cost_per_day_usd', 0):.6f}"},
            "observables": observables, "cost": cost_table(run),
            "timeline": spans(run.result.trace.records, tz=str(run.clock.tz), epoch_iso=epoch.isoformat()),
            "executions": [_execution(ex, epoch) for ex in run.executions],
            "artifacts": {kind: f"{name}/{file}" for kind, file in (
                ("trace", "trace.jsonl"), ("timeline", "timeline.json"), ("ledger", "ledger.json"),
                ("histories", "histories.json"), ("day", "day.json"))}}


def _execution(ex: Any, epoch: Any) -> dict[str, Any]:
    return {"name": ex.name, "machine": ex.sm_name, "status": ex.status, "error": ex.error,
            "graph": execution_graph(ex.machine.raw, ex.history.aws(), epoch=epoch)}


__all__ = ["ShadowOptions", "ShadowResult", "TOLERANCES", "rules_for", "run_entry", "run_shadow"]
