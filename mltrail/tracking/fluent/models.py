"""Fluent LoggedModel functions: create, finalize, search, and the active model of a context.

The active model (``set_active_model``) and the last model created here (``last_logged_model``)
live in ``ContextVar`` s of ``tracking.context``, so each thread and asyncio task has its own.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from mltrail.config import get_settings
from mltrail.entities import LoggedModel, LoggedModelStatus, SourceType
from mltrail.exceptions import ErrorCode, InvalidParameterValue, MlflowException
from mltrail.tracking import context
from mltrail.tracking import tags as tag_names
from mltrail.tracking.client import get_client
from mltrail.tracking.fluent.experiments import get_experiment_id
from mltrail.tracking.fluent.runs import active_run

if TYPE_CHECKING:
    import pandas

__all__ = [
    "ActiveModel",
    "clear_active_model",
    "create_external_model",
    "delete_logged_model",
    "delete_logged_model_tag",
    "finalize_logged_model",
    "get_active_model_id",
    "get_logged_model",
    "initialize_logged_model",
    "last_logged_model",
    "log_model_params",
    "search_logged_models",
    "set_active_model",
    "set_logged_model_tags",
]

logger = logging.getLogger(__name__)

_PAGE_MAX = 1000


class ActiveModel(LoggedModel):
    """The model returned by ``set_active_model``; as a context manager it restores the
    previously active model on exit."""

    __slots__ = ("_previous_model_id",)

    def __init__(self, model: LoggedModel, previous_model_id: str | None) -> None:
        fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
        super().__init__(**fields)
        self._previous_model_id = previous_model_id

    def __enter__(self) -> ActiveModel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> Literal[False]:
        context.set_active_model_id(self._previous_model_id)
        return False


def _source_name() -> str:
    return sys.argv[0] if sys.argv and sys.argv[0] else "<console>"


def _default_tags(tags: dict[str, Any] | None) -> dict[str, str]:
    resolved = {
        tag_names.USER: get_settings().user or "unknown",
        tag_names.SOURCE_NAME: _source_name(),
        tag_names.SOURCE_TYPE: SourceType.LOCAL,
    }
    resolved.update({key: str(value) for key, value in (tags or {}).items()})
    return resolved


def _experiment_for_model(experiment_id: str | None, source_run_id: str | None) -> str:
    if experiment_id is not None:
        return str(experiment_id)
    run = active_run()
    if run is not None:
        return run.info.experiment_id
    chosen = context.active_experiment_id()
    if chosen is None and source_run_id:
        return get_client().get_run(source_run_id).info.experiment_id
    return chosen if chosen is not None else get_experiment_id()


def _create(
    name: str | None,
    source_run_id: str | None,
    tags: dict[str, Any] | None,
    params: dict[str, Any] | None,
    model_type: str | None,
    experiment_id: str | None,
) -> LoggedModel:
    run = active_run()
    if source_run_id is None and run is not None:
        source_run_id = run.info.run_id
    target = _experiment_for_model(experiment_id, source_run_id)
    return get_client().create_logged_model(
        target, name, source_run_id, _default_tags(tags), params, model_type
    )


def initialize_logged_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """Create a LoggedModel in the PENDING state; finalize it when its files are in place.

    It records the user, the source script and, in a git checkout, the commit, branch, remote
    and dirty state as tags (``tags`` override them).

    Args:
        name: Display name; a random one if None.
        source_run_id: The run that produced it; the active run, if any, when None.
        tags: Model tags; values are converted with ``str``.
        params: Model params; values are converted with ``str``.
        model_type: Free-form type such as ``"agent"`` or ``"classifier"``.
        experiment_id: Its experiment; the active run's, else the active experiment.
    """
    model = _create(name, source_run_id, tags, params, model_type, experiment_id)
    context.set_last_logged_model_id(model.model_id)
    return model


def create_external_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """Create a LoggedModel whose code and files live outside the tracking server.

    It is tagged ``mlflow.model.isExternal=true`` and is READY at once, since there are no
    files to upload. Arguments are those of ``initialize_logged_model``.
    """
    all_tags = dict(tags or {})
    all_tags[tag_names.MODEL_IS_EXTERNAL] = "true"
    created = _create(name, source_run_id, all_tags, params, model_type, experiment_id)
    model = get_client().finalize_logged_model(created.model_id, LoggedModelStatus.READY)
    context.set_last_logged_model_id(model.model_id)
    return model


def finalize_logged_model(model_id: str, status: str) -> LoggedModel:
    """Set a model's final status (``"READY"`` or ``"FAILED"``) and return the model."""
    return get_client().finalize_logged_model(model_id, status)


def get_logged_model(model_id: str) -> LoggedModel:
    """Return a LoggedModel with its tags, params and metrics.

    Raises:
        MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if there is none.
    """
    return get_client().get_logged_model(model_id)


def delete_logged_model(model_id: str) -> None:
    """Delete a model; it disappears from reads and searches."""
    get_client().delete_logged_model(model_id)


