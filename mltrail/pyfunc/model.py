"""Custom Python models: PythonModel, its context, and the python_function flavor."""

from __future__ import annotations

import inspect
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import cloudpickle

from mltrail.exceptions import InvalidParameterValue
from mltrail.models.from_code import load_model_from_code
from mltrail.models.requirements import modules_unpickled_by
from mltrail.store.artifacts.paths import safe_relative

__all__ = ["FLAVOR", "PythonModel", "PythonModelContext", "PythonModelFlavor"]

PYFUNC = "python_function"
_PICKLE = "python_model.pkl"
_ARTIFACTS_DIR = "artifacts"
# MLflow's loader module for custom Python models; writing it keeps the directory loadable there.
_LOADER = "mlflow.pyfunc.model"


class PythonModelContext:
    """What ``load_context`` and ``predict`` see: local artifact paths and the model config.

    Args:
        artifacts: Artifact name to its local path.
        model_config: The ``model_config`` given at save time.
    """

    def __init__(self, artifacts: dict[str, str], model_config: dict[str, Any]) -> None:
        self._artifacts = artifacts
        self._model_config = model_config

    @property
    def artifacts(self) -> dict[str, str]:
        """Artifact name to its local path."""
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any]:
        """The ``model_config`` given at save time."""
        return self._model_config


@dataclass(frozen=True, slots=True)
class TypeHints:
    """Type hints of a model's predict input and output (None: not declared)."""

    input: Any = None
    output: Any = None


class PythonModel:
    """Base class of custom models: override ``predict`` (and optionally the others)."""

    @property
    def predict_type_hints(self) -> TypeHints:
        """Declared input/output type hints; mltrail validates through signatures instead.

        MLflow's pyfunc reads this attribute, so mltrail-saved models also load there.
        """
        return TypeHints()

    def load_context(self, context: PythonModelContext) -> None:
        """Load artifacts once when the model is loaded; the default does nothing."""

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        """Return predictions for ``model_input``.

        Subclasses may also drop ``context`` and define ``predict(self, model_input, params)``.
        """
        raise NotImplementedError("Override predict() in your PythonModel subclass.")

    def predict_stream(
        self, context: Any, model_input: Any, params: dict[str, Any] | None = None
    ) -> Iterator[Any]:
        """Yield predictions one chunk at a time; not supported unless overridden."""
        raise NotImplementedError("This model does not implement predict_stream().")


def _takes_context(method: Any) -> bool:
    try:
        names = list(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return True
    return bool(names) and (names[0] == "context" or len(names) >= 3)


class PythonModelWrapper:
    """Adapts a PythonModel to pyfunc's ``predict(data, params)`` call."""

    def __init__(self, python_model: Any, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context
        self._predict_context = _takes_context(python_model.predict)
        stream = getattr(python_model, "predict_stream", None)
        self._stream_context = stream is not None and _takes_context(stream)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Call the model's predict, with the context when it takes one."""
        if self._predict_context:
            return self.python_model.predict(self.context, data, params=params)
        return self.python_model.predict(data, params=params)

    def predict_stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Call the model's predict_stream."""
        if self._stream_context:
            return iter(self.python_model.predict_stream(self.context, data, params=params))
        return iter(self.python_model.predict_stream(data, params=params))


def _save_artifacts(path: str, artifacts: Mapping[str, str] | None) -> dict[str, Any]:
    saved: dict[str, Any] = {}
    for name, source in (artifacts or {}).items():
        local = source[len("file://") :] if source.startswith("file://") else source
        if not os.path.exists(local):
            raise InvalidParameterValue(
                f"Artifact {name!r} points at {source!r}, which does not exist locally."
            )
        rel = f"{_ARTIFACTS_DIR}/{os.path.basename(os.path.normpath(local))}"
        dest = os.path.join(path, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.isdir(local):
            shutil.copytree(local, dest)
        else:
            shutil.copy2(local, dest)
        saved[name] = {"path": rel, "uri": source}
    return saved


class PythonModelFlavor:
    """The ``python_function`` flavor for PythonModel instances and models-from-code files."""

    name = PYFUNC

    def save(self, model: Any, path: str, **kwargs: Any) -> dict[str, Any]:
        """Pickle the PythonModel (or copy its code file) and copy its artifacts."""
        conf: dict[str, Any] = {
            "loader_module": _LOADER,
            "cloudpickle_version": cloudpickle.__version__,
            "streamable": _is_streamable(model),
        }
        traced: set[str] = {"cloudpickle"}
        if isinstance(model, str | os.PathLike):
            source = os.fspath(model)
            if not os.path.isfile(source):
                raise InvalidParameterValue(f"python_model file {source!r} does not exist.")
            file_name = os.path.basename(source)
            shutil.copy2(source, os.path.join(path, file_name))
            conf["python_model"] = file_name
            conf["model_code_path"] = file_name
        else:
            if not callable(getattr(model, "predict", None)):
                raise InvalidParameterValue(
                    "python_model must be a PythonModel instance or a path to a .py file "
                    "that calls set_model()."
                )
            target = os.path.join(path, _PICKLE)
            with open(target, "wb") as fh:
                cloudpickle.dump(model, fh)
            conf["python_model"] = _PICKLE
            traced |= modules_unpickled_by(target)
        artifacts = _save_artifacts(path, kwargs.get("artifacts"))
        if artifacts:
            conf["artifacts"] = artifacts
        if kwargs.get("model_config"):
            conf["model_config"] = dict(kwargs["model_config"])
        return {PYFUNC: conf, "_traced_modules": traced, "_requirements": ["cloudpickle"]}

    def predict_example(self, model: Any, example: Any) -> Any:
        """Run the model on an input example (for signature inference)."""
        wrapper = self.load_pyfunc_object(model, PythonModelContext({}, {}))
        return wrapper.predict(example)

    def load_pyfunc_object(self, model: Any, context: PythonModelContext) -> PythonModelWrapper:
        """Wrap an in-memory PythonModel after calling its load_context."""
        if hasattr(model, "load_context"):
            model.load_context(context)
        return PythonModelWrapper(model, context)

    def load(self, path: str, config: dict[str, Any]) -> Any:
        """Return the PythonModel object."""
        return self.load_pyfunc(path, config).python_model

    def load_pyfunc(self, path: str, config: dict[str, Any]) -> PythonModelWrapper:
        """Unpickle (or run the code file of) the PythonModel and call its load_context."""
        model_file = safe_relative(str(config.get("python_model") or _PICKLE))
        full = os.path.join(path, model_file)
        if model_file.endswith(".py"):
            model = load_model_from_code(full)
        else:
            with open(full, "rb") as fh:
                model = cloudpickle.load(fh)
        artifacts = {
            name: os.path.join(path, safe_relative(str(info["path"])))
            for name, info in (config.get("artifacts") or {}).items()
        }
        context = PythonModelContext(artifacts, dict(config.get("model_config") or {}))
        return self.load_pyfunc_object(model, context)


def _is_streamable(model: Any) -> bool:
    stream = getattr(type(model), "predict_stream", None)
    return stream is not None and stream is not PythonModel.predict_stream


FLAVOR = PythonModelFlavor()
