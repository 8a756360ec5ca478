"""The server's artifact proxy over raw HTTP: streaming transfers, listing, the run listing
route, and every way a path could try to leave the artifact destination."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from mltrail.config import Settings
from tests.live_server import serve

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path]]:
    tmp = tmp_path_factory.mktemp("proxy")
    dest = tmp / "dest"
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp / 'db.sqlite'}",
        artifacts_destination=str(dest),
    )
    with serve(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, dest


def test_put_get_list_delete(proxied: tuple[httpx.Client, Path]) -> None:
    client, dest = proxied
    body = bytes(range(256)) * 4096
    assert client.put(f"{PROXY}/exp/run/artifacts/model/weights.bin", content=body).json() == {}
    assert client.put(f"{PROXY}/exp/run/artifacts/readme.txt", content=b"hi").status_code == 200
    assert (dest / "exp/run/artifacts/model/weights.bin").read_bytes() == body

    got = client.get(f"{PROXY}/exp/run/artifacts/model/weights.bin")
    assert got.status_code == 200
    assert got.content == body
    assert got.headers["content-disposition"].startswith("attachment")

    listing = client.get(PROXY, params={"path": "exp/run/artifacts"}).json()["files"]
    assert sorted(listing, key=lambda f: f["path"]) == [
        {"path": "model", "is_dir": True},
        {"path": "readme.txt", "is_dir": False, "file_size": 2},
    ]
    assert client.delete(f"{PROXY}/exp/run/artifacts/model").status_code == 200
    assert not (dest / "exp/run/artifacts/model").exists()
    missing = client.get(f"{PROXY}/exp/run/artifacts/model/weights.bin")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_streamed_upload_of_many_chunks(proxied: tuple[httpx.Client, Path]) -> None:
    client, dest = proxied
    chunk = b"x" * (1 << 20)

    def body() -> Iterator[bytes]:
        for _ in range(24):
            yield chunk

    resp = client.put(f"{PROXY}/stream/big.bin", content=body())
    assert resp.status_code == 200
    assert (dest / "stream/big.bin").stat().st_size == 24 << 20
    assert not list((dest / "stream").glob(".upload-*"))  # no temporary file left behind


@pytest.mark.parametrize(
    "path",
    [
        "%2e%2e/outside.txt",
        "a/%2e%2e/%2e%2e/outside.txt",
        "%252e%252e/outside.txt",
        "a%5c..%5coutside.txt",
        "%00x",
        "a/..%2f..%2foutside.txt",
    ],
)
def test_encoded_traversal_is_rejected(proxied: tuple[httpx.Client, Path], path: str) -> None:
    client, dest = proxied
    for method in ("PUT", "GET", "DELETE"):
        resp = client.request(method, f"{PROXY}/{path}", content=b"x" if method == "PUT" else None)
        assert resp.status_code in (400, 404), (method, resp.status_code, resp.text)
        assert "error_code" in resp.json()
    assert not (dest.parent / "outside.txt").exists()
    listing = client.get(PROXY, params={"path": "../"})
    assert listing.status_code == 400


def test_raw_dot_dot_segments_never_escape(proxied: tuple[httpx.Client, Path]) -> None:
    client, dest = proxied
    parts = urlsplit(str(client.base_url))
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    try:
        conn.request("PUT", f"{PROXY}/../../../outside-raw.txt", body=b"x")
        resp = conn.getresponse()
        resp.read()
        assert resp.status in (400, 404)
    finally:
        conn.close()
    assert not (dest.parent / "outside-raw.txt").exists()
    assert not Path("/outside-raw.txt").exists()


def test_symlink_inside_destination_pointing_out(proxied: tuple[httpx.Client, Path]) -> None:
    client, dest = proxied
    outside = dest.parent / "secrets"
    outside.mkdir(exist_ok=True)
    (outside / "key.txt").write_text("secret")
    dest.mkdir(exist_ok=True)
    (dest / "sneaky").symlink_to(outside)
    assert client.get(f"{PROXY}/sneaky/key.txt").status_code == 400
    assert client.put(f"{PROXY}/sneaky/new.txt", content=b"x").status_code == 400
    assert not (outside / "new.txt").exists()


@pytest.mark.parametrize("name", ["page.html", "image.svg", "script.js", "data.xml"])
def test_active_content_is_never_rendered(proxied: tuple[httpx.Client, Path], name: str) -> None:
    client, _ = proxied
    client.put(f"{PROXY}/active/{name}", content=b"<script>alert(1)</script>")
    resp = client.get(f"{PROXY}/active/{name}")
    assert resp.headers["content-type"] == "application/octet-stream"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["content-disposition"].startswith("attachment")


def test_run_artifact_listing_and_get_artifact(proxied: tuple[httpx.Client, Path]) -> None:
    client, _ = proxied
    run = client.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).json()["run"]
    root = run["info"]["artifact_uri"]
    assert root.startswith("mlflow-artifacts:/")
    under = root.removeprefix("mlflow-artifacts:/")
    client.put(f"{PROXY}/{under}/plots/loss.png", content=b"\x89PNG....")
    client.put(f"{PROXY}/{under}/notes.txt", content=b"notes")
    listed = client.get("/api/2.0/mlflow/artifacts/list", params={"run_id": run["info"]["run_id"]})
    body = listed.json()
    assert body["root_uri"] == root
    assert sorted((f["path"], f["is_dir"]) for f in body["files"]) == [
        ("notes.txt", False),
        ("plots", True),
    ]
    deeper = client.get(
        "/api/2.0/mlflow/artifacts/list", params={"run_id": run["info"]["run_id"], "path": "plots"}
    ).json()
    assert deeper["files"] == [{"path": "plots/loss.png", "is_dir": False, "file_size": 8}]
    got = client.get(
        "/get-artifact", params={"run_uuid": run["info"]["run_id"], "path": "notes.txt"}
    )
    assert got.content == b"notes"
    assert got.headers["content-type"].startswith("text/plain")


def test_model_version_and_logged_model_file_downloads(
    proxied: tuple[httpx.Client, Path],
) -> None:
    client, _ = proxied
    api = "/api/2.0/mlflow"
    model = client.post(f"{api}/logged-models", json={"experiment_id": "0", "name": "m"}).json()
    info = model["model"]["info"]
    under = info["artifact_uri"].removeprefix("mlflow-artifacts:/")
    assert client.put(f"{PROXY}/{under}/MLmodel", content=b"flavors: {}\n").status_code == 200
    files = client.get(
        f"/ajax-api/2.0/mlflow/logged-models/{info['model_id']}/artifacts/files",
        params={"artifact_file_path": "MLmodel"},
    )
    assert files.content == b"flavors: {}\n"
    assert files.headers["content-disposition"].startswith("attachment")
    missing = client.get(f"/ajax-api/2.0/mlflow/logged-models/{info['model_id']}/artifacts/files")
    assert missing.status_code == 400
    assert "artifact_file_path" in missing.json()["message"]

    client.post(f"{api}/registered-models/create", json={"name": "reg"})
    version = client.post(
        f"{api}/model-versions/create",
        json={"name": "reg", "source": f"models:/{info['model_id']}", "model_id": info["model_id"]},
    )
    assert version.status_code == 200, version.text
    number = version.json()["model_version"]["version"]
    for path in (
        "/model-versions/get-artifact",
        "/ajax-api/2.0/mlflow/model-versions/get-artifact",
    ):
        got = client.get(path, params={"name": "reg", "version": number, "path": "MLmodel"})
        assert got.status_code == 200, got.text
        assert got.content == b"flavors: {}\n"
    escape = client.get(
        "/model-versions/get-artifact",
        params={"name": "reg", "version": number, "path": "../../etc/passwd"},
    )
    assert escape.status_code == 400


def test_client_chosen_artifact_location_is_not_served(proxied: tuple[httpx.Client, Path]) -> None:
    client, _ = proxied
    exp = client.post(
        "/api/2.0/mlflow/experiments/create",
        json={"name": "elsewhere", "artifact_location": "/etc"},
    ).json()
    run = client.post(
        "/api/2.0/mlflow/runs/create", json={"experiment_id": exp["experiment_id"]}
    ).json()["run"]
    listed = client.get("/api/2.0/mlflow/artifacts/list", params={"run_id": run["info"]["run_id"]})
    assert listed.status_code == 400
    assert "not served by this server" in listed.json()["message"]
    fetched = client.get(
        "/get-artifact", params={"run_uuid": run["info"]["run_id"], "path": "passwd"}
    )
    assert fetched.status_code == 400
