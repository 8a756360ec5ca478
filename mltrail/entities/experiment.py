"""Experiments: named groups of runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from mltrail.entities.enums import LifecycleStage

__all__ = ["Experiment"]


@dataclass(slots=True)
class Experiment:
    """An experiment.

    Args:
        experiment_id: String of an integer; ``"0"`` is the Default experiment.
        name: Unique name.
        artifact_location: Root URI under which its runs store artifacts.
        lifecycle_stage: ``active`` or ``deleted``.
        tags: Tag key to value.
        creation_time: Milliseconds since the epoch.
        last_update_time: Milliseconds since the epoch.
    """

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None

    DEFAULT_EXPERIMENT_NAME = "Default"
