"""Garbage collection: permanently remove deleted runs and experiments with their artifacts.

Artifacts go first, then rows, one run at a time; an interrupted collection leaves runs that
are still marked deleted (with fewer or no files), so running it again finishes the job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mltrail.exceptions import MlflowException
from mltrail.service.services import Services
from mltrail.store.artifacts.base import ArtifactRepository
from mltrail.store.artifacts.registry import get_artifact_repository
from mltrail.store.sql import purge

__all__ = ["GcPlan", "collect", "plan"]

logger = logging.getLogger(__name__)


@dataclass
class GcPlan:
    """What a collection removes."""

    runs: list[tuple[str, str | None]] = field(default_factory=list)
    experiments: list[tuple[int, str | None]] = field(default_factory=list)
    metric_rows: int = 0
    artifact_bytes: int = 0
    artifact_files: int = 0


def _repo(services: Services, uri: str) -> tuple[ArtifactRepository, str]:
    scheme = urlsplit(uri).scheme
    if scheme == "mlflow-artifacts" or scheme in ("", "file") or len(scheme) == 1:
        try:
            return services.artifacts.for_run_root(uri)
        except MlflowException:
            if scheme == "mlflow-artifacts":
                raise
    return get_artifact_repository(uri, settings=services.settings), ""


def _size(repo: ArtifactRepository, path: str) -> tuple[int, int]:
    files = size = 0
    for info in repo.list_artifacts(path or None):
        if info.is_dir:
            f, s = _size(repo, info.path)
            files, size = files + f, size + s
        else:
            files, size = files + 1, size + (info.file_size or 0)
    return files, size


def plan(
    services: Services,
    older_than_ms: int | None = None,
    run_ids: Sequence[str] | None = None,
    experiment_ids: Sequence[int] | None = None,
    measure: bool = True,
) -> GcPlan:
    """Find what a collection would remove (and, with ``measure``, how much space it frees)."""
    before = None if older_than_ms is None else int(time.time() * 1000) - older_than_ms
    out = GcPlan()
    db = services.db
    with db.read() as session:
        out.runs = purge.deleted_runs(session, before, run_ids)
        if not run_ids:
            out.experiments = purge.deleted_experiments(session, before, experiment_ids)
            seen = {r for r, _ in out.runs}
            for exp_id, _ in out.experiments:
                out.runs += [
                    r for r in purge.runs_of_experiment(session, exp_id) if r[0] not in seen
                ]
        out.metric_rows = purge.count_metric_rows(session, [r for r, _ in out.runs])
    if measure:
        for _, uri in out.runs:
            if not uri:
                continue
            try:
                repo, path = _repo(services, uri)
                files, size = _size(repo, path)
            except MlflowException as exc:
                logger.warning("Cannot measure artifacts at %s: %s", uri, exc)
                continue
            out.artifact_files += files
            out.artifact_bytes += size
    return out


def collect(
    services: Services, todo: GcPlan, progress: Callable[[str], None] | None = None
) -> None:
    """Remove what ``plan`` found: each run's artifacts, then its rows; then the experiments."""
    db = services.db
    for run_id, uri in todo.runs:
        if uri:
            repo, path = _repo(services, uri)
            repo.delete_artifacts(path or None)
        with db.write() as session:
            purge.purge_runs(session, [run_id])
        if progress:
            progress(f"run {run_id}")
    for exp_id, _ in todo.experiments:
        with db.write() as session:
            leftover = purge.runs_of_experiment(session, exp_id)
            purge.purge_runs(session, [r for r, _ in leftover])
            purge.purge_experiment(session, exp_id)
        if progress:
            progress(f"experiment {exp_id}")
