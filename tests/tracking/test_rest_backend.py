"""RestBackend: the tracking API over HTTP against a live server, plus retries, auth and errors."""

from __future__ import annotations

import base64
import gc
import json
import math
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import certifi
import httpx
import pytest

import mltrail
from mltrail import config
from mltrail.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LoggedModelInput,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from mltrail.exceptions import (
    InvalidParameterValue,
    MlflowException,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
    Unauthenticated,
)
from mltrail.server.routes import metrics as metric_routes
from mltrail.service.api import TrackingAPI
from mltrail.tracking import backends
from mltrail.tracking.rest import USER_AGENT, RestBackend, _ssl_verify

FAST_RETRIES = config.Settings(
    http_request_max_retries=3, http_request_backoff_factor=0.0, http_request_backoff_jitter=0.0
)
EXPERIMENT_BODY = {
    "experiment": {"experiment_id": "7", "name": "stubbed", "lifecycle_stage": "active"}
}


@pytest.fixture
def client(server_url: str) -> Iterator[mltrail.MlflowClient]:
    """A client of a live server on each engine; its pooled connections closed at the end."""
    yield mltrail.MlflowClient(tracking_uri=server_url)
    backends.get_backend(server_url).close()


@pytest.fixture
def shared_client(module_server_url: str) -> Iterator[mltrail.MlflowClient]:
    """A client of the module's live SQLite server."""
    yield mltrail.MlflowClient(tracking_uri=module_server_url)
    backends.get_backend(module_server_url).close()


# ------------------------------------------------------------------------ live server, 3 engines
def test_experiments_crud_and_paged_search(client: mltrail.MlflowClient) -> None:
    ids = [client.create_experiment(f"exp-{i}", tags={"team": i % 2}) for i in range(3)]
    exp = client.get_experiment(ids[0])
    assert (exp.name, exp.tags, exp.lifecycle_stage) == ("exp-0", {"team": "0"}, "active")
    by_name = client.get_experiment_by_name("exp-1")
    assert by_name is not None
    assert by_name.experiment_id == ids[1]
    assert client.get_experiment_by_name("no-such-experiment") is None

    client.rename_experiment(ids[2], "renamed")
    client.set_experiment_tag(ids[2], "stage", "dev")
    client.delete_experiment_tag(ids[2], "team")
    exp = client.get_experiment(ids[2])
    assert (exp.name, exp.tags) == ("renamed", {"stage": "dev"})

    names, token, pages = [], None, 0
    while True:
        page = client.search_experiments(
            max_results=1, filter_string="name LIKE 'exp-%'", page_token=token
        )
        names.extend(e.name for e in page)
        pages += 1
        token = page.token
        if token is None:
            break
    assert (sorted(names), pages) == (["exp-0", "exp-1"], 2)
    ordered = client.search_experiments(order_by=["name DESC"], max_results=2)
    assert [e.name for e in ordered] == ["renamed", "exp-1"]
    assert ordered.token is not None
    rest = client.search_experiments(
        order_by=["name DESC"], max_results=2, page_token=ordered.token
    )
    assert [e.name for e in rest] == ["exp-0", "Default"]
    assert rest.token is None

    client.delete_experiment(ids[0])
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY)
    assert [e.experiment_id for e in deleted] == [ids[0]]
    client.restore_experiment(ids[0])
    assert client.get_experiment(ids[0]).lifecycle_stage == "active"
    with pytest.raises(ResourceAlreadyExists, match="exp-1"):
        client.create_experiment("exp-1")


