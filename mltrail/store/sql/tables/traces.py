"""Trace tables: info, tags, metadata, spans (search columns plus JSON) and assessments."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mltrail.store.sql.tables.base import Base, BinaryText, Key

__all__ = [
    "AssessmentRow",
    "SpanRow",
    "TraceInfoRow",
    "TraceMetadataRow",
    "TraceTagRow",
]


def _trace_fk() -> sa.ForeignKey:
    return sa.ForeignKey("trace_info.trace_id", ondelete="CASCADE")


class TraceInfoRow(Base):
    __tablename__ = "trace_info"
    __table_args__ = (
        sa.Index("ix_trace_info_experiment_time", "experiment_id", "request_time"),
        sa.Index("ix_trace_info_request_time", "request_time"),
    )

    trace_id: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"), nullable=False
    )
    request_time: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    execution_duration: Mapped[int | None] = mapped_column(sa.BigInteger)
    state: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    client_request_id: Mapped[str | None] = mapped_column(sa.String(250))
    request_preview: Mapped[str | None] = mapped_column(sa.String(1000))
    response_preview: Mapped[str | None] = mapped_column(sa.String(1000))


class TraceTagRow(Base):
    __tablename__ = "trace_tags"
    __table_args__ = (sa.Index("ix_trace_tags_key_value", "key", "value_prefix"),)

    trace_id: Mapped[str] = mapped_column(_trace_fk(), primary_key=True)
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(BinaryText())
    value_prefix: Mapped[str | None] = mapped_column(Key(250))


class TraceMetadataRow(Base):
    __tablename__ = "trace_metadata"
    __table_args__ = (sa.Index("ix_trace_metadata_key_value", "key", "value_prefix"),)

    trace_id: Mapped[str] = mapped_column(_trace_fk(), primary_key=True)
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(BinaryText())
    value_prefix: Mapped[str | None] = mapped_column(Key(250))


class SpanRow(Base):
    __tablename__ = "spans"
    __table_args__ = (
        sa.Index("ix_spans_name", "name"),
        sa.Index("ix_spans_type", "span_type"),
    )

    trace_id: Mapped[str] = mapped_column(_trace_fk(), primary_key=True)
    span_id: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    parent_span_id: Mapped[str | None] = mapped_column(sa.String(50))
    name: Mapped[str] = mapped_column(Key(250), nullable=False)
    span_type: Mapped[str | None] = mapped_column(Key(100))
    status: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    start_time_ns: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    end_time_ns: Mapped[int | None] = mapped_column(sa.BigInteger)
    content: Mapped[str] = mapped_column(BinaryText(), nullable=False)


class AssessmentRow(Base):
    __tablename__ = "assessments"
    __table_args__ = (sa.Index("ix_assessments_trace", "trace_id"),)

    assessment_id: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    trace_id: Mapped[str] = mapped_column(_trace_fk(), nullable=False)
    name: Mapped[str] = mapped_column(Key(250), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    value: Mapped[str | None] = mapped_column(BinaryText())
    source_type: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    source_id: Mapped[str | None] = mapped_column(sa.String(250))
    span_id: Mapped[str | None] = mapped_column(sa.String(50))
    run_id: Mapped[str | None] = mapped_column(sa.String(32))
    rationale: Mapped[str | None] = mapped_column(BinaryText())
    error: Mapped[str | None] = mapped_column(BinaryText())
    assessment_metadata: Mapped[str | None] = mapped_column(BinaryText())
    overrides: Mapped[str | None] = mapped_column(sa.String(50))
    valid: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    create_time_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    last_update_time_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
