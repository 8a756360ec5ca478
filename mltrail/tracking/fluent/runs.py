"""Fluent run functions: ``start_run``/``end_run`` over the active-run stack, search and reads."""

from __future__ import annotations

import atexit
import logging
import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, cast

import mltrail.tracking as tracking_package
from mltrail.config import get_settings
from mltrail.entities import LifecycleStage, Run, RunStatus, RunTag, SourceType, ViewType
from mltrail.exceptions import ErrorCode, MlflowException
from mltrail.tracking import context
from mltrail.tracking.client import PARENT_RUN_ID_TAG, USER_TAG, MlflowClient, get_client
from mltrail.tracking.fluent import system_metrics
from mltrail.tracking.fluent.experiments import get_experiment_id, search_experiments

if TYPE_CHECKING:
    import pandas

__all__ = [
    "ActiveRun",
    "active_run",
    "delete_run",
    "end_run",
    "get_active_run_id",
    "get_parent_run",
    "get_run",
    "last_active_run",
    "search_runs",
    "start_run",
]

logger = logging.getLogger(__name__)

RUN_NAME_TAG = "mlflow.runName"
NOTE_TAG = "mlflow.note.content"
SOURCE_NAME_TAG = "mlflow.source.name"
SOURCE_TYPE_TAG = "mlflow.source.type"
_RUNS_PER_PAGE = 10_000


class ActiveRun(Run):
    """The run returned by ``start_run``; as a context manager it ends the run on exit.

    Leaving the ``with`` block normally ends the run as ``FINISHED``; leaving it with an
    exception ends it as ``FAILED`` (the exception propagates).
    """

    __slots__ = ()

    def __init__(self, run: Run) -> None:
        super().__init__(run.info, run.data, run.inputs, run.outputs)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> Literal[False]:
        run_id = self.info.run_id
        # Compared by id: a run ended and resumed inside the block is a new object.
        if any(run.info.run_id == run_id for run in context.active_runs()):
            status = RunStatus.FINISHED if exc_type is None else RunStatus.FAILED
            _end(run_id, status)
        return False


def _end(run_id: str, status: str) -> None:
    context.remove_run(run_id)
    system_metrics.stop_monitor(run_id)
    get_client().set_terminated(run_id, status)


def _source_name() -> str:
    return sys.argv[0] if sys.argv and sys.argv[0] else "<console>"


def _description_tags(tags: dict[str, str], description: str | None) -> dict[str, str]:
    if description:
        if NOTE_TAG in tags:
            raise MlflowException(
                f"Description is already set via the tag {NOTE_TAG} in tags. Remove the key "
                f"{NOTE_TAG} from the tags or omit the description.",
                ErrorCode.INVALID_PARAMETER_VALUE,
            )
        tags[NOTE_TAG] = description
    return tags


def _resume(
    client: MlflowClient,
    run_id: str,
    run_name: str | None,
    tags: dict[str, str],
) -> Run:
    run = client.get_run(run_id)
    active_experiment = context.active_experiment_id()
    if active_experiment is not None and active_experiment != run.info.experiment_id:
        raise MlflowException(
            f"Cannot start run with ID {run_id} because active experiment ID does not match "
            f"environment run ID. Make sure the experiment set with set_experiment() "
            f"({active_experiment}) is the run's experiment ({run.info.experiment_id}).",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    if run.info.lifecycle_stage == LifecycleStage.DELETED:
        raise MlflowException(
            f"Cannot start run with ID {run_id} because it is in the deleted state.",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    client.update_run(run_id, status=RunStatus.RUNNING, name=run_name)
    if tags:
        client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags.items()], synchronous=True)
    return client.get_run(run_id)


