"""Model directories cross over: MLflow 3's load in mltrail, and mltrail's load in MLflow."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import mltrail.models
import mltrail.pyfunc
import mltrail.sklearn

with warnings.catch_warnings():
    # MLflow warns about its own type hints at import; that is not what these tests check.
    warnings.simplefilter("ignore")
    pytest.importorskip("mlflow")
    import mlflow.models
    import mlflow.pyfunc
    import mlflow.sklearn

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::FutureWarning", "ignore::pandas.errors.Pandas4Warning"
)

Data = tuple[pd.DataFrame, list[int]]


class MlflowDoubler(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        factor = (params or {}).get("factor", 2)
        return model_input["x"] * factor


class MltrailDoubler(mltrail.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        factor = (params or {}).get("factor", 2)
        return model_input["x"] * factor


def test_mlflow_sklearn_model_loads_in_mltrail(
    tmp_path: Path, classifier: LogisticRegression, iris_like: Data
) -> None:
    frame, _ = iris_like
    path = str(tmp_path / "m")
    mlflow.sklearn.save_model(classifier, path, input_example=frame)
    model = mltrail.pyfunc.load_model(path)
    assert list(model.predict(frame)) == list(classifier.predict(frame))
    assert isinstance(mltrail.sklearn.load_model(path), LogisticRegression)
    assert model.metadata.signature is not None


def test_mltrail_sklearn_model_loads_in_mlflow(
    tmp_path: Path, classifier: LogisticRegression, iris_like: Data
) -> None:
    frame, _ = iris_like
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(classifier, path, input_example=frame)
    model = mlflow.pyfunc.load_model(path)
    assert list(model.predict(frame)) == list(classifier.predict(frame))
    assert isinstance(mlflow.sklearn.load_model(path), LogisticRegression)
    assert model.metadata.get_input_schema().input_names() == ["a", "b"]


def test_mlflow_python_model_loads_in_mltrail(tmp_path: Path) -> None:
    path = str(tmp_path / "m")
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    signature = mlflow.models.infer_signature(frame, params={"factor": 2})
    mlflow.pyfunc.save_model(path, python_model=MlflowDoubler(), signature=signature)
    model = mltrail.pyfunc.load_model(path)
    assert list(model.predict(frame)) == [2.0, 4.0]
    assert list(model.predict(frame, params={"factor": 3})) == [3.0, 6.0]


def test_mltrail_python_model_loads_in_mlflow(tmp_path: Path) -> None:
    path = str(tmp_path / "m")
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    signature = mltrail.models.infer_signature(frame, params={"factor": 2})
    mltrail.pyfunc.save_model(path, MltrailDoubler(), signature=signature)
    model = mlflow.pyfunc.load_model(path)
    np.testing.assert_allclose(model.predict(frame), [2.0, 4.0])
    np.testing.assert_allclose(model.predict(frame, params={"factor": 3}), [3.0, 6.0])