def test_runs_lifecycle_and_search_with_filter_order_and_pages(
    client: mltrail.MlflowClient,
) -> None:
    exp_id = client.create_experiment("runs")
    run_ids = []
    for i in range(5):
        run = client.create_run(exp_id, run_name=f"run-{i}", tags={"mlflow.user": "ann"})
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("acc", i / 10, 1000 + i, 0)],
            params=[Param("lr", str(i % 2))],
        )
        run_ids.append(run.info.run_id)
    created = client.get_run(run_ids[0])
    assert (created.info.run_name, created.info.user_id, created.info.status) == (
        "run-0",
        "ann",
        "RUNNING",
    )

    client.update_run(run_ids[1], name="second")
    client.set_terminated(run_ids[1], status="FAILED", end_time=5000)
    info = client.get_run(run_ids[1]).info
    assert (info.run_name, info.status, info.end_time) == ("second", "FAILED", 5000)

    found = client.search_runs([exp_id], "params.lr = '1' and metrics.acc > 0.05")
    assert sorted(r.info.run_id for r in found) == sorted([run_ids[1], run_ids[3]])
    collected, token, pages = [], None, 0
    while True:
        page = client.search_runs(
            [exp_id], order_by=["metrics.acc DESC"], max_results=2, page_token=token
        )
        collected.extend(r.info.run_id for r in page)
        pages += 1
        token = page.token
        if token is None:
            break
    assert (collected, pages) == (run_ids[::-1], 3)

    client.delete_run(run_ids[4])
    assert run_ids[4] not in [r.info.run_id for r in client.search_runs([exp_id])]
    deleted = client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [run_ids[4]]
    client.restore_run(run_ids[4])
    assert client.get_run(run_ids[4]).info.lifecycle_stage == "active"


def test_logging_round_trips_including_non_finite_values(client: mltrail.MlflowClient) -> None:
    exp_id = client.create_experiment("logging")
    run_id = client.create_run(exp_id).info.run_id
    client.log_metric(run_id, "nan", math.nan, timestamp=1, step=0)
    client.log_metric(run_id, "pos", math.inf, timestamp=2, step=1)
    client.log_metric(run_id, "neg", -math.inf, timestamp=3, step=2)
    client.log_batch(run_id, metrics=[Metric("batch", -math.inf, 4, 3), Metric("batch", 1.5, 5, 4)])
    client.log_param(run_id, "p", "v")
    client.log_param(run_id, "p", "v")  # the same value again is fine
    client.set_tag(run_id, "keep", "")
    client.set_tag(run_id, "drop", "x")
    client.delete_tag(run_id, "drop")
    dataset = Dataset("train", "d1g3st", "local", '{"uri": "/data"}', '{"cols": ["a"]}')
    client.log_inputs(run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "train")])])
    backend = backends.get_backend(client.tracking_uri)
    backend.record_logged_model(run_id, json.dumps({"artifact_path": "model", "flavors": {}}))

    run = client.get_run(run_id)
    metrics = run.data.metrics
    assert math.isnan(metrics["nan"])
    assert (metrics["pos"], metrics["neg"], metrics["batch"]) == (math.inf, -math.inf, 1.5)
    assert run.data.params == {"p": "v"}
    assert run.data.tags["keep"] == ""
    assert "drop" not in run.data.tags
    assert [d.dataset for d in run.inputs.dataset_inputs] == [dataset]
    assert json.loads(run.data.tags["mlflow.log-model.history"])[0]["artifact_path"] == "model"
    history = client.get_metric_history(run_id, "batch")
    assert [(m.value, m.step, m.run_id) for m in history] == [
        (-math.inf, 3, run_id),
        (1.5, 4, run_id),
    ]
    assert math.isnan(client.get_metric_history(run_id, "nan")[0].value)
    summaries = backend.search_datasets([exp_id])
    assert [(s.experiment_id, s.name, s.digest, s.context) for s in summaries] == [
        (exp_id, "train", "d1g3st", "train")
    ]
    sampled = backend.get_metric_history_bulk_interval([run_id], "batch", max_results=10)
    assert [(m.run_id, m.step) for m in sampled] == [(run_id, 3), (run_id, 4)]


