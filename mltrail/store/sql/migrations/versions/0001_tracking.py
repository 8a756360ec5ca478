"""Tracking tables: experiments, runs, params, tags, metrics, latest metrics, datasets, inputs.

Revision ID: 0001_tracking
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001_tracking"
down_revision = None
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


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", _key(256), nullable=False),
        sa.Column("artifact_location", sa.String(1000)),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("creation_time", sa.BigInteger()),
        sa.Column("last_update_time", sa.BigInteger()),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "experiment_tags",
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", _key(250), primary_key=True),
        sa.Column("value", _text()),
    )
    op.create_table(
        "runs",
        sa.Column("run_uuid", sa.String(32), primary_key=True),
        sa.Column("name", _key(250)),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id"),
            nullable=False,
        ),
        sa.Column("user_id", _key(256)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.BigInteger()),
        sa.Column("end_time", sa.BigInteger()),
        sa.Column("deleted_time", sa.BigInteger()),
        sa.Column("lifecycle_stage", sa.String(20), nullable=False),
        sa.Column("artifact_uri", sa.String(1000)),
    )
    op.create_index(
        "ix_runs_experiment_stage_start", "runs", ["experiment_id", "lifecycle_stage", "start_time"]
    )
    for table, nullable in (("params", False), ("tags", True)):
        op.create_table(
            table,
            sa.Column(
                "run_uuid",
                sa.String(32),
                sa.ForeignKey("runs.run_uuid", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("key", _key(250), primary_key=True),
            sa.Column("value", _text(), nullable=nullable),
        )
    op.create_table(
        "metrics",
        sa.Column(
            "run_uuid",
            sa.String(32),
            sa.ForeignKey("runs.run_uuid", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", _key(250), primary_key=True),
        sa.Column("step", sa.BigInteger(), primary_key=True),
        sa.Column("timestamp", sa.BigInteger(), primary_key=True),
        sa.Column("value", sa.Double(), primary_key=True),
        sa.Column("kind", sa.SmallInteger(), primary_key=True),
        sa.Column("model_id", sa.String(64)),
        sa.Column("dataset_name", sa.String(500)),
        sa.Column("dataset_digest", sa.String(36)),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "latest_metrics",
        sa.Column(
            "run_uuid",
            sa.String(32),
            sa.ForeignKey("runs.run_uuid", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", _key(250), primary_key=True),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("model_id", sa.String(64)),
        sa.Column("dataset_name", sa.String(500)),
        sa.Column("dataset_digest", sa.String(36)),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_table(
        "datasets",
        sa.Column("dataset_uuid", sa.String(36), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", _key(500), nullable=False),
        sa.Column("digest", _key(36), nullable=False),
        sa.Column("source_type", sa.String(36), nullable=False),
        sa.Column("source", _text(), nullable=False),
        sa.Column("schema", _text()),
        sa.Column("profile", _text()),
        sa.UniqueConstraint(
            "experiment_id", "name", "digest", name="uq_datasets_exp_name_digest"
        ),
    )
    op.create_table(
        "inputs",
        sa.Column("input_uuid", sa.String(36), primary_key=True),
        sa.Column("source_type", sa.String(36), nullable=False),
        sa.Column("source_id", sa.String(36), nullable=False),
        sa.Column("destination_type", sa.String(36), nullable=False),
        sa.Column("destination_id", sa.String(36), nullable=False),
        sa.UniqueConstraint(
            "source_type", "source_id", "destination_type", "destination_id", name="uq_inputs_link"
        ),
    )
    op.create_index("ix_inputs_destination", "inputs", ["destination_type", "destination_id"])
    op.create_table(
        "input_tags",
        sa.Column(
            "input_uuid",
            sa.String(36),
            sa.ForeignKey("inputs.input_uuid", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", _key(255), primary_key=True),
        sa.Column("value", _text(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "input_tags",
        "inputs",
        "datasets",
        "latest_metrics",
        "metrics",
        "tags",
        "params",
        "runs",
        "experiment_tags",
        "experiments",
    ):
        op.drop_table(table)
