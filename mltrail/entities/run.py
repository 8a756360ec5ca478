"""Runs: their info (identity, status, times), data (params, metrics, tags) and inputs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mltrail.entities.dataset import RunInputs
from mltrail.entities.enums import LifecycleStage
from mltrail.entities.metric import Metric
from mltrail.entities.param import Param
from mltrail.entities.tag import RunTag

__all__ = ["Run", "RunData", "RunInfo", "RunOutputs"]


@dataclass(slots=True)
class RunInfo:
    """A run's identity, status and times.

    Args:
        run_id: 32 hex characters.
        experiment_id: The experiment's id.
        user_id: Who started the run.
        status: ``RUNNING``, ``SCHEDULED``, ``FINISHED``, ``FAILED`` or ``KILLED``.
        start_time: Milliseconds since the epoch.
        end_time: Milliseconds since the epoch, or None while running.
        lifecycle_stage: ``active`` or ``deleted``.
        artifact_uri: Root URI of the run's artifacts.
        run_name: Display name.
    """

    run_id: str
    experiment_id: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    lifecycle_stage: str = LifecycleStage.ACTIVE
    artifact_uri: str | None = None
    run_name: str | None = None

    @property
    def run_uuid(self) -> str:
        """Legacy alias of ``run_id``."""
        return self.run_id


class RunData:
    """A run's latest metric values, params and tags, as dicts keyed by name."""

    __slots__ = ("_metric_objs", "_params", "_tags")

    def __init__(
        self,
        metrics: Iterable[Metric] | None = None,
        params: Iterable[Param] | None = None,
        tags: Iterable[RunTag] | None = None,
    ) -> None:
        self._metric_objs = list(metrics or [])
        self._params = {p.key: p.value for p in params or []}
        self._tags = {t.key: t.value for t in tags or []}

    @property
    def metrics(self) -> dict[str, float]:
        """Latest value of each metric."""
        return {m.key: m.value for m in self._metric_objs}

    @property
    def params(self) -> dict[str, str]:
        """Each param's value."""
        return dict(self._params)

    @property
    def tags(self) -> dict[str, str]:
        """Each tag's value."""
        return dict(self._tags)

    @property
    def metric_objects(self) -> list[Metric]:
        """Latest point of each metric, as ``Metric`` objects."""
        return list(self._metric_objs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunData):
            return NotImplemented
        return (
            sorted(self._metric_objs, key=lambda m: m.key)
            == sorted(other._metric_objs, key=lambda m: m.key)
            and self._params == other._params
            and self._tags == other._tags
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RunData(metrics={self.metrics!r}, params={self._params!r}, tags={self._tags!r})"


@dataclass(slots=True)
class RunOutputs:
    """LoggedModels that a run produced."""

    model_outputs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Run:
    """A run: ``info``, ``data`` and ``inputs``."""

    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs = field(default_factory=RunOutputs)
