"""The scikit-learn flavor through the public API: log, load, predict, LoggedModel lifecycle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import mltrail
import mltrail.pyfunc
import mltrail.sklearn
from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.models import Model

Data = tuple[pd.DataFrame, list[int]]


def test_log_model_returns_model_info_and_finalizes_ready(
    tracking_uri: str, classifier: LogisticRegression, iris_like: Data
) -> None:
    frame, _ = iris_like
    with mltrail.start_run() as run:
        info = mltrail.sklearn.log_model(classifier, name="clf", input_example=frame.head(2))
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.artifact_path == "clf"
    assert info.run_id == run.info.run_id
    assert set(info.flavors) == {"python_function", "sklearn"}
    assert info.signature is not None
    assert info.signature.inputs is not None
    assert [c.name for c in info.signature.inputs.inputs] == ["a", "b"]
    logged = mltrail.get_logged_model(info.model_id)
    assert (logged.status, logged.name, logged.source_run_id) == ("READY", "clf", run.info.run_id)
    history = json.loads(mltrail.get_run(run.info.run_id).data.tags["mlflow.log-model.history"])
    assert history[0]["model_id"] == info.model_id
    assert history[0]["flavors"]["sklearn"]["serialization_format"] == "cloudpickle"


def test_logged_model_loads_natively_and_as_pyfunc(
    tracking_uri: str, classifier: LogisticRegression, iris_like: Data
) -> None:
    frame, _ = iris_like
    with mltrail.start_run() as run:
        info = mltrail.sklearn.log_model(classifier, artifact_path="model")
    native = mltrail.sklearn.load_model(info.model_uri)
    assert isinstance(native, LogisticRegression)
    expected = classifier.predict(frame)
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model"):
        assert list(mltrail.pyfunc.load_model(uri).predict(frame)) == list(expected)


def test_registered_model_loads_by_version_alias_and_latest(
    tracking_uri: str, classifier: LogisticRegression, iris_like: Data
) -> None:
    frame, _ = iris_like
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(classifier, name="clf")
    version = mltrail.register_model(info.model_uri, "fraud-clf")
    client = mltrail.MlflowClient()
    client.set_registered_model_alias("fraud-clf", "champion", version.version)
    expected = list(classifier.predict(frame))
    for uri in (
        f"models:/fraud-clf/{version.version}",
        "models:/fraud-clf@champion",
        "models:/fraud-clf/latest",
    ):
        assert list(mltrail.pyfunc.load_model(uri).predict(frame)) == expected
    with pytest.raises(MlflowException, match="alias missing not found"):
        mltrail.pyfunc.load_model("models:/fraud-clf@missing")


def test_pyfunc_predict_proba_via_params_and_predict_fn(
    tmp_path: Path, classifier: LogisticRegression, iris_like: Data
) -> None:
    frame, _ = iris_like
    mltrail.sklearn.save_model(classifier, str(tmp_path / "a"))
    model = mltrail.pyfunc.load_model(str(tmp_path / "a"))
    proba = model.predict(frame, params={"predict_method": "predict_proba"})
    np.testing.assert_allclose(proba, classifier.predict_proba(frame))
    mltrail.sklearn.save_model(classifier, str(tmp_path / "b"), pyfunc_predict_fn="predict_proba")
    np.testing.assert_allclose(
        mltrail.pyfunc.load_model(str(tmp_path / "b")).predict(frame),
        classifier.predict_proba(frame),
    )
    with pytest.raises(InvalidParameterValue, match="predict_method 'fit' is not available"):
        model.predict(frame, params={"predict_method": "fit"})


def test_signature_enforced_at_predict_time(
    tmp_path: Path, classifier: LogisticRegression, iris_like: Data
) -> None:
    frame, _ = iris_like
    mltrail.sklearn.save_model(classifier, str(tmp_path / "m"), input_example=frame)
    model = mltrail.pyfunc.load_model(str(tmp_path / "m"))
    as_ints = pd.DataFrame({"a": [1, 2], "b": [0, 1]})
    assert len(model.predict(as_ints)) == 2
    with pytest.raises(MlflowException, match=r"missing inputs \['b'\]"):
        model.predict(frame[["a"]])
    with pytest.raises(MlflowException, match=r"column a.*double"):
        model.predict(pd.DataFrame({"a": ["x"], "b": [1.0]}))


def test_pickle_format_and_requirements(
    tmp_path: Path, classifier: LogisticRegression, iris_like: Data
) -> None:
    path = tmp_path / "m"
    mltrail.sklearn.save_model(
        classifier, str(path), serialization_format="pickle", extra_pip_requirements=["extra==1"]
    )
    requirements = (path / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("scikit-learn==") for line in requirements)
    assert any(line.startswith("numpy==") for line in requirements)
    assert requirements[-1] == "extra==1"
    assert Model.load(str(path)).flavors["sklearn"]["serialization_format"] == "pickle"
    frame, _ = iris_like
    assert len(mltrail.sklearn.load_model(str(path)).predict(frame)) == 4


def test_failed_log_model_marks_logged_model_failed(tracking_uri: str) -> None:
    class Broken:
        def predict(self, data: Any) -> Any:
            return data

        def __reduce__(self) -> Any:
            raise TypeError("cannot pickle this")

    with mltrail.start_run(), pytest.raises(TypeError, match="cannot pickle this"):
        mltrail.sklearn.log_model(Broken(), name="broken")
    model = mltrail.last_logged_model()
    assert model is not None
    assert model.status == "FAILED"


def test_checkpoints_link_step_metrics(tracking_uri: str, classifier: LogisticRegression) -> None:
    with mltrail.start_run() as run:
        experiment_id = run.info.experiment_id
        for step, loss in enumerate([0.9, 0.4, 0.6]):
            mltrail.log_metric("val_loss", loss, step=step, synchronous=True)
            mltrail.sklearn.log_model(classifier, name=f"ckpt-{step}", step=step)
    best = mltrail.search_logged_models(
        experiment_ids=[experiment_id],
        order_by=[{"field_name": "metrics.val_loss", "ascending": True}],
        output_format="list",
        max_results=1,
    )
    assert [m.name for m in best] == ["ckpt-1"]


def test_log_and_load_through_a_tracking_server(
    module_server_url: str, classifier: LogisticRegression, iris_like: Data
) -> None:
    frame, _ = iris_like
    mltrail.set_tracking_uri(module_server_url)
    with mltrail.start_run() as run:
        info = mltrail.sklearn.log_model(classifier, name="remote", input_example=frame)
    assert mltrail.get_logged_model(info.model_id).status == "READY"
    history = json.loads(mltrail.get_run(run.info.run_id).data.tags["mlflow.log-model.history"])
    assert [entry["model_id"] for entry in history] == [info.model_id]
    loaded = mltrail.pyfunc.load_model(info.model_uri)
    assert list(loaded.predict(frame)) == list(classifier.predict(frame))
