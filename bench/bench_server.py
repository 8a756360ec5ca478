"""Server benchmarks: ``mltrail server`` beside ``mlflow server`` over the same REST traffic.

Run ``python bench/bench_server.py [--quick]``. For every workload the script starts a fresh
``mltrail server`` and then a fresh ``mlflow server`` as subprocesses on free loopback ports, each
on its own SQLite file and artifact folder in a new temporary directory and with the server's
default worker settings. It drives the same HTTP requests at both with httpx from this process,
stops the server, and prints a table of both figures and mltrail's advantage. See
``bench/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVERS = ("mltrail", "mlflow")
API = "/api/2.0/mlflow"
STARTUP_TIMEOUT_S = 180
STOP_TIMEOUT_S = 20
REQUEST_TIMEOUT_S = 300
# log_metric load: 16 threads, each with its own keep-alive httpx.Client. (One shared
# httpx.AsyncClient with 16 tasks was tried first: its connection pool costs the client about
# twice the CPU per request at 16 connections, so it measured the client, not the server.)
CONCURRENCY = 16
LOAD_RUNS = 4  # log_metric spreads its requests over this many runs
POPULATE_CONCURRENCY = 8
HISTORY_LOAD_THREADS = 4
STATS_LOCK = threading.Lock()
POPULATE_RETRIES = 8
# Byte-code goes to a cache outside the repo and the venv (as in bench_tracking.py), so servers
# start as an installed package does even where PYTHONDONTWRITEBYTECODE is set.
PYCACHE_DIR = Path(tempfile.gettempdir()) / "mltrail-bench-pycache"


# --------------------------------------------------------------------------- processes
def server_env() -> dict[str, str]:
    """Environment for servers: no inherited tracking settings, no telemetry, repo importable."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLFLOW_", "MLTRAIL_"))
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE_DIR)
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["DO_NOT_TRACK"] = "true"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def executable(name: str) -> Path:
    """The console script `name` installed next to this interpreter."""
    return Path(sys.executable).parent / name


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, from the parent ids in /proc/<pid>/stat."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def proc_kib(path: str, field_name: str) -> int:
    """A `Name:   123 kB` field of a /proc file, in KiB (0 when unreadable)."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def process_label(pid: int) -> str:
    """A short name for a process: the module after ``-m``, else its script's name."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    if "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1]
    if "-c" in argv[:-1]:
        code = argv[argv.index("-c") + 1]
        if "spawn_main" in code:
            return "multiprocessing worker"
        if "resource_tracker" in code:
            return "multiprocessing resource tracker"
        return code[:30]
    script = argv[1] if len(argv) > 1 and argv[1] and not argv[1].startswith("-") else argv[0]
    return Path(script).name


def tree_memory(root: int) -> dict[str, Any]:
    """Summed VmRSS (and PSS, which splits shared pages) of `root`'s process tree, in MiB."""
    pids = process_tree(root)
    rss = {pid: proc_kib(f"/proc/{pid}/status", "VmRSS") / 1024 for pid in pids}
    pss = sum(proc_kib(f"/proc/{pid}/smaps_rollup", "Pss") for pid in pids) / 1024
    groups: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for pid in pids:
        label = process_label(pid)
        groups[label] += rss[pid]
        counts[label] += 1
    by_kind = {f"{label} x{counts[label]}": round(mib) for label, mib in groups.most_common()}
    return {
        "rss_mib": sum(rss.values()),
        "pss_mib": pss,
        "processes": len(pids),
        "by_process": by_kind,
    }


def tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) used so far by `root`'s live process tree."""
    ticks = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_quiet(root: int, limit_s: float = 90.0, window_s: float = 1.0) -> float:
    """Wait until `root`'s tree uses under 10% of a core for a whole window; return the wait.

    A server may keep starting helper processes after /health answers (mlflow's job runner);
    the load should not share the machine with their imports.
    """
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        before = tree_cpu_s(root)
        time.sleep(window_s)
        if tree_cpu_s(root) - before < 0.1 * window_s:
            break
    return time.perf_counter() - start


@dataclass
class Server:
    """One running server process (the root of its own session) and where it listens."""

    library: str
    proc: subprocess.Popen[bytes]
    base_url: str
    workdir: Path
    launch_s: float
    log: Path


