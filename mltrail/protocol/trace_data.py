"""MLflow's ``traces.json`` span data (the artifact MLflow clients store per trace) ⇄ spans.

Ids are base64 of the OpenTelemetry bytes, times are ``*_unix_nano``, status codes are
``STATUS_CODE_OK``/``STATUS_CODE_ERROR``/``STATUS_CODE_UNSET``, and every attribute value is
JSON-encoded text; a span's inputs, outputs and type are attributes (``mlflow.span*``).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from mltrail.entities import Span, SpanEvent, SpanStatus, SpanStatusCode, SpanType
from mltrail.entities.span import SpanAttributeKey

__all__ = ["TRACE_DATA_FILE", "spans_from_trace_data", "spans_to_trace_data"]

TRACE_DATA_FILE = "traces.json"
_OWN = {SpanAttributeKey.INPUTS, SpanAttributeKey.OUTPUTS, SpanAttributeKey.SPAN_TYPE}


def _b64_from_hex(value: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(value)).decode()
    except ValueError:
        return value


def _hex_from_b64(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        return value


def _span_to_dict(span: Span) -> dict[str, Any]:
    attributes = {k: json.dumps(v, default=str) for k, v in span.attributes.items()}
    attributes[SpanAttributeKey.REQUEST_ID] = json.dumps(span.trace_id)
    attributes[SpanAttributeKey.SPAN_TYPE] = json.dumps(span.span_type)
    if span.inputs is not None:
        attributes[SpanAttributeKey.INPUTS] = json.dumps(span.inputs, default=str)
    if span.outputs is not None:
        attributes[SpanAttributeKey.OUTPUTS] = json.dumps(span.outputs, default=str)
    return {
        "trace_id": _b64_from_hex(span.trace_id.removeprefix("tr-")),
        "span_id": _b64_from_hex(span.span_id),
        "parent_span_id": None if span.parent_id is None else _b64_from_hex(span.parent_id),
        "name": span.name,
        "start_time_unix_nano": span.start_time_ns,
        "end_time_unix_nano": span.end_time_ns,
        "events": [
            {"name": e.name, "time_unix_nano": e.timestamp, "attributes": e.attributes}
            for e in span.events
        ],
        "status": {
            "code": f"STATUS_CODE_{span.status.status_code}",
            "message": span.status.description,
        },
        "attributes": attributes,
        "links": [],
    }


def spans_to_trace_data(spans: list[Span]) -> bytes:
    """The ``traces.json`` document of a trace's spans."""
    return json.dumps({"spans": [_span_to_dict(s) for s in spans]}, default=str).encode()


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _span_from_dict(trace_id: str, data: dict[str, Any]) -> Span:
    attributes = {k: _decode(v) for k, v in (data.get("attributes") or {}).items()}
    status = data.get("status") or {}
    code = str(status.get("code") or "STATUS_CODE_UNSET").removeprefix("STATUS_CODE_")
    end = data.get("end_time_unix_nano")
    return Span(
        trace_id,
        _hex_from_b64(str(data.get("span_id") or "")) or "",
        _hex_from_b64(data.get("parent_span_id")),
        str(data.get("name") or ""),
        int(data.get("start_time_unix_nano") or 0),
        None if end is None else int(end),
        SpanStatus(
            code if code in ("OK", "ERROR") else SpanStatusCode.UNSET, status.get("message") or ""
        ),
        str(attributes.get(SpanAttributeKey.SPAN_TYPE) or SpanType.UNKNOWN),
        attributes.get(SpanAttributeKey.INPUTS),
        attributes.get(SpanAttributeKey.OUTPUTS),
        {k: v for k, v in attributes.items() if k not in _OWN and k != SpanAttributeKey.REQUEST_ID},
        [
            SpanEvent(
                str(e.get("name") or ""),
                int(e.get("time_unix_nano") or e.get("timestamp") or 0),
                dict(e.get("attributes") or {}),
            )
            for e in data.get("events") or []
        ],
    )


def spans_from_trace_data(trace_id: str, document: bytes | str) -> list[Span]:
    """The spans of a ``traces.json`` document."""
    data = json.loads(document)
    return [_span_from_dict(trace_id, s) for s in (data.get("spans") or [])]
