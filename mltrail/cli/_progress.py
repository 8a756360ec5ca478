"""A rich progress bar for artifact transfers (imports rich, from the ``cli`` extra)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

__all__ = ["run_with_bar"]


def run_with_bar(
    description: str, jobs: Sequence[tuple[int, Callable[[], object]]], parallel: int
) -> None:
    """Run ``(size, job)`` pairs on a thread pool, advancing a bytes bar as each job ends."""
    total = sum(size for size, _ in jobs)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with (
        Progress(*columns, console=Console(stderr=True), transient=True) as progress,
        ThreadPoolExecutor(parallel, thread_name_prefix="mltrail-cli-transfer") as pool,
    ):
        task = progress.add_task(description, total=total)
        futures = {pool.submit(job): size for size, job in jobs}
        for future in as_completed(futures):
            future.result()
            progress.advance(task, futures[future])
