"""Experiments and their tags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mltrail.entities import Experiment
from mltrail.exceptions import ResourceAlreadyExists
from mltrail.search.filter import Comparison
from mltrail.search.order_by import OrderBy
from mltrail.store.sql import filters
from mltrail.store.sql.engine import Database
from mltrail.store.sql.tables import ExperimentRow, ExperimentTagRow

__all__ = [
    "delete_tag",
    "get",
    "get_by_name",
    "insert",
    "load_tags",
    "search",
    "set_artifact_location",
    "set_tags",
    "update",
]

_EXP = cast(sa.Table, ExperimentRow.__table__)
_TAGS = cast(sa.Table, ExperimentTagRow.__table__)


def insert(
    session: Session,
    name: str,
    artifact_location: str | None,
    now: int,
    experiment_id: int | None = None,
) -> int:
    """Insert an experiment and return its id.

    Raises:
        ResourceAlreadyExists: An experiment (active or deleted) has that name.
    """
    values: dict[str, Any] = {
        "name": name,
        "artifact_location": artifact_location,
        "lifecycle_stage": "active",
        "creation_time": now,
        "last_update_time": now,
    }
    if experiment_id is not None:
        values["experiment_id"] = experiment_id
    try:
        with session.begin_nested():
            result = session.connection().execute(sa.insert(_EXP).values(**values))
    except IntegrityError:
        raise ResourceAlreadyExists(
            f"Experiment(name={name}) already exists. Choose another name, or restore the "
            "deleted experiment of that name."
        ) from None
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def set_artifact_location(session: Session, experiment_id: int, location: str) -> None:
    """Record an experiment's artifact location (known only once its id is)."""
    session.connection().execute(
        sa.update(_EXP)
        .where(_EXP.c.experiment_id == experiment_id)
        .values(artifact_location=location)
    )


def _to_entity(row: Any, tags: dict[str, str]) -> Experiment:
    return Experiment(
        str(row.experiment_id),
        row.name,
        row.artifact_location or "",
        row.lifecycle_stage,
        tags,
        row.creation_time,
        row.last_update_time,
    )


def load_tags(session: Session, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Return the tags of each experiment."""
    out: dict[int, dict[str, str]] = {i: {} for i in ids}
    if not ids:
        return out
    rows = session.connection().execute(
        sa.select(_TAGS.c.experiment_id, _TAGS.c.key, _TAGS.c.value).where(
            _TAGS.c.experiment_id.in_(list(ids))
        )
    )
    for exp_id, key, value in rows:
        out[exp_id][key] = value
    return out


def _load(session: Session, where: sa.ColumnElement[bool]) -> Experiment | None:
    row = session.connection().execute(sa.select(_EXP).where(where)).first()
    if row is None:
        return None
    return _to_entity(row, load_tags(session, [row.experiment_id])[row.experiment_id])


def get(session: Session, experiment_id: int) -> Experiment | None:
    """Return the experiment with that id, or None."""
    return _load(session, _EXP.c.experiment_id == experiment_id)


def get_by_name(session: Session, name: str) -> Experiment | None:
    """Return the experiment with that name, or None."""
    return _load(session, _EXP.c.name == name)


def update(session: Session, experiment_id: int, **values: Any) -> None:
    """Update columns of one experiment.

    Raises:
        ResourceAlreadyExists: A rename collides with another experiment's name.
    """
    try:
        with session.begin_nested():
            session.connection().execute(
                sa.update(_EXP).where(_EXP.c.experiment_id == experiment_id).values(**values)
            )
    except IntegrityError:
        raise ResourceAlreadyExists(
            f"Experiment(name={values.get('name')}) already exists. Choose another name."
        ) from None


def set_tags(db: Database, session: Session, experiment_id: int, tags: dict[str, str]) -> None:
    """Set (insert or overwrite) experiment tags."""
    rows = [{"experiment_id": experiment_id, "key": k, "value": v} for k, v in tags.items()]
    db.upsert(session, _TAGS, rows, conflict=["experiment_id", "key"], update=["value"])


def delete_tag(session: Session, experiment_id: int, key: str) -> int:
    """Delete one tag; return how many rows were removed."""
    result = session.connection().execute(
        sa.delete(_TAGS).where(_TAGS.c.experiment_id == experiment_id, _TAGS.c.key == key)
    )
    return int(result.rowcount)


def search(
    session: Session,
    stages: Sequence[str],
    comparisons: Sequence[Comparison],
    orders: Sequence[OrderBy],
    limit: int,
    offset: int,
) -> list[Experiment]:
    """Return one page of matching experiments in order, from one SQL statement."""
    stmt = sa.select(_EXP).where(_EXP.c.lifecycle_stage.in_(list(stages)))
    stmt = filters.apply_experiment_search(stmt, comparisons, orders).limit(limit).offset(offset)
    rows = list(session.connection().execute(stmt))
    tags = load_tags(session, [r.experiment_id for r in rows])
    return [_to_entity(r, tags[r.experiment_id]) for r in rows]
