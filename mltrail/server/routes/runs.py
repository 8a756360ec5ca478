"""Run routes: create, get, update, delete, restore, search, and logging to a run."""

from __future__ import annotations

from typing import Any

from mltrail.entities import LoggedModelInput, Metric, Param, RunStatus, RunTag, ViewType
from mltrail.protocol import convert
from mltrail.protocol import tracking as wire
from mltrail.server.routing import RouteTable
from mltrail.service.services import Services

__all__ = ["routes"]

routes = RouteTable()


@routes.bind(wire.CREATE_RUN)
def create_run(req: wire.CreateRun, services: Services) -> dict[str, Any]:
    run = services.tracking.create_run(
        req.experiment_id,
        user_id=req.user_id,
        start_time=req.start_time,
        tags=convert.run_tags(req.tags),
        run_name=req.run_name or None,
    )
    return {"run": convert.run_to_wire(run)}


@routes.bind(wire.GET_RUN)
def get_run(req: wire.GetRun, services: Services) -> dict[str, Any]:
    return {"run": convert.run_to_wire(services.tracking.get_run(req.run_id))}


@routes.bind(wire.UPDATE_RUN)
def update_run(req: wire.UpdateRun, services: Services) -> dict[str, Any]:
    status = None if req.status is None else RunStatus.to_string(req.status)
    info = services.tracking.update_run_info(
        req.run_id, run_status=status, end_time=req.end_time, run_name=req.run_name or None
    )
    return {"run_info": convert.run_info_to_wire(info)}


@routes.bind(wire.DELETE_RUN)
def delete_run(req: wire.RunIdOnly, services: Services) -> None:
    services.tracking.delete_run(req.run_id)


@routes.bind(wire.RESTORE_RUN)
def restore_run(req: wire.RunIdOnly, services: Services) -> None:
    services.tracking.restore_run(req.run_id)


@routes.bind(wire.SEARCH_RUNS)
def search_runs(req: wire.SearchRuns, services: Services) -> dict[str, Any]:
    page = services.tracking.search_runs(
        req.experiment_ids,
        filter_string=req.filter or "",
        run_view_type=ViewType.coerce(req.run_view_type),
        max_results=req.max_results,
        order_by=req.order_by,
        page_token=req.page_token or None,
    )
    return {"runs": [convert.run_to_wire(r) for r in page], "next_page_token": page.token}


@routes.bind(wire.LOG_METRIC)
def log_metric(req: wire.LogMetric, services: Services) -> None:
    metric = Metric(
        req.key,
        req.value,
        req.timestamp,
        req.step,
        dataset_name=req.dataset_name,
        dataset_digest=req.dataset_digest,
        model_id=req.model_id,
    )
    services.tracking.log_metric(req.run_id, metric)


@routes.bind(wire.LOG_PARAM)
def log_param(req: wire.LogParam, services: Services) -> None:
    services.tracking.log_param(req.run_id, Param(req.key, req.value))


@routes.bind(wire.SET_TAG)
def set_tag(req: wire.SetTag, services: Services) -> None:
    services.tracking.set_tag(req.run_id, RunTag(req.key, req.value))


@routes.bind(wire.DELETE_TAG)
def delete_tag(req: wire.DeleteTag, services: Services) -> None:
    services.tracking.delete_tag(req.run_id, req.key)


@routes.bind(wire.LOG_BATCH)
def log_batch(req: wire.LogBatch, services: Services) -> None:
    services.tracking.log_batch(
        req.run_id,
        metrics=[convert.metric_from_wire(m) for m in req.metrics],
        params=convert.params(req.params),
        tags=convert.run_tags(req.tags),
    )


@routes.bind(wire.LOG_MODEL)
def log_model(req: wire.LogModel, services: Services) -> None:
    services.tracking.record_logged_model(req.run_id, req.model_json)


@routes.bind(wire.LOG_INPUTS)
def log_inputs(req: wire.LogInputs, services: Services) -> None:
    services.tracking.log_inputs(
        req.run_id,
        datasets=[convert.dataset_input_from_wire(d) for d in req.datasets],
        models=[LoggedModelInput(m.model_id) for m in req.models],
    )
