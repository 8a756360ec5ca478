"""The trace half of ``RestBackend``: MLflow 3's ``/api/3.0/mlflow/traces...`` calls.

A trace is written as MLflow's client writes it: ``StartTraceV3`` with the trace info, then
its spans as ``traces.json`` under the artifact location the server gives the trace
(``mlflow.artifactLocation``). Reading does the reverse, so traces logged by MLflow's own
client read back too. ``TraceCalls`` is a mixin of ``RestBackend`` (``_fetch``, ``_uri``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from mltrail.entities import (
    Assessment,
    PagedList,
    Span,
    Trace,
    TraceData,
    TraceInfo,
    TraceTagKey,
)
from mltrail.exceptions import MlflowException
from mltrail.protocol import traces as wire
from mltrail.protocol.endpoint import Endpoint
from mltrail.protocol.trace_data import (
    TRACE_DATA_FILE,
    spans_from_trace_data,
    spans_to_trace_data,
)
from mltrail.tracking.artifacts import repository_for

__all__ = ["TraceCalls"]

M = TypeVar("M", bound=BaseModel)


class TraceCalls:
    """Trace methods of the tracking API, over HTTP."""

    _uri: str

    def _fetch(
        self,
        endpoint: Endpoint,
        request: Mapping[str, Any],
        model: type[M],
        path: str | None = None,
    ) -> M:
        raise NotImplementedError  # provided by RestBackend

    def _info_call(self, endpoint: Endpoint, request: Mapping[str, Any]) -> TraceInfo:
        found = self._fetch(endpoint, request, wire.TraceResponse)
        if found.trace is None:
            raise MlflowException(f"{endpoint.name}: the server returned no trace.")
        return wire.trace_info_from_wire(found.trace.trace_info)

    def start_trace(self, trace_info: TraceInfo) -> TraceInfo:
        """Create (or overwrite) a trace's info on the server."""
        request = {"trace": {"trace_info": wire.trace_info_to_wire(trace_info)}}
        return self._info_call(wire.START_TRACE_V3, request)

    def log_trace(self, trace: Trace) -> TraceInfo:
        """Store a trace: its info, then its spans as the trace's ``traces.json``."""
        info = self.start_trace(trace.info)
        self.log_spans(info.trace_id, trace.data.spans, info)
        return info

    def log_traces(self, traces: Sequence[Trace]) -> None:
        """Store several traces (one call pair each)."""
        for trace in traces:
            self.log_trace(trace)

    def log_spans(
        self, trace_id: str, spans: Sequence[Span], info: TraceInfo | None = None
    ) -> None:
        """Write a trace's spans to its artifact location (replacing what was there)."""
        info = info or self.get_trace_info(trace_id)
        location = info.tags.get(TraceTagKey.ARTIFACT_LOCATION)
        if not location:
            raise MlflowException(
                f"Trace {trace_id} has no {TraceTagKey.ARTIFACT_LOCATION} tag: the server does "
                "not say where its span data goes. Use an MLflow 3 compatible server."
            )
        repo = repository_for(location, self._uri)
        repo.write_stream(TRACE_DATA_FILE, [spans_to_trace_data(list(spans))])

    def _spans(self, info: TraceInfo) -> list[Span]:
        location = info.tags.get(TraceTagKey.ARTIFACT_LOCATION)
        if not location:
            return []
        try:
            with repository_for(location, self._uri).open_read(TRACE_DATA_FILE) as stream:
                document = stream.read()
        except (MlflowException, OSError):
            return []  # an IN_PROGRESS trace, or one whose client never uploaded its spans
        return spans_from_trace_data(info.trace_id, document)

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        """A trace's info, with tags, metadata and assessments."""
        return self._info_call(wire.GET_TRACE_INFO_V3, {"trace_id": trace_id})

    def get_trace(self, trace_id: str) -> Trace:
        """A whole trace."""
        info = self.get_trace_info(trace_id)
        return Trace(info, TraceData(self._spans(info)))

    def batch_get_traces(self, trace_ids: Sequence[str]) -> list[Trace]:
        """Whole traces in the order given; unknown ids are skipped."""
        if not trace_ids:
            return []
        found = self._fetch(
            wire.BATCH_GET_TRACE_INFOS, {"trace_ids": list(trace_ids)}, wire.BatchTracesResponse
        )
        infos = [wire.trace_info_from_wire(t["trace_info"]) for t in found.traces]
        return [Trace(i, TraceData(self._spans(i))) for i in infos]

    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[TraceInfo]:
        """Trace infos matching MLflow's trace filter grammar."""
        locations = [
            {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": str(e)}}
            for e in experiment_ids
        ]
        request = {
            "locations": locations,
            "filter": filter_string,
            "max_results": max_results,
            "order_by": list(order_by or []),
            "page_token": page_token,
        }
        found = self._fetch(wire.SEARCH_TRACES_V3, request, wire.SearchTracesV3Response)
        infos = [wire.trace_info_from_wire(t) for t in found.traces]
        return PagedList(infos, found.next_page_token or None)

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        """Delete traces by id, or those older than a time; return how many went."""
        request = {
            "experiment_id": str(experiment_id),
            "max_timestamp_millis": max_timestamp_millis,
            "max_traces": max_traces,
            "request_ids": None if trace_ids is None else list(trace_ids),
        }
        found = self._fetch(wire.DELETE_TRACES_V3, request, wire.DeleteTracesResponse)
        return found.traces_deleted

    def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        """Set a tag on a trace."""
        self._fetch(
            wire.SET_TRACE_TAG_V3, {"trace_id": trace_id, "key": key, "value": value}, wire.Empty
        )

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """Delete a tag of a trace."""
        self._fetch(wire.DELETE_TRACE_TAG_V3, {"trace_id": trace_id, "key": key}, wire.Empty)

    def _assessment_call(self, endpoint: Endpoint, request: Mapping[str, Any]) -> Assessment:
        found = self._fetch(endpoint, request, wire.AssessmentResponse)
        if found.assessment is None:
            raise MlflowException(f"{endpoint.name}: the server returned no assessment.")
        return wire.assessment_from_wire(found.assessment)

    def create_assessment(self, assessment: Assessment) -> Assessment:
        """Log a feedback or expectation on a trace."""
        request = {
            "trace_id": assessment.trace_id,
            "assessment": wire.assessment_to_wire(assessment),
        }
        return self._assessment_call(wire.CREATE_ASSESSMENT, request)

    def get_assessment(self, trace_id: str, assessment_id: str) -> Assessment:
        """One assessment of a trace."""
        request = {"trace_id": trace_id, "assessment_id": assessment_id}
        return self._assessment_call(wire.GET_ASSESSMENT, request)

    def update_assessment(
        self,
        trace_id: str,
        assessment_id: str,
        name: str | None = None,
        value: Any = ...,
        rationale: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Assessment:
        """Change an assessment's name, value, rationale or metadata."""
        current = self.get_assessment(trace_id, assessment_id)
        body = wire.assessment_to_wire(current)
        mask = []
        if name is not None:
            body["assessment_name"] = name
            mask.append("assessment_name")
        if value is not ...:
            current.value = value
            kind_body = wire.assessment_to_wire(current)
            for key in ("feedback", "expectation"):
                body.pop(key, None)
                if key in kind_body:
                    body[key] = kind_body[key]
                    mask.append(key)
        if rationale is not None:
            body["rationale"] = rationale
            mask.append("rationale")
        if metadata is not None:
            body["metadata"] = {**(current.metadata or {}), **metadata}
            mask.append("metadata")
        request = {
            "trace_id": trace_id,
            "assessment_id": assessment_id,
            "assessment": body,
            "update_mask": ",".join(mask),
        }
        return self._assessment_call(wire.UPDATE_ASSESSMENT, request)

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        """Delete an assessment of a trace."""
        request = {"trace_id": trace_id, "assessment_id": assessment_id}
        self._fetch(wire.DELETE_ASSESSMENT, request, wire.Empty)
