"""The Services bundle built from Settings, and the local (in-process) tracking backend."""

from __future__ import annotations

import os
import threading

import sqlalchemy as sa

from mltrail.config import DEFAULT_ARTIFACT_ROOT, WELL_KNOWN_PASSWORDS, AuthConfig, Settings
from mltrail.exceptions import InvalidState
from mltrail.service.artifact_uris import resolve_root
from mltrail.service.artifacts import ArtifactService
from mltrail.service.auth import AuthService
from mltrail.service.tracking import TrackingService
from mltrail.store.sql.auth_migrations import ensure_auth_schema
from mltrail.store.sql.engine import Database

__all__ = ["Services", "auth_database_uri", "build_auth", "local_backend"]


def auth_database_uri(config: AuthConfig, tracking_uri: str) -> str:
    """The auth database: ``database_uri`` if set, else ``basic_auth.db`` beside a SQLite
    tracking database, else ``sqlite:///basic_auth.db`` (MLflow's default)."""
    if config.database_uri:
        return config.database_uri
    url = sa.engine.make_url(tracking_uri)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folder = os.path.dirname(os.path.abspath(url.database))
        return "sqlite:///" + os.path.join(folder, "basic_auth.db")
    return "sqlite:///basic_auth.db"


def build_auth(tracking_uri: str, settings: Settings) -> AuthService:
    """Open (and migrate) the auth database and make sure the admin exists."""
    config = AuthConfig.load(settings)
    if config.admin_password in WELL_KNOWN_PASSWORDS and not settings.auth_dev:
        raise InvalidState(
            f"The admin password is the well-known default {config.admin_password!r}; set "
            "admin_password in basic_auth.ini or MLTRAIL_ADMIN_PASSWORD (or run with --dev)."
        )
    db = Database(auth_database_uri(config, tracking_uri), settings)
    ensure_auth_schema(db)
    service = AuthService(db, config)
    service.bootstrap_admin()
    return service


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
        self._artifacts: ArtifactService | None = None
        self.auth: AuthService | None = (
            build_auth(db_uri, settings) if settings.auth_enabled else None
        )

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


def local_backend(uri: str, settings: Settings) -> TrackingService:
    """Build the in-process tracking backend for a database URI (the entry-point factory)."""
    with _lock:
        services = Services(uri, settings.default_artifact_root, settings)
    return services.tracking
