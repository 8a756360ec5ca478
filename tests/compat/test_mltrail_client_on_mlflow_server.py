"""mltrail's client against a real ``mlflow server``: the REST backend speaks MLflow's protocol.

The server is the ``mlflow_server_url`` fixture of ``tests/compat/conftest.py``: ``mlflow server``
on SQLite in a temporary folder and a free loopback port, stopped by its pid, skipped when mlflow
is not installed.
"""

from __future__ import annotations

import json
import math
import sys
import uuid
from collections.abc import Iterator

import pytest

import mltrail
from mltrail.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag, ViewType
from mltrail.exceptions import (
    InvalidParameterValue,
    MlflowException,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
)
from mltrail.tracking import backends, context
from mltrail.tracking.rest import RestBackend

pytestmark = pytest.mark.slow

# MLflow's SQL store saturates +/-Inf to the largest finite double; NaN is kept.
LARGEST_DOUBLE = sys.float_info.max


@pytest.fixture(scope="module")
def mlflow_url(mlflow_server_url: str) -> Iterator[str]:
    """The module's ``mlflow server``; the client's pooled connections close before it stops."""
    yield mlflow_server_url
    backend = backends.get_backend(mlflow_server_url)
    assert isinstance(backend, RestBackend)
    backend.close()


@pytest.fixture(autouse=True)
def _clean_fluent_state() -> Iterator[None]:
    """No active run, experiment or tracking URI leaks between tests."""
    yield
    while mltrail.active_run() is not None:
        mltrail.end_run()
    mltrail.set_tracking_uri("")
    context.set_active_experiment_id(None)
    context.set_last_active_run_id(None)


@pytest.fixture
def client(mlflow_url: str) -> mltrail.MlflowClient:
    return mltrail.MlflowClient(tracking_uri=mlflow_url)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_experiment_lifecycle_and_paged_search(client: mltrail.MlflowClient) -> None:
    prefix = _name("exp")
    ids = [client.create_experiment(f"{prefix}-{i}", tags={"team": "a"}) for i in range(3)]
    exp = client.get_experiment(ids[0])
    assert (exp.name, exp.tags, exp.lifecycle_stage) == (f"{prefix}-0", {"team": "a"}, "active")
    by_name = client.get_experiment_by_name(f"{prefix}-1")
    assert by_name is not None
    assert by_name.experiment_id == ids[1]
    assert client.get_experiment_by_name(_name("missing")) is None

    client.rename_experiment(ids[2], f"{prefix}-renamed")
    client.set_experiment_tag(ids[2], "stage", "dev")
    client.delete_experiment_tag(ids[2], "team")
    exp = client.get_experiment(ids[2])
    assert (exp.name, exp.tags) == (f"{prefix}-renamed", {"stage": "dev"})

    names, token = [], None
    for _ in range(5):
        page = client.search_experiments(
            max_results=2,
            filter_string=f"name LIKE '{prefix}-%'",
            order_by=["name ASC"],
            page_token=token,
        )
        names.extend(e.name for e in page)
        token = page.token
        if token is None:
            break
    assert names == [f"{prefix}-0", f"{prefix}-1", f"{prefix}-renamed"]

    client.delete_experiment(ids[0])
    deleted = client.search_experiments(
        view_type=ViewType.DELETED_ONLY, filter_string=f"name = '{prefix}-0'"
    )
    assert [e.experiment_id for e in deleted] == [ids[0]]
    client.restore_experiment(ids[0])
    assert client.get_experiment(ids[0]).lifecycle_stage == "active"
    with pytest.raises(ResourceAlreadyExists):
        client.create_experiment(f"{prefix}-1")


def test_fluent_nested_runs_with_params_metrics_and_tags(mlflow_url: str) -> None:
    mltrail.set_tracking_uri(mlflow_url)
    exp = mltrail.set_experiment(_name("fluent"))
    with mltrail.start_run(run_name="parent", tags={"kind": "sweep"}) as parent:
        mltrail.log_params({"lr": 0.1, "layers": 3})
        mltrail.log_metric("loss", math.nan, step=0)
        mltrail.log_metrics({"loss": 0.25, "acc": 0.9}, step=1)
        for trial in range(2):
            with mltrail.start_run(run_name=f"trial-{trial}", nested=True):
                mltrail.log_param("trial", trial)
                mltrail.log_metric("score", trial / 2)
                mltrail.set_tag("best", str(trial == 1))
    runs = mltrail.search_runs(
        [exp.experiment_id],
        filter_string="tags.best = 'True'",
        order_by=["metrics.score DESC"],
        output_format="list",
    )
    assert isinstance(runs, list)
    assert [r.info.run_name for r in runs] == ["trial-1"]
    child = runs[0]
    found_parent = mltrail.get_parent_run(child.info.run_id)
    assert found_parent is not None
    assert found_parent.info.run_id == parent.info.run_id
    run = mltrail.get_run(parent.info.run_id)
    assert run.info.status == "FINISHED"
    assert run.info.end_time is not None
    assert run.data.params == {"lr": "0.1", "layers": "3"}
    assert run.data.metrics == {"loss": 0.25, "acc": 0.9}
    assert run.data.tags["kind"] == "sweep"
    assert run.data.tags["mlflow.runName"] == "parent"
    history = mltrail.MlflowClient().get_metric_history(parent.info.run_id, "loss")
    assert math.isnan(history[0].value)
    assert [(m.step, m.run_id) for m in history] == [(0, run.info.run_id), (1, run.info.run_id)]


