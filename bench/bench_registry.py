"""Registry benchmark: ``search_model_versions`` with a tag filter, mltrail beside MLflow.

Run ``python bench/bench_registry.py [--models N] [--versions V]``. For each library a worker
subprocess gets a fresh directory with its own embedded SQLite file, registers N models with V
versions each through the library's public ``MlflowClient`` (each version tagged
``team = t<k>`` for one of 50 teams and ``validated = yes|no``), and then times
``client.search_model_versions("tags.team = 't7' AND tags.validated = 'yes'",
max_results=10000)``: one warm-up search, then the median of 5. Both libraries must return the
same (name, version) pairs. Populating is not timed. The parent prints a markdown table.
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
FILTER = "tags.team = 't7' AND tags.validated = 'yes'"
TEAMS = 50
REPEATS = 5


def populate(client: Any, models: int, versions: int) -> None:
    """Register ``models`` models with ``versions`` versions each, tagged deterministically."""
    for m in range(models):
        name = f"model-{m:05d}"
        client.create_registered_model(name, tags={"owner": f"o{m % 7}"})
        for v in range(versions):
            k = m * versions + v
            tags = {"team": f"t{k % TEAMS}", "validated": "yes" if k % 3 else "no"}
            client.create_model_version(name, f"s3://bucket/{name}/{v}", tags=tags)


def worker(library: str, models: int, versions: int) -> dict[str, Any]:
    """Populate and time one library (runs in its own subprocess and temporary directory)."""
    workdir = Path.cwd()
    uri = f"sqlite:///{workdir / 'bench.db'}"
    module = importlib.import_module("mlflow.tracking" if library == "mlflow" else "mltrail")
    client = module.MlflowClient(uri)
    start = time.perf_counter()
    populate(client, models, versions)
    setup_s = time.perf_counter() - start
    found = client.search_model_versions(FILTER, max_results=10_000)
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        found = client.search_model_versions(FILTER, max_results=10_000)
        times.append(time.perf_counter() - t0)
    pairs = sorted((mv.name, int(mv.version)) for mv in found)
    return {"seconds": statistics.median(times), "setup_s": setup_s, "pairs": pairs}


def run_worker(library: str, models: int, versions: int) -> dict[str, Any] | None:
    """Run ``worker`` for one library in a fresh interpreter; None if the library is missing."""
    if library == "mlflow" and importlib.util.find_spec("mlflow") is None:
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRAIL_", "MLFLOW_"))}
    env["PYTHONWARNINGS"] = "ignore"
    env["PYTHONPATH"] = str(REPO_ROOT)
    with tempfile.TemporaryDirectory(prefix=f"bench-registry-{library}-") as tmp:
        code = (
            "import json, sys, logging; logging.disable(logging.WARNING); "
            "from bench.bench_registry import worker; "
            f"print(json.dumps(worker({library!r}, {models}, {versions})))"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"{library} worker failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=20)
    args = parser.parse_args()
    results = {}
    for library in ("mltrail", "mlflow"):
        sys.stderr.write(f"{library}: populating {args.models} x {args.versions} versions...\n")
        results[library] = run_worker(library, args.models, args.versions)
    ours, theirs = results["mltrail"], results["mlflow"]
    assert ours is not None
    if theirs is not None and ours["pairs"] != theirs["pairs"]:
        raise SystemExit("mltrail and MLflow returned different versions")
    mlflow_s = f"{theirs['seconds'] * 1000:.1f} ms" if theirs else "n/a"
    speedup = f"{theirs['seconds'] / ours['seconds']:.1f}x" if theirs else "n/a"
    versions = importlib.metadata.version
    sys.stdout.write(
        f"{datetime.date.today()}, {os.cpu_count()} cores, {platform.platform()}, Python "
        f"{platform.python_version()}; mltrail {versions('mltrail')}"
        + (f", mlflow {versions('mlflow')}" if theirs else "")
        + f"; {args.models} models x {args.versions} versions, {len(ours['pairs'])} matches\n\n"
        "| workload | mltrail | MLflow | speed-up |\n|---|---|---|---|\n"
        f"| search_model_versions (tag filter) | {ours['seconds'] * 1000:.1f} ms | {mlflow_s} "
        f"| {speedup} |\n"
    )
    sys.stderr.write(
        f"set-up (not timed): mltrail {ours['setup_s']:.0f} s"
        + (f", MLflow {theirs['setup_s']:.0f} s" if theirs else "")
        + "\n"
    )


if __name__ == "__main__":
    main()
