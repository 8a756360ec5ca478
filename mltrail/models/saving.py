"""The steps every flavor shares: write a model directory, and log it as a LoggedModel."""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mltrail.entities.logged_model import LoggedModelStatus
from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.models import input_example as examples
from mltrail.models import requirements
from mltrail.models.flavor import Flavor
from mltrail.models.mlmodel import Model, directory_size
from mltrail.models.signature import ModelSignature, infer_signature
from mltrail.tracking import artifacts
from mltrail.tracking.client import MlflowClient, get_client
from mltrail.tracking.fluent import models as fluent_models
from mltrail.tracking.fluent import runs as fluent_runs

__all__ = ["ModelInfo", "log_model", "save_model"]

logger = logging.getLogger(__name__)

PYFUNC = "python_function"


@dataclass
class ModelInfo:
    """What ``log_model`` returns: where the model went and what it looks like."""

    artifact_path: str
    flavors: dict[str, Any]
    model_uri: str
    model_uuid: str
    run_id: str | None
    saved_input_example_info: dict[str, Any] | None
    signature: ModelSignature | None
    utc_time_created: str
    mlflow_version: str
    model_id: str
    name: str
    metadata: dict[str, Any] | None = None
    registered_model_version: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def signature_dict(self) -> dict[str, Any] | None:
        """The signature as the MLmodel file stores it."""
        return self.signature.to_dict() if self.signature else None


def _copy_code(path: str, code_paths: Iterable[str] | None) -> str | None:
    paths = list(code_paths or [])
    if not paths:
        return None
    target = os.path.join(path, "code")
    os.makedirs(target, exist_ok=True)
    for src in paths:
        dest = os.path.join(target, os.path.basename(os.path.normpath(src)))
        if os.path.isdir(src):
            shutil.copytree(src, dest, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest)
    return "code"


def _resolve_signature(
    signature: ModelSignature | None, input_example: Any, flavor: Flavor, model: Any
) -> ModelSignature | None:
    if signature is not None or input_example is None:
        return signature
    output = None
    predict = getattr(flavor, "predict_example", None)
    if predict is not None:
        try:
            output = predict(model, input_example)
        except Exception as exc:  # inference is best effort, as in MLflow
            logger.warning("Could not infer the model's output signature: %s", exc)
    try:
        return infer_signature(input_example, output)
    except MlflowException as exc:
        logger.warning("Could not infer a signature from the input example: %s", exc)
        return None


