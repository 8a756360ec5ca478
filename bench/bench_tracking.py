"""Tracking benchmarks: mltrail beside MLflow on the same workloads, one process per library.

Run ``python bench/bench_tracking.py [--quick]``. For every workload the script starts one worker
subprocess for mltrail and then one for MLflow (when ``import mlflow`` works); each worker gets a
fresh temporary directory holding its own embedded SQLite file, runs one workload through the
library's public ``MlflowClient`` and prints one JSON line. The parent prints a table of both
figures and the speed-up of mltrail over MLflow. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("mltrail", "mlflow")
SIZED = ("search_runs", "metric_history")
WORKER_TIMEOUT_S = 900
# Byte-code goes to a cache outside the repo and the venv, kept between runs, so imports are
# timed as users see them (with .pyc files) even where PYTHONDONTWRITEBYTECODE is set.
PYCACHE_DIR = Path(tempfile.gettempdir()) / "mltrail-bench-pycache"


# --------------------------------------------------------------------------- library adapters
@dataclass
class Library:
    """A tracking client of one library, with that library's Metric and Param classes."""

    client: Any
    metric: Callable[..., Any]
    param: Callable[..., Any]
    api: str
    artifact_root: str


def open_library(name: str, workdir: Path) -> Library:
    """Open a client of `name` on a fresh SQLite file in `workdir`."""
    uri = f"sqlite:///{workdir / 'bench.db'}"
    artifacts = str(workdir / "artifacts")
    if name == "mlflow":
        client = importlib.import_module("mlflow.tracking").MlflowClient(uri)
        entities = importlib.import_module("mlflow.entities")
        return Library(client, entities.Metric, entities.Param, "MlflowClient", artifacts)
    mltrail = importlib.import_module("mltrail")
    entities = importlib.import_module("mltrail.entities")
    client = mltrail.MlflowClient(uri)
    return Library(client, entities.Metric, entities.Param, "MlflowClient", artifacts)


def new_run(lib: Library, experiment: str = "bench") -> str:
    """Create an experiment and one run in it; return the run id."""
    exp_id = lib.client.create_experiment(experiment, artifact_location=lib.artifact_root)
    return lib.client.create_run(exp_id).info.run_id


def now_ms() -> int:
    return int(time.time() * 1000)


# --------------------------------------------------------------------------- workloads
def bench_log_metric(lib: Library, size: int) -> dict[str, Any]:
    """Sequential synchronous log_metric calls on one run."""
    run_id = new_run(lib)
    for i in range(10):
        lib.client.log_metric(run_id, "warmup", float(i), step=i)
    start = time.perf_counter()
    for i in range(size):
        lib.client.log_metric(run_id, "loss", 1.0 / (i + 1), step=i)
    elapsed = time.perf_counter() - start
    return {"value": size / elapsed, "n": size, "seconds": elapsed}


def metric_batch(lib: Library, key: str | None, first_step: int, size: int) -> list[Any]:
    """Build `size` metric points; ten keys round-robin when `key` is None."""
    ts = now_ms()
    return [
        lib.metric(key or f"m{i % 10}", random.random(), ts, first_step + i) for i in range(size)
    ]


def bench_log_batch(lib: Library, size: int) -> dict[str, Any]:
    """log_batch calls of 1,000 metric points (ten keys) each on one run; `size` is the calls."""
    run_id = new_run(lib)
    random.seed(1)
    batches = [metric_batch(lib, None, b * 1000, 1000) for b in range(size + 1)]
    lib.client.log_batch(run_id, metrics=batches[0])
    start = time.perf_counter()
    for batch in batches[1:]:
        lib.client.log_batch(run_id, metrics=batch)
    elapsed = time.perf_counter() - start
    return {"value": size * 1000 / elapsed, "n": size * 1000, "seconds": elapsed}


def bench_log_param(lib: Library, size: int) -> dict[str, Any]:
    """Sequential log_param calls, each a new key, on one run."""
    run_id = new_run(lib)
    for i in range(10):
        lib.client.log_param(run_id, f"warmup{i}", str(i))
    start = time.perf_counter()
    for i in range(size):
        lib.client.log_param(run_id, f"param_{i}", f"value_{i}")
    elapsed = time.perf_counter() - start
    return {"value": size / elapsed, "n": size, "seconds": elapsed}


def populate_runs(lib: Library, exp_id: str, size: int) -> float:
    """Create `size` runs with 10 params and 10 metrics each (seeded, same for both libraries)."""
    rng = random.Random(42)
    start = time.perf_counter()
    for i in range(size):
        run = lib.client.create_run(exp_id, run_name=f"run-{i:05d}")
        ts = now_ms()
        metrics = [lib.metric(f"m{k}", rng.random(), ts, 0) for k in range(10)]
        params = [lib.param(f"p{k}", str(rng.randint(0, 99))) for k in range(10)]
        lib.client.log_batch(run.info.run_id, metrics=metrics, params=params)
    return time.perf_counter() - start


