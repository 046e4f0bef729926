"""Branch coverage of ``if`` nodes over a set of dates.

For each ``if`` in a file we record which branches its evaluations took:
then only, else only, both, or never evaluated. Branch coverage is
``branches taken / (2 × ifs)``, per file and overall. Synthetic market data
must drive every ``if`` both ways somewhere in the fixture range (DESIGN,
"Market data"); this is the number that says whether it does.

A date whose evaluation fails still contributes the ``if``s it passed before
failing, and is counted in ``errors``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from workflows.dsl.cache import IndicatorCache
from workflows.dsl.errors import DslEvaluationError
from workflows.dsl.evaluator import Evaluator, evaluate
from workflows.dsl.nodes import ListNode, Node, to_source, walk
from workflows.dsl.parser import parse_file
from workflows.dsl.trace import IfDecision, TraceEntry
from workflows.dsl.window import DEFAULT_POLICY, LiveBarPolicy

Site = tuple[int, int]  # (line, column) of an if form


@dataclass(frozen=True)
class FileCoverage:
    file: str
    ifs: int
    then_only: int
    else_only: int
    both: int
    never: int
    evaluations: int = 0
    errors: int = 0
    never_taken: tuple[str, ...] = ()  # "line:col (condition)" of unevaluated ifs

    @property
    def branches_taken(self) -> int:
        return self.then_only + self.else_only + 2 * self.both

    @property
    def branch_coverage(self) -> float:
        return self.branches_taken / (2 * self.ifs) if self.ifs else 1.0


@dataclass(frozen=True)
class CoverageReport:
    files: tuple[FileCoverage, ...]

    @property
    def ifs(self) -> int:
        return sum(f.ifs for f in self.files)

    @property
    def branches_taken(self) -> int:
        return sum(f.branches_taken for f in self.files)

    @property
    def branch_coverage(self) -> float:
        return self.branches_taken / (2 * self.ifs) if self.ifs else 1.0

    def to_json(self) -> dict:
        return {
            "branch_coverage": self.branch_coverage,
            "ifs": self.ifs,
            "branches_taken": self.branches_taken,
            "files": [
                {
                    "file": f.file, "ifs": f.ifs, "then_only": f.then_only,
                    "else_only": f.else_only, "both": f.both, "never": f.never,
                    "branch_coverage": f.branch_coverage, "evaluations": f.evaluations,
                    "errors": f.errors,
                }
                for f in self.files
            ],
        }


@dataclass
class _FileState:
    sites: dict[Site, str]
    taken: dict[Site, dict[str, bool]] = field(default_factory=dict)
    evaluations: int = 0
    errors: int = 0


class CoverageTracker:
    """Accumulates ``if`` outcomes from decision traces."""

    def __init__(self) -> None:
        self._files: dict[str, _FileState] = {}

    def add_file(self, file: str, tree: Node) -> None:
        sites = {
            (node.line, node.column): to_source(node.children[1], 80) if len(node.children) > 1 else ""
            for node in walk(tree)
            if isinstance(node, ListNode) and node.kind != "map" and node.head == "if"
        }
        self._files[file] = _FileState(sites)

    def record(self, file: str, trace: Iterable[TraceEntry], failed: bool = False) -> None:
        state = self._files[file]
        state.evaluations += 1
        state.errors += int(failed)
        for entry in trace:
            if isinstance(entry, IfDecision) and entry.file == file:
                state.taken.setdefault((entry.line, entry.column), {})[entry.branch] = True

    def report(self) -> CoverageReport:
        return CoverageReport(tuple(self._file_report(name, s) for name, s in self._files.items()))

    @staticmethod
    def _file_report(file: str, state: _FileState) -> FileCoverage:
        then_only = else_only = both = 0
        never: list[str] = []
        for site, condition in sorted(state.sites.items()):
            branches = state.taken.get(site, {})
            if branches.get("then") and branches.get("else"):
                both += 1
            elif branches.get("then"):
                then_only += 1
            elif branches.get("else"):
                else_only += 1
            else:
                never.append(f"{site[0]}:{site[1]} {condition}")
        return FileCoverage(
            file, len(state.sites), then_only, else_only, both, len(never),
            state.evaluations, state.errors, tuple(never),
        )


def branch_coverage(
    paths: Iterable[str | Path],
    dates: Iterable[date],
    cache: IndicatorCache,
    policy: LiveBarPolicy = DEFAULT_POLICY,
) -> CoverageReport:
    """Evaluate every file on every date and report ``if`` branch coverage."""
    tracker = CoverageTracker()
    trees = {str(path): parse_file(path) for path in paths}
    for file, tree in trees.items():
        tracker.add_file(file, tree)
    for day in dates:
        for file, tree in trees.items():
            ev = Evaluator(cache, day, policy, file)
            try:
                evaluate(tree, cache, day, policy, file, evaluator=ev)
            except DslEvaluationError:
                tracker.record(file, ev.trace, failed=True)
            else:
                tracker.record(file, ev.trace)
    return tracker.report()
