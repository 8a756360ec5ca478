"""The tracking server's REST API, driven with raw HTTP: shapes, encodings and error bodies.

Every response is also validated against the endpoint's response model from the protocol table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mltrail.protocol import tracking as wire
from mltrail.protocol.endpoint import Endpoint


class Api:
    """A raw JSON client of one server."""

    def __init__(self, base: str, prefix: str = "/api/2.0") -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.prefix = prefix

    def call(self, endpoint: Endpoint, body: dict[str, Any] | None = None) -> dict[str, Any]:
        resp = self.raw(endpoint, body)
        assert resp.status_code == 200, resp.text
        data = resp.json()
        endpoint.response.model_validate(data)
        return data  # type: ignore[no-any-return]

    def raw(self, endpoint: Endpoint, body: dict[str, Any] | None = None) -> httpx.Response:
        path = self.prefix + endpoint.path
        if endpoint.method == "GET":
            return self.http.get(path, params=body or {})
        return self.http.request(endpoint.method, path, json=body or {})


@pytest.fixture
def api(server_url: str) -> Iterator[Api]:
    client = Api(server_url)
    yield client
    client.http.close()


def _run(api: Api, exp_id: str, **extra: Any) -> str:
    out = api.call(wire.CREATE_RUN, {"experiment_id": exp_id, "start_time": 1000, **extra})
    return str(out["run"]["info"]["run_id"])


def test_experiment_lifecycle(api: Api) -> None:
    exp_id = api.call(
        wire.CREATE_EXPERIMENT, {"name": "exp-a", "tags": [{"key": "team", "value": "ml"}]}
    )["experiment_id"]
    assert isinstance(exp_id, str)
    assert exp_id.isdigit()
    exp = api.call(wire.GET_EXPERIMENT, {"experiment_id": exp_id})["experiment"]
    assert exp["name"] == "exp-a"
    assert exp["lifecycle_stage"] == "active"
    assert exp["tags"] == [{"key": "team", "value": "ml"}]
    assert isinstance(exp["creation_time"], int)
    by_name = api.call(wire.GET_EXPERIMENT_BY_NAME, {"experiment_name": "exp-a"})["experiment"]
    assert by_name["experiment_id"] == exp_id

    api.call(wire.UPDATE_EXPERIMENT, {"experiment_id": exp_id, "new_name": "exp-b"})
    api.call(wire.SET_EXPERIMENT_TAG, {"experiment_id": exp_id, "key": "k", "value": "v"})
    api.call(wire.DELETE_EXPERIMENT_TAG, {"experiment_id": exp_id, "key": "team"})
    exp = api.call(wire.GET_EXPERIMENT, {"experiment_id": exp_id})["experiment"]
    assert exp["name"] == "exp-b"
    assert exp["tags"] == [{"key": "k", "value": "v"}]

    api.call(wire.DELETE_EXPERIMENT, {"experiment_id": exp_id})
    found = api.call(wire.SEARCH_EXPERIMENTS, {"view_type": "DELETED_ONLY"})["experiments"]
    assert [e["experiment_id"] for e in found] == [exp_id]
    api.call(wire.RESTORE_EXPERIMENT, {"experiment_id": exp_id})
    found = api.call(wire.SEARCH_EXPERIMENTS, {"filter": "name = 'exp-b'"})["experiments"]
    assert [e["experiment_id"] for e in found] == [exp_id]


def test_search_experiments_pages_by_get_and_post(api: Api) -> None:
    for i in range(5):
        api.call(wire.CREATE_EXPERIMENT, {"name": f"page-{i}"})
    seen: list[str] = []
    token = None
    while True:
        body: dict[str, Any] = {
            "max_results": 2,
            "order_by": ["name ASC"],
            "filter": "name LIKE 'page-%'",
        }
        if token:
            body["page_token"] = token
        out = api.call(wire.SEARCH_EXPERIMENTS_GET, body)
        seen += [e["name"] for e in out.get("experiments", [])]
        token = out.get("next_page_token")
        if not token:
            break
    assert seen == [f"page-{i}" for i in range(5)]
    post = api.call(
        wire.SEARCH_EXPERIMENTS,
        {"max_results": 10, "order_by": ["name DESC"], "filter": "name LIKE 'page-%'"},
    )
    assert [e["name"] for e in post["experiments"]] == [f"page-{i}" for i in reversed(range(5))]


def test_run_lifecycle_and_logging(api: Api) -> None:
    exp_id = api.call(wire.CREATE_EXPERIMENT, {"name": "runs"})["experiment_id"]
    created = api.call(
        wire.CREATE_RUN,
        {
            "experiment_id": exp_id,
            "run_name": "first",
            "user_id": "ada",
            "start_time": 123,
            "tags": [{"key": "t0", "value": "x"}],
        },
    )["run"]
    info = created["info"]
    run_id = info["run_id"]
    assert len(run_id) == 32
    assert info["run_uuid"] == run_id
    assert info["run_name"] == "first"
    assert info["user_id"] == "ada"
    assert info["status"] == "RUNNING"
    assert info["start_time"] == 123
    assert "end_time" not in info  # unset fields are omitted
    assert info["artifact_uri"].endswith(f"{run_id}/artifacts")

    api.call(wire.LOG_PARAM, {"run_id": run_id, "key": "lr", "value": "0.1"})
    api.call(
        wire.LOG_METRIC, {"run_id": run_id, "key": "loss", "value": 0.25, "timestamp": 5, "step": 2}
    )
    api.call(wire.SET_TAG, {"run_uuid": run_id, "key": "note", "value": "legacy id"})
    api.call(
        wire.LOG_BATCH,
        {
            "run_id": run_id,
            "metrics": [
                {"key": "acc", "value": 0.5, "timestamp": 6, "step": 1},
                {"key": "acc", "value": 0.75, "timestamp": 7, "step": 2},
            ],
            "params": [{"key": "bs", "value": "32"}],
            "tags": [{"key": "phase", "value": "train"}],
        },
    )
    run = api.call(wire.GET_RUN, {"run_id": run_id})["run"]
    metrics = {m["key"]: m for m in run["data"]["metrics"]}
    assert metrics["loss"] == {"key": "loss", "value": 0.25, "timestamp": 5, "step": 2}
    assert metrics["acc"]["value"] == 0.75
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params == {"lr": "0.1", "bs": "32"}
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["note"] == "legacy id"
    assert tags["phase"] == "train"
    assert tags["t0"] == "x"

    api.call(wire.DELETE_TAG, {"run_id": run_id, "key": "note"})
    updated = api.call(
        wire.UPDATE_RUN,
        {"run_id": run_id, "status": "FINISHED", "end_time": 999, "run_name": "renamed"},
    )["run_info"]
    assert updated["status"] == "FINISHED"
    assert updated["end_time"] == 999
    assert updated["run_name"] == "renamed"
    api.call(wire.DELETE_RUN, {"run_id": run_id})
    assert api.call(wire.GET_RUN, {"run_id": run_id})["run"]["info"]["lifecycle_stage"] == "deleted"
    api.call(wire.RESTORE_RUN, {"run_id": run_id})
    assert api.call(wire.GET_RUN, {"run_id": run_id})["run"]["info"]["lifecycle_stage"] == "active"


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        (1e308, 1e308),
        (-0.0, -0.0),
        (0.1 + 0.2, 0.1 + 0.2),
    ],
)
def test_metric_values_round_trip_exactly(api: Api, sent: Any, expected: Any) -> None:
    run_id = _run(api, "0")
    api.call(wire.LOG_METRIC, {"run_id": run_id, "key": "m", "value": sent, "timestamp": 1})
    hist = api.call(wire.GET_METRIC_HISTORY, {"run_id": run_id, "metric_key": "m"})["metrics"]
    got = hist[0]["value"]
    assert got == expected
    if isinstance(expected, float):
        assert math.copysign(1, got) == math.copysign(1, expected)


def test_bare_nan_token_from_python_clients_is_accepted(api: Api) -> None:
    run_id = _run(api, "0")
    body = json.dumps({"run_id": run_id, "key": "m", "value": float("nan"), "timestamp": 1})
    assert "NaN" in body
    resp = api.http.post(
        "/api/2.0/mlflow/runs/log-metric",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    run = api.call(wire.GET_RUN, {"run_id": run_id})["run"]
    assert run["data"]["metrics"][0]["value"] == "NaN"


def test_search_runs_filter_order_and_pages(api: Api) -> None:
    exp_id = api.call(wire.CREATE_EXPERIMENT, {"name": "search"})["experiment_id"]
    ids = []
    for i in range(7):
        run_id = _run(api, exp_id, run_name=f"r{i}")
        api.call(
            wire.LOG_BATCH,
            {
                "run_id": run_id,
                "metrics": [{"key": "m", "value": i, "timestamp": 1}],
                "params": [{"key": "p", "value": str(i % 2)}],
            },
        )
        ids.append(run_id)
    seen: list[str] = []
    token = None
    while True:
        body: dict[str, Any] = {
            "experiment_ids": [exp_id],
            "filter": "metrics.m >= 2",
            "order_by": ["metrics.m DESC"],
            "max_results": 2,
        }
        if token:
            body["page_token"] = token
        out = api.call(wire.SEARCH_RUNS, body)
        seen += [r["info"]["run_id"] for r in out.get("runs", [])]
        token = out.get("next_page_token")
        if not token:
            break
    assert seen == list(reversed(ids[2:]))
    odd = api.call(wire.SEARCH_RUNS, {"experiment_ids": [exp_id], "filter": "params.p = '1'"})
    assert {r["info"]["run_id"] for r in odd["runs"]} == {ids[1], ids[3], ids[5]}
    api.call(wire.DELETE_RUN, {"run_id": ids[0]})
    deleted = api.call(
        wire.SEARCH_RUNS, {"experiment_ids": [exp_id], "run_view_type": "DELETED_ONLY"}
    )
    assert [r["info"]["run_id"] for r in deleted["runs"]] == [ids[0]]
    empty = api.call(wire.SEARCH_RUNS, {"experiment_ids": [exp_id], "filter": "metrics.m > 100"})
    assert empty == {}  # no runs and no token: both omitted


def test_metric_history_pages_and_bulk_interval(api: Api) -> None:
    run_a, run_b = _run(api, "0"), _run(api, "0")
    for run_id in (run_a, run_b):
        api.call(
            wire.LOG_BATCH,
            {
                "run_id": run_id,
                "metrics": [
                    {"key": "loss", "value": 1 / (s + 1), "timestamp": s, "step": s}
                    for s in range(50)
                ],
            },
        )
    first = api.call(
        wire.GET_METRIC_HISTORY, {"run_id": run_a, "metric_key": "loss", "max_results": 20}
    )
    assert len(first["metrics"]) == 20
    assert first["next_page_token"]
    rest = api.call(
        wire.GET_METRIC_HISTORY,
        {
            "run_id": run_a,
            "metric_key": "loss",
            "max_results": 100,
            "page_token": first["next_page_token"],
        },
    )
    assert [m["step"] for m in first["metrics"] + rest["metrics"]] == list(range(50))
    assert "next_page_token" not in rest

    bulk = api.http.get(
        "/api/2.0/mlflow/metrics/get-history-bulk-interval",
        params=[
            ("run_ids", run_a),
            ("run_ids", run_b),
            ("metric_key", "loss"),
            ("max_results", "10"),
        ],
    )
    assert bulk.status_code == 200, bulk.text
    points = bulk.json()["metrics"]
    assert {p["run_id"] for p in points} == {run_a, run_b}
    assert all(len([p for p in points if p["run_id"] == r]) <= 10 for r in (run_a, run_b))


def test_metric_history_bulk_serves_the_ui_chart_of_many_runs(api: Api) -> None:
    run_a, run_b = sorted([_run(api, "0"), _run(api, "0")])
    for offset, run_id in enumerate((run_b, run_a)):
        points = [
            {"key": "acc", "value": s / 10, "timestamp": 100 - s, "step": s + offset}
            for s in range(5)
        ]
        api.call(wire.LOG_BATCH, {"run_id": run_id, "metrics": points})
    resp = api.http.get(
        "/ajax-api/2.0/mlflow/metrics/get-history-bulk",
        params=[("run_id", run_b), ("run_id", run_a), ("metric_key", "acc"), ("max_results", "3")],
    )
    assert resp.status_code == 200, resp.text
    got = resp.json()["metrics"]
    # runs in id order, each run's points in time order, at most max_results per run
    assert [p["run_id"] for p in got] == [run_a] * 3 + [run_b] * 3
    times = [p["timestamp"] for p in got]
    assert times[:3] == sorted(times[:3])
    assert times[3:] == sorted(times[3:])
    assert set(got[0]) == {"key", "value", "timestamp", "step", "run_id"}
    none = api.http.get(
        "/ajax-api/2.0/mlflow/metrics/get-history-bulk", params={"metric_key": "acc"}
    )
    assert none.status_code == 400
    too_many = api.http.get(
        "/api/2.0/mlflow/metrics/get-history-bulk",
        params=[("run_id", f"{i:032x}") for i in range(101)] + [("metric_key", "acc")],
    )
    assert too_many.status_code == 400
    assert "more than 100 run_ids" in too_many.json()["message"]


def test_log_inputs_and_search_datasets(api: Api) -> None:
    exp_id = api.call(wire.CREATE_EXPERIMENT, {"name": "data"})["experiment_id"]
    run_id = _run(api, exp_id)
    dataset = {
        "name": "iris",
        "digest": "abc123",
        "source_type": "local",
        "source": '{"uri": "/data/iris.csv"}',
        "schema": '{"cols": []}',
    }
    api.call(
        wire.LOG_INPUTS,
        {
            "run_id": run_id,
            "datasets": [
                {"tags": [{"key": "mlflow.data.context", "value": "train"}], "dataset": dataset}
            ],
        },
    )
    run = api.call(wire.GET_RUN, {"run_id": run_id})["run"]
    (di,) = run["inputs"]["dataset_inputs"]
    assert di["dataset"] == dataset
    assert di["tags"] == [{"key": "mlflow.data.context", "value": "train"}]
    found = api.call(wire.SEARCH_DATASETS, {"experiment_ids": [exp_id]})["dataset_summaries"]
    assert found == [
        {"experiment_id": exp_id, "name": "iris", "digest": "abc123", "context": "train"}
    ]


def test_log_model_appends_history_tag(api: Api) -> None:
    run_id = _run(api, "0")
    for flavor in ("sklearn", "pyfunc"):
        api.call(
            wire.LOG_MODEL, {"run_id": run_id, "model_json": json.dumps({"flavors": {flavor: {}}})}
        )
    run = api.call(wire.GET_RUN, {"run_id": run_id})["run"]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    history = json.loads(tags["mlflow.log-model.history"])
    assert [list(h["flavors"]) for h in history] == [["sklearn"], ["pyfunc"]]
    bad = api.raw(wire.LOG_MODEL, {"run_id": run_id, "model_json": "{not json"})
    assert bad.status_code == 400
    assert bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_ajax_api_serves_the_same_routes(server_url: str) -> None:
    ajax = Api(server_url, prefix="/ajax-api/2.0")
    with ajax.http:
        exp_id = ajax.call(wire.CREATE_EXPERIMENT, {"name": "ui"})["experiment_id"]
        got = ajax.call(wire.GET_EXPERIMENT, {"experiment_id": exp_id})["experiment"]
        assert got["name"] == "ui"
