"""LoggedModel persistence: rows, tags, params, metric points and search."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mltrail.entities import LoggedModel, Metric
from mltrail.search.filter import Comparison
from mltrail.store.sql.engine import Database
from mltrail.store.sql.metrics import decode_value, encode_value
from mltrail.store.sql.tables import (
    LoggedModelMetricRow,
    LoggedModelParamRow,
    LoggedModelRow,
    LoggedModelTagRow,
    ValueKind,
)

__all__ = [
    "ModelOrder",
    "delete_tag",
    "insert",
    "insert_metrics",
    "insert_params",
    "load",
    "search_ids",
    "set_tags",
    "stage_of",
    "update",
]

_MODELS = cast(sa.Table, LoggedModelRow.__table__)
_TAGS = cast(sa.Table, LoggedModelTagRow.__table__)
_PARAMS = cast(sa.Table, LoggedModelParamRow.__table__)
_METRICS = cast(sa.Table, LoggedModelMetricRow.__table__)

COLUMNS = {
    "model_id": _MODELS.c.model_id,
    "name": _MODELS.c.name,
    "model_type": _MODELS.c.model_type,
    "status": _MODELS.c.status,
    "source_run_id": _MODELS.c.source_run_id,
    "experiment_id": _MODELS.c.experiment_id,
    "creation_timestamp": _MODELS.c.creation_timestamp_ms,
    "last_updated_timestamp": _MODELS.c.last_updated_timestamp_ms,
}


def insert(session: Session, values: dict[str, Any]) -> None:
    """Insert a model row."""
    session.connection().execute(sa.insert(_MODELS).values(**values))


def update(session: Session, model_id: str, **values: Any) -> None:
    """Update columns of a model row."""
    session.connection().execute(
        sa.update(_MODELS).where(_MODELS.c.model_id == model_id).values(**values)
    )


def stage_of(session: Session, model_id: str) -> str | None:
    """The model's lifecycle stage, or None if it does not exist."""
    row = (
        session.connection()
        .execute(sa.select(_MODELS.c.lifecycle_stage).where(_MODELS.c.model_id == model_id))
        .first()
    )
    return None if row is None else str(row[0])


def set_tags(db: Database, session: Session, model_id: str, tags: dict[str, str]) -> None:
    """Insert or overwrite tags."""
    rows = [{"model_id": model_id, "key": k, "value": v} for k, v in tags.items()]
    db.upsert(session, _TAGS, rows, conflict=["model_id", "key"], update=["value"])


def delete_tag(session: Session, model_id: str, key: str) -> int:
    """Delete one tag; return how many rows went."""
    result = session.connection().execute(
        sa.delete(_TAGS).where(_TAGS.c.model_id == model_id, _TAGS.c.key == key)
    )
    return int(result.rowcount)


def params_of(session: Session, model_id: str, keys: Iterable[str]) -> dict[str, str]:
    """Stored values of some param keys."""
    rows = session.connection().execute(
        sa.select(_PARAMS.c.key, _PARAMS.c.value).where(
            _PARAMS.c.model_id == model_id, _PARAMS.c.key.in_(list(keys))
        )
    )
    return {k: v or "" for k, v in rows}


def insert_params(session: Session, model_id: str, params: dict[str, str]) -> None:
    """Insert params (the caller checked they are new)."""
    if params:
        session.connection().execute(
            sa.insert(_PARAMS),
            [{"model_id": model_id, "key": k, "value": v} for k, v in params.items()],
        )


def insert_metrics(
    db: Database, session: Session, model_id: str, metrics: Sequence[Metric]
) -> None:
    """Record metric points for a model (an identical point is stored once)."""
    rows = []
    for m in metrics:
        value, kind = encode_value(m.value)
        rows.append(
            {
                "model_id": model_id,
                "key": m.key,
                "step": m.step,
                "timestamp": m.timestamp,
                "run_id": m.run_id or "",
                "value": value,
                "kind": kind,
                "dataset_name": m.dataset_name,
                "dataset_digest": m.dataset_digest,
            }
        )
    db.insert_ignore(session, _METRICS, rows)


def load(session: Session, model_ids: Sequence[str]) -> list[LoggedModel]:
    """Load models with tags, params and metrics, in the order of ``model_ids``."""
    if not model_ids:
        return []
    conn = session.connection()
    ids = list(model_ids)
    models = {
        r.model_id: LoggedModel(
            experiment_id=str(r.experiment_id),
            model_id=r.model_id,
            name=r.name,
            artifact_location=r.artifact_location,
            creation_timestamp=r.creation_timestamp_ms,
            last_updated_timestamp=r.last_updated_timestamp_ms,
            model_type=r.model_type,
            source_run_id=r.source_run_id,
            status=r.status,
            status_message=r.status_message,
        )
        for r in conn.execute(sa.select(_MODELS).where(_MODELS.c.model_id.in_(ids)))
    }
    for mid, key, value in conn.execute(
        sa.select(_TAGS.c.model_id, _TAGS.c.key, _TAGS.c.value).where(_TAGS.c.model_id.in_(ids))
    ):
        models[mid].tags[key] = value or ""
    for mid, key, value in conn.execute(
        sa.select(_PARAMS.c.model_id, _PARAMS.c.key, _PARAMS.c.value).where(
            _PARAMS.c.model_id.in_(ids)
        )
    ):
        models[mid].params[key] = value or ""
    c = _METRICS.c
    for row in conn.execute(
        sa.select(
            c.model_id,
            c.key,
            c.value,
            c.kind,
            c.timestamp,
            c.step,
            c.run_id,
            c.dataset_name,
            c.dataset_digest,
        )
        .where(c.model_id.in_(ids))
        .order_by(c.model_id, c.key, c.step, c.timestamp)
    ):
        value = row.value if row.kind == ValueKind.FINITE else decode_value(row.value, row.kind)
        models[row.model_id].metrics.append(
            Metric(
                row.key,
                value,
                row.timestamp,
                row.step,
                row.dataset_name,
                row.dataset_digest,
                row.model_id,
                row.run_id or None,
            )
        )
    return [models[i] for i in ids if i in models]


