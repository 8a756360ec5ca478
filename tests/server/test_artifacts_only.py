"""``mltrail server --artifacts-only``: the artifact proxy and health routes, no tracking API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from mltrail.cli.main import cli
from mltrail.config import Settings
from tests.live_server import serve

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def test_artifacts_only_serves_the_proxy_and_nothing_of_tracking(tmp_path: Path) -> None:
    db = tmp_path / "never.sqlite"
    settings = Settings(
        backend_store_uri=f"sqlite:///{db}",
        artifacts_destination=str(tmp_path / "dest"),
        artifacts_only=True,
    )
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/health").text == "OK"
        assert http.put(f"{PROXY}/a/b.txt", content=b"hello").status_code == 200
        assert http.get(f"{PROXY}/a/b.txt").content == b"hello"
        assert http.get(PROXY, params={"path": "a"}).json() == {
            "files": [{"path": "b.txt", "is_dir": False, "file_size": 5}]
        }
        mpu = http.post(
            "/api/2.0/mlflow-artifacts/mpu/create/a", json={"path": "f", "num_parts": 1}
        )
        assert mpu.status_code == 501  # routed, but a local destination has no multipart
        for method, path in [
            ("POST", "/api/2.0/mlflow/experiments/create"),
            ("GET", "/api/2.0/mlflow/runs/get"),
            ("GET", "/api/2.0/mlflow/artifacts/list"),
            ("GET", "/ajax-api/2.0/mlflow/experiments/search"),
            ("GET", "/get-artifact"),
        ]:
            assert http.request(
                method, path, json={} if method == "POST" else None
            ).status_code in (
                404,
                405,
            ), path
    assert (tmp_path / "dest" / "a" / "b.txt").read_bytes() == b"hello"
    assert not db.exists()  # no backend store is opened


def test_cli_artifacts_only_skips_the_backend_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BACKEND_STORE_URI", "ARTIFACTS_DESTINATION", "SERVE_ARTIFACTS", "ARTIFACTS_ONLY"):
        for prefix in ("MLTRAIL_", "MLFLOW_"):
            monkeypatch.setenv(prefix + name, "")  # restored after the test
    monkeypatch.delenv("MLTRAIL_DEFAULT_ARTIFACT_ROOT", raising=False)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    db = tmp_path / "never.sqlite"
    result = CliRunner().invoke(
        cli,
        [
            "server",
            "--artifacts-only",
            "--backend-store-uri",
            f"sqlite:///{db}",
            "--artifacts-destination",
            str(tmp_path / "dest"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "artifacts only" in result.output
    assert seen["factory"] is True
    assert Settings.from_env().artifacts_only is True
    assert not db.exists()
