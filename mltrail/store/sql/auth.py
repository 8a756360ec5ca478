"""Persistence of users, tokens, grants, roles and audit events (no rules: see service.auth)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mltrail.store.sql.tables.auth import (
    AuditRow,
    ExperimentGrantRow,
    ModelGrantRow,
    RoleGrantRow,
    RoleRow,
    TokenRow,
    UserRoleRow,
    UserRow,
)

__all__ = [
    "append_audit",
    "delete_grant",
    "get_grant",
    "get_role",
    "get_role_by_name",
    "get_token",
    "get_user",
    "get_user_by_id",
    "list_audit",
    "list_grants",
    "list_role_grants",
    "list_roles",
    "list_tokens",
    "list_users",
    "role_grants_for_user",
    "user_role_ids",
]

GrantRow = type[ExperimentGrantRow] | type[ModelGrantRow]


def get_user(session: Session, username: str) -> UserRow | None:
    """The user with this name, or None."""
    return session.scalars(sa.select(UserRow).where(UserRow.username == username)).first()


def get_user_by_id(session: Session, user_id: int) -> UserRow | None:
    """The user with this id, or None."""
    return session.get(UserRow, user_id)


def list_users(session: Session) -> list[UserRow]:
    """Every user, by name."""
    return list(session.scalars(sa.select(UserRow).order_by(UserRow.username)))


def get_token(session: Session, token_hash: str) -> TokenRow | None:
    """The token whose secret hashes to ``token_hash``, or None."""
    return session.scalars(sa.select(TokenRow).where(TokenRow.token_hash == token_hash)).first()


def list_tokens(session: Session, user_id: int) -> list[TokenRow]:
    """A user's tokens, oldest first."""
    query = sa.select(TokenRow).where(TokenRow.user_id == user_id).order_by(TokenRow.id)
    return list(session.scalars(query))


def _grant_table(kind: str) -> GrantRow:
    return ExperimentGrantRow if kind == "experiment" else ModelGrantRow


def _grant_key(kind: str) -> Any:
    return ExperimentGrantRow.experiment_id if kind == "experiment" else ModelGrantRow.name


def get_grant(
    session: Session, kind: str, resource_id: str, user_id: int
) -> ExperimentGrantRow | ModelGrantRow | None:
    """A user's direct grant on one experiment or registered model, or None."""
    table = _grant_table(kind)
    query = sa.select(table).where(_grant_key(kind) == resource_id, table.user_id == user_id)
    found = session.scalars(query).first()
    return cast("ExperimentGrantRow | ModelGrantRow | None", found)


def list_grants(
    session: Session, kind: str, user_id: int
) -> list[ExperimentGrantRow | ModelGrantRow]:
    """Every direct grant of a user on one kind of resource."""
    table = _grant_table(kind)
    return list(session.scalars(sa.select(table).where(table.user_id == user_id)))


def delete_grant(session: Session, kind: str, resource_id: str, user_id: int) -> int:
    """Delete a direct grant; return how many rows went (0 or 1)."""
    table = _grant_table(kind)
    stmt = sa.delete(table).where(_grant_key(kind) == resource_id, table.user_id == user_id)
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def get_role(session: Session, role_id: int) -> RoleRow | None:
    """The role with this id, or None."""
    return session.get(RoleRow, role_id)


def get_role_by_name(session: Session, name: str) -> RoleRow | None:
    """The role with this name, or None."""
    return session.scalars(sa.select(RoleRow).where(RoleRow.name == name)).first()


def list_roles(session: Session) -> list[RoleRow]:
    """Every role, by name."""
    return list(session.scalars(sa.select(RoleRow).order_by(RoleRow.name)))


def list_role_grants(session: Session, role_id: int) -> list[RoleGrantRow]:
    """The grants a role bundles."""
    return list(session.scalars(sa.select(RoleGrantRow).where(RoleGrantRow.role_id == role_id)))


def user_role_ids(session: Session, user_id: int) -> list[int]:
    """Ids of the roles assigned to a user."""
    query = sa.select(UserRoleRow.role_id).where(UserRoleRow.user_id == user_id)
    return list(session.scalars(query))


def role_grants_for_user(session: Session, user_id: int, kind: str) -> list[RoleGrantRow]:
    """Every grant on ``kind`` that reaches a user through their roles."""
    query = (
        sa.select(RoleGrantRow)
        .join(UserRoleRow, UserRoleRow.role_id == RoleGrantRow.role_id)
        .where(UserRoleRow.user_id == user_id, RoleGrantRow.resource_type == kind)
    )
    return list(session.scalars(query))


def append_audit(session: Session, rows: Iterable[AuditRow]) -> None:
    """Append audit events."""
    session.add_all(list(rows))


def list_audit(session: Session, limit: int = 1000) -> list[AuditRow]:
    """The newest audit events, newest first."""
    query = sa.select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    return list(session.scalars(query))
