"""The official MLflow client drives the model registry on a live ``mltrail server``, and the
observations are compared with the same scenario on ``mlflow server`` (3.17.2).

The scenario runs in a fresh interpreter per server (MLflow keeps process-global state). It
records, step by step, what the client got back: registered models and versions with times
dropped and run ids replaced by labels, and the error code of each call that should fail.
Running this file as a script (``python this_file.py OUT.json`` with ``MLFLOW_TRACKING_URI``
set) runs the scenario.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.compat.scenario import run_scenario

pytestmark = pytest.mark.slow

SCENARIO_TIMEOUT_S = 180


def _scenario_main(out_path: str) -> None:
    """Run the registry scenario against ``$MLFLOW_TRACKING_URI``; write observations as JSON."""
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)

    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    labels: dict[str, str] = {}
    out: dict[str, Any] = {}

    def relabel(text: str | None) -> str | None:
        if text is None:
            return None
        for run_id, label in labels.items():
            text = text.replace(run_id, label)
        return text

    def version(mv: Any) -> dict[str, Any]:
        return {
            "name": mv.name,
            "version": str(mv.version),
            "stage": mv.current_stage,
            "description": mv.description,
            "source": relabel(mv.source),
            "run_id": relabel(mv.run_id),
            "status": mv.status,
            "tags": dict(sorted(mv.tags.items())),
            "aliases": sorted(mv.aliases),
            "has_times": bool(mv.creation_timestamp and mv.last_updated_timestamp),
        }

    def model(rm: Any) -> dict[str, Any]:
        return {
            "name": rm.name,
            "description": rm.description,
            "tags": dict(sorted(rm.tags.items())),
            "aliases": {k: str(v) for k, v in sorted(rm.aliases.items())},
            "latest": sorted((v.current_stage, str(v.version)) for v in rm.latest_versions),
        }

    def error(fn: Any) -> str:
        try:
            fn()
        except MlflowException as exc:
            return str(exc.error_code)
        return "no error"

    with mlflow.start_run() as run:
        labels[run.info.run_id] = "run:1"
    run_id = run.info.run_id

    out["create"] = model(client.create_registered_model("fraud", {"team": "risk"}, "d"))
    out["create_duplicate"] = error(lambda: client.create_registered_model("fraud"))
    out["get_missing"] = error(lambda: client.get_registered_model("nope"))
    v1 = client.create_model_version("fraud", f"runs:/{run_id}/model", run_id, tags={"k": "v"})
    v2 = client.create_model_version("fraud", "s3://bucket/two", description="second")
    out["versions"] = [version(v1), version(v2)]
    out["version_of_missing_model"] = error(lambda: client.create_model_version("nope", "s3://b/x"))
    out["missing_version"] = error(lambda: client.get_model_version("fraud", "9"))
    out["bad_version"] = error(lambda: client.get_model_version("fraud", "abc"))

    client.set_registered_model_alias("fraud", "champion", "1")
    client.set_registered_model_alias("fraud", "champion", "2")
    client.set_registered_model_alias("fraud", "challenger", "1")
    out["by_alias"] = version(client.get_model_version_by_alias("fraud", "champion"))
    out["missing_alias"] = error(lambda: client.get_model_version_by_alias("fraud", "nope"))
    out["reserved_alias"] = error(lambda: client.set_registered_model_alias("fraud", "latest", 1))
    out["alias_to_missing"] = error(lambda: client.set_registered_model_alias("fraud", "x", 9))
    client.delete_registered_model_alias("fraud", "challenger")

    client.transition_model_version_stage("fraud", "1", "production")
    staged = client.transition_model_version_stage("fraud", "2", "Production", True)
    out["transition"] = version(staged)
    out["after_archive"] = version(client.get_model_version("fraud", "1"))
    out["bad_stage"] = error(lambda: client.transition_model_version_stage("fraud", "1", "foo"))
    out["latest_production"] = [
        version(v) for v in client.get_latest_versions("fraud", stages=["Production"])
    ]

    client.set_registered_model_tag("fraud", "owner", "alice")
    client.delete_registered_model_tag("fraud", "team")
    client.set_model_version_tag("fraud", "2", "validated", "yes")
    client.delete_model_version_tag("fraud", "1", "k")
    client.update_registered_model("fraud", "new description")
    client.update_model_version("fraud", "1", "first")
    out["model_after_edits"] = model(client.get_registered_model("fraud"))
    out["download_uri"] = relabel(client.get_model_version_download_uri("fraud", "2"))

    for i in range(3):
        client.create_registered_model(f"search-{i}", tags={"i": str(i)})
    page = client.search_registered_models("name LIKE 'search-%'", max_results=2)
    rest = client.search_registered_models(
        "name LIKE 'search-%'", max_results=2, page_token=page.token
    )
    out["search_models"] = [[m.name for m in page], [m.name for m in rest], rest.token is None]
    out["search_models_by_tag"] = [m.name for m in client.search_registered_models("tags.i='1'")]
    out["search_versions"] = sorted(
        (v.name, str(v.version))
        for v in client.search_model_versions("name = 'fraud' AND tags.validated = 'yes'")
    )
    out["search_versions_by_run"] = sorted(
        str(v.version) for v in client.search_model_versions(f"run_id = '{run_id}'")
    )
    out["search_bad_key"] = error(lambda: client.search_model_versions("foo = 'x'"))

    client.rename_registered_model("fraud", "fraud-v2")
    out["rename"] = model(client.get_registered_model("fraud-v2"))
    out["old_name_gone"] = error(lambda: client.get_registered_model("fraud"))
    out["copy"] = version(client.copy_model_version("models:/fraud-v2@champion", "fraud-copy"))

    logged = client.create_logged_model(run.info.experiment_id, "model", source_run_id=run_id)
    labels[logged.model_id] = "model:1"
    registered = mlflow.register_model(f"runs:/{run_id}/model", "fraud-v2")
    out["register_model"] = version(registered)

    client.delete_model_version("fraud-v2", "1")
    out["deleted_version"] = error(lambda: client.get_model_version("fraud-v2", "1"))
    out["next_after_delete"] = version(client.create_model_version("fraud-v2", "s3://b/4"))
    client.delete_registered_model("fraud-copy")
    out["deleted_model"] = error(lambda: client.get_registered_model("fraud-copy"))
    Path(out_path).write_text(json.dumps(out, indent=1, sort_keys=True))


def scenario(tracking_uri: str) -> dict[str, Any]:
    """Run the scenario in a fresh interpreter against ``tracking_uri``; return its results."""
    return run_scenario(__file__, tracking_uri, SCENARIO_TIMEOUT_S, prefix="compat-registry-")


@pytest.fixture(scope="module")
def mltrail_result(mltrail_server_url: str) -> dict[str, Any]:
    return scenario(mltrail_server_url)


@pytest.fixture(scope="module")
def mlflow_result(mlflow_server_url: str) -> dict[str, Any]:
    return scenario(mlflow_server_url)


def test_registry_scenario_on_mltrail(mltrail_result: dict[str, Any]) -> None:
    r = mltrail_result
    assert r["create_duplicate"] == "RESOURCE_ALREADY_EXISTS"
    assert r["get_missing"] == "RESOURCE_DOES_NOT_EXIST"
    assert [v["version"] for v in r["versions"]] == ["1", "2"]
    assert r["by_alias"]["version"] == "2"
    assert r["missing_alias"] == "INVALID_PARAMETER_VALUE"
    assert r["after_archive"]["stage"] == "Archived"
    assert r["model_after_edits"]["aliases"] == {"champion": "2"}
    assert r["copy"]["source"] == "models:/fraud-v2/2"
    assert r["register_model"]["version"] == "3"
    assert r["register_model"]["source"] == "models:/model:1"
    assert r["next_after_delete"]["version"] == "4"
    assert r["deleted_model"] == "RESOURCE_DOES_NOT_EXIST"


SECTIONS = [
    "create",
    "create_duplicate",
    "get_missing",
    "versions",
    "version_of_missing_model",
    "missing_version",
    "bad_version",
    "by_alias",
    "missing_alias",
    "reserved_alias",
    "alias_to_missing",
    "transition",
    "after_archive",
    "bad_stage",
    "latest_production",
    "model_after_edits",
    "download_uri",
    "search_models",
    "search_models_by_tag",
    "search_versions",
    "search_versions_by_run",
    "search_bad_key",
    "rename",
    "old_name_gone",
    "copy",
    "register_model",
    "deleted_version",
    "next_after_delete",
    "deleted_model",
]


@pytest.mark.parametrize("section", SECTIONS)
def test_same_as_mlflow(
    section: str, mltrail_result: dict[str, Any], mlflow_result: dict[str, Any]
) -> None:
    assert mltrail_result[section] == mlflow_result[section]


if __name__ == "__main__":
    _scenario_main(sys.argv[1])
