"""Model registry persistence: models, versions, tags, aliases, searches and the audit log."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mltrail.entities import AuditEvent, ModelVersion, RegisteredModel
from mltrail.search.filter import Comparison
from mltrail.search.registry import RegistryOrder as Order
from mltrail.store.sql.engine import Database
from mltrail.store.sql.tables import (
    ModelVersionRow,
    ModelVersionTagRow,
    RegisteredModelAliasRow,
    RegisteredModelRow,
    RegisteredModelTagRow,
    RegistryAuditEventRow,
)

__all__ = [
    "alias_version",
    "allocate_version",
    "append_event",
    "delete_alias",
    "delete_model",
    "delete_model_tag",
    "delete_version_aliases",
    "delete_version_tag",
    "insert_model",
    "insert_version",
    "latest_versions",
    "list_events",
    "load_models",
    "load_versions",
    "model_pk",
    "search_model_pks",
    "search_versions",
    "set_alias",
    "set_model_tags",
    "set_version_tags",
    "update_model",
    "update_version",
    "version_exists",
    "versions_in_stages",
]

_MODELS = cast(sa.Table, RegisteredModelRow.__table__)
_MODEL_TAGS = cast(sa.Table, RegisteredModelTagRow.__table__)
_VERSIONS = cast(sa.Table, ModelVersionRow.__table__)
_VERSION_TAGS = cast(sa.Table, ModelVersionTagRow.__table__)
_ALIASES = cast(sa.Table, RegisteredModelAliasRow.__table__)
_EVENTS = cast(sa.Table, RegistryAuditEventRow.__table__)

VersionKey = tuple[int, int]


# ------------------------------------------------------------------ registered models
def model_pk(session: Session, name: str, for_update: bool = False) -> int | None:
    """The surrogate key of a model by name, or None; ``for_update`` locks its row."""
    stmt = sa.select(_MODELS.c.id).where(_MODELS.c.name == name)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.connection().execute(stmt).first()
    return None if row is None else int(row[0])


def insert_model(session: Session, values: dict[str, Any]) -> int:
    """Insert a model row and return its key."""
    result = session.connection().execute(sa.insert(_MODELS).values(last_version=0, **values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def update_model(session: Session, pk: int, **values: Any) -> None:
    """Update columns of a model row."""
    session.connection().execute(sa.update(_MODELS).where(_MODELS.c.id == pk).values(**values))


def delete_model(session: Session, pk: int) -> None:
    """Delete a model with its versions, tags and aliases (in dependency order)."""
    conn = session.connection()
    conn.execute(sa.delete(_VERSION_TAGS).where(_VERSION_TAGS.c.model_pk == pk))
    conn.execute(sa.delete(_ALIASES).where(_ALIASES.c.model_pk == pk))
    conn.execute(sa.delete(_VERSIONS).where(_VERSIONS.c.model_pk == pk))
    conn.execute(sa.delete(_MODEL_TAGS).where(_MODEL_TAGS.c.model_pk == pk))
    conn.execute(sa.delete(_MODELS).where(_MODELS.c.id == pk))


def _model_tags(session: Session, pks: list[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = defaultdict(dict)
    stmt = sa.select(_MODEL_TAGS).where(_MODEL_TAGS.c.model_pk.in_(pks))
    for row in session.connection().execute(stmt):
        out[row.model_pk][row.key] = row.value or ""
    return out


def _aliases(session: Session, pks: list[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = defaultdict(dict)
    stmt = sa.select(_ALIASES).where(_ALIASES.c.model_pk.in_(pks)).order_by(_ALIASES.c.alias)
    for row in session.connection().execute(stmt):
        out[row.model_pk][row.alias] = str(row.version)
    return out


def load_models(session: Session, pks: Sequence[int]) -> list[RegisteredModel]:
    """Load models with tags, aliases and latest version per stage, in the order of ``pks``."""
    ids = list(pks)
    if not ids:
        return []
    conn = session.connection()
    rows = {r.id: r for r in conn.execute(sa.select(_MODELS).where(_MODELS.c.id.in_(ids)))}
    tags = _model_tags(session, ids)
    aliases = _aliases(session, ids)
    latest = _latest_per_stage(session, ids)
    out = []
    for pk in ids:
        r = rows.get(pk)
        if r is None:
            continue
        out.append(
            RegisteredModel(
                name=r.name,
                creation_timestamp=r.creation_timestamp_ms,
                last_updated_timestamp=r.last_updated_timestamp_ms,
                description=r.description,
                latest_versions=latest.get(pk, []),
                tags=tags.get(pk, {}),
                aliases=aliases.get(pk, {}),
                deployment_job_id=r.deployment_job_id,
                user_id=r.user_id,
            )
        )
    return out


def _latest_per_stage(session: Session, pks: list[int]) -> dict[int, list[ModelVersion]]:
    v = _VERSIONS.c
    newest = (
        sa.select(v.model_pk, sa.func.max(v.version).label("version"))
        .where(v.model_pk.in_(pks), v.deleted.is_(False))
        .group_by(v.model_pk, v.current_stage)
        .subquery("newest")
    )
    page = (
        sa.select(_VERSIONS, _MODELS.c.name.label("model_name"))
        .join(_MODELS, _MODELS.c.id == v.model_pk)
        .join(newest, sa.and_(newest.c.model_pk == v.model_pk, newest.c.version == v.version))
        .subquery("page")
    )
    out: dict[int, list[ModelVersion]] = defaultdict(list)
    statement = _page_statement(page, [page.c.model_pk, page.c.version])
    for pk, mv in _load_page(session, statement):
        out[pk].append(mv)
    return out


def _page_statement(page: sa.Subquery, order: Sequence[Any]) -> sa.Select[Any]:
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


def _load_page(
    session: Session, statement: sa.Select[Any], params: dict[str, Any] | None = None
) -> list[tuple[int, ModelVersion]]:
    """Run a ``_page_statement`` and fold its rows into versions, in order."""
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
        r[at["storage_location"]],
    )


# ------------------------------------------------------------------ versions
def allocate_version(session: Session, pk: int) -> int:
    """Hand out the model's next version number.

    The UPDATE takes the model row's write lock until the transaction ends, so concurrent
    creators on PostgreSQL and MySQL queue behind it and each reads back its own number.
    """
    conn = session.connection()
    conn.execute(
        sa.update(_MODELS).where(_MODELS.c.id == pk).values(last_version=_MODELS.c.last_version + 1)
    )
    return int(
        conn.execute(sa.select(_MODELS.c.last_version).where(_MODELS.c.id == pk)).scalar_one()
    )


def insert_version(session: Session, values: dict[str, Any]) -> None:
    """Insert a version row."""
    session.connection().execute(sa.insert(_VERSIONS).values(deleted=False, **values))


def update_version(session: Session, pk: int, version: int, **values: Any) -> None:
    """Update columns of a version row."""
    session.connection().execute(
        sa.update(_VERSIONS)
        .where(_VERSIONS.c.model_pk == pk, _VERSIONS.c.version == version)
        .values(**values)
    )


def version_exists(session: Session, pk: int, version: int) -> bool:
    """Whether a live (not deleted) version exists."""
    v = _VERSIONS.c
    stmt = sa.select(v.version).where(v.model_pk == pk, v.version == version, v.deleted.is_(False))
    return session.connection().execute(stmt).first() is not None


def versions_in_stages(session: Session, pk: int, stages: Sequence[str]) -> list[int]:
    """Live version numbers of a model in any of ``stages``."""
    v = _VERSIONS.c
    stmt = sa.select(v.version).where(
        v.model_pk == pk, v.deleted.is_(False), v.current_stage.in_(list(stages))
    )
    return [int(r[0]) for r in session.connection().execute(stmt)]


def latest_versions(session: Session, pk: int, stages: Sequence[str] | None) -> list[ModelVersion]:
    """The newest live version in each stage (only ``stages`` when given)."""
    found = _latest_per_stage(session, [pk]).get(pk, [])
    if stages:
        wanted = {s.lower() for s in stages}
        found = [mv for mv in found if mv.current_stage.lower() in wanted]
    return found


_CHUNK = 400  # version keys per IN list (two bound parameters each)


def load_versions(session: Session, keys: Sequence[VersionKey]) -> list[ModelVersion]:
    """Load live versions with tags and aliases, in the order of ``keys``."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return []
    conn = session.connection()
    v, t, a = _VERSIONS.c, _VERSION_TAGS.c, _ALIASES.c
    found: dict[VersionKey, ModelVersion] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = conn.execute(
            sa.select(_VERSIONS, _MODELS.c.name)
            .join(_MODELS, _MODELS.c.id == v.model_pk)
            .where(sa.tuple_(v.model_pk, v.version).in_(chunk), v.deleted.is_(False))
        )
        for r in rows:
            found[(int(r.model_pk), int(r.version))] = _version_entity(r)
        tags = sa.select(_VERSION_TAGS).where(sa.tuple_(t.model_pk, t.version).in_(chunk))
        for row in conn.execute(tags):
            mv = found.get((int(row.model_pk), int(row.version)))
            if mv is not None:
                mv.tags[row.key] = row.value or ""
        aliases = (
            sa.select(_ALIASES).where(sa.tuple_(a.model_pk, a.version).in_(chunk)).order_by(a.alias)
        )
        for row in conn.execute(aliases):
            mv = found.get((int(row.model_pk), int(row.version)))
            if mv is not None:
                mv.aliases.append(row.alias)
    return [found[k] for k in keys if k in found]


