"""The public surface of ``mltrail``: a pinned ``__all__``, lazy attributes and the version."""

from __future__ import annotations

import importlib.metadata

import pytest

import mltrail

PUBLIC_NAMES = [
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
    "log_table",
    "log_input",
    "log_inputs",
    "log_metric",
    "log_metrics",
    "log_model_params",
    "log_param",
    "log_params",
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


def test_all_is_the_sorted_public_surface() -> None:
    assert mltrail.__all__ == sorted(PUBLIC_NAMES)


def test_every_public_name_resolves() -> None:
    for name in mltrail.__all__:
        assert getattr(mltrail, name) is not None


def test_tracking_package_exports_the_client() -> None:
    assert mltrail.tracking.MlflowClient is mltrail.MlflowClient
    assert sorted(mltrail.tracking.__all__) == mltrail.tracking.__all__


def test_version_matches_the_installed_distribution() -> None:
    assert mltrail.__version__ == importlib.metadata.version("mltrail")


def test_submodules_load_on_attribute_access() -> None:
    assert mltrail.data.Dataset is not None
    assert mltrail.entities.Run is not None


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        _ = mltrail.no_such_thing


def test_tracing_names_load_lazily_from_mltrail_tracing() -> None:
    assert mltrail.trace is mltrail.tracing.trace
    assert mltrail.start_span is mltrail.tracing.start_span
    assert mltrail.SpanType.LLM == "LLM"
