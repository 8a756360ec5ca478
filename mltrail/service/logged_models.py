"""LoggedModel operations: create, finalize, tags, params, metrics, search, delete.

``LoggedModelOperations`` is mixed into ``TrackingService`` so one backend object serves the
whole tracking API, locally and behind the server alike.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from mltrail.entities import (
    Experiment,
    LifecycleStage,
    LoggedModel,
    LoggedModelStatus,
    PagedList,
)
from mltrail.exceptions import InvalidParameterValue, InvalidState, ResourceDoesNotExist
from mltrail.search import filter as search_filter
from mltrail.search import tokens
from mltrail.search.filter import Comparison
from mltrail.service import validation
from mltrail.service.api import ModelOrderSpec
from mltrail.service.artifact_uris import append_path
from mltrail.service.run_names import generate_run_name
from mltrail.store.sql import logged_models as store
from mltrail.store.sql import runs
from mltrail.store.sql.engine import Database
from mltrail.store.sql.logged_models import ModelOrder

__all__ = ["LoggedModelOperations", "ModelOrderSpec"]

MAX_MODEL_NAME = 500
SEARCH_DEFAULT = 100
SEARCH_MAX = 1000
_ORDER_ATTRIBUTES = {
    "name": "name",
    "model_id": "model_id",
    "model_type": "model_type",
    "status": "status",
    "source_run_id": "source_run_id",
    "creation_timestamp": "creation_timestamp",
    "creation_time": "creation_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
}


def _now_ms() -> int:
    return int(time.time() * 1000)


def _orders(order_by: Sequence[ModelOrderSpec] | None) -> list[ModelOrder]:
    out = []
    for spec in order_by or []:
        field = str(spec.get("field_name") or "")
        if field.startswith("metrics.") and len(field) > len("metrics."):
            name = field
        elif field in _ORDER_ATTRIBUTES:
            name = _ORDER_ATTRIBUTES[field]
        else:
            raise InvalidParameterValue(
                f"Invalid order_by field {field!r}: use metrics.<key> or one of "
                f"{sorted(_ORDER_ATTRIBUTES)}."
            )
        ascending = spec.get("ascending")
        out.append(
            ModelOrder(
                name,
                True if ascending is None else bool(ascending),
                spec.get("dataset_name"),
                spec.get("dataset_digest"),
            )
        )
    return out


class LoggedModelOperations:
    """The LoggedModel half of the tracking service (expects ``db`` and ``_experiment``)."""

    db: Database

    def _experiment(self, session: Session, experiment_id: str) -> Experiment:
        raise NotImplementedError  # provided by TrackingService

    def _model(self, session: Session, model_id: str) -> LoggedModel:
        found = store.load(session, [model_id]) if isinstance(model_id, str) else []
        if not found or store.stage_of(session, model_id) != LifecycleStage.ACTIVE:
            raise ResourceDoesNotExist(f"Logged model with ID '{model_id}' not found.")
        return found[0]

    def _require_model(self, session: Session, model_id: str) -> None:
        if store.stage_of(session, model_id) != LifecycleStage.ACTIVE:
            raise ResourceDoesNotExist(f"Logged model with ID '{model_id}' not found.")

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """Create a PENDING LoggedModel in an active experiment."""
        name = name or generate_run_name()
        if len(name) > MAX_MODEL_NAME or "/" in name or ":" in name:
            raise InvalidParameterValue(
                f"Invalid LoggedModel name {name[:60]!r}: at most {MAX_MODEL_NAME} characters, "
                "without '/' or ':'."
            )
        tag_map = {k: str(v) for k, v in (tags or {}).items()}
        param_map = {k: str(v) for k, v in (params or {}).items()}
        for key in tag_map:
            validation.validate_key("tag", key)
        for key in param_map:
            validation.validate_key("param", key)
        model_id = f"m-{uuid.uuid4().hex}"
        now = _now_ms()
        with self.db.write() as session:
            exp = self._experiment(session, experiment_id)
            if exp.lifecycle_stage != LifecycleStage.ACTIVE:
                raise InvalidState(
                    f"Cannot create a LoggedModel in experiment {experiment_id}: it is deleted."
                )
            if source_run_id is not None:
                validation.validate_run_id(source_run_id)
                if runs.get_stage(session, source_run_id) is None:
                    raise ResourceDoesNotExist(f"Run '{source_run_id}' not found")
            store.insert(
                session,
                {
                    "model_id": model_id,
                    "experiment_id": int(exp.experiment_id),
                    "name": name,
                    "artifact_location": append_path(
                        exp.artifact_location, "models", model_id, "artifacts"
                    ),
                    "creation_timestamp_ms": now,
                    "last_updated_timestamp_ms": now,
                    "status": LoggedModelStatus.PENDING,
                    "model_type": model_type,
                    "source_run_id": source_run_id,
                    "lifecycle_stage": LifecycleStage.ACTIVE,
                },
            )
            if tag_map:
                store.set_tags(self.db, session, model_id, tag_map)
            store.insert_params(session, model_id, param_map)
            return self._model(session, model_id)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """Return a LoggedModel with its tags, params and metrics."""
        with self.db.read() as session:
            return self._model(session, model_id)

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        """Set a model's final status (READY or FAILED)."""
        final = LoggedModelStatus.coerce(status)
        with self.db.write() as session:
            self._require_model(session, model_id)
            store.update(session, model_id, status=final, last_updated_timestamp_ms=_now_ms())
            return self._model(session, model_id)

    def delete_logged_model(self, model_id: str) -> None:
        """Delete a model (it disappears from get and search)."""
        with self.db.write() as session:
            self._require_model(session, model_id)
            store.update(
                session,
                model_id,
                lifecycle_stage=LifecycleStage.DELETED,
                last_updated_timestamp_ms=_now_ms(),
            )

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        """Set (or overwrite) tags on a model."""
        tag_map = {k: str(v) for k, v in tags.items()}
        for key in tag_map:
            validation.validate_key("tag", key)
        with self.db.write() as session:
            self._require_model(session, model_id)
            store.set_tags(self.db, session, model_id, tag_map)
            store.update(session, model_id, last_updated_timestamp_ms=_now_ms())

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Delete one tag of a model."""
        with self.db.write() as session:
            self._require_model(session, model_id)
            if store.delete_tag(session, model_id, key) == 0:
                raise ResourceDoesNotExist(f"No tag with key {key!r} on logged model {model_id}")

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Log params on a model; like run params they cannot change once logged."""
        param_map = {k: str(v) for k, v in params.items()}
        for key, value in param_map.items():
            validation.validate_key("param", key)
            if len(value) > validation.MAX_PARAM_VAL_LENGTH:
                raise InvalidParameterValue(
                    f"Param {key!r} is {len(value)} characters long; the limit is "
                    f"{validation.MAX_PARAM_VAL_LENGTH}."
                )
        with self.db.write() as session:
            self._require_model(session, model_id)
            existing = store.params_of(session, model_id, param_map)
            for key, old in existing.items():
                if old != param_map[key]:
                    raise InvalidParameterValue(
                        f"Changing param values is not allowed. Param {key!r} of logged model "
                        f"{model_id} is {old!r}; attempted {param_map[key]!r}."
                    )
            store.insert_params(
                session, model_id, {k: v for k, v in param_map.items() if k not in existing}
            )

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, str]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[ModelOrderSpec] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """Return a page of active models matching a filter (``.token`` has the next page)."""
        if not experiment_ids:
            raise InvalidParameterValue("search_logged_models needs at least one experiment id.")
        limit = validation.validate_max_results(max_results, SEARCH_MAX) or SEARCH_DEFAULT
        comparisons = search_filter.parse_logged_model_filter(filter_string)
        dataset_pairs = []
        for d in datasets or []:
            name = d.get("dataset_name")
            if not name:
                raise InvalidParameterValue("Each dataset filter needs a dataset_name.")
            dataset_pairs.append((str(name), d.get("dataset_digest") or None))
        comparisons = [
            Comparison(c.entity, c.key, c.op, LoggedModelStatus.coerce(c.value))
            if c.entity == "attribute" and c.key == "status" and isinstance(c.value, str)
            else c
            for c in comparisons
        ]
        orders = _orders(order_by)
        offset = tokens.decode_page_token(page_token) if page_token else 0
        ids = []
        for e in experiment_ids:
            try:
                ids.append(int(str(e)))
            except ValueError:
                raise InvalidParameterValue(f"Invalid experiment id {e!r}.") from None
        with self.db.read() as session:
            found = store.search_ids(
                session, ids, comparisons, dataset_pairs, orders, limit + 1, offset
            )
            models = store.load(session, found[:limit])
        token = tokens.encode_page_token(offset + limit) if len(found) > limit else None
        return PagedList(models, token)
