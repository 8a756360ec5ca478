"""Model URIs to local directories: paths, file://, runs:/, models:/ (LoggedModel ids and
registry names) and artifact URIs."""

from __future__ import annotations

import os
import tempfile
from urllib.parse import unquote, urlsplit

from mltrail.exceptions import InvalidParameterValue, ResourceDoesNotExist
from mltrail.models.mlmodel import MLMODEL_FILE_NAME
from mltrail.store.artifacts.paths import safe_relative
from mltrail.tracking import artifacts
from mltrail.tracking.client import MlflowClient, get_client
from mltrail.tracking.model_uris import resolve_model_uri

__all__ = ["download_model"]


def _split(uri: str, scheme: str) -> list[str]:
    parts = urlsplit(uri)
    body = f"{parts.netloc}/{parts.path}" if parts.netloc else parts.path
    return [seg for seg in body.split("/") if seg]


def _download(root: str, rel: str, client: MlflowClient, dst: str | None) -> str:
    repo = artifacts.repository_for(root, client.tracking_uri)
    target = dst or tempfile.mkdtemp(prefix="mltrail-model-")
    return repo.download_artifacts(safe_relative(rel), target)


def _logged_model_for_run(client: MlflowClient, run_id: str, name: str) -> str | None:
    run = client.get_run(run_id)
    found = client.search_logged_models(
        [run.info.experiment_id],
        filter_string=f"source_run_id = '{run_id}' AND name = '{name}'",
        max_results=1,
        order_by=[{"field_name": "creation_time", "ascending": False}],
    )
    return found[0].artifact_location if found else None


def _runs_uri(uri: str, client: MlflowClient, dst: str | None) -> str:
    segments = _split(uri, "runs")
    if len(segments) < 2:
        raise InvalidParameterValue(f"Malformed runs URI {uri!r}: use runs:/<run_id>/<path>.")
    run_id, rel = segments[0], safe_relative("/".join(segments[1:]))
    run_root = client.get_run(run_id).info.artifact_uri or ""
    repo = artifacts.repository_for(run_root, client.tracking_uri)
    names = {info.path.rsplit("/", 1)[-1] for info in repo.list_artifacts(rel)}
    if MLMODEL_FILE_NAME in names:
        return _download(run_root, rel, client, dst)
    # MLflow 3 stores a run's models in LoggedModels; runs:/<run>/<name> names one of them.
    location = _logged_model_for_run(client, run_id, rel)
    if location is None:
        raise ResourceDoesNotExist(
            f"No model at {uri!r}: the run has no artifact folder {rel!r} with an MLmodel file "
            f"and no logged model named {rel!r}."
        )
    return _download(location, "", client, dst)


def _models_uri(uri: str, client: MlflowClient, dst: str | None) -> str:
    segments = _split(uri, "models")
    if not segments:
        raise InvalidParameterValue(
            f"Malformed models URI {uri!r}: use models:/<model_id>, models:/<name>/<version> "
            "or models:/<name>@<alias>."
        )
    if segments[0].startswith("m-"):
        model = client.get_logged_model(segments[0])
        return _download(model.artifact_location, "/".join(segments[1:]), client, dst)
    # A registry URI (name/version, @alias, latest, stage): the registry gives its files' URI.
    return _download(resolve_model_uri(uri, client.tracking_uri), "", client, dst)


def download_model(model_uri: str, dst_path: str | None = None) -> str:
    """Return a local directory holding the model at ``model_uri``, downloading if needed.

    Raises:
        InvalidParameterValue: The URI is malformed or its path would leave its artifact root.
        ResourceDoesNotExist: Nothing is stored there.
    """
    uri = os.fspath(model_uri)
    scheme = urlsplit(uri).scheme
    if len(scheme) <= 1:
        return os.path.abspath(uri)
    if scheme == "file":
        return unquote(urlsplit(uri).path)
    client = get_client()
    if scheme == "runs":
        return _runs_uri(uri, client, dst_path)
    if scheme == "models":
        return _models_uri(uri, client, dst_path)
    return _download(uri, "", client, dst_path)