def _version_entity(r: Any, name: str | None = None) -> ModelVersion:
    return ModelVersion(
        name=name if name is not None else r.name,
        version=str(r.version),
        creation_timestamp=r.creation_timestamp_ms,
        last_updated_timestamp=r.last_updated_timestamp_ms,
        description=r.description,
        user_id=r.user_id,
        current_stage=r.current_stage,
        source=r.source,
        run_id=r.run_id,
        status=r.status,
        status_message=r.status_message,
        run_link=r.run_link,
        model_id=r.model_id,
        storage_location=r.storage_location,
    )


# ------------------------------------------------------------------ tags and aliases
def set_model_tags(db: Database, session: Session, pk: int, tags: dict[str, str]) -> None:
    """Insert or overwrite model tags."""
    rows = [{"model_pk": pk, "key": k, "value": v} for k, v in tags.items()]
    db.upsert(session, _MODEL_TAGS, rows, conflict=["model_pk", "key"], update=["value"])


def delete_model_tag(session: Session, pk: int, key: str) -> str | None:
    """Delete a model tag; return its old value (None if there was none)."""
    return _delete_returning(
        session, _MODEL_TAGS, [_MODEL_TAGS.c.model_pk == pk, _MODEL_TAGS.c.key == key]
    )


def set_version_tags(
    db: Database, session: Session, pk: int, version: int, tags: dict[str, str]
) -> None:
    """Insert or overwrite version tags."""
    rows = [{"model_pk": pk, "version": version, "key": k, "value": v} for k, v in tags.items()]
    conflict = ["model_pk", "version", "key"]
    db.upsert(session, _VERSION_TAGS, rows, conflict=conflict, update=["value"])


