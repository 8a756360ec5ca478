"""S3-specific behaviour of the S3 repository, against a real SeaweedFS store on loopback.

The shared suite in test_repositories.py covers the protocol; these tests cover multipart
transfers, atomic streams, the error messages and keys written by other tools.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mltrail.config import Settings, get_settings
from mltrail.exceptions import (
    ErrorCode,
    InvalidParameterValue,
    MlflowException,
    PermissionDenied,
    ResourceDoesNotExist,
)
from mltrail.store.artifacts.registry import get_artifact_repository
from mltrail.store.artifacts.s3 import S3ArtifactRepository, split_s3_uri
from tests.s3_server import s3_client, use_s3_env

_MB = 1024 * 1024


@pytest.fixture
def s3(s3_endpoint: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The test store, with boto3 and mltrail's settings pointed at it for this test."""
    url, bucket = s3_endpoint
    use_s3_env(monkeypatch, url)
    return url, bucket


@pytest.fixture
def raw(s3: tuple[str, str]) -> Iterator[Any]:
    """A plain boto3 client on the test store, to look behind the repository's back."""
    client = s3_client(s3[0])
    yield client
    client.close()


def _repo(bucket: str, **options: Any) -> S3ArtifactRepository:
    return S3ArtifactRepository(
        f"s3://{bucket}/tests/{uuid.uuid4().hex}", settings=get_settings(), **options
    )


def test_s3_uris_pick_the_s3_repository_and_boto3_loads_lazily() -> None:
    repo = get_artifact_repository("s3://bucket/some/prefix/")
    assert isinstance(repo, S3ArtifactRepository)
    assert (repo.bucket, repo.prefix) == ("bucket", "some/prefix")
    assert split_s3_uri("s3://bucket") == ("bucket", "")
    with pytest.raises(InvalidParameterValue, match="s3://<bucket>"):
        split_s3_uri("s3:///no-bucket")
    with pytest.raises(InvalidParameterValue):
        split_s3_uri("s3://bucket/a/../../b")
    code = (
        "import sys, mltrail, mltrail.store.artifacts.registry, mltrail.store.artifacts.s3\n"
        "print(sorted(m for m in ('boto3', 'botocore', 's3transfer') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_large_files_move_in_parallel_parts(s3: tuple[str, str], raw: Any, tmp_path: Path) -> None:
    repo = _repo(s3[1], multipart_threshold=5 * _MB, multipart_chunksize=5 * _MB)
    payload = os.urandom(11 * _MB + 123)
    big = tmp_path / "big.bin"
    big.write_bytes(payload)

    repo.log_artifact(str(big), "model")
    head = raw.head_object(Bucket=repo.bucket, Key=f"{repo.prefix}/model/big.bin")
    assert head["ETag"].strip('"').endswith("-3")  # three parts: 5 + 5 + 1 MB
    assert head["ContentLength"] == len(payload)
    local = repo.download_artifacts("model/big.bin", str(tmp_path / "dl"))
    assert Path(local).read_bytes() == payload

    chunks = (payload[i : i + 65536] for i in range(0, len(payload), 65536))
    assert repo.write_stream("streamed/big.bin", chunks) == len(payload)
    head = raw.head_object(Bucket=repo.bucket, Key=f"{repo.prefix}/streamed/big.bin")
    assert head["ETag"].strip('"').endswith("-3")
    with repo.open_read("streamed/big.bin") as fh:
        assert fh.read() == payload


def test_a_failed_stream_leaves_no_object_and_no_open_upload(s3: tuple[str, str], raw: Any) -> None:
    repo = _repo(s3[1], multipart_threshold=5 * _MB, multipart_chunksize=5 * _MB)

    def chunks() -> Iterator[bytes]:
        for _ in range(12):
            yield b"x" * _MB
        raise RuntimeError("the client went away")

    with pytest.raises(RuntimeError, match="went away"):
        repo.write_stream("partial.bin", chunks())
    assert repo.list_artifacts() == []
    key = f"{repo.prefix}/partial.bin"
    uploads = raw.list_multipart_uploads(Bucket=repo.bucket, Prefix=key).get("Uploads", [])
    assert uploads == []


def test_bad_credentials_say_what_to_fix(
    s3_endpoint: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, bucket = s3_endpoint
    use_s3_env(monkeypatch, url, secret_key="not-the-secret")
    repo = _repo(bucket)
    with pytest.raises(PermissionDenied, match="rejected the credentials") as info:
        repo.list_artifacts()
    assert "AWS_SECRET_ACCESS_KEY" in info.value.message
    assert url in info.value.message
    f = tmp_path / "f.txt"
    f.write_text("x")
    with pytest.raises(PermissionDenied, match="AWS_ACCESS_KEY_ID"):
        repo.log_artifact(str(f))

    use_s3_env(monkeypatch, url, access_key="nobody")
    with pytest.raises(PermissionDenied, match="InvalidAccessKeyId"):
        _repo(bucket).list_artifacts()


def test_a_missing_bucket_says_what_to_fix(s3: tuple[str, str], tmp_path: Path) -> None:
    repo = S3ArtifactRepository("s3://no-such-bucket-mltrail/x", settings=get_settings())
    expected = r"bucket 'no-such-bucket-mltrail' does not exist.*Create the bucket"
    with pytest.raises(ResourceDoesNotExist, match=expected):
        repo.list_artifacts()
    f = tmp_path / "f.txt"
    f.write_text("x")
    with pytest.raises(ResourceDoesNotExist, match=expected):
        repo.log_artifact(str(f))
    with pytest.raises(ResourceDoesNotExist, match=expected):
        repo.download_artifacts("f.txt", str(tmp_path / "dl"))


def test_the_proxy_passes_a_missing_bucket_error_on(s3: tuple[str, str], tmp_path: Path) -> None:
    from tests.live_server import serve

    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp_path / 'mltrail.db'}",
        default_artifact_root=str(tmp_path / "artifacts"),
        artifacts_destination="s3://no-such-bucket-mltrail/proxy",
        s3_endpoint_url=s3[0],
    )
    with serve(settings) as url:
        repo = get_artifact_repository("mlflow-artifacts:/x", tracking_uri=url)
        with pytest.raises(MlflowException, match=r"does not exist.*Create the bucket"):
            repo.list_artifacts()


