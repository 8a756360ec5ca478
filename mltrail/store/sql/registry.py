"""Model registry persistence: models, versions, tags, aliases and the audit log.

Searches live in ``registry_search``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mltrail.entities import AuditEvent, ModelVersion, RegisteredModel
from mltrail.store.sql import registry_search as search
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
    statement = search.page_statement(page, [page.c.model_pk, page.c.version])
    for pk, mv in search.load_page(session, statement):
        out[pk].append(mv)
    return out


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
