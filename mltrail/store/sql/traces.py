"""Trace persistence: trace info, tags, metadata, spans, assessments and search."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mltrail.entities import (
    Assessment,
    AssessmentError,
    AssessmentSource,
    Span,
    TraceInfo,
    TraceLocation,
    TraceMetadataKey,
    TraceTagKey,
)
from mltrail.search.traces import TraceCondition, TraceOrder
from mltrail.store.sql.engine import Database
from mltrail.store.sql.tables import (
    AssessmentRow,
    SpanRow,
    TraceInfoRow,
    TraceMetadataRow,
    TraceTagRow,
)

__all__ = [
    "delete_tag",
    "delete_traces",
    "insert_assessment",
    "load_assessments",
    "load_infos",
    "load_spans",
    "search_ids",
    "set_tags",
    "update_assessment",
    "write_trace",
]

_INFO = cast(sa.Table, TraceInfoRow.__table__)
_TAGS = cast(sa.Table, TraceTagRow.__table__)
_META = cast(sa.Table, TraceMetadataRow.__table__)
_SPANS = cast(sa.Table, SpanRow.__table__)
_ASSESS = cast(sa.Table, AssessmentRow.__table__)
_PREFIX = 250


def _kv_rows(trace_id: str, values: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"trace_id": trace_id, "key": k, "value": v, "value_prefix": v[:_PREFIX]}
        for k, v in values.items()
    ]


def set_tags(db: Database, session: Session, trace_id: str, tags: Mapping[str, str]) -> None:
    """Insert or overwrite tags of a trace."""
    db.upsert(
        session, _TAGS, _kv_rows(trace_id, tags), ["trace_id", "key"], ["value", "value_prefix"]
    )


def delete_tag(session: Session, trace_id: str, key: str) -> int:
    """Delete one tag; return how many rows went."""
    result = session.connection().execute(
        sa.delete(_TAGS).where(_TAGS.c.trace_id == trace_id, _TAGS.c.key == key)
    )
    return int(result.rowcount)


def exists(session: Session, trace_id: str) -> bool:
    """Whether a trace with this id is stored."""
    row = session.connection().execute(
        sa.select(_INFO.c.trace_id).where(_INFO.c.trace_id == trace_id)
    )
    return row.first() is not None


def write_trace(db: Database, session: Session, info: TraceInfo, spans: Sequence[Span]) -> None:
    """Store a trace: info columns overwrite, tags and metadata merge, spans replace by id."""
    conn = session.connection()
    values = {
        "trace_id": info.trace_id,
        "experiment_id": int(info.experiment_id),
        "request_time": info.request_time,
        "execution_duration": info.execution_duration,
        "state": info.state,
        "client_request_id": info.client_request_id,
        "request_preview": (info.request_preview or None) and info.request_preview[:1000],
        "response_preview": (info.response_preview or None) and info.response_preview[:1000],
    }
    db.upsert(session, _INFO, [values], ["trace_id"], [k for k in values if k != "trace_id"])
    set_tags(db, session, info.trace_id, info.tags)
    db.upsert(
        session,
        _META,
        _kv_rows(info.trace_id, info.trace_metadata),
        ["trace_id", "key"],
        ["value", "value_prefix"],
    )
    if spans:
        conn.execute(
            sa.delete(_SPANS).where(
                _SPANS.c.trace_id == info.trace_id,
                _SPANS.c.span_id.in_([s.span_id for s in spans]),
            )
        )
        conn.execute(
            sa.insert(_SPANS),
            [
                {
                    "trace_id": info.trace_id,
                    "span_id": s.span_id,
                    "parent_span_id": s.parent_id,
                    "name": s.name[:250],
                    "span_type": (s.span_type or None) and s.span_type[:100],
                    "status": s.status.status_code,
                    "start_time_ns": s.start_time_ns,
                    "end_time_ns": s.end_time_ns,
                    "content": s.to_json(),
                }
                for s in spans
            ],
        )


def _group(rows: Any) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for trace_id, key, value in rows:
        out.setdefault(trace_id, {})[key] = value or ""
    return out


def load_infos(session: Session, trace_ids: Sequence[str]) -> list[TraceInfo]:
    """Trace infos (with tags, metadata and assessments) in the order of ``trace_ids``."""
    if not trace_ids:
        return []
    conn = session.connection()
    ids = list(dict.fromkeys(trace_ids))
    rows = {r.trace_id: r for r in conn.execute(sa.select(_INFO).where(_INFO.c.trace_id.in_(ids)))}
    cols = (_TAGS.c.trace_id, _TAGS.c.key, _TAGS.c.value)
    tags = _group(conn.execute(sa.select(*cols).where(_TAGS.c.trace_id.in_(ids))))
    mcols = (_META.c.trace_id, _META.c.key, _META.c.value)
    meta = _group(conn.execute(sa.select(*mcols).where(_META.c.trace_id.in_(ids))))
    assessments: dict[str, list[Assessment]] = {}
    for a in load_assessments(session, ids):
        assessments.setdefault(str(a.trace_id), []).append(a)
    out = []
    for trace_id in ids:
        row = rows.get(trace_id)
        if row is None:
            continue
        out.append(
            TraceInfo(
                trace_id,
                TraceLocation.from_experiment_id(str(row.experiment_id)),
                int(row.request_time),
                str(row.state),
                row.request_preview,
                row.response_preview,
                row.client_request_id,
                None if row.execution_duration is None else int(row.execution_duration),
                meta.get(trace_id, {}),
                tags.get(trace_id, {}),
                assessments.get(trace_id, []),
            )
        )
    return out


def load_spans(session: Session, trace_ids: Sequence[str]) -> dict[str, list[Span]]:
    """Spans of each trace, ordered by start time."""
    out: dict[str, list[Span]] = {t: [] for t in trace_ids}
    if not trace_ids:
        return out
    stmt = (
        sa.select(_SPANS.c.trace_id, _SPANS.c.content)
        .where(_SPANS.c.trace_id.in_(list(trace_ids)))
        .order_by(_SPANS.c.trace_id, _SPANS.c.start_time_ns, _SPANS.c.span_id)
    )
    for trace_id, content in session.connection().execute(stmt):
        out[trace_id].append(Span.from_dict(json.loads(content)))
    return out


def _string_clause(column: Any, op: str, value: Any) -> sa.ColumnElement[bool]:
    if op == "=":
        return cast(sa.ColumnElement[bool], column == value)
    if op == "!=":
        return cast(sa.ColumnElement[bool], column != value)
    if op == "LIKE":
        return cast(sa.ColumnElement[bool], column.like(value))
    if op == "ILIKE":
        return cast(sa.ColumnElement[bool], sa.func.lower(column).like(str(value).lower()))
    if op == "IN":
        return cast(sa.ColumnElement[bool], column.in_(list(value)))
    return cast(sa.ColumnElement[bool], column.not_in(list(value)))


def _numeric_clause(column: Any, op: str, value: Any) -> sa.ColumnElement[bool]:
    ops = {
        "=": column == value,
        "!=": column != value,
        ">": column > value,
        ">=": column >= value,
        "<": column < value,
        "<=": column <= value,
    }
    return cast(sa.ColumnElement[bool], ops[op])


def _kv_exists(table: sa.Table, key: str, op: str, value: Any) -> sa.ColumnElement[bool]:
    column = table.c.value_prefix if op in ("=", "IN") else table.c.value
    if op in ("=", "IN") and any(len(v) > _PREFIX for v in ([value] if op == "=" else value)):
        column = table.c.value
    return sa.exists().where(
        table.c.trace_id == _INFO.c.trace_id,
        table.c.key == key,
        _string_clause(column, op, value),
    )


def _condition(c: TraceCondition) -> sa.ColumnElement[bool]:
    if c.entity == "tag":
        return _kv_exists(_TAGS, c.key, c.op, c.value)
    if c.entity == "metadata":
        return _kv_exists(_META, c.key, c.op, c.value)
    if c.entity == "span":
        return sa.exists().where(
            _SPANS.c.trace_id == _INFO.c.trace_id,
            _string_clause(_SPANS.c[c.key], c.op, c.value),
        )
    if c.key == "name":
        return _kv_exists(_TAGS, TraceTagKey.TRACE_NAME, c.op, c.value)
    if c.key == "run_id":
        return _kv_exists(_META, TraceMetadataKey.SOURCE_RUN, c.op, c.value)
    if c.key == "model_id":
        return _kv_exists(_META, TraceMetadataKey.MODEL_ID, c.op, c.value)
    if c.key == "end_time":
        end = _INFO.c.request_time + sa.func.coalesce(_INFO.c.execution_duration, 0)
        return _numeric_clause(end, c.op, int(cast(float, c.value)))
    if isinstance(c.value, float):
        return _numeric_clause(_INFO.c[c.key], c.op, int(c.value))
    return _string_clause(_INFO.c[c.key], c.op, c.value)


def search_ids(
    session: Session,
    experiment_ids: Sequence[str],
    conditions: Sequence[TraceCondition],
    order: Sequence[TraceOrder],
    offset: int,
    limit: int,
) -> list[str]:
    """Ids of matching traces in order, ``limit`` of them from ``offset``."""
    stmt = sa.select(_INFO.c.trace_id).where(
        _INFO.c.experiment_id.in_([int(e) for e in experiment_ids]),
        *[_condition(c) for c in conditions],
    )
    keys = [(_INFO.c[o.key].asc() if o.ascending else _INFO.c[o.key].desc()) for o in order]
    if not order:
        keys = [_INFO.c.request_time.desc()]
    stmt = stmt.order_by(*keys, _INFO.c.trace_id).offset(offset).limit(limit)
    return [r[0] for r in session.connection().execute(stmt)]


def delete_traces(
    session: Session,
    experiment_id: str,
    trace_ids: Sequence[str] | None,
    max_timestamp_millis: int | None,
    max_traces: int | None,
) -> int:
    """Delete traces of an experiment by id, or older than a time (oldest first, capped)."""
    conn = session.connection()
    where = [_INFO.c.experiment_id == int(experiment_id)]
    if trace_ids is not None:
        where.append(_INFO.c.trace_id.in_(list(trace_ids)))
    if max_timestamp_millis is not None:
        where.append(_INFO.c.request_time <= max_timestamp_millis)
    stmt = sa.select(_INFO.c.trace_id).where(*where).order_by(_INFO.c.request_time)
    if max_traces is not None:
        stmt = stmt.limit(max_traces)
    ids = [r[0] for r in conn.execute(stmt)]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for table in (_ASSESS, _SPANS, _META, _TAGS, _INFO):
            conn.execute(sa.delete(table).where(table.c.trace_id.in_(chunk)))
    return len(ids)


def _assessment_values(a: Assessment) -> dict[str, Any]:
    error = None
    if a.error is not None:
        error = json.dumps(
            {
                "error_code": a.error.error_code,
                "error_message": a.error.error_message,
                "stack_trace": a.error.stack_trace,
            }
        )
    return {
        "name": a.name,
        "kind": a.kind,
        "value": json.dumps(a.value, default=str),
        "source_type": a.source.source_type,
        "source_id": a.source.source_id,
        "span_id": a.span_id,
        "run_id": a.run_id,
        "rationale": a.rationale,
        "error": error,
        "assessment_metadata": None if a.metadata is None else json.dumps(a.metadata),
        "overrides": a.overrides,
        "valid": a.valid,
        "create_time_ms": a.create_time_ms,
        "last_update_time_ms": a.last_update_time_ms,
    }


def insert_assessment(session: Session, a: Assessment) -> None:
    """Insert an assessment (its id, trace id and times already set)."""
    values = _assessment_values(a)
    values.update(assessment_id=a.assessment_id, trace_id=a.trace_id)
    session.connection().execute(sa.insert(_ASSESS).values(**values))


def update_assessment(session: Session, a: Assessment) -> None:
    """Overwrite an assessment's columns."""
    session.connection().execute(
        sa.update(_ASSESS)
        .where(_ASSESS.c.assessment_id == a.assessment_id)
        .values(**_assessment_values(a))
    )


