"""Tracing benchmark: caller overhead of a traced call, and a burst, mltrail beside MLflow.

Run ``python bench/bench_tracing.py [--calls N] [--burst B]``. For each library a worker
subprocess gets a fresh directory with its own embedded SQLite store and measures, as the
caller sees it (wall time of the calls, export running in the background):

* one-span trace: ``@trace`` on a function returning its argument, ``N`` calls;
* three nested spans: a traced function calling two traced children, ``N`` calls;
* burst: ``B`` one-span calls in a row, then a flush; the traces kept are counted by searching
  the store.

Each timing is the median per call of 3 rounds after a warm-up. The parent prints a markdown
table.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3


def _timed(fn: Any, calls: int) -> float:
    per_call = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for i in range(calls):
            fn(i)
        per_call.append((time.perf_counter() - start) / calls)
    return statistics.median(per_call)


def worker(library: str, calls: int, burst: int) -> dict[str, Any]:
    """Time one library (runs in its own subprocess and temporary directory)."""
    lib = importlib.import_module(library)
    lib.set_tracking_uri(f"sqlite:///{Path.cwd() / 'bench.db'}")
    lib.set_experiment("bench")

    @lib.trace
    def one(x: int) -> int:
        return x

    @lib.trace
    def child_a(x: int) -> int:
        return x + 1

    @lib.trace
    def child_b(x: int) -> int:
        return x + 2

    @lib.trace
    def nested(x: int) -> int:
        return child_a(x) + child_b(x)

    for i in range(50):
        one(i)
        nested(i)
    lib.flush_trace_async_logging()
    one_s = _timed(one, calls)
    lib.flush_trace_async_logging()
    nested_s = _timed(nested, calls)
    lib.flush_trace_async_logging()
    burst_id = lib.set_experiment("burst").experiment_id
    start = time.perf_counter()
    for i in range(burst):
        one(i)
    burst_call_s = time.perf_counter() - start
    lib.flush_trace_async_logging()
    kept = len(lib.search_traces(locations=[burst_id], return_type="list", include_spans=False))
    return {"one": one_s, "nested": nested_s, "burst_call_s": burst_call_s, "kept": kept}


def run_worker(library: str, calls: int, burst: int) -> dict[str, Any] | None:
    """Run ``worker`` for one library in a fresh interpreter; None if the library is missing."""
    if library == "mlflow" and importlib.util.find_spec("mlflow") is None:
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRAIL_", "MLFLOW_"))}
    env["PYTHONWARNINGS"] = "ignore"
    env["PYTHONPATH"] = str(REPO_ROOT)
    with tempfile.TemporaryDirectory(prefix=f"bench-tracing-{library}-") as tmp:
        code = (
            "import json, sys, logging; logging.disable(logging.WARNING); "
            "from bench.bench_tracing import worker; "
            f"print(json.dumps(worker({library!r}, {calls}, {burst})))"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp, env=env, capture_output=True, text=True
        )
    if proc.returncode != 0:
        raise RuntimeError(f"{library} worker failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=10_000)
    args = parser.parse_args()
    results = {lib: run_worker(lib, args.calls, args.burst) for lib in ("mltrail", "mlflow")}
    ours, theirs = results["mltrail"], results["mlflow"]
    assert ours is not None
    versions = importlib.metadata.version
    rows = []
    for key, label in (("one", "1-span trace, per call"), ("nested", "3 nested spans, per call")):
        mlflow_v = _us(theirs[key]) if theirs else "n/a"
        speedup = f"{theirs[key] / ours[key]:.1f}x" if theirs else "n/a"
        rows.append(f"| {label} | {_us(ours[key])} | {mlflow_v} | {speedup} |")
    kept_theirs = f"{theirs['kept']:,}" if theirs else "n/a"
    rows.append(
        f"| burst of {args.burst:,} calls: traces kept | {ours['kept']:,} | {kept_theirs} | |"
    )
    sys.stdout.write(
        f"{datetime.date.today()}, {os.cpu_count()} cores, {platform.platform()}, Python "
        f"{platform.python_version()}; mltrail {versions('mltrail')}"
        + (f", mlflow {versions('mlflow')}" if theirs else "")
        + f"; local SQLite store; {args.calls} calls per round\n\n"
        "| workload (caller's view) | mltrail | MLflow | speed-up |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )


if __name__ == "__main__":
    main()
