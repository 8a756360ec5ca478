"""Model registry data: registered models, their versions, tags, aliases and audit events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from mltrail.entities.metric import Metric
from mltrail.exceptions import InvalidParameterValue

__all__ = [
    "AuditEvent",
    "ModelVersion",
    "ModelVersionStage",
    "ModelVersionStatus",
    "ModelVersionTag",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
]


class ModelVersionStatus:
    """Where a version's registration stands (MLflow's ``ModelVersionStatus``)."""

    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"
    ALL: ClassVar[tuple[str, ...]] = (PENDING_REGISTRATION, FAILED_REGISTRATION, READY)


class ModelVersionStage:
    """The legacy deployment stages (deprecated by MLflow in favour of aliases, still served)."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"
    ALL: ClassVar[tuple[str, ...]] = (NONE, STAGING, PRODUCTION, ARCHIVED)
    ACTIVE: ClassVar[tuple[str, ...]] = (STAGING, PRODUCTION)

    @classmethod
    def canonical(cls, stage: str) -> str:
        """Return the stage's canonical spelling (stages are matched case-insensitively).

        Raises:
            InvalidParameterValue: ``stage`` is not one of None, Staging, Production, Archived.
        """
        for known in cls.ALL:
            if str(stage).lower() == known.lower():
                return known
        raise InvalidParameterValue(
            f"Invalid Model Version stage: {stage}. Value must be one of {', '.join(cls.ALL)}."
        )


@dataclass(slots=True)
class RegisteredModelTag:
    """A key/value tag of a registered model."""

    key: str
    value: str


@dataclass(slots=True)
class ModelVersionTag:
    """A key/value tag of a model version."""

    key: str
    value: str


@dataclass(slots=True)
class RegisteredModelAlias:
    """A named pointer (``@champion``) from a registered model to one of its versions."""

    alias: str
    version: str


@dataclass(slots=True)
class ModelVersion:
    """One numbered version of a registered model.

    Args:
        name: The registered model's name.
        version: The version number, as a string (``"3"``).
        creation_timestamp: Milliseconds since the epoch.
        last_updated_timestamp: Milliseconds since the epoch.
        description: Free text.
        user_id: Who created it.
        current_stage: Legacy stage: None, Staging, Production or Archived.
        source: URI the version was registered from (``runs:/...``, ``models:/m-...``).
        run_id: The run that produced it, if known.
        status: READY, PENDING_REGISTRATION or FAILED_REGISTRATION.
        status_message: Why registration failed, for example.
        tags: Tag key to value.
        run_link: A link to the run in another system.
        aliases: The aliases pointing at this version.
        model_id: The LoggedModel it was registered from, if any.
        params: Accepted for MLflow's argument order (its LoggedModel's params); unused.
        metrics: Accepted for MLflow's argument order (its LoggedModel's metrics); unused.
        deployment_job_state: Accepted for MLflow's argument order; unused.
        storage_location: Resolved artifact location, when the source names a LoggedModel.
    """

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int | None = None
    description: str | None = None
    user_id: str | None = None
    current_stage: str = ModelVersionStage.NONE
    source: str | None = None
    run_id: str | None = None
    status: str = ModelVersionStatus.READY
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_link: str | None = None
    aliases: list[str] = field(default_factory=list)
    model_id: str | None = None
    params: list[Any] | None = None
    metrics: list[Metric] | None = None
    deployment_job_state: Any = None
    storage_location: str | None = None


@dataclass(slots=True)
class RegisteredModel:
    """A named model in the registry, with its latest version per stage.

    Args:
        name: Unique name.
        creation_timestamp: Milliseconds since the epoch.
        last_updated_timestamp: Milliseconds since the epoch.
        description: Free text.
        latest_versions: The newest version in each stage.
        tags: Tag key to value.
        aliases: Alias to version number.
        deployment_job_id: The deployment job that runs for new versions, if any.
        deployment_job_state: Accepted for MLflow's argument order; unused.
        user_id: Who created it.
    """

    name: str
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    description: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    deployment_job_id: str | None = None
    deployment_job_state: Any = None
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One immutable record of a registry change: who did what, when, and to which values.

    Args:
        event_id: Increasing id (the order events were written in).
        timestamp: Milliseconds since the epoch.
        user_id: Who made the change (``None`` when anonymous).
        action: What happened, e.g. ``create_model_version`` or ``set_alias``.
        model_name: The registered model it concerns.
        version: The model version it concerns, if any.
        key: The tag key or alias name it concerns, if any.
        old_value: The value before the change, if any.
        new_value: The value after the change, if any.
        request_id: The id of the request that made it, if known.
    """

    event_id: int
    timestamp: int
    user_id: str | None
    action: str
    model_name: str
    version: str | None = None
    key: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    request_id: str | None = None
