"""LoggedModel routes."""

from __future__ import annotations

import posixpath
from typing import Any

from mltrail.protocol import logged_models as wire
from mltrail.protocol.convert import logged_model_to_wire
from mltrail.server.routing import RouteTable
from mltrail.service.services import Services
from mltrail.store.artifacts.paths import safe_relative

__all__ = ["routes"]

routes = RouteTable()


def _pairs(items: list[Any]) -> dict[str, str]:
    return {i.key: i.value or "" for i in items}


@routes.bind(wire.CREATE_LOGGED_MODEL)
def create_logged_model(req: wire.CreateLoggedModel, services: Services) -> dict[str, Any]:
    model = services.tracking.create_logged_model(
        req.experiment_id,
        name=req.name or None,
        source_run_id=req.source_run_id or None,
        tags=_pairs(req.tags),
        params=_pairs(req.params),
        model_type=req.model_type or None,
    )
    return {"model": logged_model_to_wire(model)}


@routes.bind(wire.GET_LOGGED_MODEL)
def get_logged_model(req: wire.ModelId, services: Services) -> dict[str, Any]:
    return {"model": logged_model_to_wire(services.tracking.get_logged_model(req.model_id))}


@routes.bind(wire.FINALIZE_LOGGED_MODEL)
def finalize_logged_model(req: wire.FinalizeLoggedModel, services: Services) -> dict[str, Any]:
    model = services.tracking.finalize_logged_model(req.model_id, req.status)
    return {"model": logged_model_to_wire(model)}


@routes.bind(wire.DELETE_LOGGED_MODEL)
def delete_logged_model(req: wire.ModelId, services: Services) -> None:
    services.tracking.delete_logged_model(req.model_id)


@routes.bind(wire.SET_LOGGED_MODEL_TAGS)
def set_logged_model_tags(req: wire.SetLoggedModelTags, services: Services) -> None:
    services.tracking.set_logged_model_tags(req.model_id, _pairs(req.tags))


@routes.bind(wire.DELETE_LOGGED_MODEL_TAG)
def delete_logged_model_tag(req: wire.DeleteLoggedModelTag, services: Services) -> None:
    services.tracking.delete_logged_model_tag(req.model_id, req.tag_key)


@routes.bind(wire.LOG_LOGGED_MODEL_PARAMS)
def log_logged_model_params(req: wire.LogLoggedModelParams, services: Services) -> None:
    services.tracking.log_logged_model_params(req.model_id, _pairs(req.params))


@routes.bind(wire.SEARCH_LOGGED_MODELS)
def search_logged_models(req: wire.SearchLoggedModels, services: Services) -> dict[str, Any]:
    page = services.tracking.search_logged_models(
        req.experiment_ids,
        filter_string=req.filter or None,
        datasets=[d.model_dump(exclude_none=True) for d in req.datasets],
        max_results=req.max_results,
        order_by=[o.model_dump(exclude_none=True) for o in req.order_by],
        page_token=req.page_token or None,
    )
    return {"models": [logged_model_to_wire(m) for m in page], "next_page_token": page.token}


@routes.bind(wire.LIST_LOGGED_MODEL_ARTIFACTS)
def list_logged_model_artifacts(
    req: wire.ListLoggedModelArtifacts, services: Services
) -> dict[str, Any]:
    model = services.tracking.get_logged_model(req.model_id)
    repo, prefix = services.artifacts.for_run_root(model.artifact_location)
    rel = safe_relative(req.artifact_directory_path)
    full = posixpath.join(prefix, rel) if prefix else rel
    cut = len(prefix) + 1 if prefix else 0
    files = [
        {"path": f.path[cut:], "is_dir": f.is_dir, "file_size": f.file_size}
        for f in repo.list_artifacts(full)
    ]
    return {"root_uri": model.artifact_location, "files": files}
