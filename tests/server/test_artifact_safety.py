"""The issue's safety list, item by item, for what the other artifact tests leave out: absolute
and ``file:`` paths through the proxy, symlinks on listing, deleting and downloading folders,
client-chosen experiment locations that point outside, and the configurable size limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mltrail.config import Settings, get_settings
from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.store.artifacts.http import HttpArtifactRepository
from mltrail.store.artifacts.local import LocalArtifactRepository
from tests.live_server import serve

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("safety")
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp / 'db.sqlite'}",
        artifacts_destination=str(tmp / "dest"),
        max_artifact_bytes=1000,
    )
    with serve(settings) as url:
        yield url, tmp / "dest"


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd-x", "%2Fetc%2Fpasswd-x", "C:/win.txt", "~/home.txt", "a/%2e%2e%2f%2e%2e%2fx"],
    ids=["absolute", "encoded-absolute", "drive", "home", "encoded-slash-dotdot"],
)
def test_absolute_and_odd_paths_through_the_proxy(limited: tuple[str, Path], path: str) -> None:
    url, _ = limited
    for method in ("PUT", "GET", "DELETE"):
        resp = httpx.request(
            method, f"{url}{PROXY}/{path}", content=b"x" if method == "PUT" else None
        )
        assert resp.status_code in (400, 404), (method, path, resp.text)
    assert not Path("/etc/passwd-x").exists()


def test_file_uri_in_a_path_stays_inside_the_destination(limited: tuple[str, Path]) -> None:
    url, dest = limited
    resp = httpx.put(f"{url}{PROXY}/file:/tmp/mltrail-escape.txt", content=b"x")
    if resp.status_code == 200:
        assert (dest / "file:" / "tmp" / "mltrail-escape.txt").exists()
    assert not Path("/tmp/mltrail-escape.txt").exists()


def test_upload_over_the_size_limit_is_refused_clearly(limited: tuple[str, Path]) -> None:
    url, dest = limited
    ok = httpx.put(f"{url}{PROXY}/size/ok.bin", content=b"x" * 1000)
    assert ok.status_code == 200
    big = httpx.put(f"{url}{PROXY}/size/big.bin", content=b"x" * 1001)
    assert big.status_code == 413
    assert big.json()["error_code"] == "RESOURCE_EXHAUSTED"
    assert "MLTRAIL_MAX_ARTIFACT_BYTES" in big.json()["message"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for _ in range(5):
            yield b"y" * 300

    streamed = httpx.put(f"{url}{PROXY}/size/streamed.bin", content=chunked())
    assert streamed.status_code == 413
    assert not (dest / "size" / "big.bin").exists()
    assert not (dest / "size" / "streamed.bin").exists()
    assert not list((dest / "size").glob(".upload-*"))


def test_client_sees_the_size_limit_message(limited: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = limited
    (tmp_path / "big.bin").write_bytes(b"z" * 5000)
    repo = HttpArtifactRepository(f"{url}{PROXY}/client", settings=get_settings())
    with pytest.raises(MlflowException, match="exceeds this server's limit of 1000 bytes"):
        repo.log_artifact(str(tmp_path / "big.bin"))


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc",
        "mlflow-artifacts:/../../outside",
        "mlflow-artifacts:/%2e%2e/%2e%2e/outside",
        "s3://someone-elses-bucket/x",
    ],
    ids=["file-uri", "proxy-dotdot", "proxy-encoded-dotdot", "foreign-bucket"],
)
def test_client_chosen_artifact_location_outside_is_never_served(
    limited: tuple[str, Path], location: str
) -> None:
    url, dest = limited
    with httpx.Client(base_url=url, timeout=30) as http:
        created = http.post(
            "/api/2.0/mlflow/experiments/create",
            json={"name": f"outside-{abs(hash(location))}", "artifact_location": location},
        )
        if created.status_code != 200:
            assert created.status_code == 400  # refused up front is fine too
            return
        exp_id = created.json()["experiment_id"]
        run = http.post("/api/2.0/mlflow/runs/create", json={"experiment_id": exp_id}).json()
        run_id = run["run"]["info"]["run_id"]
        listed = http.get("/api/2.0/mlflow/artifacts/list", params={"run_id": run_id})
        assert listed.status_code == 400
        fetched = http.get("/get-artifact", params={"run_uuid": run_id, "path": "passwd"})
        assert fetched.status_code == 400
    assert not (dest.parent / "outside").exists()


def test_local_repository_symlink_out_on_list_delete_and_folder_download(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    (root / "run" / "own.txt").write_text("own")
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "key.txt").write_text("secret")
    (root / "run" / "link").symlink_to(outside)
    repo = LocalArtifactRepository(str(root))
    with pytest.raises(InvalidParameterValue, match="outside"):
        repo.list_artifacts("run/link")
    with pytest.raises(InvalidParameterValue, match="outside"):
        repo.delete_artifacts("run/link")
    with pytest.raises(InvalidParameterValue, match="outside"):
        repo.download_artifacts("run/link/key.txt", str(tmp_path / "dl1"))
    local = Path(repo.download_artifacts("run", str(tmp_path / "dl2")))
    assert (local / "own.txt").read_text() == "own"
    assert not (local / "link").exists()  # the folder copy never follows a link out
    repo.delete_artifacts("run")
    assert (outside / "key.txt").read_text() == "secret"


def test_symlink_out_is_not_listed_into_through_the_proxy(limited: tuple[str, Path]) -> None:
    url, dest = limited
    outside = dest.parent / "private"
    outside.mkdir(exist_ok=True)
    (outside / "k.txt").write_text("k")
    (dest / "lnk").mkdir(parents=True, exist_ok=True)
    (dest / "lnk" / "out").symlink_to(outside)
    assert httpx.get(f"{url}{PROXY}", params={"path": "lnk/out"}).status_code == 400
    assert httpx.delete(f"{url}{PROXY}/lnk/out").status_code == 400
    assert (outside / "k.txt").exists()


@pytest.mark.parametrize("name", ["..", "../../evil", "."], ids=["dotdot", "dotdot-path", "dot"])
def test_client_refuses_a_listing_that_steps_out(tmp_path: Path, name: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/artifacts"):
            return httpx.Response(200, json={"files": [{"path": name, "is_dir": False}]})
        return httpx.Response(200, content=b"evil")

    repo = HttpArtifactRepository("http://server.invalid/api/2.0/mlflow-artifacts/artifacts/r")
    repo._client = httpx.Client(transport=httpx.MockTransport(answer))
    if name == "../../evil":  # only the base name of a listed path is used
        assert [f.path for f in repo.list_artifacts()] == ["evil"]
        return
    with pytest.raises(InvalidParameterValue):
        repo.download_artifacts("", str(tmp_path / "dl"))
    assert not (tmp_path / "evil").exists()
