"""The scikit-learn flavor: save, log and load estimators, and serve them through pyfunc."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Mapping
from typing import Any

import cloudpickle
import sklearn

try:  # skops is optional: MLflow 3.17 writes it by default, so reading it matters most
    import skops.io as skops_io
except ImportError:  # pragma: no cover - depends on the environment
    skops_io = None

from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.models import saving
from mltrail.models.mlmodel import Model
from mltrail.models.requirements import modules_unpickled_by
from mltrail.models.saving import ModelInfo
from mltrail.models.signature import ModelSignature
from mltrail.pyfunc.uri import download_model
from mltrail.store.artifacts.paths import safe_relative

__all__ = ["FLAVOR", "SklearnFlavor", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "sklearn"
SERIALIZATION_PICKLE = "pickle"
SERIALIZATION_CLOUDPICKLE = "cloudpickle"
SERIALIZATION_SKOPS = "skops"
_MODEL_FILE = "model.pkl"
_SKOPS_FILE = "model.skops"
_PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba")
_PREDICT_METHOD_PARAM = "predict_method"


class SklearnModelWrapper:
    """pyfunc adapter: ``predict`` calls the configured method (``predict_fn``), or the one
    named by the ``predict_method`` param."""

    def __init__(self, model: Any, predict_fn: str = "predict") -> None:
        self.model = model
        self._default = getattr(model, predict_fn)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predict with the estimator."""
        if params and _PREDICT_METHOD_PARAM in params:
            method = str(params[_PREDICT_METHOD_PARAM])
            if method not in _PREDICT_METHODS or not hasattr(self.model, method):
                raise InvalidParameterValue(
                    f"predict_method {method!r} is not available; use one of "
                    f"{[m for m in _PREDICT_METHODS if hasattr(self.model, m)]}."
                )
            return getattr(self.model, method)(data)
        return self._default(data)


def _require_skops() -> Any:
    if skops_io is None:
        raise MlflowException(
            "This model uses the skops format; install skops (pip install skops) to load it."
        )
    return skops_io


def _load_pickle(path: str, serialization_format: str, trusted: list[str] | None) -> Any:
    if serialization_format == SERIALIZATION_SKOPS:
        return _require_skops().load(path, trusted=trusted)
    with open(path, "rb") as fh:
        if serialization_format == SERIALIZATION_CLOUDPICKLE:
            return cloudpickle.load(fh)
        return pickle.load(fh)


class SklearnFlavor:
    """The ``sklearn`` flavor (registered under the ``mltrail.flavors`` entry-point group)."""

    name = FLAVOR_NAME

    def save(self, model: Any, path: str, **kwargs: Any) -> dict[str, Any]:
        """Pickle the estimator and return its ``sklearn`` and ``python_function`` configs."""
        fmt = kwargs.get("serialization_format") or SERIALIZATION_CLOUDPICKLE
        if fmt not in (SERIALIZATION_PICKLE, SERIALIZATION_CLOUDPICKLE, SERIALIZATION_SKOPS):
            raise InvalidParameterValue(
                f"Unknown serialization_format {fmt!r}; use 'cloudpickle', 'pickle' or 'skops'."
            )
        predict_fn = kwargs.get("pyfunc_predict_fn") or "predict"
        if not hasattr(model, predict_fn):
            raise InvalidParameterValue(
                f"The model has no method {predict_fn!r}; choose pyfunc_predict_fn from "
                f"{[m for m in _PREDICT_METHODS if hasattr(model, m)]}."
            )
        file_name = _SKOPS_FILE if fmt == SERIALIZATION_SKOPS else _MODEL_FILE
        target = os.path.join(path, file_name)
        traced: set[str] = {"sklearn"}
        if fmt == SERIALIZATION_SKOPS:
            _require_skops().dump(model, target)
        else:
            with open(target, "wb") as fh:
                (cloudpickle if fmt == SERIALIZATION_CLOUDPICKLE else pickle).dump(model, fh)
            traced |= modules_unpickled_by(target)
        requirements = ["scikit-learn"]
        if fmt != SERIALIZATION_PICKLE:
            requirements.append(fmt)
        return {
            "python_function": {
                "loader_module": "mlflow.sklearn",
                "model_path": file_name,
                "predict_fn": predict_fn,
            },
            FLAVOR_NAME: {
                "pickled_model": file_name,
                "sklearn_version": sklearn.__version__,
                "serialization_format": fmt,
                "code": kwargs.get("code"),
            },
            "_traced_modules": traced,
            "_requirements": requirements,
        }

    def predict_example(self, model: Any, example: Any) -> Any:
        """Run the estimator on an input example (for signature inference)."""
        return model.predict(example)

    def load(self, path: str, config: dict[str, Any]) -> Any:
        """Unpickle the estimator."""
        file_name = safe_relative(str(config.get("pickled_model") or _MODEL_FILE))
        fmt = str(config.get("serialization_format") or SERIALIZATION_CLOUDPICKLE)
        trusted = config.get("skops_trusted_types")
        return _load_pickle(os.path.join(path, file_name), fmt, trusted)

    def load_pyfunc(self, path: str, config: dict[str, Any]) -> SklearnModelWrapper:
        """Unpickle the estimator and wrap it for pyfunc."""
        model = self.load(path, config)
        return SklearnModelWrapper(model, str(config.get("predict_fn") or "predict"))


