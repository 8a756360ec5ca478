"""Wire models and conversions of MLflow 3's trace routes (``/api/3.0/mlflow/traces...``).

Trace info travels as MLflow's ``TraceInfoV3`` JSON: times as RFC 3339 timestamps and
``"0.048s"`` durations, tags and metadata as maps, assessments inline. Span data does not travel
here: like MLflow, the client stores it as ``traces.json`` under the trace's artifact location.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import Field

from mltrail.entities import (
    Assessment,
    AssessmentError,
    AssessmentSource,
    TraceInfo,
    TraceLocation,
)
from mltrail.exceptions import InvalidParameterValue
from mltrail.protocol.codec import IdStr, WireModel
from mltrail.protocol.endpoint import Endpoint, Permission, Resource

__all__ = [
    "ENDPOINTS",
    "assessment_from_wire",
    "assessment_to_wire",
    "trace_info_from_wire",
    "trace_info_to_wire",
]

R, E = Permission.READ, Permission.EDIT
EXP = Resource.EXPERIMENT
_P = "/mlflow/traces"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# ------------------------------------------------------------------------------ times
def timestamp_to_wire(ms: int | None) -> str | None:
    """Milliseconds since the epoch as an RFC 3339 timestamp (``...T07:59:22.348Z``)."""
    if ms is None:
        return None
    moment = _EPOCH + dt.timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def timestamp_from_wire(value: Any) -> int | None:
    """An RFC 3339 timestamp (or a number of milliseconds) as milliseconds since the epoch."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameterValue(
            f"Invalid timestamp {value!r}: use RFC 3339 such as '2026-01-01T00:00:00.000Z'."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // dt.timedelta(milliseconds=1)


def duration_to_wire(ms: int | None) -> str | None:
    """Milliseconds as a protobuf JSON duration (``"0.048s"``)."""
    return None if ms is None else f"{ms / 1000:.3f}s"


def duration_from_wire(value: Any) -> int | None:
    """A protobuf JSON duration (``"0.048s"``) or milliseconds, as milliseconds."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value)
    try:
        return round(float(text[:-1]) * 1000) if text.endswith("s") else int(text)
    except ValueError:
        raise InvalidParameterValue(f"Invalid duration {value!r}: use '1.5s'.") from None


# ------------------------------------------------------------------------------ assessments
def assessment_to_wire(a: Assessment) -> dict[str, Any]:
    """An assessment as MLflow's ``Assessment`` JSON."""
    out: dict[str, Any] = {
        "assessment_id": a.assessment_id,
        "assessment_name": a.name,
        "trace_id": a.trace_id,
        "span_id": a.span_id,
        "source": {"source_type": a.source.source_type, "source_id": a.source.source_id},
        "create_time": timestamp_to_wire(a.create_time_ms),
        "last_update_time": timestamp_to_wire(a.last_update_time_ms),
        "rationale": a.rationale,
        "metadata": a.metadata,
        "run_id": a.run_id,
        "overrides": a.overrides,
        "valid": a.valid,
    }
    if a.kind == "expectation":
        if isinstance(a.value, dict | list):
            # MLflow sends structured expectations JSON-serialised, and reads them back so.
            serialized = {"serialization_format": "JSON_FORMAT", "value": json.dumps(a.value)}
            out["expectation"] = {"serialized_value": serialized}
        else:
            out["expectation"] = {"value": a.value}
    else:
        feedback: dict[str, Any] = {"value": a.value}
        if a.error is not None:
            feedback["error"] = {
                "error_code": a.error.error_code,
                "error_message": a.error.error_message,
                "stack_trace": a.error.stack_trace,
            }
        out["feedback"] = feedback
    return out


def assessment_from_wire(data: dict[str, Any], trace_id: str | None = None) -> Assessment:
    """MLflow's ``Assessment`` JSON as an entity."""
    source = data.get("source") or {}
    kind, body = "feedback", data.get("feedback")
    if body is None and data.get("expectation") is not None:
        kind, body = "expectation", data["expectation"]
    body = body or {}
    value = body.get("value")
    serialized = body.get("serialized_value")
    if value is None and isinstance(serialized, dict):
        value = serialized.get("value")
        if serialized.get("serialization_format") == "JSON_FORMAT" and isinstance(value, str):
            value = json.loads(value)
    error = body.get("error")
    valid = data.get("valid")
    return Assessment(
        str(data.get("assessment_name") or ""),
        AssessmentSource(
            str(source.get("source_type") or "SOURCE_TYPE_UNSPECIFIED"), source.get("source_id")
        ),
        trace_id=data.get("trace_id") or trace_id,
        run_id=data.get("run_id"),
        rationale=data.get("rationale"),
        metadata=data.get("metadata"),
        span_id=data.get("span_id"),
        create_time_ms=timestamp_from_wire(data.get("create_time")),
        last_update_time_ms=timestamp_from_wire(data.get("last_update_time")),
        assessment_id=data.get("assessment_id"),
        error=None if not error else AssessmentError(**error),
        kind=kind,
        value=value,
        overrides=data.get("overrides"),
        valid=True if valid is None else bool(valid),
    )


