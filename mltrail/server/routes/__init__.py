"""Route functions, one module per resource; ``ALL_TABLES`` lists every module's table."""

from __future__ import annotations

from mltrail.server.routes import (
    artifacts,
    experiments,
    logged_models,
    metrics,
    registry,
    runs,
    traces,
)
from mltrail.server.routing import RouteTable

__all__ = ["ALL_TABLES"]

ALL_TABLES: tuple[RouteTable, ...] = (
    experiments.routes,
    runs.routes,
    metrics.routes,
    artifacts.routes,
    logged_models.routes,
    registry.routes,
    traces.routes,
)
