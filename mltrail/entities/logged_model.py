"""LoggedModel: a model as a first-class entity, linking code, params, metrics and runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from mltrail.entities.metric import Metric
from mltrail.exceptions import InvalidParameterValue

__all__ = ["LoggedModel", "LoggedModelStatus"]


class LoggedModelStatus:
    """A LoggedModel's status: PENDING while its files upload, then READY or FAILED."""

    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"
    _WIRE: ClassVar[dict[str, str]] = {
        "PENDING": "LOGGED_MODEL_PENDING",
        "READY": "LOGGED_MODEL_READY",
        "FAILED": "LOGGED_MODEL_UPLOAD_FAILED",
    }

    @classmethod
    def coerce(cls, status: str) -> str:
        """Accept ``READY`` or MLflow's wire name ``LOGGED_MODEL_READY`` (any case)."""
        upper = str(status).upper()
        for name, wire in cls._WIRE.items():
            if upper in (name, wire):
                return name
        if upper == "UPLOAD_FAILED":
            return cls.FAILED
        raise InvalidParameterValue(
            f"Invalid LoggedModel status {status!r}; use PENDING, READY or FAILED."
        )

    @classmethod
    def to_wire(cls, status: str) -> str:
        """MLflow's wire name of a status."""
        return cls._WIRE[status]


@dataclass(slots=True)
class LoggedModel:
    """A model logged by code, with its metadata.

    Args:
        experiment_id: The experiment that owns it.
        model_id: ``m-`` followed by 32 hex characters.
        name: Display name (not unique).
        artifact_location: Root URI of its files.
        creation_timestamp: Milliseconds since the epoch.
        last_updated_timestamp: Milliseconds since the epoch.
        model_type: Free-form type such as ``agent`` or ``classifier``.
        source_run_id: The run that logged it, if any.
        status: PENDING, READY or FAILED.
        status_message: Why it failed, for example.
        tags: Tag key to value.
        params: Param key to value.
        metrics: Metric points logged for it (with run id, dataset and step).
    """

    experiment_id: str
    model_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    model_type: str | None = None
    source_run_id: str | None = None
    status: str = LoggedModelStatus.PENDING
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)

    @property
    def model_uri(self) -> str:
        """``models:/<model_id>``, the URI that loads it."""
        return f"models:/{self.model_id}"
