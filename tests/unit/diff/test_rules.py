"""Rules and rule files: validation, first match wins, extends, and one-message errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sim.diff import Rule, RuleSet, load_rules
from sim.errors import ConfigError


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


# -- Rule and RuleSet ---------------------------------------------------------------

def test_measured_kinds_need_a_value_and_others_refuse_one():
    assert Rule(match="a", kind="absolute", value=0).value == 0
    with pytest.raises(ValidationError, match="needs a value"):
        Rule(match="a", kind="relative")
    with pytest.raises(ValidationError, match="takes no value"):
        Rule(match="a", kind="exact", value=1)
    with pytest.raises(ValidationError, match=">= 0"):
        Rule(match="a", kind="absolute", value=-1)
    with pytest.raises(ValidationError):
        Rule(match="a", kind="fuzzy")
    with pytest.raises(ValidationError):
        Rule(match="a", kind="exact", colour="red")


def test_rules_are_frozen():
    rule = Rule(match="a", kind="set")
    with pytest.raises(ValidationError):
        rule.kind = "exact"


def test_the_first_matching_rule_wins_and_matching_is_a_case_sensitive_glob():
    rules = RuleSet(name="r", rules=[Rule(match="timing.ready_at", kind="exact"),
                                     Rule(match="timing.*", kind="absolute", value=2),
                                     Rule(match="*", kind="ignore")])
    assert rules.rule_for("timing.ready_at").kind == "exact"
    assert rules.rule_for("timing.done_at").kind == "absolute"
    assert rules.rule_for("Timing.done_at").kind == "ignore"  # 'timing.*' does not match 'Timing'
    assert rules.rule_for("a.b.c").kind == "ignore"             # '*' crosses dots
    assert RuleSet(name="none").rule_for("x") is None


def test_rule_sets_report_as_plain_dicts():
    rules = RuleSet(name="r", description="d", source="f.yaml",
                    rules=[Rule(match="a", kind="absolute", value=0.5, why="jitter")])
    assert rules.to_dict() == {"name": "r", "description": "d", "source": "f.yaml",
                               "rules": [{"match": "a", "kind": "absolute", "value": 0.5, "why": "jitter"}]}


# -- load_rules -------------------------------------------------------------------

def test_a_rules_file_loads_with_its_source(tmp_path):
    path = write(tmp_path, "r.yaml", """
name: timing
description: allow jitter
rules:
  - {match: "timing.*", kind: absolute, value: 2, why: seconds}
  - match: emails
    kind: set
""")
    rules = load_rules(path)
    assert rules.name == "timing" and rules.description == "allow jitter" and rules.source == str(path)
    assert [(r.match, r.kind, r.value) for r in rules.rules] == [("timing.*", "absolute", 2.0), ("emails", "set", None)]


def test_a_file_without_name_is_named_after_the_file(tmp_path):
    assert load_rules(write(tmp_path, "strict.yaml", "rules: []\n")).name == "strict"


def test_extends_puts_the_extending_files_rules_first(tmp_path):
    write(tmp_path, "base.yaml", "name: base\nrules:\n  - {match: '*', kind: exact}\n  - {match: x, kind: set}\n")
    (tmp_path / "sub").mkdir()
    child = write(tmp_path / "sub", "child.yaml",
                  "name: child\nextends: ../base.yaml\nrules:\n  - {match: 'timing.*', kind: ignore}\n")
    rules = load_rules(child)
    assert rules.name == "child"
    assert [r.match for r in rules.rules] == ["timing.*", "*", "x"]
    assert rules.rule_for("timing.a").kind == "ignore" and rules.rule_for("other").kind == "exact"


def test_an_extends_cycle_is_one_clear_error(tmp_path):
    write(tmp_path, "a.yaml", "name: a\nextends: b.yaml\n")
    write(tmp_path, "b.yaml", "name: b\nextends: a.yaml\n")
    with pytest.raises(ConfigError) as err:
        load_rules(tmp_path / "a.yaml")
    assert str(err.value) == (f"{tmp_path / 'b.yaml'}: 'extends: a.yaml' makes a cycle (a.yaml -> b.yaml -> a.yaml); "
                              f"remove one of these extends")


def test_a_file_extending_itself_is_a_cycle(tmp_path):
    with pytest.raises(ConfigError, match=r"makes a cycle \(self.yaml -> self.yaml\)"):
        load_rules(write(tmp_path, "self.yaml", "extends: self.yaml\n"))


def test_a_missing_file_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.yaml: rules file not found"):
        load_rules(tmp_path / "nope.yaml")


def test_a_missing_parent_names_the_parent(tmp_path):
    with pytest.raises(ConfigError, match=r"gone.yaml: rules file not found"):
        load_rules(write(tmp_path, "c.yaml", "extends: gone.yaml\n"))


def test_a_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "name: x\nrules:\n  - {match: a, kind: exact}\n  - match: b: c\n")
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert str(err.value) == (f"{path}, line 4, column 13: not valid YAML (mapping values are not allowed here); "
                              f"fix the syntax there")


@pytest.mark.parametrize("rule, problem", [
    ("{match: a, kind: fuzzy}", "kind 'fuzzy' is not one of exact, absolute, relative, set, ignore"),
    ("{match: a, kind: absolute}", "kind absolute needs a value (the tolerance), e.g. value: 0.000001"),
    ("{match: a, kind: set, value: 1}", "kind set takes no value; remove 'value' (only absolute and relative use one)"),
    ("{match: a, kind: exact, colour: red}", "unknown key 'colour'; a rule has match, kind, value, why"),
    ("{match: a, kind: relative, value: -0.1}", "value -0.1 must be a finite number >= 0"),
    ("{match: a, kind: relative, value: high}", "value 'high' must be a finite number >= 0"),
])
def test_a_bad_rule_names_file_line_rule_and_match(tmp_path, rule, problem):
    path = write(tmp_path, "r.yaml", f"name: r\nrules:\n  - {{match: ok, kind: exact}}\n  - {rule}\n")
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert str(err.value) == f"{path}, line 4: rule 2 of 2 (match 'a'): {problem}"


def test_a_rule_without_match_says_so(tmp_path):
    path = write(tmp_path, "r.yaml", "rules:\n  - kind: exact\n")
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert str(err.value) == (f"{path}, line 2: rule 1 of 1 (match None): 'match' is missing; give a glob over "
                              f"the dotted path, e.g. match: 'timing.*'")


def test_a_rule_that_is_not_a_mapping_says_so(tmp_path):
    with pytest.raises(ConfigError, match=r"line 2: rule 1 of 1: a rule must be a mapping"):
        load_rules(write(tmp_path, "r.yaml", "rules:\n  - exact\n"))


@pytest.mark.parametrize("text, problem", [
    ("nmae: x\n", "unknown key 'nmae' at the top level; the keys are name, description, extends, rules"),
    ("- a\n", "a rules file must be a YAML mapping with name, description and rules; it holds a list"),
    ("rules: {a: 1}\n", "'rules' must be a list of rules (each line starting with '- ')"),
    ("name: [1]\n", "'name' must be a string; quote it"),
])
def test_a_bad_top_level_names_the_file(tmp_path, text, problem):
    path = write(tmp_path, "r.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert str(err.value) == f"{path}: {problem}"


def test_an_empty_file_is_an_empty_rule_set(tmp_path):
    rules = load_rules(write(tmp_path, "empty.yaml", ""))
    assert rules.name == "empty" and rules.rules == []