def test_errors_map_to_named_exceptions_and_bad_batches_write_nothing(
    client: mltrail.MlflowClient,
) -> None:
    exp_id = client.create_experiment("errors")
    run_id = client.create_run(exp_id).info.run_id
    with pytest.raises(ResourceDoesNotExist, match="not found") as missing:
        client.get_run("0" * 32)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(ResourceDoesNotExist):
        client.get_experiment("987654")

    client.log_param(run_id, "lr", "0.1")
    with pytest.raises(InvalidParameterValue, match="lr") as changed:
        client.log_param(run_id, "lr", "0.2")
    assert changed.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(InvalidParameterValue, match="lr"):
        client.log_batch(
            run_id,
            metrics=[Metric("loss", 1.0, 1, 0)],
            params=[Param("lr", "0.3"), Param("new", "1")],
            tags=[RunTag("t", "1")],
        )
    data = client.get_run(run_id).data
    assert (data.metrics, data.params, "t" in data.tags) == ({}, {"lr": "0.1"}, False)

    client.delete_run(run_id)
    with pytest.raises(InvalidParameterValue, match="active"):
        client.log_metric(run_id, "m", 1.0)


def test_fluent_api_over_http(server_url: str) -> None:
    mltrail.set_tracking_uri(server_url)
    try:
        exp = mltrail.set_experiment("fluent")
        with mltrail.start_run(run_name="parent") as parent:
            mltrail.log_params({"a": 1, "b": "two"})
            mltrail.log_metric("loss", math.nan, step=0)
            mltrail.log_metrics({"loss": 0.5, "acc": math.inf}, step=1)
            mltrail.set_tags({"phase": "train"})
            with mltrail.start_run(run_name="child", nested=True) as child:
                mltrail.log_metric("inner", 1.0)
        runs = mltrail.search_runs(
            [exp.experiment_id], order_by=["attributes.run_name ASC"], output_format="list"
        )
        assert isinstance(runs, list)
        assert [r.info.run_name for r in runs] == ["child", "parent"]
        parent_run = mltrail.get_run(parent.info.run_id)
        assert parent_run.info.status == RunStatus.FINISHED
        assert parent_run.data.params == {"a": "1", "b": "two"}
        assert parent_run.data.metrics == {"loss": 0.5, "acc": math.inf}
        found_parent = mltrail.get_parent_run(child.info.run_id)
        assert found_parent is not None
        assert found_parent.info.run_id == parent.info.run_id
        history = mltrail.MlflowClient().get_metric_history(parent.info.run_id, "loss")
        assert math.isnan(history[0].value)
        assert history[1].value == 0.5
    finally:
        backends.get_backend(server_url).close()


