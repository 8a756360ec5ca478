"""Datasets used as run inputs, with their digest, schema, source and profile."""

from __future__ import annotations

from dataclasses import dataclass, field

from mltrail.entities.tag import InputTag

__all__ = ["Dataset", "DatasetInput", "LoggedModelInput", "RunInputs"]


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset's identity and description.

    Args:
        name: Dataset name.
        digest: Short content hash identifying this version of the data.
        source_type: Kind of source (``local``, ``s3``, ``http``, ``code``...).
        source: JSON text describing where the data lives.
        schema: JSON text of the schema, if known.
        profile: JSON text of summary statistics, if known.
    """

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetInput:
    """A dataset used by a run, with tags such as ``mlflow.data.context``."""

    dataset: Dataset
    tags: list[InputTag] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LoggedModelInput:
    """A LoggedModel that a run used as input."""

    model_id: str


@dataclass(frozen=True, slots=True)
class RunInputs:
    """Everything a run consumed."""

    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[LoggedModelInput] = field(default_factory=list)
