"""Fluent logging functions: params, metrics, tags and dataset inputs of the active run."""

from __future__ import annotations

import threading
from typing import Any, Protocol, runtime_checkable

from mltrail.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LoggedModelInput,
    Metric,
    Param,
    RunTag,
)
from mltrail.tracking import batching, context
from mltrail.tracking.batching import RunOperations
from mltrail.tracking.client import MlflowClient, build_metric, get_client, now_ms
from mltrail.tracking.fluent.runs import get_active_run_id

__all__ = [
    "delete_tag",
    "flush",
    "flush_async_logging",
    "log_input",
    "log_inputs",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_tag",
    "set_tags",
]

CONTEXT_TAG = "mlflow.data.context"
_MAX_LINKS_REMEMBERED = 10_000

# (tracking URI, run id, "model"/"dataset", id) already recorded as inputs of a run here, so
# that a metric's model and dataset are linked to its run once, not on every call.
_linked: set[tuple[str, str, str, str]] = set()
_linked_lock = threading.Lock()


@runtime_checkable
class DatasetLike(Protocol):
    """A dataset object that converts itself to the tracking entity (``mltrail.data.Dataset``)."""

    def to_entity(self) -> Dataset:
        """Return the ``Dataset`` entity to store."""
        ...


def _dataset_entity(dataset: Dataset | DatasetLike) -> Dataset:
    return dataset if isinstance(dataset, Dataset) else dataset.to_entity()


def _dataset_ids(dataset: Dataset | DatasetLike | None) -> tuple[str | None, str | None]:
    if dataset is None:
        return None, None
    entity = _dataset_entity(dataset)
    return entity.name, entity.digest


