"""Trace routes (``/api/3.0/mlflow/traces...``): info, search, delete, tags, assessments."""

from __future__ import annotations

from typing import Any

from mltrail.entities import Trace, TraceData
from mltrail.exceptions import InvalidParameterValue
from mltrail.protocol import traces as wire
from mltrail.server.routing import RouteTable
from mltrail.service.services import Services

__all__ = ["routes"]

routes = RouteTable()


def _trace(info_wire: dict[str, Any]) -> dict[str, Any]:
    return {"trace": {"trace_info": info_wire}}


@routes.bind(wire.START_TRACE_V3)
def start_trace(req: wire.StartTraceV3, services: Services) -> dict[str, Any]:
    info = wire.trace_info_from_wire(req.trace.trace_info)
    stored = services.tracking.log_trace(Trace(info, TraceData([])))
    return _trace(wire.trace_info_to_wire(stored))


@routes.bind(wire.GET_TRACE_INFO_V3)
def get_trace_info(req: wire.TraceId, services: Services) -> dict[str, Any]:
    return _trace(wire.trace_info_to_wire(services.tracking.get_trace_info(req.trace_id)))


@routes.bind(wire.BATCH_GET_TRACE_INFOS)
def batch_get_trace_infos(req: wire.BatchGetTraceInfos, services: Services) -> dict[str, Any]:
    traces = services.tracking.batch_get_traces(req.trace_ids)
    return {"traces": [{"trace_info": wire.trace_info_to_wire(t.info)} for t in traces]}


def _experiment_ids(locations: list[dict[str, Any]]) -> list[str]:
    out = []
    for location in locations:
        experiment = (location.get("mlflow_experiment") or {}).get("experiment_id")
        if experiment in (None, ""):
            raise InvalidParameterValue(
                "SearchTracesV3 searches MLflow experiments: give locations as "
                '[{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "1"}}].'
            )
        out.append(str(experiment))
    return out


@routes.bind(wire.SEARCH_TRACES_V3)
def search_traces(req: wire.SearchTracesV3, services: Services) -> dict[str, Any]:
    page = services.tracking.search_traces(
        _experiment_ids(req.locations),
        req.filter or None,
        req.max_results or None,
        req.order_by or None,
        req.page_token or None,
    )
    return {"traces": [wire.trace_info_to_wire(i) for i in page], "next_page_token": page.token}


@routes.bind(wire.DELETE_TRACES_V3, wire.DELETE_TRACES)
def delete_traces(req: wire.DeleteTraces, services: Services) -> dict[str, Any]:
    deleted = services.tracking.delete_traces(
        req.experiment_id, req.max_timestamp_millis, req.max_traces, req.request_ids
    )
    return {"traces_deleted": deleted}


@routes.bind(wire.SET_TRACE_TAG_V3, wire.SET_TRACE_TAG)
def set_trace_tag(req: wire.SetTraceTag, services: Services) -> None:
    services.tracking.set_trace_tag(req.trace_id, req.key, req.value)


@routes.bind(wire.DELETE_TRACE_TAG_V3, wire.DELETE_TRACE_TAG)
def delete_trace_tag(req: wire.DeleteTraceTag, services: Services) -> None:
    services.tracking.delete_trace_tag(req.trace_id, req.key)


@routes.bind(wire.CREATE_ASSESSMENT)
def create_assessment(req: wire.CreateAssessment, services: Services) -> dict[str, Any]:
    assessment = wire.assessment_from_wire(req.assessment, req.trace_id)
    created = services.tracking.create_assessment(assessment)
    return {"assessment": wire.assessment_to_wire(created)}


@routes.bind(wire.GET_ASSESSMENT)
def get_assessment(req: wire.AssessmentId, services: Services) -> dict[str, Any]:
    found = services.tracking.get_assessment(req.trace_id, req.assessment_id)
    return {"assessment": wire.assessment_to_wire(found)}


@routes.bind(wire.UPDATE_ASSESSMENT)
def update_assessment(req: wire.UpdateAssessment, services: Services) -> dict[str, Any]:
    mask = {f.strip() for f in (req.update_mask or "").split(",") if f.strip()}
    changes = wire.assessment_from_wire(req.assessment, req.trace_id)
    data = req.assessment
    value_given = "feedback" in data or "expectation" in data
    updated = services.tracking.update_assessment(
        req.trace_id,
        req.assessment_id,
        name=changes.name if changes.name and (not mask or "assessment_name" in mask) else None,
        value=changes.value if value_given else ...,
        rationale=changes.rationale,
        metadata=changes.metadata,
    )
    return {"assessment": wire.assessment_to_wire(updated)}


@routes.bind(wire.DELETE_ASSESSMENT)
def delete_assessment(req: wire.AssessmentId, services: Services) -> None:
    services.tracking.delete_assessment(req.trace_id, req.assessment_id)