def test_the_proxy_stores_in_the_bucket(s3: tuple[str, str], raw: Any, tmp_path: Path) -> None:
    from tests.live_server import serve

    url, bucket = s3
    prefix = f"proxy-{uuid.uuid4().hex}"
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp_path / 'mltrail.db'}",
        default_artifact_root=str(tmp_path / "artifacts"),
        artifacts_destination=f"s3://{bucket}/{prefix}",
        s3_endpoint_url=url,
    )
    payload = os.urandom(2 * _MB + 1)
    with serve(settings) as server:
        repo = get_artifact_repository("mlflow-artifacts:/1/run/artifacts", tracking_uri=server)
        assert repo.write_stream("model/weights.bin", iter([payload])) == len(payload)
        stored = raw.get_object(Bucket=bucket, Key=f"{prefix}/1/run/artifacts/model/weights.bin")
        assert stored["Body"].read() == payload
        with repo.open_read("model/weights.bin") as fh:
            assert fh.read() == payload


def test_an_unreachable_endpoint_says_what_to_fix(s3: tuple[str, str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    settings = get_settings().with_changes(
        s3_endpoint_url=f"http://127.0.0.1:{port}", http_request_max_retries=0
    )
    repo = S3ArtifactRepository(f"s3://{s3[1]}/x", settings=settings)
    with pytest.raises(MlflowException, match=r"could not connect.*S3_ENDPOINT_URL") as info:
        repo.list_artifacts()
    assert info.value.error_code == ErrorCode.TEMPORARILY_UNAVAILABLE


def test_keys_written_by_other_tools(s3: tuple[str, str], raw: Any, tmp_path: Path) -> None:
    repo = _repo(s3[1])
    raw.put_object(Bucket=repo.bucket, Key=f"{repo.prefix}/dir/", Body=b"")  # a folder marker
    raw.put_object(Bucket=repo.bucket, Key=f"{repo.prefix}/dir/f.txt", Body=b"hello")
    assert [(f.path, f.is_dir) for f in repo.list_artifacts()] == [("dir", True)]
    assert [(f.path, f.file_size) for f in repo.list_artifacts("dir")] == [("dir/f.txt", 5)]
    folder = Path(repo.download_artifacts("dir", str(tmp_path / "dl")))
    assert [p.name for p in folder.iterdir()] == ["f.txt"]
    repo.delete_artifacts()
    assert repo.list_artifacts() == []


def test_many_files_and_a_whole_root_round_trip(s3: tuple[str, str], tmp_path: Path) -> None:
    repo = _repo(s3[1])
    src = tmp_path / "src"
    for i in range(30):
        (src / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        (src / f"d{i % 3}" / f"f{i}.txt").write_text(str(i) * (i + 1))
    repo.log_artifacts(str(src))
    assert [f.path for f in repo.list_artifacts()] == ["d0", "d1", "d2"]
    out = Path(repo.download_artifacts("", str(tmp_path / "dl")))
    got = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.txt")}
    assert got == {f"d{i % 3}/f{i}.txt": str(i) * (i + 1) for i in range(30)}
    repo.delete_artifacts()
    assert repo.list_artifacts() == []
