"""Branch coverage of ``if`` nodes over a set of dates, and why branches stay untaken.

Per ``if``: which branches its evaluations took (then only, else only, both,
never evaluated). Branch coverage is ``branches taken / (2 × ifs)``, per file
and overall: the number that says whether the synthetic market data drives
every ``if`` both ways (DESIGN, "Market data"). A date whose evaluation fails
still contributes the ``if``s it passed, and is counted in ``errors``.

``infeasible_branches``: branches no data can take because the conditions on
their path contradict each other (``SPY > MA200`` re-tested inside its own
then-branch, ``RSI <= 79`` enclosing ``RSI > 81``); reports count them and
also give coverage of the feasible branches.

``untaken_branches`` is the diagnostic: for each ``if`` missing a branch it
evaluates the condition alone on every date and reports how often it held,
the range of each side (thresholds never crossed) and the date where the
fewest enclosing conditions stood in the way, and which ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from workflows.dsl.cache import IndicatorCache
from workflows.dsl.errors import DslEvaluationError
from workflows.dsl.evaluator import Evaluator, evaluate
from workflows.dsl.nodes import Atom, ListNode, Node, to_source
from workflows.dsl.parser import parse_file
from workflows.dsl.trace import IfDecision, TraceEntry
from workflows.dsl.values import as_decimal
from workflows.dsl.window import DEFAULT_POLICY, LiveBarPolicy

Site = tuple[int, int]  # (line, column) of an if form
BRANCHES = ("then", "else")


class _Ratios:
    """Coverage of all branches, and of the feasible ones (needs ifs, branches_taken, infeasible)."""

    @property
    def branch_coverage(self) -> float:
        return self.branches_taken / (2 * self.ifs) if self.ifs else 1.0

    @property
    def feasible_coverage(self) -> float:
        feasible = 2 * self.ifs - self.infeasible
        return self.branches_taken / feasible if feasible else 1.0


@dataclass(frozen=True)
class FileCoverage(_Ratios):
    file: str
    ifs: int
    then_only: int
    else_only: int
    both: int
    never: int
    evaluations: int = 0
    errors: int = 0
    never_taken: tuple[str, ...] = ()  # "line:col (condition)" of unevaluated ifs
    infeasible: int = 0  # branches no data can take (self-contradicting path)

    @property
    def branches_taken(self) -> int:
        return self.then_only + self.else_only + 2 * self.both


@dataclass(frozen=True)
class CoverageReport(_Ratios):
    files: tuple[FileCoverage, ...]

    @property
    def ifs(self) -> int:
        return sum(f.ifs for f in self.files)

    @property
    def branches_taken(self) -> int:
        return sum(f.branches_taken for f in self.files)

    @property
    def infeasible(self) -> int:
        return sum(f.infeasible for f in self.files)

    def to_json(self) -> dict:
        keys = ("file", "ifs", "then_only", "else_only", "both", "never", "branch_coverage",
                "evaluations", "errors", "infeasible", "feasible_coverage")
        return {
            "branch_coverage": self.branch_coverage, "ifs": self.ifs,
            "branches_taken": self.branches_taken, "infeasible": self.infeasible,
            "feasible_coverage": self.feasible_coverage,
            "files": [{key: getattr(f, key) for key in keys} for f in self.files],
        }


@dataclass(frozen=True)
class IfSite:
    """One ``if``: its node, and the ``if`` branch that encloses it (if any)."""

    node: ListNode
    parent: Site | None
    branch: str  # "then"/"else" of the parent; "" at top level

    @property
    def condition(self) -> Node:
        return self.node.children[1] if len(self.node.children) > 1 else Atom("", self.node.line, self.node.column)


def if_sites(tree: Node) -> dict[Site, IfSite]:
    """Every ``if`` by (line, column), with its enclosing ``if`` branch."""
    found: dict[Site, IfSite] = {}
    stack: list[tuple[Node, Site | None, str]] = [(tree, None, "")]
    while stack:
        node, parent, branch = stack.pop()
        if not isinstance(node, ListNode):
            continue
        is_if = node.kind != "map" and node.head == "if"
        here = (node.line, node.column)
        if is_if:
            found[here] = IfSite(node, parent, branch)
        for index, child in enumerate(node.children):
            if is_if and index in (2, 3):
                stack.append((child, here, BRANCHES[index - 2]))
            else:
                stack.append((child, parent, branch))
    return found


def _path(sites: Mapping[Site, IfSite], site: Site) -> list[tuple[Site, bool]]:
    """The (enclosing if, required truth) pairs leading to ``site``, outermost first."""
    out, current = [], sites[site]
    while current.parent is not None:
        out.append((current.parent, current.branch == "then"))
        current = sites[current.parent]
    return out[::-1]


_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">="}
_NEGATE = {">": "<=", "<": ">=", ">=": "<", "<=": ">"}


def _bound(condition: Node, holds: bool, aliases: Mapping[str, str]) -> tuple[str, tuple, tuple] | None:
    """``(op indicator number)`` (either order, negated unless ``holds``) as the
    indicator's key, lower bound (value, strict) and upper bound (value, closed).
    With ``aliases``, ``rsi`` of an aliased ticker is keyed by the alias (RSI is
    scale-free: a daily 2x/3x fund's RSI is close to its underlying's)."""
    if not (isinstance(condition, ListNode) and condition.head in _FLIP and len(condition.children) == 3):
        return None
    op, left, right = condition.head, condition.children[1], condition.children[2]
    if isinstance(left, Atom) and isinstance(right, ListNode):
        op, left, right = _FLIP[op], right, left
    if not (isinstance(left, ListNode) and isinstance(right, Atom)):
        return None
    key = to_source(left, 10_000)
    first = left.children[1] if len(left.children) > 1 else None
    if left.head == "rsi" and isinstance(first, Atom) and str(first.value).upper() in aliases:
        key = key.replace(to_source(first), f'"{aliases[str(first.value).upper()]}"', 1)
    limit, inf = float(as_decimal(right.value)), float("inf")
    op = op if holds else _NEGATE[op]
    if op[0] == ">":
        return key, (limit, op == ">"), (inf, True)
    return key, (-inf, False), (limit, op == "<=")


def contradicts(requirements: Iterable[tuple[Node, bool]], aliases: Mapping[str, str] | None = None) -> bool:
    """True when no day can satisfy every (condition, required truth) pair: one
    condition required both ways, or bounds on one indicator that do not overlap.
    With ``aliases`` (ticker -> ticker) aliased tickers' RSIs count as one."""
    seen: dict[str, bool] = {}
    bounds: dict[str, tuple[tuple, tuple]] = {}
    for condition, holds in requirements:
        if seen.setdefault(to_source(condition, 10_000), holds) != holds:
            return True
        found = _bound(condition, holds, aliases or {})
        if found is None:
            continue
        key, low, high = found
        if key in bounds:  # tighter bounds: the larger low (strict wins), the smaller high (open wins)
            low, high = max(low, bounds[key][0]), min(high, bounds[key][1])
        bounds[key] = (low, high)
        if low[0] > high[0] or (low[0] == high[0] and (low[1] or not high[1])):
            return True
    return False


