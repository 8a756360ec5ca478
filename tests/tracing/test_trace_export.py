"""The background exporter: bursts from many threads are stored or counted, never lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import mltrail
from mltrail.tracing import stats


def test_burst_from_eight_threads_is_all_stored(tracking_uri: str) -> None:
    @mltrail.trace
    def call(i: int) -> int:
        with mltrail.start_span("child"):
            return i

    before = stats()
    per_thread = 250

    def worker() -> None:
        for i in range(per_thread):
            call(i)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mltrail.flush_trace_async_logging()
    after = stats()
    total = 8 * per_thread
    assert after.submitted - before.submitted + after.dropped - before.dropped == total
    assert after.dropped == before.dropped
    assert after.failed == before.failed
    assert after.exported - before.exported == total
    assert len(mltrail.search_traces(return_type="list", include_spans=False)) == total


_CHILD = """
import json, logging, mltrail
from mltrail.tracing import stats
logging.basicConfig(level=logging.WARNING)
mltrail.set_tracking_uri({uri!r})

@mltrail.trace
def call(i):
    return i

for i in range(3000):
    call(i)
mltrail.flush_trace_async_logging()
s = stats()
stored = len(mltrail.search_traces(return_type="list", include_spans=False))
print(json.dumps({{"submitted": s.submitted, "exported": s.exported, "dropped": s.dropped,
                  "failed": s.failed, "stored": stored}}))
"""


def test_small_queue_counts_and_warns_about_drops(sqlite_uri: str, tmp_path: Path) -> None:
    env = {**os.environ, "MLTRAIL_ASYNC_TRACE_LOGGING_MAX_QUEUE_SIZE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(uri=sqlite_uri)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
        timeout=300,
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["submitted"] + counts["dropped"] == 3000
    assert counts["failed"] == 0
    assert counts["stored"] == counts["exported"] == counts["submitted"]
    if counts["dropped"]:
        assert "dropped" in done.stderr
        assert "MLTRAIL_ASYNC_TRACE_LOGGING_MAX_QUEUE_SIZE" in done.stderr


def test_queued_traces_are_stored_at_exit(sqlite_uri: str, tmp_path: Path) -> None:
    code = (
        "import mltrail\n"
        f"mltrail.set_tracking_uri({sqlite_uri!r})\n"
        "@mltrail.trace\n"
        "def f(i):\n"
        "    return i\n"
        "for i in range(500):\n"
        "    f(i)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, timeout=300)
    mltrail.set_tracking_uri(sqlite_uri)
    assert len(mltrail.search_traces(return_type="list", include_spans=False)) == 500
