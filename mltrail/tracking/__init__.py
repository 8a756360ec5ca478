"""Client side of tracking: ``MlflowClient``, backends, the fluent API and asynchronous logging.

``runs_to_dataframe`` (which needs pandas) and ``SystemMetricsMonitor`` (which needs psutil) are
loaded on first access (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import Any

from mltrail.tracking.client import MlflowClient
from mltrail.tracking.fluent.uris import (
    get_registry_uri,
    get_tracking_uri,
    is_tracking_uri_set,
    set_registry_uri,
    set_tracking_uri,
)

__all__ = [
    "MlflowClient",
    "get_registry_uri",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "set_registry_uri",
    "set_tracking_uri",
]

_LAZY = {
    "runs_to_dataframe": "mltrail.tracking._frames",
    "SystemMetricsMonitor": "mltrail.tracking.system_metrics",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mltrail.tracking' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
