"""Alembic environment of the auth database: its own tables and its own version table."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from mltrail.store.sql.tables.auth import AuthBase

VERSION_TABLE = "mltrail_auth_alembic_version"

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "The auth migrations run through mltrail.store.sql.auth_migrations.ensure_auth_schema(), "
        "which passes a connection."
    )
context.configure(
    connection=connection,
    target_metadata=AuthBase.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
