"""The Flavor protocol and the flavor registry (entry-point group ``mltrail.flavors``)."""

from __future__ import annotations

import logging
import threading
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol, runtime_checkable

from mltrail.exceptions import InvalidParameterValue, MlflowException

__all__ = ["GROUP", "Flavor", "get_flavor", "known_flavors", "register_flavor"]

logger = logging.getLogger(__name__)

GROUP = "mltrail.flavors"


@runtime_checkable
class Flavor(Protocol):
    """A way to save and load models of one library.

    ``save`` writes the model's files into ``path`` and returns the flavor's MLmodel
    configuration; ``load`` returns the native model; ``load_pyfunc`` returns an object with
    ``predict(data, params=None)`` that pyfunc wraps.
    """

    name: str

    def save(self, model: Any, path: str, **kwargs: Any) -> dict[str, Any]: ...

    def load(self, path: str, config: dict[str, Any]) -> Any: ...

    def load_pyfunc(self, path: str, config: dict[str, Any]) -> Any: ...


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return str(dist.name) if dist is not None else "<unknown distribution>"


class _Registry:
    """Flavor key -> entry point, loaded lazily and cached per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, Flavor] = {}

    def _scan(self) -> dict[str, EntryPoint]:
        with self._lock:
            if self._entries is None:
                found: dict[str, EntryPoint] = {}
                for ep in entry_points(group=GROUP):
                    seen = found.get(ep.name)
                    if seen is not None and seen.value != ep.value:
                        raise MlflowException(
                            f"Two distributions register the flavor {ep.name!r}: "
                            f"{_dist_name(seen)} ({seen.value}) and {_dist_name(ep)} "
                            f"({ep.value}). Uninstall one of them."
                        )
                    found[ep.name] = ep
                self._entries = found
            return self._entries

    def names(self) -> list[str]:
        return sorted(set(self._scan()) | set(self._loaded))

    def get(self, name: str) -> Flavor:
        cached = self._loaded.get(name)
        if cached is not None:
            return cached
        ep = self._scan().get(name)
        if ep is None:
            raise InvalidParameterValue(
                f"Unknown flavor {name!r}. Known flavors: {', '.join(self.names())}. Install "
                f"the package that provides it (entry-point group {GROUP!r})."
            )
        try:
            loaded = ep.load()
        except Exception as exc:  # a plugin boundary: report it, other keys keep working
            logger.warning("Flavor %r from %s failed to import", name, _dist_name(ep))
            raise MlflowException(
                f"The flavor {name!r} from {_dist_name(ep)} failed to import: {exc}. "
                "Reinstall that package or its dependencies."
            ) from exc
        flavor: Flavor = loaded() if isinstance(loaded, type) else loaded
        self._loaded[name] = flavor
        return flavor

    def register(self, flavor: Flavor) -> None:
        existing = self._loaded.get(flavor.name)
        if existing is not None and existing is not flavor:
            raise MlflowException(f"A flavor named {flavor.name!r} is already registered.")
        self._loaded[flavor.name] = flavor

    def unregister(self, name: str) -> None:
        self._loaded.pop(name, None)


_REGISTRY = _Registry()


def get_flavor(name: str) -> Flavor:
    """Return the flavor registered under ``name``.

    Raises:
        InvalidParameterValue: No flavor has that key; the message lists the known ones.
        MlflowException: The flavor's package failed to import, or two distributions
            register the same key.
    """
    return _REGISTRY.get(name)


def known_flavors() -> list[str]:
    """Keys of every registered flavor."""
    return _REGISTRY.names()


def register_flavor(flavor: Flavor) -> None:
    """Register a flavor object in this process (tests and notebooks; packages use entry points).

    Raises:
        MlflowException: Another object is registered under the same name.
    """
    _REGISTRY.register(flavor)


def unregister_flavor(name: str) -> None:
    """Forget a flavor registered with ``register_flavor``."""
    _REGISTRY.unregister(name)
