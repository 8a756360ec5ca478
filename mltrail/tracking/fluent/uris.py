"""Fluent tracking and registry URI functions: ``set_tracking_uri``, ``get_tracking_uri``, ..."""

from __future__ import annotations

import os

from mltrail.tracking import backends, context

__all__ = [
    "get_registry_uri",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "set_registry_uri",
    "set_tracking_uri",
]


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Set the tracking URI for this process.

    Args:
        uri: ``sqlite:///path.db``, a PostgreSQL or MySQL URI, or a tracking server's
            ``http(s)://`` URL. An empty string reverts to the environment's URI or the default.

    Raises:
        MlflowException: ``uri`` is a path or a ``file:`` URI (use ``sqlite:///`` instead).
    """
    text = os.fspath(uri)
    if text:
        backends.check_tracking_uri(text)
    context.set_tracking_uri(text)


def get_tracking_uri() -> str:
    """Return the current tracking URI.

    It is the one set by ``set_tracking_uri``, else ``MLTRAIL_TRACKING_URI`` or
    ``MLFLOW_TRACKING_URI``, else ``sqlite:///mltrail.db``.
    """
    return context.resolve_tracking_uri()


def is_tracking_uri_set() -> bool:
    """Return True if the tracking URI was set by ``set_tracking_uri`` or the environment."""
    return context.is_tracking_uri_set()


def set_registry_uri(uri: str) -> None:
    """Set the model registry URI for this process (by default, the tracking URI)."""
    context.set_registry_uri(uri)


def get_registry_uri() -> str:
    """Return the current model registry URI."""
    return context.get_registry_uri()
