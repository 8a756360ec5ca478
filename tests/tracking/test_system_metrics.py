"""System metrics: sampled on a background thread into ``system/...`` metrics of the run."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

import mltrail
import mltrail.tracking as tracking_package
from mltrail.config import reload_settings
from mltrail.tracking.fluent import system_metrics as fluent_system_metrics
from mltrail.tracking.system_metrics import GpuSampler, SystemMetricsMonitor, sample_host

HOST_KEYS = {
    "cpu_utilization_percentage",
    "system_memory_usage_megabytes",
    "system_memory_usage_percentage",
    "disk_usage_megabytes",
    "disk_available_megabytes",
    "disk_usage_percentage",
    "network_receive_megabytes",
    "network_transmit_megabytes",
}


@pytest.fixture(autouse=True)
def _fast_sampling() -> Iterator[None]:
    """Sample every 50 ms; restore the process-wide switches afterwards."""
    mltrail.set_system_metrics_sampling_interval(0.05)
    yield
    fluent_system_metrics._overrides.clear()


def _system_keys(run_id: str) -> set[str]:
    metrics = mltrail.get_run(run_id).data.metrics
    return {key for key in metrics if key.startswith("system/")}


def _wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    pytest.fail("condition not met before the deadline")


def _monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("mltrail-system-metrics")]


def test_start_run_with_system_metrics_logs_host_metrics(tracking_uri: str) -> None:
    with mltrail.start_run(log_system_metrics=True) as run:
        run_id = run.info.run_id
        _wait_for(lambda: {f"system/{k}" for k in HOST_KEYS} <= _system_keys(run_id))
        assert _monitor_threads()
    assert not _monitor_threads()
    history = mltrail.MlflowClient().get_metric_history(run_id, "system/cpu_utilization_percentage")
    steps = [m.step for m in history]
    assert steps == sorted(steps)
    assert steps[0] == 0
    assert all(0.0 <= m.value <= 100.0 for m in history)
    memory = mltrail.get_run(run_id).data.metrics["system/system_memory_usage_megabytes"]
    assert memory > 0


def test_runs_without_the_flag_sample_nothing(tracking_uri: str) -> None:
    with mltrail.start_run() as run:
        assert not _monitor_threads()
    assert _system_keys(run.info.run_id) == set()


@pytest.mark.parametrize(
    "env_name", ["MLTRAIL_ENABLE_SYSTEM_METRICS_LOGGING", "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING"]
)
def test_environment_variable_turns_sampling_on(
    tracking_uri: str, monkeypatch: pytest.MonkeyPatch, env_name: str
) -> None:
    monkeypatch.setenv(env_name, "true")
    reload_settings()
    try:
        with mltrail.start_run() as run:
            _wait_for(lambda: "system/cpu_utilization_percentage" in _system_keys(run.info.run_id))
    finally:
        monkeypatch.delenv(env_name)
        reload_settings()


def test_enable_function_and_explicit_false(tracking_uri: str) -> None:
    mltrail.enable_system_metrics_logging()
    with mltrail.start_run(log_system_metrics=False) as run:
        assert not _monitor_threads()
    assert _system_keys(run.info.run_id) == set()
    with mltrail.start_run() as run:
        _wait_for(lambda: bool(_system_keys(run.info.run_id)))
    mltrail.disable_system_metrics_logging()
    with mltrail.start_run() as run:
        assert not _monitor_threads()


def test_node_id_prefixes_the_keys(tracking_uri: str) -> None:
    mltrail.set_system_metrics_node_id("worker-1")
    with mltrail.start_run(log_system_metrics=True) as run:
        _wait_for(
            lambda: "system/worker-1/cpu_utilization_percentage" in _system_keys(run.info.run_id)
        )
    assert all(k.startswith("system/worker-1/") for k in _system_keys(run.info.run_id))


def test_samples_are_averaged_into_steps() -> None:
    logged: list[tuple[str, list[mltrail.entities.Metric]]] = []
    monitor = SystemMetricsMonitor(
        "r" * 32,
        lambda run_id, metrics: logged.append((run_id, list(metrics))),
        sampling_interval=0.02,
        samples_before_logging=3,
    )
    monitor.start()
    _wait_for(lambda: len(logged) >= 2)
    monitor.finish()
    assert not monitor.running
    assert monitor.samples_taken >= 6
    steps = [batch[0].step for _, batch in logged]
    assert steps == list(range(len(steps)))
    # every full step averages 3 samples; the last one may hold the leftover samples
    assert monitor.samples_taken <= 3 * len(logged)
    assert {m.key for m in logged[0][1]} >= {f"system/{k}" for k in HOST_KEYS}


def test_logging_failure_is_a_warning_and_sampling_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def failing(run_id: str, metrics: object) -> None:
        calls.append(1)
        raise RuntimeError("tracking server down")

    monitor = SystemMetricsMonitor("r" * 32, failing, sampling_interval=0.02)
    with caplog.at_level(logging.WARNING):
        monitor.start()
        _wait_for(lambda: len(calls) >= 3)
        monitor.finish()
    assert "Logging system metrics for run" in caplog.text


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        SystemMetricsMonitor("r" * 32, lambda *_: None, sampling_interval=0)
    with pytest.raises(ValueError, match="at least 1"):
        SystemMetricsMonitor("r" * 32, lambda *_: None, samples_before_logging=0)
    with pytest.raises(ValueError, match="positive number"):
        mltrail.set_system_metrics_sampling_interval(-1)
    with pytest.raises(ValueError, match="at least 1"):
        mltrail.set_system_metrics_samples_before_logging(0)


def test_missing_psutil_warns_and_the_run_goes_on(
    tracking_uri: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_psutil(name: str) -> object:
        raise ImportError("No module named 'psutil'")

    monkeypatch.setattr(tracking_package, "__getattr__", no_psutil)
    with caplog.at_level(logging.WARNING), mltrail.start_run(log_system_metrics=True) as run:
        mltrail.log_metric("loss", 1.0)
    assert "mltrail[system-metrics]" in caplog.text
    assert mltrail.get_run(run.info.run_id).data.metrics == {"loss": 1.0}


def test_host_sample_has_every_key() -> None:
    assert set(sample_host()) == HOST_KEYS


def test_gpu_metrics_where_a_gpu_is_present() -> None:
    gpus = GpuSampler()
    if not gpus.available:
        pytest.skip("no NVIDIA GPU or driver on this machine (NVML unavailable)")
    try:
        sample = gpus.sample()
    finally:
        gpus.close()
    for key in ("gpu_0_utilization_percentage", "gpu_0_memory_usage_megabytes"):
        assert key in sample
    assert 0.0 <= sample["gpu_0_memory_usage_percentage"] <= 100.0
