"""Trace operations: log, get, search, delete, tags and assessments.

``TraceOperations`` is mixed into ``TrackingService`` so one backend object serves the whole
tracking API, locally and behind the server alike.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from mltrail.entities import (
    Assessment,
    AssessmentSourceType,
    Experiment,
    PagedList,
    Span,
    Trace,
    TraceData,
    TraceInfo,
    TraceState,
    TraceTagKey,
)
from mltrail.exceptions import InvalidParameterValue, ResourceDoesNotExist
from mltrail.search import tokens
from mltrail.search.traces import parse_trace_filter, parse_trace_order_by
from mltrail.service.artifact_uris import append_path
from mltrail.store.sql import traces as store
from mltrail.store.sql.engine import Database

__all__ = ["TraceOperations"]

SEARCH_DEFAULT = 100
SEARCH_MAX = 500
BATCH_GET_MAX = 100
_UNSET: Any = ...  # "value not given" (None is a valid value)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _check_trace_id(trace_id: str) -> None:
    if not isinstance(trace_id, str) or not trace_id or len(trace_id) > 50:
        raise InvalidParameterValue(
            f"Invalid trace id {str(trace_id)[:60]!r}: use the tr-<32 hex> id of a logged trace."
        )


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key or len(key) > 250:
        raise InvalidParameterValue(
            f"Invalid trace tag or metadata key {str(key)[:60]!r}: use 1 to 250 characters."
        )


def _locate(info: TraceInfo, exp: Experiment) -> None:
    """Give a new trace the artifact location MLflow clients upload its span data to."""
    if TraceTagKey.ARTIFACT_LOCATION not in info.tags:
        info.tags[TraceTagKey.ARTIFACT_LOCATION] = append_path(
            exp.artifact_location, "traces", info.trace_id, "artifacts"
        )


def _missing(trace_id: str) -> ResourceDoesNotExist:
    return ResourceDoesNotExist(
        f"Trace with ID '{trace_id}' not found; check the id (search_traces lists them)."
    )


class TraceOperations:
    """The trace half of the tracking service (expects ``db`` and ``_experiment``)."""

    db: Database

    def _experiment(self, session: Session, experiment_id: str) -> Experiment:
        raise NotImplementedError  # provided by TrackingService

    def _validate_info(self, info: TraceInfo) -> None:
        _check_trace_id(info.trace_id)
        if info.state not in TraceState.ALL:
            raise InvalidParameterValue(
                f"Invalid trace state {info.state!r}; use one of {list(TraceState.ALL)}."
            )
        for key in (*info.tags, *info.trace_metadata):
            _check_key(key)

    def start_trace(self, trace_info: TraceInfo) -> TraceInfo:
        """Create (or overwrite) a trace's info; tags and metadata merge with stored ones."""
        return self.log_trace(Trace(trace_info, TraceData([])))

    def log_trace(self, trace: Trace) -> TraceInfo:
        """Store a whole trace: its info and its spans."""
        self._validate_info(trace.info)
        with self.db.write() as session:
            exp = self._experiment(session, trace.info.experiment_id)
            _locate(trace.info, exp)
            store.write_trace(self.db, session, trace.info, trace.data.spans)
            return store.load_infos(session, [trace.info.trace_id])[0]

    def log_traces(self, traces: Sequence[Trace]) -> None:
        """Store many traces in one transaction (the exporter's batch call)."""
        for trace in traces:
            self._validate_info(trace.info)
        with self.db.write() as session:
            checked: dict[str, Experiment] = {}
            for trace in traces:
                exp_id = trace.info.experiment_id
                if exp_id not in checked:
                    checked[exp_id] = self._experiment(session, exp_id)
                exp = checked[exp_id]
                _locate(trace.info, exp)
                store.write_trace(self.db, session, trace.info, trace.data.spans)

    def log_spans(self, trace_id: str, spans: Sequence[Span]) -> None:
        """Add or replace spans of a stored trace."""
        with self.db.write() as session:
            info = self._info(session, trace_id)
            store.write_trace(self.db, session, info, spans)

    def _info(self, session: Session, trace_id: str) -> TraceInfo:
        _check_trace_id(trace_id)
        found = store.load_infos(session, [trace_id])
        if not found:
            raise _missing(trace_id)
        return found[0]

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        """A trace's info, with tags, metadata and assessments."""
        with self.db.read() as session:
            return self._info(session, trace_id)

    def get_trace(self, trace_id: str) -> Trace:
        """A whole trace."""
        found = self.batch_get_traces([trace_id])
        if not found:
            raise _missing(trace_id)
        return found[0]

    def batch_get_traces(self, trace_ids: Sequence[str]) -> list[Trace]:
        """Whole traces in the order given; unknown ids are skipped."""
        if len(trace_ids) > BATCH_GET_MAX:
            raise InvalidParameterValue(
                f"batch_get_traces takes at most {BATCH_GET_MAX} ids, got {len(trace_ids)}; "
                "split the call."
            )
        with self.db.read() as session:
            infos = store.load_infos(session, list(trace_ids))
            spans = store.load_spans(session, [i.trace_id for i in infos])
        return [Trace(i, TraceData(spans[i.trace_id])) for i in infos]

    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[TraceInfo]:
        """Trace infos matching MLflow's trace filter grammar, newest first by default."""
        if not experiment_ids:
            raise InvalidParameterValue("search_traces needs at least one experiment id.")
        limit = SEARCH_DEFAULT if max_results is None else int(max_results)
        if not 0 < limit <= SEARCH_MAX:
            raise InvalidParameterValue(
                f"Invalid max_results {max_results}: it must be between 1 and {SEARCH_MAX}."
            )
        conditions = parse_trace_filter(filter_string)
        order = parse_trace_order_by(order_by)
        offset = tokens.decode_page_token(page_token) if page_token else 0
        for experiment_id in experiment_ids:
            if not str(experiment_id).isdigit():
                raise InvalidParameterValue(
                    f"Invalid experiment id {experiment_id!r}: experiment ids are integers."
                )
        with self.db.read() as session:
            ids = store.search_ids(session, experiment_ids, conditions, order, offset, limit + 1)
            infos = store.load_infos(session, ids[:limit])
        token = tokens.encode_page_token(offset + limit) if len(ids) > limit else None
        return PagedList(infos, token)

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        """Delete traces by id, or those older than a time; return how many went."""
        if (trace_ids is None) == (max_timestamp_millis is None):
            raise InvalidParameterValue(
                "delete_traces needs exactly one of trace_ids or max_timestamp_millis."
            )
        if trace_ids is not None and max_traces is not None:
            raise InvalidParameterValue("max_traces applies only with max_timestamp_millis.")
        if max_traces is not None and max_traces <= 0:
            raise InvalidParameterValue(f"max_traces must be positive, got {max_traces}.")
        with self.db.write() as session:
            self._experiment(session, experiment_id)
            return store.delete_traces(
                session, experiment_id, trace_ids, max_timestamp_millis, max_traces
            )

    def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        """Set a tag on a trace."""
        _check_key(key)
        with self.db.write() as session:
            self._info(session, trace_id)
            store.set_tags(self.db, session, trace_id, {key: str(value)})

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """Delete a tag of a trace."""
        with self.db.write() as session:
            self._info(session, trace_id)
            if store.delete_tag(session, trace_id, key) == 0:
                raise ResourceDoesNotExist(
                    f"No tag with key {key!r} on trace '{trace_id}'; get_trace lists its tags."
                )

    # ----------------------------------------------------------------- assessments
    def create_assessment(self, assessment: Assessment) -> Assessment:
        """Log a feedback or expectation on a trace; overriding marks the old one invalid."""
        trace_id = str(assessment.trace_id or "")
        self._check_assessment(assessment)
        now = _now_ms()
        assessment.assessment_id = f"a-{uuid.uuid4().hex}"
        assessment.create_time_ms = assessment.create_time_ms or now
        assessment.last_update_time_ms = now
        with self.db.write() as session:
            self._info(session, trace_id)
            if assessment.overrides:
                old = self._assessment(session, trace_id, assessment.overrides)
                old.valid = False
                store.update_assessment(session, old)
            store.insert_assessment(session, assessment)
        return assessment

    def _check_assessment(self, a: Assessment) -> None:
        if not a.trace_id:
            raise InvalidParameterValue("An assessment needs the trace_id of the trace it rates.")
        if not a.name or len(a.name) > 250:
            raise InvalidParameterValue("An assessment needs a name of 1 to 250 characters.")
        if a.kind not in ("feedback", "expectation"):
            raise InvalidParameterValue("An assessment is a feedback or an expectation.")
        if a.source.source_type not in AssessmentSourceType.ALL:
            raise InvalidParameterValue(
                f"Invalid assessment source type {a.source.source_type!r}; use HUMAN, "
                "LLM_JUDGE or CODE."
            )

    def _assessment(self, session: Session, trace_id: str, assessment_id: str) -> Assessment:
        found = store.load_assessments(session, [trace_id], assessment_id)
        if not found:
            raise ResourceDoesNotExist(
                f"Assessment '{assessment_id}' not found on trace '{trace_id}'."
            )
        return found[0]

    def get_assessment(self, trace_id: str, assessment_id: str) -> Assessment:
        """One assessment of a trace."""
        with self.db.read() as session:
            return self._assessment(session, trace_id, assessment_id)

    def update_assessment(
        self,
        trace_id: str,
        assessment_id: str,
        name: str | None = None,
        value: Any = _UNSET,
        rationale: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Assessment:
        """Change an assessment's name, value, rationale or metadata."""
        with self.db.write() as session:
            a = self._assessment(session, trace_id, assessment_id)
            if name is not None:
                a.name = name
            if value is not _UNSET:
                a.value = value
            if rationale is not None:
                a.rationale = rationale
            if metadata is not None:
                a.metadata = {**(a.metadata or {}), **metadata}
            a.last_update_time_ms = _now_ms()
            self._check_assessment(a)
            store.update_assessment(session, a)
            return a

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        """Delete an assessment of a trace."""
        with self.db.write() as session:
            if store.delete_assessment(session, trace_id, assessment_id) == 0:
                raise ResourceDoesNotExist(
                    f"Assessment '{assessment_id}' not found on trace '{trace_id}'."
                )
