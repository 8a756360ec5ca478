"""Registry searches: filters and orderings compiled to SQL, and pages of versions loaded with
their tags and aliases in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mltrail.entities import ModelVersion
from mltrail.search.filter import Comparison
from mltrail.search.registry import RegistryOrder as Order
from mltrail.store.sql.tables import (
    ModelVersionRow,
    ModelVersionTagRow,
    RegisteredModelAliasRow,
    RegisteredModelRow,
    RegisteredModelTagRow,
)

__all__ = ["load_page", "page_statement", "search_model_pks", "search_versions"]

_MODELS = cast(sa.Table, RegisteredModelRow.__table__)
_MODEL_TAGS = cast(sa.Table, RegisteredModelTagRow.__table__)
_VERSIONS = cast(sa.Table, ModelVersionRow.__table__)
_VERSION_TAGS = cast(sa.Table, ModelVersionTagRow.__table__)
_ALIASES = cast(sa.Table, RegisteredModelAliasRow.__table__)

VersionKey = tuple[int, int]


def page_statement(page: sa.Subquery, order: Sequence[Any]) -> sa.Select[Any]:
    """Versions of ``page`` (a subquery of version rows plus ``model_name``), in ``order``,
    with their tags and aliases joined in the same statement."""
    t, a = _VERSION_TAGS.c, _ALIASES.c
    return (
        sa.select(page, t.key.label("tag_key"), t.value.label("tag_value"), a.alias)
        .select_from(
            page.outerjoin(
                _VERSION_TAGS, sa.and_(t.model_pk == page.c.model_pk, t.version == page.c.version)
            ).outerjoin(
                _ALIASES, sa.and_(a.model_pk == page.c.model_pk, a.version == page.c.version)
            )
        )
        .order_by(*order, t.key, a.alias)
    )


def load_page(
    session: Session, statement: sa.Select[Any], params: dict[str, Any] | None = None
) -> list[tuple[int, ModelVersion]]:
    """Run a ``page_statement`` and fold its rows into versions, in order."""
    result = session.connection().execute(statement, params or {})
    # Positional access: a search page can be thousands of joined rows.
    at = {name: i for i, name in enumerate(result.keys())}
    pk_i, version_i, name_i = at["model_pk"], at["version"], at["model_name"]
    key_i, value_i, alias_i = at["tag_key"], at["tag_value"], at["alias"]
    found: dict[VersionKey, ModelVersion] = {}
    for r in result.all():
        key = (r[pk_i], r[version_i])
        mv = found.get(key)
        if mv is None:
            mv = found[key] = _version_from_row(r, at, r[name_i])
        if r[key_i] is not None:
            mv.tags[r[key_i]] = r[value_i] or ""
        alias = r[alias_i]
        if alias is not None and alias not in mv.aliases:
            mv.aliases.append(alias)
    return [(int(pk), mv) for (pk, _), mv in found.items()]


def _version_from_row(r: Any, at: dict[str, int], name: str) -> ModelVersion:
    return ModelVersion(
        name,
        str(r[at["version"]]),
        r[at["creation_timestamp_ms"]],
        r[at["last_updated_timestamp_ms"]],
        r[at["description"]],
        r[at["user_id"]],
        r[at["current_stage"]],
        r[at["source"]],
        r[at["run_id"]],
        r[at["status"]],
        r[at["status_message"]],
        {},
        r[at["run_link"]],
        [],
        r[at["model_id"]],
        storage_location=r[at["storage_location"]],
    )


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
        return cast(sa.ColumnElement[bool], sa.func.lower(column).like(str(value).lower()))
    if op == "IN":
        return cast(sa.ColumnElement[bool], column.in_(list(value)))
    if op == "NOT IN":
        return cast(sa.ColumnElement[bool], column.not_in(list(value)))
    raise ValueError(op)


def _tag_exists(
    table: sa.Table, keys: Sequence[tuple[Any, Any]], c: Comparison
) -> sa.ColumnElement[bool]:
    where = [inner == outer for inner, outer in keys]
    if c.op == "!=":
        # A missing tag counts as different, as in MLflow (its client filters prompts out with
        # ``tags.`mlflow.prompt.is_prompt` != 'true'``, which untagged models must pass).
        where += [table.c.key == c.key, table.c.value == c.value]
        return ~sa.exists(sa.select(sa.literal(1)).where(*where))
    where += [table.c.key == c.key, _compare(table.c.value, c.op, c.value)]
    return sa.exists(sa.select(sa.literal(1)).where(*where))


def _order_terms(orders: Sequence[Order], columns: dict[str, Any]) -> list[Any]:
    return [columns[o.field].asc() if o.ascending else columns[o.field].desc() for o in orders]


_MODEL_COLUMNS = {
    "name": _MODELS.c.name,
    "creation_timestamp": _MODELS.c.creation_timestamp_ms,
    "last_updated_timestamp": _MODELS.c.last_updated_timestamp_ms,
}


def search_model_pks(
    session: Session,
    comparisons: Sequence[Comparison],
    orders: Sequence[Order],
    limit: int,
    offset: int,
) -> list[int]:
    """Keys of the models matching a search, in order, one page."""
    stmt = sa.select(_MODELS.c.id)
    for c in comparisons:
        if c.entity == "tag":
            keys = [(_MODEL_TAGS.c.model_pk, _MODELS.c.id)]
            stmt = stmt.where(_tag_exists(_MODEL_TAGS, keys, c))
        else:
            stmt = stmt.where(_compare(_MODEL_COLUMNS[c.key], c.op, c.value))
    terms = [*_order_terms(orders, _MODEL_COLUMNS), _MODELS.c.name.asc()]
    stmt = stmt.order_by(*terms).limit(limit).offset(offset)
    return [int(r[0]) for r in session.connection().execute(stmt)]


_VERSION_COLUMNS = {
    "name": _MODELS.c.name,
    "version_number": _VERSIONS.c.version,
    "run_id": _VERSIONS.c.run_id,
    "source_path": _VERSIONS.c.source,
    "model_id": _VERSIONS.c.model_id,
    "current_stage": _VERSIONS.c.current_stage,
    "creation_timestamp": _VERSIONS.c.creation_timestamp_ms,
    "last_updated_timestamp": _VERSIONS.c.last_updated_timestamp_ms,
}


# Built search statements by the shape of the search (which keys, operators and orderings; not
# the values, which are bound parameters). A pure function of its key, so it never goes stale;
# it is cleared when it grows past a bound.
_SEARCH_STATEMENTS: dict[tuple[Any, ...], sa.Select[Any]] = {}
_SEARCH_STATEMENTS_MAX = 256


def _param(c: Comparison) -> Any:
    if c.op in ("IN", "NOT IN"):
        return list(c.value) if isinstance(c.value, tuple) else [c.value]
    if c.op == "ILIKE":
        return str(c.value).lower()
    return int(c.value) if isinstance(c.value, float) else c.value


def _bound_compare(column: Any, op: str, name: str) -> sa.ColumnElement[bool]:
    if op == "IN":
        return cast(sa.ColumnElement[bool], column.in_(sa.bindparam(name, expanding=True)))
    if op == "NOT IN":
        return cast(sa.ColumnElement[bool], column.not_in(sa.bindparam(name, expanding=True)))
    if op == "ILIKE":  # the bound value is lower-cased by _param
        return cast(sa.ColumnElement[bool], sa.func.lower(column).like(sa.bindparam(name)))
    return _compare(column, op, sa.bindparam(name))


def _search_statement(comparisons: Sequence[Comparison], orders: Sequence[Order]) -> Any:
    v = _VERSIONS.c
    stmt = (
        sa.select(_VERSIONS, _MODELS.c.name.label("model_name"))
        .join(_MODELS, _MODELS.c.id == v.model_pk)
        .where(v.deleted.is_(False))
    )
    for i, c in enumerate(comparisons):
        name = f"p{i}"
        if c.entity == "tag" and c.op == "=":
            # An equality on a tag joins the tag table (at most one row per version: the key is
            # part of its primary key), so the planner can start from the index on the value
            # instead of probing every version.
            tag = _VERSION_TAGS.alias(f"tag_{i}")
            stmt = stmt.join(
                tag,
                sa.and_(
                    tag.c.model_pk == v.model_pk,
                    tag.c.version == v.version,
                    tag.c.key == c.key,
                    tag.c.value == sa.bindparam(name),
                ),
            )
        elif c.entity == "tag":
            tags = _VERSION_TAGS.c
            where = [tags.model_pk == v.model_pk, tags.version == v.version, tags.key == c.key]
            if c.op == "!=":
                # A missing tag counts as different, as in MLflow (see _tag_exists).
                where.append(tags.value == sa.bindparam(name))
                stmt = stmt.where(~sa.exists(sa.select(sa.literal(1)).where(*where)))
            else:
                where.append(_bound_compare(tags.value, c.op, name))
                stmt = stmt.where(sa.exists(sa.select(sa.literal(1)).where(*where)))
        else:
            stmt = stmt.where(_bound_compare(_VERSION_COLUMNS[c.key], c.op, name))
    terms = [*_order_terms(orders, _VERSION_COLUMNS), _MODELS.c.name.asc(), v.version.desc()]
    page = (
        stmt.order_by(*terms)
        .limit(sa.bindparam("page_limit"))
        .offset(sa.bindparam("page_offset"))
        .subquery("page")
    )
    page_columns = {
        field: page.c["model_name" if field == "name" else column.name]
        for field, column in _VERSION_COLUMNS.items()
    }
    order = [*_order_terms(orders, page_columns), page.c.model_name.asc(), page.c.version.desc()]
    return page_statement(page, order)


def search_versions(
    session: Session,
    comparisons: Sequence[Comparison],
    orders: Sequence[Order],
    limit: int,
    offset: int,
) -> list[ModelVersion]:
    """The live versions matching a search, in order, one page, with tags and aliases.

    One statement: the page of versions (filtered, ordered, limited) is a subquery that the
    outer query joins to the version's tags and aliases, so no second round trip carries a
    long list of keys back to the database.
    """
    shape = (
        tuple((c.entity, c.key, c.op) for c in comparisons),
        tuple((o.field, o.ascending) for o in orders),
    )
    statement = _SEARCH_STATEMENTS.get(shape)
    if statement is None:
        if len(_SEARCH_STATEMENTS) >= _SEARCH_STATEMENTS_MAX:
            _SEARCH_STATEMENTS.clear()
        statement = _SEARCH_STATEMENTS[shape] = _search_statement(comparisons, orders)
    params = {f"p{i}": _param(c) for i, c in enumerate(comparisons)}
    params.update(page_limit=limit, page_offset=offset)
    return [mv for _, mv in load_page(session, statement, params)]