def bench_search_runs(lib: Library, size: int) -> dict[str, Any]:
    """search_runs over `size` runs: metrics.m0 > 0.5, order by metrics.m1 DESC, 100 results."""
    exp_id = lib.client.create_experiment("bench", artifact_location=lib.artifact_root)
    populate_s = populate_runs(lib, exp_id, size)

    def search() -> list[Any]:
        return list(
            lib.client.search_runs(
                [exp_id],
                filter_string="metrics.m0 > 0.5",
                order_by=["metrics.m1 DESC"],
                max_results=100,
            )
        )

    found = search()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        search()
        times.append(time.perf_counter() - start)
    names = ",".join(r.info.run_name for r in found)
    return {
        "value": statistics.median(times),
        "n": size,
        "populate_s": populate_s,
        "results": len(found),
        "digest": hashlib.sha256(names.encode()).hexdigest()[:12],
    }


def bench_metric_history(lib: Library, size: int) -> dict[str, Any]:
    """get_metric_history of one metric with `size` points, logged with log_batch."""
    run_id = new_run(lib)
    random.seed(2)
    start = time.perf_counter()
    for first in range(0, size, 1000):
        points = metric_batch(lib, "loss", first, min(1000, size - first))
        lib.client.log_batch(run_id, metrics=points)
    populate_s = time.perf_counter() - start
    times = []
    count = 0
    for _ in range(3):
        start = time.perf_counter()
        count = len(lib.client.get_metric_history(run_id, "loss"))
        times.append(time.perf_counter() - start)
    return {"value": statistics.median(times), "n": count, "populate_s": populate_s}


@dataclass(frozen=True)
class Workload:
    """One benchmark: its worker function, sizes and how to read its figure."""

    title: str
    run: Callable[[Library, int], dict[str, Any]] | None
    unit: str
    higher_is_better: bool
    full: dict[str, int]
    quick: dict[str, int]


WORKLOADS: dict[str, Workload] = {
    "log_metric": Workload(
        "sequential log_metric",
        bench_log_metric,
        "calls/s",
        True,
        {"mltrail": 10_000, "mlflow": 2000},
        {"mltrail": 500, "mlflow": 200},
    ),
    "log_batch": Workload(
        "log_batch, 1,000 metrics per call",
        bench_log_batch,
        "points/s",
        True,
        {"mltrail": 100, "mlflow": 100},
        {"mltrail": 10, "mlflow": 10},
    ),
    "log_param": Workload(
        "sequential log_param",
        bench_log_param,
        "calls/s",
        True,
        {"mltrail": 10_000, "mlflow": 2000},
        {"mltrail": 500, "mlflow": 200},
    ),
    "search_runs": Workload(
        "search_runs over {n} runs (10 params, 10 metrics each)",
        bench_search_runs,
        "s/search",
        False,
        {"mltrail": 10_000, "mlflow": 10_000},
        {"mltrail": 500, "mlflow": 500},
    ),
    "metric_history": Workload(
        "get_metric_history of a {n}-point metric",
        bench_metric_history,
        "s",
        False,
        {"mltrail": 100_000, "mlflow": 100_000},
        {"mltrail": 10_000, "mlflow": 10_000},
    ),
    "import": Workload(
        "import time (minus bare interpreter start-up)",
        None,
        "s",
        False,
        {"mltrail": 5, "mlflow": 5},
        {"mltrail": 3, "mlflow": 3},
    ),
}


# --------------------------------------------------------------------------- worker side
def worker_main(library: str, workload: str, size: int) -> None:
    """Run one workload for one library in a fresh temp dir; print the result as JSON."""
    bench = WORKLOADS[workload].run
    assert bench is not None
    with tempfile.TemporaryDirectory(prefix=f"bench-{library}-") as tmp:
        os.chdir(tmp)
        lib = open_library(library, Path(tmp))
        result = bench(lib, size)
        result["api"] = lib.api
    print(json.dumps(result))


