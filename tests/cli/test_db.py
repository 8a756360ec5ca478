"""`mltrail db upgrade` through the click entry point and as a real subprocess."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa
from click.testing import CliRunner

from mltrail.cli.main import cli
from mltrail.store.sql.migrations import HEAD_REVISION


def test_db_upgrade_creates_schema(db_uri: str) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade", db_uri])
    assert result.exit_code == 0, result.output
    assert HEAD_REVISION in result.output
    engine = sa.create_engine(db_uri)
    try:
        with engine.connect() as conn:
            assert sa.inspect(conn).has_table("runs")
            rev = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        assert rev == HEAD_REVISION
    finally:
        engine.dispose()
    # A second upgrade is a no-op, not an error.
    again = CliRunner().invoke(cli, ["db", "upgrade", db_uri])
    assert again.exit_code == 0, again.output


def test_db_upgrade_bad_url_is_a_clear_error() -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade", "nosuchdb://x"])
    assert result.exit_code == 1
    assert "Could not upgrade 'nosuchdb://x'" in result.output


def test_module_entry_point_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mltrail", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("mltrail, version ")
