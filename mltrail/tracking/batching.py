"""Asynchronous logging: a background thread that coalesces queued log calls into ``log_batch``.

The caller's cost is one append to a bounded queue. One daemon thread per process
(``mltrail-batcher``) drains whatever has queued up, groups it per backend and run, and sends
it in ``log_batch`` calls within the batch limits. A backend error is kept and raised by the next
``flush`` that covers its run (``end_run``, ``RunOperations.wait()``, ``mltrail.flush()``); at
interpreter exit everything queued is still sent. A forked child starts with a fresh queue.

When a remote server is unreachable and the offline buffer is on (the default), batches go to a
local journal instead of failing, and are replayed in order once the server answers (see
``tracking/offline.py``).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from typing import TypeVar

from mltrail.config import get_settings
from mltrail.entities import Metric, Param, RunTag
from mltrail.exceptions import MlflowException
from mltrail.service.api import TrackingAPI
from mltrail.service.validation import (
    MAX_ENTITIES_PER_BATCH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_TAGS_PER_BATCH,
)
from mltrail.tracking.offline import OfflineBuffer, RemoteBackend, buffer_directory, is_unavailable

__all__ = [
    "AsyncBatcher",
    "RunOperations",
    "flush",
    "get_batcher",
    "is_started",
    "split_batch",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Chunk = tuple[list[Metric], list[Param], list[RunTag]]
_Item = tuple[TrackingAPI, str, Sequence[Metric], Sequence[Param], Sequence[RunTag]]

# How many queued calls one pass of the worker coalesces before it writes.
_DRAIN_LIMIT = 20_000
# How long the worker lets calls pile up after waking, unless a flush is waiting. Writes of
# a few milliseconds' worth of calls at once cost far less than one write per call.
_LINGER_S = 0.005
# How often the worker retries an unreachable server while its journal holds batches.
_REPLAY_POLL_S = 2.0


def _dedupe_params(params: Sequence[Param]) -> list[list[Param]]:
    """Group params so no group repeats a key; the same key and value is kept once."""
    groups: list[dict[str, Param]] = [{}]
    for param in params:
        for group in groups:
            seen = group.get(param.key)
            if seen is None:
                group[param.key] = param
                break
            if seen.value == param.value:
                break
        else:
            # A different value for a logged key goes in a batch of its own, so the backend
            # reports it as the immutability error it is.
            groups.append({param.key: param})
    return [list(group.values()) for group in groups if group]


def _pieces(items: Sequence[T], size: int) -> list[list[T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def split_batch(
    metrics: Sequence[Metric],
    params: Sequence[Param],
    tags: Sequence[RunTag],
    coalesce: bool = False,
) -> Iterator[Chunk]:
    """Split a batch into ``log_batch`` calls within the limits (1000 metrics, 100 params,
    100 tags, 1000 entities per call).

    Args:
        metrics: Metric points, sent in order.
        params: Params.
        tags: Tags.
        coalesce: Also merge repeats made by separate calls: a tag keeps its last value, a
            param logged twice with one value is sent once.

    Yields:
        ``(metrics, params, tags)`` for each call.
    """
    if coalesce:
        latest = {tag.key: tag for tag in tags}
        tag_pieces = _pieces(list(latest.values()), MAX_PARAMS_TAGS_PER_BATCH)
        param_pieces: list[list[Param]] = []
        for group in _dedupe_params(params):
            param_pieces.extend(_pieces(group, MAX_PARAMS_TAGS_PER_BATCH))
    else:
        tag_pieces = _pieces(tags, MAX_PARAMS_TAGS_PER_BATCH)
        param_pieces = _pieces(params, MAX_PARAMS_TAGS_PER_BATCH)
    start = 0
    for index in range(max(len(tag_pieces), len(param_pieces))):
        chunk_params = param_pieces[index] if index < len(param_pieces) else []
        chunk_tags = tag_pieces[index] if index < len(tag_pieces) else []
        used = len(chunk_params) + len(chunk_tags)
        room = min(MAX_METRICS_PER_BATCH, MAX_ENTITIES_PER_BATCH - used)
        chunk_metrics = list(metrics[start : start + room])
        start += len(chunk_metrics)
        yield chunk_metrics, chunk_params, chunk_tags
    while start < len(metrics):
        yield list(metrics[start : start + MAX_METRICS_PER_BATCH]), [], []
        start += MAX_METRICS_PER_BATCH


class _Pending:
    """Calls queued for one run of one backend, merged."""

    __slots__ = ("backend", "metrics", "params", "tags")

    def __init__(self, backend: TrackingAPI) -> None:
        self.backend = backend
        self.metrics: list[Metric] = []
        self.params: list[Param] = []
        self.tags: list[RunTag] = []


class _Flush:
    """A marker: everything queued before it has been written once ``done`` is set."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class AsyncBatcher:
    """The per-process queue and worker thread behind ``synchronous=False``.

    The queue is a ``deque``: appending is atomic under the GIL, so a call costs one append and
    no lock. The worker wakes on an event, lingers a few milliseconds so that calls pile up,
    then takes everything queued and writes it in as few ``log_batch`` calls as the limits
    allow.

    Args:
        queue_size: Most calls waiting at once; a caller blocks while the queue is full, so no
            point is dropped.
    """

    def __init__(self, queue_size: int) -> None:
        self._items: deque[_Item | _Flush] = deque()
        self._max = max(queue_size, 1)
        self._wakeup = threading.Event()
        self._room = threading.Condition(threading.Lock())
        self._urgent = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._errors_lock = threading.Lock()
        self._errors: dict[str, list[BaseException]] = {}
        self._abandoned = False
        self._buffers: dict[int, OfflineBuffer] = {}

    def submit(
        self,
        backend: TrackingAPI,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Queue a log call; it is written by the worker thread."""
        if self._thread is None:
            self._start()
        items = self._items
        if len(items) >= self._max:
            self._wait_for_room()
        items.append((backend, run_id, metrics, params, tags))
        # The worker clears the event before it drains, so a call appended after the drain
        # started finds the event clear and sets it again: nothing is left behind.
        if not self._wakeup.is_set():
            self._wakeup.set()

    def _wait_for_room(self) -> None:
        with self._room:
            while len(self._items) >= self._max:
                self._wakeup.set()
                # The timeout only guards against a missed notify; the worker notifies after
                # every drain.
                self._room.wait(0.1)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._work, name="mltrail-batcher", daemon=True)
                thread.start()
                self._thread = thread

    @property
    def started(self) -> bool:
        """Whether anything was ever queued (and so the worker runs)."""
        return self._thread is not None

    def flush(self, run_id: str | None = None) -> None:
        """Wait until every call queued so far is written, then raise any error it caused.

        Args:
            run_id: Raise only the errors of this run; None raises those of every run.

        Raises:
            MlflowException: The first error the backend raised for the covered runs (and the
                number of others, in a note).
        """
        thread = self._thread
        if thread is not None and not self._abandoned:
            marker = _Flush()
            self._items.append(marker)
            self._urgent = True
            self._wakeup.set()
            while not marker.done.wait(0.5):
                if not thread.is_alive():
                    raise MlflowException(
                        "The asynchronous logging thread has stopped; queued calls were not "
                        "written."
                    )
        self._raise_errors(run_id)

    def _raise_errors(self, run_id: str | None) -> None:
        with self._errors_lock:
            if run_id is None:
                errors = [e for errs in self._errors.values() for e in errs]
                self._errors.clear()
            else:
                errors = self._errors.pop(run_id, [])
        if not errors:
            return
        first = errors[0]
        if len(errors) > 1:
            first.add_note(f"{len(errors) - 1} more asynchronous logging call(s) also failed.")
        raise first

    def _record(self, run_id: str, exc: BaseException) -> None:
        exc.add_note(f"Raised by asynchronous logging for run {run_id}.")
        with self._errors_lock:
            self._errors.setdefault(run_id, []).append(exc)

    def _work(self) -> None:
        items = self._items
        while True:
            # While journals wait for their server, wake up now and then to try it again.
            self._wakeup.wait(_REPLAY_POLL_S if self._buffers else None)
            self._wakeup.clear()
            self._replay_buffers(force=False)
            if not self._urgent:
                time.sleep(_LINGER_S)
            self._urgent = False
            pending: dict[tuple[int, str], _Pending] = {}
            taken = 0
            while items and taken < _DRAIN_LIMIT:
                item = items.popleft()
                if isinstance(item, _Flush):
                    self._write(pending)
                    pending = {}
                    self._replay_buffers(force=True)
                    item.done.set()
                    continue
                backend, run_id, metrics, params, tags = item
                group = pending.get((id(backend), run_id))
                if group is None:
                    group = pending[(id(backend), run_id)] = _Pending(backend)
                group.metrics.extend(metrics)
                group.params.extend(params)
                group.tags.extend(tags)
                taken += 1
            with self._room:
                self._room.notify_all()
            self._write(pending)
            if items:
                self._wakeup.set()

    def _write(self, pending: dict[tuple[int, str], _Pending]) -> None:
        for (_, run_id), group in pending.items():
            for metrics, params, tags in split_batch(
                group.metrics, group.params, group.tags, coalesce=True
            ):
                self._send(group.backend, run_id, metrics, params, tags)

    def _send(
        self,
        backend: TrackingAPI,
        run_id: str,
        metrics: list[Metric],
        params: list[Param],
        tags: list[RunTag],
    ) -> None:
        buffer = self._buffers.get(id(backend))
        if buffer is not None and not buffer.try_replay():
            buffer.append(run_id, metrics, params, tags)  # behind what is already journaled
            return
        try:
            backend.log_batch(run_id, metrics=metrics, params=params, tags=tags)
            return
        except Exception as exc:  # a background thread boundary: kept and raised at flush
            if is_unavailable(exc) and self._journal(backend, run_id, metrics, params, tags):
                return
            if sum(1 for part in (metrics, params, tags) if part) < 2:
                logger.debug("Asynchronous log_batch for run %s failed", run_id, exc_info=True)
                self._record(run_id, exc)
                return
        # One bad param must not cost the metrics that shared its batch: send each kind apart.
        parts: tuple[Chunk, ...] = ((metrics, [], []), ([], params, []), ([], [], tags))
        for part_metrics, part_params, part_tags in parts:
            if part_metrics or part_params or part_tags:
                self._send(backend, run_id, part_metrics, part_params, part_tags)

    def _journal(
        self,
        backend: TrackingAPI,
        run_id: str,
        metrics: list[Metric],
        params: list[Param],
        tags: list[RunTag],
    ) -> bool:
        """Keep a batch for an unreachable remote server in its journal; False if not possible."""
        settings = get_settings()
        if not settings.offline_buffer or not isinstance(backend, RemoteBackend):
            return False
        buffer = self._buffers.get(id(backend))
        if buffer is None:
            try:
                buffer = OfflineBuffer(backend, buffer_directory(settings))
            except OSError:
                logger.exception("Cannot create the offline journal; the batch is not kept")
                return False
            self._buffers[id(backend)] = buffer
        buffer.append(run_id, metrics, params, tags)
        return True

    def _replay_buffers(self, force: bool) -> None:
        for key, buffer in list(self._buffers.items()):
            if buffer.try_replay(force=force):
                del self._buffers[key]

    @property
    def offline_journals(self) -> list[str]:
        """Paths of journals still waiting for their server."""
        return [str(b.journal.path) for b in self._buffers.values() if b.pending]

    def abandon(self) -> None:
        """Forget the parent's queue in a forked child (its thread does not exist there)."""
        self._abandoned = True


class RunOperations:
    """Handle returned by an asynchronous log call; ``wait()`` blocks until it is written.

    Args:
        run_id: The run the call logged to.
    """

    __slots__ = ("_batcher", "run_id")

    def __init__(self, batcher: AsyncBatcher, run_id: str) -> None:
        self._batcher = batcher
        self.run_id = run_id

    def wait(self) -> None:
        """Wait until the call (and everything queued before it) is written.

        Raises:
            MlflowException: Writing a queued call for this run failed.
        """
        self._batcher.flush(self.run_id)


_lock = threading.Lock()
_batcher: AsyncBatcher | None = None


def get_batcher() -> AsyncBatcher:
    """Return this process's batcher, creating it on first use."""
    global _batcher
    batcher = _batcher
    if batcher is None:
        with _lock:
            if _batcher is None:
                _batcher = AsyncBatcher(get_settings().async_logging_queue_size)
                _register_multiprocessing_finalizer()
            batcher = _batcher
    return batcher


def is_started() -> bool:
    """Return True if this process has queued an asynchronous call."""
    batcher = _batcher
    return batcher is not None and batcher.started


def flush(run_id: str | None = None) -> None:
    """Write every queued asynchronous call and raise the first error any of them caused.

    Args:
        run_id: Raise only errors of this run; None raises those of every run.

    Raises:
        MlflowException: A queued call failed.
    """
    batcher = _batcher
    if batcher is not None:
        batcher.flush(run_id)


def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # the process is exiting: nothing can catch it, so it is logged
        logger.exception("Asynchronous logging failed; some logged data was not written")
    batcher = _batcher
    if batcher is not None and batcher.offline_journals:
        logger.warning(
            "The tracking server is still unreachable; buffered data stays in %s. Send it "
            "later with `mltrail sync`.",
            ", ".join(batcher.offline_journals),
        )


def _register_multiprocessing_finalizer() -> None:
    # A multiprocessing child started by fork leaves through os._exit, which skips atexit; it
    # runs multiprocessing's finalizers first, so the queue is drained there as well. Only an
    # already-imported multiprocessing is used: this never imports it.
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None:
        mp_util.Finalize(None, _flush_at_exit, exitpriority=10)


def _reset_after_fork() -> None:
    global _batcher, _lock
    if _batcher is not None:
        _batcher.abandon()
    _batcher = None
    _lock = threading.Lock()


atexit.register(_flush_at_exit)
os.register_at_fork(after_in_child=_reset_after_fork)
