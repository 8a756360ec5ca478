"""Runs as a pandas DataFrame, in the layout of MLflow's ``search_runs``; imports pandas."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mltrail.entities import Run

__all__ = ["runs_to_dataframe"]


def runs_to_dataframe(runs: Sequence[Run]) -> pd.DataFrame:
    """Return one row per run.

    Columns are ``run_id``, ``experiment_id``, ``status``, ``artifact_uri``, ``start_time`` and
    ``end_time`` (UTC datetimes), then ``metrics.<key>`` (NaN where a run lacks the metric),
    ``params.<key>`` and ``tags.<key>`` (None where missing), each group sorted by key.
    """
    metric_keys = sorted({key for run in runs for key in run.data.metrics})
    param_keys = sorted({key for run in runs for key in run.data.params})
    tag_keys = sorted({key for run in runs for key in run.data.tags})
    columns: dict[str, object] = {
        "run_id": [run.info.run_id for run in runs],
        "experiment_id": [run.info.experiment_id for run in runs],
        "status": [run.info.status for run in runs],
        "artifact_uri": [run.info.artifact_uri for run in runs],
        "start_time": pd.to_datetime([run.info.start_time for run in runs], unit="ms", utc=True),
        "end_time": pd.to_datetime([run.info.end_time for run in runs], unit="ms", utc=True),
    }
    metrics = [run.data.metrics for run in runs]
    params = [run.data.params for run in runs]
    tags = [run.data.tags for run in runs]
    for key in metric_keys:
        columns[f"metrics.{key}"] = pd.Series(
            [m.get(key, float("nan")) for m in metrics], dtype="float64"
        )
    for key in param_keys:
        columns[f"params.{key}"] = pd.Series([p.get(key) for p in params], dtype=object)
    for key in tag_keys:
        columns[f"tags.{key}"] = pd.Series([t.get(key) for t in tags], dtype=object)
    return pd.DataFrame(columns)
