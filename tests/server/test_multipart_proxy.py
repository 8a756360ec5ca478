"""Multipart uploads through the artifact proxy: the mpu routes against a real SeaweedFS
destination, the client's parallel parts, the fallback for stores without multipart, and
MLflow's own client uploading in parts through mltrail's proxy."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mltrail.config import Settings, get_settings
from mltrail.store.artifacts.http import HttpArtifactRepository
from tests.live_server import serve
from tests.s3_server import s3_client, use_s3_env

MPU = "/api/2.0/mlflow-artifacts/mpu"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
_MB = 1024 * 1024


@pytest.fixture
def s3_proxy(
    s3_endpoint: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[str, str, str]]:
    """A server proxying to a fresh prefix in SeaweedFS: (url, bucket, prefix)."""
    endpoint, bucket = s3_endpoint
    use_s3_env(monkeypatch, endpoint)
    prefix = f"mpu/{uuid.uuid4().hex}"
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}",
        artifacts_destination=f"s3://{bucket}/{prefix}",
        s3_endpoint_url=endpoint,
    )
    with serve(settings) as url:
        yield url, bucket, prefix


def _big_file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def _client_settings(**changes: object) -> Settings:
    return get_settings().with_changes(
        enable_proxy_multipart_upload=True,
        multipart_upload_minimum_file_size=1 * _MB,
        multipart_upload_chunk_size=5 * _MB,
        **changes,
    )


def test_large_file_goes_up_in_parallel_parts(
    s3_proxy: tuple[str, str, str], s3_endpoint: tuple[str, str], tmp_path: Path
) -> None:
    url, bucket, prefix = s3_proxy
    data = _big_file(tmp_path / "weights.bin", 12 * _MB)
    repo = HttpArtifactRepository(f"{url}{PROXY}/run1", settings=_client_settings())
    repo.log_artifact(str(tmp_path / "weights.bin"), "model")

    raw = s3_client(s3_endpoint[0])
    head = raw.head_object(Bucket=bucket, Key=f"{prefix}/run1/model/weights.bin")
    assert head["ETag"].strip('"').endswith("-3")  # assembled from three parts
    assert head["ContentLength"] == len(data)
    back = repo.download_artifacts("model/weights.bin", str(tmp_path / "back"))
    assert Path(back).read_bytes() == data


def test_small_file_and_disabled_switch_use_one_put(
    s3_proxy: tuple[str, str, str], s3_endpoint: tuple[str, str], tmp_path: Path
) -> None:
    url, bucket, prefix = s3_proxy
    _big_file(tmp_path / "big.bin", 6 * _MB)
    off = get_settings().with_changes(multipart_upload_minimum_file_size=1 * _MB)
    HttpArtifactRepository(f"{url}{PROXY}/run2", settings=off).log_artifact(
        str(tmp_path / "big.bin")
    )
    head = s3_client(s3_endpoint[0]).head_object(Bucket=bucket, Key=f"{prefix}/run2/big.bin")
    assert "-" not in head["ETag"].strip('"')


def test_create_returns_presigned_part_urls_and_abort_drops_the_upload(
    s3_proxy: tuple[str, str, str], s3_endpoint: tuple[str, str]
) -> None:
    url, bucket, prefix = s3_proxy
    with httpx.Client(base_url=url, timeout=30) as http:
        created = http.post(
            f"{MPU}/create/run3/ckpt", json={"path": "/local/dir/state.pt", "num_parts": 2}
        )
        assert created.status_code == 200, created.text
        body = created.json()
        assert body["upload_id"]
        assert [c["part_number"] for c in body["credentials"]] == [1, 2]
        assert all("Signature=" in c["url"] for c in body["credentials"])
        assert f"{prefix}/run3/ckpt/state.pt" in body["credentials"][0]["url"]
        part = httpx.put(body["credentials"][0]["url"], content=b"x" * 100)
        assert part.status_code == 200
        aborted = http.post(
            f"{MPU}/abort/run3/ckpt",
            json={"path": "/local/dir/state.pt", "upload_id": body["upload_id"]},
        )
        assert aborted.status_code == 200
        assert aborted.json() == {}
    uploads = s3_client(s3_endpoint[0]).list_multipart_uploads(Bucket=bucket, Prefix=prefix)
    assert uploads.get("Uploads", []) == []


@pytest.mark.parametrize(
    ("folder", "path"),
    [("..%2f..", "x.bin"), ("run", "../../x.bin"), ("run", "a\x00b"), ("%252e%252e", "x.bin")],
    ids=["encoded-dotdot-folder", "dotdot-name-is-basename", "nul", "double-encoded"],
)
def test_mpu_paths_cannot_leave_the_destination(
    s3_proxy: tuple[str, str, str], folder: str, path: str
) -> None:
    url, _, prefix = s3_proxy
    resp = httpx.post(f"{url}{MPU}/create/{folder}", json={"path": path, "num_parts": 1})
    if resp.status_code == 200:  # only the base name of the client's path is used
        assert f"{prefix}/run/x.bin" in resp.json()["credentials"][0]["url"]
    else:
        assert resp.status_code in (400, 404)


def test_local_destination_answers_unsupported_and_the_client_falls_back(
    tmp_path: Path,
) -> None:
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}",
        artifacts_destination=str(tmp_path / "dest"),
    )
    with serve(settings) as url:
        resp = httpx.post(f"{url}{MPU}/create/a", json={"path": "f.bin", "num_parts": 1})
        assert resp.status_code == 501
        assert resp.json()["message"].startswith("Multipart upload is not supported")
        data = _big_file(tmp_path / "f.bin", 2 * _MB)
        repo = HttpArtifactRepository(f"{url}{PROXY}/a", settings=_client_settings())
        repo.log_artifact(str(tmp_path / "f.bin"))
    assert (tmp_path / "dest" / "a" / "f.bin").read_bytes() == data


def test_mlflow_client_uploads_in_parts_through_mltrail_proxy(
    s3_proxy: tuple[str, str, str],
    s3_endpoint: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("mlflow")
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository as MlflowRepo

    url, bucket, prefix = s3_proxy
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(1 * _MB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * _MB))
    data = _big_file(tmp_path / "model.bin", 11 * _MB)
    MlflowRepo(f"{url}{PROXY}/run4").log_artifact(str(tmp_path / "model.bin"), "m")
    head = s3_client(s3_endpoint[0]).head_object(Bucket=bucket, Key=f"{prefix}/run4/m/model.bin")
    assert head["ETag"].strip('"').endswith("-3")
    assert httpx.get(f"{url}{PROXY}/run4/m/model.bin", timeout=30).content == data
