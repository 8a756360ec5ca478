"""Traces as a pandas DataFrame (MLflow 3's search_traces columns); imports pandas."""

from __future__ import annotations

import pandas

from mltrail.entities import Trace

__all__ = ["traces_to_frame"]

COLUMNS = [
    "trace_id",
    "trace",
    "client_request_id",
    "state",
    "request_time",
    "execution_duration",
    "request",
    "response",
    "trace_metadata",
    "tags",
    "spans",
    "assessments",
]


def traces_to_frame(traces: list[Trace]) -> pandas.DataFrame:
    """One row per trace."""
    rows = [
        {
            "trace_id": t.info.trace_id,
            "trace": t,
            "client_request_id": t.info.client_request_id,
            "state": t.info.state,
            "request_time": t.info.request_time,
            "execution_duration": t.info.execution_duration,
            "request": t.data.request,
            "response": t.data.response,
            "trace_metadata": t.info.trace_metadata,
            "tags": t.info.tags,
            "spans": [s.to_dict() for s in t.data.spans],
            "assessments": t.info.assessments,
        }
        for t in traces
    ]
    return pandas.DataFrame(rows, columns=COLUMNS)
