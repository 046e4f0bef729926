"""What an expression can see while a state runs: the Context object, the
variables in scope, and the seeded random stream (States.UUID, $uuid, $random)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping


class Variables(Mapping[str, Any]):
    """Variables visible to a state: its own scope over its parents' (Map iterations
    and Parallel branches read the outer scope; what they assign stays inside)."""

    __slots__ = ("values", "parent")

    def __init__(self, parent: "Variables | None" = None, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = values if values is not None else {}
        self.parent = parent

    def __getitem__(self, name: str) -> Any:
        scope: Variables | None = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            scope = scope.parent
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        scope: Variables | None = self
        while scope is not None:
            for k in scope.values:
                seen.setdefault(k, None)
            scope = scope.parent
        return iter(seen)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def child(self, values: dict[str, Any] | None = None) -> "Variables":
        return Variables(self, dict(values or {}))

    def assign(self, values: dict[str, Any]) -> None:
        self.values.update(values)


@dataclass
class Env:
    context: dict[str, Any]
    variables: Variables = field(default_factory=Variables)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
