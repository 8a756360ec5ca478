"""Settings: every environment variable mltrail reads, typed, read once.

Each setting has an ``MLTRAIL_*`` name and, where MLflow users already set one, the ``MLFLOW_*``
twin. The ``MLTRAIL_*`` name wins when both are set. This is the only module that reads the
environment.
"""

from __future__ import annotations

import configparser
import os
import threading
from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = [
    "AUTH_CACHE_SECONDS",
    "DEFAULT_ARTIFACT_ROOT",
    "DEFAULT_TRACKING_URI",
    "WELL_KNOWN_PASSWORDS",
    "AuthConfig",
    "Settings",
    "environ_for_child",
    "export_to_environ",
    "get_settings",
    "reload_settings",
]

DEFAULT_TRACKING_URI = "sqlite:///mltrail.db"
DEFAULT_ARTIFACT_ROOT = "./mltrail-artifacts"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _names(name: str, mlflow_name: str | None) -> tuple[str, ...]:
    twin = mlflow_name if mlflow_name is not None else "MLFLOW_" + name
    return ("MLTRAIL_" + name, twin) if twin else ("MLTRAIL_" + name,)


def _raw(name: str, mlflow_name: str | None = None) -> str | None:
    for key in _names(name, mlflow_name):
        value = os.environ.get(key)
        if value is not None:
            return value
    return None


def _str(name: str, default: str | None = None, mlflow_name: str | None = None) -> str | None:
    value = _raw(name, mlflow_name)
    return value if value not in (None, "") else default


