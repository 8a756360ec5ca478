"""LoggedModel tables: the model, its tags and its params (its metrics live in ``metrics``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mltrail.store.sql.tables.base import Base, BinaryText, Key

__all__ = [
    "LoggedModelMetricRow",
    "LoggedModelParamRow",
    "LoggedModelRow",
    "LoggedModelTagRow",
]


class LoggedModelRow(Base):
    __tablename__ = "logged_models"
    __table_args__ = (
        sa.Index("ix_logged_models_experiment_created", "experiment_id", "creation_timestamp_ms"),
    )

    model_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(Key(500), nullable=False)
    artifact_location: Mapped[str] = mapped_column(sa.String(1000), nullable=False)
    creation_timestamp_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    last_updated_timestamp_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    status_message: Mapped[str | None] = mapped_column(sa.String(1000))
    model_type: Mapped[str | None] = mapped_column(Key(500))
    source_run_id: Mapped[str | None] = mapped_column(sa.String(32))
    lifecycle_stage: Mapped[str] = mapped_column(sa.String(32), nullable=False)


class LoggedModelTagRow(Base):
    __tablename__ = "logged_model_tags"

    model_id: Mapped[str] = mapped_column(
        sa.ForeignKey("logged_models.model_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(BinaryText())


class LoggedModelParamRow(Base):
    __tablename__ = "logged_model_params"

    model_id: Mapped[str] = mapped_column(
        sa.ForeignKey("logged_models.model_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(BinaryText())


class LoggedModelMetricRow(Base):
    """Metric points logged for a model (also kept, with the rest, in ``metrics``).

    A separate table keeps the hot metric-ingest path free of an extra index that almost every
    point would leave empty.
    """

    __tablename__ = "logged_model_metrics"
    __table_args__ = {"sqlite_with_rowid": False}

    model_id: Mapped[str] = mapped_column(
        sa.ForeignKey("logged_models.model_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    step: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    timestamp: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    value: Mapped[float] = mapped_column(sa.Double, primary_key=True)
    kind: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    dataset_name: Mapped[str | None] = mapped_column(sa.String(500))
    dataset_digest: Mapped[str | None] = mapped_column(sa.String(36))