def test_batches_non_finite_values_and_paged_history(client: mltrail.MlflowClient) -> None:
    exp_id = client.create_experiment(_name("metrics"))
    run_id = client.create_run(exp_id, run_name="batch").info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("nan", math.nan, 1, 0), Metric("pos", math.inf, 1, 0)]
        + [Metric("loss", 1 / (i + 1), 100 + i, i) for i in range(7)],
        params=[Param("optimizer", "adam")],
        tags=[RunTag("empty", "")],
    )
    client.log_metric(run_id, "neg", -math.inf)
    run = client.get_run(run_id)
    assert math.isnan(run.data.metrics["nan"])
    assert run.data.metrics["pos"] in (math.inf, LARGEST_DOUBLE)
    assert run.data.metrics["neg"] in (-math.inf, -LARGEST_DOUBLE)
    assert (run.data.params, run.data.tags["empty"]) == ({"optimizer": "adam"}, "")

    backend = backends.get_backend(client.tracking_uri)
    steps, token, pages = [], None, 0
    while True:
        page = backend.get_metric_history(run_id, "loss", max_results=3, page_token=token)
        steps.extend(m.step for m in page)
        pages += 1
        token = page.token
        if token is None:
            break
    assert (steps, pages) == (list(range(7)), 3)
    everything = client.get_metric_history(run_id, "loss")
    assert [m.value for m in everything] == [1 / (i + 1) for i in range(7)]
    sampled = backend.get_metric_history_bulk_interval([run_id], "loss", max_results=3)
    assert {m.run_id for m in sampled} == {run_id}
    assert 0 < len(sampled) <= 7


def test_search_runs_filters_orders_and_pages(client: mltrail.MlflowClient) -> None:
    exp_id = client.create_experiment(_name("search"))
    run_ids = []
    for i in range(5):
        run_id = client.create_run(exp_id, run_name=f"r{i}").info.run_id
        client.log_batch(
            run_id, metrics=[Metric("acc", i / 10, 1, 0)], params=[Param("even", str(i % 2 == 0))]
        )
        run_ids.append(run_id)
    evens = client.search_runs([exp_id], "params.even = 'True' and metrics.acc >= 0.2")
    assert sorted(r.info.run_id for r in evens) == sorted([run_ids[2], run_ids[4]])
    collected, token = [], None
    for _ in range(5):
        page = client.search_runs(
            [exp_id], order_by=["metrics.acc DESC"], max_results=2, page_token=token
        )
        collected.extend(r.info.run_id for r in page)
        token = page.token
        if token is None:
            break
    assert collected == run_ids[::-1]


def test_delete_restore_inputs_models_and_error_codes(client: mltrail.MlflowClient) -> None:
    exp_id = client.create_experiment(_name("errors"))
    run_id = client.create_run(exp_id).info.run_id
    dataset = Dataset("train", "abc123", "local", '{"uri": "/data/train"}')
    client.log_inputs(run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "train")])])
    backend = backends.get_backend(client.tracking_uri)
    summaries = backend.search_datasets([exp_id])
    assert [(s.name, s.digest, s.context) for s in summaries] == [("train", "abc123", "train")]
    model = {
        "artifact_path": "model",
        "utc_time_created": "2024-01-01 00:00:00.000000",
        "flavors": {"python_function": {}},
        "run_id": run_id,
    }
    backend.record_logged_model(run_id, json.dumps(model))
    run = client.get_run(run_id)
    assert run.inputs.dataset_inputs[0].dataset.digest == "abc123"
    history = json.loads(run.data.tags["mlflow.log-model.history"])
    assert history[0]["artifact_path"] == "model"

    with pytest.raises(ResourceDoesNotExist) as missing:
        client.get_run(uuid.uuid4().hex)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    client.log_param(run_id, "lr", "0.1")
    with pytest.raises(InvalidParameterValue, match="lr"):
        client.log_param(run_id, "lr", "0.2")

    client.delete_run(run_id)
    deleted = client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [run_id]
    with pytest.raises(MlflowException, match="active") as inactive:
        client.log_metric(run_id, "m", 1.0)
    # MLflow reports a write to a deleted run as INVALID_PARAMETER_VALUE; mltrail as
    # INVALID_STATE. Either way the client raises the server's code.
    assert inactive.value.error_code == "INVALID_PARAMETER_VALUE"
    client.restore_run(run_id)
    client.set_terminated(run_id, status="KILLED")
    info = client.get_run(run_id).info
    assert (info.lifecycle_stage, info.status) == ("active", "KILLED")
