"""Route functions, one module per resource; ``ALL_TABLES`` lists every module's table."""

from __future__ import annotations

from mltrail.server.routes import (
    artifacts,
    auth,
    experiments,
    logged_models,
    metrics,
    multipart,
    registry,
    runs,
    traces,
)
from mltrail.server.routing import RouteTable

__all__ = ["ALL_TABLES", "ARTIFACT_TABLES"]

ALL_TABLES: tuple[RouteTable, ...] = (
    experiments.routes,
    runs.routes,
    metrics.routes,
    artifacts.routes,
    logged_models.routes,
    registry.routes,
    multipart.routes,
    auth.routes,
    traces.routes,
)

# What an --artifacts-only server serves.
ARTIFACT_TABLES: tuple[RouteTable, ...] = (multipart.routes,)
