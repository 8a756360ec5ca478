"""The public surface of ``mltrail``: a pinned ``__all__``, lazy attributes and the version."""

from __future__ import annotations

import importlib.metadata

import pytest

import mltrail

PUBLIC_NAMES = [
    "ActiveRun",
    "MlflowClient",
    "MlflowException",
    "MltrailException",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush",
    "flush_async_logging",
    "get_experiment",
    "get_experiment_by_name",
    "get_artifact_uri",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "last_active_run",
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
    "log_param",
    "log_params",
    "log_text",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
    "ActiveModel",
    "clear_active_model",
    "create_external_model",
    "delete_logged_model",
    "delete_logged_model_tag",
    "finalize_logged_model",
    "get_active_model_id",
    "get_logged_model",
    "initialize_logged_model",
    "last_logged_model",
    "log_model_params",
    "search_logged_models",
    "set_active_model",
    "set_logged_model_tags",
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
