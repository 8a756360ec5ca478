"""Artifact URI scheme to repository class, through the ``mltrail.artifact_repositories`` entry
points (built-ins are registered the same way, in mltrail's own pyproject.toml)."""

from __future__ import annotations

import threading
from importlib.metadata import entry_points
from typing import Any
from urllib.parse import urlsplit

from mltrail.config import Settings, get_settings
from mltrail.exceptions import InvalidParameterValue
from mltrail.store.artifacts.base import ArtifactRepository

__all__ = ["GROUP", "get_artifact_repository", "known_schemes"]

GROUP = "mltrail.artifact_repositories"

_lock = threading.Lock()
_classes: dict[str, Any] | None = None


def _load() -> dict[str, Any]:
    global _classes
    with _lock:
        if _classes is None:
            found: dict[str, Any] = {}
            for ep in entry_points(group=GROUP):
                if ep.name in found and found[ep.name].value != ep.value:
                    raise InvalidParameterValue(
                        f"Two artifact repositories claim the scheme {ep.name!r}: "
                        f"{found[ep.name].value} and {ep.value}."
                    )
                found[ep.name] = ep
            _classes = found
        return _classes


def known_schemes() -> list[str]:
    """Schemes with a registered repository."""
    return sorted(_load())


def _scheme(uri: str) -> str:
    scheme = urlsplit(uri).scheme
    # A Windows drive letter or no scheme at all is a local path.
    return "file" if len(scheme) <= 1 else scheme


def get_artifact_repository(
    artifact_uri: str, tracking_uri: str | None = None, settings: Settings | None = None
) -> ArtifactRepository:
    """Return the repository for an artifact URI.

    Args:
        artifact_uri: ``file://``, a path, ``mlflow-artifacts:/``, ``http(s)://``, ``s3://`` or
            a plugin's scheme.
        tracking_uri: The tracking server, for ``mlflow-artifacts:/`` URIs without a host.
        settings: Credentials and timeouts; the process's settings if None.

    Raises:
        InvalidParameterValue: No repository handles the URI's scheme.
    """
    scheme = _scheme(artifact_uri)
    entry = _load().get(scheme)
    if entry is None:
        raise InvalidParameterValue(
            f"No artifact repository for scheme {scheme!r} (artifact URI {artifact_uri!r}). "
            f"Known schemes: {', '.join(known_schemes())}."
        )
    cls = entry.load()
    repo: ArtifactRepository = cls(
        artifact_uri, tracking_uri=tracking_uri, settings=settings or get_settings()
    )
    return repo
