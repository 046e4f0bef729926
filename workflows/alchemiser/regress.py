"""Replay golden days on every variant and say what moved; record new expectations.

    results = regress(golden_days(GOLDEN))        # one CaseResult per day x variant
    record(find(date(2026, 1, 14)))               # rewrite expected/<variant>.json

A case passes when the variant's observables match the reviewed ones under the
``golden`` rule set; it fails with the diverging rows (observable, expected,
actual, rule); it is an error when the day could not run or has no expectation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sim.diff import Comparison, compare
from sim.errors import SimError
from workflows.alchemiser.day import run_day
from workflows.alchemiser.golden import GoldenDay
from workflows.alchemiser.observables import observe
from workflows.alchemiser.shadow import rules_for


@dataclass
class CaseResult:
    day: str
    variant: str
    status: str  # passed | failed | error
    message: str
    comparison: Comparison | None = None

    def details(self) -> str:
        if self.comparison is None:
            return self.message
        rows = [r for r in self.comparison.rows if r.status == "diverge"]
        return "\n".join(f"{r.observable}: expected {r.baseline!r}, got {r.candidate!r} ({r.detail})" for r in rows)

    def junit_case(self) -> dict:
        return {"name": f"{self.day} {self.variant}", "classname": f"golden.{self.day}", "status": self.status,
                "message": self.message, "details": self.details(), "time": 0.0}


def check(golden: GoldenDay, variant: str, rules: str = "golden") -> CaseResult:
    day = golden.day.isoformat()
    try:
        expected = golden.expected(variant)
        actual = observe(run_day(golden.options(variant)))
    except Exception as exc:  # noqa: BLE001 - a day that cannot run is a reported error, not a crash
        message = str(exc) if isinstance(exc, SimError) else f"{type(exc).__name__}: {exc}"
        return CaseResult(day, variant, "error", message)
    comparison = compare(expected, actual, rules_for(rules), baseline_name="expected", candidate_name="actual")
    if comparison.verdict == "agree":
        return CaseResult(day, variant, "passed", "unchanged", comparison)
    return CaseResult(day, variant, "failed", comparison.summary(), comparison)


def regress(days: list[GoldenDay], variants: list[str] | None = None,
            progress: Callable[[str], None] | None = None) -> list[CaseResult]:
    results = []
    for golden in days:
        for variant in variants or golden.variants:
            if progress:
                progress(f"{golden.day} {variant}")
            results.append(check(golden, variant))
    return results


def record(golden: GoldenDay, variants: list[str] | None = None,
           progress: Callable[[str], None] | None = None) -> list[Path]:
    """Run each variant and write its observables as the day's expectation (to be reviewed)."""
    paths = [golden.write()]
    for variant in variants or golden.variants:
        if progress:
            progress(f"{golden.day} {variant}")
        paths.append(golden.write_expected(variant, observe(run_day(golden.options(variant)))))
    return paths


def junit_suites(results: list[CaseResult]) -> list[dict]:
    return [{"name": "shadowsim golden days", "cases": [r.junit_case() for r in results]}]


__all__ = ["CaseResult", "check", "junit_suites", "record", "regress"]
