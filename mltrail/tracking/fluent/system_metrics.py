"""Fluent control of system metrics: the process-wide switches and one monitor per active run.

The switches (``enable_system_metrics_logging``, the sampling interval, ...) override the
``MLTRAIL_*``/``MLFLOW_*`` settings for this process. The sampler itself
(``tracking.system_metrics``, which needs psutil) is loaded only when a run asks for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import mltrail.tracking as tracking_package
from mltrail.config import get_settings
from mltrail.entities import Metric
from mltrail.tracking.client import get_client

__all__ = [
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "set_system_metrics_node_id",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
    "start_monitor",
    "stop_monitor",
    "system_metrics_enabled",
]

logger = logging.getLogger(__name__)

_overrides: dict[str, Any] = {}
_monitors: dict[str, Any] = {}
_lock = threading.Lock()


def enable_system_metrics_logging() -> None:
    """Sample system metrics for every run started from now on in this process."""
    _overrides["enabled"] = True


def disable_system_metrics_logging() -> None:
    """Stop sampling system metrics for runs started from now on (unless a run asks)."""
    _overrides["enabled"] = False


def set_system_metrics_sampling_interval(interval: float | None) -> None:
    """Set the seconds between samples (None restores the configured default, 10 s).

    Raises:
        ValueError: The interval is not positive.
    """
    if interval is not None and interval <= 0:
        raise ValueError(f"The sampling interval must be a positive number; got {interval}.")
    _overrides["interval"] = interval


def set_system_metrics_samples_before_logging(samples: int | None) -> None:
    """Set how many samples are averaged into each logged step (None restores the default).

    Raises:
        ValueError: The count is below 1.
    """
    if samples is not None and samples < 1:
        raise ValueError(f"samples_before_logging must be at least 1; got {samples}.")
    _overrides["samples"] = samples


def set_system_metrics_node_id(node_id: str | None) -> None:
    """Log under ``system/<node_id>/...`` so several machines can share one run."""
    _overrides["node_id"] = node_id


def system_metrics_enabled() -> bool:
    """Whether runs sample system metrics when ``start_run`` does not say."""
    enabled = _overrides.get("enabled")
    return bool(get_settings().enable_system_metrics_logging if enabled is None else enabled)


def _setting(name: str, configured: Any) -> Any:
    value = _overrides.get(name)
    return configured if value is None else value


def _log_batch(run_id: str, metrics: Sequence[Metric]) -> None:
    get_client().log_batch(run_id, metrics=list(metrics), synchronous=True)


def start_monitor(run_id: str) -> None:
    """Start sampling for ``run_id``; without psutil, warn and go on without metrics."""
    settings = get_settings()
    try:
        monitor_class = tracking_package.SystemMetricsMonitor
    except ImportError as exc:
        logger.warning(
            "System metrics are not logged for run %s: %s. Install them with "
            "`pip install 'mltrail[system-metrics]'`.",
            run_id,
            exc,
        )
        return
    monitor = monitor_class(
        run_id,
        _log_batch,
        sampling_interval=_setting("interval", settings.system_metrics_sampling_interval),
        samples_before_logging=_setting("samples", settings.system_metrics_samples_before_logging),
        node_id=_setting("node_id", settings.system_metrics_node_id),
    )
    with _lock:
        if run_id in _monitors:
            return
        _monitors[run_id] = monitor
    monitor.start()


def stop_monitor(run_id: str) -> None:
    """Stop the run's sampler, if it has one, logging its last samples."""
    with _lock:
        monitor = _monitors.pop(run_id, None)
    if monitor is not None:
        monitor.finish()
