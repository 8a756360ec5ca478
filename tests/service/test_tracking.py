"""TrackingService rules on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltrail.config import Settings
from mltrail.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from mltrail.exceptions import (
    InvalidParameterValue,
    InvalidState,
    MlflowException,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
)
from mltrail.service.services import Services
from mltrail.service.tracking import TrackingService


@pytest.fixture
def svc(db_uri: str, tmp_path: Path) -> Iterator[TrackingService]:
    services = Services(db_uri, str(tmp_path / "artifacts"), Settings())
    yield services.tracking
    services.close()


def _run(svc: TrackingService, experiment_id: str = "0") -> str:
    return svc.create_run(experiment_id, "tester", 1000, [], None).info.run_id


def test_default_experiment_exists(svc: TrackingService) -> None:
    exp = svc.get_experiment("0")
    assert exp.name == "Default"
    assert exp.lifecycle_stage == LifecycleStage.ACTIVE
    assert exp.artifact_location.startswith("file://")
    assert exp.artifact_location.endswith("/0")


def test_create_experiment_with_tags_and_get_by_name(svc: TrackingService) -> None:
    exp_id = svc.create_experiment("exp-ü", tags=[("team", "ml"), ("note", "ça va")])
    exp = svc.get_experiment(exp_id)
    assert exp.name == "exp-ü"
    assert exp.tags == {"team": "ml", "note": "ça va"}
    assert svc.get_experiment_by_name("exp-ü") == exp
    assert svc.get_experiment_by_name("missing") is None


def test_duplicate_experiment_name_is_rejected(svc: TrackingService) -> None:
    svc.create_experiment("dup")
    with pytest.raises(ResourceAlreadyExists, match=r"Experiment\(name=dup\) already exists"):
        svc.create_experiment("dup")


def test_experiment_names_are_case_sensitive(svc: TrackingService) -> None:
    a = svc.create_experiment("Case")
    b = svc.create_experiment("case")
    assert a != b


def test_unknown_experiment_is_not_found(svc: TrackingService) -> None:
    with pytest.raises(ResourceDoesNotExist, match="No Experiment with id=12345 exists"):
        svc.get_experiment("12345")
    with pytest.raises(InvalidParameterValue, match="experiment ids are integers"):
        svc.get_experiment("abc")


def test_rename_delete_restore_experiment_cascades_to_runs(svc: TrackingService) -> None:
    exp_id = svc.create_experiment("life")
    run_id = _run(svc, exp_id)
    svc.rename_experiment(exp_id, "life2")
    assert svc.get_experiment(exp_id).name == "life2"
    svc.delete_experiment(exp_id)
    assert svc.get_experiment(exp_id).lifecycle_stage == LifecycleStage.DELETED
    assert svc.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(InvalidState, match="deleted"):
        svc.rename_experiment(exp_id, "again")
    with pytest.raises(InvalidParameterValue, match="active"):
        svc.create_run(exp_id)
    with pytest.raises(ResourceDoesNotExist, match="already deleted"):
        svc.delete_experiment(exp_id)
    svc.restore_experiment(exp_id)
    with pytest.raises(ResourceDoesNotExist, match="nothing to restore"):
        svc.restore_experiment(exp_id)
    assert svc.get_run(run_id).info.lifecycle_stage == LifecycleStage.ACTIVE


def test_experiment_tags_set_overwrite_delete(svc: TrackingService) -> None:
    exp_id = svc.create_experiment("tags")
    svc.set_experiment_tag(exp_id, "k", "v1")
    svc.set_experiment_tag(exp_id, "k", "v2")
    assert svc.get_experiment(exp_id).tags == {"k": "v2"}
    svc.delete_experiment_tag(exp_id, "k")
    assert svc.get_experiment(exp_id).tags == {}
    with pytest.raises(ResourceDoesNotExist, match="No tag with name: k"):
        svc.delete_experiment_tag(exp_id, "k")


def test_create_run_generates_name_and_sets_tag(svc: TrackingService) -> None:
    run = svc.create_run("0", "me", 123, [RunTag("a", "b")], None)
    assert len(run.info.run_id) == 32
    assert run.info.run_name
    assert run.data.tags["mlflow.runName"] == run.info.run_name
    assert run.data.tags["a"] == "b"
    assert run.info.status == RunStatus.RUNNING
    assert run.info.start_time == 123
    assert run.info.artifact_uri is not None
    assert run.info.artifact_uri.endswith(f"/0/{run.info.run_id}/artifacts")


def test_run_name_conflicting_with_tag_is_rejected(svc: TrackingService) -> None:
    with pytest.raises(InvalidParameterValue, match="different values"):
        svc.create_run("0", None, None, [RunTag("mlflow.runName", "x")], "y")


def test_update_run_status_end_time_and_name(svc: TrackingService) -> None:
    run_id = _run(svc)
    info = svc.update_run_info(run_id, RunStatus.FINISHED, 2000, "renamed")
    assert (info.status, info.end_time, info.run_name) == ("FINISHED", 2000, "renamed")
    assert svc.get_run(run_id).data.tags["mlflow.runName"] == "renamed"
    with pytest.raises(InvalidParameterValue, match="Invalid run status"):
        svc.update_run_info(run_id, "DONE")


def test_set_run_name_tag_renames_run(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.set_tag(run_id, RunTag("mlflow.runName", "via-tag"))
    assert svc.get_run(run_id).info.run_name == "via-tag"


def test_unknown_run_is_not_found(svc: TrackingService) -> None:
    missing = "f" * 32
    with pytest.raises(ResourceDoesNotExist, match=f"Run '{missing}' not found"):
        svc.get_run(missing)
    with pytest.raises(ResourceDoesNotExist, match="not found"):
        svc.log_metric(missing, Metric("m", 1.0, 1, 0))


def test_deleted_run_rejects_writes_and_restores(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.delete_run(run_id)
    with pytest.raises(InvalidParameterValue, match="must be in the 'active' state"):
        svc.log_param(run_id, Param("p", "1"))
    svc.restore_run(run_id)
    svc.log_param(run_id, Param("p", "1"))
    assert svc.get_run(run_id).data.params == {"p": "1"}


def test_params_are_immutable(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.log_param(run_id, Param("lr", "0.1"))
    svc.log_param(run_id, Param("lr", "0.1"))
    with pytest.raises(InvalidParameterValue, match="Changing param values is not allowed"):
        svc.log_param(run_id, Param("lr", "0.2"))
    assert svc.get_run(run_id).data.params == {"lr": "0.1"}


@pytest.mark.parametrize(
    "value",
    [0.1 + 0.2, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 2.0**53 + 2, math.pi],
    ids=["sum", "tiny", "denormal", "max", "negzero", "big-int", "pi"],
)
def test_metric_values_are_float64_exact(svc: TrackingService, value: float) -> None:
    run_id = _run(svc)
    svc.log_metric(run_id, Metric("m", value, 1, 0))
    [point] = svc.get_metric_history(run_id, "m")
    assert point.value == value
    assert math.copysign(1.0, point.value) == math.copysign(1.0, value)


def test_nan_and_infinities_round_trip(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.log_batch(
        run_id,
        metrics=[
            Metric("nan", math.nan, 1, 0),
            Metric("pinf", math.inf, 1, 0),
            Metric("ninf", -math.inf, 1, 0),
        ],
    )
    data = svc.get_run(run_id).data.metrics
    assert math.isnan(data["nan"])
    assert data["pinf"] == math.inf
    assert data["ninf"] == -math.inf
    assert svc.get_metric_history(run_id, "pinf")[0].value == math.inf


def test_latest_metric_is_max_step_then_timestamp(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.log_metric(run_id, Metric("m", 5.0, 100, 2))
    svc.log_metric(run_id, Metric("m", 9.0, 999, 1))
    svc.log_metric(run_id, Metric("m", 7.0, 200, 2))
    assert svc.get_run(run_id).data.metrics["m"] == 7.0
    history = svc.get_metric_history(run_id, "m")
    assert [(p.step, p.value) for p in history] == [(1, 9.0), (2, 5.0), (2, 7.0)]


def test_identical_points_are_stored_once(svc: TrackingService) -> None:
    run_id = _run(svc)
    point = Metric("m", 1.5, 10, 3)
    svc.log_metric(run_id, point)
    svc.log_batch(run_id, metrics=[point, point])
    assert len(svc.get_metric_history(run_id, "m")) == 1


def test_unicode_keys_and_values(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.log_batch(
        run_id,
        metrics=[Metric("точность", 0.5, 1, 0)],
        params=[Param("学习率", "零点一 🚀")],
        tags=[RunTag("ключ", "значение ✓")],
    )
    data = svc.get_run(run_id).data
    assert data.metrics == {"точность": 0.5}
    assert data.params == {"学习率": "零点一 🚀"}
    assert data.tags["ключ"] == "значение ✓"


def test_log_batch_with_one_bad_element_writes_nothing(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.log_param(run_id, Param("fixed", "a"))
    with pytest.raises(InvalidParameterValue, match="Changing param values"):
        svc.log_batch(
            run_id,
            metrics=[Metric("m", 1.0, 1, 0)],
            params=[Param("new", "x"), Param("fixed", "b")],
            tags=[RunTag("t", "v")],
        )
    data = svc.get_run(run_id).data
    assert data.metrics == {}
    assert data.params == {"fixed": "a"}
    assert "t" not in data.tags


@pytest.mark.parametrize(
    ("metrics", "params", "tags", "message"),
    [
        (1001, 0, 0, "at most 1000 metrics"),
        (0, 101, 0, "at most 100 params"),
        (0, 0, 101, "at most 100 tags"),
        (950, 30, 30, "at most 1000 metrics, params and tags in total"),
    ],
    ids=["metrics", "params", "tags", "total"],
)
def test_log_batch_limits(
    svc: TrackingService, metrics: int, params: int, tags: int, message: str
) -> None:
    run_id = _run(svc)
    with pytest.raises(InvalidParameterValue, match=message):
        svc.log_batch(
            run_id,
            metrics=[Metric(f"m{i}", 1.0, 1, 0) for i in range(metrics)],
            params=[Param(f"p{i}", "v") for i in range(params)],
            tags=[RunTag(f"t{i}", "v") for i in range(tags)],
        )
    assert svc.get_run(run_id).data.metrics == {}


def test_oversize_values_are_rejected_not_truncated(svc: TrackingService) -> None:
    run_id = _run(svc)
    with pytest.raises(InvalidParameterValue, match="limit is 6000"):
        svc.log_param(run_id, Param("p", "x" * 6001))
    with pytest.raises(InvalidParameterValue, match="limit is 8000"):
        svc.set_tag(run_id, RunTag("t", "x" * 8001))
    with pytest.raises(InvalidParameterValue, match="limit is 250"):
        svc.log_metric(run_id, Metric("k" * 251, 1.0, 1, 0))
    svc.log_param(run_id, Param("p", "x" * 6000))
    svc.set_tag(run_id, RunTag("t", "y" * 8000))
    data = svc.get_run(run_id).data
    assert len(data.params["p"]) == 6000
    assert len(data.tags["t"]) == 8000


@pytest.mark.parametrize(
    "key",
    ["", "a/../b", "/abs", "bad\nname", "semi;colon", "trail/", "."],
    ids=["empty", "dotdot", "abs", "newline", "semicolon", "trailing-slash", "dot"],
)
def test_invalid_keys_are_rejected(svc: TrackingService, key: str) -> None:
    run_id = _run(svc)
    with pytest.raises(InvalidParameterValue, match=r"name|Missing value"):
        svc.log_metric(run_id, Metric(key, 1.0, 1, 0))


def test_non_numeric_metric_value_is_rejected(svc: TrackingService) -> None:
    run_id = _run(svc)
    with pytest.raises(InvalidParameterValue, match="Metric values must be numbers"):
        svc.log_metric(run_id, Metric("m", "high", 1, 0))  # type: ignore[arg-type]


def test_delete_tag(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.set_tag(run_id, RunTag("t", "v"))
    svc.delete_tag(run_id, "t")
    assert "t" not in svc.get_run(run_id).data.tags
    with pytest.raises(ResourceDoesNotExist, match="No tag with name: t"):
        svc.delete_tag(run_id, "t")


def test_metric_history_pagination(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.log_batch(run_id, metrics=[Metric("m", float(i), 1000 + i, i) for i in range(25)])
    seen: list[float] = []
    token = None
    while True:
        page = svc.get_metric_history(run_id, "m", max_results=10, page_token=token)
        seen.extend(p.value for p in page)
        token = page.token
        if token is None:
            break
    assert seen == [float(i) for i in range(25)]


def test_bulk_interval_samples_evenly_and_keeps_ends(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.log_batch(run_id, metrics=[Metric("m", float(i), 1, i) for i in range(100)])
    points = svc.get_metric_history_bulk_interval([run_id], "m", max_results=5)
    steps = [p.step for p in points]
    assert steps[0] == 0
    assert steps[-1] == 99
    assert len(steps) == 5
    window = svc.get_metric_history_bulk_interval([run_id], "m", 100, start_step=10, end_step=20)
    assert [p.step for p in window] == list(range(10, 21))


def test_log_inputs_deduplicates_datasets(svc: TrackingService) -> None:
    run_a, run_b = _run(svc), _run(svc)
    ds = Dataset("iris", "abc123", "local", '{"uri": "/data/iris.csv"}', '{"cols": []}', "{}")
    item = DatasetInput(ds, [InputTag("mlflow.data.context", "training")])
    svc.log_inputs(run_a, [item])
    svc.log_inputs(run_a, [item])
    svc.log_inputs(run_b, [item])
    inputs = svc.get_run(run_a).inputs.dataset_inputs
    assert len(inputs) == 1
    assert inputs[0].dataset == ds
    assert inputs[0].tags == [InputTag("mlflow.data.context", "training")]
    usages = svc.search_datasets(["0"])
    assert [(u.name, u.digest, u.context) for u in usages] == [("iris", "abc123", "training")]


def test_search_runs_view_types_and_pagination(svc: TrackingService) -> None:
    exp_id = svc.create_experiment("search")
    ids = [svc.create_run(exp_id, None, 1000 + i, [], f"r{i}").info.run_id for i in range(7)]
    svc.delete_run(ids[0])
    active = svc.search_runs([exp_id])
    assert [r.info.run_id for r in active] == list(reversed(ids[1:]))
    deleted = svc.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [ids[0]]
    assert len(svc.search_runs([exp_id], run_view_type=ViewType.ALL)) == 7
    pages: list[str] = []
    token = None
    while True:
        page = svc.search_runs([exp_id], max_results=3, page_token=token)
        pages.extend(r.info.run_id for r in page)
        token = page.token
        if token is None:
            break
    assert pages == list(reversed(ids[1:]))


def test_search_experiments_filter_and_order(svc: TrackingService) -> None:
    for name in ("alpha", "beta", "gamma"):
        svc.create_experiment(name, tags=[("kind", "greek")])
    found = svc.search_experiments(filter_string="name LIKE 'a%'")
    assert [e.name for e in found] == ["alpha"]
    ordered = svc.search_experiments(order_by=["name DESC"], filter_string="tags.kind = 'greek'")
    assert [e.name for e in ordered] == ["gamma", "beta", "alpha"]


def test_max_results_over_limit_is_rejected(svc: TrackingService) -> None:
    with pytest.raises(InvalidParameterValue, match="max_results"):
        svc.search_runs(["0"], max_results=50001)


def test_errors_carry_mlflow_codes(svc: TrackingService) -> None:
    with pytest.raises(MlflowException) as info:
        svc.get_run("0" * 32)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert info.value.get_http_status_code() == 404


def test_large_int_step_and_timestamp(svc: TrackingService) -> None:
    run_id = _run(svc)
    svc.log_metric(run_id, Metric("m", 1.0, 2**62, 2**62))
    assert svc.get_metric_history(run_id, "m")[0].step == 2**62
    with pytest.raises(InvalidParameterValue, match="does not fit in int64"):
        svc.log_metric(run_id, Metric("m", 1.0, 1, sys.maxsize * 4))
