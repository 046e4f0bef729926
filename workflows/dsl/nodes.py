"""Syntax tree of a strategy file.

Three node kinds, as in the real parser (``sexpr_parser.py``): atoms (strings
and ``Decimal`` numbers), symbols (bare words, including keywords such as
``:window`` and ``nil``), and lists. ``(...)``, ``[...]`` and ``{...}`` are all
list nodes; ``kind`` remembers the bracket so maps evaluate to dicts and error
messages can quote the source faithfully. Every node carries its 1-based
(line, column).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

ListKind = Literal["list", "vector", "map"]

_OPENERS = {"list": ("(", ")"), "vector": ("[", "]"), "map": ("{", "}")}


@dataclass(frozen=True, slots=True)
class Atom:
    """A string or number literal (numbers are always ``Decimal``)."""

    value: str | Decimal
    line: int = 0
    column: int = 0


@dataclass(frozen=True, slots=True)
class Symbol:
    """A bare word. Keywords keep their leading ``:`` (``:window``)."""

    name: str
    line: int = 0
    column: int = 0

    @property
    def is_keyword(self) -> bool:
        return self.name.startswith(":")


@dataclass(frozen=True, slots=True)
class ListNode:
    """``(...)``, ``[...]`` or ``{...}``."""

    children: tuple[Node, ...]
    kind: ListKind = "list"
    line: int = 0
    column: int = 0

    @property
    def head(self) -> str | None:
        """Operator name when the first child is a symbol (what dispatch uses)."""
        if self.children and isinstance(self.children[0], Symbol):
            return self.children[0].name
        return None


Node = Atom | Symbol | ListNode


def to_source(node: Node, limit: int = 160) -> str:
    """Render a node back to one line of DSL text (for traces and messages)."""
    text = _render(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render(node: Node) -> str:
    if isinstance(node, Atom):
        if isinstance(node.value, str):
            escaped = node.value.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{escaped}"'
        return str(node.value)
    if isinstance(node, Symbol):
        return node.name
    left, right = _OPENERS[node.kind]
    return left + " ".join(_render(c) for c in node.children) + right


def walk(node: Node):
    """Yield every node of a tree, parents before children, in file order.

    Iterative so that trees at the 300-deep limit never hit Python's
    recursion limit.
    """
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, ListNode):
            stack.extend(reversed(current.children))
