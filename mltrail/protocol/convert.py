"""Entities to wire dicts (what the server sends) and wire models to entities (what the REST
client reads back), plus request fields to entities."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mltrail.entities import (
    AuditEvent,
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LoggedModel,
    LoggedModelInput,
    LoggedModelStatus,
    Metric,
    ModelVersion,
    Param,
    RegisteredModel,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunTag,
)
from mltrail.protocol import logged_models as lm_wire
from mltrail.protocol import registry as reg_wire
from mltrail.protocol import tracking as wire
from mltrail.protocol.codec import wire_float

__all__ = [
    "audit_event_from_wire",
    "audit_event_to_wire",
    "dataset_input_from_wire",
    "dataset_input_to_wire",
    "experiment_from_wire",
    "experiment_to_wire",
    "logged_model_from_wire",
    "logged_model_to_wire",
    "metric_from_wire",
    "metric_to_wire",
    "model_version_from_wire",
    "model_version_to_wire",
    "registered_model_from_wire",
    "registered_model_to_wire",
    "run_from_wire",
    "run_info_from_wire",
    "run_info_to_wire",
    "run_to_wire",
]


# ---------------------------------------------------------------------------- entity -> wire
def _key_values(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in items]


def experiment_to_wire(exp: Experiment) -> dict[str, Any]:
    """The JSON shape of an Experiment."""
    return {
        "experiment_id": exp.experiment_id,
        "name": exp.name,
        "artifact_location": exp.artifact_location,
        "lifecycle_stage": exp.lifecycle_stage,
        "last_update_time": exp.last_update_time,
        "creation_time": exp.creation_time,
        "tags": _key_values(exp.tags.items()),
    }


def metric_to_wire(m: Metric, with_run_id: bool = False) -> dict[str, Any]:
    """The JSON shape of one metric point; NaN and +/-Inf become protobuf JSON strings."""
    out: dict[str, Any] = {
        "key": m.key,
        "value": wire_float(m.value),
        "timestamp": m.timestamp,
        "step": m.step,
    }
    if m.dataset_name is not None:
        out["dataset_name"] = m.dataset_name
        out["dataset_digest"] = m.dataset_digest
    if m.model_id is not None:
        out["model_id"] = m.model_id
    if with_run_id and m.run_id is not None:
        out["run_id"] = m.run_id
    return out


def run_info_to_wire(info: RunInfo) -> dict[str, Any]:
    """The JSON shape of a RunInfo (``run_uuid`` repeated for old clients)."""
    return {
        "run_id": info.run_id,
        "run_uuid": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage,
    }


def dataset_input_to_wire(di: DatasetInput) -> dict[str, Any]:
    """The JSON shape of a DatasetInput."""
    ds = di.dataset
    return {
        "tags": _key_values((t.key, t.value) for t in di.tags),
        "dataset": {
            "name": ds.name,
            "digest": ds.digest,
            "source_type": ds.source_type,
            "source": ds.source,
            "schema": ds.schema,
            "profile": ds.profile,
        },
    }


def run_to_wire(run: Run) -> dict[str, Any]:
    """The JSON shape of a Run: info, data, inputs and outputs."""
    data = run.data
    return {
        "info": run_info_to_wire(run.info),
        "data": {
            "metrics": [metric_to_wire(m) for m in data.metric_objects],
            "params": _key_values(data.params.items()),
            "tags": _key_values(data.tags.items()),
        },
        "inputs": {
            "dataset_inputs": [dataset_input_to_wire(d) for d in run.inputs.dataset_inputs],
            "model_inputs": [{"model_id": m.model_id} for m in run.inputs.model_inputs],
        },
        "outputs": {"model_outputs": [{"model_id": m} for m in run.outputs.model_outputs]},
    }


# ---------------------------------------------------------------------------- wire -> entity
def experiment_from_wire(w: wire.WireExperiment) -> Experiment:
    """An Experiment from its wire model."""
    return Experiment(
        experiment_id=w.experiment_id,
        name=w.name,
        artifact_location=w.artifact_location or "",
        lifecycle_stage=w.lifecycle_stage or "active",
        tags={t.key: t.value or "" for t in w.tags},
        creation_time=w.creation_time,
        last_update_time=w.last_update_time,
    )


def metric_from_wire(w: wire.WireMetric) -> Metric:
    """A Metric from its wire model."""
    return Metric(
        w.key,
        w.value,
        w.timestamp,
        w.step,
        dataset_name=w.dataset_name,
        dataset_digest=w.dataset_digest,
        model_id=w.model_id,
        run_id=w.run_id,
    )


def run_info_from_wire(w: wire.WireRunInfo) -> RunInfo:
    """A RunInfo from its wire model."""
    return RunInfo(
        run_id=w.run_id or w.run_uuid or "",
        experiment_id=w.experiment_id,
        user_id=w.user_id or "",
        status=w.status or "RUNNING",
        start_time=w.start_time,
        end_time=w.end_time,
        lifecycle_stage=w.lifecycle_stage or "active",
        artifact_uri=w.artifact_uri,
        run_name=w.run_name,
    )


def dataset_input_from_wire(w: wire.WireDatasetInput) -> DatasetInput:
    """A DatasetInput from its wire model."""
    d = w.dataset
    dataset = Dataset(d.name, d.digest, d.source_type, d.source, d.schema_, d.profile)
    return DatasetInput(dataset, [InputTag(t.key, t.value or "") for t in w.tags])


def run_from_wire(w: wire.WireRun) -> Run:
    """A Run from its wire model."""
    data = RunData(
        metrics=[metric_from_wire(m) for m in w.data.metrics],
        params=[Param(p.key, p.value or "") for p in w.data.params],
        tags=[RunTag(t.key, t.value or "") for t in w.data.tags],
    )
    inputs = RunInputs(
        dataset_inputs=[dataset_input_from_wire(d) for d in w.inputs.dataset_inputs],
        model_inputs=[LoggedModelInput(m.model_id) for m in w.inputs.model_inputs],
    )
    outputs = RunOutputs(model_outputs=[m.model_id for m in w.outputs.model_outputs])
    return Run(run_info_from_wire(w.info), data, inputs, outputs)


# ------------------------------------------------------------------------- request -> entity
def run_tags(items: Sequence[wire.KeyValue]) -> list[RunTag]:
    """Run tags from request key/value pairs (a missing value is the empty string)."""
    return [RunTag(t.key, t.value or "") for t in items]


def params(items: Sequence[wire.KeyValue]) -> list[Param]:
    """Params from request key/value pairs."""
    return [Param(p.key, p.value or "") for p in items]


# ------------------------------------------------------------------------------- LoggedModels
def logged_model_to_wire(model: LoggedModel) -> dict[str, Any]:
    """The JSON shape of a LoggedModel: ``info`` and ``data``."""
    return {
        "info": {
            "model_id": model.model_id,
            "experiment_id": model.experiment_id,
            "name": model.name,
            "creation_timestamp_ms": model.creation_timestamp,
            "last_updated_timestamp_ms": model.last_updated_timestamp,
            "artifact_uri": model.artifact_location,
            "status": LoggedModelStatus.to_wire(model.status),
            "status_message": model.status_message,
            "model_type": model.model_type,
            "source_run_id": model.source_run_id,
            "tags": _key_values(model.tags.items()),
        },
        "data": {
            "params": _key_values(model.params.items()),
            "metrics": [metric_to_wire(m, with_run_id=True) for m in model.metrics],
        },
    }


def logged_model_from_wire(w: lm_wire.WireLoggedModel) -> LoggedModel:
    """A LoggedModel from its wire model."""
    info = w.info
    return LoggedModel(
        experiment_id=info.experiment_id,
        model_id=info.model_id,
        name=info.name,
        artifact_location=info.artifact_uri or "",
        creation_timestamp=info.creation_timestamp_ms or 0,
        last_updated_timestamp=info.last_updated_timestamp_ms or 0,
        model_type=info.model_type,
        source_run_id=info.source_run_id,
        status=LoggedModelStatus.coerce(info.status or "PENDING"),
        status_message=info.status_message,
        tags={t.key: t.value or "" for t in info.tags},
        params={p.key: p.value or "" for p in w.data.params},
        metrics=[metric_from_wire(m) for m in w.data.metrics],
    )


# ------------------------------------------------------------------------------ model registry
def model_version_to_wire(mv: ModelVersion) -> dict[str, Any]:
    """A model version as MLflow's ``ModelVersion`` message."""
    return {
        "name": mv.name,
        "version": mv.version,
        "creation_timestamp": mv.creation_timestamp,
        "last_updated_timestamp": mv.last_updated_timestamp,
        "user_id": mv.user_id,
        "current_stage": mv.current_stage,
        # MLflow's server sends these two as empty strings when unset; its client reads them so.
        "description": mv.description or "",
        "source": mv.source,
        "run_id": mv.run_id or "",
        "status": mv.status,
        "status_message": mv.status_message,
        "tags": _key_values(mv.tags.items()),
        "run_link": mv.run_link,
        "aliases": list(mv.aliases),
        "model_id": mv.model_id,
    }


