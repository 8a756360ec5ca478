"""Runs with their params and tags: insert, load, update, search."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mltrail.entities import Param, Run, RunData, RunInfo, RunInputs, RunTag
from mltrail.search.filter import Comparison
from mltrail.search.order_by import OrderBy
from mltrail.store.sql import datasets, filters, metrics
from mltrail.store.sql.engine import Database
from mltrail.store.sql.tables import ExperimentRow, ParamRow, RunRow, TagRow

__all__ = [
    "delete_tag",
    "get_info",
    "get_params",
    "get_tag_for_update",
    "insert",
    "insert_params",
    "load",
    "search_ids",
    "set_tags",
    "update",
]

_RUNS = cast(sa.Table, RunRow.__table__)
_PARAMS = cast(sa.Table, ParamRow.__table__)
_TAGS = cast(sa.Table, TagRow.__table__)
_EXP = cast(sa.Table, ExperimentRow.__table__)


def insert(session: Session, values: dict[str, Any]) -> None:
    """Insert one run row (values keyed by column name)."""
    session.connection().execute(sa.insert(_RUNS), [values])


def _to_info(row: Any) -> RunInfo:
    return RunInfo(
        row.run_uuid,
        str(row.experiment_id),
        row.user_id or "",
        row.status,
        row.start_time,
        row.end_time,
        row.lifecycle_stage,
        row.artifact_uri,
        row.name,
    )


def get_info(session: Session, run_id: str) -> RunInfo | None:
    """Return a run's info, or None if there is no such run."""
    row = session.connection().execute(sa.select(_RUNS).where(_RUNS.c.run_uuid == run_id)).first()
    return None if row is None else _to_info(row)


def get_stage(session: Session, run_id: str) -> str | None:
    """Return a run's lifecycle stage, or None if there is no such run (the hot-path check)."""
    stmt = sa.select(_RUNS.c.lifecycle_stage).where(_RUNS.c.run_uuid == run_id)
    return session.connection().execute(stmt).scalar()


def load(session: Session, run_ids: Sequence[str]) -> list[Run]:
    """Return full runs (info, latest metrics, params, tags, inputs) in the given order."""
    if not run_ids:
        return []
    ids = list(run_ids)
    conn = session.connection()
    infos = {
        r.run_uuid: _to_info(r)
        for r in conn.execute(sa.select(_RUNS).where(_RUNS.c.run_uuid.in_(ids)))
    }
    params: dict[str, list[Param]] = {i: [] for i in ids}
    for run_id, key, value in conn.execute(
        sa.select(_PARAMS.c.run_uuid, _PARAMS.c.key, _PARAMS.c.value).where(
            _PARAMS.c.run_uuid.in_(ids)
        )
    ):
        params[run_id].append(Param(key, value))
    tags: dict[str, list[RunTag]] = {i: [] for i in ids}
    for run_id, key, value in conn.execute(
        sa.select(_TAGS.c.run_uuid, _TAGS.c.key, _TAGS.c.value).where(_TAGS.c.run_uuid.in_(ids))
    ):
        tags[run_id].append(RunTag(key, value))
    latest = metrics.latest_for_runs(session, ids)
    inputs = datasets.inputs_for_runs(session, ids)
    return [
        Run(
            infos[i],
            RunData(latest[i], params[i], tags[i]),
            inputs.get(i, RunInputs()),
        )
        for i in ids
        if i in infos
    ]


def update(session: Session, run_id: str, **values: Any) -> None:
    """Update columns of one run."""
    session.connection().execute(
        sa.update(_RUNS).where(_RUNS.c.run_uuid == run_id).values(**values)
    )


def get_params(session: Session, run_id: str, keys: Iterable[str]) -> dict[str, str]:
    """Return the stored values of the given param keys of a run."""
    keys = list(keys)
    if not keys:
        return {}
    rows = session.connection().execute(
        sa.select(_PARAMS.c.key, _PARAMS.c.value).where(
            _PARAMS.c.run_uuid == run_id, _PARAMS.c.key.in_(keys)
        )
    )
    return {k: v for k, v in rows}


def insert_params(session: Session, run_id: str, params: Sequence[Param]) -> None:
    """Insert params that the run does not have yet."""
    if params:
        session.connection().execute(
            sa.insert(_PARAMS),
            [{"run_uuid": run_id, "key": p.key, "value": p.value} for p in params],
        )


def set_tags(db: Database, session: Session, run_id: str, tags: Sequence[RunTag]) -> None:
    """Insert or overwrite run tags (the last value of a repeated key wins)."""
    latest = {t.key: t.value for t in tags}
    rows = [{"run_uuid": run_id, "key": k, "value": v} for k, v in latest.items()]
    db.upsert(session, _TAGS, rows, conflict=["run_uuid", "key"], update=["value"])


def get_tag_for_update(session: Session, run_id: str, key: str) -> str | None:
    """Lock the run's row until the transaction ends, then return one tag's value (or None).

    Read-modify-write of a tag (such as the logged-model history) holds this lock so that
    concurrent writers on PostgreSQL and MySQL take turns instead of losing an update.
    """
    conn = session.connection()
    conn.execute(sa.select(_RUNS.c.run_uuid).where(_RUNS.c.run_uuid == run_id).with_for_update())
    value = conn.execute(
        sa.select(_TAGS.c.value).where(_TAGS.c.run_uuid == run_id, _TAGS.c.key == key)
    ).scalar()
    return None if value is None else str(value)


def delete_tag(session: Session, run_id: str, key: str) -> int:
    """Delete one tag; return how many rows were removed."""
    result = session.connection().execute(
        sa.delete(_TAGS).where(_TAGS.c.run_uuid == run_id, _TAGS.c.key == key)
    )
    return int(result.rowcount)


def search_ids(
    session: Session,
    experiment_ids: Sequence[int],
    stages: Sequence[str],
    comparisons: Sequence[Comparison],
    orders: Sequence[OrderBy],
    limit: int,
    offset: int,
) -> list[str]:
    """Return one page of matching run ids in order, from one SQL statement."""
    stmt = sa.select(_RUNS.c.run_uuid).where(
        _RUNS.c.experiment_id.in_(list(experiment_ids)),
        _RUNS.c.lifecycle_stage.in_(list(stages)),
    )
    stmt = filters.apply_run_search(stmt, comparisons, orders).limit(limit).offset(offset)
    return [r for (r,) in session.connection().execute(stmt)]


def update_experiment_runs(
    session: Session, experiment_id: int, stage: str, deleted_time: int | None
) -> None:
    """Move every run of an experiment to a lifecycle stage (experiment delete/restore)."""
    session.connection().execute(
        sa.update(_RUNS)
        .where(_RUNS.c.experiment_id == experiment_id)
        .values(lifecycle_stage=stage, deleted_time=deleted_time)
    )
