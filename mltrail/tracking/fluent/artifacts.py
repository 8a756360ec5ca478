"""Fluent artifact functions acting on the active run."""

from __future__ import annotations

from typing import Any

from mltrail.tracking.client import get_client
from mltrail.tracking.fluent.runs import get_active_run_id

__all__ = [
    "get_artifact_uri",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_text",
]


def _run(run_id: str | None) -> str:
    return run_id or get_active_run_id()


def log_artifact(
    local_path: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Upload a local file into the active run's artifacts (under the folder ``artifact_path``)."""
    get_client().log_artifact(_run(run_id), local_path, artifact_path)


def log_artifacts(
    local_dir: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Upload a local directory's contents into the active run's artifacts."""
    get_client().log_artifacts(_run(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Save text as an artifact file of the active run."""
    get_client().log_text(_run(run_id), text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Save a dict as a JSON (or YAML, by file name) artifact of the active run."""
    get_client().log_dict(_run(run_id), dictionary, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The URI of the active run's artifact root, or of a path under it."""
    client = get_client()
    root = client.get_run(get_active_run_id()).info.artifact_uri or ""
    if not artifact_path:
        return root
    return root.rstrip("/") + "/" + artifact_path.lstrip("/")
