"""Run parameters: immutable key/value strings."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Param"]


@dataclass(frozen=True, slots=True)
class Param:
    """A run parameter. Once logged, its value never changes."""

    key: str
    value: str
