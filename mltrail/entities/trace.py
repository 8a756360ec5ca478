"""Trace: the record of one request through an app or agent (TraceInfo plus its spans)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from mltrail.entities.assessment import Assessment
from mltrail.entities.span import Span

__all__ = [
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceLocation",
    "TraceMetadataKey",
    "TraceState",
    "TraceTagKey",
    "new_trace_id",
]

_TRACE_ID = re.compile(r"^tr-[0-9a-f]{32}$")


def new_trace_id() -> str:
    """A fresh trace id: ``tr-`` followed by 32 hex characters."""
    return f"tr-{uuid.uuid4().hex}"


def is_trace_id(value: str) -> bool:
    """Whether ``value`` has the ``tr-<32 hex>`` form."""
    return bool(_TRACE_ID.match(value))


class TraceState:
    """A trace's state."""

    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"

    ALL = (STATE_UNSPECIFIED, OK, ERROR, IN_PROGRESS)


class TraceMetadataKey:
    """Metadata keys MLflow gives a meaning to."""

    INPUTS = "mlflow.traceInputs"
    OUTPUTS = "mlflow.traceOutputs"
    SOURCE_RUN = "mlflow.sourceRun"
    MODEL_ID = "mlflow.modelId"
    TRACE_USER = "mlflow.trace.user"
    TRACE_SESSION = "mlflow.trace.session"
    SIZE_BYTES = "mlflow.trace.sizeBytes"


class TraceTagKey:
    """Tag keys MLflow gives a meaning to."""

    TRACE_NAME = "mlflow.traceName"
    ARTIFACT_LOCATION = "mlflow.artifactLocation"
    SPANS_LOCATION = "mlflow.trace.spansLocation"


@dataclass(slots=True)
class TraceLocation:
    """Where a trace lives: an MLflow experiment.

    Args:
        type: ``MLFLOW_EXPERIMENT``.
        experiment_id: The experiment's id.
    """

    type: str = "MLFLOW_EXPERIMENT"
    experiment_id: str = "0"

    @classmethod
    def from_experiment_id(cls, experiment_id: str) -> TraceLocation:
        """The location of an experiment."""
        return cls("MLFLOW_EXPERIMENT", str(experiment_id))


@dataclass(slots=True)
class TraceInfo:
    """A trace's metadata: everything but its spans.

    Args:
        trace_id: ``tr-`` followed by 32 hex characters.
        trace_location: The experiment it belongs to (a ``TraceLocation`` or an experiment id).
        request_time: Start, milliseconds since the epoch.
        state: ``OK``, ``ERROR`` or ``IN_PROGRESS``.
        request_preview: A short rendering of the root span's inputs.
        response_preview: A short rendering of the root span's outputs.
        client_request_id: An id chosen by the caller.
        execution_duration: Milliseconds from start to end.
        trace_metadata: Immutable string metadata (source run, model id, user, session).
        tags: Mutable string tags.
        assessments: Feedback and expectations logged on the trace.
    """

    trace_id: str
    trace_location: TraceLocation
    request_time: int
    state: str
    request_preview: str | None = None
    response_preview: str | None = None
    client_request_id: str | None = None
    execution_duration: int | None = None
    trace_metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    assessments: list[Assessment] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.trace_location, TraceLocation):
            self.trace_location = TraceLocation.from_experiment_id(str(self.trace_location))

    @property
    def experiment_id(self) -> str:
        """The id of the experiment that holds the trace."""
        return self.trace_location.experiment_id

    @property
    def request_id(self) -> str:
        """Alias of ``trace_id`` (MLflow 2 name)."""
        return self.trace_id

    @property
    def timestamp_ms(self) -> int:
        """Alias of ``request_time``."""
        return self.request_time

    @property
    def execution_time_ms(self) -> int | None:
        """Alias of ``execution_duration``."""
        return self.execution_duration

    @property
    def status(self) -> str:
        """Alias of ``state``."""
        return self.state

    @property
    def run_id(self) -> str | None:
        """The run the trace was recorded in, if any."""
        return self.trace_metadata.get(TraceMetadataKey.SOURCE_RUN)

    @property
    def model_id(self) -> str | None:
        """The LoggedModel the trace belongs to, if any."""
        return self.trace_metadata.get(TraceMetadataKey.MODEL_ID)


@dataclass(slots=True)
class TraceData:
    """A trace's spans, root first.

    Args:
        spans: The spans.
    """

    spans: list[Span] = field(default_factory=list)

    @property
    def request(self) -> Any:
        """The root span's inputs."""
        root = self._root()
        return None if root is None else root.inputs

    @property
    def response(self) -> Any:
        """The root span's outputs."""
        root = self._root()
        return None if root is None else root.outputs

    def _root(self) -> Span | None:
        for span in self.spans:
            if span.parent_id is None:
                return span
        return None


@dataclass(slots=True)
class Trace:
    """A trace: its info and its spans.

    Args:
        info: The trace's metadata.
        data: The trace's spans.
    """

    info: TraceInfo
    data: TraceData

    def search_spans(self, span_type: str | None = None, name: str | None = None) -> list[Span]:
        """Spans of a type and/or name."""
        return [
            s
            for s in self.data.spans
            if (span_type is None or s.span_type == span_type) and (name is None or s.name == name)
        ]
