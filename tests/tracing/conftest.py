"""Fixtures of the tracing tests: a fresh SQLite store as the tracking URI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import mltrail
from mltrail.tracking import context


@pytest.fixture(autouse=True)
def _clean_tracking_state() -> Iterator[None]:
    """Each test starts with no active run, experiment or tracking URI, and leaves none."""
    mltrail.set_tracking_uri("")
    context.set_active_experiment_id(None)
    yield
    try:
        mltrail.flush_trace_async_logging()
        while mltrail.active_run() is not None:
            mltrail.end_run()
    finally:
        mltrail.set_tracking_uri("")
        context.set_active_experiment_id(None)


@pytest.fixture
def tracking_uri(sqlite_uri: str) -> str:
    """A fresh SQLite store, set as this process's tracking URI."""
    mltrail.set_tracking_uri(sqlite_uri)
    return sqlite_uri