def infeasible_branches(tree: Node, aliases: Mapping[str, str] | None = None) -> frozenset[tuple[Site, str]]:
    """(site, branch) pairs that no data can take: their path contradicts itself."""
    sites = if_sites(tree)
    dead: set[tuple[Site, str]] = set()
    for site, info in sites.items():
        path = [(sites[a].condition, need) for a, need in _path(sites, site)]
        for branch in BRANCHES:
            if contradicts([*path, (info.condition, branch == "then")], aliases):
                dead.add((site, branch))
    return frozenset(dead)


@dataclass
class _FileState:
    sites: dict[Site, str]
    infeasible: int = 0
    taken: dict[Site, dict[str, bool]] = field(default_factory=dict)
    reached: dict[Site, int] = field(default_factory=dict)
    evaluations: int = 0
    errors: int = 0


class CoverageTracker:
    """Accumulates ``if`` outcomes from decision traces."""

    def __init__(self) -> None:
        self._files: dict[str, _FileState] = {}

    def add_file(self, file: str, tree: Node) -> None:
        sites = {site: to_source(info.condition, 80) for site, info in if_sites(tree).items()}
        self._files[file] = _FileState(sites, len(infeasible_branches(tree)))

    def record(self, file: str, trace: Iterable[TraceEntry], failed: bool = False) -> None:
        state = self._files[file]
        state.evaluations, state.errors = state.evaluations + 1, state.errors + int(failed)
        for entry in trace:
            if isinstance(entry, IfDecision) and entry.file == file:
                state.taken.setdefault((entry.line, entry.column), {})[entry.branch] = True
                state.reached[entry.line, entry.column] = state.reached.get((entry.line, entry.column), 0) + 1

    def taken(self, file: str) -> dict[Site, tuple[str, ...]]:
        """Branches each ``if`` of ``file`` took, every site listed."""
        state = self._files[file]
        return {site: tuple(b for b in BRANCHES if b in state.taken.get(site, {})) for site in sorted(state.sites)}

    def reached(self, file: str, site: Site) -> int:
        return self._files[file].reached.get(site, 0)

    def report(self) -> CoverageReport:
        return CoverageReport(tuple(self._file_report(name, s) for name, s in self._files.items()))

    def _file_report(self, file: str, state: _FileState) -> FileCoverage:
        taken = list(self.taken(file).values())
        never = tuple(f"{s[0]}:{s[1]} {state.sites[s]}" for s, t in self.taken(file).items() if not t)
        return FileCoverage(
            file, len(state.sites), taken.count(("then",)), taken.count(("else",)), taken.count(BRANCHES),
            len(never), state.evaluations, state.errors, never, state.infeasible,
        )


