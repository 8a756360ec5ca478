"""Model registry: registered models, versions, tags, aliases and the audit log.

Revision ID: 0003_registry
Revises: 0002_logged_models
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003_registry"
down_revision = "0002_logged_models"
branch_labels = None
depends_on = None


def _key(length):
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _text():
    return sa.Text().with_variant(
        mysql.MEDIUMTEXT(charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _model_fk():
    return sa.ForeignKey("registered_models.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", _key(256), nullable=False, unique=True),
        sa.Column("creation_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("description", _text()),
        sa.Column("user_id", sa.String(256)),
        sa.Column("deployment_job_id", sa.String(256)),
        sa.Column("last_version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("model_pk", sa.Integer(), _model_fk(), primary_key=True),
        sa.Column("key", _key(250), primary_key=True),
        sa.Column("value", _text()),
    )
    op.create_table(
        "model_versions",
        sa.Column("model_pk", sa.Integer(), _model_fk(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("creation_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("description", _text()),
        sa.Column("user_id", sa.String(256)),
        sa.Column("current_stage", sa.String(20), nullable=False),
        sa.Column("source", _text()),
        sa.Column("storage_location", _text()),
        sa.Column("run_id", sa.String(32)),
        sa.Column("run_link", _text()),
        sa.Column("model_id", sa.String(64)),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.String(500)),
        sa.Column("deleted", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_index("ix_model_versions_model_id", "model_versions", ["model_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("model_pk", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("key", _key(250), primary_key=True),
        sa.Column("value", _text()),
        sa.ForeignKeyConstraint(
            ["model_pk", "version"],
            ["model_versions.model_pk", "model_versions.version"],
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_model_version_tags_value",
        "model_version_tags",
        ["value"],
        mysql_length={"value": 191},
        postgresql_using="hash",
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("model_pk", sa.Integer(), _model_fk(), primary_key=True),
        sa.Column("alias", _key(256), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "registry_audit_events",
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.String(256)),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("model_name", _key(256), nullable=False),
        sa.Column("version", sa.String(32)),
        sa.Column("key", _key(256)),
        sa.Column("old_value", _text()),
        sa.Column("new_value", _text()),
        sa.Column("request_id", sa.String(64)),
    )
    op.create_index(
        "ix_registry_audit_events_model", "registry_audit_events", ["model_name", "event_id"]
    )
    op.create_index("ix_registry_audit_events_time", "registry_audit_events", ["timestamp_ms"])


def downgrade() -> None:
    op.drop_index("ix_registry_audit_events_time", "registry_audit_events")
    op.drop_index("ix_registry_audit_events_model", "registry_audit_events")
    op.drop_table("registry_audit_events")
    op.drop_table("registered_model_aliases")
    op.drop_index("ix_model_version_tags_value", "model_version_tags")
    op.drop_table("model_version_tags")
    op.drop_index("ix_model_versions_model_id", "model_versions")
    op.drop_index("ix_model_versions_run_id", "model_versions")
    op.drop_table("model_versions")
    op.drop_table("registered_model_tags")
    op.drop_table("registered_models")
