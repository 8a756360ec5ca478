"""Metric points: bulk append, latest-value upkeep, history reads."""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session

from mltrail.entities import Metric
from mltrail.store.sql.tables import LatestMetricRow, MetricRow, ValueKind

__all__ = [
    "decode_value",
    "encode_value",
    "history",
    "history_bulk_interval",
    "latest_for_runs",
    "latest_upsert",
]

_DBL_MAX = 1.7976931348623157e308
_METRICS = cast(sa.Table, MetricRow.__table__)
_LATEST = cast(sa.Table, LatestMetricRow.__table__)


def encode_value(value: float) -> tuple[float, int]:
    """Split a float into the stored stand-in and its ``ValueKind``."""
    if math.isfinite(value):
        if value == 0.0 and math.copysign(1.0, value) < 0:
            return 0.0, ValueKind.NEG_ZERO
        return value, ValueKind.FINITE
    if math.isnan(value):
        return 0.0, ValueKind.NAN
    return (_DBL_MAX, ValueKind.POS_INF) if value > 0 else (-_DBL_MAX, ValueKind.NEG_INF)


def decode_value(value: float, kind: int) -> float:
    """Restore the exact float from its stored stand-in and kind."""
    if kind == ValueKind.FINITE:
        return float(value)
    if kind == ValueKind.NAN:
        return math.nan
    if kind == ValueKind.NEG_ZERO:
        return -0.0
    return math.inf if kind == ValueKind.POS_INF else -math.inf


def latest_upsert(dialect: str) -> Any:
    """Build the statement that keeps ``latest_metrics`` at each key's greatest point.

    The new row wins when (step, timestamp, value) is greater than the stored one. On MySQL the
    condition is written into each assignment; assignments run left to right and see earlier
    ones, so the columns that the condition reads are assigned last, value before timestamp
    before step, which leaves the condition's outcome unchanged for the remaining columns.
    """
    if dialect in ("mysql", "mariadb"):
        stmt_m = mysql.insert(_LATEST)
        new = stmt_m.inserted
        old = _LATEST.c
        wins = sa.or_(
            new.step > old.step,
            sa.and_(new.step == old.step, new.timestamp > old.timestamp),
            sa.and_(new.step == old.step, new.timestamp == old.timestamp, new.value > old.value),
        )
        order = ["kind", "model_id", "dataset_name", "dataset_digest", "value", "timestamp", "step"]
        return stmt_m.on_duplicate_key_update(
            [(name, sa.func.IF(wins, new[name], old[name])) for name in order]
        )
    insert = postgresql.insert if dialect == "postgresql" else sqlite_dialect.insert
    stmt = insert(_LATEST)
    excluded = stmt.excluded
    old = _LATEST.c
    return stmt.on_conflict_do_update(
        index_elements=["run_uuid", "key"],
        set_={
            name: excluded[name]
            for name in (
                "value",
                "kind",
                "step",
                "timestamp",
                "model_id",
                "dataset_name",
                "dataset_digest",
            )
        },
        where=sa.or_(
            excluded.step > old.step,
            sa.and_(excluded.step == old.step, excluded.timestamp > old.timestamp),
            sa.and_(
                excluded.step == old.step,
                excluded.timestamp == old.timestamp,
                excluded.value > old.value,
            ),
        ),
    )


def _to_metric(row: Any, run_id: str | None = None) -> Metric:
    return Metric(
        row.key,
        decode_value(row.value, row.kind),
        row.timestamp,
        row.step,
        row.dataset_name,
        row.dataset_digest,
        row.model_id,
        run_id if run_id is not None else row.run_uuid,
    )


def latest_for_runs(session: Session, run_ids: Iterable[str]) -> dict[str, list[Metric]]:
    """Return the latest point of every metric of each run."""
    ids = list(run_ids)
    out: dict[str, list[Metric]] = {run_id: [] for run_id in ids}
    if not ids:
        return out
    rows = session.connection().execute(
        sa.select(_LATEST).where(_LATEST.c.run_uuid.in_(ids)).order_by(_LATEST.c.key)
    )
    for row in rows:
        out[row.run_uuid].append(_to_metric(row))
    return out


# A limit larger than any history, for "no limit" with the limit still a bound parameter.
_NO_LIMIT = 2**62
_HISTORY_SQL: dict[str, tuple[str, tuple[str, ...] | None]] = {}


def _history_statement(dialect: sa.Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The history query compiled once per dialect (the SQL depends on nothing else)."""
    found = _HISTORY_SQL.get(dialect.name)
    if found is None:
        c = _METRICS.c
        stmt = (
            sa.select(
                c.value,
                c.kind,
                c.timestamp,
                c.step,
                c.dataset_name,
                c.dataset_digest,
                c.model_id,
            )
            .where(c.run_uuid == sa.bindparam("run_uuid"), c.key == sa.bindparam("key"))
            .order_by(c.step, c.timestamp, c.value, c.kind)
            .limit(sa.bindparam("lim", type_=sa.BigInteger))
            .offset(sa.bindparam("off", type_=sa.BigInteger))
        )
        compiled = stmt.compile(dialect=dialect)
        order = compiled.positiontup
        found = _HISTORY_SQL[dialect.name] = (str(compiled), tuple(order) if order else None)
    return found


def history(
    session: Session, run_id: str, key: str, limit: int | None, offset: int
) -> list[Metric]:
    """Return a run's points of one metric ordered by step, timestamp and value.

    Long histories are the hot read path, so this runs a precompiled statement on the session's
    DBAPI cursor and builds entities straight from the driver's rows.
    """
    conn = session.connection()
    sql, order = _history_statement(conn.dialect)
    values = {
        "run_uuid": run_id,
        "key": key,
        "lim": _NO_LIMIT if limit is None else limit,
        "off": offset,
    }
    params: Any = values if order is None else tuple(values[name] for name in order)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    finite = ValueKind.FINITE
    # Building 100,000 rows and points would trigger dozens of garbage collections that find
    # nothing (tuples and Metrics form no cycles); pausing the collector halves the read time.
    with _collector_paused():
        try:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return [
            Metric(key, v if kind == finite else decode_value(v, kind), ts, st, dn, dd, mid, run_id)
            for v, kind, ts, st, dn, dd, mid in rows
        ]


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def history_bulk_interval(
    session: Session,
    run_ids: Sequence[str],
    key: str,
    max_results: int,
    start_step: int | None,
    end_step: int | None,
) -> list[Metric]:
    """Return up to ``max_results`` evenly spread points per run within a step interval.

    The steps to return are chosen in SQL per run: every distinct step when they fit, else an
    even sample of them that always keeps the first and last step.
    """
    c = _METRICS.c
    out: list[Metric] = []
    for run_id in run_ids:
        where = [c.run_uuid == run_id, c.key == key]
        if start_step is not None:
            where.append(c.step >= start_step)
        if end_step is not None:
            where.append(c.step <= end_step)
        steps_q = sa.select(c.step).where(*where).distinct().order_by(c.step)
        steps = [s for (s,) in session.connection().execute(steps_q)]
        if not steps:
            continue
        if len(steps) > max_results:
            if max_results == 1:
                chosen = {steps[0]}
            else:
                stride = (len(steps) - 1) / (max_results - 1)
                chosen = {steps[round(i * stride)] for i in range(max_results)}
        else:
            chosen = set(steps)
        rows = session.connection().execute(
            sa.select(_METRICS)
            .where(*where, c.step.in_(sorted(chosen)))
            .order_by(c.step, c.timestamp, c.value)
        )
        out.extend(_to_metric(row, run_id) for row in rows)
    return out
