"""Artifact proxy benchmark: ``mltrail server`` beside ``mlflow server`` moving the same files.

Run ``python bench/bench_artifact_proxy.py [--quick] [--files 10000] [--large-mb 1024]``. For each
library the script starts a fresh server as a subprocess on a free loopback port (default
workers, SQLite backend, ``--artifacts-destination`` a local folder in a new temporary
directory), then times, with the same client (mltrail's ``HttpArtifactRepository``, which speaks
the standard ``/api/2.0/mlflow-artifacts/artifacts`` proxy protocol, 8 files in flight):

- ``small up`` / ``small down``: ``log_artifacts`` of N files of 10 KB, then
  ``download_artifacts`` of the folder (listing + one GET per file);
- ``large up`` / ``large down``: one file of ``--large-mb`` MB, one streamed PUT and one GET.

A sampler thread reads the RSS of the server's process tree (``/proc``) every 50 ms; the peak of
each phase is reported. The table (markdown, on stdout) shows both figures and mltrail's
advantage. Helpers for processes and memory come from ``bench_server.py``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import httpx  # noqa: E402
from bench_server import (  # noqa: E402
    Server,
    describe_machine,
    executable,
    free_port,
    library_version,
    server_env,
    stop_server,
    tree_memory,
    wait_quiet,
)

from mltrail.config import Settings  # noqa: E402
from mltrail.store.artifacts.http import HttpArtifactRepository  # noqa: E402

SMALL_BYTES = 10 * 1024
MB = 1024 * 1024
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
STARTUP_TIMEOUT_S = 180


def start(library: str, workdir: Path) -> Server:
    """Start ``<library> server`` proxying to ``workdir/dest``; return once /health answers."""
    port = free_port()
    log = workdir / "server.log"
    cmd = [
        str(executable(library)),
        "server",
        "--backend-store-uri",
        f"sqlite:///{workdir / 'db'}",
        "--artifacts-destination",
        str(workdir / "dest"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    began = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=workdir,
            env=server_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(library, proc, f"http://127.0.0.1:{port}", workdir, 0.0, log)
    while True:
        try:
            if httpx.get(server.base_url + "/health", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.perf_counter() - began > STARTUP_TIMEOUT_S:
            stop_server(server)
            raise RuntimeError(f"{library} server did not start; see {log}")
        time.sleep(0.05)
    server.launch_s = time.perf_counter() - began
    return server


class PeakRss:
    """Samples the RSS of a process tree on a named thread; ``peak()`` since the last reset."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-rss", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            self._peak = max(self._peak, tree_memory(self._pid)["rss_mib"])

    def reset(self) -> None:
        self._peak = tree_memory(self._pid)["rss_mib"]

    def peak(self) -> float:
        return max(self._peak, tree_memory(self._pid)["rss_mib"])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def timed(rss: PeakRss, fn: Callable[[], object]) -> tuple[float, float]:
    rss.reset()
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began, rss.peak()


def make_inputs(root: Path, files: int, large_mb: int) -> tuple[Path, Path]:
    small = root / "small"
    small.mkdir()
    for i in range(files):
        sub = small / f"d{i % 100:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"f{i:05d}.bin").write_bytes(os.urandom(SMALL_BYTES))
    large = root / "large.bin"
    with large.open("wb") as out:
        block = os.urandom(MB)
        for _ in range(large_mb):
            out.write(block)
    return small, large


