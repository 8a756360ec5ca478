"""``mltrail sync``: send what the offline buffer kept while a tracking server was unreachable."""

from __future__ import annotations

from pathlib import Path

import click

from mltrail.config import get_settings

__all__ = ["sync"]


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--tracking-uri",
    default=None,
    metavar="URI",
    help="Send everything here instead of to the server each journal was written for.",
)
def sync(directory: Path | None, tracking_uri: str | None) -> None:
    """Replay offline journals in DIRECTORY (default: the offline buffer directory).

    Batches are sent in the order they were logged; sending one twice stores it once, so an
    interrupted sync can simply be run again.
    """
    from mltrail.tracking.backends import get_backend
    from mltrail.tracking.offline import buffer_directory, sync_directory

    root = directory or buffer_directory(get_settings())
    if not root.is_dir():
        raise click.ClickException(f"No offline journal folder at {root}")
    try:
        sent = sync_directory(root, get_backend, override=tracking_uri)
    except Exception as exc:  # the server is still down, or a URL is wrong: say which
        raise click.ClickException(f"Sync stopped: {exc}. Run it again to resume.") from exc
    if not sent:
        click.echo(f"No journals in {root}.")
    for url, count in sent.items():
        click.echo(f"Sent {count} batch(es) to {url}.")