def delete_version_tag(session: Session, pk: int, version: int, key: str) -> str | None:
    """Delete a version tag; return its old value (None if there was none)."""
    t = _VERSION_TAGS.c
    return _delete_returning(
        session, _VERSION_TAGS, [t.model_pk == pk, t.version == version, t.key == key]
    )


def _delete_returning(
    session: Session, table: sa.Table, where: list[sa.ColumnElement[bool]]
) -> str | None:
    conn = session.connection()
    old = conn.execute(sa.select(table.c.value).where(*where)).first()
    if old is None:
        return None
    conn.execute(sa.delete(table).where(*where))
    return str(old[0] or "")


def alias_version(session: Session, pk: int, alias: str) -> int | None:
    """The version an alias points at, or None."""
    a = _ALIASES.c
    row = (
        session.connection()
        .execute(sa.select(a.version).where(a.model_pk == pk, a.alias == alias))
        .first()
    )
    return None if row is None else int(row[0])


def set_alias(db: Database, session: Session, pk: int, alias: str, version: int) -> None:
    """Point an alias at a version (moving it if it exists)."""
    row = {"model_pk": pk, "alias": alias, "version": version}
    db.upsert(session, _ALIASES, [row], conflict=["model_pk", "alias"], update=["version"])


def delete_alias(session: Session, pk: int, alias: str) -> None:
    """Remove an alias."""
    a = _ALIASES.c
    session.connection().execute(sa.delete(_ALIASES).where(a.model_pk == pk, a.alias == alias))


def delete_version_aliases(session: Session, pk: int, version: int) -> list[str]:
    """Remove every alias of a version; return their names."""
    a = _ALIASES.c
    where = [a.model_pk == pk, a.version == version]
    conn = session.connection()
    names = [str(r[0]) for r in conn.execute(sa.select(a.alias).where(*where))]
    conn.execute(sa.delete(_ALIASES).where(*where))
    return names


# ------------------------------------------------------------------ search
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
    return _page_statement(page, order)


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
    return [mv for _, mv in _load_page(session, statement, params)]


# ------------------------------------------------------------------ audit log
def append_event(session: Session, values: dict[str, Any]) -> None:
    """Append one audit event (inside the caller's transaction)."""
    session.connection().execute(sa.insert(_EVENTS).values(**values))


def list_events(
    session: Session,
    model_name: str | None,
    since_ms: int | None,
    limit: int,
    after_event_id: int,
) -> list[AuditEvent]:
    """Audit events in the order they were written, optionally for one model or since a time."""
    e = _EVENTS.c
    stmt = sa.select(_EVENTS).where(e.event_id > after_event_id)
    if model_name is not None:
        stmt = stmt.where(e.model_name == model_name)
    if since_ms is not None:
        stmt = stmt.where(e.timestamp_ms >= since_ms)
    stmt = stmt.order_by(e.event_id).limit(limit)
    return [
        AuditEvent(
            event_id=int(r.event_id),
            timestamp=int(r.timestamp_ms),
            user_id=r.user_id,
            action=r.action,
            model_name=r.model_name,
            version=r.version,
            key=r.key,
            old_value=r.old_value,
            new_value=r.new_value,
            request_id=r.request_id,
        )
        for r in session.connection().execute(stmt)
    ]
