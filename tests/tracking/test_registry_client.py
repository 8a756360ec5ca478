"""The model registry through MlflowClient, register_model and the model URI resolver, both
embedded (SQLite) and against a live server, so local and remote behaviour cannot drift."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import mltrail
from mltrail import artifacts
from mltrail.entities import ModelVersion, RegisteredModel
from mltrail.exceptions import InvalidParameterValue, MlflowException, ResourceDoesNotExist
from mltrail.tracking import context
from mltrail.tracking.artifacts import repository_for
from mltrail.tracking.client import MlflowClient
from mltrail.tracking.model_uris import ModelUri, parse_model_uri, resolve_model_uri


@pytest.fixture(params=["local", "rest"])
def tracking_uri(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    module_server_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    if request.param == "rest":
        uri = module_server_url
    else:
        monkeypatch.chdir(tmp_path)
        uri = f"sqlite:///{tmp_path / 'mltrail.db'}"
    mltrail.set_tracking_uri(uri)
    yield uri
    mltrail.set_tracking_uri("")
    context.set_registry_uri(None)


@pytest.fixture
def client(tracking_uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri)


def _name() -> str:
    return "m-" + uuid.uuid4().hex[:10]


def test_registered_model_round_trip(client: MlflowClient) -> None:
    name = _name()
    created = client.create_registered_model(name, tags={"n": 1}, description="d")
    assert isinstance(created, RegisteredModel)
    assert created.tags == {"n": "1"}
    client.set_registered_model_tag(name, "team", "risk")
    client.update_registered_model(name, description="e")
    renamed = client.rename_registered_model(name, name + "-x")
    assert renamed.name == name + "-x"
    got = client.get_registered_model(name + "-x")
    assert (got.description, got.tags) == ("e", {"n": "1", "team": "risk"})
    client.delete_registered_model_tag(name + "-x", "n")
    client.delete_registered_model(name + "-x")
    with pytest.raises(MlflowException, match="not found") as info:
        client.get_registered_model(name + "-x")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_versions_aliases_stages_and_search(client: MlflowClient) -> None:
    name = _name()
    client.create_registered_model(name)
    v1 = client.create_model_version(name, "s3://bucket/one", tags={"k": "v"}, description="x")
    v2 = client.create_model_version(name, "s3://bucket/two")
    assert isinstance(v1, ModelVersion)
    assert (v1.version, v2.version) == ("1", "2")
    client.set_registered_model_alias(name, "champion", 2)
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    assert client.get_registered_model(name).aliases == {"champion": "2"}
    client.transition_model_version_stage(name, 1, "Production")
    client.transition_model_version_stage(name, 2, "production", archive_existing_versions=True)
    assert client.get_model_version(name, 1).current_stage == "Archived"
    assert [v.version for v in client.get_latest_versions(name, ["Production"])] == ["2"]
    client.set_model_version_tag(name, "2", "validated", "yes")
    client.set_model_version_tag(name, key="by-stage", value="1", stage="Production")
    assert client.get_model_version(name, 2).tags == {"validated": "yes", "by-stage": "1"}
    client.delete_model_version_tag(name, "2", "by-stage")
    found = client.search_model_versions(f"name = '{name}' AND tags.validated = 'yes'")
    assert [v.version for v in found] == ["2"]
    page = client.search_registered_models(f"name = '{name}'", max_results=1)
    assert [m.name for m in page] == [name]
    assert client.update_model_version(name, 1, "new").description == "new"
    assert client.get_model_version_download_uri(name, 1) == "s3://bucket/one"
    client.delete_registered_model_alias(name, "champion")
    client.delete_model_version(name, 1)
    with pytest.raises(ResourceDoesNotExist, match="version=1"):
        client.get_model_version(name, 1)
    assert client.get_model_version_stages(name, 2) == ["None", "Staging", "Production", "Archived"]


def test_alias_errors(client: MlflowClient) -> None:
    name = _name()
    client.create_registered_model(name)
    with pytest.raises(InvalidParameterValue, match="alias nope not found"):
        client.get_model_version_by_alias(name, "nope")
    client.create_model_version(name, "s3://b/1")
    with pytest.raises(InvalidParameterValue, match="reserved"):
        client.set_registered_model_alias(name, "latest", 1)


def test_copy_model_version_by_alias(client: MlflowClient) -> None:
    src, dst = _name(), _name()
    client.create_registered_model(src)
    client.create_model_version(src, "s3://b/orig", tags={"k": "v"})
    client.set_registered_model_alias(src, "champion", 1)
    copied = client.copy_model_version(f"models:/{src}@champion", dst)
    assert (copied.name, copied.version, copied.source) == (dst, "1", f"models:/{src}/1")
    assert copied.tags == {"k": "v"}
    assert resolve_model_uri(f"models:/{dst}/1") == "s3://b/orig"


def test_register_model_from_run_logged_model_and_registry(client: MlflowClient) -> None:
    mltrail.set_experiment("reg-" + uuid.uuid4().hex[:8])
    with mltrail.start_run() as run:
        run_id = run.info.run_id
    exp_id = run.info.experiment_id
    logged = client.create_logged_model(exp_id, name="clf", source_run_id=run_id)
    name = _name()
    from_run = mltrail.register_model(f"runs:/{run_id}/clf", name, tags={"from": "run"})
    assert (from_run.version, from_run.run_id) == ("1", run_id)
    assert from_run.model_id == logged.model_id
    assert from_run.source == f"models:/{logged.model_id}"
    assert from_run.tags == {"from": "run"}
    from_model = mltrail.register_model(f"models:/{logged.model_id}", name)
    assert (from_model.version, from_model.model_id) == ("2", logged.model_id)
    assert from_model.run_id == run_id
    again = mltrail.register_model(f"models:/{name}/2", name)
    assert (again.version, again.model_id, again.run_id) == ("3", logged.model_id, run_id)
    client.set_registered_model_alias(name, "champion", 2)
    assert resolve_model_uri(f"models:/{name}@champion") == logged.artifact_location
    assert resolve_model_uri(f"models:/{name}/latest") == logged.artifact_location
    assert resolve_model_uri(f"models:/{logged.model_id}/sub") == logged.artifact_location + "/sub"
    run_root = client.get_run(run_id).info.artifact_uri
    assert resolve_model_uri(f"runs:/{run_id}/model") == f"{run_root}/model"


def test_resolver_errors(client: MlflowClient) -> None:
    name = _name()
    client.create_registered_model(name)
    with pytest.raises(ResourceDoesNotExist, match="no version in stage 'Production'"):
        resolve_model_uri(f"models:/{name}/Production")
    with pytest.raises(InvalidParameterValue, match="neither a version"):
        resolve_model_uri(f"models:/{name}/nonsense")
    assert resolve_model_uri("s3://bucket/x") == "s3://bucket/x"


def test_audit_events_through_the_client(client: MlflowClient) -> None:
    name = _name()
    client.create_registered_model(name)
    client.create_model_version(name, "s3://b/1")
    client.set_registered_model_alias(name, "a", 1)
    actions = [e.action for e in client.list_registry_audit_events(model_name=name)]
    assert actions == [
        "create_registered_model",
        "create_model_version",
        "set_registered_model_alias",
    ]


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/fraud/3", ModelUri(name="fraud", version="3")),
        ("models:/fraud/3/sub/dir", ModelUri(name="fraud", version="3", path="sub/dir")),
        ("models:/fraud@champion", ModelUri(name="fraud", alias="champion")),
        ("models:/fraud/latest", ModelUri(name="fraud", stage="latest")),
        ("models:/fraud/staging", ModelUri(name="fraud", stage="Staging")),
        ("models:/m-" + "a" * 32, ModelUri(model_id="m-" + "a" * 32)),
    ],
    ids=["version", "version-path", "alias", "latest", "stage", "model-id"],
)
def test_parse_model_uri(uri: str, expected: ModelUri) -> None:
    assert parse_model_uri(uri) == expected


@pytest.mark.parametrize(
    "uri",
    ["models:/", "models:/fraud", "models:/@x", "s3://x"],
    ids=["empty", "bare", "no-name", "s3"],
)
def test_parse_model_uri_rejects_malformed(uri: str) -> None:
    with pytest.raises(InvalidParameterValue, match="Invalid model URI"):
        parse_model_uri(uri)


def test_download_artifacts_by_registry_uri(client: MlflowClient, tmp_path: Path) -> None:
    logged = client.create_logged_model("0", name="clf")
    model_file = tmp_path / "MLmodel"
    model_file.write_text("flavors: {}\n")
    repository_for(logged.artifact_location, client.tracking_uri).log_artifact(str(model_file))
    name = _name()
    mltrail.register_model(f"models:/{logged.model_id}", name)
    client.set_registered_model_alias(name, "champion", 1)
    whole = artifacts.download_artifacts(f"models:/{name}@champion", dst_path=str(tmp_path / "a"))
    assert (Path(whole) / "MLmodel").read_text() == "flavors: {}\n"
    one = artifacts.download_artifacts(f"models:/{name}/1/MLmodel", dst_path=str(tmp_path / "b"))
    assert Path(one).read_text() == "flavors: {}\n"