def _track(
    trees: Mapping[str, Node], dates: Iterable[date], cache: IndicatorCache, policy: LiveBarPolicy
) -> CoverageTracker:
    tracker = CoverageTracker()
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
    return tracker


def branch_coverage(
    paths: Iterable[str | Path], dates: Iterable[date], cache: IndicatorCache, policy: LiveBarPolicy = DEFAULT_POLICY
) -> CoverageReport:
    """Evaluate every file on every date and report ``if`` branch coverage."""
    trees = {str(path): parse_file(path) for path in paths}
    return _track(trees, dates, cache, policy).report()


@dataclass(frozen=True)
class UntakenBranch:
    """An ``if`` that missed at least one branch, with what its condition saw."""

    file: str
    line: int
    column: int
    condition: str
    missing: tuple[str, ...]  # "then" and/or "else"
    reached: int  # dates on which the tree reached this if
    parent: str  # "line:col then|else" of the enclosing if's branch, "" at top level
    true_days: int  # the condition alone, evaluated on every date
    false_days: int
    failed_days: int  # condition could not be evaluated (missing data)
    sides: tuple[tuple[str, float, float], ...]  # (label, min, max) of each indicator side (and left - right)
    # per missing branch:
    closest_day: tuple[date | None, ...] = ()  # condition right, fewest enclosing ones wrong
    blockers: tuple[tuple[str, ...], ...] = ()  # the enclosing conditions wrong on that day
    infeasible: tuple[bool, ...] = ()  # path contradicts itself: no data can take it
    near_infeasible: tuple[bool, ...] = ()  # contradicts once aliased RSIs count as one

    def describe(self) -> str:
        """One header line and one line per missing branch."""
        status = f"reached {self.reached}d" if self.reached else "never reached"
        parent = f" under {self.parent}" if self.parent else ""
        failed = f" failed {self.failed_days}d" if self.failed_days else ""
        sides = "; ".join(f"{label} in [{low:.4g}, {high:.4g}]" for label, low, high in self.sides)
        lines = [
            f"{self.line}:{self.column} missing {'+'.join(self.missing)} ({status}{parent}; "
            f"alone true {self.true_days}d false {self.false_days}d{failed}) {self.condition}"
            + (f"  [{sides}]" if sides else "")
        ]
        for i, branch in enumerate(self.missing):
            if self.infeasible[i]:
                why = "infeasible (the conditions on its path contradict each other)"
            elif self.near_infeasible and self.near_infeasible[i]:
                why = "near-infeasible (contradicts if aliased funds' RSIs were equal)"
            elif self.closest_day[i] is None:
                why = "threshold never crossed"
            else:
                why = f"closest {self.closest_day[i]}, blocked by {' AND '.join(self.blockers[i]) or 'nothing'}"
            lines.append(f"    {branch}: {why}")
        return "\n".join(lines)


def _condition_sides(ev: Evaluator, condition: Node) -> tuple[bool, list[tuple[str, float]]]:
    """The condition's truth and, for a comparison, its sides' values (and their
    difference when both are indicators)."""
    result = bool(ev.eval(condition))
    if not (isinstance(condition, ListNode) and condition.head in (*_FLIP, "=") and len(condition.children) == 3):
        return result, []
    left_node, right_node = condition.children[1], condition.children[2]
    left, right = float(as_decimal(ev.eval(left_node))), float(as_decimal(ev.eval(right_node)))
    sides = [(to_source(node, 60), value) for node, value in ((left_node, left), (right_node, right))
             if not isinstance(node, Atom)]
    if len(sides) == 2:
        sides.append(("left - right", left - right))
    return result, sides


