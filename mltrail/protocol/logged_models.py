"""Wire models of the LoggedModel routes (``/api/2.0/mlflow/logged-models/...``)."""

from __future__ import annotations

from pydantic import Field

from mltrail.protocol.codec import IdStr, WireModel
from mltrail.protocol.endpoint import Endpoint, Permission, Resource
from mltrail.protocol.tracking import Empty, KeyValue, WireMetric

__all__ = ["ENDPOINTS"]

R, E, M = Permission.READ, Permission.EDIT, Permission.MANAGE
EXP = Resource.EXPERIMENT
_P = "/mlflow/logged-models"


class WireRegistration(WireModel):
    name: str
    version: str


class WireLoggedModelInfo(WireModel):
    model_id: str
    experiment_id: str
    name: str
    creation_timestamp_ms: int | None = None
    last_updated_timestamp_ms: int | None = None
    artifact_uri: str | None = None
    status: str | None = None
    status_message: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)
    registrations: list[WireRegistration] = Field(default_factory=list)


class WireLoggedModelData(WireModel):
    params: list[KeyValue] = Field(default_factory=list)
    metrics: list[WireMetric] = Field(default_factory=list)


class WireLoggedModel(WireModel):
    info: WireLoggedModelInfo
    data: WireLoggedModelData = Field(default_factory=WireLoggedModelData)


class ModelResponse(WireModel):
    model: WireLoggedModel


class CreateLoggedModel(WireModel):
    experiment_id: IdStr
    name: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    params: list[KeyValue] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)


class ModelId(WireModel):
    model_id: str


class FinalizeLoggedModel(WireModel):
    model_id: str
    status: str


class SetLoggedModelTags(WireModel):
    model_id: str
    tags: list[KeyValue] = Field(default_factory=list)


class DeleteLoggedModelTag(WireModel):
    model_id: str
    tag_key: str


class LogLoggedModelParams(WireModel):
    model_id: str
    params: list[KeyValue] = Field(default_factory=list)


class DatasetFilter(WireModel):
    dataset_name: str
    dataset_digest: str | None = None


class OrderBy(WireModel):
    field_name: str
    ascending: bool | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


class SearchLoggedModels(WireModel):
    experiment_ids: list[IdStr] = Field(default_factory=list)
    filter: str | None = None
    datasets: list[DatasetFilter] = Field(default_factory=list)
    max_results: int | None = None
    order_by: list[OrderBy] = Field(default_factory=list)
    page_token: str | None = None


class SearchLoggedModelsResponse(WireModel):
    models: list[WireLoggedModel] = Field(default_factory=list)
    next_page_token: str | None = None


class ListLoggedModelArtifacts(WireModel):
    model_id: str
    artifact_directory_path: str | None = None
    page_token: str | None = None


class WireFileInfo(WireModel):
    path: str
    is_dir: bool = False
    file_size: int | None = None


class ListLoggedModelArtifactsResponse(WireModel):
    root_uri: str | None = None
    files: list[WireFileInfo] = Field(default_factory=list)
    next_page_token: str | None = None


def _e(
    name: str,
    method: str,
    path: str,
    req: type[WireModel],
    resp: type[WireModel],
    perm: str,
    field: str | None,
) -> Endpoint:
    return Endpoint(name, method, f"{_P}{path}", req, resp, 2, perm, EXP, field)


CREATE_LOGGED_MODEL = _e(
    "CreateLoggedModel", "POST", "", CreateLoggedModel, ModelResponse, E, "experiment_id"
)
GET_LOGGED_MODEL = _e("GetLoggedModel", "GET", "/{model_id}", ModelId, ModelResponse, R, "model_id")
FINALIZE_LOGGED_MODEL = _e(
    "FinalizeLoggedModel", "PATCH", "/{model_id}", FinalizeLoggedModel, ModelResponse, E, "model_id"
)
DELETE_LOGGED_MODEL = _e(
    "DeleteLoggedModel", "DELETE", "/{model_id}", ModelId, Empty, M, "model_id"
)
SEARCH_LOGGED_MODELS = _e(
    "SearchLoggedModels",
    "POST",
    "/search",
    SearchLoggedModels,
    SearchLoggedModelsResponse,
    R,
    "experiment_ids",
)
SET_LOGGED_MODEL_TAGS = _e(
    "SetLoggedModelTags", "PATCH", "/{model_id}/tags", SetLoggedModelTags, Empty, E, "model_id"
)
DELETE_LOGGED_MODEL_TAG = _e(
    "DeleteLoggedModelTag",
    "DELETE",
    "/{model_id}/tags/{tag_key}",
    DeleteLoggedModelTag,
    Empty,
    E,
    "model_id",
)
LOG_LOGGED_MODEL_PARAMS = _e(
    "LogLoggedModelParams", "POST", "/{model_id}/params", LogLoggedModelParams, Empty, E, "model_id"
)
LIST_LOGGED_MODEL_ARTIFACTS = _e(
    "ListLoggedModelArtifacts",
    "GET",
    "/{model_id}/artifacts/directories",
    ListLoggedModelArtifacts,
    ListLoggedModelArtifactsResponse,
    R,
    "model_id",
)

ENDPOINTS: tuple[Endpoint, ...] = (
    CREATE_LOGGED_MODEL,
    GET_LOGGED_MODEL,
    FINALIZE_LOGGED_MODEL,
    DELETE_LOGGED_MODEL,
    SEARCH_LOGGED_MODELS,
    SET_LOGGED_MODEL_TAGS,
    DELETE_LOGGED_MODEL_TAG,
    LOG_LOGGED_MODEL_PARAMS,
    LIST_LOGGED_MODEL_ARTIFACTS,
)
