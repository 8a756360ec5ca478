"""The model registry service: rules, validation and one transaction per call.

Every mutation locks the registered model's row first (``SELECT ... FOR UPDATE``; SQLite
writers are serialised anyway), so concurrent changes to one model apply one after the other
and the audit event written in the same transaction sees the true old value.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from mltrail.entities import (
    AuditEvent,
    LifecycleStage,
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    PagedList,
    RegisteredModel,
)
from mltrail.exceptions import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from mltrail.search import registry as grammar
from mltrail.search import tokens
from mltrail.service import validation
from mltrail.service.actor import current_actor
from mltrail.store.sql import logged_models as logged_model_store
from mltrail.store.sql import registry as store
from mltrail.store.sql import registry_search as searches
from mltrail.store.sql import runs as run_store
from mltrail.store.sql.engine import Database

__all__ = ["RegistryService"]

MODELS_SEARCH_DEFAULT = 100
MODELS_SEARCH_MAX = 1000
VERSIONS_SEARCH_DEFAULT = 10_000
VERSIONS_SEARCH_MAX = 200_000
AUDIT_PAGE_DEFAULT = 1000
_MODEL_ID_SOURCE = re.compile(r"^models:/(m-[0-9a-f]{32})/?$")
_REGISTRY_SOURCE = re.compile(r"^models:/([^/@]+)/(\d+)/?$")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _not_found(name: str) -> ResourceDoesNotExist:
    return ResourceDoesNotExist(f"Registered Model with name={name} not found")


def _version_not_found(name: str, version: object) -> ResourceDoesNotExist:
    return ResourceDoesNotExist(f"Model Version (name={name}, version={version}) not found")


class RegistryService:
    """The registry API over SQL (satisfies ``RegistryAPI``).

    Args:
        db: The database shared with the tracking service.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self.db.write() as session:
            yield session

    def _lock(self, session: Session, name: str) -> int:
        pk = store.model_pk(
            session,
            validation.validate_registered_model_name(name),
            for_update=not self.db.is_sqlite,
        )
        if pk is None:
            raise _not_found(name)
        return pk

    def _pk(self, session: Session, name: str) -> int:
        pk = store.model_pk(session, validation.validate_registered_model_name(name))
        if pk is None:
            raise _not_found(name)
        return pk

    def _audit(
        self,
        session: Session,
        action: str,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        old: str | None = None,
        new: str | None = None,
    ) -> None:
        actor = current_actor()
        store.append_event(
            session,
            {
                "timestamp_ms": _now_ms(),
                "user_id": actor.user_id,
                "action": action,
                "model_name": name,
                "version": None if version is None else str(version),
                "key": key,
                "old_value": old,
                "new_value": new,
                "request_id": actor.request_id,
            },
        )

    def _model(self, session: Session, pk: int) -> RegisteredModel:
        return store.load_models(session, [pk])[0]

    def _version(self, session: Session, pk: int, name: str, version: int) -> ModelVersion:
        found = store.load_versions(session, [(pk, version)])
        if not found:
            raise _version_not_found(name, version)
        return found[0]

    def _touch(self, session: Session, pk: int, now: int) -> None:
        store.update_model(session, pk, last_updated_timestamp_ms=now)

    # ------------------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        """Create a registered model.

        Raises:
            ResourceAlreadyExists: The name is taken.
            InvalidParameterValue: The name or a tag is invalid.
        """
        validation.validate_registered_model_name(name)
        tag_map = validation.registry_tags(tags)
        now = _now_ms()
        with self._write() as session:
            if store.model_pk(session, name) is not None:
                raise ResourceAlreadyExists(f"Registered Model (name={name}) already exists.")
            values = {
                "name": name,
                "creation_timestamp_ms": now,
                "last_updated_timestamp_ms": now,
                "description": description or None,
                "user_id": current_actor().user_id,
                "deployment_job_id": deployment_job_id or None,
            }
            try:
                pk = store.insert_model(session, values)
            except self.db.integrity_error:
                raise ResourceAlreadyExists(
                    f"Registered Model (name={name}) already exists."
                ) from None
            store.set_model_tags(self.db, session, pk, tag_map)
            self._audit(session, "create_registered_model", name, new=description or None)
            return self._model(session, pk)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a registered model with its tags, aliases and latest versions.

        Raises:
            ResourceDoesNotExist: There is no model with this name.
        """
        with self.db.read() as session:
            return self._model(session, self._pk(session, name))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, tags and aliases follow.

        Raises:
            ResourceDoesNotExist: There is no model named ``name``.
            ResourceAlreadyExists: ``new_name`` is taken.
        """
        validation.validate_registered_model_name(new_name, "new_name")
        with self._write() as session:
            pk = self._lock(session, name)
            if new_name != name and store.model_pk(session, new_name) is not None:
                raise ResourceAlreadyExists(f"Registered Model (name={new_name}) already exists.")
            store.update_model(session, pk, name=new_name, last_updated_timestamp_ms=_now_ms())
            self._audit(session, "rename_registered_model", new_name, old=name, new=new_name)
            return self._model(session, pk)

    def update_registered_model(
        self, name: str, description: str | None = None, deployment_job_id: str | None = None
    ) -> RegisteredModel:
        """Change a model's description (and deployment job id, when given)."""
        with self._write() as session:
            pk = self._lock(session, name)
            before = self._model(session, pk)
            values: dict[str, Any] = {"last_updated_timestamp_ms": _now_ms()}
            if description is not None:
                values["description"] = description
            if deployment_job_id is not None:
                values["deployment_job_id"] = deployment_job_id or None
            store.update_model(session, pk, **values)
            self._audit(
                session,
                "update_registered_model",
                name,
                key="description",
                old=before.description,
                new=description,
            )
            return self._model(session, pk)

    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions, tags and aliases."""
        with self._write() as session:
            pk = self._lock(session, name)
            store.delete_model(session, pk)
            self._audit(session, "delete_registered_model", name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Return a page of models matching a filter such as ``name LIKE 'fraud%'``."""
        limit = validation.validate_max_results(max_results, MODELS_SEARCH_MAX)
        limit = limit or MODELS_SEARCH_DEFAULT
        comparisons = grammar.parse_registered_model_filter(filter_string)
        orders = grammar.parse_registry_order_by(order_by, for_versions=False)
        offset = tokens.decode_page_token(page_token) if page_token else 0
        with self.db.read() as session:
            pks = searches.search_model_pks(session, comparisons, orders, limit + 1, offset)
            models = store.load_models(session, pks[:limit])
        token = tokens.encode_page_token(offset + limit) if len(pks) > limit else None
        return PagedList(models, token)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """Return the newest version in each stage (only ``stages`` when given)."""
        canonical = [ModelVersionStage.canonical(s) for s in stages or []]
        with self.db.read() as session:
            return store.latest_versions(session, self._pk(session, name), canonical)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        """Set (or overwrite) a tag on a model."""
        validation.validate_registry_tag(key, str(value))
        with self._write() as session:
            pk = self._lock(session, name)
            old = self._model(session, pk).tags.get(key)
            store.set_model_tags(self.db, session, pk, {key: str(value)})
            self._audit(session, "set_registered_model_tag", name, key=key, old=old, new=value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Delete a model tag (a missing tag is not an error, as in MLflow)."""
        with self._write() as session:
            pk = self._lock(session, name)
            old = store.delete_model_tag(session, pk, key)
            if old is not None:
                self._audit(session, "delete_registered_model_tag", name, key=key, old=old)

    # ------------------------------------------------------------------ versions
    def _resolve_source(
        self, session: Session, source: str, run_id: str | None, model_id: str | None
    ) -> tuple[str | None, str | None, str | None]:
        """Return (run_id, model_id, storage_location) implied by a version's source."""
        storage = None
        match = _MODEL_ID_SOURCE.match(source)
        if match and model_id is None:
            model_id = match.group(1)
        if model_id is not None:
            found = logged_model_store.load(session, [model_id])
            stage = logged_model_store.stage_of(session, model_id)
            if not found or stage != LifecycleStage.ACTIVE:
                raise ResourceDoesNotExist(
                    f"Logged model with ID '{model_id}' not found; register an existing model."
                )
            run_id = run_id or found[0].source_run_id
            storage = found[0].artifact_location
        copied = _REGISTRY_SOURCE.match(source)
        if copied:
            pk = store.model_pk(session, copied.group(1))
            src = store.load_versions(session, [(pk, int(copied.group(2)))]) if pk else []
            if src:
                storage = src[0].storage_location or src[0].source
        if source.startswith("runs:/"):
            source_run = source[len("runs:/") :].strip("/").partition("/")[0]
            if run_id is not None and source_run != run_id:
                raise InvalidParameterValue(
                    f"Invalid model version source: '{source}': its run is not the run_id "
                    f"'{run_id}' of the request. Pass matching values."
                )
            run_id = run_id or source_run
        if run_id is not None:
            validation.validate_run_id(run_id)
            if run_store.get_stage(session, run_id) is None:
                raise ResourceDoesNotExist(
                    f"Run '{run_id}' not found; pass the id of an existing run."
                )
        return run_id, model_id, storage

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
        """Create the next version of a registered model.

        Version numbers are allocated by one UPDATE of the model row, so concurrent creates
        get distinct, gap-free numbers on every engine.

        Raises:
            ResourceDoesNotExist: The model, run or LoggedModel does not exist.
        """
        if not isinstance(source, str) or not source:
            raise InvalidParameterValue("Missing value for required parameter 'source'.")
        if ".." in source.replace("\\", "/").split("/"):
            raise InvalidParameterValue(
                f"Invalid model version source: '{source}': it must not contain '..' segments."
            )
        tag_map = validation.registry_tags(tags)
        with self._write() as session:
            pk = self._lock(session, name)
            fields = {"run_link": run_link, "description": description, "model_id": model_id}
            return self._insert_version(session, pk, name, source, run_id, tag_map, fields)

    def _insert_version(
        self,
        session: Session,
        pk: int,
        name: str,
        source: str,
        run_id: str | None,
        tags: dict[str, str],
        fields: Mapping[str, str | None],
    ) -> ModelVersion:
        now = _now_ms()
        run_id, model_id, storage = self._resolve_source(
            session, source, run_id or None, fields.get("model_id") or None
        )
        version = store.allocate_version(session, pk)
        store.insert_version(
            session,
            {
                "model_pk": pk,
                "version": version,
                "creation_timestamp_ms": now,
                "last_updated_timestamp_ms": now,
                "description": fields.get("description") or None,
                "user_id": current_actor().user_id,
                "current_stage": ModelVersionStage.NONE,
                "source": source,
                "storage_location": storage,
                "run_id": run_id,
                "run_link": fields.get("run_link") or None,
                "model_id": model_id,
                "status": ModelVersionStatus.READY,
            },
        )
        store.set_version_tags(self.db, session, pk, version, tags)
        self._touch(session, pk, now)
        self._audit(session, "create_model_version", name, version, new=source)
        return self._version(session, pk, name, version)

    def _live_version(
        self, session: Session, name: str, version: str, lock: bool
    ) -> tuple[int, int]:
        number = validation.parse_version_number(version)
        pk = self._lock(session, name) if lock else self._pk(session, name)
        if not store.version_exists(session, pk, number):
            raise _version_not_found(name, version)
        return pk, number

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        """Return one version with its tags and aliases.

        Raises:
            ResourceDoesNotExist: The model or version does not exist.
        """
        number = validation.parse_version_number(version)
        with self.db.read() as session:
            return self._version(session, self._pk(session, name), name, number)

    def update_model_version(
        self, name: str, version: str, description: str | None = None
    ) -> ModelVersion:
        """Change a version's description."""
        with self._write() as session:
            pk, number = self._live_version(session, name, version, lock=True)
            old = self._version(session, pk, name, number).description
            values: dict[str, Any] = {"last_updated_timestamp_ms": _now_ms()}
            if description is not None:
                values["description"] = description
            store.update_version(session, pk, number, **values)
            self._audit(
                session, "update_model_version", name, number, "description", old, description
            )
            return self._version(session, pk, name, number)

    def delete_model_version(self, name: str, version: str) -> None:
        """Delete a version; its number is never reused and its aliases go with it."""
        with self._write() as session:
            pk, number = self._live_version(session, name, version, lock=True)
            now = _now_ms()
            store.delete_version_aliases(session, pk, number)
            tags = self._version(session, pk, name, number).tags
            for key in tags:
                store.delete_version_tag(session, pk, number, key)
            store.update_version(session, pk, number, deleted=True, last_updated_timestamp_ms=now)
            self._touch(session, pk, now)
            self._audit(session, "delete_model_version", name, number)

    def transition_model_version_stage(
        self, name: str, version: str, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move a version to a legacy stage, optionally archiving the others in that stage.

        Raises:
            InvalidParameterValue: The stage is unknown, or ``archive_existing_versions`` is
                set for a stage other than Staging or Production.
        """
        target = ModelVersionStage.canonical(stage)
        if archive_existing_versions and target not in ModelVersionStage.ACTIVE:
            raise InvalidParameterValue(
                f"Model version transition cannot archive existing model versions because "
                f"'{target}' is not an Active stage. Valid stages are "
                f"{list(ModelVersionStage.ACTIVE)}."
            )
        with self._write() as session:
            pk, number = self._live_version(session, name, version, lock=True)
            now = _now_ms()
            old = self._version(session, pk, name, number).current_stage
            if archive_existing_versions:
                for other in store.versions_in_stages(session, pk, [target]):
                    if other != number:
                        store.update_version(
                            session,
                            pk,
                            other,
                            current_stage=ModelVersionStage.ARCHIVED,
                            last_updated_timestamp_ms=now,
                        )
                        self._audit(
                            session,
                            "transition_model_version_stage",
                            name,
                            other,
                            "stage",
                            target,
                            ModelVersionStage.ARCHIVED,
                        )
            store.update_version(
                session, pk, number, current_stage=target, last_updated_timestamp_ms=now
            )
            self._touch(session, pk, now)
            self._audit(
                session, "transition_model_version_stage", name, number, "stage", old, target
            )
            return self._version(session, pk, name, number)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Return a page of versions matching a filter such as ``name = 'm' AND tags.t = 'x'``."""
        limit = validation.validate_max_results(max_results, VERSIONS_SEARCH_MAX)
        limit = limit or VERSIONS_SEARCH_DEFAULT
        comparisons = grammar.parse_model_version_filter(filter_string)
        orders = grammar.parse_registry_order_by(order_by, for_versions=True)
        offset = tokens.decode_page_token(page_token) if page_token else 0
        with self.db.read() as session:
            versions = searches.search_versions(session, comparisons, orders, limit + 1, offset)
        token = tokens.encode_page_token(offset + limit) if len(versions) > limit else None
        return PagedList(versions[:limit], token)

    def get_model_version_download_uri(self, name: str, version: str) -> str:
        """Return where a version's files are: its resolved location, else its source."""
        mv = self.get_model_version(name, version)
        return mv.storage_location or mv.source or ""

    def set_model_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        """Set (or overwrite) a tag on a version."""
        validation.validate_registry_tag(key, str(value))
        with self._write() as session:
            pk, number = self._live_version(session, name, version, lock=True)
            old = self._version(session, pk, name, number).tags.get(key)
            store.set_version_tags(self.db, session, pk, number, {key: str(value)})
            self._audit(session, "set_model_version_tag", name, number, key, old, str(value))

    def delete_model_version_tag(self, name: str, version: str, key: str) -> None:
        """Delete a version tag (a missing tag is not an error, as in MLflow)."""
        with self._write() as session:
            pk, number = self._live_version(session, name, version, lock=True)
            old = store.delete_version_tag(session, pk, number, key)
            if old is not None:
                self._audit(session, "delete_model_version_tag", name, number, key, old)

    def copy_model_version(self, src_name: str, src_version: str, dst_name: str) -> ModelVersion:
        """Copy a version into another registered model (created if missing).

        The copy's source is ``models:/<src_name>/<src_version>``; it keeps the run, the
        LoggedModel, the tags and the description of the original.
        """
        validation.validate_registered_model_name(dst_name)
        number = validation.parse_version_number(src_version)
        with self._write() as session:
            src = self._version(session, self._pk(session, src_name), src_name, number)
            pk = store.model_pk(session, dst_name, for_update=not self.db.is_sqlite)
            if pk is None:
                now = _now_ms()
                values = {
                    "name": dst_name,
                    "creation_timestamp_ms": now,
                    "last_updated_timestamp_ms": now,
                    "user_id": current_actor().user_id,
                }
                pk = store.insert_model(session, values)
                self._audit(session, "create_registered_model", dst_name)
            fields = {
                "run_link": src.run_link,
                "description": src.description,
                "model_id": src.model_id,
            }
            source = f"models:/{src_name}/{src.version}"
            return self._insert_version(session, pk, dst_name, source, src.run_id, src.tags, fields)

    # ------------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        """Point an alias (``champion``) at a version, moving it if it points elsewhere."""
        validation.validate_model_alias(alias)
        with self._write() as session:
            pk, number = self._live_version(session, name, version, lock=True)
            old = store.alias_version(session, pk, alias)
            store.set_alias(self.db, session, pk, alias, number)
            self._touch(session, pk, _now_ms())
            self._audit(
                session,
                "set_registered_model_alias",
                name,
                number,
                alias,
                None if old is None else str(old),
                str(number),
            )

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias (a missing alias is not an error, as in MLflow)."""
        with self._write() as session:
            pk = self._lock(session, name)
            old = store.alias_version(session, pk, alias)
            if old is None:
                return
            store.delete_alias(session, pk, alias)
            self._touch(session, pk, _now_ms())
            self._audit(session, "delete_registered_model_alias", name, old, alias, str(old), None)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """Return the version an alias points at.

        Raises:
            InvalidParameterValue: The model has no such alias (MLflow's error code for it).
        """
        with self.db.read() as session:
            pk = self._pk(session, name)
            number = store.alias_version(session, pk, alias)
            if number is None:
                raise InvalidParameterValue(f"Registered model alias {alias} not found.")
            return self._version(session, pk, name, number)

    # ------------------------------------------------------------------ audit trail
    def list_audit_events(
        self,
        model_name: str | None = None,
        since: int | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[AuditEvent]:
        """Return registry audit events, oldest first, optionally for one model or since a time.

        Args:
            model_name: Only events of this registered model.
            since: Only events at or after this time (milliseconds since the epoch).
            max_results: Page size (at most 10,000).
            page_token: Token of the page to return, from a previous result's ``token``.
        """
        limit = validation.validate_max_results(max_results, 10_000) or AUDIT_PAGE_DEFAULT
        after = tokens.decode_page_token(page_token) if page_token else 0
        with self.db.read() as session:
            events = store.list_events(session, model_name, since, limit + 1, after)
        token = None
        if len(events) > limit:
            events = events[:limit]
            token = tokens.encode_page_token(events[-1].event_id)
        return PagedList(events, token)