def _bool(name: str, default: bool, mlflow_name: str | None = None) -> bool:
    value = _raw(name, mlflow_name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(
        f"Environment variable for {name!r} has value {value!r}; use one of true/false/1/0."
    )


def _int(name: str, default: int, mlflow_name: str | None = None) -> int:
    value = _raw(name, mlflow_name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"Environment variable for {name!r} has value {value!r}; it must be an integer."
        ) from None


def _float(name: str, default: float, mlflow_name: str | None = None) -> float:
    value = _raw(name, mlflow_name)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(
            f"Environment variable for {name!r} has value {value!r}; it must be a number."
        ) from None


@dataclass(frozen=True, slots=True)
class Settings:
    """Typed configuration, built from the environment by ``Settings.from_env()``."""

    tracking_uri: str | None = None
    registry_uri: str | None = None
    experiment_name: str | None = None
    experiment_id: str | None = None
    run_id: str | None = None
    default_artifact_root: str | None = None
    backend_store_uri: str | None = None
    artifacts_destination: str | None = None
    serve_artifacts: bool = True
    artifacts_only: bool = False
    max_artifact_bytes: int = 0
    enable_proxy_multipart_upload: bool = False
    multipart_upload_minimum_file_size: int = 500 * 1024 * 1024
    multipart_upload_chunk_size: int = 10 * 1024 * 1024
    tracking_username: str | None = None
    tracking_password: str | None = None
    tracking_token: str | None = None
    tracking_insecure_tls: bool = False
    tracking_server_cert_path: str | None = None
    tracking_client_cert_path: str | None = None
    http_request_max_retries: int = 7
    http_request_backoff_factor: float = 2.0
    http_request_backoff_jitter: float = 1.0
    http_request_timeout: float = 120.0
    async_logging: bool = False
    async_logging_queue_size: int = 100_000
    offline_buffer: bool = True
    offline_buffer_dir: str | None = None
    server_max_body_bytes: int = 64 * 1024 * 1024
    s3_endpoint_url: str | None = None
    s3_ignore_tls: bool = False
    sqlalchemy_pool_size: int | None = None
    sqlalchemy_max_overflow: int | None = None
    sqlite_busy_timeout_ms: int = 60_000
    logging_level: str | None = None
    user: str | None = None
    enable_system_metrics_logging: bool = False
    system_metrics_sampling_interval: float = 10.0
    system_metrics_samples_before_logging: int = 1
    system_metrics_node_id: str | None = None
    auth_enabled: bool = False
    auth_config_path: str | None = None
    admin_username: str | None = None
    admin_password: str | None = None
    auth_dev: bool = False
    allowed_hosts: str | None = None
    cors_allowed_origins: str | None = None
    trace_queue_size: int = 100_000
    trace_export_batch_size: int = 1_000

    @classmethod
    def from_env(cls) -> Settings:
        """Read every setting from the environment.

        Raises:
            ValueError: A variable is set to a value of the wrong type.
        """
        pool = _raw("SQLALCHEMYSTORE_POOL_SIZE")
        overflow = _raw("SQLALCHEMYSTORE_MAX_OVERFLOW")
        return cls(
            tracking_uri=_str("TRACKING_URI"),
            registry_uri=_str("REGISTRY_URI"),
            experiment_name=_str("EXPERIMENT_NAME"),
            experiment_id=_str("EXPERIMENT_ID"),
            run_id=_str("RUN_ID"),
            default_artifact_root=_str("DEFAULT_ARTIFACT_ROOT"),
            backend_store_uri=_str("BACKEND_STORE_URI"),
            artifacts_destination=_str("ARTIFACTS_DESTINATION"),
            serve_artifacts=_bool("SERVE_ARTIFACTS", True),
            artifacts_only=_bool("ARTIFACTS_ONLY", False),
            max_artifact_bytes=_int("MAX_ARTIFACT_BYTES", 0, mlflow_name=""),
            enable_proxy_multipart_upload=_bool("ENABLE_PROXY_MULTIPART_UPLOAD", False),
            multipart_upload_minimum_file_size=_int(
                "MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", 500 * 1024 * 1024
            ),
            multipart_upload_chunk_size=_int("MULTIPART_UPLOAD_CHUNK_SIZE", 10 * 1024 * 1024),
            tracking_username=_str("TRACKING_USERNAME"),
            tracking_password=_str("TRACKING_PASSWORD"),
            tracking_token=_str("TRACKING_TOKEN"),
            tracking_insecure_tls=_bool("TRACKING_INSECURE_TLS", False),
            tracking_server_cert_path=_str("TRACKING_SERVER_CERT_PATH"),
            tracking_client_cert_path=_str("TRACKING_CLIENT_CERT_PATH"),
            http_request_max_retries=_int("HTTP_REQUEST_MAX_RETRIES", 7),
            http_request_backoff_factor=_float("HTTP_REQUEST_BACKOFF_FACTOR", 2.0),
            http_request_backoff_jitter=_float("HTTP_REQUEST_BACKOFF_JITTER", 1.0),
            http_request_timeout=_float("HTTP_REQUEST_TIMEOUT", 120.0),
            async_logging=_bool(
                "ASYNC_LOGGING",
                _bool("ENABLE_ASYNC_LOGGING", False, mlflow_name="MLFLOW_ENABLE_ASYNC_LOGGING"),
                mlflow_name="",
            ),
            async_logging_queue_size=_int("ASYNC_LOGGING_QUEUE_SIZE", 100_000),
            offline_buffer=_bool("OFFLINE_BUFFER", True, mlflow_name=""),
            offline_buffer_dir=_str("OFFLINE_BUFFER_DIR", mlflow_name=""),
            server_max_body_bytes=_int("SERVER_MAX_BODY_BYTES", 64 * 1024 * 1024, mlflow_name=""),
            s3_endpoint_url=_str("S3_ENDPOINT_URL"),
            s3_ignore_tls=_bool("S3_IGNORE_TLS", False),
            sqlalchemy_pool_size=int(pool) if pool else None,
            sqlalchemy_max_overflow=int(overflow) if overflow else None,
            sqlite_busy_timeout_ms=_int("SQLITE_BUSY_TIMEOUT_MS", 60_000, mlflow_name=""),
            logging_level=_str("LOGGING_LEVEL"),
            auth_enabled=_bool("AUTH", False, mlflow_name=""),
            auth_config_path=_str("AUTH_CONFIG_PATH"),
            admin_username=_str("ADMIN_USERNAME"),
            admin_password=_str("ADMIN_PASSWORD"),
            auth_dev=_bool("AUTH_DEV", False, mlflow_name=""),
            allowed_hosts=_str("ALLOWED_HOSTS"),
            cors_allowed_origins=_str("CORS_ALLOWED_ORIGINS"),
            user=os.environ.get("LOGNAME") or os.environ.get("USER") or os.environ.get("USERNAME"),
            enable_system_metrics_logging=_bool("ENABLE_SYSTEM_METRICS_LOGGING", False),
            system_metrics_sampling_interval=_float("SYSTEM_METRICS_SAMPLING_INTERVAL", 10.0),
            system_metrics_samples_before_logging=_int("SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", 1),
            system_metrics_node_id=_str("SYSTEM_METRICS_NODE_ID"),
            trace_queue_size=_int("ASYNC_TRACE_LOGGING_MAX_QUEUE_SIZE", 100_000),
            trace_export_batch_size=_int("ASYNC_TRACE_LOGGING_BATCH_SIZE", 1_000),
        )

    def with_changes(self, **changes: Any) -> Settings:
        """Return a copy with some fields replaced."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"Unknown settings: {sorted(unknown)}")
        return replace(self, **changes)


# Passwords that ship in examples and must never guard a real server (MLflow's default first).
WELL_KNOWN_PASSWORDS = frozenset({"password1234", "password", "admin", "changeme"})

# How long a verified credential (and its user's admin flag) is reused without a database look-up.
# A revoked token, a changed password or a deleted user stops working within this many seconds.
AUTH_CACHE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """The auth settings of ``basic_auth.ini`` (MLflow's format, section ``[mlflow]``).

    Args:
        default_permission: Permission of users on resources they hold no grant on.
        database_uri: Database of users and grants; None means beside the tracking database.
        admin_username: Admin created on first start.
        admin_password: That admin's initial password.
        authorization_function: ``module:function`` that authenticates requests (kept for
            compatibility; mltrail's own Basic/Bearer check is used when it names MLflow's).
    """

    default_permission: str = "READ"
    database_uri: str | None = None
    admin_username: str = "admin"
    admin_password: str = "password1234"
    authorization_function: str | None = None

    @classmethod
    def load(cls, settings: Settings) -> AuthConfig:
        """Read ``basic_auth.ini`` (if configured), then apply the admin variables on top.

        Raises:
            ValueError: The configured file does not exist or has no ``[mlflow]`` section.
        """
        config = cls()
        path = settings.auth_config_path
        if path:
            parser = configparser.ConfigParser()
            if not parser.read(path):
                raise ValueError(
                    f"Auth config file {path!r} does not exist; fix MLTRAIL_AUTH_CONFIG_PATH."
                )
            if not parser.has_section("mlflow"):
                raise ValueError(f"Auth config file {path!r} needs an [mlflow] section.")
            section = parser["mlflow"]
            config = cls(
                default_permission=section.get("default_permission", "READ").strip().upper(),
                database_uri=section.get("database_uri") or None,
                admin_username=section.get("admin_username", "admin"),
                admin_password=section.get("admin_password", "password1234"),
                authorization_function=section.get("authorization_function") or None,
            )
        changes: dict[str, Any] = {}
        if settings.admin_username:
            changes["admin_username"] = settings.admin_username
        if settings.admin_password:
            changes["admin_password"] = settings.admin_password
        return replace(config, **changes)


_lock = threading.Lock()
_current: Settings | None = None


def get_settings() -> Settings:
    """Return the process's settings, reading the environment on first use."""
    global _current
    settings = _current
    if settings is None:
        with _lock:
            if _current is None:
                _current = Settings.from_env()
            settings = _current
    return settings


def reload_settings() -> Settings:
    """Read the environment again (tests, and after a fork that changed it)."""
    global _current
    with _lock:
        _current = Settings.from_env()
        return _current


def environ_for_child(run_id: str | None = None, tracking_uri: str | None = None) -> dict[str, str]:
    """Return a copy of the environment in which a child process joins the given run.

    Args:
        run_id: Run the child should log to, exported as ``MLTRAIL_RUN_ID`` and ``MLFLOW_RUN_ID``.
        tracking_uri: Tracking URI the child should use.
    """
    env = dict(os.environ)
    if run_id is not None:
        env["MLTRAIL_RUN_ID"] = env["MLFLOW_RUN_ID"] = run_id
    if tracking_uri is not None:
        env["MLTRAIL_TRACKING_URI"] = env["MLFLOW_TRACKING_URI"] = tracking_uri
    return env


def export_to_environ(**values: str | None) -> None:
    """Set (or, for None, unset) settings in this process's environment under both names.

    ``mltrail server`` uses it to hand its options to worker processes, which read their
    ``Settings`` from the environment. Keys are setting names without prefix, e.g.
    ``BACKEND_STORE_URI``.
    """
    for name, value in values.items():
        for key in _names(name, None):
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
