"""Wire models of MLflow's tracking service (experiments, runs, metrics, params, tags, inputs)
and their endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from mltrail.protocol.codec import IdStr, WireFloat, WireModel
from mltrail.protocol.endpoint import Endpoint, Permission, Resource

__all__ = ["ENDPOINTS"]

EXP = Resource.EXPERIMENT
RUN = Resource.RUN


class _Request(WireModel):
    pass


class _RunRequest(_Request):
    """A request naming a run; MLflow's legacy ``run_uuid`` is accepted for ``run_id``."""

    run_id: str

    @model_validator(mode="before")
    @classmethod
    def _legacy_run_uuid(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("run_id") and data.get("run_uuid"):
            data = {**data, "run_id": data["run_uuid"]}
        return data


class Empty(WireModel):
    """A response with no fields."""


# ------------------------------------------------------------------------------ entity shapes
class KeyValue(WireModel):
    key: str
    value: str | None = None


class WireMetric(WireModel):
    key: str
    value: WireFloat
    timestamp: int
    step: int = 0
    dataset_name: str | None = None
    dataset_digest: str | None = None
    model_id: str | None = None
    run_id: str | None = None


class WireExperiment(WireModel):
    experiment_id: str
    name: str
    artifact_location: str | None = None
    lifecycle_stage: str | None = None
    last_update_time: int | None = None
    creation_time: int | None = None
    tags: list[KeyValue] = Field(default_factory=list)


class WireRunInfo(WireModel):
    run_id: str
    run_uuid: str | None = None
    run_name: str | None = None
    experiment_id: str
    user_id: str | None = None
    status: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    artifact_uri: str | None = None
    lifecycle_stage: str | None = None


class WireRunData(WireModel):
    metrics: list[WireMetric] = Field(default_factory=list)
    params: list[KeyValue] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)


class WireDataset(WireModel):
    name: str
    digest: str
    source_type: str
    source: str
    schema_: str | None = Field(default=None, alias="schema")
    profile: str | None = None


class WireDatasetInput(WireModel):
    tags: list[KeyValue] = Field(default_factory=list)
    dataset: WireDataset


class WireModelInput(WireModel):
    model_id: str


class WireRunInputs(WireModel):
    dataset_inputs: list[WireDatasetInput] = Field(default_factory=list)
    model_inputs: list[WireModelInput] = Field(default_factory=list)


class WireModelOutput(WireModel):
    model_id: str
    step: int = 0


class WireRunOutputs(WireModel):
    model_outputs: list[WireModelOutput] = Field(default_factory=list)


class WireRun(WireModel):
    info: WireRunInfo
    data: WireRunData = Field(default_factory=WireRunData)
    inputs: WireRunInputs = Field(default_factory=WireRunInputs)
    outputs: WireRunOutputs = Field(default_factory=WireRunOutputs)


class WireDatasetSummary(WireModel):
    experiment_id: str
    name: str
    digest: str
    context: str | None = None


# -------------------------------------------------------------------------------- experiments
class CreateExperiment(_Request):
    name: str
    artifact_location: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)


class CreateExperimentResponse(WireModel):
    experiment_id: str


class SearchExperiments(_Request):
    max_results: int | None = None
    page_token: str | None = None
    filter: str | None = None
    order_by: list[str] = Field(default_factory=list)
    view_type: str | int | None = None


class SearchExperimentsResponse(WireModel):
    experiments: list[WireExperiment] = Field(default_factory=list)
    next_page_token: str | None = None


class GetExperiment(_Request):
    experiment_id: IdStr


class GetExperimentByName(_Request):
    experiment_name: str


class ExperimentResponse(WireModel):
    experiment: WireExperiment


class UpdateExperiment(_Request):
    experiment_id: IdStr
    new_name: str


class SetExperimentTag(_Request):
    experiment_id: IdStr
    key: str
    value: str


class DeleteExperimentTag(_Request):
    experiment_id: IdStr
    key: str


# ----------------------------------------------------------------------------------------- runs
class CreateRun(_Request):
    experiment_id: IdStr = "0"
    user_id: str | None = None
    run_name: str | None = None
    start_time: int | None = None
    tags: list[KeyValue] = Field(default_factory=list)


class RunResponse(WireModel):
    run: WireRun


class UpdateRun(_RunRequest):
    status: str | int | None = None
    end_time: int | None = None
    run_name: str | None = None


