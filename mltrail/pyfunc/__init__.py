"""The generic model interface: custom Python models, PyFuncModel and load_model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mltrail.exceptions import InvalidParameterValue
from mltrail.models import saving
from mltrail.models.saving import ModelInfo
from mltrail.models.signature import ModelSignature
from mltrail.pyfunc.loading import PyFuncModel, load_model
from mltrail.pyfunc.model import FLAVOR, PythonModel, PythonModelContext

__all__ = [
    "ModelInfo",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "save_model",
]


def save_model(
    path: str,
    python_model: Any,
    *,
    artifacts: Mapping[str, str] | None = None,
    code_paths: Iterable[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    model_config: Mapping[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Save a custom model as a model directory at ``path``.

    Args:
        path: A new (or empty) directory.
        python_model: A ``PythonModel`` instance, or the path of a ``.py`` file that builds
            the model and calls ``mltrail.models.set_model`` (models from code).
        artifacts: Name to local path or ``file://`` URI; copied into the model and handed to
            ``load_context`` as ``context.artifacts``.
        code_paths: Files or folders bundled in ``code/`` and importable at load time.
        signature: Input/output/params schemas; inferred from ``input_example`` if None.
        input_example: An example input, saved as ``input_example.json``.
        pip_requirements: Replace the inferred pinned requirements.
        extra_pip_requirements: Add to the inferred requirements.
        model_config: Configuration handed to the model as ``context.model_config``.
        metadata: Free-form metadata stored in the MLmodel file.
    """
    saving.save_model(
        FLAVOR,
        python_model,
        path,
        signature=signature,
        input_example=input_example,
        code_paths=code_paths,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        artifacts=artifacts,
        model_config=model_config,
    )


def log_model(
    name: str | None = None,
    python_model: Any = None,
    *,
    artifact_path: str | None = None,
    artifacts: Mapping[str, str] | None = None,
    code_paths: Iterable[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    model_config: Mapping[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int | None = None,
) -> ModelInfo:
    """Log a custom model as a LoggedModel linked to the active run, and return its info.

    Arguments are those of ``save_model``, plus ``name`` (``artifact_path`` is its deprecated
    spelling), the LoggedModel's ``params``, ``tags`` and ``model_type``, and ``step`` for a
    checkpoint. Load it back with ``load_model(info.model_uri)``.
    """
    if python_model is None:
        raise InvalidParameterValue("log_model needs python_model=.")
    return saving.log_model(
        FLAVOR,
        python_model,
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
        artifacts=artifacts,
        model_config=model_config,
    )
