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
    "log_figure",
    "log_image",
    "log_table",
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


def log_figure(
    figure: Any,
    artifact_file: str,
    *,
    save_kwargs: dict[str, Any] | None = None,
) -> None:
    """Save a matplotlib or plotly figure as an artifact of the active run.

    Args:
        figure: A matplotlib or plotly figure.
        artifact_file: Run-relative file path; its extension picks the format.
        save_kwargs: Extra arguments for the figure's save method.
    """
    get_client().log_figure(get_active_run_id(), figure, artifact_file, save_kwargs=save_kwargs)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = False,
) -> None:
    """Log a numpy array or PIL image to the active run, as a file or a step of a series.

    Args:
        image: ``numpy.ndarray`` or ``PIL.Image.Image``.
        artifact_file: Run-relative file path (not with ``key``).
        key: Name of an image series, shown per step in the UI.
        step: Step of this image (0 by default).
        timestamp: Milliseconds since the epoch (now by default).
        synchronous: Accepted for MLflow compatibility.
    """
    get_client().log_image(
        get_active_run_id(), image, artifact_file, key, step, timestamp, synchronous
    )


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Log a DataFrame or dict of columns as a JSON table, appending to an existing one.

    Args:
        data: A ``pandas.DataFrame`` or a dict of columns.
        artifact_file: Run-relative ``.json`` path.
        run_id: The run (the active one by default).
    """
    get_client().log_table(_run(run_id), data, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The URI of the active run's artifact root, or of a path under it."""
    client = get_client()
    root = client.get_run(get_active_run_id()).info.artifact_uri or ""
    if not artifact_path:
        return root
    return root.rstrip("/") + "/" + artifact_path.lstrip("/")
