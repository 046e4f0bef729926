"""Comparing two observables documents under a rule set: one row per observable path.

Statuses, most to least interesting (the order rows sort in):

* ``diverge``  a difference beyond the rule's tolerance (or a missing value under a rule);
* ``noise``    a diverge on a path that differs between seeds of one variant anyway;
* ``within``   a difference the rule allows;
* ``unjudged`` a difference no rule speaks about (informational: does not fail);
* ``ignored``  a difference on a path the rules ignore;
* ``equal``    the same value (numbers compared as numbers: "0.29" == 0.2900).

Within a status, rows sort by magnitude (biggest first), then by path. The verdict is
"diverge" when any row diverges, else "agree".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.diff.judge import ABSENT, judge
from sim.diff.rules import Rule, RuleSet
from sim.diff.values import flatten, fmt, jsonable, show

STATUSES = ("diverge", "noise", "within", "unjudged", "ignored", "equal")
SUMMARY_NAMES = 3  # observables a summary line names


@dataclass(frozen=True)
class Row:
    observable: str
    baseline: Any          # plain JSON; None when absent
    candidate: Any
    status: str
    rule: Rule | None
    delta: float | None    # for numbers and times (seconds), when measured
    magnitude: float       # see sim.diff.judge: delta / tolerance, or UNBOUNDED
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"observable": self.observable, "baseline": self.baseline, "candidate": self.candidate,
                "status": self.status, "rule": self.rule.to_dict() if self.rule else None,
                "delta": self.delta, "magnitude": self.magnitude, "detail": self.detail}


@dataclass(frozen=True)
class Comparison:
    baseline_name: str
    candidate_name: str
    rules: str             # the rule set's name
    rows: tuple[Row, ...]

    @property
    def verdict(self) -> str:
        return "diverge" if self.diverged() else "agree"

    @property
    def counts(self) -> dict[str, int]:
        """Rows per status, every status present (zeros too) in STATUSES order."""
        return {status: sum(1 for row in self.rows if row.status == status) for status in STATUSES}

    def diverged(self) -> list[Row]:
        return [row for row in self.rows if row.status == "diverge"]

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline_name, "candidate": self.candidate_name, "rules": self.rules,
                "verdict": self.verdict, "counts": self.counts, "rows": [row.to_dict() for row in self.rows]}

    def summary(self) -> str:
        """One line: the verdict, how many observables are beyond tolerance, and the first few."""
        bad, total = self.diverged(), len(self.rows)
        head = f"{self.verdict}: {len(bad)} of {total} observables beyond tolerance"
        if bad:
            named = "; ".join(_brief(row) for row in bad[:SUMMARY_NAMES])
            more = f"; and {len(bad) - SUMMARY_NAMES} more" if len(bad) > SUMMARY_NAMES else ""
            return f"{head} ({named}{more})"
        others = [f"{n} {status}" for status, n in self.counts.items() if n and status not in ("diverge", "equal")]
        return f"{head} ({', '.join(others)})" if others else head


def compare(baseline: dict, candidate: dict, rules: RuleSet, *, baseline_name: str = "baseline",
            candidate_name: str = "candidate", noise: dict[str, str] | None = None) -> Comparison:
    """Judge every observable path of either document under ``rules``.

    ``noise`` (path -> explanation, from noise_between) turns a diverge on that path into
    "noise", keeping the explanation in the row's detail.
    """
    left, right = flatten(baseline), flatten(candidate)
    names, noise = (baseline_name, candidate_name), noise or {}
    rows = [_row(path, left.get(path, ABSENT), right.get(path, ABSENT), rules.rule_for(path), names, noise)
            for path in sorted(set(left) | set(right))]
    rows.sort(key=lambda row: (STATUSES.index(row.status), -row.magnitude, row.observable))
    return Comparison(baseline_name, candidate_name, rules.name, tuple(rows))


def _row(path: str, a: Any, b: Any, rule: Rule | None, names: tuple[str, str], noise: dict[str, str]) -> Row:
    verdict = judge(a, b, rule, names)
    status, detail = verdict.status, verdict.detail
    if path in noise and status in ("diverge", "unjudged"):
        # Diffy's rule: a difference also seen between seeds of one variant is not evidence
        status = "noise" if status == "diverge" else status
        detail = f"{detail}; noise: {noise[path]}"
    return Row(path, _plain(a), _plain(b), status, rule, verdict.delta, verdict.magnitude, detail)


def _plain(value: Any) -> Any:
    return None if value is ABSENT else jsonable(value)


def _brief(row: Row) -> str:
    """'path: 0.29 vs missing, absolute 1e-06' for a summary line."""
    sides = " vs ".join("missing" if v is None else show(v) for v in (row.baseline, row.candidate))
    if row.rule is None:
        return f"{row.observable}: {sides}"
    bound = f" {fmt(row.rule.value)}" if row.rule.value is not None else ""
    return f"{row.observable}: {sides}, {row.rule.kind}{bound}"
