"""Per-request overhead of authentication and authorization.

Run ``python bench/bench_auth.py [--requests N]``. The script builds the tracking server app
twice in this process, once without auth and once with it, each on a fresh SQLite file, and
drives it through httpx's in-process ASGI transport (no sockets, so only the server's own work
differs). With auth on, the caller is a non-admin user holding a direct READ/EDIT grant, so
every request pays the whole path: Basic credentials looked up in the credential cache, the run
resolved to its experiment, the grant looked up, and the security headers added. The first
request of a credential pays the argon2 check; it is outside the timed loop, as it is in a
real session (the cache keeps a verified credential for ``AUTH_CACHE_SECONDS``).

It prints the median and p90 latency of ``runs/get`` and ``runs/log-metric`` with and without
auth, and the difference of the medians: the per-request overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from mltrail.config import Settings
from mltrail.server.app import create_app

API = "/api/2.0/mlflow"
ADMIN = ("root", "bench-admin-pw")
USER = ("bench", "bench-pw")


async def _setup(client: httpx.AsyncClient, admin: httpx.AsyncClient, auth: bool) -> str:
    exp = (await admin.post(f"{API}/experiments/create", json={"name": "b"})).json()
    run = await admin.post(
        f"{API}/runs/create", json={"experiment_id": exp["experiment_id"], "start_time": 1}
    )
    if auth:
        body = {"username": USER[0], "password": USER[1]}
        (await admin.post(f"{API}/users/create", json=body)).raise_for_status()
        grant = {"experiment_id": exp["experiment_id"], "username": USER[0], "permission": "EDIT"}
        (await admin.post(f"{API}/experiments/permissions/create", json=grant)).raise_for_status()
    return str(run.json()["run"]["info"]["run_id"])


async def _measure(auth: bool, requests: int) -> dict[str, list[float]]:
    tmp = Path(tempfile.mkdtemp(prefix="mltrail-bench-auth-"))
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp / 'db.sqlite'}",
        default_artifact_root=str(tmp / "art"),
        auth_enabled=auth,
        admin_username=ADMIN[0],
        admin_password=ADMIN[1],
    )
    app = create_app(settings)
    timings: dict[str, list[float]] = {"runs/get": [], "runs/log-metric": []}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        base = "http://bench"
        async with (
            httpx.AsyncClient(transport=transport, base_url=base, auth=ADMIN) as admin,
            httpx.AsyncClient(
                transport=transport, base_url=base, auth=USER if auth else None
            ) as client,
        ):
            run_id = await _setup(client, admin, auth)
            calls: dict[str, Any] = {
                "runs/get": lambda i: client.get(f"{API}/runs/get", params={"run_id": run_id}),
                "runs/log-metric": lambda i: client.post(
                    f"{API}/runs/log-metric",
                    json={"run_id": run_id, "key": "m", "value": 1.0, "timestamp": i, "step": i},
                ),
            }
            for name, call in calls.items():
                for i in range(50):  # warm-up: first credential check, caches, statements
                    (await call(i)).raise_for_status()
                for i in range(requests):
                    start = time.perf_counter()
                    resp = await call(i)
                    timings[name].append((time.perf_counter() - start) * 1000)
                    resp.raise_for_status()
    return timings


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per route")
    args = parser.parse_args()
    without = asyncio.run(_measure(False, args.requests))
    with_auth = asyncio.run(_measure(True, args.requests))
    lines = [
        "| route | without auth median (p90) ms | with auth median (p90) ms | overhead ms |",
        "|---|---|---|---|",
    ]
    for name in without:
        a, b = without[name], with_auth[name]
        ma, mb = statistics.median(a), statistics.median(b)
        pa = statistics.quantiles(a, n=10)[-1]
        pb = statistics.quantiles(b, n=10)[-1]
        lines.append(f"| {name} | {ma:.3f} ({pa:.3f}) | {mb:.3f} ({pb:.3f}) | {mb - ma:+.3f} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
