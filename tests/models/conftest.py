"""Fixtures of the model tests: a fresh SQLite tracking store and a small fitted estimator."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import mltrail
from mltrail.tracking import context


@pytest.fixture(autouse=True)
def _clean_tracking_state() -> Iterator[None]:
    """Each test starts with no active run or tracking URI, and leaves none."""
    mltrail.set_tracking_uri("")
    context.set_active_experiment_id(None)
    context.set_last_active_run_id(None)
    yield
    try:
        while mltrail.active_run() is not None:
            mltrail.end_run()
        mltrail.flush()
    finally:
        mltrail.set_tracking_uri("")
        context.set_active_experiment_id(None)
        context.set_last_active_run_id(None)


@pytest.fixture
def tracking_uri(sqlite_uri: str) -> str:
    """A fresh SQLite store, set as this process's tracking URI."""
    mltrail.set_tracking_uri(sqlite_uri)
    return sqlite_uri


@pytest.fixture
def iris_like() -> tuple[pd.DataFrame, list[int]]:
    """Four rows with two float features and a binary label."""
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.5, 0.1, 0.3, 0.9]})
    return frame, [0, 1, 0, 1]


@pytest.fixture
def classifier(iris_like: tuple[pd.DataFrame, list[int]]) -> LogisticRegression:
    """A LogisticRegression fitted on ``iris_like``."""
    frame, labels = iris_like
    return LogisticRegression().fit(frame, labels)
