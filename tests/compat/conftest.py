"""Live tracking servers for the compatibility suite: ``mltrail server`` and ``mlflow server``.

Each fixture starts the real command-line program as a subprocess on a free loopback port, with
its own SQLite database and artifact folder in a temporary directory, waits for ``GET /health``,
and stops it by pid at teardown (terminate, wait, kill). Standard output and error go to a log
file next to the database so that a failing test can show what the server said.

The fixtures are module-scoped: every compat test module gets fresh, empty servers, so one
module's experiments never show up in another module's searches.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

BIN_DIR = Path(sys.executable).parent
MLTRAIL_START_TIMEOUT_S = 30.0
MLFLOW_START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class LiveServer:
    """A tracking server running as a subprocess of the test session."""

    url: str
    tmp: Path
    log_path: Path
    artifact_root: str

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's combined stdout/stderr log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"<no log: {exc}>"
        return text[-chars:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without tracking variables that could redirect a server or client."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRAIL_", "MLFLOW_"))}
    env.update(extra)
    return env


def _proc_start(pid: int) -> str | None:
    """The start time of process ``pid`` (to tell it from a later process with the same pid)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _descendants(pid: int) -> list[tuple[int, str]]:
    """``(pid, start time)`` of the live descendants of ``pid`` (Linux /proc; else empty)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[tuple[int, str]] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            start = _proc_start(child)
            if start is not None:
                found.append((child, start))
            stack.append(child)
    return found


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc`` (and, by pid, any of its children left behind); kill if it lingers."""
    children = _descendants(proc.pid)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT_S)
    # mlflow server forwards SIGTERM to its uvicorn child; make sure nothing outlives it, but
    # only signal a pid that still belongs to the very process we saw as a child.
    for pid, start in children:
        if _proc_start(pid) == start:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _wait_healthy(proc: subprocess.Popen[bytes], server: LiveServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error = "no attempt"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited with status {proc.returncode} before it was healthy; "
                f"log:\n{server.log_tail()}"
            )
        try:
            response = httpx.get(f"{server.url}/health", timeout=2)
            if response.status_code == 200:
                return
            last_error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last_error = repr(exc)
        time.sleep(0.2)
    raise RuntimeError(
        f"server at {server.url} not healthy after {timeout:.0f} s ({last_error}); "
        f"log:\n{server.log_tail()}"
    )


@contextlib.contextmanager
def _run_server(
    tmp: Path, argv: list[str], env: dict[str, str], artifact_root: str, timeout: float
) -> Iterator[LiveServer]:
    port = _free_port()
    log_path = tmp / "server.log"
    server = LiveServer(f"http://127.0.0.1:{port}", tmp, log_path, artifact_root)
    argv = [*argv, "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            argv, cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        try:
            _wait_healthy(proc, server, timeout)
            yield server
        finally:
            _stop(proc)


@pytest.fixture(scope="module")
def mltrail_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``mltrail server`` (the real CLI) on a fresh SQLite database."""
    tmp = tmp_path_factory.mktemp("mltrail-server")
    art = str(tmp / "art")
    argv = [
        str(BIN_DIR / "mltrail"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{tmp / 'db'}",
        "--default-artifact-root",
        art,
    ]
    with _run_server(tmp, argv, _clean_env(), art, MLTRAIL_START_TIMEOUT_S) as server:
        yield server


@pytest.fixture(scope="module")
def mltrail_server_url(mltrail_server: LiveServer) -> str:
    """Base URL of a live ``mltrail server``."""
    return mltrail_server.url


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``mlflow server`` (the reference implementation) on a fresh SQLite database."""
    if importlib.util.find_spec("mlflow") is None:
        pytest.skip("mlflow is not installed: pip install 'mltrail[compat]' (mlflow==3.17.2)")
    executable = BIN_DIR / "mlflow"
    if not executable.exists():
        pytest.skip(f"the mlflow command is not installed next to {sys.executable}")
    tmp = tmp_path_factory.mktemp("mlflow-server")
    art = str(tmp / "mlart")
    argv = [
        str(executable),
        "server",
        "--backend-store-uri",
        f"sqlite:///{tmp / 'mlflow.db'}",
        "--default-artifact-root",
        art,
        "--workers",
        "1",
    ]
    # The job runner (a huey consumer pool) is not needed for tracking and costs CPU and
    # start-up time; its processes would also outlive the server.  127.0.0.1 is allowed by
    # MLflow's default host validation, so the security middleware can stay on.
    env = _clean_env(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
    with _run_server(tmp, argv, env, art, MLFLOW_START_TIMEOUT_S) as server:
        yield server


@pytest.fixture(scope="module")
def mlflow_server_url(mlflow_server: LiveServer) -> str:
    """Base URL of a live ``mlflow server`` (mlflow 3.17.2)."""
    return mlflow_server.url
