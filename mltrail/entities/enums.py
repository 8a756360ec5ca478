"""Lifecycle stages, run statuses and view types with MLflow's names and values."""

from __future__ import annotations

from typing import ClassVar

from mltrail.exceptions import InvalidParameterValue

__all__ = ["LifecycleStage", "RunStatus", "SourceType", "ViewType"]


class LifecycleStage:
    """Whether an experiment or run is active or soft-deleted."""

    ACTIVE = "active"
    DELETED = "deleted"
    _VALID: ClassVar[frozenset[str]] = frozenset({ACTIVE, DELETED})

    @classmethod
    def is_valid(cls, stage: str) -> bool:
        """Return True if ``stage`` is a known lifecycle stage."""
        return stage in cls._VALID

    @classmethod
    def matching_view_type(cls, view_type: int) -> list[str]:
        """Return the lifecycle stages that a view type selects."""
        if view_type == ViewType.ACTIVE_ONLY:
            return [cls.ACTIVE]
        if view_type == ViewType.DELETED_ONLY:
            return [cls.DELETED]
        if view_type == ViewType.ALL:
            return [cls.ACTIVE, cls.DELETED]
        raise InvalidParameterValue(
            f"Invalid view type {view_type!r}; use ViewType.ACTIVE_ONLY (1), DELETED_ONLY (2) "
            "or ALL (3)."
        )


class ViewType:
    """Which lifecycle stages a search returns."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3
    _BY_NAME: ClassVar[dict[str, int]] = {
        "ACTIVE_ONLY": 1,
        "DELETED_ONLY": 2,
        "ALL": 3,
    }

    @classmethod
    def from_string(cls, name: str) -> int:
        """Parse ``ACTIVE_ONLY``, ``DELETED_ONLY`` or ``ALL`` (case-insensitive)."""
        try:
            return cls._BY_NAME[name.upper()]
        except KeyError:
            raise InvalidParameterValue(
                f"Invalid view type {name!r}; use one of ACTIVE_ONLY, DELETED_ONLY, ALL."
            ) from None

    @classmethod
    def to_string(cls, view_type: int) -> str:
        """Return the name of a view type."""
        for name, value in cls._BY_NAME.items():
            if value == view_type:
                return name
        raise InvalidParameterValue(f"Invalid view type {view_type!r}; use 1, 2 or 3.")

    @classmethod
    def coerce(cls, view_type: int | str | None) -> int:
        """Accept a view type as int or name; ``None`` means ACTIVE_ONLY."""
        if view_type is None:
            return cls.ACTIVE_ONLY
        if isinstance(view_type, str):
            return cls.from_string(view_type)
        if view_type not in (1, 2, 3):
            raise InvalidParameterValue(f"Invalid view type {view_type!r}; use 1, 2 or 3.")
        return int(view_type)


class RunStatus:
    """Run status names (strings on the wire, as MLflow sends them)."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    _ALL: ClassVar[tuple[str, ...]] = (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)
    _NUMBERS: ClassVar[dict[str, int]] = {
        "RUNNING": 1,
        "SCHEDULED": 2,
        "FINISHED": 3,
        "FAILED": 4,
        "KILLED": 5,
    }

    @classmethod
    def from_string(cls, status: str) -> str:
        """Validate and normalise a status name."""
        upper = status.upper() if isinstance(status, str) else status
        if upper not in cls._ALL:
            raise InvalidParameterValue(
                f"Invalid run status {status!r}; use one of {', '.join(cls._ALL)}."
            )
        return str(upper)

    @classmethod
    def to_string(cls, status: str | int) -> str:
        """Return the name of a status given as name or MLflow's proto number."""
        if isinstance(status, int):
            for name, number in cls._NUMBERS.items():
                if number == status:
                    return name
            raise InvalidParameterValue(f"Invalid run status number {status!r}; use 1 to 5.")
        return cls.from_string(status)

    @classmethod
    def is_terminated(cls, status: str) -> bool:
        """Return True for FINISHED, FAILED and KILLED."""
        return status in (cls.FINISHED, cls.FAILED, cls.KILLED)

    @classmethod
    def all_status(cls) -> list[str]:
        """Return every status name."""
        return list(cls._ALL)


class SourceType:
    """Where a run's code came from (``mlflow.source.type`` tag values)."""

    NOTEBOOK = "NOTEBOOK"
    JOB = "JOB"
    PROJECT = "PROJECT"
    LOCAL = "LOCAL"
    UNKNOWN = "UNKNOWN"
    RECIPE = "RECIPE"