def save_model(
    flavor: Flavor,
    model: Any,
    path: str,
    *,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    code_paths: Iterable[str] | None = None,
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
    metadata: dict[str, Any] | None = None,
    mlmodel: Model | None = None,
    **flavor_kwargs: Any,
) -> Model:
    """Write a complete model directory at ``path`` with ``flavor``.

    Args:
        flavor: The flavor that writes the model's own files.
        model: The model object.
        path: A directory that must not exist yet (or be empty).
        signature: Input/output schemas; inferred from ``input_example`` when None.
        input_example: Saved as ``input_example.json``.
        code_paths: Files or folders copied into ``code/`` and put on ``sys.path`` at load.
        pip_requirements: Replace the inferred requirements.
        extra_pip_requirements: Add to the inferred requirements.
        metadata: Free-form metadata stored in the MLmodel file.
        mlmodel: A Model to fill (log_model passes one with run and model ids).
        **flavor_kwargs: Passed to ``flavor.save``.

    Returns:
        The Model written to ``path/MLmodel``.

    Raises:
        InvalidParameterValue: ``path`` exists and is not empty.
    """
    if os.path.exists(path) and os.listdir(path):
        raise InvalidParameterValue(f"Path {path!r} already exists and is not empty.")
    os.makedirs(path, exist_ok=True)
    meta = mlmodel or Model()
    meta.metadata = metadata
    code = _copy_code(path, code_paths)
    flavors = flavor.save(model, path, code=code, **flavor_kwargs)
    traced = set(flavors.pop("_traced_modules", None) or [])
    always = list(flavors.pop("_requirements", None) or [])
    signature = _resolve_signature(signature, input_example, flavor, model)
    if input_example is not None:
        meta.saved_input_example_info = examples.save_input_example(path, input_example)
    meta.signature = signature
    inferred = requirements.infer_pip_requirements(traced, always)
    requirements.write_environment_files(path, inferred, pip_requirements, extra_pip_requirements)
    pyfunc_conf = flavors.get(PYFUNC)
    if pyfunc_conf is not None:
        pyfunc_conf.setdefault("code", code)
        pyfunc_conf["env"] = {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
        pyfunc_conf["python_version"] = platform.python_version()
    for name, conf in flavors.items():
        meta.add_flavor(name, **conf)
    meta.model_size_bytes = directory_size(path)
    meta.save(path)
    return meta


def _run_id(run_id: str | None) -> str | None:
    if run_id is not None:
        return run_id
    run = fluent_runs.active_run()
    return run.info.run_id if run is not None else None


def _record_on_run(client: MlflowClient, run_id: str, meta: Model) -> None:
    description = meta.to_dict()
    description.pop("signature", None)
    if meta.signature is not None:
        description["signature"] = meta.signature.to_dict()
    client.record_logged_model(run_id, json.dumps(description, default=str))


def log_model(
    flavor: Flavor,
    model: Any,
    name: str | None = None,
    *,
    artifact_path: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int | None = None,
    run_id: str | None = None,
    **save_kwargs: Any,
) -> ModelInfo:
    """Create a LoggedModel, save the model into it and finalize it READY (FAILED on error).

    Args:
        flavor: The flavor that writes the model's files.
        model: The model object.
        name: The model's name (MLflow 3); ``artifact_path`` is the deprecated spelling.
        artifact_path: Deprecated alias of ``name``.
        params: Params recorded on the LoggedModel.
        tags: Tags recorded on the LoggedModel.
        model_type: Free-form type such as ``"classifier"``.
        step: Training step of this checkpoint; metrics of the run at this step link to it.
        run_id: The run it belongs to; the active run when None.
        **save_kwargs: Passed to ``save_model`` (signature, input_example, ...).

    Returns:
        The ModelInfo, whose ``model_uri`` is ``models:/<model_id>``.
    """
    if name is None:
        name = artifact_path or "model"
    elif artifact_path is not None and artifact_path != name:
        raise InvalidParameterValue("Give name or the deprecated artifact_path, not both.")
    client = get_client()
    source_run = _run_id(run_id)
    logged = fluent_models.initialize_logged_model(
        name=name,
        source_run_id=source_run,
        tags=dict(tags or {}),
        params=dict(params or {}),
        model_type=model_type,
    )
    try:
        meta = Model(artifact_path=name, run_id=source_run, model_id=logged.model_id)
        with tempfile.TemporaryDirectory(prefix="mltrail-model-") as tmp:
            local = os.path.join(tmp, "model")
            save_model(flavor, model, local, mlmodel=meta, **save_kwargs)
            repo = artifacts.repository_for(logged.artifact_location, client.tracking_uri)
            repo.log_artifacts(local, None)
        if source_run is not None and step is not None:
            _link_step_metrics(client, source_run, logged.model_id, step)
        if source_run is not None:
            _record_on_run(client, source_run, meta)
    except BaseException as exc:
        client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
        if isinstance(exc, Exception):
            logger.warning("Logging model %s failed: %s", logged.model_id, exc)
        raise
    final = client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    return ModelInfo(
        artifact_path=name,
        flavors=meta.flavors,
        model_uri=f"models:/{logged.model_id}",
        model_uuid=meta.model_uuid,
        run_id=source_run,
        saved_input_example_info=meta.saved_input_example_info,
        signature=meta.signature,
        utc_time_created=meta.utc_time_created,
        mlflow_version=meta.to_dict()["mltrail_version"],
        model_id=logged.model_id,
        name=name,
        metadata=meta.metadata,
        params=dict(final.params),
        tags=dict(final.tags),
    )


def _link_step_metrics(client: MlflowClient, run_id: str, model_id: str, step: int) -> None:
    """Log the run's metrics recorded at ``step`` on the checkpoint's LoggedModel."""
    run = client.get_run(run_id)
    for key in run.data.metrics:
        for point in client.get_metric_history(run_id, key):
            if point.step == step:
                client.log_metric(
                    run_id,
                    key,
                    point.value,
                    timestamp=point.timestamp,
                    step=step,
                    model_id=model_id,
                    synchronous=True,
                )
