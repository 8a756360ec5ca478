"""Tracing for GenAI apps and agents, on mltrail's own OpenTelemetry TracerProvider.

``@trace`` and ``start_span`` record spans; a finished trace is queued and stored by a
background exporter (``flush_trace_async_logging`` waits for it); ``get_trace`` and
``search_traces`` read traces back.
"""

from __future__ import annotations

import importlib
from typing import Any

from mltrail.entities import SpanType
from mltrail.tracing.decorators import (
    get_current_active_span,
    get_last_active_trace_id,
    start_span,
    trace,
)
from mltrail.tracing.export import ExportStats, stats
from mltrail.tracing.fluent import (
    flush_trace_async_logging,
    get_trace,
    search_traces,
    update_current_trace,
)
from mltrail.tracing.live_span import LiveSpan

__all__ = [
    "ExportStats",
    "LiveSpan",
    "SpanType",
    "flush_trace_async_logging",
    "get_current_active_span",
    "get_last_active_trace_id",
    "get_trace",
    "search_traces",
    "start_span",
    "stats",
    "trace",
    "traces_to_frame",
    "update_current_trace",
]

# Leaf modules with heavy imports, loaded on first attribute access.
_LAZY = {"traces_to_frame": "mltrail.tracing._frames"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mltrail.tracing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