class ModelOrder:
    """One ordering term: an attribute, or ``metrics.<key>`` (optionally on one dataset)."""

    def __init__(
        self,
        field: str,
        ascending: bool,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
    ) -> None:
        self.field = field
        self.ascending = ascending
        self.dataset_name = dataset_name
        self.dataset_digest = dataset_digest


def _latest_metric(key: str, name: str | None, digest: str | None) -> Any:
    """The model's latest point of a metric (by step, then time), as a scalar subquery."""
    c = _METRICS.c
    where = [c.model_id == _MODELS.c.model_id, c.key == key]
    if name is not None:
        where.append(c.dataset_name == name)
    if digest is not None:
        where.append(c.dataset_digest == digest)
    return (
        sa.select(c.value)
        .where(*where)
        .order_by(c.step.desc(), c.timestamp.desc())
        .limit(1)
        .correlate(_MODELS)
        .scalar_subquery()
    )


def _compare(column: Any, op: str, value: Any) -> sa.ColumnElement[bool]:
    ops = {
        "=": column.__eq__,
        "!=": column.__ne__,
        "<": column.__lt__,
        "<=": column.__le__,
        ">": column.__gt__,
        ">=": column.__ge__,
    }
    if op in ops:
        return cast(sa.ColumnElement[bool], ops[op](value))
    if op == "LIKE":
        return cast(sa.ColumnElement[bool], column.like(value))
    if op == "ILIKE":
        return cast(sa.ColumnElement[bool], sa.func.lower(column).like(str(value).lower()))
    if op == "IN":
        return cast(sa.ColumnElement[bool], column.in_(list(value)))
    if op == "NOT IN":
        return cast(sa.ColumnElement[bool], column.not_in(list(value)))
    raise ValueError(op)


def _clause(c: Comparison, datasets: Sequence[tuple[str, str | None]]) -> sa.ColumnElement[bool]:
    if c.entity == "metric":
        if datasets:
            terms = [_compare(_latest_metric(c.key, n, d), c.op, c.value) for n, d in datasets]
            return sa.or_(*terms)
        return _compare(_latest_metric(c.key, None, None), c.op, c.value)
    if c.entity in ("param", "tag"):
        table = _PARAMS if c.entity == "param" else _TAGS
        sub = (
            sa.select(table.c.value)
            .where(table.c.model_id == _MODELS.c.model_id, table.c.key == c.key)
            .correlate(_MODELS)
            .scalar_subquery()
        )
        return _compare(sub, c.op, c.value)
    column = COLUMNS[c.key]
    value = int(c.value) if isinstance(c.value, float) and c.key.endswith("timestamp") else c.value
    return _compare(column, c.op, value)


def search_ids(
    session: Session,
    experiment_ids: Sequence[int],
    comparisons: Sequence[Comparison],
    datasets: Sequence[tuple[str, str | None]],
    orders: Sequence[ModelOrder],
    limit: int,
    offset: int,
) -> list[str]:
    """Ids of active models matching a search, in order, one page."""
    stmt = sa.select(_MODELS.c.model_id).where(
        _MODELS.c.experiment_id.in_(list(experiment_ids)),
        _MODELS.c.lifecycle_stage == "active",
    )
    if comparisons:
        stmt = stmt.where(*(_clause(c, datasets) for c in comparisons))
    if datasets:
        c = _METRICS.c
        per_dataset = [
            sa.and_(c.dataset_name == n, *([c.dataset_digest == d] if d else []))
            for n, d in datasets
        ]
        stmt = stmt.where(
            sa.exists(
                sa.select(c.model_id).where(c.model_id == _MODELS.c.model_id, sa.or_(*per_dataset))
            )
        )
    terms: list[Any] = []
    for o in orders:
        if o.field.startswith("metrics."):
            col = _latest_metric(o.field[len("metrics.") :], o.dataset_name, o.dataset_digest)
            # Models without the metric go last whatever the direction.
            terms.append(sa.case((col.is_(None), 1), else_=0))
        else:
            col = COLUMNS[o.field]
        terms.append(col.asc() if o.ascending else col.desc())
    if not orders:
        terms.append(_MODELS.c.creation_timestamp_ms.desc())
    terms.append(_MODELS.c.model_id)
    stmt = stmt.order_by(*terms).limit(limit).offset(offset)
    return [str(r[0]) for r in session.connection().execute(stmt)]
