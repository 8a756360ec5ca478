"""mltrail: MLflow-compatible experiment tracking.

The fluent tracking API and ``MlflowClient`` are imported eagerly; everything heavier (dataset
constructors, integrations, ...) is imported on first attribute access (PEP 562), so
``import mltrail`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from mltrail.exceptions import MlflowException, MltrailException
from mltrail.tracking.client import MlflowClient
from mltrail.tracking.fluent import (
    ActiveModel,
    ActiveRun,
    active_run,
    clear_active_model,
    create_experiment,
    create_external_model,
    delete_experiment,
    delete_logged_model,
    delete_logged_model_tag,
    delete_run,
    delete_tag,
    disable_system_metrics_logging,
    enable_system_metrics_logging,
    end_run,
    finalize_logged_model,
    flush,
    flush_async_logging,
    get_active_model_id,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_logged_model,
    get_parent_run,
    get_registry_uri,
    get_run,
    get_tracking_uri,
    initialize_logged_model,
    is_tracking_uri_set,
    last_active_run,
    last_logged_model,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_image,
    log_input,
    log_inputs,
    log_metric,
    log_metrics,
    log_model_params,
    log_param,
    log_params,
    log_table,
    log_text,
    register_model,
    search_experiments,
    search_logged_models,
    search_runs,
    set_active_model,
    set_experiment,
    set_experiment_tag,
    set_experiment_tags,
    set_logged_model_tags,
    set_registry_uri,
    set_system_metrics_node_id,
    set_system_metrics_samples_before_logging,
    set_system_metrics_sampling_interval,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)

__version__ = "0.1.0"

__all__ = [
    "ActiveModel",
    "ActiveRun",
    "MlflowClient",
    "MlflowException",
    "MltrailException",
    "SpanType",
    "active_run",
    "clear_active_model",
    "create_experiment",
    "create_external_model",
    "delete_experiment",
    "delete_logged_model",
    "delete_logged_model_tag",
    "delete_run",
    "delete_tag",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "end_run",
    "finalize_logged_model",
    "flush",
    "flush_async_logging",
    "flush_trace_async_logging",
    "get_active_model_id",
    "get_artifact_uri",
    "get_current_active_span",
    "get_experiment",
    "get_experiment_by_name",
    "get_last_active_trace_id",
    "get_logged_model",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_trace",
    "get_tracking_uri",
    "initialize_logged_model",
    "is_tracking_uri_set",
    "last_active_run",
    "last_logged_model",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_inputs",
    "log_metric",
    "log_metrics",
    "log_model_params",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "register_model",
    "search_experiments",
    "search_logged_models",
    "search_runs",
    "search_traces",
    "set_active_model",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_logged_model_tags",
    "set_registry_uri",
    "set_system_metrics_node_id",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
    "start_span",
    "trace",
    "update_current_trace",
]

# Submodules reachable as attributes (``mltrail.data.from_pandas``) without an explicit import.
# Names of modules not written yet are listed too; accessing one says so.
_LAZY_SUBMODULES = frozenset(
    {
        "anthropic",
        "artifacts",
        "config",
        "data",
        "deployments",
        "entities",
        "exceptions",
        "genai",
        "langchain",
        "lightgbm",
        "models",
        "onnx",
        "openai",
        "pyfunc",
        "pytorch",
        "sklearn",
        "tracing",
        "tracking",
        "transformers",
        "xgboost",
    }
)
# Attributes defined in a submodule: name -> module (filled in as those modules land).
_LAZY_ATTRIBUTES: dict[str, str] = {
    "trace": "mltrail.tracing",
    "start_span": "mltrail.tracing",
    "get_current_active_span": "mltrail.tracing",
    "get_last_active_trace_id": "mltrail.tracing",
    "update_current_trace": "mltrail.tracing",
    "get_trace": "mltrail.tracing",
    "search_traces": "mltrail.tracing",
    "flush_trace_async_logging": "mltrail.tracing",
    "SpanType": "mltrail.entities",
}


def __getattr__(name: str) -> Any:
    target = _LAZY_ATTRIBUTES.get(name)
    module_name = target or (f"mltrail.{name}" if name in _LAZY_SUBMODULES else None)
    if module_name is None:
        raise AttributeError(f"module 'mltrail' has no attribute {name!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise AttributeError(
            f"module 'mltrail' has no attribute {name!r}: {module_name} is not part of this "
            "version of mltrail"
        ) from None
    return getattr(module, name) if target else module
