"""One artifact test suite, run against the local repository, S3, and the server's proxy (on
local disk and on S3)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltrail.config import Settings
from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.store.artifacts.base import ArtifactRepository
from mltrail.store.artifacts.local import LocalArtifactRepository
from mltrail.store.artifacts.registry import get_artifact_repository


@pytest.fixture(scope="module")
def s3_proxy_url(
    s3_endpoint: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A live server whose proxy stores artifacts in the test S3 bucket."""
    from tests.live_server import serve
    from tests.s3_server import use_s3_env

    endpoint_url, bucket = s3_endpoint
    tmp = tmp_path_factory.mktemp("s3proxy")
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp / 'mltrail.db'}",
        default_artifact_root=str(tmp / "artifacts"),
        artifacts_destination=f"s3://{bucket}/proxy-{uuid.uuid4().hex}",
        s3_endpoint_url=endpoint_url,
    )
    with pytest.MonkeyPatch.context() as mp:
        use_s3_env(mp, endpoint_url)  # the server's boto3 client takes the credentials
        with serve(settings) as url:
            yield url


@pytest.fixture(params=["local", "proxy", "s3", "proxy-s3"])
def repo(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ArtifactRepository]:
    if request.param == "local":
        yield get_artifact_repository((tmp_path / "root").as_uri())
    elif request.param == "s3":
        from tests.s3_server import use_s3_env

        endpoint_url, bucket = request.getfixturevalue("s3_endpoint")
        use_s3_env(monkeypatch, endpoint_url)
        yield get_artifact_repository(f"s3://{bucket}/tests/{uuid.uuid4().hex}")
    else:
        server = request.getfixturevalue(
            "module_server_url" if request.param == "proxy" else "s3_proxy_url"
        )
        uri = f"mlflow-artifacts:/tests/{uuid.uuid4().hex}"
        yield get_artifact_repository(uri, tracking_uri=server)


def _tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub" / "deep").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)) * 40)
    (src / "sub" / "deep" / "c.json").write_text('{"c": 1}')
    return src


def test_registry_picks_the_class_by_scheme(tmp_path: Path) -> None:
    assert isinstance(get_artifact_repository(str(tmp_path)), LocalArtifactRepository)
    assert isinstance(get_artifact_repository(tmp_path.as_uri()), LocalArtifactRepository)
    with pytest.raises(InvalidParameterValue, match="No artifact repository for scheme 'gopher'"):
        get_artifact_repository("gopher://x/y")
    with pytest.raises(InvalidParameterValue, match="tracking URI"):
        get_artifact_repository("mlflow-artifacts:/1/2", tracking_uri="sqlite:///x.db")


def test_log_list_download_delete(repo: ArtifactRepository, tmp_path: Path) -> None:
    src = _tree(tmp_path)
    repo.log_artifact(str(src / "a.txt"))
    repo.log_artifact(str(src / "a.txt"), "copies/one")
    repo.log_artifacts(str(src), "tree")

    root = {(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts()}
    assert root == {("a.txt", False, 5), ("copies", True, None), ("tree", True, None)}
    sub = {(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts("tree/sub")}
    assert sub == {("tree/sub/b.bin", False, 10240), ("tree/sub/deep", True, None)}
    assert repo.list_artifacts("no/such/dir") == []

    one = repo.download_artifacts("copies/one/a.txt", str(tmp_path / "dl1"))
    assert Path(one).read_text() == "alpha"
    folder = Path(repo.download_artifacts("tree", str(tmp_path / "dl2")))
    got = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert got == ["a.txt", "sub/b.bin", "sub/deep/c.json"]
    assert (folder / "sub" / "b.bin").read_bytes() == (src / "sub" / "b.bin").read_bytes()

    repo.delete_artifacts("tree/sub")
    assert [f.path for f in repo.list_artifacts("tree")] == ["tree/a.txt"]
    repo.delete_artifacts("a.txt")
    assert {f.path for f in repo.list_artifacts()} == {"copies", "tree"}


def test_streams_round_trip_binary_exactly(repo: ArtifactRepository) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)
    chunks = [payload[i : i + 65536] for i in range(0, len(payload), 65536)]
    assert repo.write_stream("blobs/big.bin", iter(chunks)) == len(payload)
    with repo.open_read("blobs/big.bin") as fh:
        assert fh.read() == payload


@pytest.mark.parametrize(
    "bad",
    [
        "../escape",
        "a/../../escape",
        "/abs/path",
        "a\\..\\b",
        "nul\x00byte",
        "%2e%2e/x",
        "%252e%252e/x",
        "C:/windows",
    ],
)
def test_paths_that_leave_the_root_are_refused(
    repo: ArtifactRepository, tmp_path: Path, bad: str
) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    with pytest.raises(InvalidParameterValue):
        repo.log_artifact(str(f), bad)
    with pytest.raises(InvalidParameterValue):
        repo.list_artifacts(bad)
    with pytest.raises(InvalidParameterValue):
        repo.delete_artifacts(bad)


def test_missing_artifact_download_is_an_error(repo: ArtifactRepository, tmp_path: Path) -> None:
    with pytest.raises(MlflowException):
        repo.download_artifacts("nothing/here.txt", str(tmp_path / "dl"))


def test_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "key.txt").write_text("secret")
    (root / "link").symlink_to(outside)
    repo = LocalArtifactRepository(str(root))
    with pytest.raises(InvalidParameterValue, match="outside"):
        repo.open_read("link/key.txt")
    with pytest.raises(InvalidParameterValue, match="outside"):
        repo.write_stream("link/new.txt", iter([b"x"]))
    assert not (outside / "new.txt").exists()
