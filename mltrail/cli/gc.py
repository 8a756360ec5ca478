"""``mltrail gc``: permanently delete runs and experiments in the deleted state."""

from __future__ import annotations

import re

import click

from mltrail.config import DEFAULT_TRACKING_URI, get_settings

__all__ = ["gc", "parse_duration"]

_UNITS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000}


def parse_duration(text: str) -> int:
    """Milliseconds in a duration such as ``1d2h30m`` or ``45s``.

    Raises:
        click.BadParameter: The text is not a duration.
    """
    parts = re.findall(r"(\d+(?:\.\d+)?)([dhms])", text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip().replace(" ", ""):
        raise click.BadParameter(f"{text!r} is not a duration like 1d2h30m or 45s.")
    return int(sum(float(n) * _UNITS[u] for n, u in parts))


def _size(num: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if num < 1024 or unit == "GiB":
            return f"{num:.0f} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num /= 1024
    return f"{num:.1f} TiB"


@click.command()
@click.option(
    "--backend-store-uri",
    envvar=["MLTRAIL_BACKEND_STORE_URI", "MLFLOW_BACKEND_STORE_URI"],
    default=None,
    metavar="URI",
    help="The tracking database (as for `mltrail server`).",
)
@click.option(
    "--artifacts-destination",
    default=None,
    metavar="URI",
    help="Where the server keeps proxied (mlflow-artifacts:/) artifacts.",
)
@click.option(
    "--older-than",
    default=None,
    metavar="DURATION",
    help="Only what was deleted longer ago than this, e.g. 30d or 1d12h.",
)
@click.option("--run-ids", default=None, help="Comma-separated run ids (default: all deleted).")
@click.option(
    "--experiment-ids", default=None, help="Comma-separated experiment ids (default: all deleted)."
)
@click.option("--dry-run", is_flag=True, help="Print what would be removed and how much space.")
def gc(
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    older_than: str | None,
    run_ids: str | None,
    experiment_ids: str | None,
    dry_run: bool,
) -> None:
    """Permanently remove deleted runs and experiments, their metrics and their artifacts.

    Safe to run again after an interruption: it picks up what is still marked deleted.
    """
    from mltrail.service import gc as collector
    from mltrail.service.services import Services

    older_ms = parse_duration(older_than) if older_than else None
    runs = [r.strip() for r in run_ids.split(",") if r.strip()] if run_ids else None
    try:
        exps = [int(e) for e in experiment_ids.split(",") if e.strip()] if experiment_ids else None
    except ValueError as exc:
        raise click.BadParameter(
            "experiment ids are integers", param_hint="--experiment-ids"
        ) from exc
    settings = get_settings().with_changes(artifacts_destination=artifacts_destination)
    uri = backend_store_uri or settings.tracking_uri or DEFAULT_TRACKING_URI
    services = Services(uri, settings.default_artifact_root, settings)
    try:
        todo = collector.plan(services, older_ms, runs, exps, measure=True)
        click.echo(
            f"{'Would remove' if dry_run else 'Removing'} {len(todo.runs)} run(s) and "
            f"{len(todo.experiments)} experiment(s): {todo.metric_rows} metric point(s), "
            f"{todo.artifact_files} artifact file(s), {_size(todo.artifact_bytes)}."
        )
        if dry_run:
            for run_id, art in todo.runs:
                click.echo(f"  run {run_id}  {art or ''}")
            for exp_id, loc in todo.experiments:
                click.echo(f"  experiment {exp_id}  {loc or ''}")
            return
        collector.collect(services, todo)
        click.echo("Done.")
    finally:
        services.close()
