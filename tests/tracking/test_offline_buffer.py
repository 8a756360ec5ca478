"""Resilient logging: with the server down, asynchronous logging journals to disk instead of
failing, and the journal is replayed in order and exactly once when the server is back or by
`mltrail sync`."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import mltrail
from mltrail import config
from mltrail.cli.main import cli
from mltrail.entities import Metric
from mltrail.tracking import batching
from tests.live_server import serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def offline_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    journal_dir = tmp_path / "journal"
    monkeypatch.setenv("MLTRAIL_OFFLINE_BUFFER_DIR", str(journal_dir))
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_BACKOFF_FACTOR", "0.01")
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_BACKOFF_JITTER", "0")
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_TIMEOUT", "5")
    config.reload_settings()
    return journal_dir


def _server_settings(tmp_path: Path) -> config.Settings:
    return config.Settings(
        backend_store_uri=f"sqlite:///{tmp_path / 'server.db'}",
        default_artifact_root=str(tmp_path / "art"),
    )


def test_outage_is_buffered_then_replayed_in_order(offline_env: Path, tmp_path: Path) -> None:
    port = _free_port()
    settings = _server_settings(tmp_path)
    with serve(settings, port) as url:
        client = mltrail.MlflowClient(url)
        run_id = client.create_run("0").info.run_id
        client.log_metric(run_id, "loss", 0.0, step=0, synchronous=False).wait()
    # The server is down now: logging goes on, nothing is raised, the journal fills up.
    for step in range(1, 301):
        client.log_metric(run_id, "loss", step / 10, step=step, timestamp=step, synchronous=False)
    client.log_param(run_id, "lr", "0.1", synchronous=False)
    batching.flush(run_id)
    journals = list(offline_env.rglob("*.jsonl"))
    assert journals, "batches for the unreachable server were not journaled"
    assert (journals[0].parent / "target").read_text().strip() == url

    with serve(settings, port):
        batching.flush(run_id)  # the flush replays what the journal holds
        assert list(offline_env.rglob("*.jsonl")) == []
        history = client.get_metric_history(run_id, "loss")
        assert [m.step for m in history] == list(range(301))
        assert client.get_run(run_id).data.params == {"lr": "0.1"}
        # Logging after the outage goes straight to the server again.
        client.log_metric(run_id, "loss", 99.0, step=999, synchronous=False).wait()
        assert client.get_metric_history(run_id, "loss")[-1].step == 999


def test_sync_command_replays_a_dead_process_journal(offline_env: Path, tmp_path: Path) -> None:
    port = _free_port()
    settings = _server_settings(tmp_path)
    with serve(settings, port) as url:
        run_id = mltrail.MlflowClient(url).create_run("0").info.run_id
    script = textwrap.dedent(
        f"""
        import mltrail
        client = mltrail.MlflowClient({url!r})
        for step in range(50):
            client.log_metric({run_id!r}, "acc", step / 50, step=step, timestamp=step,
                              synchronous=False)
        """
    )
    env = config.environ_for_child()
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "unreachable" in done.stderr
    assert list(offline_env.rglob("*.jsonl"))

    with serve(settings, port):
        result = CliRunner().invoke(cli, ["sync", str(offline_env)])
        assert result.exit_code == 0, result.output
        assert f"Sent 1 batch(es) to {url}" in result.output
        again = CliRunner().invoke(cli, ["sync", str(offline_env)])
        assert again.exit_code == 0, again.output
        history = mltrail.MlflowClient(url).get_metric_history(run_id, "acc")
        assert [m.step for m in history] == list(range(50))


def test_replaying_the_same_batch_twice_stores_it_once(tmp_path: Path) -> None:
    with serve(_server_settings(tmp_path)) as url:
        client = mltrail.MlflowClient(url)
        run_id = client.create_run("0").info.run_id
        batch = [Metric("m", i * 1.5, 10 + i, i) for i in range(20)]
        for _ in range(2):
            client.log_batch(run_id, metrics=batch, params=[mltrail.entities.Param("p", "1")])
        assert len(client.get_metric_history(run_id, "m")) == 20


def test_sync_without_journals_says_so(tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["sync", str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert "No offline journal folder" in missing.output
    (tmp_path / "empty").mkdir()
    empty = CliRunner().invoke(cli, ["sync", str(tmp_path / "empty")])
    assert empty.exit_code == 0
    assert "No journals" in empty.output
