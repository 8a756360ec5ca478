"""Many writers at once: 8 threads and 4 processes, 10,000 points each, one SQLite store."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

import mltrail
from mltrail import config

POINTS = 10_000

_CHILD = """
import sys
import time
import mltrail
from mltrail.entities import Metric

key, mode = sys.argv[1], sys.argv[2]
mltrail.start_run()  # joins the parent's run through MLTRAIL_RUN_ID
if mode == "async":
    for step in range({points}):
        mltrail.log_metric(key, step * 0.5, step=step, synchronous=False)
else:
    now = int(time.time() * 1000)
    points = [Metric(key, step * 0.5, now, step) for step in range({points})]
    client = mltrail.MlflowClient()
    run_id = mltrail.active_run().info.run_id
    for start in range(0, len(points), 2000):
        client.log_batch(run_id, metrics=points[start : start + 2000])
mltrail.end_run()
"""


@pytest.mark.slow
def test_threads_and_processes_log_every_point(tracking_uri: str) -> None:
    shared = mltrail.start_run()
    env = config.environ_for_child(run_id=shared.info.run_id, tracking_uri=tracking_uri)
    script = _CHILD.format(points=POINTS)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, f"proc{i}", "async" if i % 2 else "batch"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    thread_runs: dict[int, str] = {}
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            with mltrail.start_run() as run:
                thread_runs[index] = run.info.run_id
                for step in range(POINTS):
                    mltrail.log_metric("m", float(step), step=step, synchronous=False)
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,), name=f"writer-{i}") for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = [child.communicate(timeout=120) for child in children]
    mltrail.flush()
    mltrail.end_run()

    assert errors == []
    for child, (_, stderr) in zip(children, outcomes, strict=True):
        assert child.returncode == 0, stderr
        assert "Traceback" not in stderr
    client = mltrail.MlflowClient()
    assert len(thread_runs) == 8
    for run_id in thread_runs.values():
        history = client.get_metric_history(run_id, "m")
        assert [m.step for m in history] == list(range(POINTS))
        assert client.get_run(run_id).info.status == "FINISHED"
    for i in range(4):
        history = client.get_metric_history(shared.info.run_id, f"proc{i}")
        assert sorted(m.step for m in history) == list(range(POINTS))
        assert {m.value for m in history} == {step * 0.5 for step in range(POINTS)}
