"""The LoggedModel half of ``RestBackend``: ``/api/2.0/mlflow/logged-models/...`` calls.

``LoggedModelCalls`` is a mixin of ``RestBackend``, which provides ``_fetch`` and ``_call``;
path parameters such as ``{model_id}`` are filled from the request fields by ``_call``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from mltrail.entities import LoggedModel, LoggedModelStatus, PagedList
from mltrail.protocol import convert
from mltrail.protocol import logged_models as wire
from mltrail.protocol.endpoint import Endpoint
from mltrail.service.api import ModelOrderSpec

__all__ = ["LoggedModelCalls"]

M = TypeVar("M", bound=BaseModel)


def _key_values(items: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in (items or {}).items()]


def _order_term(spec: ModelOrderSpec) -> dict[str, Any]:
    return {
        "field_name": spec.get("field_name"),
        "ascending": spec.get("ascending"),
        "dataset_name": spec.get("dataset_name"),
        "dataset_digest": spec.get("dataset_digest"),
    }


class LoggedModelCalls:
    """LoggedModel methods of the tracking API, over HTTP."""

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

    def _model_call(self, endpoint: Endpoint, request: Mapping[str, Any]) -> LoggedModel:
        found = self._fetch(endpoint, request, wire.ModelResponse)
        return convert.logged_model_from_wire(found.model)

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """Create a PENDING LoggedModel in an experiment."""
        request = {
            "experiment_id": str(experiment_id),
            "name": name or None,
            "source_run_id": source_run_id or None,
            "tags": _key_values(tags),
            "params": _key_values(params),
            "model_type": model_type or None,
        }
        return self._model_call(wire.CREATE_LOGGED_MODEL, request)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """Return a LoggedModel with its tags, params and metrics."""
        return self._model_call(wire.GET_LOGGED_MODEL, {"model_id": model_id})

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        """Set a model's final status (READY or FAILED)."""
        request = {
            "model_id": model_id,
            "status": LoggedModelStatus.to_wire(LoggedModelStatus.coerce(status)),
        }
        return self._model_call(wire.FINALIZE_LOGGED_MODEL, request)

    def delete_logged_model(self, model_id: str) -> None:
        """Delete a model."""
        self._call(wire.DELETE_LOGGED_MODEL, {"model_id": model_id})

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        """Set (or overwrite) tags on a model."""
        self._call(wire.SET_LOGGED_MODEL_TAGS, {"model_id": model_id, "tags": _key_values(tags)})

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Delete one tag of a model."""
        self._call(wire.DELETE_LOGGED_MODEL_TAG, {"model_id": model_id, "tag_key": key})

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Log params on a model (immutable once logged)."""
        request = {"model_id": model_id, "params": _key_values(params)}
        self._call(wire.LOG_LOGGED_MODEL_PARAMS, request)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, str]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[ModelOrderSpec] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """Return a page of models matching a filter (``.token`` names the next page)."""
        request = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "filter": filter_string or None,
            "datasets": [
                {"dataset_name": d.get("dataset_name"), "dataset_digest": d.get("dataset_digest")}
                for d in datasets or []
            ],
            "max_results": max_results,
            "order_by": [_order_term(o) for o in order_by or []],
            "page_token": page_token or None,
        }
        page = self._fetch(wire.SEARCH_LOGGED_MODELS, request, wire.SearchLoggedModelsResponse)
        models = [convert.logged_model_from_wire(m) for m in page.models]
        return PagedList(models, page.next_page_token or None)