# --------------------------------------------------------------------- live server, SQLite only
def test_metric_history_without_page_size_follows_every_page(
    shared_client: mltrail.MlflowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The live server runs in this process, so a smaller page cap makes history span pages.
    monkeypatch.setattr(metric_routes, "HISTORY_PAGE_CAP", 3)
    exp_id = shared_client.create_experiment("history-pages")
    run_id = shared_client.create_run(exp_id).info.run_id
    points = [Metric("loss", float(i), 100 + i, i) for i in range(10)]
    shared_client.log_batch(run_id, metrics=points)
    backend = backends.get_backend(shared_client.tracking_uri)

    everything = backend.get_metric_history(run_id, "loss")
    assert [m.step for m in everything] == list(range(10))
    assert everything.token is None
    assert shared_client.get_metric_history(run_id, "loss") == [
        Metric("loss", float(i), 100 + i, i, run_id=run_id) for i in range(10)
    ]
    first = backend.get_metric_history(run_id, "loss", max_results=4)
    assert ([m.step for m in first], first.token is not None) == ([0, 1, 2], True)
    second = backend.get_metric_history(run_id, "loss", max_results=2, page_token=first.token)
    assert [m.step for m in second] == [3, 4]


def test_backend_satisfies_the_contract_and_comes_from_entry_points(
    module_server_url: str,
) -> None:
    backend = backends.get_backend(module_server_url)
    assert isinstance(backend, RestBackend)
    assert isinstance(backend, TrackingAPI)
    assert backend.base_url == module_server_url
    assert isinstance(backends.get_backend("https://tracking.example.com/prefix/"), RestBackend)
    assert {"http", "https"} <= set(backends.known_schemes())


def test_forked_child_opens_its_own_connections(module_server_url: str, tmp_path: Path) -> None:
    backend = RestBackend(module_server_url, config.Settings())
    backend.get_experiment("0")
    parent_pool = backend._client
    assert parent_pool is not None
    result = tmp_path / "child.txt"
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running pytest's teardown
        code = 1
        try:
            fresh = backend._client is None
            name = backend.get_experiment("0").name
            reused = backend._client is parent_pool
            result.write_text(f"{fresh} {name} {reused}")
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert result.read_text() == "True Default False"
    assert backend._client is parent_pool
    assert backend.get_experiment("0").name == "Default"
    backend.close()


def test_unreachable_server_fails_after_retries_naming_the_url() -> None:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = RestBackend(f"http://127.0.0.1:{port}/base", FAST_RETRIES)
    sleeps: list[float] = []
    backend.sleep = sleeps.append
    with pytest.raises(MlflowException, match=f"127.0.0.1:{port}/base/api/2.0") as info:
        backend.get_run("abc")
    assert info.value.error_code == "TEMPORARILY_UNAVAILABLE"
    assert "4 attempt" in info.value.message
    assert sleeps == [0.0, 0.0, 0.0]


# ---------------------------------------------------------------- a scripted HTTP server stub
@dataclass
class Stub:
    """A loopback HTTP server answering from a script and recording what it received."""

    url: str
    script: list[tuple[int, str]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def answer(self, *responses: tuple[int, object]) -> None:
        for status, body in responses:
            text = body if isinstance(body, str) else json.dumps(body)
            self.script.append((status, text))


@pytest.fixture
def stub() -> Iterator[Stub]:
    """A scripted server on 127.0.0.1; when the script runs out it answers 200 ``{}``."""
    state = Stub(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append((self.command, self.path, dict(self.headers), body))
            status, text = state.script.pop(0) if state.script else (200, "{}")
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="rest-stub", daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def _client_with_env(
    stub: Stub, monkeypatch: pytest.MonkeyPatch, **env: str
) -> Iterator[mltrail.MlflowClient]:
    """A client of the stub built from these environment variables.

    Backends are cached per URI for the whole process, so each client gets a URI of its own.
    """
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config.reload_settings()
    url = f"{stub.url}/{uuid.uuid4().hex}"
    try:
        yield mltrail.MlflowClient(tracking_uri=url)
    finally:
        backends.get_backend(url).close()


def _error_body(code: str) -> dict[str, str]:
    return {"error_code": code, "message": "explained"}


_FAST_ENV = {"MLTRAIL_HTTP_REQUEST_BACKOFF_FACTOR": "0", "MLTRAIL_HTTP_REQUEST_BACKOFF_JITTER": "0"}


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504], ids=str)
def test_transient_statuses_are_retried(
    stub: Stub, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    stub.answer((status, "busy"), (status, {"error_code": "X", "message": "m"}))
    stub.answer((200, EXPERIMENT_BODY))
    with _client_with_env(stub, monkeypatch, **_FAST_ENV) as client:
        assert client.get_experiment("7").name == "stubbed"
    assert len(stub.requests) == 3


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (400, _error_body("INVALID_PARAMETER_VALUE"), InvalidParameterValue, None),
        (404, _error_body("RESOURCE_DOES_NOT_EXIST"), ResourceDoesNotExist, None),
        (409, _error_body("ABORTED"), MlflowException, None),
        (401, "<html>Login required</html>", Unauthenticated, "UNAUTHENTICATED"),
        (404, "Not Found", MlflowException, "ENDPOINT_NOT_FOUND"),
    ],
    ids=["invalid-parameter", "missing", "unknown-code", "html-401", "text-404"],
)
def test_client_errors_are_not_retried_and_map_to_exceptions(
    stub: Stub,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    body: object,
    error: type[MlflowException],
    code: str | None,
) -> None:
    stub.answer((status, body))
    with _client_with_env(stub, monkeypatch, **_FAST_ENV) as client, pytest.raises(error) as info:
        client.get_experiment("7")
    assert type(info.value) is error
    if isinstance(body, dict):
        assert (info.value.error_code, info.value.message) == (body["error_code"], "explained")
    else:
        assert info.value.error_code == code
        assert f"HTTP {status}" in info.value.message
        assert body in info.value.message
    assert len(stub.requests) == 1


