"""Model benchmarks: mltrail beside MLflow on sklearn log_model, load_model and pyfunc predict.

Run ``python bench/bench_models.py [--quick]``. Each library runs in its own worker subprocess
with a fresh temporary directory (SQLite tracking store and artifact root), so neither sees the
other's imports or caches. Each worker prints one JSON line; the parent prints a markdown table
with both figures and the ratio. Targets (issue 5): log_model at least 5x faster than MLflow,
load_model no slower, pyfunc predict overhead over the raw model's predict at most 50 us for a
1-row DataFrame.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("mltrail", "mlflow")
WORKER_TIMEOUT_S = 900


def _median_s(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def worker_main(library: str, repeats: int) -> None:
    """Measure one library in this process and print its figures as one JSON line."""
    import warnings

    warnings.simplefilter("ignore")
    pd = importlib.import_module("pandas")
    linear = importlib.import_module("sklearn.linear_model")
    lib = importlib.import_module(library)
    flavor = importlib.import_module(f"{library}.sklearn")
    pyfunc = importlib.import_module(f"{library}.pyfunc")
    workdir = Path.cwd()
    lib.set_tracking_uri(f"sqlite:///{workdir / 'bench.db'}")
    lib.set_experiment("bench")
    frame = pd.DataFrame({f"f{i}": [float(i), float(i + 1)] * 50 for i in range(4)})
    model = linear.LogisticRegression().fit(frame, [0, 1] * 50)
    one_row = frame.head(1)
    uris: list[str] = []

    def log() -> None:
        with lib.start_run():
            info = flavor.log_model(model, name="model", input_example=frame.head(2))
        uris.append(info.model_uri)

    log()  # warm-up: first-call imports are part of load/import cost, not of log_model
    log_s = _median_s(log, repeats)
    load_s = _median_s(lambda: pyfunc.load_model(uris[-1]), repeats)
    loaded = pyfunc.load_model(uris[-1])
    calls, rounds = 500, 10
    raw, wrapped = [], []
    for _ in range(rounds):  # interleaved rounds, best of each: robust on a busy machine
        raw.append(_median_s(lambda: [model.predict(one_row) for _ in range(calls)], 1))
        wrapped.append(_median_s(lambda: [loaded.predict(one_row) for _ in range(calls)], 1))
    raw_s, wrapped_s = min(raw) / calls, min(wrapped) / calls
    out = {
        "library": library,
        "log_model_s": log_s,
        "load_model_s": load_s,
        "predict_overhead_us": (wrapped_s - raw_s) * 1e6,
    }
    sys.stdout.write(json.dumps(out) + "\n")


def run_worker(library: str, repeats: int) -> dict[str, Any] | None:
    """Run one worker subprocess in a fresh directory and parse its JSON line."""
    env = dict(os.environ, MLFLOW_ENABLE_ASYNC_LOGGING="false", PYTHONPATH=str(REPO_ROOT))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", library]
    cmd += ["--repeats", str(repeats)]
    with tempfile.TemporaryDirectory(prefix=f"bench-models-{library}-") as tmp:
        done = subprocess.run(
            cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S
        )
    if done.returncode != 0:
        sys.stderr.write(f"{library} worker failed:\n{done.stderr[-4000:]}\n")
        return None
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _is_importable(library: str) -> bool:
    code = f"import {library}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def print_table(results: dict[str, dict[str, Any] | None]) -> None:
    """Print the figures as a markdown table, with mltrail's ratio over MLflow."""
    ours, theirs = results.get("mltrail"), results.get("mlflow")
    rows = [
        ("sklearn log_model", "log_model_s", 1e3, "ms", True),
        ("pyfunc load_model", "load_model_s", 1e3, "ms", True),
        ("pyfunc predict overhead (1 row)", "predict_overhead_us", 1.0, "us", False),
    ]
    sys.stdout.write("| workload | mltrail | mlflow | ratio |\n|---|---:|---:|---:|\n")
    for label, key, scale, unit, is_speedup in rows:
        a = ours[key] * scale if ours else None
        b = theirs[key] * scale if theirs else None
        ratio = "n/a"
        if a is not None and b is not None and a > 0:
            ratio = f"{b / a:.1f}x faster" if is_speedup else f"{a - b:+.1f} {unit} vs mlflow"
        fa = f"{a:.2f} {unit}" if a is not None else "n/a"
        fb = f"{b:.2f} {unit}" if b is not None else "n/a"
        sys.stdout.write(f"| {label} | {fa} | {fb} | {ratio} |\n")


def main() -> None:
    """Parse arguments; run the workers (or be one)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 10)
    if args.worker:
        worker_main(args.worker, repeats)
        return
    results: dict[str, dict[str, Any] | None] = {}
    for library in LIBRARIES:
        if library == "mlflow" and not _is_importable("mlflow"):
            results[library] = None
            continue
        sys.stderr.write(f"measuring {library} ...\n")
        results[library] = run_worker(library, repeats)
    print_table(results)


if __name__ == "__main__":
    main()