FLAVOR = SklearnFlavor()


def save_model(
    sk_model: Any,
    path: str,
    *,
    serialization_format: str = SERIALIZATION_CLOUDPICKLE,
    code_paths: Iterable[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
) -> None:
    """Save a scikit-learn estimator as a model directory at ``path``.

    Args:
        sk_model: The fitted estimator or pipeline.
        path: A new (or empty) directory.
        serialization_format: ``"cloudpickle"`` (default), ``"pickle"`` or ``"skops"`` (safe
            to load, needs the skops package).
        code_paths: Files or folders bundled in ``code/``.
        signature: Input/output schemas; inferred from ``input_example`` if None.
        input_example: An example input, saved as ``input_example.json``.
        pip_requirements: Replace the inferred pinned requirements.
        extra_pip_requirements: Add to the inferred requirements.
        pyfunc_predict_fn: The method pyfunc's ``predict`` calls (``predict_proba``, ...).
        metadata: Free-form metadata stored in the MLmodel file.
    """
    saving.save_model(
        FLAVOR,
        sk_model,
        path,
        signature=signature,
        input_example=input_example,
        code_paths=code_paths,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        serialization_format=serialization_format,
        pyfunc_predict_fn=pyfunc_predict_fn,
    )


def log_model(
    sk_model: Any,
    name: str | None = None,
    *,
    artifact_path: str | None = None,
    serialization_format: str = SERIALIZATION_CLOUDPICKLE,
    code_paths: Iterable[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int | None = None,
) -> ModelInfo:
    """Log an estimator as a LoggedModel linked to the active run, and return its info.

    Arguments are those of ``save_model``, plus ``name`` (``artifact_path`` is its deprecated
    spelling), the LoggedModel's ``params``, ``tags`` and ``model_type``, and ``step`` for a
    checkpoint. Load it back with ``load_model(info.model_uri)``.
    """
    return saving.log_model(
        FLAVOR,
        sk_model,
        name,
        artifact_path=artifact_path,
        params=params,
        tags=tags,
        model_type=model_type,
        step=step,
        signature=signature,
        input_example=input_example,
        code_paths=code_paths,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        serialization_format=serialization_format,
        pyfunc_predict_fn=pyfunc_predict_fn,
    )


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """Load the scikit-learn estimator stored at ``model_uri``.

    Loading runs the pickled code in the model: load only models from sources you trust.

    Args:
        model_uri: A local path, ``file://``, ``runs:/``, ``models:/<model_id>`` or artifact URI.
        dst_path: Where to download a remote model; a temporary folder if None.

    Raises:
        MlflowException: The model has no ``sklearn`` flavor.
    """
    local = download_model(model_uri, dst_path)
    meta = Model.load(local)
    config = meta.flavors.get(FLAVOR_NAME)
    if config is None:
        raise InvalidParameterValue(
            f"Model at {model_uri!r} has no sklearn flavor (it has {', '.join(meta.flavors)}); "
            "use mltrail.pyfunc.load_model."
        )
    return FLAVOR.load(local, config)
