"""Tracking URI to backend: the ``mltrail.tracking_backends`` entry points, one backend per URI.

Database schemes point at the in-process service and ``http``/``https`` at the REST client; a
plugin adds a scheme by registering a factory ``(uri, settings) -> TrackingAPI`` in the same
group. The group is read on the first lookup, never at import, so ``import mltrail`` loads
neither ``importlib.metadata`` nor any backend.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol, cast

from mltrail.config import Settings, get_settings
from mltrail.exceptions import ErrorCode, MlflowException
from mltrail.service.api import RegistryAPI, TrackingAPI

__all__ = [
    "BACKENDS_GROUP",
    "REGISTRY_BACKENDS_GROUP",
    "BackendFactory",
    "check_tracking_uri",
    "get_backend",
    "get_registry_backend",
    "known_schemes",
    "redact_uri",
    "uri_scheme",
]

logger = logging.getLogger(__name__)

BACKENDS_GROUP = "mltrail.tracking_backends"
# Registry URI scheme -> factory ``(uri, settings) -> RegistryAPI``: the same schemes, the
# in-process registry service for databases and the REST backend for servers.
REGISTRY_BACKENDS_GROUP = "mltrail.registry_backends"

BackendFactory = Callable[[str, Settings], TrackingAPI]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^:/@]*):[^@/]*@")


class _EntryPoint(Protocol):
    """The part of ``importlib.metadata.EntryPoint`` the registry uses."""

    @property
    def name(self) -> str: ...

    @property
    def value(self) -> str: ...

    @property
    def dist(self) -> Any: ...

    def load(self) -> Any: ...


def _dist_name(entry: _EntryPoint) -> str:
    dist = entry.dist
    name = getattr(dist, "name", None) if dist is not None else None
    return str(name) if name else "<unknown distribution>"


class _Registry:
    """Entry points of one group, read lazily and loaded per key on first use."""

    def __init__(self, group: str) -> None:
        self.group = group
        self._group = group
        self._lock = threading.Lock()
        self._entries: dict[str, _EntryPoint] | None = None
        self._conflicts: dict[str, str] = {}
        self._loaded: dict[str, BackendFactory] = {}

    def _read(self) -> dict[str, _EntryPoint]:
        entries = self._entries
        if entries is not None:
            return entries
        with self._lock:
            if self._entries is None:
                # The registry is one of the two deferred-import points: reading entry points
                # needs importlib.metadata, which costs tens of milliseconds to import.
                metadata = importlib.import_module("importlib.metadata")
                found: Iterable[_EntryPoint] = metadata.entry_points(group=self._group)
                self._entries = self._index(found)
            return self._entries

    def _index(self, found: Iterable[_EntryPoint]) -> dict[str, _EntryPoint]:
        entries: dict[str, _EntryPoint] = {}
        for entry in found:
            key = entry.name.lower()
            other = entries.get(key)
            if other is None:
                entries[key] = entry
            elif other.value != entry.value or _dist_name(other) != _dist_name(entry):
                self._conflicts[key] = (
                    f"Tracking URI scheme '{key}' is registered twice in entry-point group "
                    f"'{self._group}': by distribution '{_dist_name(other)}' ({other.value}) "
                    f"and by '{_dist_name(entry)}' ({entry.value}). Uninstall one of them."
                )
        return entries

    def reset_lock(self) -> None:
        """Replace the lock after fork (another thread of the parent may have held it)."""
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Return the registered keys, sorted."""
        return sorted(self._read())

    def get(self, key: str) -> BackendFactory | None:
        """Return the factory registered under ``key``, loading it on first use.

        Raises:
            MlflowException: Two distributions register the key, or its plugin fails to load.
        """
        factory = self._loaded.get(key)
        if factory is not None:
            return factory
        entry = self._read().get(key)
        if entry is None:
            return None
        if key in self._conflicts:
            raise MlflowException(self._conflicts[key], ErrorCode.INVALID_PARAMETER_VALUE)
        try:
            loaded = entry.load()
        except Exception as exc:  # a plugin boundary: report which distribution broke
            logger.exception("Loading tracking backend %r (%s) failed", key, entry.value)
            raise MlflowException(
                f"The tracking backend for scheme '{key}' ({entry.value}, from distribution "
                f"'{_dist_name(entry)}') failed to load: {exc!r}. Reinstall or fix that package."
            ) from exc
        factory = cast(BackendFactory, loaded)
        self._loaded[key] = factory
        return factory


