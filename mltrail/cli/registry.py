"""``mltrail registry``: model registry commands (``audit`` lists the registry's audit trail)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import UTC, datetime

import click

from mltrail.cli.gc import parse_duration
from mltrail.tracking.client import MlflowClient

__all__ = ["parse_since", "registry"]


def parse_since(text: str) -> int:
    """Milliseconds since the epoch for ``--since``: epoch ms, an ISO time, or an age (``1d``).

    Raises:
        click.BadParameter: The text is none of these.
    """
    value = text.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return time.time_ns() // 1_000_000 - parse_duration(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@click.group()
def registry() -> None:
    """Model registry commands."""


@registry.command()
@click.option(
    "--tracking-uri",
    default=None,
    metavar="URI",
    help="Tracking database or server URL; MLTRAIL_TRACKING_URI by default.",
)
@click.option(
    "--registry-uri",
    default=None,
    metavar="URI",
    help="Registry database or server URL; MLTRAIL_REGISTRY_URI, else the tracking URI.",
)
@click.option("--model", "model_name", default=None, help="Only events of this model.")
@click.option(
    "--since",
    default=None,
    metavar="T",
    help="Only events since T: epoch milliseconds, an ISO time (UTC if no zone) or an age "
    "such as 7d or 12h.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per event.")
def audit(
    tracking_uri: str | None,
    registry_uri: str | None,
    model_name: str | None,
    since: str | None,
    as_json: bool,
) -> None:
    """List registry changes, oldest first: time, user, action, model, version, key, values."""
    client = MlflowClient(tracking_uri, registry_uri)
    since_ms = parse_since(since) if since else None
    token: str | None = None
    while True:
        page = client.list_registry_audit_events(model_name, since_ms, 1000, token)
        for event in page:
            if as_json:
                click.echo(json.dumps(asdict(event), sort_keys=True))
                continue
            when = datetime.fromtimestamp(event.timestamp / 1000, tz=UTC)
            fields = [
                when.isoformat(timespec="milliseconds"),
                event.user_id or "-",
                event.action,
                event.model_name,
                event.version or "-",
                event.key or "-",
                "-" if event.old_value is None else event.old_value,
                "-" if event.new_value is None else event.new_value,
            ]
            click.echo("\t".join(fields))
        token = page.token
        if not token:
            return
