"""Bad input never gets a 500 or a partial write: MLflow's error body with a 4xx status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mltrail.config import Settings
from tests.live_server import serve


@pytest.fixture(scope="module")
def http(module_server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=module_server_url, timeout=30) as client:
        yield client


@pytest.fixture
def run_id(http: httpx.Client) -> str:
    resp = http.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"})
    return str(resp.json()["run"]["info"]["run_id"])


def _error(resp: httpx.Response, status: int, code: str) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error_code", "message"}
    assert body["error_code"] == code
    assert "Traceback" not in body["message"]
    return str(body["message"])


LOG_METRIC = "/api/2.0/mlflow/runs/log-metric"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "Malformed JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"run_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "Malformed JSON"),
        (
            b'{"key": "m", "value": 1, "timestamp": 1}',
            "Missing value for required parameter 'run_id'",
        ),
        (b'{"run_id": "RID", "key": "m", "value": "high", "timestamp": 1}', "'value'"),
        (b'{"run_id": "RID", "key": NaN, "value": 1, "timestamp": 1}', "'key'"),
        (b'{"run_id": "RID", "key": "m", "value": 1, "timestamp": "soon"}', "'timestamp'"),
        (b'{"run_id": "RID", "key": "m", "value": 1, "timestamp": 1.5}', "'timestamp'"),
    ],
    ids=[
        "malformed",
        "not-object",
        "deeply-nested",
        "missing",
        "wrong-type",
        "nan-as-key",
        "bad-int",
        "fractional-int",
    ],
)
def test_malformed_requests_are_400(
    http: httpx.Client, run_id: str, body: bytes, needle: str
) -> None:
    resp = http.post(
        LOG_METRIC,
        content=body.replace(b"RID", run_id.encode()),
        headers={"content-type": "application/json"},
    )
    message = _error(resp, 400, "INVALID_PARAMETER_VALUE")
    assert needle in message
    run = http.get("/api/2.0/mlflow/runs/get", params={"run_id": run_id}).json()["run"]
    assert "metrics" not in run["data"]


def test_unknown_fields_are_ignored(http: httpx.Client, run_id: str) -> None:
    resp = http.post(
        LOG_METRIC,
        json={
            "run_id": run_id,
            "key": "m",
            "value": 1,
            "timestamp": 1,
            "brand_new_field": {"x": 1},
        },
    )
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/api/2.0/mlflow/runs/get", {"run_id": "0" * 32}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("GET", "/api/2.0/mlflow/runs/get", {"run_id": "../etc"}, 400, "INVALID_PARAMETER_VALUE"),
        (
            "GET",
            "/api/2.0/mlflow/experiments/get",
            {"experiment_id": "98765"},
            404,
            "RESOURCE_DOES_NOT_EXIST",
        ),
        (
            "GET",
            "/api/2.0/mlflow/experiments/get-by-name",
            {"experiment_name": "nope"},
            404,
            "RESOURCE_DOES_NOT_EXIST",
        ),
        (
            "POST",
            "/api/2.0/mlflow/experiments/create",
            {"name": "Default"},
            400,
            "RESOURCE_ALREADY_EXISTS",
        ),
        (
            "POST",
            "/api/2.0/mlflow/experiments/create",
            {"name": ""},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "POST",
            "/api/2.0/mlflow/runs/search",
            {"filter": "metrics.m >>> 1"},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "POST",
            "/api/2.0/mlflow/runs/search",
            {"max_results": 10**6},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        ("GET", "/api/2.0/mlflow/no-such-route", {}, 404, "ENDPOINT_NOT_FOUND"),
        ("GET", "/api/2.0/mlflow/runs/log-metric", {}, 405, "BAD_REQUEST"),
    ],
)
def test_error_statuses(
    http: httpx.Client, method: str, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    resp = http.get(path, params=body) if method == "GET" else http.post(path, json=body)
    _error(resp, status, code)


def test_changed_param_is_rejected_and_batch_is_atomic(http: httpx.Client, run_id: str) -> None:
    ok = http.post(
        "/api/2.0/mlflow/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"}
    )
    assert ok.status_code == 200
    resp = http.post(
        "/api/2.0/mlflow/runs/log-batch",
        json={
            "run_id": run_id,
            "metrics": [{"key": "good", "value": 1, "timestamp": 1}],
            "params": [{"key": "lr", "value": "0.2"}],
        },
    )
    assert "Changing param values is not allowed" in _error(resp, 400, "INVALID_PARAMETER_VALUE")
    long_param = http.post(
        "/api/2.0/mlflow/runs/log-parameter",
        json={"run_id": run_id, "key": "long", "value": "x" * 6001},
    )
    _error(long_param, 400, "INVALID_PARAMETER_VALUE")
    run = http.get("/api/2.0/mlflow/runs/get", params={"run_id": run_id}).json()["run"]
    assert "metrics" not in run["data"]
    assert run["data"]["params"] == [{"key": "lr", "value": "0.1"}]


def test_oversized_body_is_rejected(tmp_path: Any) -> None:
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}",
        default_artifact_root=str(tmp_path / "art"),
        server_max_body_bytes=1000,
    )
    with serve(settings) as url, httpx.Client(base_url=url) as client:
        resp = client.post("/api/2.0/mlflow/experiments/create", json={"name": "x" * 2000})
        _error(resp, 413, "RESOURCE_EXHAUSTED")
        ok = client.post("/api/2.0/mlflow/experiments/create", json={"name": "small"})
        assert ok.status_code == 200


def test_health_version_and_server_info(http: httpx.Client) -> None:
    assert http.get("/health").text == "OK"
    assert http.get("/version").text
    info = http.get("/api/3.0/mlflow/server-info").json()
    assert info["store_type"] == "SqlStore"
