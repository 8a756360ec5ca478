"""Auth on a live server: authentication, the permission matrix, search filtering, the
artifact proxy, tokens, roles, the audit log and the hardening headers."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic.fields import FieldInfo

from mltrail.config import Settings
from mltrail.protocol.endpoint import Endpoint, Permission, Resource
from mltrail.protocol.endpoints import ENDPOINTS
from mltrail.service.auth import build_auth
from mltrail.store.sql.engine import Database
from mltrail.store.sql.migrations import HEAD_REVISION, current_revision, ensure_schema
from tests.live_server import serve

ADMIN = ("root", "adm1n-S3cret!")
LEVELS = ["NO_PERMISSIONS", "READ", "USE", "EDIT", "MANAGE"]
RANK = {name: i for i, name in enumerate(LEVELS)}
API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"


class World:
    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = httpx.Client(base_url=url, auth=ADMIN, timeout=60)
        self.exp = self.ok(self.admin.post(f"{API}/experiments/create", json={"name": "secret"}))[
            "experiment_id"
        ]
        self.run_id = self.new_run()
        self.ok(self.admin.put(f"{PROXY}/{self.exp}/{self.run_id}/artifacts/a.txt", content=b"hi"))
        self.users: dict[str, httpx.Client] = {}
        for level in LEVELS:
            name = f"user_{level.lower()}"
            self.ok(
                self.admin.post(f"{API}/users/create", json={"username": name, "password": "pw"})
            )
            body = {"experiment_id": self.exp, "username": name, "permission": level}
            self.ok(self.admin.post(f"{API}/experiments/permissions/create", json=body))
            self.users[level] = httpx.Client(base_url=url, auth=(name, "pw"), timeout=60)

    def close(self) -> None:
        self.admin.close()
        for client in self.users.values():
            client.close()

    @staticmethod
    def ok(resp: httpx.Response) -> Any:
        assert resp.status_code == 200, resp.text
        return resp.json()

    def new_run(self) -> str:
        body = {"experiment_id": self.exp, "start_time": 1}
        return str(
            self.ok(self.admin.post(f"{API}/runs/create", json=body))["run"]["info"]["run_id"]
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("auth")
    ini = tmp / "basic_auth.ini"
    ini.write_text(
        "[mlflow]\ndefault_permission = READ\n"
        f"database_uri = sqlite:///{tmp / 'users.db'}\n"
        f"admin_username = {ADMIN[0]}\nadmin_password = {ADMIN[1]}\n"
    )
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp / 'db.sqlite'}",
        artifacts_destination=str(tmp / "dest"),
        auth_enabled=True,
        auth_config_path=str(ini),
    )
    with serve(settings) as url:
        world = World(url)
        yield world
        world.close()


def test_requests_without_credentials_get_401_with_a_challenge(world: World) -> None:
    resp = httpx.get(f"{world.url}{API}/experiments/search", params={"max_results": 5})
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Basic")
    assert resp.json()["error_code"] == "UNAUTHENTICATED"
    assert httpx.get(f"{world.url}/health").status_code == 200


def test_wrong_password_is_rejected(world: World) -> None:
    resp = httpx.get(f"{world.url}{API}/users/current", auth=("user_read", "nope"))
    assert resp.status_code == 401


# (name, method, path builder, body/params builder, needed level)
Op = tuple[str, str, Any, Any, str]
OPS: list[Op] = [
    (
        "get_experiment",
        "GET",
        lambda w: f"{API}/experiments/get",
        lambda w: {"experiment_id": w.exp},
        "READ",
    ),
    ("get_run", "GET", lambda w: f"{API}/runs/get", lambda w: {"run_id": w.run_id}, "READ"),
    (
        "search_runs",
        "POST",
        lambda w: f"{API}/runs/search",
        lambda w: {"experiment_ids": [w.exp]},
        "READ",
    ),
    (
        "list_artifacts",
        "GET",
        lambda w: f"{API}/artifacts/list",
        lambda w: {"run_id": w.run_id},
        "READ",
    ),
    (
        "proxy_download",
        "GET",
        lambda w: f"{PROXY}/{w.exp}/{w.run_id}/artifacts/a.txt",
        lambda w: None,
        "READ",
    ),
    (
        "get_artifact",
        "GET",
        lambda w: "/get-artifact",
        lambda w: {"run_uuid": w.run_id, "path": "a.txt"},
        "READ",
    ),
    (
        "log_metric",
        "POST",
        lambda w: f"{API}/runs/log-metric",
        lambda w: {"run_id": w.run_id, "key": "m", "value": 1.0, "timestamp": 1},
        "EDIT",
    ),
    (
        "set_experiment_tag",
        "POST",
        lambda w: f"{API}/experiments/set-experiment-tag",
        lambda w: {"experiment_id": w.exp, "key": "k", "value": "v"},
        "EDIT",
    ),
    (
        "proxy_upload",
        "PUT",
        lambda w: f"{PROXY}/{w.exp}/{w.run_id}/artifacts/b.txt",
        lambda w: b"x",
        "EDIT",
    ),
    (
        "delete_run",
        "POST",
        lambda w: f"{API}/runs/delete",
        lambda w: {"run_id": w.new_run()},
        "MANAGE",
    ),
    (
        "get_permission",
        "GET",
        lambda w: f"{API}/experiments/permissions/get",
        lambda w: {"experiment_id": w.exp, "username": "user_read"},
        "MANAGE",
    ),
]


def _send(client: httpx.Client, method: str, path: str, payload: Any) -> httpx.Response:
    if method == "GET":
        return client.get(path, params=payload)
    if method == "PUT":
        return client.put(path, content=payload)
    return client.request(method, path, json=payload)


@pytest.mark.parametrize("level", LEVELS, ids=LEVELS)
@pytest.mark.parametrize("op", OPS, ids=[op[0] for op in OPS])
def test_permission_matrix(world: World, level: str, op: Op) -> None:
    _, method, path, payload, need = op
    resp = _send(world.users[level], method, path(world), payload(world))
    expected = 200 if RANK[level] >= RANK[need] else 403
    assert resp.status_code == expected, resp.text


def test_search_experiments_shows_only_readable(world: World) -> None:
    def names(client: httpx.Client) -> set[str]:
        body = world.ok(client.get(f"{API}/experiments/search", params={"max_results": 100}))
        return {e["name"] for e in body.get("experiments", [])}

    assert "secret" not in names(world.users["NO_PERMISSIONS"])
    assert "secret" in names(world.users["READ"])
    assert "secret" in names(world.admin)


def test_creator_gets_manage_on_new_experiment(world: World) -> None:
    client = world.users["READ"]
    exp = world.ok(client.post(f"{API}/experiments/create", json={"name": "mine"}))
    resp = client.post(f"{API}/experiments/delete", json={"experiment_id": exp["experiment_id"]})
    assert resp.status_code == 200, resp.text


def _dummy(info: FieldInfo) -> Any:
    kind = info.annotation
    origin = typing.get_origin(kind)
    if origin is list:
        return []
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    base = args[0] if args else kind
    return {int: 1, float: 1.0, bool: False}.get(base, "x")  # type: ignore[call-overload]


def _trace_location(experiment_id: str) -> dict[str, Any]:
    return {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment_id}}


# Endpoints whose resource is derived from nested fields get a well-formed body.
_NESTED: dict[str, Any] = {
    "StartTraceV3": lambda w: {"trace": {"trace_info": {"trace_location": _trace_location(w.exp)}}},
    "SearchTracesV3": lambda w: {"locations": [_trace_location(w.exp)]},
}


def _request_for(endpoint: Endpoint, world: World, model_id: str) -> tuple[str, Any]:
    if endpoint.name in _NESTED:
        return endpoint.api_path, _NESTED[endpoint.name](world)
    values = {"experiment_id": world.exp, "run_id": world.run_id, "model_id": model_id}
    body: dict[str, Any] = {}
    for name, info in endpoint.request.model_fields.items():
        if info.is_required():
            body[name] = _dummy(info)
    field = endpoint.resource_field
    assert field is not None
    plural = field.endswith("s") and field[:-1] in values
    value = values.get(field[:-1] if plural else field, "secret")
    body[field] = [value] if plural else value
    path = endpoint.api_path.replace("{model_id}", model_id)
    return path, body


SCOPED = [
    e
    for e in ENDPOINTS
    if e.resource in (Resource.EXPERIMENT, Resource.RUN)
    and e.permission in (Permission.READ, Permission.EDIT, Permission.MANAGE)
]


@pytest.mark.parametrize("endpoint", SCOPED, ids=[f"{e.method}-{e.name}" for e in SCOPED])
def test_every_scoped_endpoint_denies_no_permissions(world: World, endpoint: Endpoint) -> None:
    body = {"experiment_id": world.exp, "name": "lm"}
    model_id = world.ok(world.admin.post(f"{API}/logged-models", json=body))["model"]["info"][
        "model_id"
    ]
    path, payload = _request_for(endpoint, world, model_id)
    resp = _send(world.users["NO_PERMISSIONS"], endpoint.method, path, payload)
    assert resp.status_code == 403, resp.text


def test_trace_routes_are_authorized_on_the_trace_experiment(world: World) -> None:
    now = 1_700_000_000_000
    info = {
        "trace_id": "tr-" + "ab" * 16,
        "trace_location": _trace_location(world.exp),
        "request_time": now,
        "state": "OK",
    }
    started = world.admin.post("/api/3.0/mlflow/traces", json={"trace": {"trace_info": info}})
    trace_id = world.ok(started)["trace"]["trace_info"]["trace_id"]
    path = f"/api/3.0/mlflow/traces/{trace_id}"
    assert world.users["NO_PERMISSIONS"].get(path).status_code == 403
    assert world.users["READ"].get(path).status_code == 200
    tags = f"{path}/tags"
    body = {"key": "k", "value": "v"}
    assert world.users["READ"].patch(tags, json=body).status_code == 403
    assert world.users["EDIT"].patch(tags, json=body).status_code == 200


def test_logged_model_file_download_is_authorized_on_its_experiment(world: World) -> None:
    body = {"experiment_id": world.exp, "name": "files"}
    info = world.ok(world.admin.post(f"{API}/logged-models", json=body))["model"]["info"]
    under = info["artifact_uri"].removeprefix("mlflow-artifacts:/")
    world.ok(world.admin.put(f"{PROXY}/{under}/MLmodel", content=b"x"))
    path = f"/ajax-api/2.0/mlflow/logged-models/{info['model_id']}/artifacts/files"
    params = {"artifact_file_path": "MLmodel"}
    assert world.users["NO_PERMISSIONS"].get(path, params=params).status_code == 403
    assert world.users["READ"].get(path, params=params).content == b"x"


def test_token_authenticates_until_revoked(world: World) -> None:
    client = world.users["READ"]
    made = world.ok(client.post(f"{API}/users/tokens/create", json={"name": "ci"}))
    bearer = {"Authorization": f"Bearer {made['secret']}"}
    me = httpx.get(f"{world.url}{API}/users/current", headers=bearer)
    assert me.json()["user"]["username"] == "user_read"
    world.ok(client.post(f"{API}/users/tokens/revoke", json={"token_id": made["token"]["id"]}))
    assert httpx.get(f"{world.url}{API}/users/current", headers=bearer).status_code == 401


def test_non_admin_cannot_manage_users(world: World) -> None:
    resp = world.users["MANAGE"].post(
        f"{API}/users/create", json={"username": "x", "password": "y"}
    )
    assert resp.status_code == 403


def test_role_grants_reach_assigned_users(world: World) -> None:
    world.ok(world.admin.post(f"{API}/users/create", json={"username": "r1", "password": "pw"}))
    world.ok(
        world.admin.post(
            f"{API}/experiments/permissions/create",
            json={"experiment_id": "0", "username": "r1", "permission": "NO_PERMISSIONS"},
        )
    )
    role = world.ok(world.admin.post("/api/3.0/mlflow/roles/create", json={"name": "writers"}))
    role_id = role["role"]["id"]
    grant = {
        "role_id": role_id,
        "resource_type": "experiment",
        "resource_pattern": world.exp,
        "permission": "EDIT",
    }
    world.ok(world.admin.post("/api/3.0/mlflow/roles/permissions/add", json=grant))
    world.ok(
        world.admin.post(
            "/api/3.0/mlflow/roles/assign", json={"username": "r1", "role_id": role_id}
        )
    )
    body = {"run_id": world.run_id, "key": "r", "value": 1.0, "timestamp": 1}
    with httpx.Client(base_url=world.url, auth=("r1", "pw")) as client:
        assert client.post(f"{API}/runs/log-metric", json=body).status_code == 200


def test_security_headers_on_every_response(world: World) -> None:
    resp = httpx.get(f"{world.url}/health")
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    assert "access-control-allow-origin" not in resp.headers


def test_failed_logins_are_rate_limited_and_audited(world: World) -> None:
    statuses = [
        httpx.get(f"{world.url}{API}/users/current", auth=("victim", f"bad{i}")).status_code
        for i in range(12)
    ]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    log = world.ok(world.admin.get(f"{API}/users/get", params={"username": ADMIN[0]}))
    assert log["user"]["is_admin"] is True


def test_default_admin_password_refused(tmp_path: Path) -> None:
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}",
        auth_enabled=True,
        admin_password="password1234",
    )
    with pytest.raises(Exception, match="well-known default"):
        build_auth(f"sqlite:///{tmp_path / 'db.sqlite'}", settings)


def test_audit_log_records_sign_ins_failures_and_grants(tmp_path: Path) -> None:
    settings = Settings(auth_enabled=True, admin_password="x-not-default")
    auth = build_auth(f"sqlite:///{tmp_path / 'db.sqlite'}", settings)
    admin = auth.authenticate_basic("h", "admin", "x-not-default", "10.0.0.1")
    with pytest.raises(Exception, match="Invalid credentials"):
        auth.authenticate_basic("h2", "admin", "wrong", "10.0.0.2")
    auth.create_user(admin, "eve", "pw", address="10.0.0.1")
    auth.set_grant(admin, "experiment", "7", "eve", "READ", "10.0.0.1", create=True)
    events = [(e.action, e.actor, e.address) for e in reversed(auth.audit_log())]
    assert ("sign_in", "admin", "10.0.0.1") in events
    assert ("sign_in_failed", None, "10.0.0.2") in events
    assert ("create_user", "admin", "10.0.0.1") in events
    assert ("set_permission", "admin", "10.0.0.1") in events


@pytest.mark.parametrize(
    ("host", "status"), [("127.0.0.1", 200), ("evil.example", 400)], ids=["allowed", "rebound"]
)
def test_allowed_hosts_blocks_dns_rebinding(tmp_path: Path, host: str, status: int) -> None:
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}", allowed_hosts="127.0.0.1,localhost"
    )
    with serve(settings) as url:
        resp = httpx.get(f"{url}/version", headers={"Host": host})
    assert resp.status_code == status


def test_cors_is_off_by_default_and_on_for_configured_origins(tmp_path: Path) -> None:
    preflight = {"Origin": "https://ui.example", "Access-Control-Request-Method": "POST"}
    base = Settings(backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}")
    with serve(base) as url:
        off = httpx.options(f"{url}{API}/runs/search", headers=preflight)
    with serve(base.with_changes(cors_allowed_origins="https://ui.example")) as url:
        on = httpx.options(f"{url}{API}/runs/search", headers=preflight)
    assert "access-control-allow-origin" not in off.headers
    assert on.headers["access-control-allow-origin"] == "https://ui.example"


def test_auth_chain_shares_a_database_with_the_tracking_chain(db_uri: str) -> None:
    settings = Settings(auth_enabled=True, admin_password="x-not-default")
    db = Database(db_uri, settings)
    try:
        ensure_schema(db)
        auth = build_auth(db_uri, settings)  # non-SQLite: the tracking database itself
        admin = auth.authenticate_basic("h", "admin", "x-not-default", None)
        auth.create_user(admin, "u", "pw")
        assert [u.username for u in auth.list_users()] == ["admin", "u"]
        ensure_schema(db)  # the tracking chain still sees its own head
        with db.engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
        auth.db.dispose()
    finally:
        db.dispose()
