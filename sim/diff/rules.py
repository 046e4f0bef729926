"""Declarative tolerances: which observables may differ, and by how much.

A rules file is YAML::

    name: timing-tolerant
    description: what this rule set is for
    extends: base.yaml          # optional, relative to this file
    rules:
      - {match: "timing.*", kind: absolute, value: 2.0, why: "seconds of jitter"}
      - {match: "emails", kind: set, why: "delivery order is not part of the contract"}

``match`` is a case-sensitive glob over the dotted path (fnmatchcase: ``*`` also crosses
dots). The FIRST matching rule wins, so an extending file's rules, which come before its
parent's, override them. Every mistake in a file is one ConfigError naming the file, the
place (YAML line, or rule number and match) and the fix.
"""

from __future__ import annotations

import math
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from sim.errors import ConfigError, yaml_problem, yaml_where

Kind = Literal["exact", "absolute", "relative", "set", "ignore"]
KINDS = ("exact", "absolute", "relative", "set", "ignore")
MEASURED = ("absolute", "relative")
RULE_KEYS = ("match", "kind", "value", "why")
TOP_KEYS = ("name", "description", "extends", "rules")


class Rule(BaseModel):
    """One tolerance: how the observables whose path matches ``match`` are judged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    match: str
    kind: Kind
    value: float | None = None
    why: str = ""

    @field_validator("value", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("value must be a number, not true/false")
        return value

    @model_validator(mode="after")
    def _value_fits_kind(self) -> "Rule":
        if self.kind in MEASURED:
            if self.value is None:
                raise ValueError(f"kind {self.kind} needs a value (the tolerance, >= 0)")
            if not math.isfinite(self.value) or self.value < 0:
                raise ValueError(f"value must be a finite number >= 0, not {self.value}")
        elif self.value is not None:
            raise ValueError(f"kind {self.kind} takes no value; only absolute and relative do")
        return self

    def matches(self, path: str) -> bool:
        return fnmatchcase(path, self.match)

    def to_dict(self) -> dict[str, Any]:
        return {"match": self.match, "kind": self.kind, "value": self.value, "why": self.why}


class RuleSet(BaseModel):
    """An ordered list of rules; the first that matches a path judges it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    source: str | None = None
    rules: list[Rule] = []

    def rule_for(self, path: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.matches(path)), None)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "source": self.source,
                "rules": [rule.to_dict() for rule in self.rules]}


def load_rules(path: str | Path) -> RuleSet:
    """The rule set in a YAML file, with ``extends`` resolved (this file's rules first)."""
    return _load(Path(path), ())


def _load(path: Path, chain: tuple[Path, ...]) -> RuleSet:
    data, lines = _read(path)
    raw_rules = data.get("rules") or []
    own = [_rule(raw, i, len(raw_rules), lines, path) for i, raw in enumerate(raw_rules)]
    parent_rules = _parent_rules(data.get("extends"), path, chain)
    return RuleSet(name=data.get("name") or path.stem, description=data.get("description") or "",
                   source=str(path), rules=own + parent_rules)


def _read(path: Path) -> tuple[dict, list[int]]:
    """The file's mapping and the line of each entry under ``rules`` (for messages)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: rules file not found; check the path (extends is relative to the "
                          f"extending file)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the rules file ({exc}); pass a readable YAML file") from None
    try:
        data, node = yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        where = yaml_where(exc, ", line {line}, column {column}")
        raise ConfigError(f"{path}{where}: not valid YAML ({yaml_problem(exc)}); fix the syntax there") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a rules file must be a YAML mapping with name, description and rules; "
                          f"it holds a {type(data).__name__}")
    _check_top(data, path)
    return data, _rule_lines(node)


def _check_top(data: dict, path: Path) -> None:
    unknown = sorted(str(k) for k in data if k not in TOP_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} at the top level; the keys are "
                          f"{', '.join(TOP_KEYS)}")
    for key in ("name", "description", "extends"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ConfigError(f"{path}: {key!r} must be a string; quote it")
    if data.get("rules") is not None and not isinstance(data["rules"], list):
        raise ConfigError(f"{path}: 'rules' must be a list of rules (each line starting with '- ')")


def _rule_lines(node: Any) -> list[int]:
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _rule(raw: Any, index: int, count: int, lines: list[int], path: Path) -> Rule:
    line = f", line {lines[index]}" if index < len(lines) else ""
    where = f"{path}{line}: rule {index + 1} of {count}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a rule must be a mapping like {{match: 'a.*', kind: exact}}")
    where += f" (match {raw.get('match')!r})"
    problem = _rule_problem(raw)
    if problem:
        raise ConfigError(f"{where}: {problem}")
    try:
        return Rule(**raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(f"{where}: {error['msg']}; fix this rule") from None


def _rule_problem(raw: dict) -> str | None:
    """The first thing wrong with a raw rule, said with its fix (None when it looks right)."""
    unknown = sorted(str(k) for k in raw if k not in RULE_KEYS)
    if unknown:
        return f"unknown key {unknown[0]!r}; a rule has {', '.join(RULE_KEYS)}"
    if not isinstance(raw.get("match"), str) or not raw["match"]:
        return "'match' is missing; give a glob over the dotted path, e.g. match: 'timing.*'"
    if raw.get("kind") not in KINDS:
        return f"kind {raw.get('kind')!r} is not one of {', '.join(KINDS)}"
    value = raw.get("value")
    if raw["kind"] in MEASURED and value is None:
        return f"kind {raw['kind']} needs a value (the tolerance), e.g. value: 0.000001"
    if raw["kind"] not in MEASURED and value is not None:
        return f"kind {raw['kind']} takes no value; remove 'value' (only absolute and relative use one)"
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
                              or not math.isfinite(value)):
        return f"value {value!r} must be a finite number >= 0"
    return None


def _parent_rules(extends: str | None, path: Path, chain: tuple[Path, ...]) -> list[Rule]:
    if extends is None:
        return []
    parent = path.parent / extends
    seen = chain + (path.resolve(),)
    if parent.resolve() in seen:
        loop = " -> ".join(p.name for p in seen[seen.index(parent.resolve()):] + (parent.resolve(),))
        raise ConfigError(f"{path}: 'extends: {extends}' makes a cycle ({loop}); remove one of these extends")
    return _load(parent, seen).rules
