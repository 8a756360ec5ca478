"""The Services bundle built from Settings, and the local tracking and registry backends."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from mltrail.config import DEFAULT_ARTIFACT_ROOT, Settings
from mltrail.service.artifact_uris import resolve_root
from mltrail.service.artifacts import ArtifactService
from mltrail.service.registry import RegistryService
from mltrail.service.tracking import TrackingService
from mltrail.store.sql.engine import Database

if TYPE_CHECKING:  # service.auth needs argon2, from the server extra
    from mltrail.service.auth import AuthService

__all__ = ["Services", "local_backend", "local_registry_backend"]


class Services:
    """Every service over one database and one artifact root.

    Args:
        db_uri: SQLAlchemy database URI.
        default_artifact_root: Root for new experiments' artifacts (a path or a URI);
            ``./mltrail-artifacts`` when None.
        settings: Settings for pools and timeouts.
    """

    def __init__(self, db_uri: str, default_artifact_root: str | None, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(db_uri, settings)
        self.artifact_root = resolve_root(default_artifact_root or DEFAULT_ARTIFACT_ROOT)
        self.tracking = TrackingService(self.db, self.artifact_root)
        self.registry = RegistryService(self.db)
        self._artifacts: ArtifactService | None = None
        # Set by the server when auth is on (mltrail.service.auth.build_auth).
        self.auth: AuthService | None = None

    @property
    def artifacts(self) -> ArtifactService:
        """The artifact stores the server serves (built on first use)."""
        if self._artifacts is None:
            self._artifacts = ArtifactService(self.settings, self.artifact_root)
        return self._artifacts

    def close(self) -> None:
        """Release database connections."""
        self.db.dispose()
        if self.auth is not None:
            self.auth.db.dispose()


_lock = threading.Lock()
# One bundle per database URI in a process, so that the tracking and registry backends of a URI
# share one engine (and, on SQLite, one writer lock).
# The process id is part of the key: a forked child builds its own engine, as before.
_shared: dict[tuple[int, str, str | None], Services] = {}


def _services_for(uri: str, settings: Settings) -> Services:
    key = (os.getpid(), uri, settings.default_artifact_root)
    with _lock:
        services = _shared.get(key)
        if services is None:
            services = _shared[key] = Services(uri, settings.default_artifact_root, settings)
    return services


def local_backend(uri: str, settings: Settings) -> TrackingService:
    """Build the in-process tracking backend for a database URI (the entry-point factory)."""
    return _services_for(uri, settings).tracking


def local_registry_backend(uri: str, settings: Settings) -> RegistryService:
    """Build the in-process registry backend for a database URI (the entry-point factory)."""
    return _services_for(uri, settings).registry
