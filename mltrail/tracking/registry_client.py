"""RegistryClient: MLflow's model registry methods of ``MlflowClient``, over the registry URI's
backend (the in-process service for a database URI, REST for a server URL)."""

from __future__ import annotations

from typing import Any

from mltrail.entities import AuditEvent, ModelVersion, ModelVersionStage, PagedList, RegisteredModel
from mltrail.exceptions import InvalidParameterValue
from mltrail.service.api import RegistryAPI
from mltrail.tracking import backends, context, model_uris

__all__ = ["RegistryClient"]

SEARCH_REGISTERED_MODELS_DEFAULT = 100
SEARCH_MODEL_VERSIONS_DEFAULT = 10_000


def _str_tags(tags: dict[str, Any] | None) -> dict[str, str]:
    return {str(key): str(value) for key, value in (tags or {}).items()}


class RegistryClient:
    """The model registry part of ``MlflowClient``.

    Args:
        tracking_uri: The resolved tracking URI.
        registry_uri: An explicit registry URI; the process's registry URI (by default the
            tracking URI) if None.
    """

    def __init__(self, tracking_uri: str, registry_uri: str | None = None) -> None:
        self._tracking_uri = tracking_uri
        self._explicit_registry_uri = registry_uri

    @property
    def _registry_uri(self) -> str:
        # Resolved on use, so set_registry_uri() also reaches clients created before it.
        return context.get_registry_uri(self._explicit_registry_uri, self._tracking_uri)

    @property
    def _registry(self) -> RegistryAPI:
        return backends.get_registry_backend(self._registry_uri)

    # Registered models

    def create_registered_model(
        self,
        name: str,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        """Create a registered model.

        Args:
            name: Unique name.
            tags: Model tags; values are converted with ``str``.
            description: Free text.
            deployment_job_id: Deployment job to run for new versions, if any.

        Raises:
            MlflowException: ``RESOURCE_ALREADY_EXISTS`` if the name is taken.
        """
        return self._registry.create_registered_model(
            name, _str_tags(tags), description, deployment_job_id
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a registered model with its tags, aliases and latest version per stage.

        Raises:
            MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if there is none.
        """
        return self._registry.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a registered model; its versions and aliases follow."""
        return self._registry.rename_registered_model(name, new_name)

    def update_registered_model(
        self, name: str, description: str | None = None, deployment_job_id: str | None = None
    ) -> RegisteredModel:
        """Change a registered model's description."""
        return self._registry.update_registered_model(name, description, deployment_job_id)

    def delete_registered_model(self, name: str) -> None:
        """Delete a registered model with all its versions."""
        self._registry.delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_REGISTERED_MODELS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Return one page of registered models.

        Args:
            filter_string: E.g. ``"name LIKE 'fraud%' AND tags.team = 'risk'"``.
            max_results: Page size (at most 1000).
            order_by: E.g. ``["name ASC", "last_updated_timestamp DESC"]``.
            page_token: Token of the page to return, from a previous result's ``token``.
        """
        return self._registry.search_registered_models(
            filter_string, max_results, order_by, page_token
        )

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """Return the newest version in each legacy stage (only ``stages`` when given)."""
        return self._registry.get_latest_versions(name, stages)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set a tag on a registered model; ``value`` is converted with ``str``."""
        self._registry.set_registered_model_tag(name, key, str(value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Delete a tag of a registered model."""
        self._registry.delete_registered_model_tag(name, key)

    # Model versions

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_registration_for: int = 300,
        local_model_path: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Create a new version of a registered model from a model's files.

        Args:
            name: The registered model.
            source: Where the files are: ``runs:/<run_id>/<path>``, ``models:/<model_id>`` or
                an artifact URI.
            run_id: The run that produced the model.
            tags: Version tags; values are converted with ``str``.
            run_link: A link to the run in another system.
            description: Free text.
            await_registration_for: Accepted for MLflow compatibility; mltrail registers
                synchronously, so versions are READY at once.
            local_model_path: Accepted for MLflow compatibility; unused.
            model_id: The LoggedModel the version comes from.

        Raises:
            MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if the model, run or LoggedModel
                does not exist.
        """
        return self._registry.create_model_version(
            name, source, run_id, _str_tags(tags), run_link, description, model_id
        )

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        """Return one version of a registered model.

        Raises:
            MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if there is none.
        """
        return self._registry.get_model_version(name, str(version))

    def update_model_version(
        self, name: str, version: str | int, description: str | None = None
    ) -> ModelVersion:
        """Change a version's description."""
        return self._registry.update_model_version(name, str(version), description)

    def delete_model_version(self, name: str, version: str | int) -> None:
        """Delete a version; its number is never reused."""
        self._registry.delete_model_version(name, str(version))

    def transition_model_version_stage(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move a version to a legacy stage (deprecated by MLflow in favour of aliases).

        Args:
            name: The registered model.
            version: The version.
            stage: ``None``, ``Staging``, ``Production`` or ``Archived`` (any case).
            archive_existing_versions: Archive the other versions in the target stage (only
                for Staging and Production).
        """
        return self._registry.transition_model_version_stage(
            name, str(version), stage, archive_existing_versions
        )

    def get_model_version_stages(self, name: str, version: str | int) -> list[str]:
        """Return the legacy stages a version can move to."""
        return list(ModelVersionStage.ALL)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODEL_VERSIONS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Return one page of model versions.

        Args:
            filter_string: E.g. ``"name = 'fraud' AND tags.validated = 'yes'"``; also
                ``version_number``, ``run_id`` (with ``IN``), ``source_path`` and ``model_id``.
            max_results: Page size.
            order_by: E.g. ``["version_number DESC"]``.
            page_token: Token of the page to return, from a previous result's ``token``.
        """
        return self._registry.search_model_versions(
            filter_string, max_results, order_by, page_token
        )

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """Return the URI a version's files are downloaded from."""
        return self._registry.get_model_version_download_uri(name, str(version))

    def set_model_version_tag(
        self,
        name: str,
        version: str | int | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        """Set a tag on a version, chosen by number or (legacy) by stage."""
        if key is None:
            raise InvalidParameterValue("set_model_version_tag needs a key.")
        number = self._version_or_stage(name, version, stage)
        self._registry.set_model_version_tag(name, number, key, str(value))

    def delete_model_version_tag(
        self,
        name: str,
        version: str | int | None = None,
        key: str | None = None,
        stage: str | None = None,
    ) -> None:
        """Delete a tag of a version, chosen by number or (legacy) by stage."""
        if key is None:
            raise InvalidParameterValue("delete_model_version_tag needs a key.")
        number = self._version_or_stage(name, version, stage)
        self._registry.delete_model_version_tag(name, number, key)

    def _version_or_stage(self, name: str, version: str | int | None, stage: str | None) -> str:
        if (version is None) == (stage is None):
            raise InvalidParameterValue("Pass exactly one of version and stage.")
        if version is not None:
            return str(version)
        latest = self._registry.get_latest_versions(name, [str(stage)])
        if not latest:
            raise InvalidParameterValue(f"Registered model '{name}' has no version in {stage}.")
        return latest[0].version

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Copy a registered version into another registered model (created if missing).

        Args:
            src_model_uri: ``models:/<name>/<version>`` or ``models:/<name>@<alias>``.
            dst_name: The registered model that receives the copy.
        """
        parsed = model_uris.parse_model_uri(src_model_uri)
        src = model_uris.get_model_version_for_uri(parsed, self._registry)
        return self._registry.copy_model_version(src.name, src.version, dst_name)

    # Aliases

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point an alias (``champion``) at a version, moving it if it points elsewhere."""
        self._registry.set_registered_model_alias(name, alias, str(version))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias."""
        self._registry.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """Return the version an alias points at.

        Raises:
            MlflowException: ``INVALID_PARAMETER_VALUE`` if the model has no such alias.
        """
        return self._registry.get_model_version_by_alias(name, alias)

    # Audit trail

    def list_registry_audit_events(
        self,
        model_name: str | None = None,
        since: int | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[AuditEvent]:
        """Return registry audit events, oldest first (an mltrail extension).

        Args:
            model_name: Only events of this registered model.
            since: Only events at or after this time, in milliseconds since the epoch.
            max_results: Page size.
            page_token: Token of the page to return, from a previous result's ``token``.
        """
        return self._registry.list_audit_events(model_name, since, max_results, page_token)