def run_library(
    library: str, small: Path, large: Path, files: int, large_mb: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-proxy-{library}-") as tmp:
        workdir = Path(tmp)
        server = start(library, workdir)
        wait_quiet(server.proc.pid)  # helper processes a server starts after /health settle
        rss = PeakRss(server.proc.pid)
        try:
            repo = HttpArtifactRepository(f"{server.base_url}{PROXY}/bench", settings=Settings())
            out: dict[str, Any] = {"idle_rss": tree_memory(server.proc.pid)["rss_mib"]}
            phases: list[tuple[str, Callable[[], object], float]] = [
                ("small_up", lambda: repo.log_artifacts(str(small), "small"), files),
                (
                    "small_down",
                    lambda: repo.download_artifacts("small", str(workdir / "dl1")),
                    files,
                ),
                ("large_up", lambda: repo.log_artifact(str(large), "large"), large_mb),
                (
                    "large_down",
                    lambda: repo.download_artifacts("large/large.bin", str(workdir / "dl2")),
                    large_mb,
                ),
            ]
            for name, fn, amount in phases:
                seconds, peak = timed(rss, fn)
                out[name] = amount / seconds
                out[f"{name}_rss"] = peak
                print(
                    f"  {library:<8} {name:<10} {seconds:8.2f} s  peak {peak:6.0f} MiB",
                    file=sys.stderr,
                )
            got = workdir / "dl2" / "large" / "large.bin"
            if got.stat().st_size != large.stat().st_size:
                raise RuntimeError(f"{library}: the large download has the wrong size")
            repo.close()
            return out
        finally:
            rss.stop()
            stop_server(server)


ROWS = [
    ("small_up", "upload of {files:,} files of 10 KB", "files/s"),
    ("small_down", "download of {files:,} files of 10 KB", "files/s"),
    ("large_up", "upload of one {large_mb:,} MB file", "MB/s"),
    ("large_down", "download of one {large_mb:,} MB file", "MB/s"),
]


def table(results: dict[str, dict[str, Any]], files: int, large_mb: int) -> str:
    ours, theirs = results.get("mltrail", {}), results.get("mlflow", {})
    lines = [
        "| workload | mltrail server | mlflow server | mltrail advantage |",
        "|---|---|---|---|",
    ]

    def fmt(value: float | None, unit: str) -> str:
        return (
            "n/a"
            if value is None
            else f"{value:,.0f} {unit}"
            if value >= 100
            else f"{value:.3g} {unit}"
        )

    for key, label, unit in ROWS:
        name = label.format(files=files, large_mb=large_mb)
        a, b = ours.get(key), theirs.get(key)
        adv = f"{a / b:.1f}x" if a and b else "n/a"
        lines.append(f"| {name}: throughput | {fmt(a, unit)} | {fmt(b, unit)} | {adv} |")
        ra, rb = ours.get(f"{key}_rss"), theirs.get(f"{key}_rss")
        radv = f"{rb / ra:.1f}x less" if ra and rb else "n/a"
        lines.append(f"| {name}: peak server RSS | {fmt(ra, 'MiB')} | {fmt(rb, 'MiB')} | {radv} |")
    a, b = ours.get("idle_rss"), theirs.get("idle_rss")
    adv = f"{b / a:.1f}x less" if a and b else "n/a"
    lines.append(f"| server RSS before the load | {fmt(a, 'MiB')} | {fmt(b, 'MiB')} | {adv} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 small files and 64 MB")
    parser.add_argument("--files", type=int, default=None, help="small files (default 10,000)")
    parser.add_argument("--large-mb", type=int, default=None, help="large file MB (default 1,024)")
    parser.add_argument("--only", choices=["mltrail", "mlflow"], action="append")
    args = parser.parse_args()
    files = args.files or (1000 if args.quick else 10_000)
    large_mb = args.large_mb or (64 if args.quick else 1024)
    libraries = args.only or ["mltrail", "mlflow"]
    if "mlflow" in libraries and not executable("mlflow").exists():
        print("mlflow is not installed: measuring mltrail alone", file=sys.stderr)
        libraries = [lib for lib in libraries if lib != "mlflow"]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-proxy-inputs-") as tmp:
        small, large = make_inputs(Path(tmp), files, large_mb)
        for library in libraries:
            results[library] = run_library(library, small, large, files, large_mb)
        shutil.rmtree(small)
    versions = ", ".join(f"{lib} {library_version(lib)}" for lib in libraries)
    print(f"Artifact proxy, {datetime.date.today()}, {describe_machine()}, {versions}\n")
    print(table(results, files, large_mb))


if __name__ == "__main__":
    main()
