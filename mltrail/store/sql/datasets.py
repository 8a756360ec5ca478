"""Datasets and the input links that attach them (and logged models) to runs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mltrail.entities import Dataset, DatasetInput, InputTag, LoggedModelInput, RunInputs
from mltrail.store.sql.engine import Database
from mltrail.store.sql.tables import DatasetRow, InputRow, InputTagRow

__all__ = ["DatasetUsage", "inputs_for_runs", "link_datasets", "link_models", "search"]

_DATASETS = cast(sa.Table, DatasetRow.__table__)
_INPUTS = cast(sa.Table, InputRow.__table__)
_INPUT_TAGS = cast(sa.Table, InputTagRow.__table__)

CONTEXT_TAG = "mlflow.data.context"


@dataclass(frozen=True, slots=True)
class DatasetUsage:
    """A dataset used in an experiment, with the context it was used in."""

    experiment_id: str
    name: str
    digest: str
    context: str | None


def _dataset_id(session: Session, db: Database, experiment_id: int, ds: Dataset) -> str:
    c = _DATASETS.c
    found = (
        session.connection()
        .execute(
            sa.select(c.dataset_uuid).where(
                c.experiment_id == experiment_id, c.name == ds.name, c.digest == ds.digest
            )
        )
        .scalar()
    )
    if found is not None:
        return str(found)
    db.insert_ignore(
        session,
        _DATASETS,
        [
            {
                "dataset_uuid": uuid.uuid4().hex,
                "experiment_id": experiment_id,
                "name": ds.name,
                "digest": ds.digest,
                "source_type": ds.source_type,
                "source": ds.source,
                "schema": ds.schema,
                "profile": ds.profile,
            }
        ],
    )
    # Another writer may have inserted the same dataset first; read whichever row won.
    return str(
        session.connection()
        .execute(
            sa.select(c.dataset_uuid).where(
                c.experiment_id == experiment_id, c.name == ds.name, c.digest == ds.digest
            )
        )
        .scalar_one()
    )


def _link(
    session: Session,
    db: Database,
    source_type: str,
    source_id: str,
    run_id: str,
    tags: Sequence[InputTag],
) -> None:
    c = _INPUTS.c
    link = (
        c.source_type == source_type,
        c.source_id == source_id,
        c.destination_type == "RUN",
        c.destination_id == run_id,
    )
    if session.connection().execute(sa.select(c.input_uuid).where(*link)).first() is not None:
        return
    input_id = uuid.uuid4().hex
    db.insert_ignore(
        session,
        _INPUTS,
        [
            {
                "input_uuid": input_id,
                "source_type": source_type,
                "source_id": source_id,
                "destination_type": "RUN",
                "destination_id": run_id,
            }
        ],
    )
    if tags:
        db.insert_ignore(
            session,
            _INPUT_TAGS,
            [{"input_uuid": input_id, "name": t.key, "value": t.value} for t in tags],
        )


def link_datasets(
    session: Session, db: Database, experiment_id: int, run_id: str, inputs: Sequence[DatasetInput]
) -> None:
    """Record datasets (deduplicated per experiment by name and digest) as inputs of a run."""
    for item in inputs:
        dataset_id = _dataset_id(session, db, experiment_id, item.dataset)
        _link(session, db, "DATASET", dataset_id, run_id, item.tags)


def link_models(
    session: Session, db: Database, run_id: str, models: Sequence[LoggedModelInput]
) -> None:
    """Record logged models as inputs of a run."""
    for model in models:
        _link(session, db, "RUN_INPUT", model.model_id, run_id, ())


def inputs_for_runs(session: Session, run_ids: Sequence[str]) -> dict[str, RunInputs]:
    """Return the dataset and model inputs of each run."""
    if not run_ids:
        return {}
    conn = session.connection()
    links = list(
        conn.execute(
            sa.select(_INPUTS).where(
                _INPUTS.c.destination_type == "RUN", _INPUTS.c.destination_id.in_(list(run_ids))
            )
        )
    )
    if not links:
        return {}
    dataset_ids = [row.source_id for row in links if row.source_type == "DATASET"]
    by_id = {
        row.dataset_uuid: Dataset(
            row.name, row.digest, row.source_type, row.source, row.schema, row.profile
        )
        for row in conn.execute(
            sa.select(_DATASETS).where(_DATASETS.c.dataset_uuid.in_(dataset_ids))
        )
    }
    tags: dict[str, list[InputTag]] = {}
    for input_id, name, value in conn.execute(
        sa.select(_INPUT_TAGS.c.input_uuid, _INPUT_TAGS.c.name, _INPUT_TAGS.c.value).where(
            _INPUT_TAGS.c.input_uuid.in_([row.input_uuid for row in links])
        )
    ):
        tags.setdefault(input_id, []).append(InputTag(name, value))
    out: dict[str, RunInputs] = {}
    for row in links:
        entry = out.setdefault(row.destination_id, RunInputs())
        if row.source_type == "DATASET" and row.source_id in by_id:
            entry.dataset_inputs.append(
                DatasetInput(by_id[row.source_id], tags.get(row.input_uuid, []))
            )
        elif row.source_type == "RUN_INPUT":
            entry.model_inputs.append(LoggedModelInput(row.source_id))
    return out


def search(session: Session, experiment_ids: Sequence[int], limit: int) -> list[DatasetUsage]:
    """Return the distinct (dataset, context) pairs used by runs of the given experiments."""
    d, i, t = _DATASETS.c, _INPUTS.c, _INPUT_TAGS.c
    context = (
        sa.select(t.value)
        .where(t.input_uuid == i.input_uuid, t.name == CONTEXT_TAG)
        .scalar_subquery()
    )
    stmt = (
        sa.select(d.experiment_id, d.name, d.digest, context.label("context"))
        .select_from(_DATASETS.join(_INPUTS, i.source_id == d.dataset_uuid))
        .where(d.experiment_id.in_(list(experiment_ids)), i.source_type == "DATASET")
        .distinct()
        .order_by(d.experiment_id, d.name, d.digest)
        .limit(limit)
    )
    return [
        DatasetUsage(str(exp_id), name, digest, ctx)
        for exp_id, name, digest, ctx in session.connection().execute(stmt)
    ]