class UpdateRunResponse(WireModel):
    run_info: WireRunInfo


class RunIdOnly(_RunRequest):
    pass


class GetRun(_RunRequest):
    pass


class SearchRuns(_Request):
    experiment_ids: list[IdStr] = Field(default_factory=list)
    filter: str | None = None
    run_view_type: str | int | None = None
    max_results: int = 1000
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None


class SearchRunsResponse(WireModel):
    runs: list[WireRun] = Field(default_factory=list)
    next_page_token: str | None = None


class LogMetric(_RunRequest):
    key: str
    value: WireFloat
    timestamp: int
    step: int = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


class LogParam(_RunRequest):
    key: str
    value: str


class SetTag(_RunRequest):
    key: str
    value: str


class DeleteTag(_RunRequest):
    key: str


class LogBatch(_RunRequest):
    metrics: list[WireMetric] = Field(default_factory=list)
    params: list[KeyValue] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)


class LogModel(_RunRequest):
    model_json: str


class LogInputs(_RunRequest):
    datasets: list[WireDatasetInput] = Field(default_factory=list)
    models: list[WireModelInput] = Field(default_factory=list)


# -------------------------------------------------------------------------------------- metrics
class GetMetricHistory(_RunRequest):
    metric_key: str
    page_token: str | None = None
    max_results: int | None = None


class MetricsResponse(WireModel):
    metrics: list[WireMetric] = Field(default_factory=list)
    next_page_token: str | None = None


class GetMetricHistoryBulkInterval(_Request):
    run_ids: list[str]
    metric_key: str
    start_step: int | None = None
    end_step: int | None = None
    max_results: int | None = None


class GetMetricHistoryBulk(_Request):
    run_id: list[str]
    metric_key: str
    max_results: int | None = None


class SearchDatasets(_Request):
    experiment_ids: list[IdStr] = Field(default_factory=list)


class SearchDatasetsResponse(WireModel):
    dataset_summaries: list[WireDatasetSummary] = Field(default_factory=list)


# ------------------------------------------------------------------------------------ endpoints
def _e(
    name: str,
    method: str,
    path: str,
    req: type[WireModel],
    resp: type[WireModel],
    perm: str,
    res: str | None = None,
    field: str | None = None,
) -> Endpoint:
    return Endpoint(name, method, path, req, resp, 2, perm, res, field)


R, E, M, N = Permission.READ, Permission.EDIT, Permission.MANAGE, Permission.NONE
_X = "/mlflow/experiments"
_R = "/mlflow/runs"

CREATE_EXPERIMENT = _e(
    "CreateExperiment", "POST", f"{_X}/create", CreateExperiment, CreateExperimentResponse, N
)
SEARCH_EXPERIMENTS = _e(
    "SearchExperiments", "POST", f"{_X}/search", SearchExperiments, SearchExperimentsResponse, N
)
SEARCH_EXPERIMENTS_GET = _e(
    "SearchExperiments", "GET", f"{_X}/search", SearchExperiments, SearchExperimentsResponse, N
)
GET_EXPERIMENT = _e(
    "GetExperiment", "GET", f"{_X}/get", GetExperiment, ExperimentResponse, R, EXP, "experiment_id"
)
GET_EXPERIMENT_BY_NAME = _e(
    "GetExperimentByName",
    "GET",
    f"{_X}/get-by-name",
    GetExperimentByName,
    ExperimentResponse,
    R,
    EXP,
    "experiment_name",
)
DELETE_EXPERIMENT = _e(
    "DeleteExperiment", "POST", f"{_X}/delete", GetExperiment, Empty, M, EXP, "experiment_id"
)
RESTORE_EXPERIMENT = _e(
    "RestoreExperiment", "POST", f"{_X}/restore", GetExperiment, Empty, M, EXP, "experiment_id"
)
UPDATE_EXPERIMENT = _e(
    "UpdateExperiment", "POST", f"{_X}/update", UpdateExperiment, Empty, E, EXP, "experiment_id"
)
SET_EXPERIMENT_TAG = _e(
    "SetExperimentTag",
    "POST",
    f"{_X}/set-experiment-tag",
    SetExperimentTag,
    Empty,
    E,
    EXP,
    "experiment_id",
)
DELETE_EXPERIMENT_TAG = _e(
    "DeleteExperimentTag",
    "POST",
    f"{_X}/delete-experiment-tag",
    DeleteExperimentTag,
    Empty,
    E,
    EXP,
    "experiment_id",
)
SEARCH_DATASETS = _e(
    "SearchDatasets",
    "POST",
    f"{_X}/search-datasets",
    SearchDatasets,
    SearchDatasetsResponse,
    R,
    EXP,
    "experiment_ids",
)

