"""PyFuncModel, the generic predict interface, and load_model."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from typing import Any

from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.models.flavor import get_flavor
from mltrail.models.mlmodel import Model
from mltrail.models.signature import enforce_params, enforce_schema
from mltrail.pyfunc.uri import download_model
from mltrail.store.artifacts.paths import safe_relative

__all__ = ["PyFuncModel", "load_model"]

PYFUNC = "python_function"
# Loader modules that MLflow and mltrail write for the built-in python models.
_PYTHON_MODEL_LOADERS = {"mlflow.pyfunc.model", "mltrail.pyfunc.model"}


class PyFuncModel:
    """A loaded model behind one interface: ``predict(data, params=None)``.

    Args:
        model_meta: The model's MLmodel contents.
        model_impl: The flavor's object with ``predict(data, params)``.
    """

    def __init__(self, model_meta: Model, model_impl: Any) -> None:
        self._meta = model_meta
        self._impl = model_impl
        signature = model_meta.signature
        self._input_schema = signature.inputs if signature else None
        self._params_schema = signature.params if signature else None

    @property
    def metadata(self) -> Model:
        """The model's MLmodel contents."""
        return self._meta

    @property
    def loader_module(self) -> str | None:
        """The python_function loader module named in the MLmodel file."""
        conf = self._meta.flavors.get(PYFUNC) or {}
        return conf.get("loader_module")

    @property
    def model_id(self) -> str | None:
        """The LoggedModel id the model was logged under."""
        return self._meta.model_id

    def _prepare(self, data: Any, params: dict[str, Any] | None) -> tuple[Any, Any]:
        if self._input_schema is not None:
            data = enforce_schema(data, self._input_schema)
        if self._params_schema is not None or params:
            params = enforce_params(params, self._params_schema)
        return data, params

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Check ``data`` against the signature and return the model's predictions.

        Args:
            data: A DataFrame, numpy array, dict, list or string.
            params: Inference params; defaults from the signature fill the gaps.

        Raises:
            MlflowException: The input does not fit the signature (the message names the
                column and the expected type).
        """
        data, params = self._prepare(data, params)
        if params:
            return self._impl.predict(data, params=params)
        return self._impl.predict(data)

    def predict_stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Yield predictions chunk by chunk, for models that stream.

        Raises:
            MlflowException: The model does not support streaming.
        """
        stream = getattr(self._impl, "predict_stream", None)
        if stream is None:
            raise MlflowException("This model does not support predict_stream().")
        data, params = self._prepare(data, params)
        return iter(stream(data, params=params))

    def unwrap_python_model(self) -> Any:
        """Return the PythonModel object of a custom model.

        Raises:
            MlflowException: The model is not a custom PythonModel.
        """
        inner = getattr(self._impl, "python_model", None)
        if inner is None:
            raise MlflowException("unwrap_python_model() works only for custom PythonModels.")
        return inner

    def get_raw_model(self) -> Any:
        """Return the flavor's underlying model object."""
        return getattr(self._impl, "python_model", None) or getattr(self._impl, "model", self._impl)

    def __repr__(self) -> str:
        return f"PyFuncModel(loader_module={self.loader_module!r}, model_id={self.model_id!r})"


def _flavor_key(loader_module: str) -> str | None:
    if loader_module in _PYTHON_MODEL_LOADERS:
        return PYFUNC
    for prefix in ("mlflow.", "mltrail."):
        if loader_module.startswith(prefix) and loader_module.count(".") == 1:
            return loader_module[len(prefix) :]
    return None


def _load_bundled(path: str, code: str | None, loader_module: str, data_path: str) -> Any:
    """Load a custom loader module, but only from the model's own ``code/`` folder."""
    if not code:
        raise MlflowException(
            f"The model names loader_module {loader_module!r}, which is not a known flavor and "
            "is not bundled in the model's code/ folder; install the flavor's package."
        )
    root = os.path.join(path, safe_relative(code))
    rel = loader_module.replace(".", "/")
    for candidate in (f"{rel}.py", f"{rel}/__init__.py"):
        file_path = os.path.join(root, candidate)
        if os.path.isfile(file_path) and os.path.realpath(file_path).startswith(
            os.path.realpath(root) + os.sep
        ):
            spec = importlib.util.spec_from_file_location(loader_module, file_path)
            if spec is None or spec.loader is None:
                break
            module = importlib.util.module_from_spec(spec)
            sys.modules[loader_module] = module
            spec.loader.exec_module(module)
            return module._load_pyfunc(data_path)
    raise MlflowException(
        f"loader_module {loader_module!r} is neither a known flavor nor a module in the "
        "model's code/ folder; mltrail does not import modules a model file names."
    )


def _add_code_path(path: str, code: str | None) -> None:
    if code:
        root = os.path.join(path, safe_relative(code))
        if os.path.isdir(root) and root not in sys.path:
            sys.path.insert(0, root)


def load_model(model_uri: str, dst_path: str | None = None) -> PyFuncModel:
    """Load a model as a PyFuncModel.

    Loading a pickle- or cloudpickle-based model (scikit-learn, custom PythonModels, ...) runs
    code stored in the model: load only models from sources you trust.

    Args:
        model_uri: A local path, ``file://``, ``runs:/<run_id>/<path>``,
            ``models:/<model_id>``, or an artifact URI such as ``s3://`` or
            ``mlflow-artifacts:/``.
        dst_path: Where to download a remote model; a temporary folder if None.

    Raises:
        MlflowException: The model has no python_function flavor, or names a loader that is
            neither a registered flavor nor bundled in its ``code/`` folder.
    """
    local = download_model(model_uri, dst_path)
    meta = Model.load(local)
    conf = meta.flavors.get(PYFUNC)
    if conf is None:
        raise MlflowException(
            f"Model at {model_uri!r} has no python_function flavor (it has "
            f"{', '.join(meta.flavors) or 'none'}); load it with its flavor's load_model."
        )
    loader = str(conf.get("loader_module") or "mlflow.pyfunc.model")
    code = conf.get("code")
    _add_code_path(local, code)
    key = _flavor_key(loader)
    if key is None:
        data_path = os.path.join(local, safe_relative(str(conf.get("data") or "")))
        return PyFuncModel(meta, _load_bundled(local, code, loader, data_path))
    try:
        flavor = get_flavor(key)
    except InvalidParameterValue as exc:
        raise MlflowException(f"Cannot load {model_uri!r}: {exc.message}") from exc
    config = {**(meta.flavors.get(key) or {}), **conf} if key != PYFUNC else dict(conf)
    return PyFuncModel(meta, flavor.load_pyfunc(local, config))
