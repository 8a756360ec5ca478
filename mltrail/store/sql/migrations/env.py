"""Alembic environment: runs migrations on the connection mltrail hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from mltrail.store.sql.tables import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "mltrail's migrations run through mltrail.store.sql.migrations.upgrade(), "
        "or `mltrail db upgrade <uri>`, which pass a connection."
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
