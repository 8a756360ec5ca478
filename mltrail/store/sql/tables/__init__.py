"""Typed ORM tables, one module per area."""

from mltrail.store.sql.tables.base import Base
from mltrail.store.sql.tables.logged_models import (
    LoggedModelMetricRow,
    LoggedModelParamRow,
    LoggedModelRow,
    LoggedModelTagRow,
)
from mltrail.store.sql.tables.registry import (
    ModelVersionRow,
    ModelVersionTagRow,
    RegisteredModelAliasRow,
    RegisteredModelRow,
    RegisteredModelTagRow,
    RegistryAuditEventRow,
)
from mltrail.store.sql.tables.traces import (
    AssessmentRow,
    SpanRow,
    TraceInfoRow,
    TraceMetadataRow,
    TraceTagRow,
)
from mltrail.store.sql.tables.tracking import (
    DatasetRow,
    ExperimentRow,
    ExperimentTagRow,
    InputRow,
    InputTagRow,
    LatestMetricRow,
    MetricRow,
    ParamRow,
    RunRow,
    TagRow,
    ValueKind,
)

__all__ = [
    "AssessmentRow",
    "Base",
    "DatasetRow",
    "ExperimentRow",
    "ExperimentTagRow",
    "InputRow",
    "InputTagRow",
    "LatestMetricRow",
    "LoggedModelMetricRow",
    "LoggedModelParamRow",
    "LoggedModelRow",
    "LoggedModelTagRow",
    "MetricRow",
    "ModelVersionRow",
    "ModelVersionTagRow",
    "ParamRow",
    "RegisteredModelAliasRow",
    "RegisteredModelRow",
    "RegisteredModelTagRow",
    "RegistryAuditEventRow",
    "RunRow",
    "SpanRow",
    "TagRow",
    "TraceInfoRow",
    "TraceMetadataRow",
    "TraceTagRow",
    "ValueKind",
]
