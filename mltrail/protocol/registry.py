"""Wire models of the model registry routes (``/registered-models/...``, ``/model-versions/...``).

Shapes follow MLflow's ``ModelRegistryService``: versions travel as strings, DELETE routes take
a JSON body (or, from some clients, the query string), and empty fields are omitted. The audit
trail route is mltrail's own, under ``/mltrail/registry``.
"""

from __future__ import annotations

from pydantic import Field

from mltrail.protocol.codec import IdStr, WireModel
from mltrail.protocol.endpoint import Endpoint, Permission, Resource
from mltrail.protocol.tracking import Empty, KeyValue

__all__ = ["ENDPOINTS"]

R, E, M = Permission.READ, Permission.EDIT, Permission.MANAGE
_RM = "/mlflow/registered-models"
_MV = "/mlflow/model-versions"


# ------------------------------------------------------------------------------ entity shapes
class WireAlias(WireModel):
    alias: str
    version: str


class WireModelVersion(WireModel):
    name: str
    version: str
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    user_id: str | None = None
    current_stage: str | None = None
    description: str | None = None
    source: str | None = None
    run_id: str | None = None
    status: str | None = None
    status_message: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)
    run_link: str | None = None
    aliases: list[str] = Field(default_factory=list)
    model_id: str | None = None


class WireRegisteredModel(WireModel):
    name: str
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    user_id: str | None = None
    description: str | None = None
    latest_versions: list[WireModelVersion] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)
    aliases: list[WireAlias] = Field(default_factory=list)
    deployment_job_id: str | None = None


class WireAuditEvent(WireModel):
    event_id: int
    timestamp: int
    user_id: str | None = None
    action: str
    model_name: str
    version: str | None = None
    key: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    request_id: str | None = None


# ------------------------------------------------------------------------------ responses
class RegisteredModelResponse(WireModel):
    registered_model: WireRegisteredModel


class ModelVersionResponse(WireModel):
    model_version: WireModelVersion


class SearchRegisteredModelsResponse(WireModel):
    registered_models: list[WireRegisteredModel] = Field(default_factory=list)
    next_page_token: str | None = None


class ModelVersionsResponse(WireModel):
    model_versions: list[WireModelVersion] = Field(default_factory=list)
    next_page_token: str | None = None


class DownloadUriResponse(WireModel):
    artifact_uri: str | None = None


class AuditEventsResponse(WireModel):
    events: list[WireAuditEvent] = Field(default_factory=list)
    next_page_token: str | None = None


# ------------------------------------------------------------------------------ requests
class CreateRegisteredModel(WireModel):
    name: str
    tags: list[KeyValue] = Field(default_factory=list)
    description: str | None = None
    deployment_job_id: str | None = None


class ModelName(WireModel):
    name: str


class RenameRegisteredModel(WireModel):
    name: str
    new_name: str


class UpdateRegisteredModel(WireModel):
    name: str
    description: str | None = None
    deployment_job_id: str | None = None


class SearchRegistry(WireModel):
    filter: str | None = None
    max_results: int | None = None
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None


class GetLatestVersions(WireModel):
    name: str
    stages: list[str] = Field(default_factory=list)


class CreateModelVersion(WireModel):
    name: str
    source: str
    run_id: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)
    run_link: str | None = None
    description: str | None = None
    model_id: str | None = None


class VersionId(WireModel):
    name: str
    version: IdStr


class UpdateModelVersion(WireModel):
    name: str
    version: IdStr
    description: str | None = None


class TransitionModelVersionStage(WireModel):
    name: str
    version: IdStr
    stage: str
    archive_existing_versions: bool = False


class SetRegisteredModelTag(WireModel):
    name: str
    key: str
    value: str = ""


class DeleteRegisteredModelTag(WireModel):
    name: str
    key: str


class SetModelVersionTag(WireModel):
    name: str
    version: IdStr
    key: str
    value: str = ""


class DeleteModelVersionTag(WireModel):
    name: str
    version: IdStr
    key: str


class SetRegisteredModelAlias(WireModel):
    name: str
    alias: str
    version: IdStr


class AliasName(WireModel):
    name: str
    alias: str


class ListAuditEvents(WireModel):
    model_name: str | None = None
    since: int | None = None
    max_results: int | None = None
    page_token: str | None = None


def _e(
    name: str,
    method: str,
    path: str,
    req: type[WireModel],
    resp: type[WireModel],
    perm: str,
) -> Endpoint:
    return Endpoint(name, method, path, req, resp, 2, perm, Resource.REGISTERED_MODEL, "name")