CREATE_RUN = _e(
    "CreateRun", "POST", f"{_R}/create", CreateRun, RunResponse, E, EXP, "experiment_id"
)
UPDATE_RUN = _e("UpdateRun", "POST", f"{_R}/update", UpdateRun, UpdateRunResponse, E, RUN, "run_id")
DELETE_RUN = _e("DeleteRun", "POST", f"{_R}/delete", RunIdOnly, Empty, M, RUN, "run_id")
RESTORE_RUN = _e("RestoreRun", "POST", f"{_R}/restore", RunIdOnly, Empty, M, RUN, "run_id")
GET_RUN = _e("GetRun", "GET", f"{_R}/get", GetRun, RunResponse, R, RUN, "run_id")
SEARCH_RUNS = _e(
    "SearchRuns", "POST", f"{_R}/search", SearchRuns, SearchRunsResponse, R, EXP, "experiment_ids"
)
LOG_METRIC = _e("LogMetric", "POST", f"{_R}/log-metric", LogMetric, Empty, E, RUN, "run_id")
LOG_PARAM = _e("LogParam", "POST", f"{_R}/log-parameter", LogParam, Empty, E, RUN, "run_id")
SET_TAG = _e("SetTag", "POST", f"{_R}/set-tag", SetTag, Empty, E, RUN, "run_id")
DELETE_TAG = _e("DeleteTag", "POST", f"{_R}/delete-tag", DeleteTag, Empty, E, RUN, "run_id")
LOG_BATCH = _e("LogBatch", "POST", f"{_R}/log-batch", LogBatch, Empty, E, RUN, "run_id")
LOG_MODEL = _e("LogModel", "POST", f"{_R}/log-model", LogModel, Empty, E, RUN, "run_id")
LOG_INPUTS = _e("LogInputs", "POST", f"{_R}/log-inputs", LogInputs, Empty, E, RUN, "run_id")

GET_METRIC_HISTORY = _e(
    "GetMetricHistory",
    "GET",
    "/mlflow/metrics/get-history",
    GetMetricHistory,
    MetricsResponse,
    R,
    RUN,
    "run_id",
)
# The UI's "history of one metric for many runs" (MLflow serves it on the ajax API only).
GET_METRIC_HISTORY_BULK = _e(
    "GetMetricHistoryBulk",
    "GET",
    "/mlflow/metrics/get-history-bulk",
    GetMetricHistoryBulk,
    MetricsResponse,
    R,
    RUN,
    "run_id",
)
GET_METRIC_HISTORY_BULK_INTERVAL = _e(
    "GetMetricHistoryBulkInterval",
    "GET",
    "/mlflow/metrics/get-history-bulk-interval",
    GetMetricHistoryBulkInterval,
    MetricsResponse,
    R,
    RUN,
    "run_ids",
)

ENDPOINTS: tuple[Endpoint, ...] = (
    CREATE_EXPERIMENT,
    SEARCH_EXPERIMENTS,
    SEARCH_EXPERIMENTS_GET,
    GET_EXPERIMENT,
    GET_EXPERIMENT_BY_NAME,
    DELETE_EXPERIMENT,
    RESTORE_EXPERIMENT,
    UPDATE_EXPERIMENT,
    SET_EXPERIMENT_TAG,
    DELETE_EXPERIMENT_TAG,
    SEARCH_DATASETS,
    CREATE_RUN,
    UPDATE_RUN,
    DELETE_RUN,
    RESTORE_RUN,
    GET_RUN,
    SEARCH_RUNS,
    LOG_METRIC,
    LOG_PARAM,
    SET_TAG,
    DELETE_TAG,
    LOG_BATCH,
    LOG_MODEL,
    LOG_INPUTS,
    GET_METRIC_HISTORY,
    GET_METRIC_HISTORY_BULK,
    GET_METRIC_HISTORY_BULK_INTERVAL,
)
