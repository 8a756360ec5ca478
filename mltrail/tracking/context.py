"""Tracking context: active runs, active experiment and model, tracking URI, reset after fork.

The active-run stack, the last active run, the active LoggedModel and the last LoggedModel
created through the fluent API live in ``ContextVar`` s, so each thread starts with
no active run and each asyncio task works on a copy of its creator's context. The tracking URI
and the experiment chosen by ``set_experiment`` are process-wide, as in MLflow; a thread that
calls ``set_experiment`` itself uses its own choice from then on.
"""

from __future__ import annotations

import os
import threading
from contextvars import ContextVar

from mltrail.config import DEFAULT_TRACKING_URI, get_settings
from mltrail.entities import Run

__all__ = [
    "active_experiment_id",
    "active_model_id",
    "active_runs",
    "get_registry_uri",
    "is_tracking_uri_set",
    "last_active_run_id",
    "last_logged_model_id",
    "push_run",
    "remove_run",
    "resolve_tracking_uri",
    "set_active_experiment_id",
    "set_active_model_id",
    "set_last_active_run_id",
    "set_last_logged_model_id",
    "set_registry_uri",
    "set_tracking_uri",
    "take_env_run_id",
]

_active_runs: ContextVar[tuple[Run, ...]] = ContextVar("mltrail_active_runs", default=())
_last_run_id: ContextVar[str | None] = ContextVar("mltrail_last_active_run_id", default=None)
_experiment_id: ContextVar[str | None] = ContextVar("mltrail_active_experiment_id", default=None)
_active_model_id: ContextVar[str | None] = ContextVar("mltrail_active_model_id", default=None)
_last_model_id: ContextVar[str | None] = ContextVar("mltrail_last_logged_model_id", default=None)


class _ProcessState:
    """Process-wide choices made through the fluent API (not read from the environment)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tracking_uri: str | None = None
        self.registry_uri: str | None = None
        self.experiment_id: str | None = None
        # The MLTRAIL_RUN_ID value that a start_run() already resumed; it is used once per
        # process, like MLflow, which removes MLFLOW_RUN_ID once a run picked it up.
        self.consumed_env_run_id: str | None = None


_state = _ProcessState()


def active_runs() -> tuple[Run, ...]:
    """Return this context's stack of active runs, outermost first."""
    return _active_runs.get()


def push_run(run: Run) -> None:
    """Make ``run`` the innermost active run of this context."""
    _active_runs.set((*_active_runs.get(), run))


def remove_run(run_id: str) -> Run | None:
    """Remove the innermost active run with ``run_id`` from this context's stack.

    The removed run becomes the context's last active run.

    Returns:
        The removed run, or None if no active run has that id.
    """
    stack = _active_runs.get()
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].info.run_id == run_id:
            _active_runs.set(stack[:index] + stack[index + 1 :])
            _last_run_id.set(run_id)
            return stack[index]
    return None


def last_active_run_id() -> str | None:
    """Return the id of the run most recently ended in this context."""
    return _last_run_id.get()


def set_last_active_run_id(run_id: str | None) -> None:
    """Record the run that ``last_active_run()`` returns in this context."""
    _last_run_id.set(run_id)


def active_experiment_id() -> str | None:
    """Return the experiment chosen by ``set_experiment`` (this context's choice first)."""
    experiment_id = _experiment_id.get()
    return experiment_id if experiment_id is not None else _state.experiment_id


def set_active_experiment_id(experiment_id: str | None) -> None:
    """Choose the experiment that new runs go to, for this context and as the process default."""
    _experiment_id.set(experiment_id)
    _state.experiment_id = experiment_id


def active_model_id() -> str | None:
    """Return the LoggedModel chosen by ``set_active_model`` in this context, or None."""
    return _active_model_id.get()


def set_active_model_id(model_id: str | None) -> None:
    """Make ``model_id`` the active LoggedModel of this context (None clears it)."""
    _active_model_id.set(model_id)


def last_logged_model_id() -> str | None:
    """Return the LoggedModel most recently created through the fluent API in this context."""
    return _last_model_id.get()


def set_last_logged_model_id(model_id: str | None) -> None:
    """Record the LoggedModel that ``last_logged_model()`` returns in this context."""
    _last_model_id.set(model_id)


def set_tracking_uri(uri: str | None) -> None:
    """Set the process's tracking URI; None or an empty string reverts to the settings."""
    _state.tracking_uri = uri or None


def is_tracking_uri_set() -> bool:
    """Return True if a tracking URI was set by ``set_tracking_uri`` or the environment."""
    return _state.tracking_uri is not None or get_settings().tracking_uri is not None


def resolve_tracking_uri(uri: str | None = None) -> str:
    """Return ``uri`` if given, else the URI set in this process, the settings', or the default."""
    if uri:
        return uri
    return _state.tracking_uri or get_settings().tracking_uri or DEFAULT_TRACKING_URI


def set_registry_uri(uri: str | None) -> None:
    """Set the process's model registry URI; None reverts to the tracking URI."""
    _state.registry_uri = uri or None


def get_registry_uri(uri: str | None = None, tracking_uri: str | None = None) -> str:
    """Return ``uri`` if given, else the registry URI set here, the settings', or the tracking URI.

    Args:
        uri: An explicit registry URI.
        tracking_uri: The tracking URI to fall back to; the current one if None.
    """
    if uri:
        return uri
    return _state.registry_uri or get_settings().registry_uri or resolve_tracking_uri(tracking_uri)


def take_env_run_id() -> str | None:
    """Return the run id from ``MLTRAIL_RUN_ID``/``MLFLOW_RUN_ID`` once, then None.

    A child process joins its parent's run through this variable: its first ``start_run()``
    resumes that run instead of creating one.
    """
    run_id = get_settings().run_id
    with _state.lock:
        if not run_id or run_id == _state.consumed_env_run_id:
            return None
        _state.consumed_env_run_id = run_id
    return run_id


def _reset_after_fork() -> None:
    # A forked child joins a run only explicitly (MLTRAIL_RUN_ID), so it must not inherit the
    # parent's active runs; otherwise its exit would end the parent's run. The lock may have
    # been held by another thread of the parent at fork time, so it is replaced.
    _active_runs.set(())
    _last_run_id.set(None)
    _state.lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)
