"""LiveSpan: the span a traced function is running in, as user code sees it."""

from __future__ import annotations

import time
from typing import Any

from mltrail.entities import Span, SpanEvent, SpanStatus, SpanStatusCode, SpanType
from mltrail.tracing import export

__all__ = ["LiveSpan"]


_OK = SpanStatus(SpanStatusCode.OK)


class LiveSpan:
    """A running span: set its inputs, outputs, attributes, status and events.

    Inputs and outputs are kept as the Python objects given; they are serialised on the
    exporter thread, after the trace ends, so the caller pays nothing for it.
    """

    __slots__ = (
        "attributes",
        "end_time_ns",
        "events",
        "inputs",
        "name",
        "otel_trace_id",
        "outputs",
        "parent_id",
        "pending",
        "span_id",
        "span_type",
        "start_time_ns",
        "status",
        "trace_id",
    )

    def __init__(
        self,
        otel_trace_id: int,
        otel_span_id: int,
        parent: LiveSpan | None,
        name: str,
        span_type: str | None,
        start_time_ns: int,
    ) -> None:
        self.otel_trace_id = otel_trace_id
        self.trace_id: str = f"tr-{otel_trace_id:032x}" if parent is None else parent.trace_id
        self.span_id = f"{otel_span_id:016x}"
        self.parent_id = None if parent is None else parent.span_id
        self.pending: Any = None
        self.name = name
        self.span_type = span_type or SpanType.UNKNOWN
        self.start_time_ns = start_time_ns
        self.end_time_ns: int | None = None
        self.inputs: Any = None
        self.outputs: Any = None
        self.attributes: dict[str, Any] = {}
        self.events: list[SpanEvent] = []
        self.status = SpanStatus(SpanStatusCode.UNSET)

    @property
    def request_id(self) -> str:
        """Alias of ``trace_id``."""
        return self.trace_id

    def set_inputs(self, inputs: Any) -> None:
        """Record the span's inputs."""
        self.inputs = inputs

    def set_outputs(self, outputs: Any) -> None:
        """Record the span's outputs."""
        self.outputs = outputs

    def set_attribute(self, key: str, value: Any) -> None:
        """Set one attribute."""
        self.attributes[key] = value

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        """Set several attributes."""
        self.attributes.update(attributes)

    def get_attribute(self, key: str) -> Any:
        """Return one attribute, or None."""
        return self.attributes.get(key)

    def set_span_type(self, span_type: str) -> None:
        """Change the span type."""
        self.span_type = span_type

    def set_status(self, status: SpanStatus | str, description: str = "") -> None:
        """Set the status: a ``SpanStatus`` or ``OK``/``ERROR``."""
        self.status = status if isinstance(status, SpanStatus) else SpanStatus(status, description)

    def add_event(self, event: SpanEvent) -> None:
        """Add an event."""
        self.events.append(event)

    def record_exception(self, exc: BaseException) -> None:
        """Mark the span failed and add an ``exception`` event."""
        self.events.append(SpanEvent.from_exception(exc, time.time_ns()))
        self.status = SpanStatus(SpanStatusCode.ERROR, f"{type(exc).__name__}: {exc}")

    def end(self, end_time_ns: int | None = None) -> None:
        """End the span (OK unless a status was set); ending the root span ends the trace."""
        if self.end_time_ns is not None:
            return
        self.end_time_ns = end_time_ns or time.time_ns()
        if self.status.status_code == SpanStatusCode.UNSET:
            self.status = _OK
        if self.parent_id is None and self.pending is not None:
            export.submit(self.pending)

    def to_entity(self) -> Span:
        """The finished span as a plain entity."""
        return Span(
            self.trace_id,
            self.span_id,
            self.parent_id,
            self.name,
            self.start_time_ns,
            self.end_time_ns,
            self.status,
            self.span_type,
            self.inputs,
            self.outputs,
            dict(self.attributes),
            list(self.events),
        )
