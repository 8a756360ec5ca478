"""Schema migrations: a cheap revision check on start, Alembic under a database lock when behind."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from mltrail.config import Settings
from mltrail.store.sql.engine import Database

__all__ = ["HEAD_REVISION", "current_revision", "ensure_schema", "head_revision", "upgrade"]

logger = logging.getLogger(__name__)

# The newest revision in versions/. A test checks it against Alembic's own view of the head, so
# the start-up check can compare one string instead of loading every migration script.
HEAD_REVISION = "0004_traces"

_HERE = Path(__file__).resolve().parent
_LOCK_ID = 0x6D6C7472  # "mltr"


def _alembic_config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """Return the head revision as Alembic computes it from the scripts."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    return str(head)


def current_revision(connection: Connection) -> str | None:
    """Return the database's revision, or None for an empty database."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(sa.text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def ensure_schema(db: Database) -> None:
    """Bring the database to the head revision, unless it is there already.

    Concurrent callers (server workers, replicas, processes sharing a SQLite file) serialise on
    a database lock, and the one that gets it second finds the schema up to date.
    """
    with db.engine.connect() as conn:
        if current_revision(conn) == HEAD_REVISION:
            return
    _upgrade_locked(db)


def upgrade(db_uri: str, settings: Settings | None = None) -> str:
    """Upgrade the database at ``db_uri`` to the head revision and return that revision."""
    db = Database(db_uri, settings or Settings())
    try:
        _upgrade_locked(db)
    finally:
        db.dispose()
    return HEAD_REVISION


def _upgrade_locked(db: Database) -> None:
    with db.engine.connect() as conn:
        if db.is_sqlite:
            # Taking the write lock up front makes a second process wait here.
            conn.info["immediate"] = True
            try:
                with conn.begin():
                    _upgrade_if_behind(conn)
            finally:
                conn.info.pop("immediate", None)
        elif db.dialect == "postgresql":
            with conn.begin():
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
                _upgrade_if_behind(conn)
        else:
            conn.execute(sa.text("SELECT GET_LOCK('mltrail_migrations', 300)"))
            try:
                _upgrade_if_behind(conn)
                conn.commit()
            finally:
                conn.execute(sa.text("SELECT RELEASE_LOCK('mltrail_migrations')"))
                conn.commit()


def _upgrade_if_behind(conn: Connection) -> None:
    revision = current_revision(conn)
    if revision == HEAD_REVISION:
        return
    logger.info("Upgrading database schema from %s to %s", revision or "empty", HEAD_REVISION)
    command.upgrade(_alembic_config(conn), "head")
