"""Auth tables: users, tokens, experiment and registered-model grants, roles, audit log.

Revision ID: auth_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "auth_0001"
down_revision = None
branch_labels = None
depends_on = None


def _key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _user_fk() -> sa.ForeignKey:
    return sa.ForeignKey("auth_users.id", ondelete="CASCADE")


def _role_fk() -> sa.ForeignKey:
    return sa.ForeignKey("auth_roles.id", ondelete="CASCADE")


def upgrade() -> None:
    """Create the auth tables."""
    op.create_table(
        "auth_users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", _key(255), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), _user_fk(), nullable=False, index=True),
        sa.Column("name", _key(255), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger()),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "auth_experiment_permissions",
        sa.Column("experiment_id", _key(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), _user_fk(), primary_key=True),
        sa.Column("permission", sa.String(32), nullable=False),
    )
    op.create_table(
        "auth_registered_model_permissions",
        sa.Column("name", _key(255), primary_key=True),
        sa.Column("user_id", sa.Integer(), _user_fk(), primary_key=True),
        sa.Column("permission", sa.String(32), nullable=False),
    )
    op.create_table(
        "auth_roles",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", _key(255), nullable=False, unique=True),
        sa.Column("description", sa.String(1000)),
    )
    op.create_table(
        "auth_role_permissions",
        sa.Column("role_id", sa.Integer(), _role_fk(), primary_key=True),
        sa.Column("resource_type", sa.String(32), primary_key=True),
        sa.Column("resource_id", _key(255), primary_key=True),
        sa.Column("permission", sa.String(32), nullable=False),
    )
    op.create_table(
        "auth_user_roles",
        sa.Column("user_id", sa.Integer(), _user_fk(), primary_key=True),
        sa.Column("role_id", sa.Integer(), _role_fk(), primary_key=True),
    )
    op.create_table(
        "auth_audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False, index=True),
        sa.Column("actor", _key(255)),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(500)),
        sa.Column("address", sa.String(128)),
        sa.Column("detail", sa.String(1000)),
    )


def downgrade() -> None:
    """Drop the auth tables."""
    for table in (
        "auth_audit_log",
        "auth_user_roles",
        "auth_role_permissions",
        "auth_roles",
        "auth_registered_model_permissions",
        "auth_experiment_permissions",
        "auth_tokens",
        "auth_users",
    ):
        op.drop_table(table)