def test_retries_stop_after_the_configured_count(
    stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub.answer(*[(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "later"})] * 5)
    env = {**_FAST_ENV, "MLTRAIL_HTTP_REQUEST_MAX_RETRIES": "2"}
    with (
        _client_with_env(stub, monkeypatch, **env) as client,
        pytest.raises(MlflowException, match="later") as info,
    ):
        client.get_experiment("7")
    assert info.value.error_code == "TEMPORARILY_UNAVAILABLE"
    assert len(stub.requests) == 3


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        (
            {"MLTRAIL_TRACKING_USERNAME": "ann", "MLTRAIL_TRACKING_PASSWORD": "s3cret"},
            "Basic " + base64.b64encode(b"ann:s3cret").decode(),
        ),
        ({"MLFLOW_TRACKING_TOKEN": "tok-123"}, "Bearer tok-123"),
    ],
    ids=["anonymous", "basic", "bearer"],
)
def test_auth_and_user_agent_headers_are_sent(
    stub: Stub, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str | None
) -> None:
    stub.answer((200, EXPERIMENT_BODY), (200, EXPERIMENT_BODY))
    with _client_with_env(stub, monkeypatch, **env) as client:
        client.get_experiment("7")
        client.get_experiment("7")
    headers = [{k.lower(): v for k, v in r[2].items()} for r in stub.requests]
    assert [h.get("authorization") for h in headers] == [expected, expected]
    assert headers[0]["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("mltrail/")


def test_credentials_in_the_url_become_basic_auth(stub: Stub) -> None:
    url = stub.url.replace("http://", "http://bob:p%40ss@")
    backend = RestBackend(url, config.Settings())
    stub.answer((200, EXPERIMENT_BODY))
    backend.get_experiment("7")
    backend.close()
    headers = {k.lower(): v for k, v in stub.requests[0][2].items()}
    assert headers["authorization"] == "Basic " + base64.b64encode(b"bob:p@ss").decode()
    assert backend.base_url == stub.url


def test_path_prefix_is_kept_and_get_sends_query_strings(stub: Stub) -> None:
    backend = RestBackend(stub.url + "/mlflow/", config.Settings())
    stub.answer((200, {"metrics": [{"key": "m", "value": "NaN", "timestamp": 1, "run_id": "a"}]}))
    points = backend.get_metric_history_bulk_interval(["a", "b"], "m", 5, start_step=0)
    backend.log_metric("a", Metric("m", -math.inf, 2, 3))
    backend.close()
    (get_method, get_path, _, _), (post_method, post_path, headers, body) = stub.requests
    assert get_method == "GET"
    query = httpx.URL(get_path).params
    assert httpx.URL(get_path).path == "/mlflow/api/2.0/mlflow/metrics/get-history-bulk-interval"
    assert (query.get_list("run_ids"), query["max_results"], query["start_step"]) == (
        ["a", "b"],
        "5",
        "0",
    )
    assert "end_step" not in query
    assert math.isnan(points[0].value)
    assert (post_method, post_path) == ("POST", "/mlflow/api/2.0/mlflow/runs/log-metric")
    assert {k.lower(): v for k, v in headers.items()}["content-type"] == "application/json"
    assert json.loads(body) == {
        "run_id": "a",
        "key": "m",
        "value": "-Infinity",
        "timestamp": 2,
        "step": 3,
    }


# --------------------------------------------------------------------- in-memory transport
def _mock_backend(
    handler: Callable[[httpx.Request], httpx.Response], settings: config.Settings = FAST_RETRIES
) -> RestBackend:
    return RestBackend("http://mock", settings, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("factor", "jitter", "expected"),
    [(1.0, 0.0, [1.0, 2.0, 4.0]), (25.0, 0.0, [25.0, 50.0, 60.0]), (0.0, 0.5, None)],
    ids=["exponential", "capped", "jitter"],
)
def test_backoff_is_exponential_capped_and_jittered(
    factor: float, jitter: float, expected: list[float] | None
) -> None:
    settings = config.Settings(
        http_request_max_retries=3,
        http_request_backoff_factor=factor,
        http_request_backoff_jitter=jitter,
    )
    backend = _mock_backend(lambda request: httpx.Response(502, text="bad gateway"), settings)
    sleeps: list[float] = []
    backend.sleep = sleeps.append
    with pytest.raises(MlflowException, match="HTTP 502") as info:
        backend.delete_run("r")
    assert info.value.error_code == "INTERNAL_ERROR"
    if expected is not None:
        assert sleeps == expected
    else:
        assert len(sleeps) == 3
        assert all(0.0 <= s <= jitter for s in sleeps)


def test_dropped_connections_are_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        return httpx.Response(200, json={})

    _mock_backend(handler).delete_run("r")
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("<html>oops</html>", "not JSON"),
        ("[1, 2]", "not an object"),
        ('{"run": {"info": {}}}', "does not match"),
    ],
    ids=["html", "array", "wrong-shape"],
)
def test_malformed_success_responses_raise(body: str, match: str) -> None:
    backend = _mock_backend(lambda request: httpx.Response(200, text=body))
    with pytest.raises(MlflowException, match=match):
        backend.get_run("r")


