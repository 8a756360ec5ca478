"""Model URIs: parse ``models:/`` and ``runs:/`` URIs and resolve them to artifact URIs.

The accepted forms are::

    models:/<name>/<version>[/<path>]     a registered model version
    models:/<name>/latest[/<path>]        its newest version
    models:/<name>/<stage>[/<path>]       its newest version in a legacy stage (Production, ...)
    models:/<name>@<alias>[/<path>]       the version an alias points at
    models:/<model_id>[/<path>]           a LoggedModel (``m-`` followed by 32 hex digits)
    runs:/<run_id>/<path>                 a run's artifacts

Anything else (``s3://...``, a local path) is already an artifact URI and is returned as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mltrail.entities import ModelVersion, ModelVersionStage
from mltrail.exceptions import InvalidParameterValue, ResourceDoesNotExist
from mltrail.service.api import RegistryAPI, TrackingAPI
from mltrail.tracking import backends, context

__all__ = [
    "ModelUri",
    "get_model_version_for_uri",
    "parse_model_uri",
    "parse_runs_uri",
    "resolve_model_uri",
]

_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")
_MAX_HOPS = 8


@dataclass(frozen=True, slots=True)
class ModelUri:
    """The parts of a ``models:/`` URI; exactly one of the selectors is set.

    Attributes:
        name: The registered model's name (None for a LoggedModel id).
        version: An explicit version number.
        alias: An alias (``champion``).
        stage: A legacy stage, or ``latest`` for the newest version.
        model_id: A LoggedModel id.
        path: The path inside the model's files ('' for the root).
    """

    name: str | None = None
    version: str | None = None
    alias: str | None = None
    stage: str | None = None
    model_id: str | None = None
    path: str = ""

    @property
    def root(self) -> str:
        """The URI of the model itself, without ``path``."""
        if self.model_id is not None:
            return f"models:/{self.model_id}"
        if self.alias is not None:
            return f"models:/{self.name}@{self.alias}"
        return f"models:/{self.name}/{self.version or self.stage}"


def _bad(uri: str, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Invalid model URI {uri!r}: {why}. Use models:/<name>/<version>, "
        "models:/<name>@<alias>, models:/<name>/latest or models:/<model_id>."
    )


def parse_model_uri(uri: str) -> ModelUri:
    """Split a ``models:/`` URI into its parts.

    Raises:
        InvalidParameterValue: The URI is not a well-formed ``models:/`` URI.
    """
    if not uri.startswith("models:/"):
        raise _bad(uri, "it does not start with 'models:/'")
    parts = [p for p in uri[len("models:/") :].split("/") if p]
    if not parts:
        raise _bad(uri, "it names no model")
    first = parts[0]
    if "@" in first:
        name, _, alias = first.partition("@")
        if not name or not alias:
            raise _bad(uri, "the alias form is models:/<name>@<alias>")
        return ModelUri(name=name, alias=alias, path="/".join(parts[1:]))
    if len(parts) == 1:
        if _MODEL_ID.match(first):
            return ModelUri(model_id=first)
        raise _bad(uri, "a registered model also needs a version, 'latest', a stage or an alias")
    if _MODEL_ID.match(first) and not parts[1].isdigit():
        return ModelUri(model_id=first, path="/".join(parts[1:]))
    selector, rest = parts[1], "/".join(parts[2:])
    if selector.isdigit():
        return ModelUri(name=first, version=selector, path=rest)
    if selector.lower() == "latest":
        return ModelUri(name=first, stage="latest", path=rest)
    try:
        return ModelUri(name=first, stage=ModelVersionStage.canonical(selector), path=rest)
    except InvalidParameterValue:
        raise _bad(uri, f"{selector!r} is neither a version, 'latest' nor a stage") from None


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """Split ``runs:/<run_id>/<path>`` into the run id and the path.

    Raises:
        InvalidParameterValue: The URI is not a well-formed ``runs:/`` URI.
    """
    if not uri.startswith("runs:/"):
        raise InvalidParameterValue(f"Invalid runs URI {uri!r}: use runs:/<run_id>/<path>.")
    run_id, _, path = uri[len("runs:/") :].strip("/").partition("/")
    if not run_id:
        raise InvalidParameterValue(f"Invalid runs URI {uri!r}: use runs:/<run_id>/<path>.")
    return run_id, path


def get_model_version_for_uri(parsed: ModelUri, registry: RegistryAPI) -> ModelVersion:
    """Return the registered model version a parsed ``models:/<name>...`` URI selects.

    Raises:
        ResourceDoesNotExist: The model, version or alias does not exist, or no version is in
            the requested stage.
    """
    name = parsed.name
    if name is None:
        raise InvalidParameterValue("A models:/<model_id> URI names no registered model version.")
    if parsed.version is not None:
        return registry.get_model_version(name, parsed.version)
    if parsed.alias is not None:
        return registry.get_model_version_by_alias(name, parsed.alias)
    stages = None if parsed.stage == "latest" else [str(parsed.stage)]
    found = registry.get_latest_versions(name, stages)
    if not found:
        where = "" if stages is None else f" in stage '{parsed.stage}'"
        raise ResourceDoesNotExist(f"Registered model '{name}' has no version{where}.")
    return max(found, key=lambda mv: int(mv.version))


def _join(root: str, path: str) -> str:
    if not path:
        return root
    return root.rstrip("/") + "/" + path.strip("/")


def _resolve(uri: str, tracking: TrackingAPI, registry: RegistryAPI) -> str:
    hops = 0
    while uri.startswith(("models:/", "runs:/")):
        hops += 1
        if hops > _MAX_HOPS:
            raise InvalidParameterValue(f"Model URI {uri!r} refers to itself through copies.")
        if uri.startswith("runs:/"):
            run_id, path = parse_runs_uri(uri)
            return _join(tracking.get_run(run_id).info.artifact_uri or "", path)
        parsed = parse_model_uri(uri)
        if parsed.model_id is not None:
            root = tracking.get_logged_model(parsed.model_id).artifact_location
            return _join(root, parsed.path)
        mv = get_model_version_for_uri(parsed, registry)
        assert parsed.name is not None
        source = registry.get_model_version_download_uri(parsed.name, mv.version)
        uri = _join(source, parsed.path)
    return uri


def resolve_model_uri(
    model_uri: str, tracking_uri: str | None = None, registry_uri: str | None = None
) -> str:
    """Resolve a model URI to the artifact URI of the model's files.

    ``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/latest`` and
    ``models:/<name>/<stage>`` go through the registry (following copies, whose source is
    another ``models:/`` URI); ``models:/<model_id>`` and ``runs:/`` URIs through the tracking
    store. Other URIs are returned unchanged.

    Args:
        model_uri: The URI to resolve.
        tracking_uri: Tracking URI for runs and LoggedModels; the current one if None.
        registry_uri: Registry URI for registered models; the current one if None.

    Returns:
        An artifact URI such as ``s3://bucket/1/models/m-.../artifacts`` or
        ``mlflow-artifacts:/...``, which the artifact repositories can download.

    Raises:
        InvalidParameterValue: The URI is malformed.
        ResourceDoesNotExist: What it names does not exist.
    """
    if not model_uri.startswith(("models:/", "runs:/")):
        return model_uri
    tracking_uri = context.resolve_tracking_uri(tracking_uri)
    tracking = backends.get_backend(tracking_uri)
    registry = backends.get_registry_backend(context.get_registry_uri(registry_uri, tracking_uri))
    return _resolve(model_uri, tracking, registry)
