"""Custom Python models: save, load, predict with params, artifacts, models from code, safety."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import mltrail
import mltrail.pyfunc
from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.models import Model, ModelSignature, ParamSchema, ParamSpec


class AddN(mltrail.pyfunc.PythonModel):
    def load_context(self, context: mltrail.pyfunc.PythonModelContext) -> None:
        self.n = int(Path(context.artifacts["n"]).read_text())
        self.scale = context.model_config.get("scale", 1)

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        extra = (params or {}).get("extra", 0)
        return (model_input["x"] + self.n + extra) * self.scale

    def predict_stream(
        self, context: Any, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        yield from ["a", "b"]


class NoContext(mltrail.pyfunc.PythonModel):
    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return [len(s) for s in model_input]


def _save_add_n(tmp_path: Path, **kwargs: Any) -> Path:
    artifact = tmp_path / "n.txt"
    artifact.write_text("10")
    path = tmp_path / "model"
    mltrail.pyfunc.save_model(
        str(path), AddN(), artifacts={"n": str(artifact)}, model_config={"scale": 2}, **kwargs
    )
    return path


def test_python_model_loads_with_artifacts_config_and_params(tmp_path: Path) -> None:
    signature = ModelSignature(params=ParamSchema([ParamSpec("extra", "long", 1)]))
    path = _save_add_n(tmp_path, signature=signature)
    model = mltrail.pyfunc.load_model(str(path))
    frame = pd.DataFrame({"x": [1, 2]})
    assert list(model.predict(frame)) == [24, 26]
    assert list(model.predict(frame, params={"extra": 0})) == [22, 24]
    assert list(model.predict_stream(frame)) == ["a", "b"]
    assert isinstance(model.unwrap_python_model(), AddN)
    assert model.metadata.flavors["python_function"]["streamable"] is True


def test_model_directory_has_environment_files_and_input_example(tmp_path: Path) -> None:
    path = _save_add_n(tmp_path, input_example=pd.DataFrame({"x": [1]}))
    names = {p.name for p in path.iterdir()}
    assert {"MLmodel", "requirements.txt", "python_env.yaml", "conda.yaml"} <= names
    assert {"input_example.json", "python_model.pkl", "artifacts"} <= names
    requirements = (path / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("cloudpickle==") for line in requirements)
    assert any(line.startswith("pandas==") for line in requirements) is False
    meta = Model.load(str(path))
    assert meta.saved_input_example_info == {
        "artifact_path": "input_example.json",
        "type": "dataframe",
        "pandas_orient": "split",
        "serving_input_path": "serving_input_example.json",
    }
    assert meta.signature is not None
    python_env = yaml.safe_load((path / "python_env.yaml").read_text())
    assert python_env["dependencies"] == ["-r requirements.txt"]


def test_new_style_predict_without_context(tmp_path: Path) -> None:
    mltrail.pyfunc.save_model(str(tmp_path / "m"), NoContext())
    assert mltrail.pyfunc.load_model(str(tmp_path / "m")).predict(["ab", "c"]) == [2, 1]


def test_models_from_code(tmp_path: Path) -> None:
    code = tmp_path / "agent.py"
    code.write_text(
        textwrap.dedent(
            """
            from mltrail.models import set_model
            from mltrail.pyfunc import PythonModel

            class Echo(PythonModel):
                def predict(self, context, model_input, params=None):
                    return f"echo:{model_input}"

            set_model(Echo())
            """
        )
    )
    mltrail.pyfunc.save_model(str(tmp_path / "m"), str(code))
    assert (tmp_path / "m" / "agent.py").is_file()
    assert mltrail.pyfunc.load_model(str(tmp_path / "m")).predict("hi") == "echo:hi"


def test_models_from_code_without_set_model_is_rejected(tmp_path: Path) -> None:
    code = tmp_path / "empty.py"
    code.write_text("x = 1\n")
    mltrail.pyfunc.save_model(str(tmp_path / "m"), str(code))
    with pytest.raises(InvalidParameterValue, match="did not call set_model"):
        mltrail.pyfunc.load_model(str(tmp_path / "m"))


def _rewrite_loader(path: Path, loader: str, code: str | None) -> None:
    meta = Model.load(str(path))
    meta.flavors["python_function"]["loader_module"] = loader
    meta.flavors["python_function"]["code"] = code
    meta.save(str(path))


def test_unknown_loader_module_is_never_imported(tmp_path: Path) -> None:
    path = _save_add_n(tmp_path)
    _rewrite_loader(path, "os.path", None)
    with pytest.raises(MlflowException, match="not bundled in the model's code/ folder"):
        mltrail.pyfunc.load_model(str(path))


def test_custom_loader_module_in_model_code_folder_is_honoured(tmp_path: Path) -> None:
    loader = tmp_path / "my_loader.py"
    loader.write_text(
        "class _M:\n"
        "    def predict(self, data, params=None):\n"
        "        return 'custom'\n"
        "def _load_pyfunc(path):\n"
        "    return _M()\n"
    )
    path = tmp_path / "model"
    mltrail.pyfunc.save_model(str(path), NoContext(), code_paths=[str(loader)])
    _rewrite_loader(path, "my_loader", "code")
    assert mltrail.pyfunc.load_model(str(path)).predict([1]) == "custom"


def test_paths_in_model_file_cannot_leave_the_model_directory(tmp_path: Path) -> None:
    path = _save_add_n(tmp_path)
    meta = Model.load(str(path))
    meta.flavors["python_function"]["python_model"] = "../../etc/passwd"
    meta.save(str(path))
    with pytest.raises(InvalidParameterValue, match=r"'\.\.' segments are not allowed"):
        mltrail.pyfunc.load_model(str(path))


def test_runs_uri_cannot_leave_the_run_artifact_root(tracking_uri: str) -> None:
    with mltrail.start_run() as run:
        pass
    with pytest.raises(InvalidParameterValue, match=r"'\.\.' segments are not allowed"):
        mltrail.pyfunc.load_model(f"runs:/{run.info.run_id}/../../secret")


def test_save_model_refuses_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "x").write_text("")
    with pytest.raises(InvalidParameterValue, match="already exists and is not empty"):
        mltrail.pyfunc.save_model(str(tmp_path / "m"), NoContext())


def test_log_model_creates_ready_logged_model_linked_to_run(tracking_uri: str) -> None:
    with mltrail.start_run() as run:
        info = mltrail.pyfunc.log_model(
            name="agent", python_model=NoContext(), params={"temperature": 0.1}
        )
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.run_id == run.info.run_id
    logged = mltrail.get_logged_model(info.model_id)
    assert logged.status == "READY"
    assert logged.source_run_id == run.info.run_id
    assert logged.params == {"temperature": "0.1"}
    assert mltrail.pyfunc.load_model(info.model_uri).predict(["abc"]) == [3]
    assert mltrail.pyfunc.load_model(f"runs:/{run.info.run_id}/agent").predict(["a"]) == [1]
