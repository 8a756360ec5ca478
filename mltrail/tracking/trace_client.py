"""TraceClient: MLflow's trace methods of ``MlflowClient`` (read, search, tags, assessments).

Traces themselves are written by ``mltrail.tracing``'s background exporter; these methods read
and annotate them through the tracking URI's backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from mltrail.entities import Assessment, PagedList, Trace, TraceData, TraceInfo
from mltrail.service.api import TraceAPI
from mltrail.tracking import backends

__all__ = ["TraceClient"]

_BATCH = 100


class TraceClient:
    """The trace part of ``MlflowClient`` (expects ``_tracking_uri``)."""

    _tracking_uri: str

    @property
    def _traces(self) -> TraceAPI:
        return cast(TraceAPI, backends.get_backend(self._tracking_uri))

    def get_trace(self, trace_id: str) -> Trace:
        """Return a whole trace (info and spans).

        Raises:
            MlflowException: ``RESOURCE_DOES_NOT_EXIST`` for an unknown id.
        """
        return self._traces.get_trace(trace_id)

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        """Return a trace's info (tags, metadata, assessments), without its spans."""
        return self._traces.get_trace_info(trace_id)

    def search_traces(
        self,
        experiment_ids: Sequence[str] | None = None,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        run_id: str | None = None,
        include_spans: bool = True,
        model_id: str | None = None,
        locations: Sequence[str] | None = None,
    ) -> PagedList[Trace]:
        """Search traces with MLflow's trace filter grammar; one page of whole traces.

        Args:
            experiment_ids: Experiments to search (``locations`` is a synonym).
            filter_string: e.g. ``"tags.env = 'prod' AND trace.status = 'OK'"``.
            max_results: Page size.
            order_by: e.g. ``["timestamp_ms DESC"]``.
            page_token: ``token`` of the previous page.
            run_id: Only traces recorded in this run.
            include_spans: Load spans too (otherwise spans are empty).
            model_id: Only traces of this LoggedModel.
            locations: Alias of ``experiment_ids``.
        """
        ids = [str(e) for e in (experiment_ids or locations or [])]
        filters = [filter_string] if filter_string else []
        if run_id:
            filters.append(f"metadata.`mlflow.sourceRun` = '{run_id}'")
        if model_id:
            filters.append(f"metadata.`mlflow.modelId` = '{model_id}'")
        infos = self._traces.search_traces(
            ids, " AND ".join(filters) or None, max_results, order_by, page_token
        )
        if not include_spans:
            return PagedList([Trace(i, TraceData([])) for i in infos], infos.token)
        traces: list[Trace] = []
        trace_ids = [i.trace_id for i in infos]
        for start in range(0, len(trace_ids), _BATCH):
            traces += self._traces.batch_get_traces(trace_ids[start : start + _BATCH])
        return PagedList(traces, infos.token)

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        """Delete traces by id, or those older than a time; return how many went."""
        return self._traces.delete_traces(
            str(experiment_id), max_timestamp_millis, max_traces, trace_ids
        )

    def set_trace_tag(self, trace_id: str, key: str, value: Any) -> None:
        """Set a tag on a trace."""
        self._traces.set_trace_tag(trace_id, key, str(value))

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """Delete a tag of a trace."""
        self._traces.delete_trace_tag(trace_id, key)

    def log_assessment(self, trace_id: str, assessment: Assessment) -> Assessment:
        """Log a Feedback or Expectation on a trace; returns it with its id."""
        assessment.trace_id = trace_id
        return self._traces.create_assessment(assessment)

    def get_assessment(self, trace_id: str, assessment_id: str) -> Assessment:
        """Return one assessment of a trace."""
        return self._traces.get_assessment(trace_id, assessment_id)

    def update_assessment(
        self, trace_id: str, assessment_id: str, assessment: Assessment
    ) -> Assessment:
        """Change an assessment's name, value, rationale and metadata to ``assessment``'s."""
        return self._traces.update_assessment(
            trace_id,
            assessment_id,
            name=assessment.name,
            value=assessment.value,
            rationale=assessment.rationale,
            metadata=assessment.metadata,
        )

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        """Delete an assessment of a trace."""
        self._traces.delete_assessment(trace_id, assessment_id)
