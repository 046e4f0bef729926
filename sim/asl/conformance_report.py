"""The conformance run's report: per-case outcomes, totals, known gaps, rendering.

Known-gaps file (YAML): a list of entries, each naming one case and why it may
fail or not run::

    - id: timeouts.timeouts.fixed_timeout_service_lambda
      reason: Lambda's 60 s sleep is not cut short by the Task's TimeoutSeconds yet
    - id: services.aws_sdk_task_service.sfn_send_task_outcome_with_no_such_token[state_machine_template1]
      reason: needs the SFN service's task-token API

A listed case that fails or is not run is a *known gap*: it still counts in the
totals, but does not make the run fail. At most ``GAP_LIMIT`` (2 %) of the
corpus may be listed. A listed case that passes is a *stale gap*: remove it
from the file. Entries whose id is not in the corpus being run (for example a
holdout case) are reported and otherwise ignored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.errors import ConfigError, yaml_problem, yaml_where

PASS, FAIL, NOT_RUN = "pass", "fail", "not_run"
OUTCOMES = (PASS, FAIL, NOT_RUN)
NO_NEEDS = "(none)"
GAP_LIMIT = 0.02  # at most 2 % of the corpus may be listed as known gaps


@dataclass(frozen=True)
class CaseResult:
    id: str
    category: str
    needs: tuple[str, ...]
    outcome: str  # pass | fail | not_run
    reason: str = ""


@dataclass
class Report:
    results: list[CaseResult]
    gaps: dict[str, str] = field(default_factory=dict)  # listed id -> reason

    # -- counting ------------------------------------------------------------
    def totals(self) -> dict[str, int]:
        counts = Counter(r.outcome for r in self.results)
        return {o: counts.get(o, 0) for o in OUTCOMES}

    def by_category(self) -> dict[str, dict[str, int]]:
        return _group(((r.category, r.outcome) for r in self.results))

    def by_need(self) -> dict[str, dict[str, int]]:
        return _group(((need, r.outcome) for r in self.results for need in (r.needs or (NO_NEEDS,))))

    # -- lists -----------------------------------------------------------------
    def _entries(self, outcome: str) -> list[dict[str, str]]:
        out = []
        for r in self.results:
            if r.outcome == outcome:
                entry = {"id": r.id, "reason": r.reason}
                if r.id in self.gaps:
                    entry["known_gap"] = self.gaps[r.id]
                out.append(entry)
        return out

    def failures(self) -> list[dict[str, str]]:
        return self._entries(FAIL)

    def not_run(self) -> list[dict[str, str]]:
        return self._entries(NOT_RUN)

    def known_gaps(self) -> list[dict[str, str]]:
        """Listed cases that failed or did not run (allowed)."""
        return [{"id": r.id, "outcome": r.outcome, "reason": r.reason, "listed_because": self.gaps[r.id]}
                for r in self.results if r.id in self.gaps and r.outcome != PASS]

    def stale_gaps(self) -> list[dict[str, str]]:
        """Listed cases that now pass: take them off the list."""
        return [{"id": r.id, "listed_because": self.gaps[r.id]}
                for r in self.results if r.id in self.gaps and r.outcome == PASS]

    def gaps_not_in_corpus(self) -> list[str]:
        ids = {r.id for r in self.results}
        return sorted(g for g in self.gaps if g not in ids)

    def unlisted_problems(self) -> list[CaseResult]:
        return [r for r in self.results if r.outcome != PASS and r.id not in self.gaps]

    def listed_count(self) -> int:
        return sum(1 for r in self.results if r.id in self.gaps)

    def gap_limit(self) -> int:
        return int(GAP_LIMIT * len(self.results))

    @property
    def ok(self) -> bool:
        return not self.unlisted_problems() and self.listed_count() <= GAP_LIMIT * len(self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cases": len(self.results),
            "totals": self.totals(),
            "by_category": self.by_category(),
            "by_need": self.by_need(),
            "failures": self.failures(),
            "not_run": self.not_run(),
            "known_gaps": self.known_gaps(),
            "stale_gaps": self.stale_gaps(),
            "gaps_not_in_corpus": self.gaps_not_in_corpus(),
            "listed": self.listed_count(),
            "gap_limit": self.gap_limit(),
        }


def _group(pairs) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for key, outcome in pairs:
        out.setdefault(key, dict.fromkeys(OUTCOMES, 0))[outcome] += 1
    return dict(sorted(out.items()))


# -- the known-gaps file -----------------------------------------------------
def load_known_gaps(path: str | Path) -> dict[str, str]:
    """Read a known-gaps YAML file: a list of ``{id, reason}``. Returns id -> reason."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: known-gaps file not found; pass a YAML list of {{id, reason}} entries")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        where = yaml_where(exc, ":{line}:{column}")
        raise ConfigError(f"{path}{where}: not valid YAML ({yaml_problem(exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, list):
        raise ConfigError(f"{path}: a known-gaps file is a YAML list of entries with 'id' and 'reason'")
    return _gap_entries(data, path)


def _gap_entries(data: list, path: Path) -> dict[str, str]:
    gaps: dict[str, str] = {}
    for i, entry in enumerate(data):
        where = f"{path}: entry {i + 1}"
        if not isinstance(entry, dict) or set(entry) != {"id", "reason"}:
            raise ConfigError(f"{where}: each entry has exactly the keys 'id' and 'reason', got {entry!r}")
        case_id, reason = entry["id"], entry["reason"]
        if not isinstance(case_id, str) or not case_id.strip():
            raise ConfigError(f"{where}: 'id' must be a case id (a non-empty string)")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where} ({case_id}): 'reason' must say why the case is a gap")
        if case_id in gaps:
            raise ConfigError(f"{where}: case {case_id!r} is listed twice")
        gaps[case_id] = reason.strip()
    return gaps


