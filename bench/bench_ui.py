"""Runs-table timings of the web UI in headless Chromium on a large experiment.

Seeds ``--runs`` runs x 50 params x 50 metrics through the REST API into a fresh SQLite server,
then measures (wall clock, from Python) the time from navigation to the first rendered rows and
from clicking a metric column header to the re-sorted rows. Usage::

    python bench/bench_ui.py --runs 10000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mltrail.config import Settings
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.live_server import serve


def _seed(client: httpx.Client, runs: int) -> str:
    exp = client.post("experiments/create", json={"name": "bench"}).json()["experiment_id"]
    for i in range(runs):
        run = client.post("runs/create", json={"experiment_id": exp, "run_name": f"r{i}"})
        run_id = run.json()["run"]["info"]["run_id"]
        body = {
            "run_id": run_id,
            "params": [{"key": f"p{k}", "value": str((i * k) % 97)} for k in range(50)],
            "metrics": [
                {"key": f"m{k}", "value": ((i * 31 + k) % 1000) / 7, "timestamp": 1, "step": 0}
                for k in range(50)
            ],
        }
        client.post("runs/log-batch", json=body).raise_for_status()
    return str(exp)


def main() -> None:
    """Seed, open the runs page, and report the two timings."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    settings = Settings(backend_store_uri=f"sqlite:///{tmp}/db", default_artifact_root=tmp)
    with serve(settings) as url:
        with httpx.Client(base_url=f"{url}/api/2.0/mlflow/", timeout=60) as client:
            start = time.perf_counter()
            exp = _seed(client, args.runs)
            seeded = time.perf_counter() - start
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            start = time.perf_counter()
            page.goto(f"{url}/#/experiments/{exp}?cols=a:status,m:m1,m:m2,p:p1")
            page.wait_for_selector(".run-link")
            first_rows = time.perf_counter() - start
            page.wait_for_selector(f"#run-count:has-text('{args.runs} runs')", timeout=120_000)
            start = time.perf_counter()
            page.click(".head .cell[data-col='m:m1']")
            page.wait_for_selector(".head .cell[data-col='m:m1']:has-text('▼')")
            page.wait_for_selector(".run-link")
            resort = time.perf_counter() - start
            browser.close()
    sys.stdout.write(
        f"runs={args.runs} seed={seeded:.1f}s first_rows={first_rows * 1000:.0f}ms "
        f"resort_by_metric={resort * 1000:.0f}ms\n"
    )


if __name__ == "__main__":
    main()
