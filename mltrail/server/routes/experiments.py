"""Experiment routes: create, get, search, rename, delete, restore, tags, datasets."""

from __future__ import annotations

from typing import Any

from mltrail.entities import ViewType
from mltrail.exceptions import ResourceDoesNotExist
from mltrail.protocol import tracking as wire
from mltrail.protocol.convert import experiment_to_wire
from mltrail.server.routing import RouteTable
from mltrail.service.services import Services

__all__ = ["routes"]

routes = RouteTable()


@routes.bind(wire.CREATE_EXPERIMENT)
def create_experiment(req: wire.CreateExperiment, services: Services) -> dict[str, Any]:
    tags = [(t.key, t.value or "") for t in req.tags]
    exp_id = services.tracking.create_experiment(req.name, req.artifact_location or None, tags)
    return {"experiment_id": exp_id}


@routes.bind(wire.SEARCH_EXPERIMENTS, wire.SEARCH_EXPERIMENTS_GET)
def search_experiments(req: wire.SearchExperiments, services: Services) -> dict[str, Any]:
    page = services.tracking.search_experiments(
        view_type=ViewType.coerce(req.view_type),
        max_results=req.max_results,
        filter_string=req.filter,
        order_by=req.order_by,
        page_token=req.page_token or None,
    )
    return {
        "experiments": [experiment_to_wire(e) for e in page],
        "next_page_token": page.token,
    }


@routes.bind(wire.GET_EXPERIMENT)
def get_experiment(req: wire.GetExperiment, services: Services) -> dict[str, Any]:
    return {"experiment": experiment_to_wire(services.tracking.get_experiment(req.experiment_id))}


@routes.bind(wire.GET_EXPERIMENT_BY_NAME)
def get_experiment_by_name(req: wire.GetExperimentByName, services: Services) -> dict[str, Any]:
    exp = services.tracking.get_experiment_by_name(req.experiment_name)
    if exp is None:
        raise ResourceDoesNotExist(f"Could not find experiment with name '{req.experiment_name}'")
    return {"experiment": experiment_to_wire(exp)}


@routes.bind(wire.DELETE_EXPERIMENT)
def delete_experiment(req: wire.GetExperiment, services: Services) -> None:
    services.tracking.delete_experiment(req.experiment_id)


@routes.bind(wire.RESTORE_EXPERIMENT)
def restore_experiment(req: wire.GetExperiment, services: Services) -> None:
    services.tracking.restore_experiment(req.experiment_id)


@routes.bind(wire.UPDATE_EXPERIMENT)
def update_experiment(req: wire.UpdateExperiment, services: Services) -> None:
    services.tracking.rename_experiment(req.experiment_id, req.new_name)


@routes.bind(wire.SET_EXPERIMENT_TAG)
def set_experiment_tag(req: wire.SetExperimentTag, services: Services) -> None:
    services.tracking.set_experiment_tag(req.experiment_id, req.key, req.value)


@routes.bind(wire.DELETE_EXPERIMENT_TAG)
def delete_experiment_tag(req: wire.DeleteExperimentTag, services: Services) -> None:
    services.tracking.delete_experiment_tag(req.experiment_id, req.key)


@routes.bind(wire.SEARCH_DATASETS)
def search_datasets(req: wire.SearchDatasets, services: Services) -> dict[str, Any]:
    found = services.tracking.search_datasets(req.experiment_ids)
    return {
        "dataset_summaries": [
            {
                "experiment_id": d.experiment_id,
                "name": d.name,
                "digest": d.digest,
                "context": d.context,
            }
            for d in found
        ]
    }