# -- rendering ---------------------------------------------------------------
def print_report(report: Report, console: Console | None = None) -> None:
    console = console or Console()
    totals = report.totals()
    console.print(f"[bold]ASL conformance[/]: {len(report.results)} cases: {totals[PASS]} pass, "
                  f"{totals[FAIL]} fail, {totals[NOT_RUN]} not run")
    console.print(_table("category", report.by_category()))
    console.print(_table("needs", report.by_need()))
    _print_entries(console, "failures", report.failures())
    _print_not_run(console, report.not_run())
    _print_gaps(console, report)
    verdict = "[green]OK[/]" if report.ok else "[bold red]NOT OK[/]"
    console.print(f"{verdict}: {len(report.unlisted_problems())} unlisted failure(s)/not-run, "
                  f"{report.listed_count()} listed gap(s) (limit {report.gap_limit()})")


def _table(title: str, groups: dict[str, dict[str, int]]) -> Table:
    table = Table(title, "pass", "fail", "not run", title=f"by {title}")
    for key, counts in groups.items():
        fail = f"[red]{counts[FAIL]}[/]" if counts[FAIL] else "0"
        table.add_row(key, str(counts[PASS]), fail, str(counts[NOT_RUN]))
    return table


def _print_entries(console: Console, title: str, entries: list[dict[str, str]]) -> None:
    if not entries:
        return
    console.print(f"[bold]{title}[/] ({len(entries)}):")
    for e in entries:
        mark = " [dim](known gap)[/]" if "known_gap" in e else ""
        console.print(f"  {escape(e['id'])}{mark}: {escape(e['reason'])}", highlight=False, soft_wrap=True)


def _print_not_run(console: Console, entries: list[dict[str, str]]) -> None:
    """Not-run cases grouped by reason (many share one: a missing emulated service)."""
    if not entries:
        return
    by_reason = Counter(e["reason"] for e in entries)
    console.print(f"[bold]not run[/] ({len(entries)}):")
    for reason, n in by_reason.most_common():
        console.print(f"  {n} x {escape(reason)}", highlight=False)


def _print_gaps(console: Console, report: Report) -> None:
    stale = report.stale_gaps()
    if stale:
        console.print(f"[yellow]stale gaps[/] ({len(stale)}): these listed cases now pass; remove them from the list:")
        for g in stale:
            console.print(f"  {escape(g['id'])}", highlight=False)
    missing = report.gaps_not_in_corpus()
    if missing:
        console.print(f"[dim]{len(missing)} listed gap(s) are not in this corpus: {escape(', '.join(missing))}[/]",
                      highlight=False)
