"""Fluent model registry functions: ``register_model``."""

from __future__ import annotations

import logging
from typing import Any

from mltrail.entities import ModelVersion
from mltrail.exceptions import ResourceAlreadyExists
from mltrail.tracking import model_uris
from mltrail.tracking.client import MlflowClient, get_client

__all__ = ["register_model"]

logger = logging.getLogger(__name__)


def _filter_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _logged_model_of_run(client: MlflowClient, run_id: str, path: str) -> str | None:
    """The LoggedModel a run logged under ``path`` (its name), if there is exactly one."""
    if not path:
        return None
    run = client.get_run(run_id)
    found = client.search_logged_models(
        [run.info.experiment_id],
        filter_string=f"source_run_id = {_filter_literal(run_id)} AND "
        f"name = {_filter_literal(path.strip('/'))}",
        max_results=2,
    )
    return found[0].model_id if len(found) == 1 else None


def _source_fields(client: MlflowClient, model_uri: str) -> dict[str, Any]:
    """The source, run id and LoggedModel id of a version registered from a model URI.

    A ``runs:/<run_id>/<path>`` URI whose run logged a LoggedModel named ``<path>`` registers
    that model (source ``models:/<model_id>``), as MLflow 3 does.
    """
    if model_uri.startswith("runs:/"):
        run_id, path = model_uris.parse_runs_uri(model_uri)
        model_id = _logged_model_of_run(client, run_id, path)
        source = f"models:/{model_id}" if model_id else model_uri
        return {"source": source, "run_id": run_id, "model_id": model_id}
    if model_uri.startswith("models:/"):
        parsed = model_uris.parse_model_uri(model_uri)
        if parsed.model_id is not None:
            model = client.get_logged_model(parsed.model_id)
            return {"source": model_uri, "run_id": model.source_run_id, "model_id": model.model_id}
        mv = model_uris.get_model_version_for_uri(parsed, client._registry)
        return {"source": model_uri, "run_id": mv.run_id, "model_id": mv.model_id}
    return {"source": model_uri, "run_id": None, "model_id": None}


def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = 300,
    *,
    tags: dict[str, Any] | None = None,
    env_pack: Any = None,
) -> ModelVersion:
    """Register a model as a new version of a registered model (created if missing).

    Args:
        model_uri: ``runs:/<run_id>/<path>``, ``models:/<model_id>`` (the version is linked
            to that LoggedModel), an existing ``models:/<name>/<version>`` or
            ``models:/<name>@<alias>``, or an artifact URI.
        name: The registered model.
        await_registration_for: Accepted for MLflow compatibility; versions are READY at once.
        tags: Tags of the new version; values are converted with ``str``.
        env_pack: Accepted for MLflow compatibility; unused.

    Returns:
        The new model version.

    Raises:
        MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if the run, LoggedModel or registered
            version the URI names does not exist.
    """
    client = get_client()
    try:
        client.create_registered_model(name)
    except ResourceAlreadyExists:
        logger.info("Registered model %r already exists; creating a new version of it.", name)
    fields = _source_fields(client, model_uri)
    version = client.create_model_version(
        name, fields["source"], run_id=fields["run_id"], tags=tags, model_id=fields["model_id"]
    )
    logger.info("Created version %s of registered model %r.", version.version, name)
    return version
