"""Artifacts through the public API: the client and the fluent functions, embedded (local files)
and against a server (through its proxy), plus MLflow's own client uploading through the proxy."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mltrail
from mltrail import artifacts
from mltrail.exceptions import InvalidParameterValue


@pytest.fixture(params=["embedded", "server"])
def tracking_uri(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    module_server_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    if request.param == "server":
        return module_server_url
    monkeypatch.chdir(tmp_path)  # the embedded default artifact root is ./mltrail-artifacts
    return f"sqlite:///{tmp_path / 'mltrail.db'}"


def test_client_logs_lists_and_downloads(tracking_uri: str, tmp_path: Path) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    src = tmp_path / "model"
    (src / "sub").mkdir(parents=True)
    (src / "weights.bin").write_bytes(b"\x00\x01" * 1000)
    (src / "sub" / "conf.txt").write_text("depth=3")
    client.log_artifacts(run_id, str(src), "model")
    client.log_artifact(run_id, str(src / "weights.bin"))
    client.log_text(run_id, "héllo wörld", "notes/readme.md")
    client.log_dict(run_id, {"lr": 0.1, "layers": [1, 2]}, "config.json")
    client.log_dict(run_id, {"name": "x"}, "config.yaml")

    top = {(f.path, f.is_dir) for f in client.list_artifacts(run_id)}
    assert top == {
        ("model", True),
        ("weights.bin", False),
        ("notes", True),
        ("config.json", False),
        ("config.yaml", False),
    }
    sizes = {f.path: f.file_size for f in client.list_artifacts(run_id, "model")}
    assert sizes == {"model/sub": None, "model/weights.bin": 2000}

    local = Path(client.download_artifacts(run_id, "model", str(tmp_path / "dl")))
    assert (local / "sub" / "conf.txt").read_text() == "depth=3"
    notes = Path(client.download_artifacts(run_id, "notes/readme.md", str(tmp_path / "n")))
    assert notes.read_text(encoding="utf-8") == "héllo wörld"
    text = Path(client.download_artifacts(run_id, "config.json", str(tmp_path / "dl2")))
    assert json.loads(text.read_text()) == {"lr": 0.1, "layers": [1, 2]}
    yaml_file = Path(client.download_artifacts(run_id, "config.yaml", str(tmp_path / "dl3")))
    assert yaml_file.read_text().strip() == "name: x"


def test_fluent_functions_use_the_active_run(tracking_uri: str, tmp_path: Path) -> None:
    mltrail.set_tracking_uri(tracking_uri)
    try:
        f = tmp_path / "plot.png"
        f.write_bytes(b"\x89PNG fake")
        with mltrail.start_run() as run:
            mltrail.log_artifact(str(f), "plots")
            mltrail.log_text("done", "status.txt")
            mltrail.log_dict({"a": 1}, "d/a.json")
            assert mltrail.get_artifact_uri().endswith(f"{run.info.run_id}/artifacts")
            assert mltrail.get_artifact_uri("plots/plot.png").endswith("artifacts/plots/plot.png")
        listed = artifacts.list_artifacts(run_id=run.info.run_id)
        assert {x.path for x in listed} == {"plots", "status.txt", "d"}
        assert artifacts.load_text(f"runs:/{run.info.run_id}/status.txt") == "done"
        assert artifacts.load_dict(f"runs:/{run.info.run_id}/d/a.json") == {"a": 1}
        out = artifacts.download_artifacts(
            run_id=run.info.run_id, artifact_path="plots", dst_path=str(tmp_path / "out")
        )
        assert (Path(out) / "plot.png").read_bytes() == b"\x89PNG fake"
    finally:
        mltrail.set_tracking_uri("")


def test_bad_artifact_paths_are_clear_errors(tracking_uri: str, tmp_path: Path) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameterValue, match=r"'\.\.' segments"):
        client.log_text(run_id, "x", "../escape.txt")
    with pytest.raises(InvalidParameterValue, match="No file to log"):
        client.log_artifact(run_id, str(tmp_path / "missing.txt"))
    with pytest.raises(InvalidParameterValue, match="runs:/"):
        artifacts.download_artifacts("s3://bucket/key")


def test_official_mlflow_client_uploads_through_the_proxy(
    module_server_url: str, tmp_path: Path
) -> None:
    pytest.importorskip("mlflow", reason="the compat extra (mlflow==3.17.2) is not installed")
    script = textwrap.dedent(
        f"""
        import mlflow, os
        mlflow.set_tracking_uri({module_server_url!r})
        os.makedirs("d/sub", exist_ok=True)
        open("d/a.txt", "w").write("a")
        open("d/sub/b.txt", "w").write("bb")
        with mlflow.start_run() as run:
            mlflow.log_artifacts("d", artifact_path="data")
            mlflow.log_text("t", "t.txt")
            mlflow.log_dict({{"k": [1, 2]}}, "k.json")
        print(run.info.run_id)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run_id = done.stdout.strip().splitlines()[-1]
    client = mltrail.MlflowClient(module_server_url)
    assert {f.path for f in client.list_artifacts(run_id)} == {"data", "t.txt", "k.json"}
    local = Path(client.download_artifacts(run_id, "data", str(tmp_path / "back")))
    assert (local / "sub" / "b.txt").read_text() == "bb"
