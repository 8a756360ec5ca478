"""LoggedModels: models, their tags, params and metric points.

Revision ID: 0002_logged_models
Revises: 0001_tracking
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002_logged_models"
down_revision = "0001_tracking"
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
    return sa.ForeignKey("logged_models.model_id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(64), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", _key(500), nullable=False),
        sa.Column("artifact_location", sa.String(1000), nullable=False),
        sa.Column("creation_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_message", sa.String(1000)),
        sa.Column("model_type", _key(500)),
        sa.Column("source_run_id", sa.String(32)),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
    )
    op.create_index(
        "ix_logged_models_experiment_created",
        "logged_models",
        ["experiment_id", "creation_timestamp_ms"],
    )
    for table in ("logged_model_tags", "logged_model_params"):
        op.create_table(
            table,
            sa.Column("model_id", sa.String(64), _model_fk(), primary_key=True),
            sa.Column("key", _key(250), primary_key=True),
            sa.Column("value", _text()),
        )
    op.create_table(
        "logged_model_metrics",
        sa.Column("model_id", sa.String(64), _model_fk(), primary_key=True),
        sa.Column("key", _key(250), primary_key=True),
        sa.Column("step", sa.BigInteger(), primary_key=True),
        sa.Column("timestamp", sa.BigInteger(), primary_key=True),
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("value", sa.Double(), primary_key=True),
        sa.Column("kind", sa.SmallInteger(), primary_key=True),
        sa.Column("dataset_name", sa.String(500)),
        sa.Column("dataset_digest", sa.String(36)),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    for table in ("logged_model_metrics", "logged_model_params", "logged_model_tags"):
        op.drop_table(table)
    op.drop_index("ix_logged_models_experiment_created", "logged_models")
    op.drop_table("logged_models")
