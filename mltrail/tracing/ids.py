"""OpenTelemetry-compatible trace and span ids (128 and 64 random bits, never zero)."""

from __future__ import annotations

import random

__all__ = ["new_span_id", "new_trace_id"]

# One generator per process, as OpenTelemetry's RandomIdGenerator uses; getrandbits is
# thread-safe under the GIL and a forked child reseeds it (random registers at_fork).
_bits = random.getrandbits


def new_trace_id() -> int:
    """A random non-zero 128-bit trace id."""
    value = _bits(128)
    while not value:
        value = _bits(128)
    return value


def new_span_id() -> int:
    """A random non-zero 64-bit span id."""
    value = _bits(64)
    while not value:
        value = _bits(64)
    return value
