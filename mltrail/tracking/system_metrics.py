"""System metrics sampling: CPU, memory, disk, network and NVIDIA GPUs, logged as ``system/...``.

A ``SystemMetricsMonitor`` runs one named daemon thread per run. Every sampling interval it reads
the machine's counters (psutil; NVML through ``nvidia-ml-py`` when a GPU and its driver are
there); after ``samples_before_logging`` samples it logs their averages as one batch with the
next step. Keys follow MLflow's names, so charts and searches written for MLflow runs work.

This module needs ``psutil`` (the ``system-metrics`` extra) and is loaded only when a run asks
for system metrics.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence

import psutil

from mltrail.entities import Metric

try:  # NVML is optional: machines without an NVIDIA GPU do not have it.
    import pynvml
except ImportError:  # pragma: no cover - depends on the machine
    pynvml = None

__all__ = ["GpuSampler", "SystemMetricsMonitor", "sample_host"]

logger = logging.getLogger(__name__)

_MB = 1e6
_GB = 1e9

LogBatch = Callable[[str, Sequence[Metric]], None]


def _mb(value: float) -> float:
    return value / _MB


class _HostCounters:
    """psutil readings; network figures count bytes since the monitor started."""

    def __init__(self) -> None:
        net = psutil.net_io_counters()
        self._recv0 = net.bytes_recv if net else 0
        self._sent0 = net.bytes_sent if net else 0
        psutil.cpu_percent(interval=None)  # the first reading only sets the reference point

    def sample(self) -> dict[str, float]:
        memory = psutil.virtual_memory()
        disk = psutil.disk_usage("/")
        out = {
            "cpu_utilization_percentage": psutil.cpu_percent(interval=None),
            "system_memory_usage_megabytes": _mb(memory.used),
            "system_memory_usage_percentage": memory.percent,
            "disk_usage_megabytes": _mb(disk.used),
            "disk_available_megabytes": _mb(disk.free),
            "disk_usage_percentage": disk.percent,
        }
        net = psutil.net_io_counters()
        if net is not None:
            out["network_receive_megabytes"] = _mb(net.bytes_recv - self._recv0)
            out["network_transmit_megabytes"] = _mb(net.bytes_sent - self._sent0)
        return out


def sample_host() -> dict[str, float]:
    """Return one reading of the host's CPU, memory, disk and network (since this call)."""
    return _HostCounters().sample()


class GpuSampler:
    """Utilisation, memory, power and temperature of every NVIDIA GPU, through NVML.

    ``available`` is False (and ``sample`` returns nothing) when nvidia-ml-py is not installed,
    or NVML finds no driver or no device.
    """

    def __init__(self) -> None:
        self._handles: list[object] = []
        if pynvml is None:
            return
        try:
            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except pynvml.NVMLError as exc:
            logger.debug("No NVIDIA GPU metrics: %s", exc)
            self._handles = []

    @property
    def available(self) -> bool:
        """Whether at least one GPU can be sampled."""
        return bool(self._handles)

    def sample(self) -> dict[str, float]:
        """Return one reading per GPU, keyed ``gpu_<i>_...``; a reading NVML refuses is left
        out."""
        out: dict[str, float] = {}
        assert pynvml is not None or not self._handles
        for i, handle in enumerate(self._handles):
            prefix = f"gpu_{i}_"
            for name, read in _GPU_READERS:
                try:
                    out.update({prefix + key: value for key, value in read(handle).items()})
                except pynvml.NVMLError as exc:  # a GPU without power or temperature sensors
                    logger.debug("GPU %d %s not readable: %s", i, name, exc)
        return out

    def close(self) -> None:
        """Release NVML."""
        if self._handles and pynvml is not None:
            with contextlib.suppress(pynvml.NVMLError):  # shutdown after a driver reset
                pynvml.nvmlShutdown()
        self._handles = []


def _gpu_memory(handle: object) -> dict[str, float]:
    info = pynvml.nvmlDeviceGetMemoryInfo(handle)
    used, total = float(info.used), float(info.total)
    return {
        "memory_usage_megabytes": used / _MB,
        "memory_usage_gigabytes": used / _GB,
        "memory_usage_percentage": 100.0 * used / total if total else 0.0,
    }


