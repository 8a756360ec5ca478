"""The hot write path: metric, param and tag ingestion on a raw DBAPI cursor.

Statements are built with SQLAlchemy Core and compiled once per dialect; each call then costs
the driver's execute and nothing more. SQLAlchemy's per-execution machinery (cache-key
generation, result set-up, events) costs several times what SQLite itself spends on a
one-point write, which matters at tens of thousands of writes per second.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect

from mltrail.entities import Metric, Param, RunTag
from mltrail.store.sql.engine import Database
from mltrail.store.sql.metrics import encode_value, latest_upsert
from mltrail.store.sql.tables import (
    LoggedModelMetricRow,
    LoggedModelRow,
    MetricRow,
    ParamRow,
    RunRow,
    TagRow,
    ValueKind,
)

__all__ = ["Ingest"]

_METRIC_COLUMNS = (
    "run_uuid",
    "key",
    "step",
    "timestamp",
    "value",
    "kind",
    "model_id",
    "dataset_name",
    "dataset_digest",
)


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # positional parameter order; None for named parameters

    def bind(self, row: dict[str, Any]) -> Any:
        return row if self.order is None else tuple(row[name] for name in self.order)


class Ingest:
    """Pre-compiled hot-path statements of one database, and the cursor scope they run in."""

    def __init__(self, db: Database) -> None:
        self.db = db
        runs = cast(sa.Table, RunRow.__table__)
        params = cast(sa.Table, ParamRow.__table__)
        stage = sa.select(runs.c.lifecycle_stage).where(runs.c.run_uuid == sa.bindparam("run_uuid"))
        get_params = sa.select(params.c.key, params.c.value).where(
            params.c.run_uuid == sa.bindparam("run_uuid"),
            params.c.key == sa.bindparam("key"),
        )
        self._stage = self._compile(stage)
        self._get_param = self._compile(get_params)
        metrics = cast(sa.Table, MetricRow.__table__)
        self._insert_metric = self._compile(self._insert_ignore(metrics))
        self._insert_metric_short = self._compile(
            self._insert_ignore(metrics).values(
                {name: sa.bindparam(name) for name in _METRIC_COLUMNS[:6]}
            )
        )
        self._insert_param = self._compile(sa.insert(params))
        self._upsert_latest = self._compile(latest_upsert(db.dialect))
        models = cast(sa.Table, LoggedModelRow.__table__)
        self._model_stage = self._compile(
            sa.select(models.c.lifecycle_stage).where(models.c.model_id == sa.bindparam("model_id"))
        )
        self._insert_model_metric = self._compile(
            self._insert_ignore(cast(sa.Table, LoggedModelMetricRow.__table__))
        )
        self._upsert_tag = self._compile(
            self._upsert(cast(sa.Table, TagRow.__table__), ("run_uuid", "key"))
        )

    def _compile(self, stmt: Any) -> _Compiled:
        compiled = stmt.compile(dialect=self.db.engine.dialect)
        order = compiled.positiontup
        return _Compiled(str(compiled), tuple(order) if order else None)

    def _insert_ignore(self, table: sa.Table) -> Any:
        if self.db.dialect in ("mysql", "mariadb"):
            return sa.insert(table).prefix_with("IGNORE")
        if self.db.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        return sa.insert(table).prefix_with("OR IGNORE")

    def _upsert(self, table: sa.Table, key: tuple[str, ...]) -> Any:
        others = [c.name for c in table.columns if c.name not in key]
        if self.db.dialect in ("mysql", "mariadb"):
            stmt_m = mysql.insert(table)
            return stmt_m.on_duplicate_key_update({c: stmt_m.inserted[c] for c in others})
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite_dialect.insert
        stmt = insert(table)
        return stmt.on_conflict_do_update(
            index_elements=list(key), set_={c: stmt.excluded[c] for c in others}
        )

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """Yield a cursor inside one write transaction; commit on success, else roll back."""
        with self.db.raw_write() as cursor:
            yield cursor

    def run_stage(self, cursor: Any, run_id: str) -> str | None:
        """Return the run's lifecycle stage, or None if it does not exist."""
        c = self._stage
        cursor.execute(c.sql, c.bind({"run_uuid": run_id}))
        row = cursor.fetchone()
        return None if row is None else str(row[0])

    def append_metrics(self, cursor: Any, run_id: str, metrics: Sequence[Metric]) -> bool:
        """Insert points (an identical point is stored once) and keep latest values current.

        Points without a model or dataset are written by a statement that leaves those columns
        out: SQLite stores such rows about a third faster than rows bound with explicit NULLs.

        Returns:
            Whether any point names a model or a dataset.
        """
        extras = False
        latest: dict[str, tuple[int, int, float, int]] = {}
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        isfinite = math.isfinite
        finite = ValueKind.FINITE
        for i, m in enumerate(metrics):
            raw = m.value
            # Non-zero finite values (nearly all of them) are stored as they are.
            value, kind = (raw, finite) if raw and isfinite(raw) else encode_value(raw)
            append((run_id, m.key, m.step, m.timestamp, value, kind))
            if m.model_id or m.dataset_name or m.dataset_digest:
                extras = True
            best = latest.get(m.key)
            if best is None or (m.step, m.timestamp, value) > best[:3]:
                latest[m.key] = (m.step, m.timestamp, value, i)
        if extras:
            rows = [
                (*row, m.model_id, m.dataset_name, m.dataset_digest)
                for row, m in zip(rows, metrics, strict=True)
            ]
        insert = self._insert_metric if extras else self._insert_metric_short
        columns = _METRIC_COLUMNS if extras else _METRIC_COLUMNS[:6]
        upsert = self._upsert_latest
        if insert.order == columns:
            insert_rows: list[Any] = rows
        else:
            insert_rows = [insert.bind(dict(zip(columns, r, strict=True))) for r in rows]
        upsert_rows = []
        for best in latest.values():
            row = dict.fromkeys(_METRIC_COLUMNS)
            row.update(zip(columns, rows[best[3]], strict=True))
            upsert_rows.append(upsert.bind(row))
        if len(rows) == 1:
            cursor.execute(insert.sql, insert_rows[0])
            cursor.execute(upsert.sql, upsert_rows[0])
            return extras
        cursor.executemany(insert.sql, insert_rows)
        cursor.executemany(upsert.sql, upsert_rows)
        return extras

    def model_stage(self, cursor: Any, model_id: str) -> str | None:
        """Return a LoggedModel's lifecycle stage, or None if it does not exist."""
        c = self._model_stage
        cursor.execute(c.sql, c.bind({"model_id": model_id}))
        row = cursor.fetchone()
        return None if row is None else str(row[0])

    def append_model_metrics(self, cursor: Any, run_id: str, metrics: Sequence[Metric]) -> None:
        """Also record points that name a LoggedModel under that model."""
        c = self._insert_model_metric
        rows = []
        for m in metrics:
            if m.model_id:
                value, kind = encode_value(m.value)
                rows.append(
                    c.bind(
                        {
                            "model_id": m.model_id,
                            "key": m.key,
                            "step": m.step,
                            "timestamp": m.timestamp,
                            "run_id": run_id,
                            "value": value,
                            "kind": kind,
                            "dataset_name": m.dataset_name,
                            "dataset_digest": m.dataset_digest,
                        }
                    )
                )
        if rows:
            cursor.executemany(c.sql, rows)

    def existing_params(self, cursor: Any, run_id: str, keys: Sequence[str]) -> dict[str, str]:
        """Return the stored values of the given param keys."""
        found: dict[str, str] = {}
        c = self._get_param
        for key in keys:
            cursor.execute(c.sql, c.bind({"run_uuid": run_id, "key": key}))
            row = cursor.fetchone()
            if row is not None:
                found[row[0]] = row[1]
        return found

    def insert_params(self, cursor: Any, run_id: str, params: Sequence[Param]) -> None:
        """Insert params the run does not have yet."""
        c = self._insert_param
        rows = [c.bind({"run_uuid": run_id, "key": p.key, "value": p.value}) for p in params]
        if len(rows) == 1:
            cursor.execute(c.sql, rows[0])
        elif rows:
            cursor.executemany(c.sql, rows)

    def upsert_tags(self, cursor: Any, run_id: str, tags: Sequence[RunTag]) -> None:
        """Insert or overwrite run tags (the last value of a repeated key wins)."""
        c = self._upsert_tag
        latest = {t.key: t.value for t in tags}
        rows = [c.bind({"run_uuid": run_id, "key": k, "value": v}) for k, v in latest.items()]
        if len(rows) == 1:
            cursor.execute(c.sql, rows[0])
        elif rows:
            cursor.executemany(c.sql, rows)

    def rename_run(self, cursor: Any, run_id: str, name: str) -> None:
        """Keep the run's name column in step with its ``mlflow.runName`` tag."""
        runs = cast(sa.Table, RunRow.__table__)
        c = self._compile(
            sa.update(runs)
            .where(runs.c.run_uuid == sa.bindparam("rid"))
            .values(name=sa.bindparam("new_name"))
        )
        cursor.execute(c.sql, c.bind({"rid": run_id, "new_name": name}))