def registered_model_to_wire(rm: RegisteredModel) -> dict[str, Any]:
    """A registered model as MLflow's ``RegisteredModel`` message."""
    return {
        "name": rm.name,
        "creation_timestamp": rm.creation_timestamp,
        "last_updated_timestamp": rm.last_updated_timestamp,
        "user_id": rm.user_id,
        "description": rm.description,
        "latest_versions": [model_version_to_wire(v) for v in rm.latest_versions],
        "tags": _key_values(rm.tags.items()),
        "aliases": [{"alias": a, "version": v} for a, v in rm.aliases.items()],
        "deployment_job_id": rm.deployment_job_id,
    }


def model_version_from_wire(w: reg_wire.WireModelVersion) -> ModelVersion:
    """Read a ``ModelVersion`` message."""
    return ModelVersion(
        name=w.name,
        version=w.version,
        creation_timestamp=w.creation_timestamp or 0,
        last_updated_timestamp=w.last_updated_timestamp,
        description=w.description or None,
        user_id=w.user_id,
        current_stage=w.current_stage or "None",
        source=w.source,
        run_id=w.run_id or None,
        status=w.status or "READY",
        status_message=w.status_message,
        tags={t.key: t.value or "" for t in w.tags},
        run_link=w.run_link,
        aliases=list(w.aliases),
        model_id=w.model_id,
    )


