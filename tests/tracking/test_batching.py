"""Asynchronous logging: coalescing into log_batch within limits, errors at flush, exit drain."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any, cast

import pytest

import mltrail
from mltrail import config
from mltrail.entities import Metric, Param, RunTag
from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.service.api import TrackingAPI
from mltrail.tracking.batching import AsyncBatcher, RunOperations, split_batch


class _Recorder:
    """A stand-in backend that records log_batch calls and can fail on demand."""

    def __init__(self, fail_keys: Sequence[str] = ()) -> None:
        self.calls: list[tuple[str, list[Metric], list[Param], list[RunTag]]] = []
        self.fail_keys = set(fail_keys)
        self.gate = threading.Event()
        self.gate.set()

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        self.gate.wait()
        if any(p.key in self.fail_keys for p in params):
            raise InvalidParameterValue(f"param rejected for run {run_id}")
        self.calls.append((run_id, list(metrics), list(params), list(tags)))


def _as_backend(recorder: _Recorder) -> TrackingAPI:
    return cast(TrackingAPI, recorder)


def _metric(i: int, key: str = "m") -> Metric:
    return Metric(key, float(i), 1000 + i, i)


def test_split_batch_respects_every_limit() -> None:
    metrics = [_metric(i) for i in range(2500)]
    params = [Param(f"p{i}", "v") for i in range(250)]
    tags = [RunTag(f"t{i}", "v") for i in range(150)]
    chunks = list(split_batch(metrics, params, tags))
    for chunk_metrics, chunk_params, chunk_tags in chunks:
        assert len(chunk_metrics) <= 1000
        assert len(chunk_params) <= 100
        assert len(chunk_tags) <= 100
        assert len(chunk_metrics) + len(chunk_params) + len(chunk_tags) <= 1000
    assert [m for c in chunks for m in c[0]] == metrics
    assert [p for c in chunks for p in c[1]] == params
    assert [t for c in chunks for t in c[2]] == tags


def test_split_batch_coalescing_keeps_last_tag_and_separates_conflicting_params() -> None:
    params = [Param("a", "1"), Param("a", "1"), Param("b", "2"), Param("a", "3")]
    tags = [RunTag("t", "old"), RunTag("u", "x"), RunTag("t", "new")]
    chunks = list(split_batch([], params, tags, coalesce=True))
    assert chunks[0][1] == [Param("a", "1"), Param("b", "2")]
    assert sorted(chunks[0][2], key=lambda t: t.key) == [RunTag("t", "new"), RunTag("u", "x")]
    assert chunks[1][1] == [Param("a", "3")]


def test_batcher_coalesces_queued_calls_into_few_batches() -> None:
    recorder = _Recorder()
    recorder.gate.clear()  # hold the worker so that calls pile up in the queue
    batcher = AsyncBatcher(queue_size=100_000)
    backend = _as_backend(recorder)
    for i in range(5000):
        batcher.submit(backend, "run-a", metrics=(_metric(i),))
        if i % 10 == 0:
            batcher.submit(backend, "run-b", params=(Param(f"p{i}", str(i)),))
    recorder.gate.set()
    batcher.flush()
    a_points = [m for run_id, ms, _, _ in recorder.calls if run_id == "run-a" for m in ms]
    b_params = [p for run_id, _, ps, _ in recorder.calls if run_id == "run-b" for p in ps]
    assert a_points == [_metric(i) for i in range(5000)]
    assert {p.key for p in b_params} == {f"p{i}" for i in range(0, 5000, 10)}
    assert len(recorder.calls) < 50
    assert all(len(ms) <= 1000 and len(ps) <= 100 for _, ms, ps, _ in recorder.calls)


def test_batcher_raises_backend_error_at_flush_and_keeps_other_points() -> None:
    recorder = _Recorder(fail_keys=["bad"])
    batcher = AsyncBatcher(queue_size=1000)
    backend = _as_backend(recorder)
    recorder.gate.clear()
    batcher.submit(backend, "r1", metrics=(_metric(1),), params=(Param("bad", "x"),))
    batcher.submit(backend, "r2", metrics=(_metric(2),))
    recorder.gate.set()
    with pytest.raises(InvalidParameterValue, match="param rejected for run r1"):
        batcher.flush("r1")
    batcher.flush("r2")  # r2's points went through; its flush has nothing to raise
    batcher.flush()  # the error was raised once, not again
    written = [m for _, ms, _, _ in recorder.calls for m in ms]
    assert written == [_metric(1), _metric(2)]


def test_run_operations_wait_raises_errors_of_its_run() -> None:
    recorder = _Recorder(fail_keys=["bad"])
    batcher = AsyncBatcher(queue_size=10)
    batcher.submit(_as_backend(recorder), "r1", params=(Param("bad", "x"),))
    with pytest.raises(InvalidParameterValue, match="param rejected"):
        RunOperations(batcher, "r1").wait()


def test_batcher_thread_is_named() -> None:
    batcher = AsyncBatcher(queue_size=10)
    batcher.submit(_as_backend(_Recorder()), "r", metrics=(_metric(0),))
    batcher.flush()
    assert "mltrail-batcher" in {t.name for t in threading.enumerate()}


def test_async_logging_writes_everything_by_end_run(tracking_uri: str) -> None:
    with mltrail.start_run() as run:
        for step in range(3000):
            op = mltrail.log_metric("loss", step / 10, step=step, synchronous=False)
            assert isinstance(op, RunOperations)
        mltrail.log_param("lr", 0.1, synchronous=False)
        mltrail.set_tag("stage", "a", synchronous=False)
        mltrail.set_tag("stage", "b", synchronous=False)
        mltrail.log_metrics({"x": 1, "y": 2}, step=1, synchronous=False)
    history = mltrail.MlflowClient().get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(3000))
    stored = mltrail.get_run(run.info.run_id)
    assert stored.data.params == {"lr": "0.1"}
    assert stored.data.tags["stage"] == "b"
    assert stored.data.metrics["y"] == 2.0
    assert stored.info.status == "FINISHED"


def test_async_error_is_raised_by_end_run_and_the_run_still_ends(tracking_uri: str) -> None:
    run = mltrail.start_run()
    mltrail.log_param("lr", "0.1")
    mltrail.log_param("lr", "0.2", synchronous=False)
    with pytest.raises(MlflowException, match="lr"):
        mltrail.end_run()
    assert mltrail.active_run() is None
    assert mltrail.get_run(run.info.run_id).info.status == "FINISHED"


def test_async_error_is_raised_by_flush(tracking_uri: str) -> None:
    mltrail.start_run()
    mltrail.log_param("lr", "0.1")
    mltrail.log_param("lr", "0.2", synchronous=False)
    with pytest.raises(MlflowException, match="lr"):
        mltrail.flush()
    mltrail.end_run()  # nothing left to raise


def test_async_logging_setting_makes_calls_asynchronous(
    tracking_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLTRAIL_ASYNC_LOGGING", "true")
    config.reload_settings()
    with mltrail.start_run() as run:
        result: Any = mltrail.log_metric("m", 1.0)
        assert isinstance(result, RunOperations)
        result.wait()
        assert mltrail.get_run(run.info.run_id).data.metrics == {"m": 1.0}
        assert mltrail.log_metric("m", 2.0, synchronous=True) is None


def test_queued_points_are_written_at_normal_exit(sqlite_uri: str) -> None:
    script = (
        "import mltrail\n"
        f"mltrail.set_tracking_uri({sqlite_uri!r})\n"
        "run = mltrail.start_run()\n"
        "print(run.info.run_id)\n"
        "for i in range(2000):\n"
        "    mltrail.log_metric('m', i, step=i, synchronous=False)\n"
    )
    env = config.environ_for_child()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    run_id = done.stdout.strip()
    client = mltrail.MlflowClient(sqlite_uri)
    assert len(client.get_metric_history(run_id, "m")) == 2000
    assert client.get_run(run_id).info.status == "FINISHED"


def _log_async_then_return(uri: str, run_id: str) -> None:
    client = mltrail.MlflowClient(uri)
    for step in range(500):
        client.log_metric(run_id, "mp", step, step=step, synchronous=False)


def test_forked_multiprocessing_child_drains_its_queue_at_exit(tracking_uri: str) -> None:
    run = mltrail.start_run()
    child = multiprocessing.get_context("fork").Process(
        target=_log_async_then_return, args=(tracking_uri, run.info.run_id)
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 0
    history = mltrail.MlflowClient().get_metric_history(run.info.run_id, "mp")
    assert [m.step for m in history] == list(range(500))
