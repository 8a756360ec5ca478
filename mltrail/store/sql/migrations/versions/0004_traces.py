"""Traces: trace info, tags, metadata, spans and assessments.

Revision ID: 0004_traces
Revises: 0003_registry
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004_traces"
down_revision = "0003_registry"
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


def _trace_fk():
    return sa.ForeignKey("trace_info.trace_id", ondelete="CASCADE")


def _key_value_table(name):
    op.create_table(
        name,
        sa.Column("trace_id", sa.String(50), _trace_fk(), primary_key=True),
        sa.Column("key", _key(250), primary_key=True),
        sa.Column("value", _text()),
        sa.Column("value_prefix", _key(250)),
    )
    op.create_index(f"ix_{name}_key_value", name, ["key", "value_prefix"])


def upgrade() -> None:
    op.create_table(
        "trace_info",
        sa.Column("trace_id", sa.String(50), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("request_time", sa.BigInteger(), nullable=False),
        sa.Column("execution_duration", sa.BigInteger()),
        sa.Column("state", sa.String(50), nullable=False),
        sa.Column("client_request_id", sa.String(250)),
        sa.Column("request_preview", sa.String(1000)),
        sa.Column("response_preview", sa.String(1000)),
    )
    op.create_index(
        "ix_trace_info_experiment_time", "trace_info", ["experiment_id", "request_time"]
    )
    op.create_index("ix_trace_info_request_time", "trace_info", ["request_time"])
    _key_value_table("trace_tags")
    _key_value_table("trace_metadata")
    op.create_table(
        "spans",
        sa.Column("trace_id", sa.String(50), _trace_fk(), primary_key=True),
        sa.Column("span_id", sa.String(50), primary_key=True),
        sa.Column("parent_span_id", sa.String(50)),
        sa.Column("name", _key(250), nullable=False),
        sa.Column("span_type", _key(100)),
        sa.Column("status", sa.String(50), nullable=False),
        sa.Column("start_time_ns", sa.BigInteger(), nullable=False),
        sa.Column("end_time_ns", sa.BigInteger()),
        sa.Column("content", _text(), nullable=False),
    )
    op.create_index("ix_spans_name", "spans", ["name"])
    op.create_index("ix_spans_type", "spans", ["span_type"])
    op.create_table(
        "assessments",
        sa.Column("assessment_id", sa.String(50), primary_key=True),
        sa.Column("trace_id", sa.String(50), _trace_fk(), nullable=False),
        sa.Column("name", _key(250), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", _text()),
        sa.Column("source_type", sa.String(50), nullable=False),
        sa.Column("source_id", sa.String(250)),
        sa.Column("span_id", sa.String(50)),
        sa.Column("run_id", sa.String(32)),
        sa.Column("rationale", _text()),
        sa.Column("error", _text()),
        sa.Column("assessment_metadata", _text()),
        sa.Column("overrides", sa.String(50)),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("create_time_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_update_time_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_assessments_trace", "assessments", ["trace_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key needs).
    for name in ("assessments", "spans", "trace_metadata", "trace_tags", "trace_info"):
        op.drop_table(name)
