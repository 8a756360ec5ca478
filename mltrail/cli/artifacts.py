"""``mltrail artifacts``: log, list and download run artifacts (``mlflow artifacts``' commands).

Files move several at a time. Transfers of at least ``PROGRESS_BYTES`` show a progress bar on
stderr when rich is installed (the ``cli`` extra); stdout carries only the result, as MLflow's
commands print it.
"""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import click

from mltrail.entities import FileInfo
from mltrail.store.artifacts.base import ArtifactRepository
from mltrail.store.artifacts.registry import get_artifact_repository
from mltrail.tracking.client import MlflowClient

__all__ = ["PROGRESS_BYTES", "artifacts"]

PROGRESS_BYTES = 10 * 1024 * 1024
_PARALLEL = 8
Job = tuple[int, Callable[[], object]]


def _run_repo(run_id: str) -> ArtifactRepository:
    client = MlflowClient()
    root = client.get_run(run_id).info.artifact_uri or ""
    return get_artifact_repository(root, tracking_uri=client.tracking_uri)


def _transfer(description: str, jobs: Sequence[Job], progress: bool) -> None:
    total = sum(size for size, _ in jobs)
    if progress and total >= PROGRESS_BYTES:
        try:
            from mltrail.cli import _progress  # imports rich (the 'cli' extra)
        except ImportError:
            pass
        else:
            _progress.run_with_bar(description, jobs, _PARALLEL)
            return
    with ThreadPoolExecutor(_PARALLEL, thread_name_prefix="mltrail-cli-transfer") as pool:
        for future in [pool.submit(job) for _, job in jobs]:
            future.result()


def _file_infos_json(infos: list[FileInfo]) -> str:
    rows = []
    for info in infos:
        row: dict[str, object] = {"path": info.path, "is_dir": info.is_dir}
        if info.file_size is not None:
            row["file_size"] = info.file_size
        rows.append(json.dumps(row))
    return "[" + ", ".join(rows) + "]"


def _walk(repo: ArtifactRepository, path: str) -> list[FileInfo]:
    out: list[FileInfo] = []
    for info in repo.list_artifacts(path or None):
        out += _walk(repo, info.path) if info.is_dir else [info]
    return out


_progress_option = click.option(
    "--progress/--no-progress", default=True, help="Show a progress bar for large transfers."
)


@click.group()
def artifacts() -> None:
    """Log, list and download the artifacts of runs."""


@artifacts.command("log-artifact")
@click.option("--local-file", "-l", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--run-id", "-r", required=True, help="Run to log the file into.")
@click.option("--artifact-path", "-a", default=None, help="Folder inside the run's artifacts.")
@_progress_option
def log_artifact(local_file: str, run_id: str, artifact_path: str | None, progress: bool) -> None:
    """Log a local file as an artifact of a run."""
    repo = _run_repo(run_id)
    size = os.path.getsize(local_file)
    _transfer(
        f"Uploading {os.path.basename(local_file)}",
        [(size, lambda: repo.log_artifact(local_file, artifact_path))],
        progress,
    )
    click.echo(f"Logged artifact from local file {local_file} to artifact_path={artifact_path}")


@artifacts.command("log-artifacts")
@click.option("--local-dir", "-l", required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--run-id", "-r", required=True, help="Run to log the directory into.")
@click.option("--artifact-path", "-a", default=None, help="Folder inside the run's artifacts.")
@_progress_option
def log_artifacts(local_dir: str, run_id: str, artifact_path: str | None, progress: bool) -> None:
    """Log the files of a local directory (recursively) as artifacts of a run."""
    repo = _run_repo(run_id)
    jobs: list[Job] = []
    for dirpath, _, names in os.walk(local_dir):
        rel = Path(dirpath).relative_to(local_dir).as_posix()
        folder = posixpath.join(artifact_path or "", "" if rel == "." else rel).strip("/")
        for name in names:
            path = os.path.join(dirpath, name)

            def job(path: str = path, folder: str = folder) -> None:
                repo.log_artifact(path, folder or None)

            jobs.append((os.path.getsize(path), job))
    _transfer(f"Uploading {local_dir}", jobs, progress)
    click.echo(f"Logged artifacts from directory {local_dir} to artifact_path={artifact_path}")


@artifacts.command("list")
@click.option("--run-id", "-r", required=True, help="Run whose artifacts to list.")
@click.option("--artifact-path", "-a", default=None, help="Folder inside the run's artifacts.")
def list_artifacts(run_id: str, artifact_path: str | None) -> None:
    """Print the artifacts directly under a run's root (or a folder) as a JSON list."""
    click.echo(_file_infos_json(_run_repo(run_id).list_artifacts(artifact_path)))


def _repo_and_path(
    run_id: str | None, artifact_path: str | None, artifact_uri: str | None
) -> tuple[ArtifactRepository, str]:
    if artifact_uri is None:
        if run_id is None:
            raise click.UsageError(
                "Give --run-id (with an optional --artifact-path) or --artifact-uri."
            )
        return _run_repo(run_id), artifact_path or ""
    parts = urlsplit(artifact_uri)
    if parts.scheme == "runs":
        segments = [s for s in f"{parts.netloc}{parts.path}".split("/") if s]
        if not segments:
            raise click.UsageError(
                f"Malformed runs URI {artifact_uri!r}: use runs:/<run_id>/<path>."
            )
        return _run_repo(segments[0]), "/".join(segments[1:])
    folder, name = posixpath.split(parts.path.rstrip("/"))
    root = urlunsplit((parts.scheme, parts.netloc, folder, parts.query, ""))
    return get_artifact_repository(root or ".", tracking_uri=MlflowClient().tracking_uri), name


def _download_job(repo: ArtifactRepository, path: str, dst: str) -> Callable[[], object]:
    return lambda: repo.download_artifacts(path, dst)


@artifacts.command("download")
@click.option("--run-id", "-r", default=None, help="Run to download from.")
@click.option("--artifact-path", "-a", default=None, help="With --run-id: a path in the run.")
@click.option("--artifact-uri", "-u", default=None, help="Instead of --run-id: an artifact URI.")
@click.option("--dst-path", "-d", default=None, help="Local folder to download into.")
@_progress_option
def download(
    run_id: str | None,
    artifact_path: str | None,
    artifact_uri: str | None,
    dst_path: str | None,
    progress: bool,
) -> None:
    """Download an artifact file or folder and print its local path."""
    repo, path = _repo_and_path(run_id, artifact_path, artifact_uri)
    dst = dst_path or tempfile.mkdtemp(prefix="mltrail-artifacts-")
    Path(dst).mkdir(parents=True, exist_ok=True)
    files = _walk(repo, path)
    if path and not files:  # a single file (or nothing, which the store reports)
        local = repo.download_artifacts(path, dst)
    else:
        jobs: list[Job] = [(f.file_size or 0, _download_job(repo, f.path, dst)) for f in files]
        _transfer(f"Downloading {path or 'artifacts'}", jobs, progress)
        local = os.path.join(dst, path) if path else dst
        Path(local).mkdir(parents=True, exist_ok=True)
    click.echo(f"\n{local}")
