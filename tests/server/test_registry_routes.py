"""The registry routes over raw HTTP: MLflow's request/response shapes and error bodies."""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mltrail.protocol import registry as wire
from mltrail.protocol import tracking as tracking_wire
from mltrail.protocol.endpoint import Endpoint


class Api:
    """A raw JSON client of one server, under ``/api/2.0`` or ``/ajax-api/2.0``."""

    def __init__(self, base: str, prefix: str = "/api/2.0") -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.prefix = prefix

    def call(self, endpoint: Endpoint, body: dict[str, Any] | None = None) -> dict[str, Any]:
        resp = self.raw(endpoint, body)
        assert resp.status_code == 200, resp.text
        data = resp.json()
        endpoint.response.model_validate(data)
        return data  # type: ignore[no-any-return]

    def raw(
        self, endpoint: Endpoint, body: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        path = self.prefix + endpoint.path
        if endpoint.method == "GET":
            return self.http.get(path, params=body or {}, **kw)
        return self.http.request(endpoint.method, path, json=body or {}, **kw)


@pytest.fixture(params=["/api/2.0", "/ajax-api/2.0"], ids=["api", "ajax-api"])
def api(module_server_url: str, request: pytest.FixtureRequest) -> Iterator[Api]:
    client = Api(module_server_url, request.param)
    yield client
    client.http.close()


def _name() -> str:
    return "model-" + uuid.uuid4().hex[:8]


def test_registered_model_lifecycle(api: Api) -> None:
    name = _name()
    created = api.call(
        wire.CREATE_REGISTERED_MODEL,
        {"name": name, "tags": [{"key": "team", "value": "risk"}], "description": "d"},
    )["registered_model"]
    assert created["name"] == name
    assert created["tags"] == [{"key": "team", "value": "risk"}]
    assert isinstance(created["creation_timestamp"], int)
    assert "latest_versions" not in created  # empty fields are omitted
    got = api.call(wire.GET_REGISTERED_MODEL, {"name": name})["registered_model"]
    assert got["description"] == "d"
    updated = api.call(wire.UPDATE_REGISTERED_MODEL, {"name": name, "description": "e"})
    assert updated["registered_model"]["description"] == "e"
    renamed = api.call(wire.RENAME_REGISTERED_MODEL, {"name": name, "new_name": name + "-2"})
    assert renamed["registered_model"]["name"] == name + "-2"
    assert api.call(wire.DELETE_REGISTERED_MODEL, {"name": name + "-2"}) == {}
    missing = api.raw(wire.GET_REGISTERED_MODEL, {"name": name + "-2"})
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_create_duplicate_and_missing_name_errors(api: Api) -> None:
    name = _name()
    api.call(wire.CREATE_REGISTERED_MODEL, {"name": name})
    dup = api.raw(wire.CREATE_REGISTERED_MODEL, {"name": name})
    assert dup.status_code == 400
    assert dup.json() == {
        "error_code": "RESOURCE_ALREADY_EXISTS",
        "message": f"Registered Model (name={name}) already exists.",
    }
    missing = api.raw(wire.CREATE_REGISTERED_MODEL, {})
    assert missing.status_code == 400
    assert missing.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "'name'" in missing.json()["message"]


def test_versions_tags_aliases_and_stages(api: Api) -> None:
    name = _name()
    api.call(wire.CREATE_REGISTERED_MODEL, {"name": name})
    run = api.call(tracking_wire.CREATE_RUN, {"experiment_id": "0", "start_time": 1})
    run_id = run["run"]["info"]["run_id"]
    mv = api.call(
        wire.CREATE_MODEL_VERSION,
        {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id},
    )["model_version"]
    assert mv["version"] == "1"
    assert mv["status"] == "READY"
    assert mv["current_stage"] == "None"
    api.call(wire.CREATE_MODEL_VERSION, {"name": name, "source": "s3://b/2"})
    api.call(wire.SET_MODEL_VERSION_TAG, {"name": name, "version": "1", "key": "k", "value": "v"})
    api.call(wire.SET_REGISTERED_MODEL_TAG, {"name": name, "key": "owner", "value": "me"})
    api.call(wire.SET_REGISTERED_MODEL_ALIAS, {"name": name, "alias": "champion", "version": 1})
    by_alias = api.call(wire.GET_MODEL_VERSION_BY_ALIAS, {"name": name, "alias": "champion"})
    assert by_alias["model_version"]["aliases"] == ["champion"]
    assert by_alias["model_version"]["tags"] == [{"key": "k", "value": "v"}]
    moved = api.call(
        wire.TRANSITION_MODEL_VERSION_STAGE,
        {"name": name, "version": "2", "stage": "Production", "archive_existing_versions": True},
    )
    assert moved["model_version"]["current_stage"] == "Production"
    latest = api.call(wire.GET_LATEST_VERSIONS, {"name": name, "stages": ["Production"]})
    assert [v["version"] for v in latest["model_versions"]] == ["2"]
    latest_get = api.call(wire.GET_LATEST_VERSIONS_GET, {"name": name, "stages": ["None"]})
    assert [v["version"] for v in latest_get["model_versions"]] == ["1"]
    uri = api.call(wire.GET_MODEL_VERSION_DOWNLOAD_URI, {"name": name, "version": "1"})
    assert uri == {"artifact_uri": f"runs:/{run_id}/model"}
    model = api.call(wire.GET_REGISTERED_MODEL, {"name": name})["registered_model"]
    assert model["aliases"] == [{"alias": "champion", "version": "1"}]
    assert {v["version"] for v in model["latest_versions"]} == {"1", "2"}
    api.call(wire.DELETE_REGISTERED_MODEL_ALIAS, {"name": name, "alias": "champion"})
    api.call(wire.DELETE_MODEL_VERSION_TAG, {"name": name, "version": "1", "key": "k"})
    api.call(wire.DELETE_REGISTERED_MODEL_TAG, {"name": name, "key": "owner"})
    api.call(wire.UPDATE_MODEL_VERSION, {"name": name, "version": "1", "description": "x"})
    api.call(wire.DELETE_MODEL_VERSION, {"name": name, "version": "2"})
    gone = api.raw(wire.GET_MODEL_VERSION, {"name": name, "version": "2"})
    assert gone.status_code == 404
    assert gone.json()["message"] == f"Model Version (name={name}, version=2) not found"


def test_delete_fields_are_read_from_the_query_string_too(api: Api) -> None:
    name = _name()
    api.call(wire.CREATE_REGISTERED_MODEL, {"name": name})
    api.call(wire.CREATE_MODEL_VERSION, {"name": name, "source": "s3://b/1"})
    api.call(wire.SET_REGISTERED_MODEL_ALIAS, {"name": name, "alias": "a", "version": "1"})
    resp = api.http.delete(
        api.prefix + wire.DELETE_REGISTERED_MODEL_ALIAS.path, params={"name": name, "alias": "a"}
    )
    assert resp.status_code == 200, resp.text
    model = api.call(wire.GET_REGISTERED_MODEL, {"name": name})["registered_model"]
    assert "aliases" not in model


def test_search_routes_filter_and_page(api: Api) -> None:
    prefix = "s-" + uuid.uuid4().hex[:6]
    for i in range(3):
        api.call(wire.CREATE_REGISTERED_MODEL, {"name": f"{prefix}-{i}"})
        api.call(
            wire.CREATE_MODEL_VERSION,
            {"name": f"{prefix}-{i}", "source": "s3://b", "tags": [{"key": "i", "value": str(i)}]},
        )
    page = api.call(
        wire.SEARCH_REGISTERED_MODELS,
        {"filter": f"name LIKE '{prefix}%'", "max_results": 2, "order_by": ["name DESC"]},
    )
    assert [m["name"] for m in page["registered_models"]] == [f"{prefix}-2", f"{prefix}-1"]
    rest = api.call(
        wire.SEARCH_REGISTERED_MODELS,
        {
            "filter": f"name LIKE '{prefix}%'",
            "max_results": 2,
            "order_by": ["name DESC"],
            "page_token": page["next_page_token"],
        },
    )
    assert [m["name"] for m in rest["registered_models"]] == [f"{prefix}-0"]
    assert "next_page_token" not in rest
    versions = api.call(
        wire.SEARCH_MODEL_VERSIONS, {"filter": f"name LIKE '{prefix}%' AND tags.i = '1'"}
    )
    assert [v["name"] for v in versions["model_versions"]] == [f"{prefix}-1"]
    bad = api.raw(wire.SEARCH_MODEL_VERSIONS, {"filter": "foo = 'x'"})
    assert bad.status_code == 400
    assert bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_alias_errors_use_mlflow_codes(api: Api) -> None:
    name = _name()
    api.call(wire.CREATE_REGISTERED_MODEL, {"name": name})
    missing = api.raw(wire.GET_MODEL_VERSION_BY_ALIAS, {"name": name, "alias": "nope"})
    assert missing.status_code == 400
    assert missing.json() == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "Registered model alias nope not found.",
    }
    bad_version = api.raw(
        wire.SET_REGISTERED_MODEL_ALIAS, {"name": name, "alias": "a", "version": "7"}
    )
    assert bad_version.status_code == 404