def set_logged_model_tags(model_id: str, tags: dict[str, Any]) -> None:
    """Set (or overwrite) tags on a model; values are converted with ``str``."""
    get_client().set_logged_model_tags(model_id, tags)


def delete_logged_model_tag(model_id: str, key: str) -> None:
    """Delete one tag of a model."""
    get_client().delete_logged_model_tag(model_id, key)


def log_model_params(params: dict[str, Any], model_id: str | None = None) -> None:
    """Log params on a model (the active model if ``model_id`` is None).

    Raises:
        MlflowException: No ``model_id`` and no active model; or a param already has another
            value.
    """
    target = model_id or context.active_model_id()
    if target is None:
        raise InvalidParameterValue(
            "log_model_params needs a model_id, or an active model set with "
            "mltrail.set_active_model()."
        )
    get_client().log_model_params(target, params)


def search_logged_models(
    experiment_ids: list[str] | None = None,
    filter_string: str | None = None,
    datasets: list[dict[str, Any]] | None = None,
    max_results: int | None = None,
    order_by: list[dict[str, Any]] | None = None,
    output_format: Literal["pandas", "list"] = "pandas",
) -> list[LoggedModel] | pandas.DataFrame:
    """Return the models matching a filter, across pages, as a DataFrame or a list.

    Args:
        experiment_ids: Experiments to search; the active experiment if None.
        filter_string: E.g. ``"metrics.accuracy > 0.9 AND name LIKE 'clf%'"``.
        datasets: ``[{"dataset_name": ..., "dataset_digest": ...}]`` to restrict metrics to.
        max_results: Most models to return; all if None.
        order_by: ``[{"field_name": "metrics.accuracy", "ascending": False}]``.
        output_format: ``"pandas"``: a DataFrame with one row per model and the columns of
            MLflow's (``model_id``, ``name``, ``status``, ``tags``, ``params``, ``metrics``...;
            a list when pandas is not installed); ``"list"``: a list of ``LoggedModel``.

    Raises:
        MlflowException: An unknown ``output_format`` or a malformed filter.
    """
    if output_format not in ("pandas", "list"):
        raise MlflowException(
            f"Unsupported output format: {output_format!r}. Supported string values are "
            "'pandas' or 'list'",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    ids = experiment_ids or [get_experiment_id()]
    client = get_client()
    found: list[LoggedModel] = []
    token: str | None = None
    while max_results is None or len(found) < max_results:
        size = None if max_results is None else min(_PAGE_MAX, max_results - len(found))
        page = client.search_logged_models(ids, filter_string, datasets, size, order_by, token)
        found.extend(page)
        token = page.token
        if not token or not page:
            break
    if output_format == "list":
        return found
    try:
        from mltrail.tracking import _model_frames  # imports pandas
    except ModuleNotFoundError as exc:
        if exc.name != "pandas":
            raise
        logger.info("pandas is not installed; search_logged_models returns a list of models.")
        return found
    return _model_frames.logged_models_to_dataframe(found)


def last_logged_model() -> LoggedModel | None:
    """Return the model most recently created through the fluent API here, as stored now."""
    model_id = context.last_logged_model_id()
    return get_client().get_logged_model(model_id) if model_id else None


def _filter_literal(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def set_active_model(*, name: str | None = None, model_id: str | None = None) -> ActiveModel:
    """Make a LoggedModel the active model of this thread or task.

    Metrics logged with ``mltrail.log_metric``/``log_metrics`` and no ``model_id`` are then
    recorded for it. Use the result in a ``with`` block to restore the previous active model
    afterwards.

    Args:
        name: The latest model of this name in the active experiment; an external model of
            this name is created if there is none.
        model_id: An existing model's id.

    Raises:
        MlflowException: Neither argument given, the model does not exist, or its name is not
            ``name``.
    """
    if name is None and model_id is None:
        raise InvalidParameterValue("Either name or model_id must be provided")
    client = get_client()
    if model_id is not None:
        model = client.get_logged_model(model_id)
        if name is not None and model.name != name:
            raise InvalidParameterValue(
                f"LoggedModel with model_id {model_id!r} has name {model.name!r}, which does "
                f"not match the provided name {name!r}."
            )
    else:
        assert name is not None
        matches = client.search_logged_models(
            [get_experiment_id()],
            f"name = {_filter_literal(name)}",
            max_results=2,
            order_by=[{"field_name": "creation_timestamp", "ascending": False}],
        )
        if len(matches) > 1:
            logger.warning(
                "Multiple LoggedModels found with name %r, setting the latest one as active model.",
                name,
            )
        if matches:
            model = matches[0]
        else:
            logger.info("LoggedModel with name %r does not exist, creating one...", name)
            model = create_external_model(name=name)
    active = ActiveModel(model, context.active_model_id())
    context.set_active_model_id(active.model_id)
    return active


def get_active_model_id() -> str | None:
    """Return the id of this thread's or task's active model, or None."""
    return context.active_model_id()


def clear_active_model() -> None:
    """Clear the active model of this thread or task."""
    context.set_active_model_id(None)