def delete_assessment(session: Session, trace_id: str, assessment_id: str) -> int:
    """Delete one assessment; return how many rows went."""
    result = session.connection().execute(
        sa.delete(_ASSESS).where(
            _ASSESS.c.trace_id == trace_id, _ASSESS.c.assessment_id == assessment_id
        )
    )
    return int(result.rowcount)


def _assessment(row: Any) -> Assessment:
    err = json.loads(row.error) if row.error else None
    return Assessment(
        row.name,
        AssessmentSource(row.source_type, row.source_id),
        trace_id=row.trace_id,
        run_id=row.run_id,
        rationale=row.rationale,
        metadata=json.loads(row.assessment_metadata) if row.assessment_metadata else None,
        span_id=row.span_id,
        create_time_ms=int(row.create_time_ms),
        last_update_time_ms=int(row.last_update_time_ms),
        assessment_id=row.assessment_id,
        error=None if err is None else AssessmentError(**err),
        kind=row.kind,
        value=None if row.value is None else json.loads(row.value),
        overrides=row.overrides,
        valid=bool(row.valid),
    )


def load_assessments(
    session: Session, trace_ids: Sequence[str], assessment_id: str | None = None
) -> list[Assessment]:
    """Assessments of traces (or one of them), oldest first."""
    stmt = sa.select(_ASSESS).where(_ASSESS.c.trace_id.in_(list(trace_ids)))
    if assessment_id is not None:
        stmt = stmt.where(_ASSESS.c.assessment_id == assessment_id)
    stmt = stmt.order_by(_ASSESS.c.create_time_ms, _ASSESS.c.assessment_id)
    return [_assessment(r) for r in session.connection().execute(stmt)]
