"""Model registry routes: registered models, versions, tags, aliases, stages, audit trail."""

from __future__ import annotations

from typing import Any

from mltrail.protocol import registry as wire
from mltrail.protocol.convert import (
    audit_event_to_wire,
    model_version_to_wire,
    registered_model_to_wire,
)
from mltrail.server.routing import RouteTable
from mltrail.service.services import Services

__all__ = ["routes"]

routes = RouteTable()


def _pairs(items: list[Any]) -> dict[str, str]:
    return {i.key: i.value or "" for i in items}


def _model(rm: Any) -> dict[str, Any]:
    return {"registered_model": registered_model_to_wire(rm)}


def _version(mv: Any) -> dict[str, Any]:
    return {"model_version": model_version_to_wire(mv)}


@routes.bind(wire.CREATE_REGISTERED_MODEL)
def create_registered_model(req: wire.CreateRegisteredModel, services: Services) -> dict[str, Any]:
    rm = services.registry.create_registered_model(
        req.name, _pairs(req.tags), req.description, req.deployment_job_id
    )
    return _model(rm)


@routes.bind(wire.GET_REGISTERED_MODEL)
def get_registered_model(req: wire.ModelName, services: Services) -> dict[str, Any]:
    return _model(services.registry.get_registered_model(req.name))


@routes.bind(wire.RENAME_REGISTERED_MODEL)
def rename_registered_model(req: wire.RenameRegisteredModel, services: Services) -> dict[str, Any]:
    return _model(services.registry.rename_registered_model(req.name, req.new_name))


@routes.bind(wire.UPDATE_REGISTERED_MODEL)
def update_registered_model(req: wire.UpdateRegisteredModel, services: Services) -> dict[str, Any]:
    rm = services.registry.update_registered_model(req.name, req.description, req.deployment_job_id)
    return _model(rm)


@routes.bind(wire.DELETE_REGISTERED_MODEL)
def delete_registered_model(req: wire.ModelName, services: Services) -> None:
    services.registry.delete_registered_model(req.name)


@routes.bind(wire.SEARCH_REGISTERED_MODELS)
def search_registered_models(req: wire.SearchRegistry, services: Services) -> dict[str, Any]:
    page = services.registry.search_registered_models(
        req.filter or None, req.max_results, req.order_by, req.page_token or None
    )
    return {
        "registered_models": [registered_model_to_wire(m) for m in page],
        "next_page_token": page.token,
    }


@routes.bind(wire.GET_LATEST_VERSIONS, wire.GET_LATEST_VERSIONS_GET)
def get_latest_versions(req: wire.GetLatestVersions, services: Services) -> dict[str, Any]:
    found = services.registry.get_latest_versions(req.name, req.stages)
    return {"model_versions": [model_version_to_wire(v) for v in found]}


@routes.bind(wire.CREATE_MODEL_VERSION)
def create_model_version(req: wire.CreateModelVersion, services: Services) -> dict[str, Any]:
    mv = services.registry.create_model_version(
        req.name,
        req.source,
        run_id=req.run_id or None,
        tags=_pairs(req.tags),
        run_link=req.run_link or None,
        description=req.description or None,
        model_id=req.model_id or None,
    )
    return _version(mv)


@routes.bind(wire.GET_MODEL_VERSION)
def get_model_version(req: wire.VersionId, services: Services) -> dict[str, Any]:
    return _version(services.registry.get_model_version(req.name, req.version))


@routes.bind(wire.UPDATE_MODEL_VERSION)
def update_model_version(req: wire.UpdateModelVersion, services: Services) -> dict[str, Any]:
    mv = services.registry.update_model_version(req.name, req.version, req.description)
    return _version(mv)


@routes.bind(wire.DELETE_MODEL_VERSION)
def delete_model_version(req: wire.VersionId, services: Services) -> None:
    services.registry.delete_model_version(req.name, req.version)


@routes.bind(wire.TRANSITION_MODEL_VERSION_STAGE)
def transition_model_version_stage(
    req: wire.TransitionModelVersionStage, services: Services
) -> dict[str, Any]:
    mv = services.registry.transition_model_version_stage(
        req.name, req.version, req.stage, req.archive_existing_versions
    )
    return _version(mv)


@routes.bind(wire.SEARCH_MODEL_VERSIONS)
def search_model_versions(req: wire.SearchRegistry, services: Services) -> dict[str, Any]:
    page = services.registry.search_model_versions(
        req.filter or None, req.max_results, req.order_by, req.page_token or None
    )
    return {
        "model_versions": [model_version_to_wire(v) for v in page],
        "next_page_token": page.token,
    }


@routes.bind(wire.GET_MODEL_VERSION_DOWNLOAD_URI)
def get_model_version_download_uri(req: wire.VersionId, services: Services) -> dict[str, Any]:
    uri = services.registry.get_model_version_download_uri(req.name, req.version)
    return {"artifact_uri": uri}


@routes.bind(wire.SET_REGISTERED_MODEL_TAG)
def set_registered_model_tag(req: wire.SetRegisteredModelTag, services: Services) -> None:
    services.registry.set_registered_model_tag(req.name, req.key, req.value)


@routes.bind(wire.DELETE_REGISTERED_MODEL_TAG)
def delete_registered_model_tag(req: wire.DeleteRegisteredModelTag, services: Services) -> None:
    services.registry.delete_registered_model_tag(req.name, req.key)


@routes.bind(wire.SET_MODEL_VERSION_TAG)
def set_model_version_tag(req: wire.SetModelVersionTag, services: Services) -> None:
    services.registry.set_model_version_tag(req.name, req.version, req.key, req.value)


@routes.bind(wire.DELETE_MODEL_VERSION_TAG)
def delete_model_version_tag(req: wire.DeleteModelVersionTag, services: Services) -> None:
    services.registry.delete_model_version_tag(req.name, req.version, req.key)


@routes.bind(wire.SET_REGISTERED_MODEL_ALIAS)
def set_registered_model_alias(req: wire.SetRegisteredModelAlias, services: Services) -> None:
    services.registry.set_registered_model_alias(req.name, req.alias, req.version)


@routes.bind(wire.DELETE_REGISTERED_MODEL_ALIAS)
def delete_registered_model_alias(req: wire.AliasName, services: Services) -> None:
    services.registry.delete_registered_model_alias(req.name, req.alias)


@routes.bind(wire.GET_MODEL_VERSION_BY_ALIAS)
def get_model_version_by_alias(req: wire.AliasName, services: Services) -> dict[str, Any]:
    return _version(services.registry.get_model_version_by_alias(req.name, req.alias))


@routes.bind(wire.LIST_AUDIT_EVENTS)
def list_audit_events(req: wire.ListAuditEvents, services: Services) -> dict[str, Any]:
    page = services.registry.list_audit_events(
        req.model_name or None, req.since, req.max_results, req.page_token or None
    )
    return {"events": [audit_event_to_wire(e) for e in page], "next_page_token": page.token}
