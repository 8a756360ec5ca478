"""``python -m mltrail`` runs the command line."""

from __future__ import annotations

from mltrail.cli.main import cli

if __name__ == "__main__":
    cli()
