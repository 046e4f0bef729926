"""A realistic shadow report, built the way the producer builds one: two variants of one
trading day (legacy choreography and Step Functions), their timelines folded from real
trace records and their execution graphs from real histories (data/day_runs.json, cut
down from `run_day` on 2026-01-14), a diff with one divergence, noise, a roll-up by
strategy, and a cost table."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sim.report import execution_graph, spans

DATA = Path(__file__).parent / "data" / "day_runs.json"
EPOCH, TZ = "2026-01-14T08:55:00-05:00", "America/New_York"

SEED_RULES = [
    {"match": "allocation.sum", "kind": "absolute", "value": 1e-9,
     "why": "seed test plan, Shadow Test: allocation sums match"},
    {"match": "allocation.weights.*", "kind": "absolute", "value": 1e-9,
     "why": "the per-symbol weights that make up the sum"},
    {"match": "signal.*", "kind": "exact", "why": "seed test plan, Shadow Test: signal counts match"},
    {"match": "strategies.*.signal_count", "kind": "exact", "why": "signal counts per strategy"},
    {"match": "strategies.*.weights.*", "kind": "absolute", "value": 1e-9,
     "why": "each strategy's contribution to the consolidated portfolio"},
    {"match": "run_id", "kind": "ignore", "why": "a fresh id per run"},
]
RULE = {r["match"]: r for r in SEED_RULES}

WEIGHTS = {"BIL": "0.29", "EEM": "0.04166666666666666666666666665", "GLD": "0.02916408376870768608625120260",
           "IEF": "0.02308136974718060997797556172", "QQQ": "0.01858529691948605668869110494",
           "SPY": "0.2940936859139306135990977830", "TLT": "0.2200755636506950336479843478",
           "XLU": "0.08333333333333333333333333332"}
STRATEGIES = {"nuclear": ("SPY", "0.1470468429569653067995488915"), "klm": ("TLT", "0.2200755636506950336479843478"),
              "tecl": ("BIL", "0.29"), "coin": ("XLU", "0.08333333333333333333333333332")}


def _row(observable, baseline, candidate, status, rule=None, delta=None, magnitude=0.0, detail=""):
    return {"observable": observable, "baseline": baseline, "candidate": candidate, "status": status,
            "rule": rule, "delta": delta, "magnitude": magnitude, "detail": detail}


def diff_rows() -> list[dict]:
    """Biggest differences first, as the diff engine sorts them."""
    rows = [
        _row("allocation.weights.SPY", WEIGHTS["SPY"], "0.2840936859139306135990977830", "diverge",
             RULE["allocation.weights.*"], -0.01, 1e7, "differs by 0.01 > 1e-09"),
        _row("strategies.nuclear.weights.SPY", STRATEGIES["nuclear"][1], "0.1370468429569653067995488915", "diverge",
             RULE["strategies.*.weights.*"], -0.01, 1e7, "differs by 0.01 > 1e-09"),
        _row("events.PartialSignalGenerated", "4", None, "unjudged", None, None, 4.0, "only in legacy"),
        _row("work.lambda.requests", "29", "20", "unjudged", None, -9.0, 9.0, "no rule"),
        _row("timing.signal_ready_at", "15:45:34.120", "15:45:35.224", "noise", None, 1.104, 1.104,
             "differs across seeds 0,1,2 in legacy"),
        _row("allocation.sum", "0.9999999999999999999999999999", "1.000000000000000000000000000", "within",
             RULE["allocation.sum"], 1e-28, 1e-19, "differs by 1e-28 <= 1e-09"),
        _row("run_id", "run-legacy-0", "run-sf-0", "ignored", RULE["run_id"], None, 0.0, "ignored by rule"),
        _row("allocation.symbols", "8", "8", "equal", {"match": "allocation.symbols", "kind": "exact", "value": None,
                                                     "why": "the number of symbols"}),
        _row("signal.published", "1", "1", "equal", RULE["signal.*"]),
        _row("signal.strategies", "4", "4", "equal", RULE["signal.*"]),
        _row("outcome", "TRADED", "TRADED", "equal"),
    ]
    rows += [_row(f"allocation.weights.{s}", w, w, "equal", RULE["allocation.weights.*"])
             for s, w in WEIGHTS.items() if s != "SPY"]
    for name, (symbol, weight) in STRATEGIES.items():
        rows.append(_row(f"strategies.{name}.signal_count", "1", "1", "equal", RULE["strategies.*.signal_count"]))
        if name != "nuclear":
            rows.append(_row(f"strategies.{name}.weights.{symbol}", weight, weight, "equal",
                             RULE["strategies.*.weights.*"]))
    return rows


def counts(rows: list[dict]) -> dict[str, int]:
    out = dict.fromkeys(("equal", "within", "diverge", "noise", "unjudged", "ignored"), 0)
    for r in rows:
        out[r["status"]] += 1
    return out


def cost(requests: int, gb_s: float, transitions: int) -> dict:
    items = [
        {"service": "AWS Lambda", "item": "requests", "unit": "request", "quantity": requests, "unit_price": 2e-07},
        {"service": "AWS Lambda", "item": "compute", "unit": "GB-second", "quantity": gb_s, "unit_price": 1.66667e-05},
        {"service": "Amazon EventBridge", "item": "custom events", "unit": "event", "quantity": 16, "unit_price": 1e-06},
        {"service": "Amazon SES", "item": "emails", "unit": "message", "quantity": 2, "unit_price": 0.0001},
    ]
    if transitions:
        items.insert(2, {"service": "AWS Step Functions", "item": "state transitions", "unit": "transition",
                         "quantity": transitions, "unit_price": 2.5e-05})
    for item in items:
        item["cost"] = round(item["quantity"] * item["unit_price"], 12)
    per_day = round(sum(i["cost"] for i in items), 12)
    return {"prices": {"region": "us-east-1", "date": "2026-11-27", "source_file": "sim/data/aws-prices.yaml"},
            "items": items, "total_per_day": per_day, "total_per_month": round(per_day * 22, 12),
            "days_per_month": 22}


def runs() -> dict:
    data = json.loads(DATA.read_text())
    out = {}
    headlines = {"legacy": ("TRADED", "15:45:34", "15:46:01", "8", "29", "0"),
                 "stepfunctions": ("TRADED", "15:45:35", "15:45:48", "8", "20", "24")}
    for name, run in data["runs"].items():
        outcome, ready, done, trades, invocations, transitions = headlines[name]
        out[name] = {
            "outcome": outcome, "epoch": EPOCH, "tz": TZ,
            "headline": {"signal ready": ready, "trades complete": done, "trades": trades,
                         "Lambda invocations": invocations, "state transitions": transitions},
            "observables": {"outcome": outcome, "allocation": {"symbols": 8}},
            "cost": cost(int(invocations), 61.3 if name == "legacy" else 48.9, int(transitions)),
            "timeline": spans(run["records"], tz=TZ, epoch_iso=EPOCH),
            "executions": [{"name": ex["name"], "machine": ex["machine"], "status": ex["status"], "error": ex["error"],
                            "graph": execution_graph(ex["definition"], ex["events"], epoch=EPOCH)}
                           for ex in run["executions"]],
            "artifacts": {"trace": f"{name}/trace.jsonl", "timeline": f"{name}/timeline.json",
                          "histories": f"{name}/histories.json", "ledger": f"{name}/ledger.json"},
        }
    return out


def make_report() -> dict:
    rows = diff_rows()
    return {
        "schema": "shadowsim/shadow-report@1",
        "title": "Shadow comparison, 2026-01-14",
        "day": "2026-01-14", "seed": 0, "noise_seeds": [1, 2],
        "inputs": {"golden_day": "fixtures/golden/2026-01-14", "strategies": "workflows/alchemiser/strategies",
                   "fault plan": None},
        "verdict": "diverge", "exit_code": 1,
        "summary": "stepfunctions diverges from legacy on 2 observables (2 unjudged, 1 noise)",
        "error": None,
        "tolerances": {"name": "seed", "source": "workflows/alchemiser/tolerances/seed.yaml",
                       "description": "The seed's Shadow Test criterion: allocation sums and signal counts match.",
                       "rules": SEED_RULES},
        "baseline": "legacy",
        "groups": [{"title": "Per strategy", "prefix": "strategies."}],
        "comparisons": [{"baseline": "legacy", "candidate": "stepfunctions", "rules": "seed", "verdict": "diverge",
                         "counts": counts(rows), "rows": rows}],
        "noise": {"legacy": {"seeds": [0, 1, 2], "paths": {
            "timing.signal_ready_at": "differs across seeds 0,1,2: 15:45:34.120, 15:45:34.871, 15:45:33.902",
            "work.lambda.gb_seconds": "differs across seeds 0,1,2: 61.3, 61.9, 60.8"}},
                  "stepfunctions": {"seeds": [0, 1, 2], "paths": {}}},
        "notes": ["Noise runs: seeds 1 and 2 of each variant.",
                  "Values are <exact> decimals & strings as the observables keep them."],
        "runs": runs(),
    }


_REPORT = make_report()


@pytest.fixture
def report() -> dict:
    return copy.deepcopy(_REPORT)


@pytest.fixture
def error_report() -> dict:
    """The run failed before any variant produced a result."""
    return {"schema": "shadowsim/shadow-report@1", "title": "Shadow comparison, 2026-01-14", "day": "2026-01-14",
            "seed": 0, "noise_seeds": [], "inputs": {"golden_day": None}, "verdict": "error", "exit_code": 2,
            "summary": "the legacy run failed to start", "error": "stack.yaml: Resources.Queue: unknown type <AWS::Nope>",
            "tolerances": None, "baseline": "legacy", "groups": [], "comparisons": [], "noise": {}, "notes": [],
            "runs": {}}
