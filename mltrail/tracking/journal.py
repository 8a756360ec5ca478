"""A crash-safe local journal of log batches that could not reach the tracking server.

Each writer appends batches as JSON lines to its own file and fsyncs them, so a batch is either
whole on disk or (a torn last line after a crash) ignored. Replay sends the batches in the order
they were written and records progress in a small acknowledgement file replaced atomically.
Replaying a batch twice is harmless: identical metric points are stored once, a param logged
again with the same value is accepted, and tags are overwritten with the same value.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mltrail.entities import Metric, Param, RunTag

__all__ = ["BatchSink", "JournalEntry", "OfflineJournal", "replay_directory"]

logger = logging.getLogger(__name__)

_SUFFIX = ".jsonl"
_ACK_SUFFIX = ".acked"


class BatchSink(Protocol):
    """What replay sends batches to: any tracking backend."""

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journaled batch."""

    seq: int
    run_id: str
    metrics: list[Metric]
    params: list[Param]
    tags: list[RunTag]


def _encode(
    seq: int,
    run_id: str,
    metrics: Sequence[Metric],
    params: Sequence[Param],
    tags: Sequence[RunTag],
) -> str:
    record = {
        "seq": seq,
        "run_id": run_id,
        # Python's json writes NaN/Infinity tokens and reads them back exactly.
        "metrics": [
            [m.key, m.value, m.timestamp, m.step, m.dataset_name, m.dataset_digest, m.model_id]
            for m in metrics
        ],
        "params": [[p.key, p.value] for p in params],
        "tags": [[t.key, t.value] for t in tags],
    }
    return json.dumps(record, separators=(",", ":")) + "\n"


def _decode(line: str) -> JournalEntry | None:
    try:
        record: dict[str, Any] = json.loads(line)
        return JournalEntry(
            int(record["seq"]),
            str(record["run_id"]),
            [Metric(*m) for m in record["metrics"]],
            [Param(k, v) for k, v in record["params"]],
            [RunTag(k, v) for k, v in record["tags"]],
        )
    except (ValueError, KeyError, TypeError):
        return None


class OfflineJournal:
    """This process's journal file in ``directory``.

    Args:
        directory: Folder holding journal files; created if missing.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / f"{uuid.uuid4().hex}{_SUFFIX}"
        self._lock = threading.Lock()
        self._seq = 0

    def append(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> int:
        """Write a batch durably (flushed and fsynced) and return its sequence number."""
        with self._lock:
            self._seq += 1
            line = _encode(self._seq, run_id, metrics, params, tags)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            return self._seq

    def has_pending(self) -> bool:
        """Return True if this process's journal holds batches not yet replayed."""
        with self._lock:
            return self.path.exists() and _acked(self.path) < self._seq

    def replay(self, sink: BatchSink) -> int:
        """Send this process's pending batches in order; return how many were sent.

        Raises:
            Exception: Whatever the sink raises; batches sent before it stay acknowledged and
                the failed one is retried on the next replay.
        """
        with self._lock:
            return _replay_file(self.path, sink)


def _ack_path(path: Path) -> Path:
    return path.with_suffix(_ACK_SUFFIX)


def _acked(path: Path) -> int:
    try:
        return int(_ack_path(path).read_text(encoding="utf-8").strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _write_ack(path: Path, seq: int) -> None:
    tmp = _ack_path(path).with_suffix(".tmp")
    tmp.write_text(str(seq), encoding="utf-8")
    os.replace(tmp, _ack_path(path))


def _entries(path: Path) -> Iterator[JournalEntry]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            entry = _decode(line) if line.endswith("\n") else None
            if entry is None:
                logger.warning("Skipping a torn or unreadable line in %s", path)
                continue
            yield entry


def _replay_file(path: Path, sink: BatchSink) -> int:
    if not path.exists():
        return 0
    done = _acked(path)
    sent = 0
    last = done
    for entry in _entries(path):
        last = max(last, entry.seq)
        if entry.seq <= done:
            continue
        sink.log_batch(entry.run_id, entry.metrics, entry.params, entry.tags)
        _write_ack(path, entry.seq)
        sent += 1
    if _acked(path) >= last:
        path.unlink(missing_ok=True)
        _ack_path(path).unlink(missing_ok=True)
    return sent


def replay_directory(directory: str | os.PathLike[str], sink: BatchSink) -> int:
    """Replay every journal file in a folder (``mltrail sync``); return batches sent."""
    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"No offline journal folder at {folder}")
    files = sorted(folder.glob(f"*{_SUFFIX}"), key=lambda p: p.stat().st_mtime)
    return sum(_replay_file(path, sink) for path in files)