def server_command(library: str, workdir: Path, port: int) -> list[str]:
    return [
        str(executable(library)),
        "server",
        "--backend-store-uri",
        f"sqlite:///{workdir / 'db'}",
        "--default-artifact-root",
        str(workdir / "art"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def start_server(library: str, workdir: Path) -> Server:
    """Launch a server on `workdir`'s database; return once GET /health answers 200."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = workdir / f"server-{port}.log"
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            server_command(library, workdir, port),
            cwd=workdir,
            env=server_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop_server reaches the workers
        )
    server = Server(library, proc, base_url, workdir, 0.0, log)
    with httpx.Client(timeout=5) as client:
        while True:
            try:
                if client.get(base_url + "/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - start > STARTUP_TIMEOUT_S:
                stop_server(server)
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                raise RuntimeError(f"{library} server did not come up: {' | '.join(tail)}")
            time.sleep(0.02)
    server.launch_s = time.perf_counter() - start
    return server


def stop_server(server: Server) -> None:
    """Terminate the server's process group (the process it started and its workers)."""
    pgid = server.proc.pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.proc.wait(STOP_TIMEOUT_S)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:  # workers may outlive the parent briefly
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    server.proc.wait()


# --------------------------------------------------------------------------- REST helpers
def now_ms() -> int:
    return int(time.time() * 1000)


def call(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a JSON body to the API and return the decoded answer; raise on any non-200."""
    response = client.post(API + path, json=body)
    if response.status_code != 200:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
    return dict(response.json())


def new_experiment(client: httpx.Client, name: str) -> str:
    return str(call(client, "/experiments/create", {"name": name})["experiment_id"])


def new_run(client: httpx.Client, exp_id: str, name: str) -> str:
    body = {"experiment_id": exp_id, "run_name": name, "start_time": now_ms()}
    return str(call(client, "/runs/create", body)["run"]["info"]["run_id"])


def post_retrying(
    client: httpx.Client, path: str, body: dict[str, Any], stats: Counter[str]
) -> dict[str, Any]:
    """POST for set-up, retrying errors (a busy SQLite file) with back-off; counts retries."""
    for attempt in range(POPULATE_RETRIES):
        try:
            response = client.post(API + path, json=body)
            if response.status_code == 200:
                return dict(response.json())
            error = f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        with STATS_LOCK:
            stats["retries"] += 1
            stats[f"retry {path} {error[:80]}"] += 1
        time.sleep(0.05 * 2**attempt)
    raise RuntimeError(f"POST {path} failed {POPULATE_RETRIES} times: {error}")


def in_threads(server: Server, threads: int, work: Callable[[int, httpx.Client], None]) -> None:
    """Run `work(index, client)` in `threads` threads, each with its own keep-alive client."""

    def thread_main(index: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client:
            work(index, client)

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(thread_main, i) for i in range(threads)]:
            future.result()  # re-raises a thread's exception


def share_out(server: Server, threads: int, jobs: list[Callable[[httpx.Client], None]]) -> None:
    """Run the `jobs` (in order) on `threads` threads, each with its own keep-alive client."""
    queue = iter(jobs)
    lock = threading.Lock()

    def work(_: int, client: httpx.Client) -> None:
        while True:
            with lock:
                job = next(queue, None)
            if job is None:
                return
            job(client)

    in_threads(server, threads, work)


# --------------------------------------------------------------------------- workloads
def bench_startup(library: str, size: int) -> dict[str, Any]:
    """Launch-to-first-200 on /health: `size` launches on fresh databases, `size` restarts."""
    fresh, again = [], []
    with tempfile.TemporaryDirectory(prefix=f"bench-server-{library}-") as tmp:
        for i in range(size):
            workdir = Path(tmp) / f"launch{i}"
            workdir.mkdir()
            server = start_server(library, workdir)
            stop_server(server)
            fresh.append(server.launch_s)
        for _ in range(size):  # the same database again: the schema is already there
            server = start_server(library, workdir)
            stop_server(server)
            again.append(server.launch_s)
    return {"value": statistics.median(fresh), "restart_s": statistics.median(again), "n": size}


def log_metric_load(server: Server, runs: list[str], prefix: str, seconds: float) -> dict[str, Any]:
    """CONCURRENCY threads posting log-metric for `seconds`; each (key, step) is distinct."""
    latencies: list[list[float]] = [[] for _ in range(CONCURRENCY)]
    errors: list[Counter[str]] = [Counter() for _ in range(CONCURRENCY)]
    start = time.perf_counter()
    deadline = start + seconds

    def work(t: int, client: httpx.Client) -> None:
        run_id, key, step = runs[t % len(runs)], f"{prefix}_{t}", 0
        rng = random.Random(t)
        mine, failed = latencies[t], errors[t]
        while time.perf_counter() < deadline:
            body = {
                "run_id": run_id,
                "key": key,
                "value": rng.random(),
                "timestamp": now_ms(),
                "step": step,
            }
            step += 1
            sent = time.perf_counter()
            try:
                status = str(client.post(API + "/runs/log-metric", json=body).status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            mine.append(time.perf_counter() - sent)
            if status != "200":
                failed[status] += 1

    in_threads(server, CONCURRENCY, work)
    elapsed = time.perf_counter() - start
    every = [latency for mine in latencies for latency in mine]
    error_kinds = sum(errors, Counter())
    ok = len(every) - sum(error_kinds.values())
    cuts = (
        statistics.quantiles(every, n=1000, method="inclusive") if len(every) > 1 else [0.0] * 999
    )
    return {
        "value": ok / elapsed,
        "p50_ms": cuts[499] * 1000,
        "p90_ms": cuts[899] * 1000,
        "p99_ms": cuts[989] * 1000,
        "p999_ms": cuts[998] * 1000,
        "max_ms": max(every, default=0.0) * 1000,
        "errors": sum(error_kinds.values()),
        "error_kinds": dict(error_kinds),
        "requests": len(every),
        "seconds": elapsed,
    }


def bench_log_metric(server: Server, size: int) -> dict[str, Any]:
    """log-metric at concurrency 16 for `size` seconds after a warm-up; then the server's RSS."""
    with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client:
        exp_id = new_experiment(client, "load")
        runs = [new_run(client, exp_id, f"load-{i}") for i in range(LOAD_RUNS)]
    idle = tree_memory(server.proc.pid)
    warmup = log_metric_load(server, runs, "warm", min(5.0, size * 2 / 3))
    result = log_metric_load(server, runs, "load", size)
    result["warmup_errors"] = warmup["errors"]
    result["memory"] = tree_memory(server.proc.pid)
    result["idle_memory"] = idle
    result["n"] = size
    return result


def run_points(index: int, ts: int) -> dict[str, Any]:
    """The 10 metrics and 10 params of search run `index` (seeded by the index)."""
    rng = random.Random(index)
    metrics = [
        {"key": f"m{k}", "value": rng.random(), "timestamp": ts, "step": 0} for k in range(10)
    ]
    params = [{"key": f"p{k}", "value": str(rng.randint(0, 99))} for k in range(10)]
    return {"metrics": metrics, "params": params}


def populate_runs(server: Server, exp_id: str, size: int) -> Counter[str]:
    """Create `size` runs, each with one log-batch of 10 params and 10 metrics."""
    stats: Counter[str] = Counter()

    def job(i: int) -> Callable[[httpx.Client], None]:
        def create(client: httpx.Client) -> None:
            ts = now_ms()
            body = {"experiment_id": exp_id, "run_name": f"run-{i:05d}", "start_time": ts}
            run = post_retrying(client, "/runs/create", body, stats)
            batch = {"run_id": run["run"]["info"]["run_id"], **run_points(i, ts)}
            post_retrying(client, "/runs/log-batch", batch, stats)

        return create

    share_out(server, POPULATE_CONCURRENCY, [job(i) for i in range(size)])
    return stats


def bench_search(server: Server, size: int) -> dict[str, Any]:
    """runs/search over `size` runs: metrics.m0 > 0.5, by metrics.m1 DESC, 100 results."""
    with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client:
        exp_id = new_experiment(client, "search")
        start = time.perf_counter()
        stats = populate_runs(server, exp_id, size)
        populate_s = time.perf_counter() - start
        body = {
            "experiment_ids": [exp_id],
            "filter": "metrics.m0 > 0.5",
            "order_by": ["metrics.m1 DESC"],
            "max_results": 100,
        }
        found = call(client, "/runs/search", body).get("runs", [])
        times = []
        for _ in range(3):
            start = time.perf_counter()
            call(client, "/runs/search", body)
            times.append(time.perf_counter() - start)
    names = ",".join(run["info"]["run_name"] for run in found)
    return {
        "value": statistics.median(times),
        "n": size,
        "populate_s": populate_s,
        "populate_retries": stats["retries"],
        "retry_kinds": {k: v for k, v in stats.items() if k != "retries"},
        "results": len(found),
        "digest": hashlib.sha256(names.encode()).hexdigest()[:12],
    }


def load_history(server: Server, run_id: str, size: int) -> Counter[str]:
    """Log `size` points of metric "loss" with log-batch calls of 1,000 points."""
    stats: Counter[str] = Counter()
    rng = random.Random(2)
    values = [rng.random() for _ in range(size)]

    def job(first: int) -> Callable[[httpx.Client], None]:
        def send(client: httpx.Client) -> None:
            ts = now_ms()
            metrics = [
                {"key": "loss", "value": values[i], "timestamp": ts, "step": i}
                for i in range(first, min(first + 1000, size))
            ]
            post_retrying(client, "/runs/log-batch", {"run_id": run_id, "metrics": metrics}, stats)

        return send

    share_out(server, HISTORY_LOAD_THREADS, [job(first) for first in range(0, size, 1000)])
    return stats


def fetch_history(client: httpx.Client, run_id: str) -> dict[str, int]:
    """Every page of get-history for "loss": points, pages, bytes decoded and on the wire."""
    params = {"run_id": run_id, "metric_key": "loss"}
    points = pages = body_bytes = wire_bytes = 0
    while True:
        response = client.get(API + "/metrics/get-history", params=params)
        if response.status_code != 200:
            raise RuntimeError(f"get-history: {response.status_code} {response.text[:300]}")
        answer = response.json()
        points += len(answer.get("metrics", []))
        pages += 1
        body_bytes += len(response.content)
        wire_bytes += response.num_bytes_downloaded
        token = answer.get("next_page_token")
        if not token:
            return {"points": points, "pages": pages, "bytes": body_bytes, "wire": wire_bytes}
        params["page_token"] = token


def bench_history(server: Server, size: int) -> dict[str, Any]:
    """get-history of a `size`-point metric, all pages; one warm-up, then the median of 3."""
    with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client:
        exp_id = new_experiment(client, "history")
        run_id = new_run(client, exp_id, "history")
        start = time.perf_counter()
        load_history(server, run_id, size)
        populate_s = time.perf_counter() - start
        fetched = fetch_history(client, run_id)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fetched = fetch_history(client, run_id)
            times.append(time.perf_counter() - start)
    if fetched["points"] != size:
        return {"error": f"got {fetched['points']} points of {size}"}
    return {
        "value": statistics.median(times),
        "n": size,
        "populate_s": populate_s,
        "mb": fetched["bytes"] / 1e6,
        "wire_mb": fetched["wire"] / 1e6,
        "pages": fetched["pages"],
    }


# --------------------------------------------------------------------------- table layout
@dataclass(frozen=True)
class Row:
    """One table row: a figure of a workload's result and how to compare it."""

    title: str
    key: str
    unit: str
    higher_is_better: bool | None  # None: no ratio (counts)
    source: str = ""  # the workload whose result holds the figure; default the row's own


@dataclass(frozen=True)
class Workload:
    """One benchmark: what runs it (None: derived from another), its sizes and rows."""

    run: Callable[..., dict[str, Any]] | None
    needs_server: bool
    full: int
    quick: int
    rows: list[Row] = field(default_factory=list)


WORKLOADS: dict[str, Workload] = {
    "startup": Workload(
        bench_startup,
        False,
        3,
        1,
        [
            Row("startup to first 200 on /health, fresh database", "value", "s", False),
            Row("startup to first 200 on /health, existing database", "restart_s", "s", False),
        ],
    ),
    "log_metric": Workload(
        bench_log_metric,
        True,
        20,
        3,
        [
            Row("log-metric, 16 concurrent, {n} s: throughput", "value", "req/s", True),
            Row("log-metric latency p50", "p50_ms", "ms", False),
            Row("log-metric latency p99", "p99_ms", "ms", False),
            Row("log-metric errors (non-200 or failed)", "errors", "", None),
        ],
    ),
    "search": Workload(
        bench_search,
        True,
        10_000,
        500,
        [Row("runs/search over {n} runs (10 params, 10 metrics each)", "value", "s", False)],
    ),
    "history": Workload(
        bench_history,
        True,
        100_000,
        10_000,
        [
            Row("get-history of a {n}-point metric, all pages", "value", "s", False),
            Row("get-history response size", "mb", "MB", False),
        ],
    ),
    "memory": Workload(
        None,
        False,
        0,
        0,
        [Row("RSS of the server's process tree after the log-metric load", "rss", "MiB", False)],
    ),
}


# --------------------------------------------------------------------------- parent side
def run_one(name: str, library: str, size: int) -> dict[str, Any]:
    """One workload against one library's server (fresh directory, fresh server)."""
    workload = WORKLOADS[name]
    assert workload.run is not None
    try:
        if not workload.needs_server:
            return workload.run(library, size)
        with tempfile.TemporaryDirectory(prefix=f"bench-server-{library}-") as tmp:
            server = start_server(library, Path(tmp))
            try:
                settle_s = wait_quiet(server.proc.pid)
                result = workload.run(server, size)
                result["startup_s"] = server.launch_s
                result["settle_s"] = settle_s
            finally:
                stop_server(server)
            return result
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def memory_result(log_metric: dict[str, Any]) -> dict[str, Any]:
    if "memory" not in log_metric:
        return {"error": "no log_metric result"}
    memory = log_metric["memory"]
    return {"value": memory["rss_mib"], "rss": memory["rss_mib"], **memory}


def format_number(value: float, unit: str) -> str:
    if isinstance(value, int) or (value >= 100 and value == int(value)):
        text = f"{int(value):,}"
    else:
        text = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def format_figure(result: dict[str, Any] | None, row: Row) -> str:
    if result is None:
        return "n/a"
    if "error" in result:
        return "error"
    if row.key not in result:
        return "n/a"
    return format_number(result[row.key], row.unit)


def ratio(row: Row, ours: dict[str, Any], theirs: dict[str, Any] | None) -> str:
    """mltrail's advantage as a factor: > 1 means mltrail is better."""
    if row.higher_is_better is None or not theirs or row.key not in ours or row.key not in theirs:
        return "n/a"
    a, b = ours[row.key], theirs[row.key]
    if min(a, b) <= 0:
        return "n/a"
    return f"{(a / b if row.higher_is_better else b / a):.1f}x"


def run_workload(name: str, quick: bool, libraries: list[str]) -> dict[str, dict[str, Any]]:
    workload = WORKLOADS[name]
    size = workload.quick if quick else workload.full
    results: dict[str, dict[str, Any]] = {}
    for library in libraries:
        start = time.perf_counter()
        results[library] = run_one(name, library, size)
        wall = time.perf_counter() - start
        shown = format_figure(results[library], workload.rows[0])
        print(f"  {name:<11} {library:<8} {shown:<22} ({wall:.0f} s wall)", file=sys.stderr)
        if "error" in results[library]:
            print(f"    {results[library]['error']}", file=sys.stderr)
    return results


def describe_machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()}, Python {platform.python_version()}"


def library_version(library: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({library!r}))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return proc.stdout.strip() or "?"


def default_workers(library: str) -> str:
    """The default of `<library> server --workers`, read from its --help."""
    try:
        proc = subprocess.run(
            [str(executable(library)), "server", "--help"],
            capture_output=True,
            text=True,
            env=server_env(),
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = " ".join(proc.stdout.split())
    match = re.search(r"-w, --workers\b.*?default:? (\d+)", text)
    return match.group(1) if match else "?"


def row_size(name: str, results: dict[str, dict[str, Any]]) -> str:
    for result in results.values():
        if "n" in result:
            return f"{result['n']:,}"
    return "N"


def print_table(
    all_results: dict[str, dict[str, dict[str, Any]]], quick: bool, libraries: list[str]
) -> None:
    today = datetime.date.today().isoformat()
    mode = "quick" if quick else "full"
    versions = ", ".join(f"{lib} {library_version(lib)}" for lib in SERVERS)
    print(f"\n{today}, {describe_machine()}; {versions}; {mode} sizes\n")
    print("| workload | mltrail server | mlflow server | mltrail advantage |")
    print("|---|---|---|---|")
    for name, results in all_results.items():
        size = row_size(name, results)
        for row in WORKLOADS[name].rows:
            ours, theirs = results.get("mltrail", {}), results.get("mlflow")
            cells = [
                row.title.format(n=size),
                format_figure(ours, row),
                format_figure(theirs, row),
                ratio(row, ours, theirs),
            ]
            print("| " + " | ".join(cells) + " |")
    print_notes(all_results, libraries)


def print_notes(all_results: dict[str, dict[str, dict[str, Any]]], libraries: list[str]) -> None:
    print()
    for library in libraries:
        workers = default_workers(library)
        print(f"- `{library} server`: default workers ({workers}), no --workers option given")
    print(
        f"- load: {CONCURRENCY} threads, each with its own keep-alive httpx.Client, over "
        f"{LOAD_RUNS} runs; the client shares the machine's cores with the server"
    )
    load = all_results.get("log_metric", {})
    for library, result in load.items():
        if "memory" not in result:
            continue
        memory, idle = result["memory"], result["idle_memory"]
        print(
            f"- {library}: {result['requests']:,} log-metric requests "
            f"in {result['seconds']:.1f} s, "
            f"p90 {result['p90_ms']:.0f} ms, p99.9 {result['p999_ms']:.0f} ms, "
            f"max {result['max_ms']:.0f} ms, errors {result['error_kinds'] or 'none'} "
            f"(warm-up errors {result['warmup_errors']}); memory after load: "
            f"{memory['processes']} processes, RSS {memory['rss_mib']:.0f} MiB, "
            f"PSS {memory['pss_mib']:.0f} MiB (idle before load: RSS {idle['rss_mib']:.0f} MiB, "
            f"PSS {idle['pss_mib']:.0f} MiB)"
        )
        parts = ", ".join(f"{kind} {mib} MiB" for kind, mib in memory["by_process"].items())
        print(f"  - {library} RSS by process after load: {parts}")
    search = all_results.get("search", {})
    if "digest" in search.get("mltrail", {}) and "digest" in search.get("mlflow", {}):
        ours, theirs = search["mltrail"], search["mlflow"]
        same = ours["digest"] == theirs["digest"] and ours["results"] == theirs["results"]
        print(
            f"- runs/search returned {ours['results']} and {theirs['results']} runs, "
            f"the same runs in the same order: {'yes' if same else 'NO'}"
        )
    for name in ("search", "history"):
        for library, result in all_results.get(name, {}).items():
            if "populate_s" not in result:
                continue
            extra = ""
            if result.get("populate_retries"):
                extra = f", {result['populate_retries']} retried requests"
            if "pages" in result:
                extra += f", {result['pages']} page(s), {result['wire_mb']:.1f} MB on the wire"
            print(f"- {name} set-up for {library}: {result['populate_s']:.1f} s{extra}")
    for name, results in all_results.items():
        for library, result in results.items():
            if "startup_s" in result:
                print(
                    f"- {name}: {library} server answered /health after "
                    f"{result['startup_s']:.1f} s and went quiet {result['settle_s']:.1f} s later"
                )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--only", action="append", choices=list(WORKLOADS), help="run only these (repeatable)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    return parser.parse_args(argv)


def has_server(library: str) -> bool:
    proc = subprocess.run(
        [sys.executable, "-c", f"import {library}.server"], capture_output=True, env=server_env()
    )
    return executable(library).exists() and proc.returncode == 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    libraries = ["mltrail"]
    if has_server("mlflow"):
        libraries.append("mlflow")
    else:
        print("mlflow server is not available; measuring mltrail only", file=sys.stderr)
    selected = args.only or list(WORKLOADS)
    if "memory" in selected and "log_metric" not in selected:
        selected.insert(selected.index("memory"), "log_metric")  # memory is read after its load
    all_results: dict[str, dict[str, dict[str, Any]]] = {}
    started = time.perf_counter()
    for name in selected:
        if name == "memory":
            load = all_results.get("log_metric", {})
            all_results[name] = {lib: memory_result(load.get(lib, {})) for lib in libraries}
        else:
            all_results[name] = run_workload(name, args.quick, libraries)
    print(f"total {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print_table(all_results, args.quick, libraries)
    if args.json:
        args.json.write_text(json.dumps(all_results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
