"""Auth tables: users, tokens, grants, roles and the audit log.

They hang off their own declarative base so the auth database (``database_uri`` in
``basic_auth.ini``) is migrated by its own Alembic chain and never by the tracking one.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mltrail.store.sql.tables.base import Key

__all__ = [
    "AuditRow",
    "AuthBase",
    "ExperimentGrantRow",
    "ModelGrantRow",
    "RoleGrantRow",
    "RoleRow",
    "TokenRow",
    "UserRoleRow",
    "UserRow",
]


class AuthBase(DeclarativeBase):
    """Base of the auth tables (a metadata separate from the tracking tables)."""


class UserRow(AuthBase):
    """A user and the hash of their password."""

    __tablename__ = "auth_users"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(Key(255), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)


class TokenRow(AuthBase):
    """A personal access token, stored as a SHA-256 digest of its secret."""

    __tablename__ = "auth_tokens"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("auth_users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(Key(255), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    expires_ms: Mapped[int | None] = mapped_column(sa.BigInteger)
    revoked: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)


class ExperimentGrantRow(AuthBase):
    """A user's permission on one experiment."""

    __tablename__ = "auth_experiment_permissions"
    experiment_id: Mapped[str] = mapped_column(Key(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(sa.String(32), nullable=False)


class ModelGrantRow(AuthBase):
    """A user's permission on one registered model."""

    __tablename__ = "auth_registered_model_permissions"
    name: Mapped[str] = mapped_column(Key(255), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(sa.String(32), nullable=False)


class RoleRow(AuthBase):
    """A named bundle of grants."""

    __tablename__ = "auth_roles"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Key(255), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.String(1000))


class RoleGrantRow(AuthBase):
    """One grant of a role: a permission on a resource (``*`` for every resource of a type)."""

    __tablename__ = "auth_role_permissions"
    role_id: Mapped[int] = mapped_column(
        sa.ForeignKey("auth_roles.id", ondelete="CASCADE"), primary_key=True
    )
    resource_type: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    resource_id: Mapped[str] = mapped_column(Key(255), primary_key=True)
    permission: Mapped[str] = mapped_column(sa.String(32), nullable=False)


class UserRoleRow(AuthBase):
    """A role assigned to a user."""

    __tablename__ = "auth_user_roles"
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(
        sa.ForeignKey("auth_roles.id", ondelete="CASCADE"), primary_key=True
    )


class AuditRow(AuthBase):
    """One audit event: who did what, when and from where (append-only)."""

    __tablename__ = "auth_audit_log"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    timestamp_ms: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, index=True)
    actor: Mapped[str | None] = mapped_column(Key(255))
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    target: Mapped[str | None] = mapped_column(sa.String(500))
    address: Mapped[str | None] = mapped_column(sa.String(128))
    detail: Mapped[str | None] = mapped_column(sa.String(1000))
