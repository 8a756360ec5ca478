"""The official ``mlflow`` client against ``mltrail server --app-name basic-auth``.

Each scenario runs in a fresh subprocess (MLflow keeps process-global state) with the
credentials in ``MLFLOW_TRACKING_USERNAME``/``PASSWORD`` or ``MLFLOW_TRACKING_TOKEN``, exactly as
users set them, and prints its observations as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compat.conftest import (
    BIN_DIR,
    MLTRAIL_START_TIMEOUT_S,
    LiveServer,
    _clean_env,
    _run_server,
)

pytestmark = pytest.mark.slow

ADMIN = ("boss", "not-the-default-9")

_BASIC = """
import json, os, tempfile, mlflow
from mlflow import MlflowClient
from mlflow.server import get_app_client
mlflow.set_tracking_uri(os.environ["URL"])
client = MlflowClient()
exp = client.create_experiment("compat-auth")
run = client.create_run(exp)
client.log_metric(run.info.run_id, "m", 1.5)
folder = tempfile.mkdtemp()
path = os.path.join(folder, "note.txt")
open(path, "w").write("hello")
client.log_artifact(run.info.run_id, path)
got = client.download_artifacts(run.info.run_id, "note.txt", tempfile.mkdtemp())
auth = get_app_client("basic-auth", tracking_uri=os.environ["URL"])
auth.create_user("alice", "alice-pw")
auth.grant_user_permission("alice", "experiment", exp, "NO_PERMISSIONS")
perm = auth.get_user_permission("alice", "experiment", exp)
print(json.dumps({
    "exp": exp, "run": run.info.run_id,
    "metric": client.get_run(run.info.run_id).data.metrics["m"],
    "artifact": open(got).read(),
    "permission": perm.permission,
    "user": auth.get_user("alice").username,
}))
"""

_DENIED = """
import json, os, mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
mlflow.set_tracking_uri(os.environ["URL"])
try:
    MlflowClient().get_experiment(os.environ["EXP"])
    print(json.dumps({"status": 200}))
except MlflowException as exc:
    print(json.dumps({"status": exc.get_http_status_code(), "code": exc.error_code}))
"""

_TOKEN = """
import json, os, mlflow
from mlflow import MlflowClient
mlflow.set_tracking_uri(os.environ["URL"])
names = [e.name for e in MlflowClient().search_experiments()]
print(json.dumps({"names": sorted(names)}))
"""


def _scenario(script: str, url: str, **env: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=_clean_env(URL=url, **env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("mltrail-auth-server")
    argv = [
        str(BIN_DIR / "mltrail"),
        "server",
        "--app-name",
        "basic-auth",
        "--backend-store-uri",
        f"sqlite:///{tmp / 'db'}",
        "--artifacts-destination",
        str(tmp / "art"),
    ]
    env = _clean_env(MLTRAIL_ADMIN_USERNAME=ADMIN[0], MLTRAIL_ADMIN_PASSWORD=ADMIN[1])
    with _run_server(tmp, argv, env, str(tmp / "art"), MLTRAIL_START_TIMEOUT_S) as server:
        yield server


def test_mlflow_client_with_basic_auth(auth_server: LiveServer) -> None:
    url = auth_server.url
    creds = {"MLFLOW_TRACKING_USERNAME": ADMIN[0], "MLFLOW_TRACKING_PASSWORD": ADMIN[1]}
    seen = _scenario(_BASIC, url, **creds)
    assert seen["metric"] == 1.5
    assert seen["artifact"] == "hello"
    assert seen["permission"] == "NO_PERMISSIONS"
    assert seen["user"] == "alice"

    alice = {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": "alice-pw"}
    denied = _scenario(_DENIED, url, EXP=seen["exp"], **alice)
    assert denied == {"status": 403, "code": "PERMISSION_DENIED"}
    anonymous = _scenario(_DENIED, url, EXP=seen["exp"])
    assert anonymous["status"] == 401


def test_mlflow_client_with_token(auth_server: LiveServer) -> None:
    url = auth_server.url
    made = httpx.post(
        f"{url}/api/2.0/mlflow/users/tokens/create", json={"name": "ci"}, auth=ADMIN
    ).json()
    seen = _scenario(_TOKEN, url, MLFLOW_TRACKING_TOKEN=made["secret"])
    assert "Default" in seen["names"]


def test_server_refuses_the_default_password(tmp_path: Path) -> None:
    argv = [
        str(BIN_DIR / "mltrail"),
        "server",
        "--auth",
        "--backend-store-uri",
        f"sqlite:///{tmp_path / 'db'}",
    ]
    env = _clean_env(MLTRAIL_ADMIN_PASSWORD="password1234")
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0
    assert "well-known default" in proc.stderr
