"""The registry half of ``RestBackend``: ``/registered-models/...``, ``/model-versions/...``.

``RegistryCalls`` is a mixin of ``RestBackend``, which provides ``_fetch`` and ``_call``, so
one backend object per server URI serves both the tracking and the registry API.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from mltrail.entities import AuditEvent, ModelVersion, PagedList, RegisteredModel
from mltrail.exceptions import ResourceAlreadyExists
from mltrail.protocol import convert
from mltrail.protocol import registry as wire
from mltrail.protocol.endpoint import Endpoint

__all__ = ["RegistryCalls"]

M = TypeVar("M", bound=BaseModel)


def _key_values(items: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in (items or {}).items()]


class RegistryCalls:
    """Registry methods of the REST backend (``RegistryAPI`` over HTTP)."""

    def _call(
        self, endpoint: Endpoint, request: Mapping[str, Any], path: str | None = None
    ) -> BaseModel:
        raise NotImplementedError  # provided by RestBackend

    def _fetch(
        self,
        endpoint: Endpoint,
        request: Mapping[str, Any],
        model: type[M],
        path: str | None = None,
    ) -> M:
        raise NotImplementedError  # provided by RestBackend

    def _model(self, endpoint: Endpoint, request: Mapping[str, Any]) -> RegisteredModel:
        found = self._fetch(endpoint, request, wire.RegisteredModelResponse)
        return convert.registered_model_from_wire(found.registered_model)

    def _version(self, endpoint: Endpoint, request: Mapping[str, Any]) -> ModelVersion:
        found = self._fetch(endpoint, request, wire.ModelVersionResponse)
        return convert.model_version_from_wire(found.model_version)

    # ------------------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        """Create a registered model."""
        request = {
            "name": name,
            "tags": _key_values(tags),
            "description": description,
            "deployment_job_id": deployment_job_id,
        }
        return self._model(wire.CREATE_REGISTERED_MODEL, request)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a registered model."""
        return self._model(wire.GET_REGISTERED_MODEL, {"name": name})

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a registered model."""
        return self._model(wire.RENAME_REGISTERED_MODEL, {"name": name, "new_name": new_name})

    def update_registered_model(
        self, name: str, description: str | None = None, deployment_job_id: str | None = None
    ) -> RegisteredModel:
        """Change a model's description."""
        request = {
            "name": name,
            "description": description,
            "deployment_job_id": deployment_job_id,
        }
        return self._model(wire.UPDATE_REGISTERED_MODEL, request)

    def delete_registered_model(self, name: str) -> None:
        """Delete a registered model."""
        self._call(wire.DELETE_REGISTERED_MODEL, {"name": name})

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Return a page of registered models."""
        request = {
            "filter": filter_string or None,
            "max_results": max_results,
            "order_by": list(order_by or []),
            "page_token": page_token or None,
        }
        page = self._fetch(
            wire.SEARCH_REGISTERED_MODELS, request, wire.SearchRegisteredModelsResponse
        )
        models = [convert.registered_model_from_wire(m) for m in page.registered_models]
        return PagedList(models, page.next_page_token or None)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """Return the newest version in each stage."""
        request = {"name": name, "stages": list(stages or [])}
        found = self._fetch(wire.GET_LATEST_VERSIONS, request, wire.ModelVersionsResponse)
        return [convert.model_version_from_wire(v) for v in found.model_versions]

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        """Set a model tag."""
        self._call(wire.SET_REGISTERED_MODEL_TAG, {"name": name, "key": key, "value": value})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Delete a model tag."""
        self._call(wire.DELETE_REGISTERED_MODEL_TAG, {"name": name, "key": key})

    # ------------------------------------------------------------------ versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Create the next version of a registered model."""
        request = {
            "name": name,
            "source": source,
            "run_id": run_id,
            "tags": _key_values(tags),
            "run_link": run_link,
            "description": description,
            "model_id": model_id,
        }
        return self._version(wire.CREATE_MODEL_VERSION, request)

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        """Return one version."""
        return self._version(wire.GET_MODEL_VERSION, {"name": name, "version": str(version)})

    def update_model_version(
        self, name: str, version: str, description: str | None = None
    ) -> ModelVersion:
        """Change a version's description."""
        request = {"name": name, "version": str(version), "description": description}
        return self._version(wire.UPDATE_MODEL_VERSION, request)

    def delete_model_version(self, name: str, version: str) -> None:
        """Delete a version."""
        self._call(wire.DELETE_MODEL_VERSION, {"name": name, "version": str(version)})

    def transition_model_version_stage(
        self, name: str, version: str, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move a version to a legacy stage."""
        request = {
            "name": name,
            "version": str(version),
            "stage": stage,
            "archive_existing_versions": archive_existing_versions,
        }
        return self._version(wire.TRANSITION_MODEL_VERSION_STAGE, request)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Return a page of model versions."""
        request = {
            "filter": filter_string or None,
            "max_results": max_results,
            "order_by": list(order_by or []),
            "page_token": page_token or None,
        }
        page = self._fetch(wire.SEARCH_MODEL_VERSIONS, request, wire.ModelVersionsResponse)
        versions = [convert.model_version_from_wire(v) for v in page.model_versions]
        return PagedList(versions, page.next_page_token or None)

    def get_model_version_download_uri(self, name: str, version: str) -> str:
        """Return where a version's files are."""
        request = {"name": name, "version": str(version)}
        found = self._fetch(wire.GET_MODEL_VERSION_DOWNLOAD_URI, request, wire.DownloadUriResponse)
        return found.artifact_uri or ""

    def set_model_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        """Set a version tag."""
        request = {"name": name, "version": str(version), "key": key, "value": value}
        self._call(wire.SET_MODEL_VERSION_TAG, request)

    def delete_model_version_tag(self, name: str, version: str, key: str) -> None:
        """Delete a version tag."""
        request = {"name": name, "version": str(version), "key": key}
        self._call(wire.DELETE_MODEL_VERSION_TAG, request)

    def copy_model_version(self, src_name: str, src_version: str, dst_name: str) -> ModelVersion:
        """Copy a version into another registered model, creating that model if needed."""
        src = self.get_model_version(src_name, src_version)
        with contextlib.suppress(ResourceAlreadyExists):
            self.create_registered_model(dst_name)
        return self.create_model_version(
            dst_name,
            f"models:/{src_name}/{src.version}",
            run_id=src.run_id,
            tags=src.tags,
            run_link=src.run_link,
            description=src.description,
            model_id=src.model_id,
        )

    # ------------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        """Point an alias at a version."""
        request = {"name": name, "alias": alias, "version": str(version)}
        self._call(wire.SET_REGISTERED_MODEL_ALIAS, request)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias."""
        self._call(wire.DELETE_REGISTERED_MODEL_ALIAS, {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """Return the version an alias points at."""
        return self._version(wire.GET_MODEL_VERSION_BY_ALIAS, {"name": name, "alias": alias})

    # ------------------------------------------------------------------ audit trail
    def list_audit_events(
        self,
        model_name: str | None = None,
        since: int | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[AuditEvent]:
        """Return registry audit events, oldest first."""
        request = {
            "model_name": model_name,
            "since": since,
            "max_results": max_results,
            "page_token": page_token,
        }
        page = self._fetch(wire.LIST_AUDIT_EVENTS, request, wire.AuditEventsResponse)
        events = [convert.audit_event_from_wire(e) for e in page.events]
        return PagedList(events, page.next_page_token or None)
