"""In-flight traces: spans join their trace while running; the root's end hands it to export.

Completed traces go to the exporter untouched; ``to_trace`` turns them into
``entities.Trace`` on the exporter thread, so serialisation never costs the caller.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from mltrail.entities import (
    SpanStatusCode,
    Trace,
    TraceData,
    TraceInfo,
    TraceLocation,
    TraceState,
    TraceTagKey,
)
from mltrail.tracing.live_span import LiveSpan

__all__ = ["PendingTrace"]

PREVIEW_CHARS = 1000


class PendingTrace:
    """A trace whose root span is still running, with what it will be stored with."""

    __slots__ = (
        "client_request_id",
        "experiment_id",
        "metadata",
        "request_preview",
        "response_preview",
        "root",
        "spans",
        "state",
        "tags",
        "trace_id",
        "tracking_uri",
    )

    def __init__(
        self, root: LiveSpan, experiment_id: str, tracking_uri: str, metadata: dict[str, str]
    ) -> None:
        self.trace_id = root.trace_id
        self.root = root
        self.spans: list[LiveSpan] = [root]
        self.experiment_id = experiment_id
        self.tracking_uri = tracking_uri
        self.metadata = metadata
        self.tags: dict[str, str] = {}
        self.request_preview: str | None = None
        self.response_preview: str | None = None
        self.client_request_id: str | None = None
        self.state: str | None = None

    def to_trace(self) -> Trace:
        """The finished trace as entities (run on the exporter thread)."""
        return _to_trace(self)


def _preview(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:PREVIEW_CHARS]


_SOURCE = {
    "mlflow.trace_schema.version": "3",
    "mlflow.source.name": os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "",
    "mlflow.source.type": "LOCAL",
}


def _to_trace(pending: PendingTrace) -> Trace:
    root = pending.root
    spans = [s.to_entity() for s in pending.spans if s.end_time_ns is not None]
    failed = root.status.status_code == SpanStatusCode.ERROR
    state = pending.state or (TraceState.ERROR if failed else TraceState.OK)
    request_time = root.start_time_ns // 1_000_000
    end = root.end_time_ns or root.start_time_ns
    tags = {TraceTagKey.TRACE_NAME: root.name, **pending.tags}
    metadata = {**_SOURCE, **pending.metadata}
    request = pending.request_preview
    response = pending.response_preview
    info = TraceInfo(
        pending.trace_id,
        TraceLocation.from_experiment_id(pending.experiment_id),
        request_time,
        state,
        request if request is not None else _preview(root.inputs),
        response if response is not None else _preview(root.outputs),
        pending.client_request_id,
        (end - root.start_time_ns) // 1_000_000,
        metadata,
        tags,
    )
    return Trace(info, TraceData(spans))
