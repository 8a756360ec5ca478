"""Metric history routes."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mltrail.protocol import tracking as wire
from mltrail.protocol.codec import Clean
from mltrail.protocol.convert import metric_to_wire
from mltrail.server.routing import RouteTable
from mltrail.service.services import Services

__all__ = ["routes"]

routes = RouteTable()

# MLflow's default page size of the bulk-interval route when max_results is not given.
_BULK_DEFAULT_RESULTS = 320
# No history response holds more points than this (bounded memory per request); longer
# histories come in pages, which MLflow's client and mltrail's follow.
HISTORY_PAGE_CAP = 100_000


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a long history is turned into wire dicts.

    100,000 points make 100,000 dicts that form no cycles; with the collector on, their
    allocation triggers collections that rescan the whole page and triple the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@routes.bind(wire.GET_METRIC_HISTORY)
def get_metric_history(req: wire.GetMetricHistory, services: Services) -> dict[str, Any]:
    # Bounded memory: a missing or larger page size is clamped to the cap, as MLflow clamps it.
    size = HISTORY_PAGE_CAP if req.max_results is None else min(req.max_results, HISTORY_PAGE_CAP)
    page = services.tracking.get_metric_history(
        req.run_id, req.metric_key, max_results=size, page_token=req.page_token or None
    )
    # metric_to_wire leaves out unset fields itself, so the long list skips pruning.
    with _collector_paused():
        metrics = Clean(metric_to_wire(m) for m in page)
    return {"metrics": metrics, "next_page_token": page.token}


@routes.bind(wire.GET_METRIC_HISTORY_BULK)
def get_metric_history_bulk(req: wire.GetMetricHistoryBulk, services: Services) -> dict[str, Any]:
    points = services.tracking.get_metric_history_bulk(
        req.run_id, req.metric_key, max_results=req.max_results
    )
    with _collector_paused():
        return {"metrics": Clean(metric_to_wire(m, with_run_id=True) for m in points)}


@routes.bind(wire.GET_METRIC_HISTORY_BULK_INTERVAL)
def get_metric_history_bulk_interval(
    req: wire.GetMetricHistoryBulkInterval, services: Services
) -> dict[str, Any]:
    points = services.tracking.get_metric_history_bulk_interval(
        req.run_ids,
        req.metric_key,
        max_results=req.max_results or _BULK_DEFAULT_RESULTS,
        start_step=req.start_step,
        end_step=req.end_step,
    )
    return {"metrics": Clean(metric_to_wire(m, with_run_id=True) for m in points)}
