"""LoggedModel rules of the TrackingService on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltrail.config import Settings
from mltrail.entities import LoggedModel, LoggedModelStatus, Metric, PagedList
from mltrail.exceptions import (
    InvalidParameterValue,
    InvalidState,
    MlflowException,
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


def _names(models: list[LoggedModel]) -> list[str]:
    return [m.name for m in models]


def _metric(key: str, value: float, model_id: str, step: int = 0, **kw: str) -> Metric:
    return Metric(key, value, 1000 + step, step, model_id=model_id, **kw)


# ---------------------------------------------------------------------------- lifecycle
def test_create_get_finalize_and_delete(svc: TrackingService) -> None:
    exp = svc.create_experiment("models")
    run_id = _run(svc, exp)
    model = svc.create_logged_model(
        exp,
        name="clf",
        source_run_id=run_id,
        tags={"team": "ml"},
        params={"lr": "0.1"},
        model_type="classifier",
    )
    assert model.model_id.startswith("m-")
    assert len(model.model_id) == 34
    assert model.experiment_id == exp
    assert model.name == "clf"
    assert model.status == LoggedModelStatus.PENDING
    assert model.source_run_id == run_id
    assert model.model_type == "classifier"
    assert model.tags == {"team": "ml"}
    assert model.params == {"lr": "0.1"}
    assert model.metrics == []
    assert model.artifact_location.endswith(f"/models/{model.model_id}/artifacts")
    assert model.model_uri == f"models:/{model.model_id}"
    assert model.creation_timestamp == model.last_updated_timestamp > 0
    assert svc.get_logged_model(model.model_id) == model

    ready = svc.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    assert ready.status == LoggedModelStatus.READY
    assert ready.last_updated_timestamp >= model.last_updated_timestamp
    # MLflow's wire names are accepted too.
    failed = svc.finalize_logged_model(model.model_id, "LOGGED_MODEL_UPLOAD_FAILED")
    assert failed.status == LoggedModelStatus.FAILED
    with pytest.raises(InvalidParameterValue, match="Invalid LoggedModel status 'DONE'"):
        svc.finalize_logged_model(model.model_id, "DONE")

    svc.delete_logged_model(model.model_id)
    with pytest.raises(ResourceDoesNotExist, match=f"'{model.model_id}' not found"):
        svc.get_logged_model(model.model_id)
    with pytest.raises(ResourceDoesNotExist):
        svc.delete_logged_model(model.model_id)
    with pytest.raises(ResourceDoesNotExist):
        svc.set_logged_model_tags(model.model_id, {"a": "b"})


def test_a_model_without_a_name_gets_a_generated_one(svc: TrackingService) -> None:
    model = svc.create_logged_model("0")
    assert model.name
    assert model.source_run_id is None


def test_unknown_model_is_not_found(svc: TrackingService) -> None:
    with pytest.raises(ResourceDoesNotExist, match="'m-nope' not found"):
        svc.get_logged_model("m-nope")
    with pytest.raises(ResourceDoesNotExist):
        svc.finalize_logged_model("m-nope", "READY")
    with pytest.raises(ResourceDoesNotExist):
        svc.log_logged_model_params("m-nope", {"a": "1"})


def test_bad_names_and_sources_are_rejected(svc: TrackingService) -> None:
    with pytest.raises(InvalidParameterValue, match="without '/' or ':'"):
        svc.create_logged_model("0", name="a/b")
    with pytest.raises(InvalidParameterValue, match="at most 500 characters"):
        svc.create_logged_model("0", name="x" * 501)
    with pytest.raises(ResourceDoesNotExist, match="f00"):
        svc.create_logged_model("0", source_run_id="f00")
    with pytest.raises(ResourceDoesNotExist):
        svc.create_logged_model("424242")


def test_the_experiment_must_be_active(svc: TrackingService) -> None:
    exp = svc.create_experiment("gone")
    svc.delete_experiment(exp)
    with pytest.raises(InvalidState, match="it is deleted"):
        svc.create_logged_model(exp, name="m")
    svc.restore_experiment(exp)
    assert svc.create_logged_model(exp, name="m").experiment_id == exp


# ---------------------------------------------------------------------------- tags and params
def test_tags_are_set_overwritten_and_deleted(svc: TrackingService) -> None:
    model_id = svc.create_logged_model("0", name="m", tags={"a": "1"}).model_id
    svc.set_logged_model_tags(model_id, {"a": "2", "b": "ünï"})
    assert svc.get_logged_model(model_id).tags == {"a": "2", "b": "ünï"}
    svc.delete_logged_model_tag(model_id, "a")
    assert svc.get_logged_model(model_id).tags == {"b": "ünï"}
    with pytest.raises(ResourceDoesNotExist, match="No tag with key 'a'"):
        svc.delete_logged_model_tag(model_id, "a")
    with pytest.raises(MlflowException):
        svc.set_logged_model_tags(model_id, {"": "x"})


def test_params_are_immutable(svc: TrackingService) -> None:
    model_id = svc.create_logged_model("0", name="m", params={"lr": "0.1"}).model_id
    svc.log_logged_model_params(model_id, {"lr": "0.1", "depth": "3"})  # same value: fine
    with pytest.raises(InvalidParameterValue, match="Changing param values is not allowed"):
        svc.log_logged_model_params(model_id, {"depth": "4", "new": "x"})
    # The failed call wrote nothing, not even the new key.
    assert svc.get_logged_model(model_id).params == {"lr": "0.1", "depth": "3"}
    with pytest.raises(InvalidParameterValue, match="limit"):
        svc.log_logged_model_params(model_id, {"long": "x" * 10_000})


# ---------------------------------------------------------------------------- metrics
def test_metrics_logged_with_a_model_id_are_recorded_for_the_model(svc: TrackingService) -> None:
    run_id = _run(svc)
    model_id = svc.create_logged_model("0", name="m", source_run_id=run_id).model_id
    svc.log_batch(
        run_id,
        metrics=[
            _metric("acc", 0.5, model_id, step=0),
            _metric("acc", 0.75, model_id, step=1, dataset_name="val", dataset_digest="d1"),
            _metric("loss", math.nan, model_id),
            Metric("unrelated", 1.0, 1000, 0),
        ],
    )
    svc.log_metric(run_id, _metric("acc", 0.8, model_id, step=2))
    points = svc.get_logged_model(model_id).metrics
    assert [(p.key, p.step) for p in points] == [("acc", 0), ("acc", 1), ("acc", 2), ("loss", 0)]
    assert {(p.model_id, p.run_id) for p in points} == {(model_id, run_id)}
    assert (points[1].dataset_name, points[1].dataset_digest) == ("val", "d1")
    assert math.isnan(points[3].value)
    # The run has them too.
    assert svc.get_run(run_id).data.metrics["acc"] == 0.8


def test_metrics_for_an_unknown_model_are_rejected_and_nothing_is_written(
    svc: TrackingService,
) -> None:
    run_id = _run(svc)
    with pytest.raises(ResourceDoesNotExist, match="'m-missing' not found"):
        svc.log_batch(
            run_id,
            metrics=[Metric("ok", 1.0, 1000, 0), _metric("acc", 0.5, "m-missing")],
        )
    assert svc.get_run(run_id).data.metrics == {}
    with pytest.raises(ResourceDoesNotExist):
        svc.log_metric(run_id, _metric("acc", 0.5, "m-missing"))
    assert svc.get_run(run_id).data.metrics == {}
    # A deleted model counts as unknown.
    model_id = svc.create_logged_model("0", name="m").model_id
    svc.delete_logged_model(model_id)
    with pytest.raises(ResourceDoesNotExist):
        svc.log_batch(run_id, metrics=[_metric("acc", 0.5, model_id)])


# ---------------------------------------------------------------------------- search
@pytest.fixture
def catalog(svc: TrackingService) -> dict[str, str]:
    """Four models in one experiment: metrics, params, tags and statuses to search on."""
    exp = svc.create_experiment("catalog")
    run_id = _run(svc, exp)
    ids = {}
    specs = [
        ("alpha", {"x": "y"}, {"t": "v"}, 0.95, "READY"),
        ("apple", {"x": "z"}, {"t": "w"}, 0.85, "READY"),
        ("beta", {"x": "y"}, {}, 0.99, "FAILED"),
        ("gamma", {}, {"t": "v"}, None, None),
    ]
    for name, params, tags, acc, status in specs:
        model_id = svc.create_logged_model(exp, name=name, params=params, tags=tags).model_id
        ids[name] = model_id
        if acc is not None:
            svc.log_batch(
                run_id,
                metrics=[
                    # An earlier, lower point: filters look at the latest one.
                    _metric("accuracy", acc - 0.5, model_id, step=0),
                    _metric("accuracy", acc, model_id, step=1, dataset_name="val"),
                ],
            )
        if status:
            svc.finalize_logged_model(model_id, status)
    ids["experiment_id"] = exp
    return ids


def _search(svc: TrackingService, catalog: dict[str, str], **kw: object) -> PagedList[LoggedModel]:
    return svc.search_logged_models([catalog["experiment_id"]], **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("metrics.accuracy > 0.9", {"alpha", "beta"}),
        ("metrics.accuracy <= 0.9", {"apple"}),
        ("params.x = 'y'", {"alpha", "beta"}),
        ("params.x != 'y'", {"apple"}),
        ("tags.t = 'v'", {"alpha", "gamma"}),
        ("name LIKE 'a%'", {"alpha", "apple"}),
        ("name ILIKE 'A%'", {"alpha", "apple"}),
        ("name = 'beta'", {"beta"}),
        ("status = 'READY'", {"alpha", "apple"}),
        ("status = 'LOGGED_MODEL_PENDING'", {"gamma"}),
        ("status != 'READY'", {"beta", "gamma"}),
        ("name LIKE 'a%' AND metrics.accuracy > 0.9", {"alpha"}),
        ("params.x = 'y' and tags.t = 'v'", {"alpha"}),
        ("", {"alpha", "apple", "beta", "gamma"}),
    ],
)
def test_search_filters(
    svc: TrackingService, catalog: dict[str, str], filter_string: str, expected: set[str]
) -> None:
    assert set(_names(_search(svc, catalog, filter_string=filter_string))) == expected


def test_search_by_dataset(svc: TrackingService, catalog: dict[str, str]) -> None:
    val = [{"dataset_name": "val"}]
    assert set(_names(_search(svc, catalog, datasets=val))) == {"alpha", "apple", "beta"}
    with_digest = [{"dataset_name": "val", "dataset_digest": "nope"}]
    assert _search(svc, catalog, datasets=with_digest) == []
    assert _search(svc, catalog, datasets=[{"dataset_name": "test"}]) == []
    found = _search(svc, catalog, datasets=val, filter_string="metrics.accuracy > 0.9")
    assert set(_names(found)) == {"alpha", "beta"}
    with pytest.raises(InvalidParameterValue, match="dataset_name"):
        _search(svc, catalog, datasets=[{"dataset_digest": "d"}])


def test_search_order_by_attribute_and_metric(
    svc: TrackingService, catalog: dict[str, str]
) -> None:
    by_name = _search(svc, catalog, order_by=[{"field_name": "name", "ascending": True}])
    assert _names(by_name) == ["alpha", "apple", "beta", "gamma"]
    by_name_desc = _search(svc, catalog, order_by=[{"field_name": "name", "ascending": False}])
    assert _names(by_name_desc) == ["gamma", "beta", "apple", "alpha"]
    # Newest first by default.
    assert _names(_search(svc, catalog)) == ["gamma", "beta", "apple", "alpha"]

    best = _search(svc, catalog, order_by=[{"field_name": "metrics.accuracy", "ascending": False}])
    assert _names(best) == ["beta", "alpha", "apple", "gamma"]  # gamma has no accuracy: last
    worst = _search(svc, catalog, order_by=[{"field_name": "metrics.accuracy", "ascending": True}])
    assert _names(worst) == ["apple", "alpha", "beta", "gamma"]
    on_val = _search(
        svc,
        catalog,
        order_by=[{"field_name": "metrics.accuracy", "ascending": False, "dataset_name": "val"}],
    )
    assert _names(on_val) == ["beta", "alpha", "apple", "gamma"]
    with pytest.raises(InvalidParameterValue, match="Invalid order_by field 'colour'"):
        _search(svc, catalog, order_by=[{"field_name": "colour"}])


def test_search_pages(svc: TrackingService, catalog: dict[str, str]) -> None:
    order = [{"field_name": "name", "ascending": True}]
    first = _search(svc, catalog, max_results=3, order_by=order)
    assert _names(first) == ["alpha", "apple", "beta"]
    assert first.token
    second = _search(svc, catalog, max_results=3, order_by=order, page_token=first.token)
    assert _names(second) == ["gamma"]
    assert second.token is None
    exact = _search(svc, catalog, max_results=4, order_by=order)
    assert len(exact) == 4
    assert exact.token is None
    with pytest.raises(MlflowException):
        _search(svc, catalog, page_token="not-a-token")
    with pytest.raises(InvalidParameterValue):
        _search(svc, catalog, max_results=100_000)


def test_deleted_models_are_hidden_from_search(
    svc: TrackingService, catalog: dict[str, str]
) -> None:
    svc.delete_logged_model(catalog["alpha"])
    assert set(_names(_search(svc, catalog))) == {"apple", "beta", "gamma"}
    assert set(_names(_search(svc, catalog, filter_string="params.x = 'y'"))) == {"beta"}


def test_search_is_scoped_to_experiments(svc: TrackingService, catalog: dict[str, str]) -> None:
    svc.create_logged_model("0", name="elsewhere")
    assert _names(svc.search_logged_models(["0"])) == ["elsewhere"]
    both = svc.search_logged_models(["0", catalog["experiment_id"]])
    assert len(both) == 5
    with pytest.raises(InvalidParameterValue, match="at least one experiment"):
        svc.search_logged_models([])
    with pytest.raises(InvalidParameterValue, match="Invalid experiment id 'abc'"):
        svc.search_logged_models(["abc"])


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("colour = 'red'", "unknown LoggedModel attribute 'colour'"),
        ("runs.x = 'y'", "searched by attributes, metrics., params. and tags."),
        ("metrics.accuracy > 'high'", "compare it with a number"),
        ("metrics.accuracy IN (1, 2)", "cannot be compared with IN"),
        ("name = ", "expected a value"),
        ("params.x = 'y' OR params.x = 'z'", "'OR' is not supported"),
    ],
)
def test_bad_filters_are_rejected_with_a_clear_message(
    svc: TrackingService, filter_string: str, message: str
) -> None:
    with pytest.raises(InvalidParameterValue) as info:
        svc.search_logged_models(["0"], filter_string=filter_string)
    assert message in info.value.message
    assert filter_string in info.value.message
