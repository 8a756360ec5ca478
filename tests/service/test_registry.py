"""Registry rules of the RegistryService (and its store) on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltrail.config import Settings
from mltrail.entities import ModelVersionStage, ModelVersionStatus
from mltrail.exceptions import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from mltrail.service.actor import acting_as
from mltrail.service.registry import RegistryService
from mltrail.service.services import Services


@pytest.fixture
def services(db_uri: str, tmp_path: Path) -> Iterator[Services]:
    bundle = Services(db_uri, str(tmp_path / "artifacts"), Settings())
    yield bundle
    bundle.close()


@pytest.fixture
def reg(services: Services) -> RegistryService:
    return services.registry


def _actions(reg: RegistryService, name: str) -> list[str]:
    return [e.action for e in reg.list_audit_events(model_name=name)]


# ---------------------------------------------------------------------------- models
def test_create_get_rename_update_delete_model(reg: RegistryService) -> None:
    created = reg.create_registered_model("fraud", tags={"team": "risk"}, description="d")
    assert created.name == "fraud"
    assert created.tags == {"team": "risk"}
    assert created.description == "d"
    assert created.creation_timestamp == created.last_updated_timestamp
    renamed = reg.rename_registered_model("fraud", "fraud-v2")
    assert renamed.name == "fraud-v2"
    with pytest.raises(ResourceDoesNotExist, match="name=fraud not found"):
        reg.get_registered_model("fraud")
    updated = reg.update_registered_model("fraud-v2", description="new")
    assert updated.description == "new"
    reg.delete_registered_model("fraud-v2")
    with pytest.raises(ResourceDoesNotExist, match="fraud-v2"):
        reg.get_registered_model("fraud-v2")


@pytest.mark.parametrize(
    ("name", "error", "pattern"),
    [("", InvalidParameterValue, "Missing value"), ("x" * 300, InvalidParameterValue, "limit")],
    ids=["empty", "too-long"],
)
def test_invalid_model_names_are_rejected(
    reg: RegistryService, name: str, error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        reg.create_registered_model(name)


def test_duplicate_names_are_rejected(reg: RegistryService) -> None:
    reg.create_registered_model("a")
    reg.create_registered_model("b")
    with pytest.raises(ResourceAlreadyExists, match=r"name=a\) already exists"):
        reg.create_registered_model("a")
    with pytest.raises(ResourceAlreadyExists, match=r"name=b\) already exists"):
        reg.rename_registered_model("a", "b")


def test_names_are_case_sensitive(reg: RegistryService) -> None:
    reg.create_registered_model("Model")
    reg.create_registered_model("model")
    assert reg.get_registered_model("Model").name == "Model"


# ---------------------------------------------------------------------------- versions
def test_versions_are_numbered_and_never_reused(reg: RegistryService) -> None:
    reg.create_registered_model("m")
    v1 = reg.create_model_version("m", "s3://b/1", tags={"k": "v"}, description="first")
    v2 = reg.create_model_version("m", "s3://b/2")
    assert (v1.version, v2.version) == ("1", "2")
    assert v1.tags == {"k": "v"}
    assert v1.status == ModelVersionStatus.READY
    assert v1.current_stage == ModelVersionStage.NONE
    reg.delete_model_version("m", "2")
    with pytest.raises(ResourceDoesNotExist, match=r"name=m, version=2\) not found"):
        reg.get_model_version("m", "2")
    assert reg.create_model_version("m", "s3://b/3").version == "3"
    assert reg.get_model_version("m", "1").description == "first"
    assert reg.update_model_version("m", "1", "changed").description == "changed"


def test_version_of_a_missing_model_is_rejected(reg: RegistryService) -> None:
    with pytest.raises(ResourceDoesNotExist, match="name=nope not found"):
        reg.create_model_version("nope", "s3://b/x")
    reg.create_registered_model("m")
    with pytest.raises(InvalidParameterValue, match="must be an integer"):
        reg.get_model_version("m", "abc")


def test_version_links_run_and_logged_model(services: Services) -> None:
    tracking, reg = services.tracking, services.registry
    run = tracking.create_run("0", "me", 1, [], None)
    model = tracking.create_logged_model("0", name="clf", source_run_id=run.info.run_id)
    reg.create_registered_model("m")
    mv = reg.create_model_version("m", f"models:/{model.model_id}")
    assert mv.model_id == model.model_id
    assert mv.run_id == run.info.run_id
    assert reg.get_model_version_download_uri("m", "1") == model.artifact_location
    with pytest.raises(ResourceDoesNotExist, match="Run 'f"):
        reg.create_model_version("m", f"runs:/{'f' * 32}/model")
    with pytest.raises(InvalidParameterValue, match="not the run_id"):
        reg.create_model_version("m", "runs:/x/model", run_id=run.info.run_id)
    with pytest.raises(InvalidParameterValue, match=r"'\.\.' segments"):
        reg.create_model_version("m", "s3://b/../etc")
    with pytest.raises(ResourceDoesNotExist, match="Logged model"):
        reg.create_model_version("m", "models:/m-" + "0" * 32)


def test_concurrent_version_creates_get_distinct_numbers(reg: RegistryService) -> None:
    reg.create_registered_model("m")
    versions: list[str] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            for _ in range(5):
                versions.append(reg.create_model_version("m", "s3://b/x").version)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=create, name=f"creator-{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(int(v) for v in versions) == list(range(1, 21))


# ---------------------------------------------------------------------------- tags and aliases
def test_tags_on_models_and_versions(reg: RegistryService) -> None:
    reg.create_registered_model("m")
    reg.create_model_version("m", "s3://b/1")
    reg.set_registered_model_tag("m", "owner", "a")
    reg.set_registered_model_tag("m", "owner", "b")
    reg.set_model_version_tag("m", "1", "validated", "yes")
    assert reg.get_registered_model("m").tags == {"owner": "b"}
    assert reg.get_model_version("m", "1").tags == {"validated": "yes"}
    reg.delete_registered_model_tag("m", "owner")
    reg.delete_model_version_tag("m", "1", "validated")
    reg.delete_model_version_tag("m", "1", "missing")  # not an error, as in MLflow
    assert reg.get_registered_model("m").tags == {}
    assert reg.get_model_version("m", "1").tags == {}


def test_aliases_point_move_and_follow_deletion(reg: RegistryService) -> None:
    reg.create_registered_model("m")
    reg.create_model_version("m", "s3://b/1")
    reg.create_model_version("m", "s3://b/2")
    reg.set_registered_model_alias("m", "champion", "1")
    assert reg.get_model_version_by_alias("m", "champion").version == "1"
    reg.set_registered_model_alias("m", "champion", "2")
    assert reg.get_registered_model("m").aliases == {"champion": "2"}
    assert reg.get_model_version("m", "2").aliases == ["champion"]
    reg.delete_model_version("m", "2")
    with pytest.raises(InvalidParameterValue, match="alias champion not found"):
        reg.get_model_version_by_alias("m", "champion")
    reg.set_registered_model_alias("m", "c", "1")
    reg.delete_registered_model_alias("m", "c")
    reg.delete_registered_model_alias("m", "c")
    assert reg.get_registered_model("m").aliases == {}


@pytest.mark.parametrize(
    ("alias", "pattern"),
    [("latest", "reserved"), ("V3", "reserved"), ("a/b", "must not contain")],
    ids=["latest", "version-like", "slash"],
)
def test_reserved_aliases_are_rejected(reg: RegistryService, alias: str, pattern: str) -> None:
    reg.create_registered_model("m")
    reg.create_model_version("m", "s3://b/1")
    with pytest.raises(InvalidParameterValue, match=pattern):
        reg.set_registered_model_alias("m", alias, "1")


def test_alias_to_a_missing_version_is_rejected(reg: RegistryService) -> None:
    reg.create_registered_model("m")
    with pytest.raises(ResourceDoesNotExist, match="version=4"):
        reg.set_registered_model_alias("m", "champion", "4")


# ---------------------------------------------------------------------------- stages
def test_transition_archives_existing_versions(reg: RegistryService) -> None:
    reg.create_registered_model("m")
    for i in range(3):
        reg.create_model_version("m", f"s3://b/{i}")
    reg.transition_model_version_stage("m", "1", "production")
    reg.transition_model_version_stage("m", "2", "Staging")
    moved = reg.transition_model_version_stage(
        "m", "3", "Production", archive_existing_versions=True
    )
    assert moved.current_stage == "Production"
    assert reg.get_model_version("m", "1").current_stage == "Archived"
    assert reg.get_model_version("m", "2").current_stage == "Staging"
    latest = reg.get_latest_versions("m")
    assert {(v.current_stage, v.version) for v in latest} == {
        ("Archived", "1"),
        ("Staging", "2"),
        ("Production", "3"),
    }
    assert [v.version for v in reg.get_latest_versions("m", ["production"])] == ["3"]
    with pytest.raises(InvalidParameterValue, match="Invalid Model Version stage: foo"):
        reg.transition_model_version_stage("m", "1", "foo")
    with pytest.raises(InvalidParameterValue, match="not an Active stage"):
        reg.transition_model_version_stage("m", "1", "None", archive_existing_versions=True)


# ---------------------------------------------------------------------------- search
def test_search_registered_models_filters_orders_and_pages(reg: RegistryService) -> None:
    for name in ("alpha", "beta", "gamma", "Alpine"):
        reg.create_registered_model(name, tags={"first": name[0]})
    assert [m.name for m in reg.search_registered_models("name LIKE 'al%'")] == ["alpha"]
    assert [m.name for m in reg.search_registered_models("name ILIKE 'al%'")] == [
        "Alpine",
        "alpha",
    ]
    assert [m.name for m in reg.search_registered_models("tags.first = 'g'")] == ["gamma"]
    page = reg.search_registered_models(max_results=3, order_by=["name DESC"])
    assert [m.name for m in page] == ["gamma", "beta", "alpha"]
    rest = reg.search_registered_models(
        max_results=3, order_by=["name DESC"], page_token=page.token
    )
    assert [m.name for m in rest] == ["Alpine"]
    assert rest.token is None
    with pytest.raises(InvalidParameterValue, match="Invalid attribute key 'foo'"):
        reg.search_registered_models("foo = 'x'")


def test_search_model_versions_filters_and_pages(services: Services) -> None:
    reg = services.registry
    run_id = services.tracking.create_run("0", "me", 1, [], None).info.run_id
    reg.create_registered_model("a")
    reg.create_registered_model("b")
    reg.create_model_version("a", "s3://x/1", tags={"env": "prod"})
    reg.create_model_version("a", f"runs:/{run_id}/model", run_id=run_id)
    reg.create_model_version("b", "s3://x/3", tags={"env": "dev"})
    found = reg.search_model_versions("name = 'a' AND tags.env = 'prod'")
    assert [(v.name, v.version) for v in found] == [("a", "1")]
    assert [v.version for v in reg.search_model_versions(f"run_id = '{run_id}'")] == ["2"]
    assert [v.name for v in reg.search_model_versions("version_number > 1")] == ["a"]
    assert [v.name for v in reg.search_model_versions("run_id IN ('" + run_id + "')")] == ["a"]
    page = reg.search_model_versions(max_results=2)
    assert [(v.name, v.version) for v in page] == [("a", "2"), ("a", "1")]
    assert [(v.name, v.version) for v in reg.search_model_versions(page_token=page.token)] == [
        ("b", "1")
    ]
    with pytest.raises(InvalidParameterValue, match="Invalid attribute key"):
        reg.search_model_versions("foo = 'x'")


# ---------------------------------------------------------------------------- copy and audit
def test_copy_model_version_creates_target(reg: RegistryService) -> None:
    reg.create_registered_model("src")
    reg.create_model_version("src", "s3://b/1", tags={"k": "v"}, description="d")
    copied = reg.copy_model_version("src", "1", "dst")
    assert (copied.name, copied.version, copied.source) == ("dst", "1", "models:/src/1")
    assert copied.tags == {"k": "v"}
    assert reg.get_model_version_download_uri("dst", "1") == "s3://b/1"


def test_every_change_is_audited_with_actor(reg: RegistryService) -> None:
    with acting_as("alice", "req-1"):
        reg.create_registered_model("m")
        reg.create_model_version("m", "s3://b/1")
        reg.set_registered_model_alias("m", "champion", "1")
        reg.set_registered_model_tag("m", "k", "v1")
        reg.set_registered_model_tag("m", "k", "v2")
        reg.transition_model_version_stage("m", "1", "Staging")
        reg.delete_registered_model_alias("m", "champion")
    events = list(reg.list_audit_events(model_name="m"))
    assert [e.action for e in events] == [
        "create_registered_model",
        "create_model_version",
        "set_registered_model_alias",
        "set_registered_model_tag",
        "set_registered_model_tag",
        "transition_model_version_stage",
        "delete_registered_model_alias",
    ]
    assert {e.user_id for e in events} == {"alice"}
    assert {e.request_id for e in events} == {"req-1"}
    tag_change = events[4]
    assert (tag_change.key, tag_change.old_value, tag_change.new_value) == ("k", "v1", "v2")
    stage = events[5]
    assert (stage.version, stage.old_value, stage.new_value) == ("1", "None", "Staging")
    page = reg.list_audit_events(model_name="m", max_results=4)
    assert len(page) == 4
    rest = reg.list_audit_events(model_name="m", max_results=4, page_token=page.token)
    assert [e.action for e in rest] == [e.action for e in events[4:]]
    assert reg.list_audit_events(since=events[-1].timestamp + 10_000) == []


def test_concurrent_alias_moves_leave_one_winner_and_two_events(reg: RegistryService) -> None:
    reg.create_registered_model("m")
    reg.create_model_version("m", "s3://b/1")
    reg.create_model_version("m", "s3://b/2")
    barrier = threading.Barrier(2)

    def point(version: str) -> None:
        barrier.wait()
        reg.set_registered_model_alias("m", "champion", version)

    threads = [threading.Thread(target=point, args=(v,), name=f"alias-{v}") for v in "12"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winner = reg.get_model_version_by_alias("m", "champion").version
    events = [e for e in reg.list_audit_events("m") if e.action == "set_registered_model_alias"]
    assert len(events) == 2
    assert events[0].old_value is None
    assert events[1].old_value == events[0].new_value
    assert events[1].new_value == winner
    assert "delete_registered_model" not in _actions(reg, "m")


def test_search_versions_carries_every_tag_and_alias_in_order(reg: RegistryService) -> None:
    reg.create_registered_model("m")
    for i in range(3):
        reg.create_model_version("m", f"s3://b/{i}", tags={"a": str(i), "b": "x", "c": "y"})
    reg.set_registered_model_alias("m", "one", "2")
    reg.set_registered_model_alias("m", "two", "2")
    found = reg.search_model_versions("tags.b = 'x'", order_by=["version_number ASC"])
    assert [v.version for v in found] == ["1", "2", "3"]
    assert found[1].aliases == ["one", "two"]
    assert found[1].tags == {"a": "1", "b": "x", "c": "y"}
    page = reg.search_model_versions("tags.c = 'y'", max_results=1, order_by=["version_number"])
    assert [(v.version, v.aliases) for v in page] == [("1", [])]
    with pytest.raises(InvalidParameterValue, match="Invalid order_by clause"):
        reg.search_model_versions(order_by=["bogus DESC"])


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name != 'b'", [("a", "2"), ("a", "1")]),
        ("source_path LIKE 's3://x/%'", [("a", "1"), ("b", "1")]),
        ("tags.env != 'prod'", [("a", "2"), ("b", "1")]),
        ("tags.env LIKE 'pr%'", [("a", "1")]),
        ("tags.env ILIKE 'DE%'", [("b", "1")]),
        ("name IN ('b')", [("b", "1")]),
        ("name NOT IN ('b') AND version_number <= 1", [("a", "1")]),
    ],
    ids=["ne", "like", "tag-ne-includes-untagged", "tag-like", "tag-ilike", "in", "not-in"],
)
def test_search_model_versions_operators(
    reg: RegistryService, filter_string: str, expected: list[tuple[str, str]]
) -> None:
    reg.create_registered_model("a")
    reg.create_registered_model("b")
    reg.create_model_version("a", "s3://x/1", tags={"env": "prod"})
    reg.create_model_version("a", "gs://y/2")
    reg.create_model_version("b", "s3://x/3", tags={"env": "dev"})
    found = reg.search_model_versions(filter_string)
    assert [(v.name, v.version) for v in found] == expected
