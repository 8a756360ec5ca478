"""Permanent deletion of runs and experiments in the deleted state (``mltrail gc``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mltrail.store.sql.tables import (
    DatasetRow,
    ExperimentRow,
    ExperimentTagRow,
    InputRow,
    InputTagRow,
    LatestMetricRow,
    LoggedModelMetricRow,
    LoggedModelParamRow,
    LoggedModelRow,
    LoggedModelTagRow,
    MetricRow,
    ParamRow,
    RunRow,
    TagRow,
)

__all__ = [
    "count_metric_rows",
    "deleted_experiments",
    "deleted_runs",
    "purge_experiment",
    "purge_runs",
    "runs_of_experiment",
]

_RUNS = cast(sa.Table, RunRow.__table__)
_EXP = cast(sa.Table, ExperimentRow.__table__)
_METRICS = cast(sa.Table, MetricRow.__table__)
_INPUTS = cast(sa.Table, InputRow.__table__)
_INPUT_TAGS = cast(sa.Table, InputTagRow.__table__)
_MODELS = cast(sa.Table, LoggedModelRow.__table__)
_MODEL_CHILDREN = [
    cast(sa.Table, t.__table__)
    for t in (LoggedModelTagRow, LoggedModelParamRow, LoggedModelMetricRow)
]
_RUN_CHILDREN = [
    cast(sa.Table, t.__table__) for t in (MetricRow, LatestMetricRow, ParamRow, TagRow)
]


def deleted_runs(
    session: Session, before_ms: int | None, run_ids: Sequence[str] | None
) -> list[tuple[str, str | None]]:
    """(run id, artifact URI) of deleted runs, deleted before ``before_ms`` when given."""
    stmt = sa.select(_RUNS.c.run_uuid, _RUNS.c.artifact_uri).where(
        _RUNS.c.lifecycle_stage == "deleted"
    )
    if before_ms is not None:
        stmt = stmt.where(sa.or_(_RUNS.c.deleted_time.is_(None), _RUNS.c.deleted_time < before_ms))
    if run_ids:
        stmt = stmt.where(_RUNS.c.run_uuid.in_(list(run_ids)))
    return [(str(r), u) for r, u in session.connection().execute(stmt.order_by(_RUNS.c.run_uuid))]


def deleted_experiments(
    session: Session, before_ms: int | None, experiment_ids: Sequence[int] | None
) -> list[tuple[int, str | None]]:
    """(experiment id, artifact location) of deleted experiments (not the Default one)."""
    stmt = sa.select(_EXP.c.experiment_id, _EXP.c.artifact_location).where(
        _EXP.c.lifecycle_stage == "deleted", _EXP.c.experiment_id != 0
    )
    if before_ms is not None:
        stmt = stmt.where(
            sa.or_(_EXP.c.last_update_time.is_(None), _EXP.c.last_update_time < before_ms)
        )
    if experiment_ids:
        stmt = stmt.where(_EXP.c.experiment_id.in_(list(experiment_ids)))
    rows = session.connection().execute(stmt.order_by(_EXP.c.experiment_id))
    return [(int(e), loc) for e, loc in rows]


def runs_of_experiment(session: Session, experiment_id: int) -> list[tuple[str, str | None]]:
    """(run id, artifact URI) of every run of an experiment, whatever its state."""
    stmt = sa.select(_RUNS.c.run_uuid, _RUNS.c.artifact_uri).where(
        _RUNS.c.experiment_id == experiment_id
    )
    return [(str(r), u) for r, u in session.connection().execute(stmt)]


def count_metric_rows(session: Session, run_ids: Sequence[str]) -> int:
    """How many metric points the runs hold."""
    if not run_ids:
        return 0
    stmt = sa.select(sa.func.count()).where(_METRICS.c.run_uuid.in_(list(run_ids)))
    return int(session.connection().execute(stmt).scalar_one())


def purge_runs(session: Session, run_ids: Sequence[str]) -> None:
    """Delete runs and every row that belongs to them."""
    if not run_ids:
        return
    conn = session.connection()
    ids = list(run_ids)
    for table in _RUN_CHILDREN:
        conn.execute(sa.delete(table).where(table.c.run_uuid.in_(ids)))
    links = sa.select(_INPUTS.c.input_uuid).where(
        _INPUTS.c.destination_type == "RUN", _INPUTS.c.destination_id.in_(ids)
    )
    conn.execute(sa.delete(_INPUT_TAGS).where(_INPUT_TAGS.c.input_uuid.in_(links)))
    conn.execute(
        sa.delete(_INPUTS).where(
            _INPUTS.c.destination_type == "RUN", _INPUTS.c.destination_id.in_(ids)
        )
    )
    conn.execute(sa.delete(_RUNS).where(_RUNS.c.run_uuid.in_(ids)))


def purge_experiment(session: Session, experiment_id: int) -> None:
    """Delete an experiment (its runs must be purged first), its models, datasets and tags."""
    conn = session.connection()
    models = sa.select(_MODELS.c.model_id).where(_MODELS.c.experiment_id == experiment_id)
    for table in _MODEL_CHILDREN:
        conn.execute(sa.delete(table).where(table.c.model_id.in_(models)))
    conn.execute(sa.delete(_MODELS).where(_MODELS.c.experiment_id == experiment_id))
    datasets = cast(sa.Table, DatasetRow.__table__)
    conn.execute(sa.delete(datasets).where(datasets.c.experiment_id == experiment_id))
    tags = cast(sa.Table, ExperimentTagRow.__table__)
    conn.execute(sa.delete(tags).where(tags.c.experiment_id == experiment_id))
    conn.execute(sa.delete(_EXP).where(_EXP.c.experiment_id == experiment_id))
