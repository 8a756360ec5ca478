"""Plain data classes: experiments, runs, metrics, params, tags, datasets, registry, traces."""

from mltrail.entities.assessment import (
    Assessment,
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Feedback,
)
from mltrail.entities.dataset import Dataset, DatasetInput, LoggedModelInput, RunInputs
from mltrail.entities.enums import LifecycleStage, RunStatus, SourceType, ViewType
from mltrail.entities.experiment import Experiment
from mltrail.entities.file_info import FileInfo
from mltrail.entities.logged_model import LoggedModel, LoggedModelStatus
from mltrail.entities.metric import Metric
from mltrail.entities.paging import PagedList
from mltrail.entities.param import Param
from mltrail.entities.registry import (
    AuditEvent,
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from mltrail.entities.run import Run, RunData, RunInfo, RunOutputs
from mltrail.entities.span import Span, SpanEvent, SpanStatus, SpanStatusCode, SpanType
from mltrail.entities.tag import ExperimentTag, InputTag, RunTag
from mltrail.entities.trace import (
    Trace,
    TraceData,
    TraceInfo,
    TraceLocation,
    TraceMetadataKey,
    TraceState,
    TraceTagKey,
)

__all__ = [
    "Assessment",
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "AuditEvent",
    "Dataset",
    "DatasetInput",
    "Expectation",
    "Experiment",
    "ExperimentTag",
    "Feedback",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelInput",
    "LoggedModelStatus",
    "Metric",
    "ModelVersion",
    "ModelVersionStage",
    "ModelVersionStatus",
    "ModelVersionTag",
    "PagedList",
    "Param",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "SourceType",
    "Span",
    "SpanEvent",
    "SpanStatus",
    "SpanStatusCode",
    "SpanType",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceLocation",
    "TraceMetadataKey",
    "TraceState",
    "TraceTagKey",
    "ViewType",
]
