"""`mltrail artifacts`: log-artifact, log-artifacts, list and download against a real store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import mltrail
from mltrail.cli import artifacts as artifacts_cli
from mltrail.cli.main import cli


@pytest.fixture
def run_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("MLTRAIL_TRACKING_URI", uri)
    monkeypatch.setenv("MLTRAIL_DEFAULT_ARTIFACT_ROOT", str(tmp_path / "store"))
    mltrail.config.reload_settings()
    return mltrail.MlflowClient(uri).create_run("0").info.run_id


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, ["artifacts", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_log_list_and_download(run_id: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.bin").write_bytes(b"\x00" * 300)
    (tmp_path / "single.txt").write_text("one")

    out = _invoke("log-artifact", "-l", str(tmp_path / "single.txt"), "-r", run_id)
    assert "single.txt" in out
    _invoke("log-artifacts", "--local-dir", str(src), "--run-id", run_id, "--artifact-path", "d")

    listed = json.loads(_invoke("list", "--run-id", run_id))
    assert listed == [
        {"path": "d", "is_dir": True},
        {"path": "single.txt", "is_dir": False, "file_size": 3},
    ]
    deeper = json.loads(_invoke("list", "-r", run_id, "-a", "d/sub"))
    assert deeper == [{"path": "d/sub/b.bin", "is_dir": False, "file_size": 300}]

    dst = tmp_path / "dst"
    folder = _invoke("download", "-r", run_id, "-a", "d", "-d", str(dst)).strip()
    assert Path(folder) == dst / "d"
    assert (dst / "d" / "a.txt").read_text() == "alpha"
    assert (dst / "d" / "sub" / "b.bin").stat().st_size == 300

    by_uri = _invoke("download", "-u", f"runs:/{run_id}/single.txt", "-d", str(tmp_path / "u"))
    assert Path(by_uri.strip()).read_text() == "one"

    whole = _invoke("download", "--run-id", run_id, "--dst-path", str(tmp_path / "all")).strip()
    assert (Path(whole) / "d" / "sub" / "b.bin").exists()


def test_download_by_plain_uri(run_id: str, tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "f.txt").write_text("plain")
    out = _invoke("download", "--artifact-uri", str(folder / "f.txt"), "-d", str(tmp_path / "o"))
    assert Path(out.strip()).read_text() == "plain"


def test_large_transfer_shows_a_progress_bar(
    run_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich")
    from mltrail.cli import _progress

    monkeypatch.setattr(artifacts_cli, "PROGRESS_BYTES", 1000)
    shown: list[tuple[str, int]] = []
    real = _progress.run_with_bar

    def spy(description: str, jobs: Any, parallel: int) -> None:
        shown.append((description, sum(size for size, _ in jobs)))
        real(description, jobs, parallel)

    monkeypatch.setattr(_progress, "run_with_bar", spy)
    src = tmp_path / "big"
    src.mkdir()
    for i in range(5):
        (src / f"part{i}.bin").write_bytes(b"x" * 4000)
    result = CliRunner().invoke(
        cli, ["artifacts", "log-artifacts", "-l", str(src), "-r", run_id], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert shown == [(f"Uploading {src}", 20000)]
    listed = json.loads(_invoke("list", "-r", run_id))
    assert len(listed) == 5
    down = _invoke("download", "-r", run_id, "-d", str(tmp_path / "back"), "--no-progress")
    assert len(list(Path(down.strip()).glob("*.bin"))) == 5
    assert len(shown) == 1  # --no-progress


def test_download_needs_a_run_or_uri() -> None:
    result = CliRunner().invoke(cli, ["artifacts", "download"])
    assert result.exit_code != 0
    assert "--run-id" in result.output
