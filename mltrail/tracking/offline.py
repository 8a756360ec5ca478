"""The offline buffer: batches for an unreachable tracking server go to a crash-safe journal.

When asynchronous logging cannot reach a remote server (connection refused, timeouts, 5xx after
the client's retries), the batch is appended to a journal on local disk instead of failing the
training job. Later batches for that server join the journal behind it, so order is kept. The
batcher tries to replay the journal every few seconds (one attempt, no retries); once the server
answers, the journal is sent in order and new batches go straight to the server again. What is
left at exit stays on disk, and ``mltrail sync`` sends it later. Replaying a batch twice stores
it once, so a crash between sending and acknowledging loses nothing and duplicates nothing.

Each server gets its own folder under the buffer directory, named by a hash of its URL and
holding a ``target`` file with that URL, which ``mltrail sync`` reads.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from mltrail.config import Settings
from mltrail.entities import Metric, Param, RunTag
from mltrail.exceptions import ErrorCode, MlflowException
from mltrail.tracking.journal import BatchSink, OfflineJournal, replay_directory

__all__ = [
    "OfflineBuffer",
    "RemoteBackend",
    "SinkFactory",
    "buffer_directory",
    "is_unavailable",
    "sync_directory",
]

logger = logging.getLogger(__name__)

TARGET_FILE = "target"
# Replay attempts back off from this many seconds up to the maximum.
_FIRST_RETRY_S = 2.0
_MAX_RETRY_S = 30.0


@runtime_checkable
class RemoteBackend(Protocol):
    """What the buffer needs of a backend: its URL and a copy that fails fast."""

    @property
    def base_url(self) -> str: ...

    def without_retries(self) -> BatchSink: ...


# Builds the batch sink (a tracking backend) for a URL.
SinkFactory = Callable[[str], BatchSink]


def buffer_directory(settings: Settings) -> Path:
    """The folder that holds journals: the configured one, else ``~/.mltrail/offline``."""
    if settings.offline_buffer_dir:
        return Path(settings.offline_buffer_dir).expanduser()
    return Path.home() / ".mltrail" / "offline"


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means the server could not be reached or could not serve right now."""
    if not isinstance(exc, MlflowException):
        return False
    if exc.error_code in (ErrorCode.TEMPORARILY_UNAVAILABLE, ErrorCode.INTERNAL_ERROR):
        return True
    return exc.get_http_status_code() >= 500


def _target_folder(root: Path, url: str) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    folder = root / digest
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / TARGET_FILE
    if not target.exists():
        target.write_text(url + "\n", encoding="utf-8")
    return folder


class OfflineBuffer:
    """The journal of one remote server for this process, and its replay schedule."""

    def __init__(self, backend: RemoteBackend, root: Path) -> None:
        self.url = backend.base_url
        self.journal = OfflineJournal(_target_folder(root, self.url))
        self._probe = backend.without_retries()
        self._next_try = 0.0
        self._delay = _FIRST_RETRY_S
        self.journaled = 0

    def append(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
    ) -> None:
        """Write a batch to the journal, durably."""
        if self.journaled == 0:
            logger.warning(
                "The tracking server at %s is unreachable; logged data is kept in %s and sent "
                "when the server is back (or run `mltrail sync %s`).",
                self.url,
                self.journal.path,
                self.journal.directory.parent,
            )
        self.journal.append(run_id, metrics, params, tags)
        self.journaled += 1

    @property
    def pending(self) -> bool:
        """Whether journaled batches are waiting to be sent."""
        return self.journal.has_pending()

    def try_replay(self, force: bool = False) -> bool:
        """Send the journal if it is time to try; return True once nothing is pending.

        Args:
            force: Try now, whatever the schedule says (flush and exit).
        """
        if not self.pending:
            return True
        now = time.monotonic()
        if not force and now < self._next_try:
            return False
        try:
            sent = self.journal.replay(self._probe)
        except Exception as exc:  # still down: try again later
            if not is_unavailable(exc):
                logger.error("Replaying the offline journal %s failed: %s", self.journal.path, exc)
            self._next_try = now + self._delay
            self._delay = min(self._delay * 2, _MAX_RETRY_S)
            return False
        logger.warning(
            "The tracking server at %s is back: sent %d buffered batch(es).", self.url, sent
        )
        self._delay = _FIRST_RETRY_S
        self.journaled = 0
        return True


def sync_directory(
    root: Path, sink_for: SinkFactory, override: str | None = None
) -> dict[str, int]:
    """Replay every journal under ``root``; return batches sent per server URL.

    Args:
        root: The offline buffer directory (its per-server folders), or one server's folder.
        sink_for: Builds the backend to send to from a URL.
        override: Send everything to this URL instead of each folder's recorded target.
    """
    folders = (
        [root]
        if (root / TARGET_FILE).exists()
        else sorted(p for p in root.iterdir() if (p / TARGET_FILE).exists())
    )
    sent: dict[str, int] = {}
    for folder in folders:
        url = override or (folder / TARGET_FILE).read_text(encoding="utf-8").strip()
        sent[url] = sent.get(url, 0) + replay_directory(folder, sink_for(url))
    return sent
