"""The root ``mltrail`` command group; each sub-command lives in its own module."""

from __future__ import annotations

from importlib.metadata import version

import click

from mltrail.cli.artifacts import artifacts
from mltrail.cli.db import db
from mltrail.cli.gc import gc
from mltrail.cli.registry import registry
from mltrail.cli.server import server
from mltrail.cli.sync import sync

__all__ = ["cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version("mltrail"), prog_name="mltrail")
def cli() -> None:
    """mltrail: track, register, trace and serve ML and GenAI work (MLflow-compatible)."""


cli.add_command(artifacts)
cli.add_command(db)
cli.add_command(gc)
cli.add_command(registry)
cli.add_command(server)
cli.add_command(sync)
