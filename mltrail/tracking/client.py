"""MlflowClient: MLflow's lower-level tracking API, a thin layer over the URI's backend.

The client fills in argument defaults (timestamps, steps, string conversion), picks the backend
for its tracking URI and routes ``synchronous=False`` calls to the batcher. Rules live in the
service; this module holds none.
"""

from __future__ import annotations

import numbers
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mltrail.config import get_settings
from mltrail.entities import (
    DatasetInput,
    Experiment,
    FileInfo,
    LoggedModel,
    LoggedModelInput,
    LoggedModelStatus,
    Metric,
    PagedList,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from mltrail.exceptions import InvalidParameterValue
from mltrail.service.api import TrackingAPI
from mltrail.tracking import backends, batching, context, git
from mltrail.tracking import tags as tag_names
from mltrail.tracking.batching import RunOperations
from mltrail.tracking.media import MediaLogging
from mltrail.tracking.registry_client import RegistryClient
from mltrail.tracking.trace_client import TraceClient

if TYPE_CHECKING:
    from mltrail.store.artifacts.base import ArtifactRepository

__all__ = ["MlflowClient", "build_metric", "get_client", "now_ms"]

PARENT_RUN_ID_TAG = tag_names.PARENT_RUN_ID
USER_TAG = tag_names.USER
SEARCH_MAX_RESULTS_DEFAULT = 1000


def now_ms() -> int:
    """Return the current time in milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def _metric_value(key: str, value: Any, timestamp: int) -> float:
    # Strings are refused even when they parse, as MLflow does: a metric is a number. Anything
    # else with __float__ (NumPy scalars, 0-d tensors) is accepted.
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    if isinstance(value, numbers.Real) or (
        hasattr(value, "__float__") and not isinstance(value, str | bytes)
    ):
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):
            pass
    raise InvalidParameterValue(
        f"Got invalid value {value!r} for metric '{key}' (timestamp={timestamp}). Please "
        "specify value as a valid double (64-bit floating point)."
    )


def build_metric(
    key: str,
    value: Any,
    timestamp: int,
    step: int | None = None,
    dataset_name: str | None = None,
    dataset_digest: str | None = None,
    model_id: str | None = None,
) -> Metric:
    """Return a metric point, its value converted to float and its step defaulting to 0.

    Raises:
        InvalidParameterValue: ``value`` is not a number.
    """
    return Metric(
        key,
        _metric_value(key, value, timestamp),
        timestamp,
        int(step) if step is not None else 0,
        dataset_name,
        dataset_digest,
        model_id,
    )


def _dataset_filter(spec: Mapping[str, Any]) -> dict[str, str]:
    out = {"dataset_name": str(spec.get("dataset_name") or "")}
    if spec.get("dataset_digest"):
        out["dataset_digest"] = str(spec["dataset_digest"])
    return out


def _is_async(synchronous: bool | None) -> bool:
    return not synchronous if synchronous is not None else get_settings().async_logging


class MlflowClient(MediaLogging, RegistryClient, TraceClient):
    """Client of a tracking backend: experiments, runs and their data, and the model registry.

    Args:
        tracking_uri: Where runs are kept: ``sqlite:///path.db``, a PostgreSQL or MySQL URI, or
            a tracking server's ``http(s)://`` URL. Defaults to the URI set by
            ``mltrail.set_tracking_uri``, then ``MLTRAIL_TRACKING_URI``/``MLFLOW_TRACKING_URI``,
            then ``sqlite:///mltrail.db``.
        registry_uri: Model registry URI; defaults to the tracking URI.

    Raises:
        MlflowException: ``tracking_uri`` is a path or a ``file:`` URI.
    """

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        resolved = context.resolve_tracking_uri(tracking_uri)
        backends.check_tracking_uri(resolved)
        super().__init__(resolved, registry_uri)
        self._artifact_roots: dict[str, str] = {}

    @property
    def tracking_uri(self) -> str:
        """The tracking URI this client talks to."""
        return self._tracking_uri

    @property
    def _backend(self) -> TrackingAPI:
        # Looked up on each call, not kept: a forked child must build its own backend.
        return backends.get_backend(self._tracking_uri)

    # Experiments

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> str:
        """Create an experiment and return its id.

        Args:
            name: Unique experiment name.
            artifact_location: Root for its runs' artifacts; the default root if None.
            tags: Experiment tags; values are converted with ``str``.

        Raises:
            MlflowException: ``RESOURCE_ALREADY_EXISTS`` if the name is taken.
        """
        pairs = [(key, str(value)) for key, value in (tags or {}).items()]
        return self._backend.create_experiment(name, artifact_location, pairs)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return an experiment by id.

        Raises:
            MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if there is none.
        """
        return self._backend.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment with this name, or None."""
        return self._backend.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Return one page of experiments matching a filter.

        Args:
            view_type: ``ViewType.ACTIVE_ONLY``, ``DELETED_ONLY`` or ``ALL``.
            max_results: Page size.
            filter_string: E.g. ``"name LIKE 'exp%' AND tags.team = 'a'"``.
            order_by: E.g. ``["last_update_time DESC"]``.
            page_token: Token of the page to return, from a previous result's ``token``.
        """
        return self._backend.search_experiments(
            ViewType.coerce(view_type), max_results, filter_string, order_by, page_token
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment."""
        self._backend.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment (and hide its runs)."""
        self._backend.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment."""
        self._backend.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set a tag on an experiment; ``value`` is converted with ``str``."""
        self._backend.set_experiment_tag(str(experiment_id), key, str(value))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Delete a tag from an experiment."""
        self._backend.delete_experiment_tag(str(experiment_id), key)

    # Runs

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Create a run; unlike ``mltrail.start_run`` it does not make it active.

        Args:
            experiment_id: Experiment to create it in.
            start_time: Milliseconds since the epoch; now if None.
            tags: Run tags; ``mlflow.user`` also sets the run's user.
            run_name: Display name; a random one is generated if None.
        """
        run_tags = [RunTag(key, str(value)) for key, value in (tags or {}).items()]
        user = (tags or {}).get(USER_TAG, "unknown")
        return self._backend.create_run(
            str(experiment_id),
            user_id=str(user),
            start_time=start_time if start_time is not None else now_ms(),
            tags=run_tags,
            run_name=run_name,
        )

    def get_run(self, run_id: str) -> Run:
        """Return a run with its latest metrics, params, tags and inputs.

        Raises:
            MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if there is none.
        """
        return self._backend.get_run(run_id)

    def get_parent_run(self, run_id: str) -> Run | None:
        """Return the parent of a nested run (from its ``mlflow.parentRunId`` tag), or None."""
        parent_id = self.get_run(run_id).data.tags.get(PARENT_RUN_ID_TAG)
        return self.get_run(parent_id) if parent_id else None

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Change a run's status and/or name.

        Args:
            run_id: The run.
            status: ``RUNNING``, ``SCHEDULED``, ``FINISHED``, ``FAILED`` or ``KILLED``.
            name: New display name.
        """
        self._backend.update_run_info(run_id, run_status=status, run_name=name)

    def set_terminated(
        self, run_id: str, status: str | None = None, end_time: int | None = None
    ) -> None:
        """End a run: write its queued asynchronous calls, then set its status and end time.

        Args:
            run_id: The run.
            status: ``FINISHED`` (default), ``FAILED`` or ``KILLED``.
            end_time: Milliseconds since the epoch; now if None.

        Raises:
            MlflowException: A queued asynchronous call for the run failed (the run is ended
                all the same).
        """
        try:
            if batching.is_started():
                batching.flush(run_id)
        finally:
            self._backend.update_run_info(
                run_id,
                run_status=RunStatus.to_string(status or RunStatus.FINISHED),
                end_time=end_time if end_time is not None else now_ms(),
            )

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        self._backend.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        """Restore a deleted run."""
        self._backend.restore_run(run_id)

    def search_runs(
        self,
        experiment_ids: list[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Return one page of runs matching a filter.

        Args:
            experiment_ids: Experiments to search (a single id is accepted too).
            filter_string: E.g. ``"metrics.acc > 0.9 and params.lr = '0.1'"``.
            run_view_type: ``ViewType.ACTIVE_ONLY``, ``DELETED_ONLY`` or ``ALL``.
            max_results: Page size.
            order_by: E.g. ``["metrics.acc DESC"]``.
            page_token: Token of the page to return, from a previous result's ``token``.
        """
        ids = [experiment_ids] if isinstance(experiment_ids, str | int) else experiment_ids
        return self._backend.search_runs(
            [str(i) for i in ids],
            filter_string or "",
            ViewType.coerce(run_view_type),
            max_results,
            order_by,
            page_token,
        )

    # Run data

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
    ) -> RunOperations | None:
        """Log one metric point.

        Args:
            run_id: The run.
            key: Metric name.
            value: A number (NaN and +/-Inf are kept).
            timestamp: Milliseconds since the epoch; now if None.
            step: Training step; 0 if None.
            synchronous: False queues the call (see ``RunOperations``); None follows
                ``MLTRAIL_ASYNC_LOGGING``.
            dataset_name: Dataset the value was computed on.
            dataset_digest: That dataset's digest.
            model_id: LoggedModel the value belongs to.

        Returns:
            None when written synchronously, else a ``RunOperations`` to ``wait()`` on.

        Raises:
            MlflowException: ``value`` is not a number, or the backend rejected the point.
        """
        ts = int(timestamp) if timestamp is not None else now_ms()
        metric = build_metric(key, value, ts, step, dataset_name, dataset_digest, model_id)
        if _is_async(synchronous):
            return self._submit(run_id, metrics=(metric,))
        self._backend.log_metric(run_id, metric)
        return None

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        """Log a param (immutable once logged); ``value`` is converted with ``str``.

        Returns:
            ``value`` when written synchronously, else a ``RunOperations``.
        """
        param = Param(key, str(value))
        if _is_async(synchronous):
            return self._submit(run_id, params=(param,))
        self._backend.log_param(run_id, param)
        return value

    def set_tag(
        self, run_id: str, key: str, value: Any, synchronous: bool | None = None
    ) -> RunOperations | None:
        """Set a run tag; ``value`` is converted with ``str``.

        Returns:
            None when written synchronously, else a ``RunOperations``.
        """
        tag = RunTag(key, str(value))
        if _is_async(synchronous):
            return self._submit(run_id, tags=(tag,))
        self._backend.set_tag(run_id, tag)
        return None

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a run tag.

        Raises:
            MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if the run has no such tag.
        """
        self._backend.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> RunOperations | None:
        """Log metrics, params and tags together.

        Metrics carry their own ``model_id``, ``dataset_name`` and ``dataset_digest``; a metric
        with a ``model_id`` is recorded for that LoggedModel too. A batch within the limits
        (1000 metrics, 100 params, 100 tags, 1000 in all) is written atomically; a larger one
        is split into several calls.

        Returns:
            None when written synchronously, else a ``RunOperations``.
        """
        if _is_async(synchronous):
            return self._submit(run_id, tuple(metrics), tuple(params), tuple(tags))
        backend = self._backend
        for chunk_metrics, chunk_params, chunk_tags in batching.split_batch(metrics, params, tags):
            backend.log_batch(run_id, chunk_metrics, chunk_params, chunk_tags)
        return None

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        """Record datasets (with tags such as ``mlflow.data.context``) and models a run used."""
        self._backend.log_inputs(run_id, datasets, models)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Return every point of a metric, in step order."""
        backend = self._backend
        page = backend.get_metric_history(run_id, key)
        history = list(page)
        while page.token:
            page = backend.get_metric_history(run_id, key, page_token=page.token)
            history.extend(page)
        return history

    # Logged models

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """Create a LoggedModel in the PENDING state.

        When the code runs in a git checkout, its commit, branch, remote URL and dirty state
        are recorded as ``mlflow.source.git.*`` tags (``tags`` override them).

        Args:
            experiment_id: Experiment the model belongs to (it must be active).
            name: Display name; a random one if None.
            source_run_id: The run that produced the model, if any.
            tags: Model tags; values are converted with ``str``.
            params: Model params; values are converted with ``str``.
            model_type: Free-form type such as ``"agent"``.
        """
        all_tags = git.git_tags()
        all_tags.update({key: str(value) for key, value in (tags or {}).items()})
        return self._backend.create_logged_model(
            str(experiment_id),
            name,
            source_run_id,
            all_tags,
            {key: str(value) for key, value in (params or {}).items()},
            model_type,
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """Return a LoggedModel with its tags, params and metrics.

        Raises:
            MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if there is none (or it is deleted).
        """
        return self._backend.get_logged_model(model_id)

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        """Set a model's final status and return the model.

        Args:
            model_id: The model.
            status: ``"READY"`` or ``"FAILED"`` (``LoggedModelStatus.READY``...; MLflow's wire
                names such as ``"LOGGED_MODEL_READY"`` are accepted too).
        """
        return self._backend.finalize_logged_model(model_id, LoggedModelStatus.coerce(status))

    def delete_logged_model(self, model_id: str) -> None:
        """Delete a model; it disappears from reads and searches."""
        self._backend.delete_logged_model(model_id)

    def set_logged_model_tags(self, model_id: str, tags: dict[str, Any]) -> None:
        """Set (or overwrite) tags on a model; values are converted with ``str``."""
        pairs = {key: str(value) for key, value in tags.items()}
        self._backend.set_logged_model_tags(model_id, pairs)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Delete one tag of a model.

        Raises:
            MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if the model has no such tag.
        """
        self._backend.delete_logged_model_tag(model_id, key)

    def log_model_params(self, model_id: str, params: dict[str, Any]) -> None:
        """Log params on a model; values are converted with ``str`` and cannot change later."""
        pairs = {key: str(value) for key, value in params.items()}
        self._backend.log_logged_model_params(model_id, pairs)

    def record_logged_model(self, run_id: str, model_json: str) -> None:
        """Append an MLmodel description (JSON) to the run's ``mlflow.log-model.history`` tag."""
        self._backend.record_logged_model(run_id, model_json)

    def search_logged_models(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        datasets: list[dict[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: list[dict[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """Return one page of models matching a filter.

        Args:
            experiment_ids: Experiments to search (a single id is accepted too).
            filter_string: E.g. ``"metrics.accuracy > 0.9 AND params.lr = '0.1'"``; also
                ``name``, ``status``, ``model_type``, ``source_run_id``, ``tags.<key>`` and
                the timestamps.
            datasets: ``[{"dataset_name": ..., "dataset_digest": ...}]``: only models with
                metrics on one of these datasets; metric filters then use those metrics.
            max_results: Page size.
            order_by: ``[{"field_name": "metrics.accuracy", "ascending": False}]``, optionally
                with ``dataset_name``/``dataset_digest``.
            page_token: Token of the page to return, from a previous result's ``token``.
        """
        ids = [experiment_ids] if isinstance(experiment_ids, str | int) else experiment_ids
        return self._backend.search_logged_models(
            [str(i) for i in ids],
            filter_string,
            [_dataset_filter(d) for d in datasets or []],
            max_results,
            list(order_by or []),
            page_token,
        )

    # Artifacts

    def _artifact_repo(self, run_id: str) -> ArtifactRepository:
        uri = self._artifact_roots.get(run_id)
        if uri is None:
            uri = self.get_run(run_id).info.artifact_uri or ""
            if len(self._artifact_roots) > 1024:
                self._artifact_roots.clear()
            self._artifact_roots[run_id] = uri  # a run's artifact root never changes
        from mltrail.tracking import artifacts  # loads the artifact stack on first use only

        return artifacts.repository_for(uri, self._tracking_uri)

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        """Upload a local file into the run's artifacts, under the folder ``artifact_path``."""
        self._artifact_repo(run_id).log_artifact(str(local_path), artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        """Upload a local directory's contents into the run's artifacts."""
        self._artifact_repo(run_id).log_artifacts(str(local_dir), artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Save ``text`` as the artifact file ``artifact_file`` (e.g. ``notes/summary.txt``)."""
        from mltrail.tracking import artifacts

        artifacts.log_text_to(self._artifact_repo(run_id), text, artifact_file)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Save a dict as JSON, or YAML for a ``.yaml``/``.yml`` file name."""
        from mltrail.tracking import artifacts

        artifacts.log_dict_to(self._artifact_repo(run_id), dictionary, artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """List the files and folders directly under ``path`` in the run's artifacts."""
        return self._artifact_repo(run_id).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """Download an artifact file or folder and return its local path."""
        return self._artifact_repo(run_id).download_artifacts(path, dst_path)

    def _submit(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> RunOperations:
        batcher = batching.get_batcher()
        batcher.submit(self._backend, run_id, metrics, params, tags)
        return RunOperations(batcher, run_id)


_clients_lock = threading.Lock()
_clients: dict[str, MlflowClient] = {}


def get_client(tracking_uri: str | None = None) -> MlflowClient:
    """Return this process's client for a tracking URI (the current one if None).

    Raises:
        MlflowException: The URI is a path or a ``file:`` URI.
    """
    uri = context.resolve_tracking_uri(tracking_uri)
    client = _clients.get(uri)
    if client is None:
        with _clients_lock:
            client = _clients.get(uri)
            if client is None:
                client = _clients[uri] = MlflowClient(uri)
    return client


def _reset_after_fork() -> None:
    global _clients_lock
    _clients_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)
