"""The trace exporter: a bounded queue and one background thread that batches traces to the store.

``submit`` never blocks: when the queue is full the trace is dropped, counted and warned about
(the count is in ``stats()``; raise ``MLTRAIL_ASYNC_TRACE_LOGGING_MAX_QUEUE_SIZE`` to keep more).
The thread (``mltrail-trace-exporter``) takes up to a batch of traces at a time, groups them by
tracking URI and writes each group with one ``log_traces`` call. ``flush`` waits until
everything queued so far is stored; the queue is drained at interpreter exit. A forked child
starts with an empty queue and its own thread.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from mltrail.config import get_settings
from mltrail.entities import Trace
from mltrail.service.api import TraceAPI
from mltrail.tracking import backends

__all__ = ["ExportStats", "PendingTrace", "flush", "stats", "submit"]

logger = logging.getLogger(__name__)
_WARN_EVERY_S = 10.0


class PendingTrace(Protocol):
    """A finished trace waiting for export."""

    tracking_uri: str

    def to_trace(self) -> Trace:
        """The trace as entities."""
        ...


@dataclass(frozen=True, slots=True)
class ExportStats:
    """Counts since the process started: traces queued, stored, dropped and failed."""

    submitted: int
    exported: int
    dropped: int
    failed: int


class _Exporter:
    def __init__(self, queue_size: int, batch_size: int) -> None:
        self.queue: queue.Queue[PendingTrace] = queue.Queue(maxsize=max(1, queue_size))
        self.batch_size = max(1, batch_size)
        self.submitted = 0
        self.exported = 0
        self.dropped = 0
        self.failed = 0
        self._last_warning = 0.0
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="mltrail-trace-exporter", daemon=True)
        self.thread.start()

    def submit(self, pending: PendingTrace) -> None:
        try:
            self.queue.put_nowait(pending)
        except queue.Full:
            with self._lock:
                self.dropped += 1
                dropped = self.dropped
                warn = time.monotonic() - self._last_warning > _WARN_EVERY_S
                if warn:
                    self._last_warning = time.monotonic()
            if warn:
                logger.warning(
                    "mltrail dropped %d trace(s) so far: the trace export queue (%d) is full. "
                    "Raise MLTRAIL_ASYNC_TRACE_LOGGING_MAX_QUEUE_SIZE or call "
                    "mltrail.flush_trace_async_logging() between bursts.",
                    dropped,
                    self.queue.maxsize,
                )
            return
        with self._lock:
            self.submitted += 1

    def _take_batch(self) -> list[PendingTrace]:
        batch = [self.queue.get()]
        while len(batch) < self.batch_size:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            try:
                groups: dict[str, list[Trace]] = {}
                for pending in batch:
                    try:
                        trace = pending.to_trace()
                    except Exception:
                        logger.warning("mltrail could not convert a trace", exc_info=True)
                        with self._lock:
                            self.failed += 1
                        continue
                    groups.setdefault(pending.tracking_uri, []).append(trace)
                for uri, traces in groups.items():
                    self._write(uri, traces)
            finally:
                for _ in batch:
                    self.queue.task_done()

    def _write(self, uri: str, traces: Sequence[Trace]) -> None:
        try:
            cast(TraceAPI, backends.get_backend(uri)).log_traces(traces)
        except Exception:
            with self._lock:
                self.failed += len(traces)
            logger.warning(
                "mltrail could not store %d trace(s) at %s; they are counted as failed.",
                len(traces),
                backends.redact_uri(uri),
                exc_info=True,
            )
            return
        with self._lock:
            self.exported += len(traces)


_lock = threading.Lock()
_exporter: _Exporter | None = None


def _get() -> _Exporter:
    global _exporter
    exporter = _exporter
    if exporter is None:
        with _lock:
            if _exporter is None:
                settings = get_settings()
                _exporter = _Exporter(settings.trace_queue_size, settings.trace_export_batch_size)
            exporter = _exporter
    return exporter


def submit(pending: PendingTrace) -> None:
    """Queue a finished trace for export (never blocks)."""
    _get().submit(pending)


def flush(timeout: float | None = None) -> None:
    """Wait until every trace queued so far is stored (or counted as failed)."""
    exporter = _exporter
    if exporter is None:
        return
    if timeout is None:
        exporter.queue.join()
        return
    deadline = time.monotonic() + timeout
    while exporter.queue.unfinished_tasks and time.monotonic() < deadline:
        time.sleep(0.01)


def stats() -> ExportStats:
    """Counts of traces submitted, exported, dropped and failed in this process."""
    exporter = _exporter
    if exporter is None:
        return ExportStats(0, 0, 0, 0)
    return ExportStats(exporter.submitted, exporter.exported, exporter.dropped, exporter.failed)


def _flush_at_exit() -> None:
    exporter = _exporter
    if exporter is None:
        return
    flush(timeout=60.0)
    if exporter.dropped or exporter.failed:
        logger.warning(
            "mltrail tracing: %d trace(s) dropped (queue full) and %d failed to store.",
            exporter.dropped,
            exporter.failed,
        )


def _reset_after_fork() -> None:
    global _exporter, _lock
    _exporter = None
    _lock = threading.Lock()


atexit.register(_flush_at_exit)
os.register_at_fork(after_in_child=_reset_after_fork)