# ------------------------------------------------------------------------------ trace info
def trace_info_to_wire(info: TraceInfo) -> dict[str, Any]:
    """A TraceInfo as MLflow's ``TraceInfoV3`` JSON."""
    return {
        "trace_id": info.trace_id,
        "client_request_id": info.client_request_id,
        "trace_location": {
            "type": info.trace_location.type,
            "mlflow_experiment": {"experiment_id": info.experiment_id},
        },
        "request_preview": info.request_preview,
        "response_preview": info.response_preview,
        "request_time": timestamp_to_wire(info.request_time),
        "execution_duration": duration_to_wire(info.execution_duration),
        "state": info.state,
        "trace_metadata": info.trace_metadata,
        "tags": info.tags,
        "assessments": [assessment_to_wire(a) for a in info.assessments],
    }


def trace_info_from_wire(data: dict[str, Any]) -> TraceInfo:
    """MLflow's ``TraceInfoV3`` JSON as an entity."""
    location = data.get("trace_location") or {}
    experiment = (location.get("mlflow_experiment") or {}).get("experiment_id")
    if experiment in (None, ""):
        raise InvalidParameterValue(
            "trace_info.trace_location.mlflow_experiment.experiment_id is required: traces "
            "are stored in an experiment."
        )
    trace_id = str(data.get("trace_id") or "")
    return TraceInfo(
        trace_id,
        TraceLocation.from_experiment_id(str(experiment)),
        timestamp_from_wire(data.get("request_time")) or 0,
        str(data.get("state") or "STATE_UNSPECIFIED"),
        data.get("request_preview"),
        data.get("response_preview"),
        data.get("client_request_id"),
        duration_from_wire(data.get("execution_duration")),
        {str(k): str(v) for k, v in (data.get("trace_metadata") or {}).items()},
        {str(k): str(v) for k, v in (data.get("tags") or {}).items()},
        [assessment_from_wire(a, trace_id) for a in data.get("assessments") or []],
    )


# ------------------------------------------------------------------------------ wire models
class WireTrace(WireModel):
    trace_info: dict[str, Any]


class StartTraceV3(WireModel):
    trace: WireTrace

    @property
    def experiment_id(self) -> str | None:
        """The experiment the trace is logged to (what authorization checks)."""
        location = self.trace.trace_info.get("trace_location") or {}
        value = (location.get("mlflow_experiment") or {}).get("experiment_id")
        return None if value is None else str(value)


class TraceResponse(WireModel):
    trace: WireTrace | None = None


class TraceId(WireModel):
    trace_id: str


class BatchGetTraces(WireModel):
    trace_ids: list[str] = Field(default_factory=list)


class BatchGetTraceInfos(WireModel):
    trace_ids: list[str] = Field(default_factory=list)


class BatchTracesResponse(WireModel):
    traces: list[dict[str, Any]] = Field(default_factory=list)


class SearchTracesV3(WireModel):
    locations: list[dict[str, Any]] = Field(default_factory=list)
    filter: str | None = None
    max_results: int | None = None
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None

    @property
    def experiment_ids(self) -> list[str]:
        """The experiments searched (what authorization checks)."""
        out = []
        for location in self.locations:
            value = (location.get("mlflow_experiment") or {}).get("experiment_id")
            if value is not None:
                out.append(str(value))
        return out


class SearchTracesV3Response(WireModel):
    traces: list[dict[str, Any]] = Field(default_factory=list)
    next_page_token: str | None = None


class DeleteTraces(WireModel):
    experiment_id: IdStr
    max_timestamp_millis: int | None = None
    max_traces: int | None = None
    request_ids: list[str] | None = None


class DeleteTracesResponse(WireModel):
    traces_deleted: int = 0


class SetTraceTag(WireModel):
    trace_id: str
    key: str
    value: str = ""


