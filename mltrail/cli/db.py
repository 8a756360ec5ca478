"""``mltrail db``: database schema management (mirrors ``mlflow db``)."""

from __future__ import annotations

import click

from mltrail.config import get_settings

__all__ = ["db"]


@click.group()
def db() -> None:
    """Manage the tracking database schema."""


@db.command("upgrade")
@click.argument("url")
def upgrade(url: str) -> None:
    """Upgrade the schema of the database at URL to the newest revision.

    URL is a SQLAlchemy URI such as sqlite:///mltrail.db, postgresql://user@host/db or
    mysql+pymysql://user@host/db. Safe to run while servers are up: concurrent upgrades wait
    on a database lock and the second finds nothing to do.
    """
    from mltrail.store.sql.migrations import upgrade as run_upgrade

    try:
        revision = run_upgrade(url, get_settings())
    except Exception as exc:  # any driver or URL error is reported, not traced back
        raise click.ClickException(f"Could not upgrade {url!r}: {exc}") from exc
    click.echo(f"Database is at revision {revision}.")