def _parent_for_new_run(client: MlflowClient, parent_run_id: str | None) -> str | None:
    stack = context.active_runs()
    if parent_run_id is None:
        return stack[-1].info.run_id if stack else None
    if stack and stack[-1].info.run_id != parent_run_id:
        current = stack[-1].info.run_id
        raise MlflowException(
            f"Current run with UUID {current} does not match the specified parent_run_id "
            f"{parent_run_id}. To start a new nested run under the parent run with UUID "
            f"{current}, first end the current run with mltrail.end_run().",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    if client.get_run(parent_run_id).info.lifecycle_stage == LifecycleStage.DELETED:
        raise MlflowException(
            f"Cannot start run under parent run with ID {parent_run_id} because it is in the "
            "deleted state.",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    return parent_run_id


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a run, or resume one, and make it the active run of this thread or task.

    ``run_id`` (or, in a child process, ``MLTRAIL_RUN_ID``/``MLFLOW_RUN_ID``) resumes that run:
    its status becomes ``RUNNING`` and ``tags``/``description`` are set on it.

    Args:
        run_id: Run to resume.
        experiment_id: Experiment of a new run; defaults to ``get_experiment_id()``.
        run_name: Name of a new run (a random one if None), or new name of a resumed one.
        nested: Allow starting while another run is active; the new run is its child.
        parent_run_id: Make the new run a child of this run (the active run, if any, must be
            it).
        tags: Tags of the run; values are converted with ``str``.
        description: Run description, stored in the ``mlflow.note.content`` tag.
        log_system_metrics: Sample CPU, memory, disk, network and GPU metrics into the run as
            ``system/...`` metrics until it ends (needs the ``system-metrics`` extra). None
            follows ``MLTRAIL_ENABLE_SYSTEM_METRICS_LOGGING`` (or
            ``enable_system_metrics_logging()``).

    Returns:
        The run, usable as a context manager that ends it.

    Raises:
        MlflowException: A run is already active and ``nested`` is False; the run to resume or
            the parent is deleted; the description is also given as a tag.
    """
    stack = context.active_runs()
    if stack and not nested:
        raise MlflowException(
            f"Run with UUID {stack[0].info.run_id} is already active. To start a new run, first "
            "end the current run with mltrail.end_run(). To start a nested run, call start_run "
            "with nested=True",
            ErrorCode.INVALID_STATE,
        )
    client = get_client()
    user_tags = {key: str(value) for key, value in (tags or {}).items()}
    user_tags = _description_tags(user_tags, description)
    existing = run_id or context.take_env_run_id()
    if existing:
        run = _resume(client, existing, run_name, user_tags)
    else:
        parent = _parent_for_new_run(client, parent_run_id)
        new_tags = {
            USER_TAG: get_settings().user or "unknown",
            SOURCE_NAME_TAG: _source_name(),
            SOURCE_TYPE_TAG: SourceType.LOCAL,
        }
        new_tags.update(user_tags)
        if parent is not None:
            new_tags[PARENT_RUN_ID_TAG] = parent
        if run_name:
            new_tags[RUN_NAME_TAG] = run_name
        target = str(experiment_id) if experiment_id is not None else get_experiment_id()
        run = client.create_run(target, tags=new_tags, run_name=run_name)
    active = ActiveRun(run)
    context.push_run(active)
    if log_system_metrics is None:
        log_system_metrics = system_metrics.system_metrics_enabled()
    if log_system_metrics:
        system_metrics.start_monitor(run.info.run_id)
    return active


def end_run(status: str = RunStatus.FINISHED) -> None:
    """End the active run of this thread or task, if there is one.

    Its queued asynchronous calls are written first.

    Args:
        status: ``FINISHED``, ``FAILED`` or ``KILLED``.

    Raises:
        MlflowException: A queued asynchronous call for the run failed (the run is ended all the
            same).
    """
    stack = context.active_runs()
    if stack:
        _end(stack[-1].info.run_id, status)


def active_run() -> ActiveRun | None:
    """Return the active run of this thread or task, or None."""
    stack = context.active_runs()
    return cast(ActiveRun, stack[-1]) if stack else None


def get_active_run_id() -> str:
    """Return the active run's id, starting a run if none is active (as logging calls do)."""
    stack = context.active_runs()
    if stack:
        return stack[-1].info.run_id
    return start_run().info.run_id


def last_active_run() -> Run | None:
    """Return the active run, else the run most recently ended here, as stored now; or None."""
    stack = context.active_runs()
    run_id = stack[-1].info.run_id if stack else context.last_active_run_id()
    return get_client().get_run(run_id) if run_id else None


def get_run(run_id: str) -> Run:
    """Return a run by id.

    Raises:
        MlflowException: ``RESOURCE_DOES_NOT_EXIST`` if there is none.
    """
    return get_client().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    """Return the parent of a nested run, or None."""
    return get_client().get_parent_run(run_id)


def delete_run(run_id: str) -> None:
    """Soft-delete a run."""
    get_client().delete_run(run_id)


def _search_ids(
    experiment_ids: list[str] | None,
    experiment_names: list[str] | None,
    search_all_experiments: bool,
) -> list[str]:
    if experiment_ids and experiment_names:
        raise MlflowException(
            "Only experiment_ids or experiment_names can be used, but not both.",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    if experiment_names:
        client = get_client()
        found = (client.get_experiment_by_name(name) for name in experiment_names if name)
        return [experiment.experiment_id for experiment in found if experiment is not None]
    if experiment_ids:
        ids = [experiment_ids] if isinstance(experiment_ids, str | int) else experiment_ids
        return [str(i) for i in ids]
    if search_all_experiments:
        return [e.experiment_id for e in search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    return [get_experiment_id()]


def search_runs(
    experiment_ids: list[str] | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: list[str] | None = None,
    output_format: Literal["pandas", "list"] = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
) -> list[Run] | pandas.DataFrame:
    """Return the runs matching a filter, across pages, as a DataFrame or a list.

    Args:
        experiment_ids: Experiments to search; the active experiment if None.
        filter_string: E.g. ``"metrics.acc > 0.9 and tags.team = 'a'"``.
        run_view_type: ``ViewType.ACTIVE_ONLY``, ``DELETED_ONLY`` or ``ALL``.
        max_results: Most runs to return.
        order_by: E.g. ``["metrics.acc DESC"]``.
        output_format: ``"pandas"``: a DataFrame with columns ``run_id``, ``experiment_id``,
            ``status``, ``artifact_uri``, ``start_time``, ``end_time`` (UTC datetimes) and
            ``metrics.*``, ``params.*``, ``tags.*`` (a list of runs when pandas is not
            installed); ``"list"``: a list of ``Run``.
        search_all_experiments: With no ids or names, search every active experiment.
        experiment_names: Experiments to search, by name (unknown names are skipped).

    Raises:
        MlflowException: Both ids and names given, or an unknown ``output_format``.
    """
    if output_format not in ("pandas", "list"):
        raise MlflowException(
            f"Unsupported output format: {output_format}. Supported string values are 'pandas' "
            "or 'list'",
            ErrorCode.INVALID_PARAMETER_VALUE,
        )
    ids = _search_ids(experiment_ids, experiment_names, search_all_experiments)
    client = get_client()
    runs: list[Run] = []
    token: str | None = None
    while ids and len(runs) < max_results:
        size = min(_RUNS_PER_PAGE, max_results - len(runs))
        page = client.search_runs(ids, filter_string, run_view_type, size, order_by, token)
        runs.extend(page)
        token = page.token
        if not token or not page:
            break
    if output_format == "list":
        return runs
    return _to_frame(runs)


def _to_frame(runs: list[Run]) -> list[Run] | pandas.DataFrame:
    # mltrail.tracking loads its pandas-using leaf module on first attribute access (PEP 562),
    # so pandas is imported only here, and only if it is installed.
    try:
        convert = tracking_package.runs_to_dataframe
    except ModuleNotFoundError as exc:
        if exc.name != "pandas":
            raise
        logger.info("pandas is not installed; search_runs returns a list of runs.")
        return runs
    return cast("pandas.DataFrame", convert(runs))


def _end_runs_at_exit() -> None:
    while context.active_runs():
        try:
            end_run()
        except Exception:  # the process is exiting: nothing can catch it, so it is logged
            logger.exception("Ending the active run at exit failed")


atexit.register(_end_runs_at_exit)
