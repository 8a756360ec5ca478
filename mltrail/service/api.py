"""The API contract: entity-typed Protocols that the local service and the REST backend satisfy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from mltrail.entities import (
    Assessment,
    AuditEvent,
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    Metric,
    ModelVersion,
    PagedList,
    Param,
    RegisteredModel,
    Run,
    RunInfo,
    RunTag,
    Span,
    Trace,
    TraceInfo,
)

__all__ = ["DatasetSummary", "ModelOrderSpec", "RegistryAPI", "TraceAPI", "TrackingAPI"]

# A LoggedModel search order term as MLflow sends it:
# ``{"field_name": ..., "ascending": ..., "dataset_name": ..., "dataset_digest": ...}``.
ModelOrderSpec = Mapping[str, Any]


class DatasetSummary(Protocol):
    """A dataset used in an experiment, as ``search_datasets`` returns it."""

    experiment_id: str
    name: str
    digest: str
    context: str | None


@runtime_checkable
class TrackingAPI(Protocol):
    """Experiments, runs, params, metrics, tags, dataset inputs and logged models.

    Every method is one transaction: it writes everything or nothing. Errors are
    ``MlflowException`` subclasses with MLflow's error codes.
    """

    # Experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
    ) -> str: ...

    def get_experiment(self, experiment_id: str) -> Experiment: ...

    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

    def search_experiments(
        self,
        view_type: int = 1,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]: ...

    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    def delete_experiment(self, experiment_id: str) -> None: ...

    def restore_experiment(self, experiment_id: str) -> None: ...

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...

    # Runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str | None = None,
        start_time: int | None = None,
        tags: Sequence[RunTag] | None = None,
        run_name: str | None = None,
    ) -> Run: ...

    def get_run(self, run_id: str) -> Run: ...

    def update_run_info(
        self,
        run_id: str,
        run_status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...

    def delete_run(self, run_id: str) -> None: ...

    def restore_run(self, run_id: str) -> None: ...

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: int = 1,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]: ...

    # Run data
    def log_metric(self, run_id: str, metric: Metric) -> None: ...

    def log_param(self, run_id: str, param: Param) -> None: ...

    def set_tag(self, run_id: str, tag: RunTag) -> None: ...

    def delete_tag(self, run_id: str, key: str) -> None: ...

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None: ...

    def record_logged_model(self, run_id: str, model_json: str) -> None: ...

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None: ...

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]: ...

    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]: ...

    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]: ...

    # Logged models
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel: ...

    def get_logged_model(self, model_id: str) -> LoggedModel: ...

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel: ...

    def delete_logged_model(self, model_id: str) -> None: ...

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None: ...

    def delete_logged_model_tag(self, model_id: str, key: str) -> None: ...

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None: ...

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, str]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[ModelOrderSpec] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]: ...


@runtime_checkable
class RegistryAPI(Protocol):
    """The model registry: registered models, versions, tags, aliases, stages, audit trail.

    Every mutation is one transaction that also appends its audit event. Errors are
    ``MlflowException`` subclasses with MLflow's error codes.
    """

    # Registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel: ...

    def get_registered_model(self, name: str) -> RegisteredModel: ...

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...

    def update_registered_model(
        self, name: str, description: str | None = None, deployment_job_id: str | None = None
    ) -> RegisteredModel: ...

    def delete_registered_model(self, name: str) -> None: ...

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]: ...

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]: ...

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...

    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

    # Model versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion: ...

    def get_model_version(self, name: str, version: str) -> ModelVersion: ...

    def update_model_version(
        self, name: str, version: str, description: str | None = None
    ) -> ModelVersion: ...

    def delete_model_version(self, name: str, version: str) -> None: ...

    def transition_model_version_stage(
        self, name: str, version: str, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion: ...

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]: ...

    def get_model_version_download_uri(self, name: str, version: str) -> str: ...

    def set_model_version_tag(self, name: str, version: str, key: str, value: str) -> None: ...

    def delete_model_version_tag(self, name: str, version: str, key: str) -> None: ...

    def copy_model_version(
        self, src_name: str, src_version: str, dst_name: str
    ) -> ModelVersion: ...

    # Aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None: ...

    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    # Audit trail
    def list_audit_events(
        self,
        model_name: str | None = None,
        since: int | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[AuditEvent]: ...


@runtime_checkable
class TraceAPI(Protocol):
    """Traces: log, read, search, delete, tags and assessments (MLflow 3's trace API)."""

    def start_trace(self, trace_info: TraceInfo) -> TraceInfo: ...

    def log_trace(self, trace: Trace) -> TraceInfo: ...

    def log_traces(self, traces: Sequence[Trace]) -> None: ...

    def log_spans(self, trace_id: str, spans: Sequence[Span]) -> None: ...

    def get_trace_info(self, trace_id: str) -> TraceInfo: ...

    def get_trace(self, trace_id: str) -> Trace: ...

    def batch_get_traces(self, trace_ids: Sequence[str]) -> list[Trace]: ...

    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[TraceInfo]: ...

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int: ...

    def set_trace_tag(self, trace_id: str, key: str, value: str) -> None: ...

    def delete_trace_tag(self, trace_id: str, key: str) -> None: ...

    def create_assessment(self, assessment: Assessment) -> Assessment: ...

    def get_assessment(self, trace_id: str, assessment_id: str) -> Assessment: ...

    def update_assessment(
        self,
        trace_id: str,
        assessment_id: str,
        name: str | None = None,
        value: Any = ...,
        rationale: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Assessment: ...

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None: ...