# --------------------------------------------------------------------------- parent side
def child_env() -> dict[str, str]:
    """Environment for workers: synchronous logging, no telemetry, the repo importable."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE_DIR)
    env["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"
    env["MLTRAIL_ENABLE_ASYNC_LOGGING"] = "false"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["DO_NOT_TRACK"] = "true"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    for key in ("MLFLOW_TRACKING_URI", "MLTRAIL_TRACKING_URI"):
        env.pop(key, None)
    return env


def run_worker(library: str, workload: str, size: int) -> dict[str, Any]:
    """Start a worker subprocess and return its JSON result (or an error entry)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", library]
    cmd += ["--workload", workload, "--size", str(size)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=child_env(), timeout=WORKER_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {WORKER_TIMEOUT_S} s"}
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        return {"error": f"exit {proc.returncode}: {tail[0]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_process(code: str, repeats: int) -> float:
    """Median wall time of `python -c code` in fresh interpreters."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=child_env())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_import(library: str, repeats: int) -> dict[str, Any]:
    """Median `import <library>` wall time minus a bare interpreter start, over fresh processes."""
    try:
        time_process(f"import {library}", 1)  # fills the byte-code cache
        bare = time_process("pass", repeats)
        full = time_process(f"import {library}", repeats)
    except subprocess.CalledProcessError as exc:
        return {"error": f"import failed: {exc}"}
    return {"value": full - bare, "n": repeats, "bare_s": bare}


def is_importable(library: str) -> bool:
    proc = subprocess.run(
        [sys.executable, "-c", f"import {library}"], capture_output=True, env=child_env()
    )
    return proc.returncode == 0


def format_figure(result: dict[str, Any] | None, unit: str) -> str:
    if result is None:
        return "n/a"
    if "error" in result:
        return "error"
    value = result["value"]
    text = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
    return f"{text} {unit}"


def speedup(workload: Workload, ours: dict[str, Any], theirs: dict[str, Any] | None) -> str:
    """mltrail's advantage as a factor: > 1 means mltrail is faster."""
    if not theirs or "value" not in ours or "value" not in theirs:
        return "n/a"
    a, b = ours["value"], theirs["value"]
    if min(a, b) <= 0:
        return "n/a"
    return f"{(a / b if workload.higher_is_better else b / a):.1f}x"


def run_workload(name: str, quick: bool, libraries: list[str]) -> dict[str, dict[str, Any]]:
    workload = WORKLOADS[name]
    sizes = workload.quick if quick else workload.full
    results: dict[str, dict[str, Any]] = {}
    for library in libraries:
        start = time.perf_counter()
        if workload.run is None:
            results[library] = measure_import(library, sizes[library])
        else:
            results[library] = run_worker(library, name, sizes[library])
        wall = time.perf_counter() - start
        shown = format_figure(results[library], workload.unit)
        print(f"  {name:<15} {library:<8} {shown:<22} ({wall:.0f} s wall)", file=sys.stderr)
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


def print_table(all_results: dict[str, dict[str, dict[str, Any]]], quick: bool) -> None:
    today = datetime.date.today().isoformat()
    mode = "quick" if quick else "full"
    versions = ", ".join(f"{lib} {library_version(lib)}" for lib in LIBRARIES)
    print(f"\n{today}, {describe_machine()}; {versions}; {mode} sizes\n")
    print("| workload | mltrail | MLflow | mltrail speed-up |")
    print("|---|---|---|---|")
    for name, results in all_results.items():
        workload = WORKLOADS[name]
        ours, theirs = results.get("mltrail", {}), results.get("mlflow")
        size = (ours.get("n") or (theirs or {}).get("n")) if name in SIZED else None
        title = workload.title.format(n=f"{size:,}" if size else "N")
        row = [
            title,
            format_figure(ours, workload.unit),
            format_figure(theirs, workload.unit),
            speedup(workload, ours, theirs),
        ]
        print("| " + " | ".join(row) + " |")
    print_notes(all_results)


def print_notes(all_results: dict[str, dict[str, dict[str, Any]]]) -> None:
    ours = [res.get("mltrail", {}) for res in all_results.values()]
    apis = {r["api"] for r in ours if "api" in r}
    if apis:
        print(f"\nmltrail measured through: {', '.join(sorted(apis))}")
    search = all_results.get("search_runs", {})
    if "digest" in search.get("mltrail", {}) and "digest" in search.get("mlflow", {}):
        same = search["mltrail"]["digest"] == search["mlflow"]["digest"]
        print(f"search_runs returned the same runs in the same order: {'yes' if same else 'NO'}")
    for name in ("search_runs", "metric_history"):
        for library, result in all_results.get(name, {}).items():
            if "populate_s" in result:
                print(f"{name} set-up for {library}: {result['populate_s']:.1f} s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--only", action="append", choices=list(WORKLOADS), help="run only these (repeatable)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    parser.add_argument("--workload", choices=list(WORKLOADS), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker_main(args.worker, args.workload, args.size)
        return 0
    libraries = ["mltrail"]
    if is_importable("mlflow"):
        libraries.append("mlflow")
    else:
        print("mlflow is not importable; measuring mltrail only", file=sys.stderr)
    all_results = {}
    started = time.perf_counter()
    for name in args.only or list(WORKLOADS):
        all_results[name] = run_workload(name, args.quick, libraries)
    print(f"total {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print_table(all_results, args.quick)
    if args.json:
        args.json.write_text(json.dumps(all_results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
