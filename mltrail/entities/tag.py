"""Key/value tags of runs, experiments and dataset inputs."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ExperimentTag", "InputTag", "RunTag"]


@dataclass(frozen=True, slots=True)
class RunTag:
    """A mutable key/value label on a run."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ExperimentTag:
    """A mutable key/value label on an experiment."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class InputTag:
    """A key/value label on a dataset input (e.g. ``mlflow.data.context``)."""

    key: str
    value: str