_registry = _Registry(BACKENDS_GROUP)
_registry_factories = _Registry(REGISTRY_BACKENDS_GROUP)
_lock = threading.Lock()
_backends: dict[str, TrackingAPI] = {}
_registry_backends: dict[str, RegistryAPI] = {}
# Backends inherited from a parent process stay referenced, never closed: closing their pooled
# connections in a forked child would end the parent's sessions on the shared sockets.
_inherited: list[dict[str, TrackingAPI]] = []
_inherited_registry: list[dict[str, RegistryAPI]] = []


def redact_uri(uri: str) -> str:
    """Return ``uri`` with any password replaced by ``***``, for messages and logs."""
    return _PASSWORD.sub(r"\1:***@", uri)


def _sqlite_suggestion(path: str) -> str:
    path = path.rstrip("/\\") or "mltrail"
    if not path.endswith(".db"):
        path += ".db"
    return f"sqlite:///{path}"


def check_tracking_uri(uri: str) -> None:
    """Reject a plain path or a ``file:`` URI: mltrail keeps tracking data in a database.

    Raises:
        MlflowException: ``INVALID_PARAMETER_VALUE``, with the ``sqlite:///`` URI to use instead.
    """
    if uri.startswith("file:"):
        path = uri[len("file:") :]
        if path.startswith("//"):
            path = path[2:]
        raise MlflowException(
            f"Tracking URI '{uri}' names a file store, which mltrail does not support; it keeps "
            f"runs in a database. Use a SQLite file instead, e.g. "
            f"'{_sqlite_suggestion(path)}'.",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    match = _SCHEME.match(uri)
    # One letter before the colon is a Windows drive ("C:\runs"), not a scheme.
    if match is None or len(match.group(1)) == 1:
        raise MlflowException(
            f"Tracking URI '{uri}' is a path, but mltrail keeps runs in a database. Use a SQLite "
            f"file instead, e.g. '{_sqlite_suggestion(uri)}', or a server URL "
            "such as 'http://localhost:5000'.",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )


def uri_scheme(uri: str) -> str:
    """Return the lower-cased scheme of a tracking URI.

    Raises:
        MlflowException: The URI is a path or a ``file:`` URI.
    """
    check_tracking_uri(uri)
    match = _SCHEME.match(uri)
    assert match is not None  # check_tracking_uri rejected everything else
    return match.group(1).lower()


def known_schemes() -> list[str]:
    """Return the tracking URI schemes that installed backends register, sorted."""
    return _registry.names()


def _factory_for(uri: str, registry: _Registry = _registry) -> BackendFactory:
    scheme = uri_scheme(uri)
    factory = registry.get(scheme)
    if factory is None and "+" in scheme:
        # "postgresql+asyncpg" is still PostgreSQL: fall back to the dialect's base scheme.
        factory = registry.get(scheme.split("+", 1)[0])
    if factory is None:
        group = registry.group
        kind = "registry" if registry is _registry_factories else "tracking"
        raise MlflowException(
            f"No {kind} backend for scheme '{scheme}' (URI '{redact_uri(uri)}'). "
            f"Known schemes: {', '.join(registry.names()) or 'none'}. Install a plugin that "
            f"registers '{scheme}' in the '{group}' entry-point group, or use one of "
            "the known schemes.",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    return factory


def get_backend(uri: str) -> TrackingAPI:
    """Return this process's backend for a tracking URI, building it on first use.

    Args:
        uri: A resolved tracking URI (see ``context.resolve_tracking_uri``).

    Raises:
        MlflowException: The URI is a path, or no installed backend handles its scheme.
    """
    backend = _backends.get(uri)
    if backend is not None:
        return backend
    with _lock:
        backend = _backends.get(uri)
        if backend is None:
            factory = _factory_for(uri)
            backend = factory(uri, get_settings())
            _backends[uri] = backend
    return backend


def get_registry_backend(uri: str) -> RegistryAPI:
    """Return this process's model registry backend for a registry URI, building it once.

    Args:
        uri: A resolved registry URI (see ``context.get_registry_uri``).

    Raises:
        MlflowException: The URI is a path, or no installed backend handles its scheme.
    """
    backend = _registry_backends.get(uri)
    if backend is not None:
        return backend
    with _lock:
        backend = _registry_backends.get(uri)
        if backend is None:
            factory = cast(
                Callable[[str, Settings], RegistryAPI], _factory_for(uri, _registry_factories)
            )
            backend = factory(uri, get_settings())
            _registry_backends[uri] = backend
    return backend


def _reset_after_fork() -> None:
    global _backends, _registry_backends, _lock
    if _backends or _registry_backends:
        _inherited.append({**_backends})
        _inherited_registry.append(_registry_backends)
    _backends = {}
    _registry_backends = {}
    _lock = threading.Lock()
    _registry.reset_lock()
    _registry_factories.reset_lock()


os.register_at_fork(after_in_child=_reset_after_fork)
