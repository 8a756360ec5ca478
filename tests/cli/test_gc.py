"""`mltrail gc`: deleted runs and experiments go for good, with metrics and artifacts."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import mltrail
from mltrail.cli.gc import parse_duration
from mltrail.cli.main import cli
from mltrail.exceptions import MlflowException


@pytest.fixture
def client(db_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> mltrail.MlflowClient:
    monkeypatch.setenv("MLTRAIL_DEFAULT_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    mltrail.config.reload_settings()
    return mltrail.MlflowClient(db_uri)


def _run_with_data(client: mltrail.MlflowClient, exp_id: str, tmp_path: Path) -> str:
    run_id = client.create_run(exp_id).info.run_id
    for step in range(5):
        client.log_metric(run_id, "loss", 1 / (step + 1), step=step)
    client.log_param(run_id, "lr", "0.1")
    client.log_text(run_id, "x" * 1000, "notes/big.txt")
    return run_id


def _artifact_dir(client: mltrail.MlflowClient, run_id: str) -> Path:
    uri = client.get_run(run_id).info.artifact_uri or ""
    return Path(uri.removeprefix("file://"))


def test_gc_removes_deleted_runs_and_experiments(
    client: mltrail.MlflowClient, db_uri: str, tmp_path: Path
) -> None:
    exp_a = client.create_experiment("keep")
    kept = _run_with_data(client, exp_a, tmp_path)
    doomed = _run_with_data(client, exp_a, tmp_path)
    doomed_dir = _artifact_dir(client, doomed)
    exp_b = client.create_experiment("drop")
    in_b = _run_with_data(client, exp_b, tmp_path)
    b_dir = _artifact_dir(client, in_b)
    client.delete_run(doomed)
    client.delete_experiment(exp_b)

    dry = CliRunner().invoke(cli, ["gc", "--backend-store-uri", db_uri, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would remove 2 run(s) and 1 experiment(s): 10 metric point(s), 2 artifact file(s)" in (
        dry.output
    )
    assert client.get_run(doomed).info.lifecycle_stage == "deleted"
    assert doomed_dir.exists()

    young = CliRunner().invoke(cli, ["gc", "--backend-store-uri", db_uri, "--older-than", "1d"])
    assert young.exit_code == 0, young.output
    assert "Removing 0 run(s) and 0 experiment(s)" in young.output

    done = CliRunner().invoke(cli, ["gc", "--backend-store-uri", db_uri])
    assert done.exit_code == 0, done.output
    for gone in (doomed, in_b):
        with pytest.raises(MlflowException, match="not found"):
            client.get_run(gone)
    assert not doomed_dir.exists()
    assert not b_dir.exists()
    with pytest.raises(MlflowException):
        client.get_experiment(exp_b)
    assert client.create_experiment("drop")  # the name is free again
    assert [m.step for m in client.get_metric_history(kept, "loss")] == list(range(5))
    assert _artifact_dir(client, kept).exists()

    again = CliRunner().invoke(cli, ["gc", "--backend-store-uri", db_uri])
    assert "Removing 0 run(s)" in again.output


def test_gc_finishes_after_an_interruption(
    client: mltrail.MlflowClient, db_uri: str, tmp_path: Path
) -> None:
    run_id = _run_with_data(client, "0", tmp_path)
    folder = _artifact_dir(client, run_id)
    client.delete_run(run_id)
    # An earlier collection removed the files and stopped before the rows.
    for f in sorted(folder.rglob("*"), reverse=True):
        f.unlink() if f.is_file() else f.rmdir()
    result = CliRunner().invoke(cli, ["gc", "--backend-store-uri", db_uri, "--run-ids", run_id])
    assert result.exit_code == 0, result.output
    with pytest.raises(MlflowException):
        client.get_run(run_id)


@pytest.mark.parametrize(
    ("text", "ms"), [("45s", 45_000), ("1d2h", 93_600_000), ("1m30s", 90_000), ("0.5h", 1_800_000)]
)
def test_durations(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["", "5", "1x", "d1", "1d x"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_duration(text)
