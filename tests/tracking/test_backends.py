"""Tracking URI resolution: entry-point backends, one per URI, path rejection, fork reset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import mltrail
from mltrail import config
from mltrail.exceptions import MlflowException
from mltrail.tracking import backends


@pytest.mark.parametrize(
    ("uri", "suggestion"),
    [
        ("/tmp/mlruns", "sqlite:////tmp/mlruns.db"),
        ("./mlruns", "sqlite:///./mlruns.db"),
        ("file:///tmp/mlruns", "sqlite:////tmp/mlruns.db"),
        ("runs.db", "sqlite:///runs.db"),
        ("C:\\runs", "sqlite:///C:\\runs.db"),
    ],
    ids=["absolute-path", "relative-path", "file-uri", "db-file", "windows-path"],
)
def test_paths_and_file_uris_are_rejected_with_a_sqlite_suggestion(
    uri: str, suggestion: str
) -> None:
    with pytest.raises(MlflowException, match="database") as info:
        mltrail.set_tracking_uri(uri)
    assert suggestion in info.value.message
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="sqlite:///"):
        mltrail.MlflowClient(uri)


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(MlflowException, match=r"Known schemes: .*sqlite") as info:
        backends.get_backend("nosuch://user:secret@host/db")
    assert "secret" not in info.value.message
    assert "nosuch" in info.value.message


def test_known_schemes_come_from_entry_points() -> None:
    assert {"sqlite", "postgresql", "mysql"} <= set(backends.known_schemes())


def test_default_tracking_uri_then_environment_then_set(
    sqlite_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert mltrail.get_tracking_uri() == config.DEFAULT_TRACKING_URI
    assert not mltrail.is_tracking_uri_set()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///from-env.db")
    config.reload_settings()
    assert mltrail.get_tracking_uri() == "sqlite:///from-env.db"
    assert mltrail.is_tracking_uri_set()
    mltrail.set_tracking_uri(sqlite_uri)
    assert mltrail.get_tracking_uri() == sqlite_uri
    assert mltrail.MlflowClient().tracking_uri == sqlite_uri
    mltrail.set_tracking_uri("")
    assert mltrail.get_tracking_uri() == "sqlite:///from-env.db"


def test_one_backend_per_tracking_uri(sqlite_uri: str, tmp_path: Path) -> None:
    first = backends.get_backend(sqlite_uri)
    assert backends.get_backend(sqlite_uri) is first
    other = backends.get_backend(f"sqlite:///{tmp_path / 'other.db'}")
    assert other is not first


def test_forked_child_builds_its_own_backend(sqlite_uri: str, tmp_path: Path) -> None:
    parent_backend = backends.get_backend(sqlite_uri)
    experiment_id = mltrail.MlflowClient(sqlite_uri).create_experiment("forked")
    result = tmp_path / "child.txt"
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running pytest's teardown
        code = 1
        try:
            child_backend = backends.get_backend(sqlite_uri)
            name = mltrail.MlflowClient(sqlite_uri).get_experiment(experiment_id).name
            result.write_text(f"{child_backend is parent_backend} {name}")
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert result.read_text() == "False forked"