CREATE_REGISTERED_MODEL = _e(
    "CreateRegisteredModel",
    "POST",
    f"{_RM}/create",
    CreateRegisteredModel,
    RegisteredModelResponse,
    E,
)
RENAME_REGISTERED_MODEL = _e(
    "RenameRegisteredModel",
    "POST",
    f"{_RM}/rename",
    RenameRegisteredModel,
    RegisteredModelResponse,
    M,
)
UPDATE_REGISTERED_MODEL = _e(
    "UpdateRegisteredModel",
    "PATCH",
    f"{_RM}/update",
    UpdateRegisteredModel,
    RegisteredModelResponse,
    E,
)
DELETE_REGISTERED_MODEL = _e(
    "DeleteRegisteredModel", "DELETE", f"{_RM}/delete", ModelName, Empty, M
)
GET_REGISTERED_MODEL = _e(
    "GetRegisteredModel", "GET", f"{_RM}/get", ModelName, RegisteredModelResponse, R
)
SEARCH_REGISTERED_MODELS = Endpoint(
    "SearchRegisteredModels",
    "GET",
    f"{_RM}/search",
    SearchRegistry,
    SearchRegisteredModelsResponse,
    2,
    R,
)
GET_LATEST_VERSIONS = _e(
    "GetLatestVersions",
    "POST",
    f"{_RM}/get-latest-versions",
    GetLatestVersions,
    ModelVersionsResponse,
    R,
)
GET_LATEST_VERSIONS_GET = _e(
    "GetLatestVersions",
    "GET",
    f"{_RM}/get-latest-versions",
    GetLatestVersions,
    ModelVersionsResponse,
    R,
)
CREATE_MODEL_VERSION = _e(
    "CreateModelVersion", "POST", f"{_MV}/create", CreateModelVersion, ModelVersionResponse, E
)
UPDATE_MODEL_VERSION = _e(
    "UpdateModelVersion", "PATCH", f"{_MV}/update", UpdateModelVersion, ModelVersionResponse, E
)
TRANSITION_MODEL_VERSION_STAGE = _e(
    "TransitionModelVersionStage",
    "POST",
    f"{_MV}/transition-stage",
    TransitionModelVersionStage,
    ModelVersionResponse,
    E,
)
DELETE_MODEL_VERSION = _e("DeleteModelVersion", "DELETE", f"{_MV}/delete", VersionId, Empty, M)
GET_MODEL_VERSION = _e("GetModelVersion", "GET", f"{_MV}/get", VersionId, ModelVersionResponse, R)
SEARCH_MODEL_VERSIONS = Endpoint(
    "SearchModelVersions",
    "GET",
    f"{_MV}/search",
    SearchRegistry,
    ModelVersionsResponse,
    2,
    R,
)
GET_MODEL_VERSION_DOWNLOAD_URI = _e(
    "GetModelVersionDownloadUri",
    "GET",
    f"{_MV}/get-download-uri",
    VersionId,
    DownloadUriResponse,
    R,
)
SET_REGISTERED_MODEL_TAG = _e(
    "SetRegisteredModelTag", "POST", f"{_RM}/set-tag", SetRegisteredModelTag, Empty, E
)
SET_MODEL_VERSION_TAG = _e(
    "SetModelVersionTag", "POST", f"{_MV}/set-tag", SetModelVersionTag, Empty, E
)
DELETE_REGISTERED_MODEL_TAG = _e(
    "DeleteRegisteredModelTag", "DELETE", f"{_RM}/delete-tag", DeleteRegisteredModelTag, Empty, E
)
DELETE_MODEL_VERSION_TAG = _e(
    "DeleteModelVersionTag", "DELETE", f"{_MV}/delete-tag", DeleteModelVersionTag, Empty, E
)
SET_REGISTERED_MODEL_ALIAS = _e(
    "SetRegisteredModelAlias", "POST", f"{_RM}/alias", SetRegisteredModelAlias, Empty, E
)
DELETE_REGISTERED_MODEL_ALIAS = _e(
    "DeleteRegisteredModelAlias", "DELETE", f"{_RM}/alias", AliasName, Empty, E
)
GET_MODEL_VERSION_BY_ALIAS = _e(
    "GetModelVersionByAlias", "GET", f"{_RM}/alias", AliasName, ModelVersionResponse, R
)
LIST_AUDIT_EVENTS = Endpoint(
    "ListRegistryAuditEvents",
    "GET",
    "/mltrail/registry/audit-events",
    ListAuditEvents,
    AuditEventsResponse,
    2,
    R,
    Resource.REGISTERED_MODEL,
    "model_name",
)

ENDPOINTS: tuple[Endpoint, ...] = (
    CREATE_REGISTERED_MODEL,
    RENAME_REGISTERED_MODEL,
    UPDATE_REGISTERED_MODEL,
    DELETE_REGISTERED_MODEL,
    GET_REGISTERED_MODEL,
    SEARCH_REGISTERED_MODELS,
    GET_LATEST_VERSIONS,
    GET_LATEST_VERSIONS_GET,
    CREATE_MODEL_VERSION,
    UPDATE_MODEL_VERSION,
    TRANSITION_MODEL_VERSION_STAGE,
    DELETE_MODEL_VERSION,
    GET_MODEL_VERSION,
    SEARCH_MODEL_VERSIONS,
    GET_MODEL_VERSION_DOWNLOAD_URI,
    SET_REGISTERED_MODEL_TAG,
    SET_MODEL_VERSION_TAG,
    DELETE_REGISTERED_MODEL_TAG,
    DELETE_MODEL_VERSION_TAG,
    SET_REGISTERED_MODEL_ALIAS,
    DELETE_REGISTERED_MODEL_ALIAS,
    GET_MODEL_VERSION_BY_ALIAS,
    LIST_AUDIT_EVENTS,
)
