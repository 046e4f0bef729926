"""The diff engine: compare two observables documents (nested dicts of JSON values a
workflow produced) under declarative tolerances, and tell differences from noise.

    rules = load_rules(Path("tolerances.yaml"))
    noise = noise_between([run_seed0, run_seed1, run_seed2], rules)   # one variant, many seeds
    result = compare(baseline, candidate, rules, baseline_name="legacy", candidate_name="new", noise=noise)
    print(result.summary())

See sim/diff/compare.py for the statuses and sim/diff/judge.py for magnitudes.
"""

from sim.diff.compare import STATUSES, Comparison, Row, compare
from sim.diff.judge import UNBOUNDED
from sim.diff.noise import noise_between
from sim.diff.rules import Rule, RuleSet, load_rules
from sim.diff.values import flatten

__all__ = ["STATUSES", "UNBOUNDED", "Comparison", "Row", "Rule", "RuleSet", "compare", "flatten", "load_rules",
           "noise_between"]