def registered_model_from_wire(w: reg_wire.WireRegisteredModel) -> RegisteredModel:
    """Read a ``RegisteredModel`` message."""
    return RegisteredModel(
        name=w.name,
        creation_timestamp=w.creation_timestamp,
        last_updated_timestamp=w.last_updated_timestamp,
        description=w.description,
        latest_versions=[model_version_from_wire(v) for v in w.latest_versions],
        tags={t.key: t.value or "" for t in w.tags},
        aliases={a.alias: a.version for a in w.aliases},
        deployment_job_id=w.deployment_job_id,
        user_id=w.user_id,
    )


def audit_event_to_wire(e: AuditEvent) -> dict[str, Any]:
    """An audit event as the audit-events route returns it."""
    return {
        "event_id": e.event_id,
        "timestamp": e.timestamp,
        "user_id": e.user_id,
        "action": e.action,
        "model_name": e.model_name,
        "version": e.version,
        "key": e.key,
        "old_value": e.old_value,
        "new_value": e.new_value,
        "request_id": e.request_id,
    }


def audit_event_from_wire(w: reg_wire.WireAuditEvent) -> AuditEvent:
    """Read an audit event."""
    return AuditEvent(
        event_id=w.event_id,
        timestamp=w.timestamp,
        user_id=w.user_id,
        action=w.action,
        model_name=w.model_name,
        version=w.version,
        key=w.key,
        old_value=w.old_value,
        new_value=w.new_value,
        request_id=w.request_id,
    )
