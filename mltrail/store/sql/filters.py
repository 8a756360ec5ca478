"""Search ASTs compiled to SQLAlchemy: WHERE clauses and ORDER BY terms for one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa

from mltrail.exceptions import InvalidParameterValue
from mltrail.search.filter import Comparison
from mltrail.search.order_by import OrderBy
from mltrail.store.sql.tables import (
    DatasetRow,
    ExperimentRow,
    ExperimentTagRow,
    InputRow,
    InputTagRow,
    LatestMetricRow,
    ParamRow,
    RunRow,
    TagRow,
    ValueKind,
)

__all__ = ["apply_experiment_search", "apply_run_search"]

_RUNS = cast(sa.Table, RunRow.__table__)
_LATEST = cast(sa.Table, LatestMetricRow.__table__)
_PARAMS = cast(sa.Table, ParamRow.__table__)
_TAGS = cast(sa.Table, TagRow.__table__)
_DATASETS = cast(sa.Table, DatasetRow.__table__)
_INPUTS = cast(sa.Table, InputRow.__table__)
_INPUT_TAGS = cast(sa.Table, InputTagRow.__table__)
_EXP = cast(sa.Table, ExperimentRow.__table__)
_EXP_TAGS = cast(sa.Table, ExperimentTagRow.__table__)

_RUN_COLUMNS = {
    "run_id": _RUNS.c.run_uuid,
    "run_name": _RUNS.c.name,
    "status": _RUNS.c.status,
    "user_id": _RUNS.c.user_id,
    "artifact_uri": _RUNS.c.artifact_uri,
    "lifecycle_stage": _RUNS.c.lifecycle_stage,
    "start_time": _RUNS.c.start_time,
    "end_time": _RUNS.c.end_time,
    "experiment_id": _RUNS.c.experiment_id,
}
_EXP_COLUMNS = {
    "name": _EXP.c.name,
    "experiment_id": _EXP.c.experiment_id,
    "creation_time": _EXP.c.creation_time,
    "last_update_time": _EXP.c.last_update_time,
}


def _compare(column: Any, op: str, value: Any) -> sa.ColumnElement[bool]:
    if op == "=":
        return cast(sa.ColumnElement[bool], column == value)
    if op == "!=":
        return cast(sa.ColumnElement[bool], column != value)
    if op == "<":
        return cast(sa.ColumnElement[bool], column < value)
    if op == "<=":
        return cast(sa.ColumnElement[bool], column <= value)
    if op == ">":
        return cast(sa.ColumnElement[bool], column > value)
    if op == ">=":
        return cast(sa.ColumnElement[bool], column >= value)
    if op == "LIKE":
        return cast(sa.ColumnElement[bool], column.like(value))
    if op == "ILIKE":
        return cast(sa.ColumnElement[bool], column.ilike(value))
    if op == "IN":
        return cast(sa.ColumnElement[bool], column.in_(list(value)))
    if op == "NOT IN":
        return cast(sa.ColumnElement[bool], column.not_in(list(value)))
    raise InvalidParameterValue(f"Unsupported comparison operator {op!r}.")


def _key_value_clause(
    table: sa.Table, owner: Any, owner_col: str, key_col: str, c: Comparison
) -> sa.ColumnElement[bool]:
    """EXISTS/NOT EXISTS over a key/value table correlated to its owner row."""
    base = [table.c[owner_col] == owner, table.c[key_col] == c.key]
    if c.op == "IS NULL":
        return ~sa.exists().where(*base)
    if c.op == "IS NOT NULL":
        return sa.exists().where(*base)
    return sa.exists().where(*base, _compare(table.c.value, c.op, c.value))


def _metric_clause(c: Comparison) -> sa.ColumnElement[bool]:
    base = [_LATEST.c.run_uuid == _RUNS.c.run_uuid, _LATEST.c.key == c.key]
    if c.op == "IS NULL":
        return ~sa.exists().where(*base)
    if c.op == "IS NOT NULL":
        return sa.exists().where(*base)
    value = _compare(_LATEST.c.value, c.op, c.value)
    # NaN equals nothing and is unequal to everything.
    is_nan = _LATEST.c.kind == ValueKind.NAN
    condition = sa.or_(is_nan, value) if c.op == "!=" else sa.and_(~is_nan, value)
    return sa.exists().where(*base, condition)


def _dataset_clause(c: Comparison) -> sa.ColumnElement[bool]:
    link = [
        _INPUTS.c.destination_type == "RUN",
        _INPUTS.c.destination_id == _RUNS.c.run_uuid,
        _INPUTS.c.source_type == "DATASET",
        _DATASETS.c.dataset_uuid == _INPUTS.c.source_id,
    ]
    if c.key == "context":
        context = sa.exists().where(
            _INPUT_TAGS.c.input_uuid == _INPUTS.c.input_uuid,
            _INPUT_TAGS.c.name == "mlflow.data.context",
            _compare(_INPUT_TAGS.c.value, c.op, c.value),
        )
        return sa.exists().where(*link, context)
    return sa.exists().where(*link, _compare(_DATASETS.c[c.key], c.op, c.value))


def _run_clause(c: Comparison) -> sa.ColumnElement[bool]:
    if c.entity == "metric":
        return _metric_clause(c)
    if c.entity == "param":
        return _key_value_clause(_PARAMS, _RUNS.c.run_uuid, "run_uuid", "key", c)
    if c.entity == "tag":
        return _key_value_clause(_TAGS, _RUNS.c.run_uuid, "run_uuid", "key", c)
    if c.entity == "dataset":
        return _dataset_clause(c)
    column = _RUN_COLUMNS[c.key]
    value = int(c.value) if isinstance(c.value, float) else c.value
    return _compare(column, c.op, value)


def _missing_last(value: Any, extra: list[tuple[Any, int]] | None = None) -> Any:
    whens = [*(extra or []), (value.is_(None), 2)]
    return sa.case(*whens, else_=0)


def apply_run_search(
    stmt: sa.Select[Any], comparisons: Sequence[Comparison], orders: Sequence[OrderBy]
) -> sa.Select[Any]:
    """Add a run filter and ordering (missing values last, NaN after numbers) to ``stmt``.

    ``stmt`` selects from ``runs``. Ordering by a metric, param or tag outer-joins its row, so
    the whole search stays one statement. The default order is newest first, and ``run_uuid``
    always breaks ties so that pages are stable.

    Raises:
        InvalidParameterValue: The same key is ordered by twice.
    """
    if comparisons:
        stmt = stmt.where(*(_run_clause(c) for c in comparisons))
    terms: list[Any] = []
    seen: set[tuple[str, str]] = set()
    for i, order in enumerate(orders):
        if (order.entity, order.key) in seen:
            raise InvalidParameterValue(
                f"order_by names {order.entity}.{order.key} twice; name each key once."
            )
        seen.add((order.entity, order.key))
        if order.entity == "attribute":
            value: Any = _RUN_COLUMNS[order.key]
            rank = _missing_last(value)
        else:
            table = {"metric": _LATEST, "param": _PARAMS, "tag": _TAGS}[order.entity]
            alias = table.alias(f"order_{i}")
            stmt = stmt.outerjoin(
                alias, sa.and_(alias.c.run_uuid == _RUNS.c.run_uuid, alias.c.key == order.key)
            )
            value = alias.c.value
            extra = [(alias.c.kind == ValueKind.NAN, 1)] if order.entity == "metric" else None
            rank = _missing_last(value, extra)
        terms.extend([rank, value if order.ascending else value.desc()])
    if ("attribute", "start_time") not in seen:
        terms.append(_RUNS.c.start_time.desc())
    terms.append(_RUNS.c.run_uuid)
    return stmt.order_by(*terms)


def _experiment_clause(c: Comparison) -> sa.ColumnElement[bool]:
    if c.entity == "tag":
        return _key_value_clause(_EXP_TAGS, _EXP.c.experiment_id, "experiment_id", "key", c)
    column = _EXP_COLUMNS[c.key]
    value = int(c.value) if isinstance(c.value, float) else c.value
    return _compare(column, c.op, value)


def apply_experiment_search(
    stmt: sa.Select[Any], comparisons: Sequence[Comparison], orders: Sequence[OrderBy]
) -> sa.Select[Any]:
    """Add an experiment filter and ordering (default: newest first) to ``stmt``."""
    if comparisons:
        stmt = stmt.where(*(_experiment_clause(c) for c in comparisons))
    terms: list[Any] = []
    keys: set[str] = set()
    for order in orders or [
        OrderBy("attribute", "creation_time", False),
        OrderBy("attribute", "experiment_id", True),
    ]:
        column = _EXP_COLUMNS[order.key]
        keys.add(order.key)
        terms.append(column if order.ascending else column.desc())
    if "experiment_id" not in keys:
        terms.append(_EXP.c.experiment_id)
    return stmt.order_by(*terms)
