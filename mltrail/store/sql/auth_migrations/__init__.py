"""Migrations of the auth database: an Alembic chain separate from the tracking one.

The auth tables have their own metadata and their own version table
(``mltrail_auth_alembic_version``), so the auth database may be a separate file or share the
tracking database without either chain ever seeing the other's revisions.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from mltrail.store.sql.engine import Database

__all__ = ["AUTH_HEAD_REVISION", "VERSION_TABLE", "auth_head_revision", "ensure_auth_schema"]

logger = logging.getLogger(__name__)

AUTH_HEAD_REVISION = "auth_0001"
VERSION_TABLE = "mltrail_auth_alembic_version"
_HERE = Path(__file__).resolve().parent


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    return cfg


def auth_head_revision() -> str:
    """Return the head of the auth chain as Alembic computes it from the scripts."""
    return str(ScriptDirectory.from_config(_config()).get_current_head())


def _current(connection: Connection) -> str | None:
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    row = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
    return None if row is None else str(row[0])


def ensure_auth_schema(db: Database) -> None:
    """Bring the auth database to the head of its chain, unless it is there already."""
    with db.engine.connect() as conn:
        if _current(conn) == AUTH_HEAD_REVISION:
            return
    with db.engine.begin() as conn:
        if _current(conn) == AUTH_HEAD_REVISION:
            return
        logger.info("Upgrading the auth schema to %s", AUTH_HEAD_REVISION)
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
