"""LoggedModels as a pandas DataFrame, in the layout of MLflow's ``search_logged_models``."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mltrail.entities import LoggedModel

__all__ = ["COLUMNS", "logged_models_to_dataframe"]

COLUMNS = [
    "artifact_location",
    "creation_timestamp",
    "experiment_id",
    "last_updated_timestamp",
    "metrics",
    "model_id",
    "model_type",
    "name",
    "params",
    "source_run_id",
    "status",
    "status_message",
    "tags",
]


def logged_models_to_dataframe(models: Sequence[LoggedModel]) -> pd.DataFrame:
    """Return one row per model.

    ``status`` is the status name (``READY``...), ``tags`` and ``params`` are dicts and
    ``metrics`` is the model's list of ``Metric`` points (None when it has none).
    """
    rows = [
        {
            "artifact_location": m.artifact_location,
            "creation_timestamp": m.creation_timestamp,
            "experiment_id": m.experiment_id,
            "last_updated_timestamp": m.last_updated_timestamp,
            "metrics": list(m.metrics) or None,
            "model_id": m.model_id,
            "model_type": m.model_type,
            "name": m.name,
            "params": dict(m.params),
            "source_run_id": m.source_run_id,
            "status": m.status,
            "status_message": m.status_message,
            "tags": dict(m.tags),
        }
        for m in models
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
