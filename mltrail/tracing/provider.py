"""mltrail's own OpenTelemetry TracerProvider; the user's global provider is never touched."""

from __future__ import annotations

import threading

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.trace import Tracer

from mltrail.tracing import processor

__all__ = ["EMPTY_CONTEXT", "get_tracer"]

# Root spans start from an empty context, so they never nest under a span of the user's own
# OpenTelemetry setup.
EMPTY_CONTEXT = Context()

_lock = threading.Lock()
_tracer: Tracer | None = None


class _EndHook(SpanProcessor):
    """Tells the trace registry when a span ends (the registry completes traces)."""

    def on_end(self, span: ReadableSpan) -> None:
        processor.on_span_end(span)


def get_tracer() -> Tracer:
    """The tracer of mltrail's private provider (built on first use)."""
    global _tracer
    tracer = _tracer
    if tracer is None:
        with _lock:
            if _tracer is None:
                provider = TracerProvider()
                provider.add_span_processor(_EndHook())
                _tracer = provider.get_tracer("mltrail")
            tracer = _tracer
    return tracer
