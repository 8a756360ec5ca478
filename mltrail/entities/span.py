"""Span: one timed operation inside a trace, with MLflow's span types, events and status."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Span",
    "SpanAttributeKey",
    "SpanEvent",
    "SpanStatus",
    "SpanStatusCode",
    "SpanType",
]


class SpanType:
    """The kinds of span MLflow knows; any other string is accepted as a custom type."""

    LLM = "LLM"
    CHAIN = "CHAIN"
    AGENT = "AGENT"
    TOOL = "TOOL"
    CHAT_MODEL = "CHAT_MODEL"
    RETRIEVER = "RETRIEVER"
    PARSER = "PARSER"
    EMBEDDING = "EMBEDDING"
    RERANKER = "RERANKER"
    MEMORY = "MEMORY"
    UNKNOWN = "UNKNOWN"
    WORKFLOW = "WORKFLOW"
    TASK = "TASK"
    GUARDRAIL = "GUARDRAIL"
    EVALUATOR = "EVALUATOR"


class SpanAttributeKey:
    """Attribute keys under which MLflow stores a span's own fields."""

    REQUEST_ID = "mlflow.traceRequestId"
    INPUTS = "mlflow.spanInputs"
    OUTPUTS = "mlflow.spanOutputs"
    SPAN_TYPE = "mlflow.spanType"
    FUNCTION_NAME = "mlflow.spanFunctionName"


class SpanStatusCode:
    """A span's status code."""

    UNSET = "UNSET"
    OK = "OK"
    ERROR = "ERROR"


@dataclass(slots=True)
class SpanStatus:
    """A span's status and, for errors, a description.

    Args:
        status_code: ``OK``, ``ERROR`` or ``UNSET``.
        description: Why it failed.
    """

    status_code: str
    description: str = ""


@dataclass(slots=True)
class SpanEvent:
    """A point in time inside a span, such as a raised exception.

    Args:
        name: Event name (``exception`` for errors).
        timestamp: Nanoseconds since the epoch.
        attributes: Event attributes.
    """

    name: str
    timestamp: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_exception(cls, exc: BaseException, timestamp: int) -> SpanEvent:
        """The ``exception`` event OpenTelemetry records for a raised exception."""
        import traceback

        return cls(
            "exception",
            timestamp,
            {
                "exception.type": type(exc).__name__,
                "exception.message": str(exc),
                "exception.stacktrace": "".join(traceback.format_exception(exc)),
            },
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return {"name": self.name, "timestamp": self.timestamp, "attributes": self.attributes}


@dataclass(slots=True)
class Span:
    """A finished (or live) span.

    Args:
        trace_id: The ``tr-...`` id of its trace.
        span_id: 16 hex characters.
        parent_id: The parent's span id, or None for the root span.
        name: Span name.
        start_time_ns: Start, nanoseconds since the epoch.
        end_time_ns: End, nanoseconds since the epoch (None while running).
        status: Its status.
        span_type: One of ``SpanType`` or a custom string.
        inputs: The recorded inputs.
        outputs: The recorded outputs.
        attributes: Other attributes.
        events: Events such as exceptions.
    """

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start_time_ns: int
    end_time_ns: int | None = None
    status: SpanStatus = field(default_factory=lambda: SpanStatus(SpanStatusCode.UNSET))
    span_type: str = SpanType.UNKNOWN
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[SpanEvent] = field(default_factory=list)

    @property
    def request_id(self) -> str:
        """Alias of ``trace_id`` (MLflow 2 name)."""
        return self.trace_id

    def get_attribute(self, key: str) -> Any:
        """Return one attribute, or None."""
        return self.attributes.get(key)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, JSON-serialisable when inputs and outputs are."""
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "name": self.name,
            "start_time_ns": self.start_time_ns,
            "end_time_ns": self.end_time_ns,
            "status": {
                "status_code": self.status.status_code,
                "description": self.status.description,
            },
            "span_type": self.span_type,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "attributes": self.attributes,
            "events": [e.to_dict() for e in self.events],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Span:
        """Rebuild a span from ``to_dict`` output."""
        status = data.get("status") or {}
        return cls(
            str(data["trace_id"]),
            str(data["span_id"]),
            data.get("parent_id"),
            str(data["name"]),
            int(data["start_time_ns"]),
            None if data.get("end_time_ns") is None else int(data["end_time_ns"]),
            SpanStatus(
                str(status.get("status_code", SpanStatusCode.UNSET)),
                str(status.get("description", "")),
            ),
            str(data.get("span_type") or SpanType.UNKNOWN),
            data.get("inputs"),
            data.get("outputs"),
            dict(data.get("attributes") or {}),
            [
                SpanEvent(
                    str(e["name"]), int(e.get("timestamp", 0)), dict(e.get("attributes") or {})
                )
                for e in data.get("events") or []
            ],
        )

    def to_json(self) -> str:
        """JSON form; values that JSON cannot hold are written with ``str``."""
        return json.dumps(self.to_dict(), default=str)