def _link_inputs(
    client: MlflowClient,
    run_id: str,
    model_id: str | None,
    dataset: Dataset | DatasetLike | None,
) -> None:
    """Record a metric's model and dataset as inputs of its run (once per process), as MLflow
    does, so that the run shows which models and datasets its metrics were computed for."""
    uri = client.tracking_uri
    wanted: list[tuple[str, str, str, str]] = []
    if model_id is not None:
        wanted.append((uri, run_id, "model", model_id))
    entity = _dataset_entity(dataset) if dataset is not None else None
    if entity is not None:
        wanted.append((uri, run_id, "dataset", f"{entity.name}\0{entity.digest}"))
    new = [key for key in wanted if key not in _linked]
    if not new:
        return
    kinds = {key[2] for key in new}
    client.log_inputs(
        run_id,
        [DatasetInput(entity, [])] if entity is not None and "dataset" in kinds else None,
        [LoggedModelInput(model_id)] if model_id is not None and "model" in kinds else None,
    )
    with _linked_lock:
        if len(_linked) > _MAX_LINKS_REMEMBERED:
            _linked.clear()
        _linked.update(new)


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Log a param of the active run (starting one if none is active).

    Args:
        key: Param name.
        value: Value, converted with ``str``; params cannot change once logged.
        synchronous: False queues the call; None follows ``MLTRAIL_ASYNC_LOGGING``.

    Returns:
        ``value`` when written synchronously, else a ``RunOperations``.
    """
    return get_client().log_param(get_active_run_id(), key, value, synchronous)


def log_params(
    params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> RunOperations | None:
    """Log several params in one call.

    Args:
        params: Name to value; values are converted with ``str``.
        synchronous: False queues the call; None follows ``MLTRAIL_ASYNC_LOGGING``.
        run_id: Run to log to; the active run if None.
    """
    batch = [Param(key, str(value)) for key, value in params.items()]
    return get_client().log_batch(
        run_id or get_active_run_id(), params=batch, synchronous=synchronous
    )


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Dataset | DatasetLike | None = None,
) -> RunOperations | None:
    """Log a metric point to the active run (starting one if none is active).

    Args:
        key: Metric name.
        value: A number; NaN and +/-Inf are kept.
        step: Training step; 0 if None.
        synchronous: False queues the call; None follows ``MLTRAIL_ASYNC_LOGGING``.
        timestamp: Milliseconds since the epoch; now if None.
        run_id: Run to log to; the active run if None.
        model_id: LoggedModel the value belongs to; the active model (``set_active_model``)
            if None.
        dataset: Dataset the value was computed on.

    The model and the dataset are recorded as inputs of the run too.

    Raises:
        MlflowException: ``value`` is not a number.
    """
    name, digest = _dataset_ids(dataset)
    client = get_client()
    target = run_id or get_active_run_id()
    model_id = model_id or context.active_model_id()
    result = client.log_metric(
        target, key, value, timestamp, step, synchronous, name, digest, model_id
    )
    _link_inputs(client, target, model_id, dataset)
    return result


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    model_id: str | None = None,
    dataset: Dataset | DatasetLike | None = None,
) -> RunOperations | None:
    """Log several metrics at one step and timestamp, in one call.

    Args:
        metrics: Name to value.
        step: Training step; 0 if None.
        synchronous: False queues the call; None follows ``MLTRAIL_ASYNC_LOGGING``.
        run_id: Run to log to; the active run if None.
        timestamp: Milliseconds since the epoch; now if None.
        model_id: LoggedModel the values belong to; the active model (``set_active_model``)
            if None.
        dataset: Dataset the values were computed on.

    The model and the dataset are recorded as inputs of the run too.

    Raises:
        MlflowException: A value is not a number.
    """
    ts = int(timestamp) if timestamp is not None else now_ms()
    name, digest = _dataset_ids(dataset)
    model_id = model_id or context.active_model_id()
    batch: list[Metric] = [
        build_metric(key, value, ts, step, name, digest, model_id) for key, value in metrics.items()
    ]
    client = get_client()
    target = run_id or get_active_run_id()
    result = client.log_batch(target, metrics=batch, synchronous=synchronous)
    if batch:
        _link_inputs(client, target, model_id, dataset)
    return result


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> RunOperations | None:
    """Set a tag on the active run (starting one if none is active); ``value`` becomes a str."""
    return get_client().set_tag(get_active_run_id(), key, value, synchronous)


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> RunOperations | None:
    """Set several tags on the active run in one call."""
    batch = [RunTag(key, str(value)) for key, value in tags.items()]
    return get_client().log_batch(get_active_run_id(), tags=batch, synchronous=synchronous)


def delete_tag(key: str) -> None:
    """Delete a tag of the active run.

    Raises:
        MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if the run has no such tag.
    """
    get_client().delete_tag(get_active_run_id(), key)


def _dataset_input(
    dataset: Dataset | DatasetLike, context: str | None, tags: dict[str, str] | None
) -> DatasetInput:
    input_tags = [InputTag(key, str(value)) for key, value in (tags or {}).items()]
    if context:
        input_tags.append(InputTag(CONTEXT_TAG, context))
    return DatasetInput(_dataset_entity(dataset), input_tags)


def log_input(
    dataset: Dataset | DatasetLike | None = None,
    context: str | None = None,
    tags: dict[str, str] | None = None,
    model: LoggedModelInput | None = None,
) -> None:
    """Record a dataset (and/or a model) used by the active run.

    Args:
        dataset: A ``mltrail.data`` dataset (``from_pandas``, ``from_numpy``...) or a
            ``Dataset`` entity.
        context: How it was used, e.g. ``"training"`` (the ``mlflow.data.context`` tag).
        tags: Further tags of the input.
        model: A LoggedModel used as input.
    """
    datasets = [_dataset_input(dataset, context, tags)] if dataset is not None else None
    models = [model] if model is not None else None
    get_client().log_inputs(get_active_run_id(), datasets, models)


def log_inputs(
    datasets: list[Dataset | DatasetLike | None] | None = None,
    contexts: list[str | None] | None = None,
    tags_list: list[dict[str, str] | None] | None = None,
    models: list[LoggedModelInput | None] | None = None,
) -> None:
    """Record several datasets and models used by the active run, in one call.

    Args:
        datasets: Datasets; ``contexts[i]`` and ``tags_list[i]`` go with ``datasets[i]``.
        contexts: Context of each dataset.
        tags_list: Tags of each dataset.
        models: LoggedModels used as input.
    """
    items = datasets or []
    contexts = contexts or [None] * len(items)
    tags_list = tags_list or [None] * len(items)
    inputs = [
        _dataset_input(dataset, ctx, tags)
        for dataset, ctx, tags in zip(items, contexts, tags_list, strict=True)
        if dataset is not None
    ]
    used = [model for model in models or [] if model is not None]
    get_client().log_inputs(get_active_run_id(), inputs or None, used or None)


def flush(run_id: str | None = None) -> None:
    """Write every queued asynchronous log call now.

    Args:
        run_id: Raise only errors of this run; every run's if None.

    Raises:
        MlflowException: A queued call failed; the first error is raised (it is not dropped).
    """
    batching.flush(run_id)


def flush_async_logging() -> None:
    """Write every queued asynchronous log call now (MLflow's name for ``flush``).

    Raises:
        MlflowException: A queued call failed.
    """
    batching.flush()
