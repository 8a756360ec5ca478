"""Download, list and load artifacts by run or URI (``mlflow.artifacts`` compatible)."""

from __future__ import annotations

import json
import tempfile
from typing import Any
from urllib.parse import urlsplit

from mltrail.entities import FileInfo
from mltrail.exceptions import InvalidParameterValue
from mltrail.tracking import artifacts as artifact_repos
from mltrail.tracking import context, model_uris
from mltrail.tracking.client import get_client

__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_text"]


def _split_runs_uri(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    segments = [s for s in f"{parts.netloc}{parts.path}".split("/") if s]
    if not segments:
        raise InvalidParameterValue(f"Malformed runs URI {uri!r}: use runs:/<run_id>/<path>.")
    return segments[0], "/".join(segments[1:])


def _resolve(
    artifact_uri: str | None, run_id: str | None, artifact_path: str | None
) -> tuple[str, str]:
    if artifact_uri is not None:
        if run_id is not None or artifact_path is not None:
            raise InvalidParameterValue(
                "Give either artifact_uri, or run_id with an optional artifact_path, not both."
            )
        if not artifact_uri.startswith("runs:"):
            raise InvalidParameterValue(
                f"Only runs:/ URIs are supported here; got {artifact_uri!r}."
            )
        return _split_runs_uri(artifact_uri)
    if run_id is None:
        raise InvalidParameterValue("Give artifact_uri or run_id.")
    return run_id, artifact_path or ""


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
) -> str:
    """Download an artifact file or folder and return its local path.

    Args:
        artifact_uri: ``runs:/<run_id>/<path>``, or a model URI (``models:/<name>/<version>``,
            ``models:/<name>@<alias>``, ``models:/<name>/latest``, ``models:/<model_id>``,
            optionally followed by a path inside the model).
        run_id: A run, instead of ``artifact_uri``.
        artifact_path: The path inside that run's artifacts.
        dst_path: Local folder to download into; a new temporary one if None.
        tracking_uri: Tracking (and registry) URI; the current one if None.
    """
    if artifact_uri is not None and artifact_uri.startswith("models:/"):
        return _download_model(artifact_uri, dst_path, tracking_uri)
    rid, path = _resolve(artifact_uri, run_id, artifact_path)
    return get_client(tracking_uri).download_artifacts(rid, path, dst_path)


def _download_model(model_uri: str, dst_path: str | None, tracking_uri: str | None) -> str:
    parsed = model_uris.parse_model_uri(model_uri)
    uri = context.resolve_tracking_uri(tracking_uri)
    root = model_uris.resolve_model_uri(parsed.root, uri)
    repo = artifact_repos.repository_for(root, uri)
    return repo.download_artifacts(parsed.path, dst_path)


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[FileInfo]:
    """List a run's artifacts directly under a path."""
    rid, path = _resolve(artifact_uri, run_id, artifact_path)
    return get_client(tracking_uri).list_artifacts(rid, path or None)


def load_text(artifact_uri: str) -> str:
    """Read a text artifact (``runs:/<run_id>/path``)."""
    with tempfile.TemporaryDirectory(prefix="mltrail-load-") as tmp:
        local = download_artifacts(artifact_uri, dst_path=tmp)
        with open(local, encoding="utf-8") as fh:
            return fh.read()


def load_dict(artifact_uri: str) -> Any:
    """Read a JSON (or YAML) artifact into a dict."""
    text = load_text(artifact_uri)
    if artifact_uri.endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)
