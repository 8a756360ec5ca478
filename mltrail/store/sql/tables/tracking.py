"""Tables of the tracking store: experiments, runs, params, metrics, tags, datasets, inputs."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mltrail.store.sql.tables.base import Base, BinaryText, Key

__all__ = [
    "DatasetRow",
    "ExperimentRow",
    "ExperimentTagRow",
    "InputRow",
    "InputTagRow",
    "LatestMetricRow",
    "MetricRow",
    "ParamRow",
    "RunRow",
    "TagRow",
    "ValueKind",
]


class ValueKind:
    """How a metric value is stored: finite values as is, the rest as a kind plus a stand-in.

    MySQL cannot store NaN or Inf in a DOUBLE and SQLite turns NaN into NULL, so every dialect
    stores a finite stand-in (0.0 for NaN and -0.0, +/-DBL_MAX for +/-Inf, which keeps ordering
    right) and this kind, from which the exact value is restored on read.
    """

    FINITE = 0
    NAN = 1
    POS_INF = 2
    NEG_INF = 3
    NEG_ZERO = 4  # SQLite stores -0.0 as the integer 0, losing the sign


class ExperimentRow(Base):
    __tablename__ = "experiments"

    experiment_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Key(256), nullable=False, unique=True)
    artifact_location: Mapped[str | None] = mapped_column(sa.String(1000))
    lifecycle_stage: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="active")
    creation_time: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_update_time: Mapped[int | None] = mapped_column(sa.BigInteger)


class ExperimentTagRow(Base):
    __tablename__ = "experiment_tags"

    experiment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(BinaryText())


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        sa.Index(
            "ix_runs_experiment_stage_start", "experiment_id", "lifecycle_stage", "start_time"
        ),
    )

    run_uuid: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(Key(250))
    experiment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("experiments.experiment_id"), nullable=False
    )
    user_id: Mapped[str | None] = mapped_column(Key(256))
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    start_time: Mapped[int | None] = mapped_column(sa.BigInteger)
    end_time: Mapped[int | None] = mapped_column(sa.BigInteger)
    deleted_time: Mapped[int | None] = mapped_column(sa.BigInteger)
    lifecycle_stage: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    artifact_uri: Mapped[str | None] = mapped_column(sa.String(1000))


class ParamRow(Base):
    __tablename__ = "params"

    run_uuid: Mapped[str] = mapped_column(
        sa.ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    value: Mapped[str] = mapped_column(BinaryText(), nullable=False)


class TagRow(Base):
    __tablename__ = "tags"

    run_uuid: Mapped[str] = mapped_column(
        sa.ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(BinaryText())


class MetricRow(Base):
    """Every logged point. The key makes logging an identical point twice a no-op."""

    __tablename__ = "metrics"
    __table_args__ = {"sqlite_with_rowid": False}

    run_uuid: Mapped[str] = mapped_column(
        sa.ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    step: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    timestamp: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(sa.Double, primary_key=True)
    kind: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    model_id: Mapped[str | None] = mapped_column(sa.String(64))
    dataset_name: Mapped[str | None] = mapped_column(sa.String(500))
    dataset_digest: Mapped[str | None] = mapped_column(sa.String(36))


class LatestMetricRow(Base):
    """The latest point of each metric of each run (max step, then timestamp, then value)."""

    __tablename__ = "latest_metrics"
    __table_args__ = (sa.Index("ix_latest_metrics_key_value", "key", "value"),)

    run_uuid: Mapped[str] = mapped_column(
        sa.ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Key(250), primary_key=True)
    value: Mapped[float] = mapped_column(sa.Double, nullable=False)
    kind: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    step: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    timestamp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    model_id: Mapped[str | None] = mapped_column(sa.String(64))
    dataset_name: Mapped[str | None] = mapped_column(sa.String(500))
    dataset_digest: Mapped[str | None] = mapped_column(sa.String(36))


class DatasetRow(Base):
    __tablename__ = "datasets"
    __table_args__ = (
        sa.UniqueConstraint("experiment_id", "name", "digest", name="uq_datasets_exp_name_digest"),
    )

    dataset_uuid: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(Key(500), nullable=False)
    digest: Mapped[str] = mapped_column(Key(36), nullable=False)
    source_type: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    source: Mapped[str] = mapped_column(BinaryText(), nullable=False)
    schema: Mapped[str | None] = mapped_column(BinaryText())
    profile: Mapped[str | None] = mapped_column(BinaryText())


class InputRow(Base):
    """A link from a source (dataset, logged model) to a destination (run)."""

    __tablename__ = "inputs"
    __table_args__ = (
        sa.UniqueConstraint(
            "source_type", "source_id", "destination_type", "destination_id", name="uq_inputs_link"
        ),
        sa.Index("ix_inputs_destination", "destination_type", "destination_id"),
    )

    input_uuid: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    source_type: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    source_id: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    destination_type: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    destination_id: Mapped[str] = mapped_column(sa.String(36), nullable=False)


class InputTagRow(Base):
    __tablename__ = "input_tags"

    input_uuid: Mapped[str] = mapped_column(
        sa.ForeignKey("inputs.input_uuid", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(Key(255), primary_key=True)
    value: Mapped[str] = mapped_column(BinaryText(), nullable=False)
