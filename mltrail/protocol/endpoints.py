"""ENDPOINTS: the single table of routes that the server binds and the REST client calls."""

from __future__ import annotations

from mltrail.protocol import artifacts, auth, logged_models, registry, traces, tracking
from mltrail.protocol.endpoint import Endpoint

__all__ = ["ENDPOINTS", "all_paths"]

ENDPOINTS: tuple[Endpoint, ...] = (
    *tracking.ENDPOINTS,
    *artifacts.ENDPOINTS,
    *logged_models.ENDPOINTS,
    *registry.ENDPOINTS,
    *auth.ENDPOINTS,
    *traces.ENDPOINTS,
)


def all_paths() -> list[tuple[str, str]]:
    """Every ``(method, /api path)`` pair, sorted: the golden list the tests compare against."""
    return sorted((e.method, e.api_path) for e in ENDPOINTS)
