"""Migrations: the head constant, upgrade from empty, and schema equal to the ORM tables."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mltrail.config import Settings
from mltrail.store.sql import migrations
from mltrail.store.sql.engine import Database
from mltrail.store.sql.tables import Base


def test_head_constant_matches_alembic_head() -> None:
    assert migrations.head_revision() == migrations.HEAD_REVISION


def test_upgrade_from_empty_matches_orm_tables(db_uri: str) -> None:
    assert migrations.upgrade(db_uri) == migrations.HEAD_REVISION
    db = Database(db_uri, Settings())
    try:
        with db.engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.HEAD_REVISION
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        db.dispose()


def test_ensure_schema_is_idempotent(sqlite_uri: str) -> None:
    db = Database(sqlite_uri, Settings())
    try:
        migrations.ensure_schema(db)
        migrations.ensure_schema(db)
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"experiments", "runs", "metrics", "latest_metrics", "alembic_version"} <= tables
    finally:
        db.dispose()


def test_upgrade_from_previous_head_keeps_data(db_uri: str) -> None:
    from alembic import command

    db = Database(db_uri, Settings())
    try:
        with db.engine.connect() as conn:
            cfg = migrations._alembic_config(conn)
            command.upgrade(cfg, "0001_tracking")
            conn.execute(
                sa.text(
                    "INSERT INTO experiments (experiment_id, name, artifact_location, "
                    "lifecycle_stage, creation_time, last_update_time) "
                    "VALUES (7, 'kept', '/tmp/kept', 'active', 1, 1)"
                )
            )
            conn.commit()
            assert migrations.current_revision(conn) == "0001_tracking"
        migrations.ensure_schema(db)
        with db.engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.HEAD_REVISION
            name = conn.execute(
                sa.text("SELECT name FROM experiments WHERE experiment_id = 7")
            ).scalar_one()
            assert name == "kept"
            assert sa.inspect(conn).has_table("logged_models")
            assert sa.inspect(conn).has_table("registered_models")
    finally:
        db.dispose()


def test_upgrade_from_logged_models_head_adds_registry(db_uri: str) -> None:
    from alembic import command

    db = Database(db_uri, Settings())
    try:
        with db.engine.connect() as conn:
            command.upgrade(migrations._alembic_config(conn), "0002_logged_models")
            conn.execute(
                sa.text(
                    "INSERT INTO experiments (experiment_id, name, artifact_location, "
                    "lifecycle_stage, creation_time, last_update_time) "
                    "VALUES (8, 'kept', '/tmp/kept', 'active', 1, 1)"
                )
            )
            conn.commit()
            assert migrations.current_revision(conn) == "0002_logged_models"
        migrations.ensure_schema(db)
        with db.engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.HEAD_REVISION
            inspector = sa.inspect(conn)
            for table in (
                "registered_models",
                "registered_model_tags",
                "model_versions",
                "model_version_tags",
                "registered_model_aliases",
                "registry_audit_events",
            ):
                assert inspector.has_table(table), table
            assert (
                conn.execute(
                    sa.text("SELECT name FROM experiments WHERE experiment_id = 8")
                ).scalar_one()
                == "kept"
            )
    finally:
        db.dispose()


def test_upgrade_from_registry_head_adds_traces(db_uri: str) -> None:
    from alembic import command

    db = Database(db_uri, Settings())
    try:
        with db.engine.connect() as conn:
            command.upgrade(migrations._alembic_config(conn), "0003_registry")
            conn.commit()
        migrations.ensure_schema(db)
        with db.engine.connect() as conn:
            assert migrations.current_revision(conn) == "0004_traces"
            inspector = sa.inspect(conn)
            for table in ("trace_info", "trace_tags", "trace_metadata", "spans", "assessments"):
                assert inspector.has_table(table), table
            command.downgrade(migrations._alembic_config(conn), "0003_registry")
            conn.commit()
            assert not sa.inspect(conn).has_table("trace_info")
    finally:
        db.dispose()