@pytest.mark.parametrize(
    ("settings", "kind"),
    [
        (config.Settings(), bool),
        (config.Settings(tracking_insecure_tls=True), bool),
        (config.Settings(tracking_server_cert_path=certifi.where()), "context"),
    ],
    ids=["default", "insecure", "ca-file"],
)
def test_tls_settings_choose_verification(settings: config.Settings, kind: object) -> None:
    verify = _ssl_verify(settings)
    if kind is bool:
        assert verify is (not settings.tracking_insecure_tls)
    else:
        assert not isinstance(verify, bool)


def test_unreadable_certificate_is_reported(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(InvalidParameterValue, match=r"missing\.pem"):
        _ssl_verify(config.Settings(tracking_client_cert_path=missing))


def test_model_inputs_and_view_types_travel_by_name() -> None:
    bodies: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        if request.url.path.endswith("/runs/search"):
            return httpx.Response(200, json={"runs": [], "next_page_token": ""})
        return httpx.Response(200, json={})

    backend = _mock_backend(handler)
    backend.log_inputs("r", models=[LoggedModelInput("m-1")])
    page = backend.search_runs(["1"], run_view_type=ViewType.ALL, order_by=["start_time"])
    assert (list(page), page.token) == ([], None)
    assert bodies == [
        {"run_id": "r", "models": [{"model_id": "m-1"}]},
        {
            "experiment_ids": ["1"],
            "run_view_type": "ALL",
            "max_results": 1000,
            "order_by": ["start_time"],
        },
    ]


def test_history_page_token_loop_is_detected() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"metrics": [], "next_page_token": "same"})

    with pytest.raises(MlflowException, match="twice"):
        _mock_backend(handler).get_metric_history("r", "m")


def test_rest_module_is_not_loaded_by_import_mltrail() -> None:
    code = "import sys, mltrail; print('mltrail.tracking.rest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_retries_copy_fails_at_once_with_the_same_credentials() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(503, json={"error_code": "TEMPORARILY_UNAVAILABLE", "message": "x"})

    settings = FAST_RETRIES.with_changes(tracking_token="tok")
    backend = RestBackend(
        "http://u:p@mock/prefix", settings, transport=httpx.MockTransport(handler)
    )
    fast = backend.without_retries()
    assert fast.base_url == backend.base_url == "http://mock/prefix"
    with pytest.raises(MlflowException, match="x"):
        fast.delete_run("r")
    assert seen == ["Basic " + base64.b64encode(b"u:p").decode()]


def test_dropped_backend_closes_its_connections(module_server_url: str) -> None:
    backend = RestBackend(module_server_url, config.Settings())
    backend.get_experiment("0")
    pool = backend._client
    assert pool is not None
    del backend
    gc.collect()
    assert pool.is_closed
