"""Which artifacts the server may touch: the proxy's destination and its own default root.

A client chooses an experiment's ``artifact_location``; the server never follows it outside
the places it was configured to serve, so no request can make it read or write elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mltrail.config import Settings
from mltrail.exceptions import InvalidParameterValue
from mltrail.store.artifacts.base import ArtifactRepository
from mltrail.store.artifacts.local import LocalArtifactRepository, local_path_of
from mltrail.store.artifacts.paths import safe_relative
from mltrail.store.artifacts.registry import get_artifact_repository

__all__ = ["DEFAULT_DESTINATION", "ArtifactService"]

DEFAULT_DESTINATION = "./mltrail-artifacts"


class ArtifactService:
    """The server's artifact stores.

    Args:
        settings: ``artifacts_destination`` is where proxied artifacts live.
        default_root: The root of new experiments (a local path may be served directly).
    """

    def __init__(self, settings: Settings, default_root: str) -> None:
        destination = settings.artifacts_destination or DEFAULT_DESTINATION
        self.destination: ArtifactRepository = get_artifact_repository(
            destination, settings=settings
        )
        self._local_root: LocalArtifactRepository | None = None
        parts = urlsplit(default_root)
        if parts.scheme in ("", "file") or len(parts.scheme) == 1:
            self._local_root = LocalArtifactRepository(default_root)

    def for_run_root(self, artifact_uri: str) -> tuple[ArtifactRepository, str]:
        """Map a run's artifact root to (a repository this server serves, path inside it).

        Raises:
            InvalidParameterValue: The root is not served by this server.
        """
        parts = urlsplit(artifact_uri)
        if parts.scheme == "mlflow-artifacts":
            return self.destination, safe_relative(parts.path.strip("/"))
        local = self._local_root
        if local is not None and (parts.scheme in ("", "file") or len(parts.scheme) == 1):
            path = local_path_of(artifact_uri).resolve()
            if path == local.root or local.root in path.parents:
                rel = path.relative_to(local.root).as_posix()
                return local, "" if rel == "." else rel
        raise InvalidParameterValue(
            f"The artifacts at {artifact_uri!r} are not served by this server; read them from "
            "their store directly."
        )
