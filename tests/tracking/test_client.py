"""MlflowClient: MLflow's method names and signatures, defaults and coercion, against SQLite."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

import mltrail
from mltrail import MlflowClient
from mltrail.entities import Metric, Param, RunTag, ViewType
from mltrail.exceptions import MlflowException

CLIENT_METHODS = [
    "create_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "search_experiments",
    "rename_experiment",
    "delete_experiment",
    "restore_experiment",
    "set_experiment_tag",
    "delete_experiment_tag",
    "create_run",
    "get_run",
    "update_run",
    "set_terminated",
    "delete_run",
    "restore_run",
    "log_metric",
    "log_param",
    "set_tag",
    "delete_tag",
    "log_batch",
    "log_inputs",
    "get_metric_history",
    "search_runs",
    "get_parent_run",
]

FLUENT_FUNCTIONS = [
    "set_tracking_uri",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "set_experiment",
    "start_run",
    "end_run",
    "active_run",
    "last_active_run",
    "log_param",
    "log_params",
    "log_metric",
    "log_metrics",
    "set_tag",
    "set_tags",
    "delete_tag",
    "log_input",
    "log_inputs",
    "search_runs",
    "search_experiments",
    "get_run",
    "delete_run",
    "get_parent_run",
    "get_experiment",
    "get_experiment_by_name",
    "create_experiment",
    "delete_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "flush_async_logging",
]

# Parameters MLflow has that mltrail does not offer (yet).
_NOT_OFFERED = {"trace_location"}


def _parameters(func: Callable[..., Any]) -> list[tuple[str, Any]]:
    return [
        (p.name, p.default)
        for p in inspect.signature(func).parameters.values()
        if p.name not in _NOT_OFFERED
    ]


@pytest.fixture(scope="module")
def mlflow_module() -> Any:
    return pytest.importorskip("mlflow")


@pytest.mark.parametrize("name", CLIENT_METHODS, ids=CLIENT_METHODS)
def test_client_method_matches_mlflow_signature(name: str, mlflow_module: Any) -> None:
    ours = _parameters(getattr(MlflowClient, name))
    theirs = _parameters(getattr(mlflow_module.MlflowClient, name))
    assert ours == theirs


@pytest.mark.parametrize("name", FLUENT_FUNCTIONS, ids=FLUENT_FUNCTIONS)
def test_fluent_function_matches_mlflow_signature(name: str, mlflow_module: Any) -> None:
    ours = _parameters(getattr(mltrail, name))
    theirs = _parameters(getattr(mlflow_module, name))
    assert ours == theirs


def test_experiment_lifecycle(sqlite_uri: str) -> None:
    client = MlflowClient(sqlite_uri)
    experiment_id = client.create_experiment("exp", tags={"team": "a", "n": 1})
    experiment = client.get_experiment(experiment_id)
    assert experiment.name == "exp"
    assert experiment.tags == {"team": "a", "n": "1"}
    client.rename_experiment(experiment_id, "exp2")
    found = client.get_experiment_by_name("exp2")
    assert found is not None
    assert found.experiment_id == experiment_id
    assert client.get_experiment_by_name("exp") is None
    client.set_experiment_tag(experiment_id, "k", 3)
    client.delete_experiment_tag(experiment_id, "team")
    assert client.get_experiment(experiment_id).tags == {"n": "1", "k": "3"}
    client.delete_experiment(experiment_id)
    active = {e.experiment_id for e in client.search_experiments()}
    deleted = {e.experiment_id for e in client.search_experiments(ViewType.DELETED_ONLY)}
    assert experiment_id not in active
    assert experiment_id in deleted
    client.restore_experiment(experiment_id)
    assert experiment_id in {e.experiment_id for e in client.search_experiments()}


def test_create_run_sets_user_tags_and_name(sqlite_uri: str) -> None:
    client = MlflowClient(sqlite_uri)
    run = client.create_run("0", tags={"mlflow.user": "ada", "k": 1}, run_name="first")
    assert run.info.status == "RUNNING"
    assert run.info.user_id == "ada"
    assert run.info.run_name == "first"
    assert run.data.tags["k"] == "1"
    assert run.data.tags["mlflow.runName"] == "first"
    generated = client.create_run("0")
    assert generated.info.run_name
    assert generated.info.user_id == "unknown"


def test_log_metric_defaults_and_coercion(sqlite_uri: str) -> None:
    client = MlflowClient(sqlite_uri)
    run_id = client.create_run("0").info.run_id
    assert client.log_metric(run_id, "a", 1) is None
    client.log_metric(run_id, "a", np.float32(2.5), step=np.int64(3), timestamp=123)  # type: ignore[arg-type]
    client.log_metric(run_id, "a", Decimal("3.25"), step=4)  # type: ignore[arg-type]
    client.log_metric(run_id, "nan", float("nan"))
    client.log_metric(run_id, "flag", True)
    history = client.get_metric_history(run_id, "a")
    assert [(m.value, m.step) for m in history] == [(1.0, 0), (2.5, 3), (3.25, 4)]
    assert history[1].timestamp == 123
    assert history[0].timestamp > 1_600_000_000_000
    assert math.isnan(client.get_run(run_id).data.metrics["nan"])
    assert client.get_run(run_id).data.metrics["flag"] == 1.0


@pytest.mark.parametrize("value", ["1.5", None, [1.0], b"1"], ids=["str", "none", "list", "bytes"])
def test_log_metric_refuses_non_numbers(sqlite_uri: str, value: Any) -> None:
    client = MlflowClient(sqlite_uri)
    run_id = client.create_run("0").info.run_id
    with pytest.raises(MlflowException, match="Please specify value as a valid double"):
        client.log_metric(run_id, "a", value)


def test_params_tags_and_batches(sqlite_uri: str) -> None:
    client = MlflowClient(sqlite_uri)
    run_id = client.create_run("0").info.run_id
    assert client.log_param(run_id, "lr", 0.1) == 0.1
    client.set_tag(run_id, "t", 5)
    client.delete_tag(run_id, "t")
    with pytest.raises(MlflowException, match="t"):
        client.delete_tag(run_id, "t")
    metrics = [Metric("m", float(i), 1000 + i, i) for i in range(2500)]
    params = [Param(f"p{i}", str(i)) for i in range(250)]
    tags = [RunTag(f"t{i}", str(i)) for i in range(150)]
    assert client.log_batch(run_id, metrics, params, tags) is None
    run = client.get_run(run_id)
    assert len(run.data.params) == 251
    assert run.data.params["lr"] == "0.1"
    assert len([k for k in run.data.tags if k.startswith("t")]) == 150
    assert [m.step for m in client.get_metric_history(run_id, "m")] == list(range(2500))


def test_terminate_update_delete_and_restore(sqlite_uri: str) -> None:
    client = MlflowClient(sqlite_uri)
    run_id = client.create_run("0").info.run_id
    client.update_run(run_id, name="renamed")
    assert client.get_run(run_id).info.run_name == "renamed"
    client.set_terminated(run_id)
    info = client.get_run(run_id).info
    assert info.status == "FINISHED"
    assert info.end_time is not None
    client.set_terminated(run_id, "KILLED", end_time=5)
    assert client.get_run(run_id).info.status == "KILLED"
    client.update_run(run_id, status="RUNNING")
    assert client.get_run(run_id).info.status == "RUNNING"
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_search_runs_pages_and_parent_run(sqlite_uri: str) -> None:
    client = MlflowClient(sqlite_uri)
    parent = client.create_run("0")
    child = client.create_run("0", tags={"mlflow.parentRunId": parent.info.run_id})
    for i in range(5):
        client.log_metric(client.create_run("0").info.run_id, "acc", i / 10)
    page = client.search_runs(["0"], "metrics.acc > 0.15", max_results=2)
    assert len(page) == 2
    assert page.token
    rest = client.search_runs("0", "metrics.acc > 0.15", page_token=page.token)  # type: ignore[arg-type]
    assert len(page) + len(rest) == 3
    parent_found = client.get_parent_run(child.info.run_id)
    assert parent_found is not None
    assert parent_found.info.run_id == parent.info.run_id
    assert client.get_parent_run(parent.info.run_id) is None


def test_missing_resources_raise_resource_does_not_exist(sqlite_uri: str) -> None:
    client = MlflowClient(sqlite_uri)
    with pytest.raises(MlflowException, match=r"not found|does not exist") as info:
        client.get_run("0" * 32)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_get_client_is_module_level_accessible() -> None:
    assert mltrail.tracking.MlflowClient is MlflowClient


def test_run_round_trip_on_every_engine(db_uri: str) -> None:
    client = MlflowClient(db_uri)
    experiment_id = client.create_experiment("engines")
    run_id = client.create_run(experiment_id, run_name="r").info.run_id
    client.log_param(run_id, "lr", 0.1)
    client.log_metric(run_id, "loss", 0.5, step=1)
    client.log_metric(run_id, "loss", float("inf"), step=2)
    for step in range(3, 1203):
        client.log_metric(run_id, "loss", step / 1000, step=step, synchronous=False)
    client.set_terminated(run_id)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"lr": "0.1"}
    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == list(range(1, 1203))
    assert history[1].value == float("inf")
    found = client.search_runs([experiment_id], "params.lr = '0.1'")
    assert [r.info.run_id for r in found] == [run_id]
