"""Fluent trace functions: update the current trace, flush the exporter, read traces back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import mltrail.tracing as tracing_package
from mltrail.entities import Trace, TraceMetadataKey
from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.tracing import export
from mltrail.tracing.decorators import get_current_active_span
from mltrail.tracking.client import get_client
from mltrail.tracking.fluent.experiments import get_experiment_id

if TYPE_CHECKING:
    import pandas

__all__ = [
    "flush_trace_async_logging",
    "get_trace",
    "search_traces",
    "update_current_trace",
]

logger = logging.getLogger(__name__)
_SEARCH_PAGE = 500


def update_current_trace(
    tags: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    client_request_id: str | None = None,
    request_preview: str | None = None,
    response_preview: str | None = None,
    state: str | None = None,
    user: str | None = None,
    session: str | None = None,
) -> None:
    """Update the trace the caller runs in: tags, metadata, previews, state, user, session.

    Raises:
        MlflowException: No span is active (call it inside a traced function or span).
    """
    span = get_current_active_span()
    pending = None if span is None else span.pending
    if pending is None:
        raise MlflowException(
            "update_current_trace() needs an active trace: call it inside a function decorated "
            "with @mltrail.trace or a `with mltrail.start_span(...)` block."
        )
    pending.tags.update({str(k): str(v) for k, v in (tags or {}).items()})
    pending.metadata.update({str(k): str(v) for k, v in (metadata or {}).items()})
    if user is not None:
        pending.metadata[TraceMetadataKey.TRACE_USER] = user
    if session is not None:
        pending.metadata[TraceMetadataKey.TRACE_SESSION] = session
    if client_request_id is not None:
        pending.client_request_id = client_request_id
    if request_preview is not None:
        pending.request_preview = request_preview
    if response_preview is not None:
        pending.response_preview = response_preview
    if state is not None:
        pending.state = str(state)


def flush_trace_async_logging(terminate: bool = False) -> None:
    """Wait until every finished trace has been stored (or counted as dropped or failed).

    Args:
        terminate: Accepted for MLflow compatibility; the exporter thread keeps running.
    """
    export.flush()


def get_trace(trace_id: str, silent: bool = False) -> Trace | None:
    """Return a stored trace, or None (with a warning unless ``silent``) if there is none.

    Traces still queued for export are stored first.
    """
    export.flush()
    try:
        return get_client().get_trace(trace_id)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        if not silent:
            logger.warning("Trace %s not found: %s", trace_id, exc.message)
        return None


def search_traces(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
    extract_fields: Sequence[str] | None = None,
    run_id: str | None = None,
    return_type: Literal["pandas", "list"] | None = None,
    model_id: str | None = None,
    include_spans: bool = True,
    locations: Sequence[str] | None = None,
) -> pandas.DataFrame | list[Trace]:
    """Search traces; a DataFrame when pandas is installed (or ``return_type="list"``).

    Args:
        experiment_ids: Experiments to search; the active experiment by default.
        filter_string: MLflow's trace filter, e.g. ``"trace.status = 'OK'"``.
        max_results: At most this many traces (all by default).
        order_by: e.g. ``["timestamp_ms DESC"]`` (the default).
        extract_fields: Not supported (MLflow deprecated it); must be None.
        run_id: Only traces recorded inside this run.
        return_type: ``"pandas"`` or ``"list"``.
        model_id: Only traces of this LoggedModel.
        include_spans: Load spans too.
        locations: Alias of ``experiment_ids``.

    Raises:
        InvalidParameterValue: ``extract_fields`` is given, or pandas is missing for
            ``return_type="pandas"``.
    """
    if extract_fields:
        raise InvalidParameterValue("extract_fields is not supported; read span outputs instead.")
    export.flush()
    ids = list(experiment_ids or locations or [get_experiment_id()])
    client = get_client()
    traces: list[Trace] = []
    token = None
    while max_results is None or len(traces) < max_results:
        page_size = (
            _SEARCH_PAGE if max_results is None else min(_SEARCH_PAGE, max_results - len(traces))
        )
        page = client.search_traces(
            ids, filter_string, page_size, order_by, token, run_id, include_spans, model_id
        )
        traces += page
        token = page.token
        if token is None:
            break
    if return_type == "list":
        return traces
    # The package loads its pandas-using leaf module on first attribute access (PEP 562).
    try:
        convert: Callable[[list[Trace]], Any] = tracing_package.traces_to_frame
    except ModuleNotFoundError as exc:
        if exc.name != "pandas" or return_type == "pandas":
            raise InvalidParameterValue(
                "return_type='pandas' needs pandas: pip install pandas, or pass return_type='list'."
            ) from exc
        return traces
    return cast("pandas.DataFrame", convert(traces))
