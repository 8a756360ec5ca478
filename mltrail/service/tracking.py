"""TrackingService: the tracking API over SQL, with MLflow's rules, one transaction per call."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mltrail.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    LoggedModelInput,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from mltrail.exceptions import (
    InvalidParameterValue,
    InvalidState,
    MlflowException,
    ResourceDoesNotExist,
)
from mltrail.search import filter as search_filter
from mltrail.search import order_by as search_order
from mltrail.search import tokens
from mltrail.service import validation
from mltrail.service.artifact_uris import append_path
from mltrail.service.logged_models import LoggedModelOperations
from mltrail.service.run_names import generate_run_name
from mltrail.service.traces import TraceOperations
from mltrail.store.sql import datasets as dataset_store
from mltrail.store.sql import experiments, migrations, runs
from mltrail.store.sql import metrics as metric_store
from mltrail.store.sql.datasets import DatasetUsage
from mltrail.store.sql.engine import Database
from mltrail.store.sql.ingest import Ingest

__all__ = ["TrackingService"]

RUN_NAME_TAG = "mlflow.runName"
LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"
DEFAULT_EXPERIMENT_ID = "0"
SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_RUNS_MAX_RESULTS = 50000
HISTORY_PAGE_CAP = 1_000_000
# How often log_batch runs again after losing a race to insert the same param key.
_PARAM_RACE_ATTEMPTS = 3


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _parse_experiment_id(experiment_id: object) -> int:
    try:
        return int(str(experiment_id))
    except ValueError:
        raise InvalidParameterValue(
            f"Invalid experiment id {experiment_id!r}: experiment ids are integers."
        ) from None


_BULK_MAX_RUNS = 100
_BULK_MAX_POINTS = 25_000


class TrackingService(LoggedModelOperations, TraceOperations):
    """Experiments, runs, params, metrics, tags and inputs stored in a SQL database.

    Args:
        db: The database (schema is brought to the head revision on construction).
        artifact_root: Root URI under which new experiments get their artifact location.
    """

    def __init__(self, db: Database, artifact_root: str) -> None:
        self.db = db
        self.artifact_root = artifact_root
        migrations.ensure_schema(db)
        self._ingest = Ingest(db)
        self._ensure_default_experiment()

    def _ensure_default_experiment(self) -> None:
        with self.db.read() as session:
            if experiments.get(session, 0) is not None:
                return
        try:
            with self.db.write() as session:
                if experiments.get(session, 0) is None:
                    location = append_path(self.artifact_root, DEFAULT_EXPERIMENT_ID)
                    experiments.insert(
                        session, Experiment.DEFAULT_EXPERIMENT_NAME, location, _now_ms(), 0
                    )
        except (IntegrityError, MlflowException):
            # Another process created it first.
            with self.db.read() as session:
                if experiments.get(session, 0) is None:
                    raise

    # ------------------------------------------------------------------ experiments
    def _experiment(self, session: Session, experiment_id: str) -> Experiment:
        exp = experiments.get(session, _parse_experiment_id(experiment_id))
        if exp is None:
            raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists")
        return exp

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
    ) -> str:
        """Create an experiment and return its id."""
        validation.validate_experiment_name(name)
        tag_map = dict(tags or [])
        for key, value in tag_map.items():
            validation.validate_experiment_tag(key, value)
        with self.db.write() as session:
            exp_id = experiments.insert(session, name, artifact_location, _now_ms())
            if not artifact_location:
                location = append_path(self.artifact_root, str(exp_id))
                experiments.set_artifact_location(session, exp_id, location)
            if tag_map:
                experiments.set_tags(self.db, session, exp_id, tag_map)
        return str(exp_id)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return an experiment by id."""
        with self.db.read() as session:
            return self._experiment(session, experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return an experiment by name, or None."""
        with self.db.read() as session:
            return experiments.get_by_name(session, name)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Return a page of experiments matching a filter."""
        limit = validation.validate_max_results(max_results) or SEARCH_MAX_RESULTS_DEFAULT
        stages = LifecycleStage.matching_view_type(ViewType.coerce(view_type))
        comparisons = search_filter.parse_experiment_filter(filter_string)
        orders = search_order.parse_order_by(order_by, for_runs=False)
        offset = tokens.decode_page_token(page_token) if page_token else 0
        with self.db.read() as session:
            page = experiments.search(session, stages, comparisons, orders, limit + 1, offset)
        token = tokens.encode_page_token(offset + limit) if len(page) > limit else None
        return PagedList(page[:limit], token)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an active experiment."""
        validation.validate_experiment_name(new_name)
        with self.db.write() as session:
            exp = self._experiment(session, experiment_id)
            if exp.lifecycle_stage != LifecycleStage.ACTIVE:
                raise InvalidState(
                    f"Cannot rename experiment {experiment_id}: it is deleted. Restore it first."
                )
            experiments.update(
                session, int(exp.experiment_id), name=new_name, last_update_time=_now_ms()
            )

    def _set_experiment_stage(self, experiment_id: str, stage: str) -> None:
        with self.db.write() as session:
            exp = self._experiment(session, experiment_id)
            # MLflow answers RESOURCE_DOES_NOT_EXIST for both: there is no deleted (or active)
            # experiment with that id to act on.
            if stage == LifecycleStage.DELETED and exp.lifecycle_stage != LifecycleStage.ACTIVE:
                raise ResourceDoesNotExist(
                    f"Experiment {experiment_id} is already deleted; restore it before "
                    "deleting it again."
                )
            if stage == LifecycleStage.ACTIVE and exp.lifecycle_stage != LifecycleStage.DELETED:
                raise ResourceDoesNotExist(
                    f"Experiment {experiment_id} is not deleted; nothing to restore."
                )
            now = _now_ms()
            exp_id = int(exp.experiment_id)
            experiments.update(session, exp_id, lifecycle_stage=stage, last_update_time=now)
            deleted_time = now if stage == LifecycleStage.DELETED else None
            runs.update_experiment_runs(session, exp_id, stage, deleted_time)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs."""
        self._set_experiment_stage(experiment_id, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment and its runs."""
        self._set_experiment_stage(experiment_id, LifecycleStage.ACTIVE)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set a tag on an active experiment."""
        validation.validate_experiment_tag(key, value)
        with self.db.write() as session:
            exp = self._experiment(session, experiment_id)
            _require_active_experiment(exp)
            experiments.set_tags(self.db, session, int(exp.experiment_id), {key: value})

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Delete a tag from an active experiment."""
        with self.db.write() as session:
            exp = self._experiment(session, experiment_id)
            _require_active_experiment(exp)
            if experiments.delete_tag(session, int(exp.experiment_id), key) == 0:
                raise ResourceDoesNotExist(
                    f"No tag with name: {key} in experiment with id {experiment_id}"
                )

    # ------------------------------------------------------------------ runs
    def _run_info(self, session: Session, run_id: str) -> RunInfo:
        validation.validate_run_id(run_id)
        info = runs.get_info(session, run_id)
        if info is None:
            raise ResourceDoesNotExist(f"Run '{run_id}' not found")
        return info

    def _require_active_run(self, session: Session, run_id: str) -> None:
        self._check_stage(run_id, runs.get_stage(session, run_id))

    def create_run(
        self,
        experiment_id: str,
        user_id: str | None = None,
        start_time: int | None = None,
        tags: Sequence[RunTag] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Create a run in an active experiment; generate a name if none is given."""
        tag_list = list(tags or [])
        for tag in tag_list:
            validation.validate_tag(tag)
        tag_name = next((t.value for t in reversed(tag_list) if t.key == RUN_NAME_TAG), None)
        if run_name and tag_name and run_name != tag_name:
            raise InvalidParameterValue(
                f"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                f"different values (run_name='{run_name}', mlflow.runName='{tag_name}')."
            )
        name = run_name or tag_name or generate_run_name()
        validation.validate_run_name(name)
        tag_list = [t for t in tag_list if t.key != RUN_NAME_TAG] + [RunTag(RUN_NAME_TAG, name)]
        run_id = uuid.uuid4().hex
        with self.db.write() as session:
            exp = self._experiment(session, experiment_id)
            _require_active_experiment(exp)
            artifact_uri = append_path(exp.artifact_location, run_id, "artifacts")
            runs.insert(
                session,
                {
                    "run_uuid": run_id,
                    "name": name,
                    "experiment_id": int(exp.experiment_id),
                    "user_id": user_id,
                    "status": RunStatus.RUNNING,
                    "start_time": start_time if start_time is not None else _now_ms(),
                    "end_time": None,
                    "lifecycle_stage": LifecycleStage.ACTIVE,
                    "artifact_uri": artifact_uri,
                },
            )
            runs.set_tags(self.db, session, run_id, tag_list)
            return runs.load(session, [run_id])[0]

    def get_run(self, run_id: str) -> Run:
        """Return a run with its latest metrics, params, tags and inputs."""
        validation.validate_run_id(run_id)
        with self.db.read() as session:
            found = runs.load(session, [run_id])
        if not found:
            raise ResourceDoesNotExist(f"Run '{run_id}' not found")
        return found[0]

    def update_run_info(
        self,
        run_id: str,
        run_status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change a run's status, end time or name."""
        values: dict[str, object] = {}
        if run_status is not None:
            values["status"] = RunStatus.to_string(run_status)
        if end_time is not None:
            values["end_time"] = end_time
        if run_name:
            validation.validate_run_name(run_name)
            values["name"] = run_name
        with self.db.write() as session:
            self._require_active_run(session, run_id)
            if values:
                runs.update(session, run_id, **values)
            if run_name:
                runs.set_tags(self.db, session, run_id, [RunTag(RUN_NAME_TAG, run_name)])
            return self._run_info(session, run_id)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        with self.db.write() as session:
            self._run_info(session, run_id)
            runs.update(
                session, run_id, lifecycle_stage=LifecycleStage.DELETED, deleted_time=_now_ms()
            )

    def restore_run(self, run_id: str) -> None:
        """Restore a soft-deleted run."""
        with self.db.write() as session:
            self._run_info(session, run_id)
            runs.update(session, run_id, lifecycle_stage=LifecycleStage.ACTIVE, deleted_time=None)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Return a page of runs of the given experiments matching a filter, in one query."""
        limit = (
            validation.validate_max_results(max_results, SEARCH_RUNS_MAX_RESULTS)
            or SEARCH_MAX_RESULTS_DEFAULT
        )
        stages = LifecycleStage.matching_view_type(ViewType.coerce(run_view_type))
        exp_ids = [_parse_experiment_id(e) for e in experiment_ids]
        comparisons = search_filter.parse_run_filter(filter_string)
        orders = search_order.parse_order_by(order_by, for_runs=True)
        offset = tokens.decode_page_token(page_token) if page_token else 0
        if not exp_ids:
            return PagedList([], None)
        with self.db.read() as session:
            ids = runs.search_ids(session, exp_ids, stages, comparisons, orders, limit + 1, offset)
            page = runs.load(session, ids[:limit])
        token = tokens.encode_page_token(offset + limit) if len(ids) > limit else None
        return PagedList(page, token)

    # ------------------------------------------------------------------ run data
    def _check_stage(self, run_id: str, stage: str | None) -> None:
        if stage == LifecycleStage.ACTIVE:
            return
        validation.validate_run_id(run_id)
        if stage is None:
            raise ResourceDoesNotExist(f"Run '{run_id}' not found")
        # MLflow's code for a write to a deleted run, which its clients check for.
        raise InvalidParameterValue(
            f"The run {run_id} must be in the 'active' state. Current state is {stage}. "
            "Restore the run first."
        )

    def log_metric(self, run_id: str, metric: Metric) -> None:
        """Log one metric point (NaN and +/-Inf are kept exactly)."""
        validation.validate_metric(metric)
        ingest = self._ingest
        with ingest.cursor() as cursor:
            self._check_stage(run_id, ingest.run_stage(cursor, run_id))
            ingest.append_metrics(cursor, run_id, (metric,))
            if metric.model_id:
                self._model_metrics(cursor, run_id, (metric,))

    def _model_metrics(self, cursor: object, run_id: str, metrics: Sequence[Metric]) -> None:
        for model_id in {m.model_id for m in metrics if m.model_id}:
            if self._ingest.model_stage(cursor, model_id) != LifecycleStage.ACTIVE:
                raise ResourceDoesNotExist(f"Logged model with ID '{model_id}' not found.")
        self._ingest.append_model_metrics(cursor, run_id, metrics)

    def log_param(self, run_id: str, param: Param) -> None:
        """Log a param; logging the same value again is fine, another value is an error."""
        validation.validate_param(param)
        self.log_batch(run_id, params=[param])

    def _insert_params(self, cursor: object, run_id: str, params: Sequence[Param]) -> None:
        unique = list({p.key: p for p in params}.values())
        existing = self._ingest.existing_params(cursor, run_id, [p.key for p in unique])
        for p in unique:
            old = existing.get(p.key)
            if old is not None and old != p.value:
                raise InvalidParameterValue(
                    f"Changing param values is not allowed. Param with key='{p.key}' was already "
                    f"logged with value='{old}' for run ID='{run_id}'. Attempted logging new "
                    f"value '{p.value}'. Params are immutable: log it under a different key or "
                    "start a new run."
                )
        self._ingest.insert_params(cursor, run_id, [p for p in unique if p.key not in existing])

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        """Set a run tag (``mlflow.runName`` also renames the run)."""
        validation.validate_tag(tag)
        self.log_batch(run_id, tags=[tag])

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Log metrics, params and tags atomically: all of them or, on any error, none."""
        validation.validate_batch(metrics, params, tags)
        names = [t.value for t in tags if t.key == RUN_NAME_TAG]
        if names:
            validation.validate_run_name(names[-1])
        ingest = self._ingest
        for attempt in range(_PARAM_RACE_ATTEMPTS):
            try:
                with ingest.cursor() as cursor:
                    self._check_stage(run_id, ingest.run_stage(cursor, run_id))
                    if params:
                        self._insert_params(cursor, run_id, params)
                    # append_metrics says whether any point names a model or dataset.
                    extras = bool(metrics) and ingest.append_metrics(cursor, run_id, metrics)
                    if extras and any(m.model_id for m in metrics):
                        self._model_metrics(cursor, run_id, metrics)
                    if tags:
                        ingest.upsert_tags(cursor, run_id, tags)
                        if names:
                            ingest.rename_run(cursor, run_id, names[-1])
                return
            except self.db.integrity_error:
                # Only a concurrent insert of the same param key gets here: the check above
                # ran before the other writer committed. The transaction rolled back whole, so
                # running it again is safe; this time the check sees the other value and
                # accepts an equal one or rejects a different one.
                if attempt == _PARAM_RACE_ATTEMPTS - 1:
                    raise InvalidParameterValue(
                        f"Other writers kept logging the params {[p.key for p in params]} of "
                        f"run {run_id} at the same time; log them again."
                    ) from None

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a run tag."""
        with self.db.write() as session:
            self._require_active_run(session, run_id)
            if runs.delete_tag(session, run_id, key) == 0:
                raise ResourceDoesNotExist(f"No tag with name: {key} in run with id {run_id}")

    def record_logged_model(self, run_id: str, model_json: str) -> None:
        """Append a model's MLmodel description to the run's ``mlflow.log-model.history`` tag.

        This is MLflow's legacy ``log-model`` call: ``model_json`` is the MLmodel file as JSON.
        """
        try:
            model = json.loads(model_json)
        except ValueError as exc:
            msg = f"Malformed model info: model_json is not JSON ({exc})."
            raise InvalidParameterValue(msg) from exc
        if not isinstance(model, dict):
            raise InvalidParameterValue("Malformed model info: model_json must be a JSON object.")
        with self.db.write() as session:
            self._require_active_run(session, run_id)
            current = runs.get_tag_for_update(session, run_id, LOG_MODEL_HISTORY_TAG)
            history = json.loads(current) if current else []
            history.append(model)
            tag = RunTag(LOG_MODEL_HISTORY_TAG, json.dumps(history))
            runs.set_tags(self.db, session, run_id, [tag])

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        """Record datasets (and logged models) used by a run."""
        dataset_inputs = list(datasets or [])
        validation.validate_dataset_inputs(dataset_inputs)
        with self.db.write() as session:
            self._require_active_run(session, run_id)
            info = self._run_info(session, run_id)
            dataset_store.link_datasets(
                session, self.db, int(info.experiment_id), run_id, dataset_inputs
            )
            if models:
                dataset_store.link_models(session, self.db, run_id, models)

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """Return a metric's points ordered by step then timestamp, optionally paged."""
        if max_results is not None:
            validation.validate_max_results(max_results, HISTORY_PAGE_CAP)
        offset = tokens.decode_page_token(page_token) if page_token else 0
        with self.db.read() as session:
            self._run_info(session, run_id)
            limit = None if max_results is None else max_results + 1
            points = metric_store.history(session, run_id, metric_key, limit, offset)
        if max_results is not None and len(points) > max_results:
            return PagedList(points[:max_results], tokens.encode_page_token(offset + max_results))
        return PagedList(points, None)

    def get_metric_history_bulk(
        self, run_ids: Sequence[str], metric_key: str, max_results: int | None = None
    ) -> list[Metric]:
        """Return one metric's points for up to 100 runs (run ids in order, then time order).

        Each run contributes at most ``max_results`` points (25,000 at most, the default).

        Raises:
            InvalidParameterValue: No run id, more than 100, or a bad ``max_results``.
            ResourceDoesNotExist: A run does not exist.
        """
        if not run_ids:
            raise InvalidParameterValue(
                "GetMetricHistoryBulk request must specify at least one run_id."
            )
        if len(run_ids) > _BULK_MAX_RUNS:
            raise InvalidParameterValue(
                f"GetMetricHistoryBulk request cannot specify more than {_BULK_MAX_RUNS} "
                f"run_ids. Received {len(run_ids)} run_ids."
            )
        size = _BULK_MAX_POINTS if max_results is None else min(max_results, _BULK_MAX_POINTS)
        validation.validate_max_results(size, _BULK_MAX_POINTS)
        out: list[Metric] = []
        for run_id in sorted(set(run_ids)):
            page = self.get_metric_history(run_id, metric_key, max_results=size)
            out.extend(sorted(page, key=lambda m: (m.timestamp, m.step, m.value)))
        return out

    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        """Return up to ``max_results`` evenly sampled points per run within a step range."""
        validation.validate_max_results(max_results, 2500)
        if not run_ids:
            raise InvalidParameterValue("GetMetricHistoryBulkInterval needs at least one run_id.")
        if len(run_ids) > 100:
            raise InvalidParameterValue(
                f"GetMetricHistoryBulkInterval accepts at most 100 run ids; got {len(run_ids)}."
            )
        if start_step is not None and end_step is not None and start_step > end_step:
            raise InvalidParameterValue(
                f"end_step ({end_step}) must be greater than or equal to start_step ({start_step})."
            )
        with self.db.read() as session:
            for run_id in run_ids:
                self._run_info(session, run_id)
            return metric_store.history_bulk_interval(
                session, list(run_ids), metric_key, max_results, start_step, end_step
            )

    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetUsage]:
        """Return the datasets (with contexts) used by runs of the given experiments."""
        ids = [_parse_experiment_id(e) for e in experiment_ids]
        with self.db.read() as session:
            return dataset_store.search(session, ids, limit=1000)


def _require_active_experiment(exp: Experiment) -> None:
    if exp.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidParameterValue(
            f"The experiment {exp.experiment_id} must be in the 'active' state. "
            f"Current state is {exp.lifecycle_stage}. Restore the experiment first."
        )