class DeleteTraceTag(WireModel):
    trace_id: str
    key: str


class Empty(WireModel):
    pass


class CreateAssessment(WireModel):
    trace_id: str | None = None
    assessment: dict[str, Any]


class AssessmentId(WireModel):
    trace_id: str
    assessment_id: str


class UpdateAssessment(WireModel):
    trace_id: str
    assessment_id: str
    assessment: dict[str, Any]
    update_mask: str | None = None


class AssessmentResponse(WireModel):
    assessment: dict[str, Any] | None = None


TRACE = Resource.TRACE
START_TRACE_V3 = Endpoint(
    "StartTraceV3", "POST", _P, StartTraceV3, TraceResponse, 3, E, EXP, "experiment_id"
)
GET_TRACE_INFO_V3 = Endpoint(
    "GetTraceInfoV3", "GET", _P + "/{trace_id}", TraceId, TraceResponse, 3, R, TRACE, "trace_id"
)
BATCH_GET_TRACE_INFOS = Endpoint(
    "BatchGetTraceInfos",
    "POST",
    _P + "/batchGetInfos",
    BatchGetTraceInfos,
    BatchTracesResponse,
    3,
    R,
    TRACE,
    "trace_ids",
)
SEARCH_TRACES_V3 = Endpoint(
    "SearchTracesV3",
    "POST",
    _P + "/search",
    SearchTracesV3,
    SearchTracesV3Response,
    3,
    R,
    EXP,
    "experiment_ids",
)
DELETE_TRACES_V3 = Endpoint(
    "DeleteTracesV3",
    "POST",
    _P + "/delete-traces",
    DeleteTraces,
    DeleteTracesResponse,
    3,
    E,
    EXP,
    "experiment_id",
)
DELETE_TRACES = Endpoint(
    "DeleteTraces",
    "POST",
    _P + "/delete-traces",
    DeleteTraces,
    DeleteTracesResponse,
    2,
    E,
    EXP,
    "experiment_id",
)
_TAGS = _P + "/{trace_id}/tags"
SET_TRACE_TAG_V3 = Endpoint(
    "SetTraceTagV3", "PATCH", _TAGS, SetTraceTag, Empty, 3, E, TRACE, "trace_id"
)
DELETE_TRACE_TAG_V3 = Endpoint(
    "DeleteTraceTagV3", "DELETE", _TAGS, DeleteTraceTag, Empty, 3, E, TRACE, "trace_id"
)
SET_TRACE_TAG = Endpoint("SetTraceTag", "PATCH", _TAGS, SetTraceTag, Empty, 2, E, TRACE, "trace_id")
DELETE_TRACE_TAG = Endpoint(
    "DeleteTraceTag", "DELETE", _TAGS, DeleteTraceTag, Empty, 2, E, TRACE, "trace_id"
)
CREATE_ASSESSMENT = Endpoint(
    "CreateAssessment",
    "POST",
    _P + "/{trace_id}/assessments",
    CreateAssessment,
    AssessmentResponse,
    3,
    E,
    TRACE,
    "trace_id",
)
GET_ASSESSMENT = Endpoint(
    "GetAssessment",
    "GET",
    _P + "/{trace_id}/assessments/{assessment_id}",
    AssessmentId,
    AssessmentResponse,
    3,
    R,
    TRACE,
    "trace_id",
)
UPDATE_ASSESSMENT = Endpoint(
    "UpdateAssessment",
    "PATCH",
    _P + "/{trace_id}/assessments/{assessment_id}",
    UpdateAssessment,
    AssessmentResponse,
    3,
    E,
    TRACE,
    "trace_id",
)
DELETE_ASSESSMENT = Endpoint(
    "DeleteAssessment",
    "DELETE",
    _P + "/{trace_id}/assessments/{assessment_id}",
    AssessmentId,
    Empty,
    3,
    E,
    TRACE,
    "trace_id",
)

ENDPOINTS: tuple[Endpoint, ...] = (
    START_TRACE_V3,
    GET_TRACE_INFO_V3,
    BATCH_GET_TRACE_INFOS,
    SEARCH_TRACES_V3,
    DELETE_TRACES_V3,
    DELETE_TRACES,
    SET_TRACE_TAG_V3,
    DELETE_TRACE_TAG_V3,
    SET_TRACE_TAG,
    DELETE_TRACE_TAG,
    CREATE_ASSESSMENT,
    GET_ASSESSMENT,
    UPDATE_ASSESSMENT,
    DELETE_ASSESSMENT,
)
