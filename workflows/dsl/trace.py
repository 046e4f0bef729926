"""The decision trace of one evaluation: every ``if`` and every ``filter``.

Entries are pydantic models in evaluation order, so ``model_dump(mode="json")``
gives plain JSON. The real worker records a ``decision_path`` of ``if`` nodes
(condition, result, branch, values); we add the values actually read and a
record per ``filter`` (candidate scores and survivors) for parity debugging.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True)


class IndicatorRead(_Entry):
    """One indicator value read while evaluating a condition."""

    indicator: str  # DSL name, e.g. "rsi"
    symbol: str
    window: int | None  # None for current-price
    value: float


class IfDecision(_Entry):
    kind: Literal["if"] = "if"
    file: str
    line: int
    column: int
    condition: str  # the condition's source text
    reads: list[IndicatorRead]
    result: bool
    branch: Literal["then", "else"]


class FilterCandidate(_Entry):
    """A ticker (asset mode) or a fragment (portfolio mode) and its score.

    ``score`` is None when scoring failed and the candidate was dropped.
    """

    id: str  # ticker, or group name / "#i" for an unnamed fragment
    symbols: list[str]
    score: float | None


class FilterDecision(_Entry):
    kind: Literal["filter"] = "filter"
    file: str
    line: int
    column: int
    condition: str
    mode: Literal["asset", "portfolio"]
    order: Literal["top", "bottom"]
    limit: int | None
    candidates: list[FilterCandidate]  # DSL order
    survivors: list[str]  # ids, in ranked order


TraceEntry = IfDecision | FilterDecision


def trace_to_json(entries: list[TraceEntry]) -> list[dict]:
    return [entry.model_dump(mode="json") for entry in entries]
