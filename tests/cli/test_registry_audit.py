"""`mltrail registry audit`: the registry's audit trail on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import mltrail
from mltrail.cli.main import cli
from mltrail.cli.registry import parse_since


@pytest.fixture
def uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'mltrail.db'}"
    client = mltrail.MlflowClient(db)
    client.create_registered_model("fraud")
    client.create_registered_model("other")
    client.create_model_version("fraud", "s3://b/1")
    client.set_registered_model_alias("fraud", "champion", 1)
    return db


def test_audit_lists_events_of_one_model(uri: str) -> None:
    result = CliRunner().invoke(
        cli, ["registry", "audit", "--tracking-uri", uri, "--model", "fraud"]
    )
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines()]
    assert [r[2] for r in rows] == [
        "create_registered_model",
        "create_model_version",
        "set_registered_model_alias",
    ]
    assert rows[2][3:8] == ["fraud", "1", "champion", "-", "1"]


def test_audit_json_and_since(uri: str) -> None:
    result = CliRunner().invoke(cli, ["registry", "audit", "--tracking-uri", uri, "--json"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines()]
    assert {e["model_name"] for e in events} == {"fraud", "other"}
    future = str(events[-1]["timestamp"] + 1)
    later = CliRunner().invoke(cli, ["registry", "audit", "--tracking-uri", uri, "--since", future])
    assert later.exit_code == 0
    assert later.output == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1700000000000", 1_700_000_000_000), ("2023-11-14T22:13:20", 1_700_000_000_000)],
    ids=["epoch-ms", "iso"],
)
def test_parse_since(text: str, expected: int) -> None:
    assert parse_since(text) == expected


def test_parse_since_rejects_garbage() -> None:
    with pytest.raises(click.BadParameter, match="not a duration"):
        parse_since("yesterday-ish")