def _gpu_utilization(handle: object) -> dict[str, float]:
    rates = pynvml.nvmlDeviceGetUtilizationRates(handle)
    return {
        "utilization_percentage": float(rates.gpu),
        "memory_busy_time_percent": float(rates.memory),
    }


def _gpu_power(handle: object) -> dict[str, float]:
    watts = pynvml.nvmlDeviceGetPowerUsage(handle) / 1000.0
    limit = pynvml.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000.0
    return {
        "power_usage_watts": watts,
        "power_usage_percentage": 100.0 * watts / limit if limit else 0.0,
    }


def _gpu_temperature(handle: object) -> dict[str, float]:
    celsius = pynvml.nvmlDeviceGetTemperature(handle, pynvml.NVML_TEMPERATURE_GPU)
    return {"temperature_celsius": float(celsius)}


_GPU_READERS: tuple[tuple[str, Callable[[object], dict[str, float]]], ...] = (
    ("memory", _gpu_memory),
    ("utilization", _gpu_utilization),
    ("power", _gpu_power),
    ("temperature", _gpu_temperature),
)


class SystemMetricsMonitor:
    """Samples the machine on a named background thread and logs averages to one run.

    Args:
        run_id: Run the metrics are logged to.
        log_batch: Called with the run id and the metrics of one logging step.
        sampling_interval: Seconds between samples.
        samples_before_logging: Samples averaged into each logged step.
        node_id: If set, keys become ``system/<node_id>/<name>`` (one run, several machines).

    Raises:
        ValueError: The interval is not positive or the sample count is below 1.
    """

    def __init__(
        self,
        run_id: str,
        log_batch: LogBatch,
        sampling_interval: float = 10.0,
        samples_before_logging: int = 1,
        node_id: str | None = None,
    ) -> None:
        if sampling_interval <= 0:
            raise ValueError(
                f"The system metrics sampling interval must be positive; got {sampling_interval}."
            )
        if samples_before_logging < 1:
            raise ValueError(
                f"samples_before_logging must be at least 1; got {samples_before_logging}."
            )
        self.run_id = run_id
        self._log_batch = log_batch
        self._interval = sampling_interval
        self._per_step = samples_before_logging
        self._prefix = f"system/{node_id}/" if node_id else "system/"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._samples: list[dict[str, float]] = []
        self._step = 0
        self.sample_seconds = 0.0  # CPU time the sampler itself spent (for the overhead check)
        self.samples_taken = 0

    def start(self) -> None:
        """Start sampling (idempotent)."""
        if self._thread is not None:
            return
        self._host = _HostCounters()
        self._gpus = GpuSampler()
        self._thread = threading.Thread(
            target=self._loop, name=f"mltrail-system-metrics-{self.run_id[:8]}", daemon=True
        )
        self._thread.start()

    def finish(self, timeout: float = 10.0) -> None:
        """Stop sampling, log what was sampled since the last step, and release NVML."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)
        self._thread = None
        if self._samples:
            self._log(self._samples)
            self._samples = []
        self._gpus.close()

    @property
    def running(self) -> bool:
        """Whether the sampling thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                started = time.thread_time()
                sample = self._host.sample()
                sample.update(self._gpus.sample())
                self.sample_seconds += time.thread_time() - started
                self.samples_taken += 1
                self._samples.append(sample)
                if len(self._samples) >= self._per_step:
                    batch, self._samples = self._samples, []
                    self._log(batch)
            except Exception:  # a background thread: report and keep sampling
                logger.warning("Sampling system metrics failed", exc_info=True)

    def _log(self, samples: list[dict[str, float]]) -> None:
        keys: dict[str, list[float]] = {}
        for sample in samples:
            for key, value in sample.items():
                keys.setdefault(key, []).append(value)
        timestamp = int(time.time() * 1000)
        metrics = [
            Metric(self._prefix + key, sum(values) / len(values), timestamp, self._step)
            for key, values in keys.items()
        ]
        self._step += 1
        try:
            self._log_batch(self.run_id, metrics)
        except Exception:  # never let monitoring break the user's training
            logger.warning("Logging system metrics for run %s failed", self.run_id, exc_info=True)
