"""Scale-out: two `mltrail server` processes (one with two workers) share one database behind a
round-robin client, as replicas behind a load balancer would; nothing is lost or duplicated."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_db_uri


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _server(db_uri: str, tmp: Path, workers: int) -> Iterator[str]:
    port = _free_port()
    exe = Path(sys.executable).with_name("mltrail")
    log = (tmp / f"server-{port}.log").open("w")
    proc = subprocess.Popen(
        [
            str(exe),
            "server",
            "--backend-store-uri",
            db_uri,
            "--default-artifact-root",
            str(tmp / "art"),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError((tmp / f"server-{port}.log").read_text())
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 60 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(params=["postgresql", "mysql"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from make_db_uri(request.param, tmp_path)


def test_two_replicas_share_one_database(shared_db: str, tmp_path: Path) -> None:
    # Both replicas start together on an empty database: migrations must not race.
    with (
        ThreadPoolExecutor(2) as pool,
        contextlib.ExitStack() as stack,
    ):
        starts = [pool.submit(stack.enter_context, _server(shared_db, tmp_path, w)) for w in (1, 2)]
        urls = [f.result() for f in starts]
        clients = [stack.enter_context(httpx.Client(base_url=u, timeout=60)) for u in urls]
        balancer = cycle(clients)

        exp = next(balancer).post("/api/2.0/mlflow/experiments/create", json={"name": "shared"})
        exp_id = exp.json()["experiment_id"]
        run_ids = [
            next(balancer)
            .post("/api/2.0/mlflow/runs/create", json={"experiment_id": exp_id})
            .json()["run"]["info"]["run_id"]
            for _ in range(4)
        ]

        def log(i: int) -> int:
            client = clients[i % 2]
            resp = client.post(
                "/api/2.0/mlflow/runs/log-metric",
                json={
                    "run_id": run_ids[i % 4],
                    "key": "loss",
                    "value": i / 7,
                    "timestamp": 1000 + i,
                    "step": i,
                },
            )
            return resp.status_code

        with ThreadPoolExecutor(8) as senders:
            statuses = list(senders.map(log, range(400)))
        assert set(statuses) == {200}

        # The same param from both replicas at once: one value wins, no error for the same value.
        def param(i: int) -> int:
            return (
                clients[i % 2]
                .post(
                    "/api/2.0/mlflow/runs/log-parameter",
                    json={"run_id": run_ids[0], "key": "lr", "value": "0.01"},
                )
                .status_code
            )

        with ThreadPoolExecutor(4) as senders:
            assert set(senders.map(param, range(8))) == {200}

        for n, run_id in enumerate(run_ids):
            # Read each run back through the other replica than the one that created it.
            hist = clients[(n + 1) % 2].get(
                "/api/2.0/mlflow/metrics/get-history",
                params={"run_id": run_id, "metric_key": "loss"},
            )
            steps = sorted(m["step"] for m in hist.json()["metrics"])
            assert steps == list(range(n, 400, 4))
        search = (
            clients[1].post("/api/2.0/mlflow/runs/search", json={"experiment_ids": [exp_id]}).json()
        )
        assert len(search["runs"]) == 4