def test_audit_route_lists_events_with_user_and_request_id(api: Api) -> None:
    name = _name()
    auth = "Basic " + base64.b64encode(b"carol:secret").decode()
    headers = {"Authorization": auth, "X-Request-Id": "req-42"}
    resp = api.raw(wire.CREATE_REGISTERED_MODEL, {"name": name}, headers=headers)
    assert resp.status_code == 200, resp.text
    api.call(wire.SET_REGISTERED_MODEL_TAG, {"name": name, "key": "k", "value": "v"})
    events = api.call(wire.LIST_AUDIT_EVENTS, {"model_name": name})["events"]
    assert [e["action"] for e in events] == ["create_registered_model", "set_registered_model_tag"]
    assert (events[0]["user_id"], events[0]["request_id"]) == ("carol", "req-42")
    assert events[1]["new_value"] == "v"
    assert len(events[1]["request_id"]) == 32  # generated when the client sends none


def test_two_clients_moving_one_alias_leave_one_winner_and_two_events(
    module_server_url: str,
) -> None:
    name = _name()
    setup = Api(module_server_url)
    setup.call(wire.CREATE_REGISTERED_MODEL, {"name": name})
    for source in ("s3://b/1", "s3://b/2"):
        setup.call(wire.CREATE_MODEL_VERSION, {"name": name, "source": source})
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def point(version: str) -> None:
        api = Api(module_server_url)
        barrier.wait()
        body = {"name": name, "alias": "champion", "version": version}
        statuses.append(api.raw(wire.SET_REGISTERED_MODEL_ALIAS, body).status_code)
        api.http.close()

    threads = [threading.Thread(target=point, args=(v,), name=f"client-{v}") for v in "12"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200, 200]
    winner = setup.call(wire.GET_MODEL_VERSION_BY_ALIAS, {"name": name, "alias": "champion"})
    events = [
        e
        for e in setup.call(wire.LIST_AUDIT_EVENTS, {"model_name": name})["events"]
        if e["action"] == "set_registered_model_alias"
    ]
    assert len(events) == 2
    assert "old_value" not in events[0]
    assert events[1]["old_value"] == events[0]["new_value"]
    assert events[1]["new_value"] == winner["model_version"]["version"]
    setup.http.close()
