"""Model registry tables: registered models, versions, their tags, aliases and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mltrail.store.sql.tables.base import Base, BinaryText, Key

__all__ = [
    "ModelVersionRow",
    "ModelVersionTagRow",
    "RegisteredModelAliasRow",
    "RegisteredModelRow",
    "RegisteredModelTagRow",
    "RegistryAuditEventRow",
]

# A surrogate key keeps a rename to one UPDATE: children never repeat the model's name.
_MODEL_FK = "registered_models.id"


class RegisteredModelRow(Base):
    __tablename__ = "registered_models"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Key(256), nullable=False, unique=True)
    creation_timestamp_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    last_updated_timestamp_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    description: Mapped[str | None] = mapped_column(BinaryText())
    user_id: Mapped[str | None] = mapped_column(sa.String(256))
    deployment_job_id: Mapped[str | None] = mapped_column(sa.String(256))
    # The highest version number handed out so far, deleted versions included. Creating a
    # version increments it with one UPDATE, whose row lock serialises concurrent creates.
    last_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class RegisteredModelTagRow(Base):
    __tablename__ = "registered_model_tags"

    model_pk: Mapped[int] = mapped_column(
        sa.ForeignKey(_MODEL_FK, ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(BinaryText())


class ModelVersionRow(Base):
    __tablename__ = "model_versions"
    __table_args__ = (
        sa.Index("ix_model_versions_run_id", "run_id"),
        sa.Index("ix_model_versions_model_id", "model_id"),
    )

    model_pk: Mapped[int] = mapped_column(
        sa.ForeignKey(_MODEL_FK, ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    creation_timestamp_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    last_updated_timestamp_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    description: Mapped[str | None] = mapped_column(BinaryText())
    user_id: Mapped[str | None] = mapped_column(sa.String(256))
    current_stage: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    source: Mapped[str | None] = mapped_column(BinaryText())
    storage_location: Mapped[str | None] = mapped_column(BinaryText())
    run_id: Mapped[str | None] = mapped_column(sa.String(32))
    run_link: Mapped[str | None] = mapped_column(BinaryText())
    model_id: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    status_message: Mapped[str | None] = mapped_column(sa.String(500))
    # Deleted versions stay as tombstones so that their numbers are never handed out again.
    deleted: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)


class ModelVersionTagRow(Base):
    __tablename__ = "model_version_tags"
    __table_args__ = (
        # Tag filters of search_model_versions start from the tags with the wanted value.
        # PostgreSQL's B-tree cannot hold the longest values, so there it is a hash index;
        # MySQL indexes a prefix.
        sa.Index(
            "ix_model_version_tags_value",
            "value",
            mysql_length={"value": 191},
            postgresql_using="hash",
        ),
        sa.ForeignKeyConstraint(
            ["model_pk", "version"],
            ["model_versions.model_pk", "model_versions.version"],
            ondelete="CASCADE",
        ),
    )

    model_pk: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(BinaryText())


class RegisteredModelAliasRow(Base):
    __tablename__ = "registered_model_aliases"

    model_pk: Mapped[int] = mapped_column(
        sa.ForeignKey(_MODEL_FK, ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(Key(256), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class RegistryAuditEventRow(Base):
    """An append-only log of registry changes; no foreign key, so events outlive the model."""

    __tablename__ = "registry_audit_events"
    __table_args__ = (
        sa.Index("ix_registry_audit_events_model", "model_name", "event_id"),
        sa.Index("ix_registry_audit_events_time", "timestamp_ms"),
    )

    event_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    timestamp_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    user_id: Mapped[str | None] = mapped_column(sa.String(256))
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    model_name: Mapped[str] = mapped_column(Key(256), nullable=False)
    version: Mapped[str | None] = mapped_column(sa.String(32))
    key: Mapped[str | None] = mapped_column(Key(256))
    old_value: Mapped[str | None] = mapped_column(BinaryText())
    new_value: Mapped[str | None] = mapped_column(BinaryText())
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