class _Conditions:
    """Each ``if`` condition of one file evaluated alone on every date (memoised)."""

    def __init__(self, file: str, sites: Mapping[Site, IfSite], days: list[date], cache, policy) -> None:
        self.file, self.sites, self.days, self.cache, self.policy = file, sites, days, cache, policy
        self._truth: dict[Site, list[bool | None]] = {}
        self._sides: dict[Site, dict[str, list[float]]] = {}

    def truth(self, site: Site) -> list[bool | None]:
        """Per date: the condition's value, None where it could not be evaluated."""
        if site not in self._truth:
            condition = self.sites[site].condition
            truth: list[bool | None] = []
            sides: dict[str, list[float]] = {}
            for day in self.days:
                try:
                    result, values = _condition_sides(Evaluator(self.cache, day, self.policy, self.file), condition)
                except DslEvaluationError:
                    truth.append(None)
                    continue
                truth.append(result)
                for label, value in values:
                    sides.setdefault(label, []).append(value)
            self._truth[site], self._sides[site] = truth, sides
        return self._truth[site]

    def sides(self, site: Site) -> tuple[tuple[str, float, float], ...]:
        self.truth(site)
        return tuple((k, min(v), max(v)) for k, v in self._sides[site].items())

    def closest(self, site: Site, want: bool) -> tuple[date | None, tuple[str, ...]]:
        """The date where the condition is ``want`` and the fewest enclosing
        conditions block the path, and those blocking conditions."""
        path = _path(self.sites, site)
        best: tuple[int, int] | None = None
        for index, value in enumerate(self.truth(site)):
            if value is want:
                misses = sum(self.truth(a)[index] is not need for a, need in path)
                if best is None or misses < best[0]:
                    best = (misses, index)
        if best is None:
            return None, ()
        index = best[1]
        return self.days[index], tuple(
            f"{a[0]}:{a[1]} needs {'then' if need else 'else'} {to_source(self.sites[a].condition, 80)}"
            for a, need in path if self.truth(a)[index] is not need
        )


def untaken_branches(
    paths: Iterable[str | Path], dates: Iterable[date], cache: IndicatorCache,
    policy: LiveBarPolicy = DEFAULT_POLICY, aliases: Mapping[str, str] | None = None,
) -> dict[str, list[UntakenBranch]]:
    """Per file, every ``if`` missing a branch over ``dates``, with what its
    condition saw (see the module docstring). ``aliases`` (ticker -> ticker,
    e.g. leveraged fund -> underlying) marks branches that are near-infeasible
    because they need an aliased pair's RSIs to differ."""
    days = list(dates)
    trees = {str(path): parse_file(path) for path in paths}
    tracker = _track(trees, days, cache, policy)
    out: dict[str, list[UntakenBranch]] = {}
    for file, tree in trees.items():
        sites = if_sites(tree)
        dead = infeasible_branches(tree)
        near = infeasible_branches(tree, aliases) if aliases else frozenset()
        conditions = _Conditions(file, sites, days, cache, policy)
        rows: list[UntakenBranch] = []
        for site, taken in tracker.taken(file).items():
            missing = tuple(b for b in BRANCHES if b not in taken)
            if not missing:
                continue
            info, truth = sites[site], conditions.truth(site)
            closest = [conditions.closest(site, b == "then") for b in missing]
            rows.append(UntakenBranch(
                file=file, line=site[0], column=site[1], condition=to_source(info.condition, 120),
                missing=missing, reached=tracker.reached(file, site),
                parent=f"{info.parent[0]}:{info.parent[1]} {info.branch}" if info.parent else "",
                true_days=truth.count(True), false_days=truth.count(False), failed_days=truth.count(None),
                sides=conditions.sides(site),
                closest_day=tuple(c[0] for c in closest), blockers=tuple(c[1] for c in closest),
                infeasible=tuple((site, b) in dead for b in missing),
                near_infeasible=tuple((site, b) in near for b in missing) if aliases else (),
            ))
        out[file] = rows
    return out
