"""MLflow's trace filter and order_by grammar, parsed into conditions (pure, no SQL).

Keys: ``trace.<attribute>`` (or a bare attribute, or ``attributes.<attribute>``) for
``status``/``state``, ``timestamp_ms``/``request_time``, ``execution_time_ms``,
``end_time_ms``, ``name``, ``run_id``, ``model_id``, ``client_request_id``;
``tags.<key>``, ``metadata.<key>`` (``request_metadata.``), and ``span.name``/``span.type``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mltrail.exceptions import InvalidParameterValue
from mltrail.search.filter import _Parser

__all__ = [
    "TRACE_NUMERIC_ATTRIBUTES",
    "TRACE_STRING_ATTRIBUTES",
    "TraceCondition",
    "TraceOrder",
    "parse_trace_filter",
    "parse_trace_order_by",
]

TraceEntity = Literal["attribute", "tag", "metadata", "span"]

TRACE_NUMERIC_ATTRIBUTES = {
    "timestamp_ms": "request_time",
    "timestamp": "request_time",
    "request_time": "request_time",
    "execution_time_ms": "execution_duration",
    "execution_duration": "execution_duration",
    "execution_duration_ms": "execution_duration",
    "end_time_ms": "end_time",
}
TRACE_STRING_ATTRIBUTES = {
    "status": "state",
    "state": "state",
    "trace_id": "trace_id",
    "request_id": "trace_id",
    "client_request_id": "client_request_id",
    "name": "name",
    "run_id": "run_id",
    "model_id": "model_id",
}
_ENTITIES: dict[str, TraceEntity] = {
    "trace": "attribute",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "tag": "tag",
    "tags": "tag",
    "metadata": "metadata",
    "request_metadata": "metadata",
    "span": "span",
    "spans": "span",
}
_SPAN_KEYS = {"name": "name", "type": "span_type", "span_type": "span_type", "status": "status"}
_NUMERIC_OPS = {"=", "!=", ">", ">=", "<", "<="}
_STRING_OPS = {"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"}


@dataclass(frozen=True, slots=True)
class TraceCondition:
    """One condition: ``entity`` is attribute, tag, metadata or span; ``key`` is normalised."""

    entity: TraceEntity
    key: str
    op: str
    value: float | str | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class TraceOrder:
    """One order_by term over a trace attribute column."""

    key: str
    ascending: bool


def _fail(text: str, problem: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Invalid trace filter {text!r}: {problem}. Example: "
        "\"trace.status = 'OK' AND tags.env = 'prod' AND trace.timestamp_ms > 0\"."
    )


def _condition(text: str, ident: str, op: str, value: object) -> TraceCondition:
    prefix, dot, key = ident.partition(".")
    entity: TraceEntity | None = "attribute" if not dot else _ENTITIES.get(prefix.lower())
    if not dot:
        key = prefix
    if entity is None:
        raise _fail(text, f"unknown prefix {prefix!r}; use trace., tags., metadata. or span.")
    numeric = False
    if entity == "attribute":
        if key in TRACE_NUMERIC_ATTRIBUTES:
            key, numeric = TRACE_NUMERIC_ATTRIBUTES[key], True
        elif key in TRACE_STRING_ATTRIBUTES:
            key = TRACE_STRING_ATTRIBUTES[key]
        else:
            known = sorted({*TRACE_NUMERIC_ATTRIBUTES, *TRACE_STRING_ATTRIBUTES})
            raise _fail(text, f"unknown trace attribute {key!r}; use one of {known}")
    elif entity == "span":
        if key not in _SPAN_KEYS:
            raise _fail(text, f"unknown span key {key!r}; use span.name, span.type or span.status")
        key = _SPAN_KEYS[key]
    if op in ("IS NULL", "IS NOT NULL"):
        raise _fail(text, f"{ident} cannot be compared with {op}")
    if numeric:
        if op not in _NUMERIC_OPS or not isinstance(value, float):
            raise _fail(text, f"{ident} is numeric; compare it with a number using {_NUMERIC_OPS}")
    elif op not in _STRING_OPS or isinstance(value, float):
        raise _fail(text, f"{ident} is a string; compare it with =, !=, LIKE, ILIKE or IN 'quoted'")
    return TraceCondition(entity, key, op, value)  # type: ignore[arg-type]


def parse_trace_filter(filter_string: str | None) -> list[TraceCondition]:
    """Parse a trace search filter into conditions joined by AND.

    Raises:
        InvalidParameterValue: The filter is malformed; the message names the problem.
    """
    if filter_string is None or not filter_string.strip():
        return []
    return [
        _condition(filter_string, tok.text, op, value)
        for tok, op, value, _ in _Parser(filter_string).parse()
    ]


def parse_trace_order_by(clauses: Sequence[str] | None) -> list[TraceOrder]:
    """Parse order_by clauses such as ``timestamp_ms DESC`` or ``trace.execution_time_ms``.

    Raises:
        InvalidParameterValue: A clause names an unknown key or direction.
    """
    out = []
    for clause in clauses or []:
        parts = clause.split()
        if not parts or len(parts) > 2:
            raise InvalidParameterValue(
                f"Invalid order_by clause {clause!r}: use 'key [ASC|DESC]'."
            )
        key = parts[0].removeprefix("trace.").removeprefix("attributes.")
        column = TRACE_NUMERIC_ATTRIBUTES.get(key) or TRACE_STRING_ATTRIBUTES.get(key)
        if column is None or column in ("name", "run_id", "model_id"):
            raise InvalidParameterValue(
                f"Invalid order_by clause {clause!r}: order traces by timestamp_ms, "
                "execution_time_ms, status, trace_id or client_request_id."
            )
        direction = parts[1].upper() if len(parts) == 2 else "ASC"
        if direction not in ("ASC", "DESC"):
            raise InvalidParameterValue(f"Invalid order_by direction in {clause!r}: ASC or DESC.")
        out.append(TraceOrder(column, direction == "ASC"))
    return out
