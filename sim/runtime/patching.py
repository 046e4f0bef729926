"""Swapping a function inside a library for an equivalent one, and back (for the tests that
compare both). Used by ``sim.motofast`` and ``sim.runtime.botofast``."""

from __future__ import annotations

from typing import Any

_ABSENT = object()  # the name was inherited, not set on the owner itself


class Patches:
    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any]] = []

    @property
    def active(self) -> bool:
        return bool(self._saved)

    def set(self, owner: Any, name: str, value: Any) -> None:
        self._saved.append((owner, name, vars(owner).get(name, _ABSENT)))
        setattr(owner, name, value)

    def undo(self) -> None:
        while self._saved:
            owner, name, original = self._saved.pop()
            if original is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
