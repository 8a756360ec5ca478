"""Fluent experiment functions: set_experiment, search_experiments, the default experiment."""

from __future__ import annotations

import logging
from typing import Any

from mltrail.config import get_settings
from mltrail.entities import Experiment, LifecycleStage, ViewType
from mltrail.exceptions import (
    ErrorCode,
    MlflowException,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
)
from mltrail.tracking import context
from mltrail.tracking.client import SEARCH_MAX_RESULTS_DEFAULT, get_client

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "create_experiment",
    "delete_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "get_experiment_id",
    "search_experiments",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
]

logger = logging.getLogger(__name__)

DEFAULT_EXPERIMENT_ID = "0"


def _by_name_or_create(name: str) -> Experiment:
    client = get_client()
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment
    logger.info("Experiment with name '%s' does not exist. Creating a new experiment.", name)
    try:
        return client.get_experiment(client.create_experiment(name))
    except ResourceAlreadyExists:
        # Another process created it between our lookup and create; use theirs.
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment the active one; new runs go to it.

    Args:
        experiment_name: Name of the experiment; it is created if it does not exist.
        experiment_id: Id of an existing experiment. Give exactly one of the two.

    Returns:
        The experiment.

    Raises:
        MlflowException: Both or neither argument given, the id does not exist, or the
            experiment is deleted.
    """
    if (experiment_name is None) == (experiment_id is None):
        raise MlflowException(
            "Must specify exactly one of: `experiment_id` or `experiment_name`.",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    if experiment_id is not None:
        try:
            experiment = get_client().get_experiment(str(experiment_id))
        except ResourceDoesNotExist:
            raise ResourceDoesNotExist(
                f"Experiment with ID '{experiment_id}' does not exist."
            ) from None
        label = f"with ID '{experiment_id}'"
    else:
        assert experiment_name is not None
        experiment = _by_name_or_create(experiment_name)
        label = f"'{experiment_name}'"
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise MlflowException(
            f"Cannot set a deleted experiment {label} as the active experiment. You can restore "
            "the experiment, or permanently delete the experiment to create a new one.",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    context.set_active_experiment_id(experiment.experiment_id)
    return experiment


def _experiment_id_from_settings() -> str | None:
    settings = get_settings()
    if settings.experiment_name:
        experiment = _by_name_or_create(settings.experiment_name)
        if settings.experiment_id and settings.experiment_id != experiment.experiment_id:
            raise MlflowException(
                f"The experiment id `{settings.experiment_id}` given by MLTRAIL_EXPERIMENT_ID "
                f"does not match the id `{experiment.experiment_id}` of experiment "
                f"`{settings.experiment_name}` given by MLTRAIL_EXPERIMENT_NAME. Set only one.",
                ErrorCode.INVALID_PARAMETER_VALUE,
            )
        return experiment.experiment_id
    if settings.experiment_id:
        try:
            return get_client().get_experiment(settings.experiment_id).experiment_id
        except ResourceDoesNotExist:
            raise MlflowException(
                f"The experiment id `{settings.experiment_id}` given by MLTRAIL_EXPERIMENT_ID "
                "does not exist in the tracking store. Provide a valid experiment id.",
                ErrorCode.INVALID_PARAMETER_VALUE,
            ) from None
    return None


def get_experiment_id() -> str:
    """Return the experiment new runs go to.

    It is the one chosen by ``set_experiment``, else ``MLTRAIL_EXPERIMENT_NAME`` (created if
    missing), else ``MLTRAIL_EXPERIMENT_ID``, else the Default experiment ``"0"``.
    """
    active = context.active_experiment_id()
    if active is not None:
        return active
    return _experiment_id_from_settings() or DEFAULT_EXPERIMENT_ID


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
) -> str:
    """Create an experiment and return its id.

    Raises:
        MlflowException: ``RESOURCE_ALREADY_EXISTS`` if the name is taken.
    """
    return get_client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """Return an experiment by id.

    Raises:
        MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if there is none.
    """
    return get_client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """Return the experiment with this name, or None."""
    return get_client().get_experiment_by_name(name)


def delete_experiment(experiment_id: str) -> None:
    """Soft-delete an experiment."""
    get_client().delete_experiment(experiment_id)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """Return every experiment matching a filter (up to ``max_results``), across pages.

    Args:
        view_type: ``ViewType.ACTIVE_ONLY``, ``DELETED_ONLY`` or ``ALL``.
        max_results: Most experiments to return; all if None.
        filter_string: E.g. ``"name LIKE 'exp%'"``.
        order_by: E.g. ``["name ASC"]``.
    """
    client = get_client()
    found: list[Experiment] = []
    token: str | None = None
    while max_results is None or len(found) < max_results:
        size = SEARCH_MAX_RESULTS_DEFAULT
        if max_results is not None:
            size = min(size, max_results - len(found))
        page = client.search_experiments(view_type, size, filter_string, order_by, token)
        found.extend(page)
        token = page.token
        if not token or not page:
            break
    return found


def set_experiment_tag(key: str, value: Any) -> None:
    """Set a tag on the active experiment."""
    get_client().set_experiment_tag(get_experiment_id(), key, value)


def set_experiment_tags(tags: dict[str, Any]) -> None:
    """Set several tags on the active experiment."""
    client = get_client()
    experiment_id = get_experiment_id()
    for key, value in tags.items():
        client.set_experiment_tag(experiment_id, key, value)
