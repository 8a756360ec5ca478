"""Auth rules: password hashing, tokens, grants, roles, the default permission, admin bootstrap.

Permissions follow MLflow's semantics. Each level includes the ones below it:
``NO_PERMISSIONS`` < ``READ`` < ``USE`` < ``EDIT`` < ``MANAGE``. A user's permission on a
resource is their direct grant if they hold one, else the best grant reaching them through a
role (on that resource or on ``*``), else the configured default. Admins hold ``MANAGE``
everywhere.

Verified credentials and each user's grant map are cached in-process for
``AUTH_CACHE_SECONDS`` (10 s): a revoked token, changed password, deleted user or changed grant
takes effect on this worker at once and on every other worker within that bound.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from mltrail.config import AUTH_CACHE_SECONDS, WELL_KNOWN_PASSWORDS, AuthConfig, Settings
from mltrail.exceptions import (
    ErrorCode,
    InvalidParameterValue,
    InvalidState,
    MlflowException,
    PermissionDenied,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
    Unauthenticated,
)
from mltrail.store.sql import auth as store
from mltrail.store.sql.auth_migrations import ensure_auth_schema
from mltrail.store.sql.engine import Database
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
    "LEVELS",
    "AuthService",
    "Principal",
    "TooManyFailures",
    "auth_database_uri",
    "build_auth",
    "level_of",
]

LEVELS: dict[str, int] = {"NO_PERMISSIONS": 0, "READ": 1, "USE": 2, "EDIT": 3, "MANAGE": 4}
KINDS = ("experiment", "registered_model")
_FAILURE_WINDOW_S = 300.0
_MAX_OWNERS = 100_000
_MAX_FAILURES = 10  # per username in the window
_MAX_ADDRESS_FAILURES = 100  # per client address (higher: many users may share a proxy)


def level_of(permission: str) -> int:
    """The rank of a permission name.

    Raises:
        InvalidParameterValue: The name is not one of ``LEVELS``.
    """
    try:
        return LEVELS[permission]
    except KeyError:
        raise InvalidParameterValue(
            f"Invalid permission {permission!r}; use one of {', '.join(LEVELS)}."
        ) from None


class TooManyFailures(MlflowException):
    """Too many failed sign-ins for this user or address; retry later."""

    default_error_code = ErrorCode.REQUEST_LIMIT_EXCEEDED


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    user_id: int
    username: str
    is_admin: bool


def _now_ms() -> int:
    return int(time.time() * 1000)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class _FailureLimiter:
    """Counts failed sign-ins per key in a sliding window."""

    def __init__(self, limit: int, window_s: float) -> None:
        self._limit, self._window = limit, window_s
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._trim(key, now)) >= self._limit_of(key) for key in keys)

    def _limit_of(self, key: str) -> int:
        return _MAX_ADDRESS_FAILURES if key.startswith("a:") else self._limit

    def record(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._trim(key, now).append(now)

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] < now - self._window:
            events.popleft()
        return events


class AuthService:
    """Users, credentials and permission decisions over the auth database.

    Args:
        db: The auth database (already migrated).
        config: ``basic_auth.ini`` values.
    """

    def __init__(self, db: Database, config: AuthConfig) -> None:
        self.db = db
        self.config = config
        self.default_level = level_of(config.default_permission)
        self._hasher = PasswordHasher()
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self._creds: dict[str, tuple[float, Principal]] = {}
        self._grants: dict[tuple[int, str], tuple[float, dict[str, int], int | None]] = {}
        self._lock = threading.Lock()
        self._failures = _FailureLimiter(_MAX_FAILURES, _FAILURE_WINDOW_S)
        self._owners: dict[str, str] = {}

    def owner_experiment(self, key: str, load: Callable[[], str]) -> str:
        """The experiment owning a run or logged model, remembered (it never changes)."""
        found = self._owners.get(key)
        if found is None:
            found = load()
            with self._lock:
                if len(self._owners) >= _MAX_OWNERS:
                    self._owners.clear()
                self._owners[key] = found
        return found

    # ------------------------------------------------------------------------ bootstrap, audit
    def bootstrap_admin(self) -> None:
        """Create the configured admin on first start (never changes an existing user)."""
        name, password = self.config.admin_username, self.config.admin_password
        with self.db.write() as session:
            if store.get_user(session, name) is None:
                session.add(
                    UserRow(username=name, password_hash=self._hasher.hash(password), is_admin=True)
                )
                session.add(self._event(None, "bootstrap_admin", name, None, None))

    @staticmethod
    def _event(
        actor: str | None, action: str, target: str | None, address: str | None, detail: str | None
    ) -> AuditRow:
        return AuditRow(
            timestamp_ms=_now_ms(),
            actor=actor,
            action=action,
            target=target,
            address=address,
            detail=detail,
        )

    def audit(
        self,
        actor: Principal | None,
        action: str,
        target: str | None = None,
        address: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Append one event to the audit log."""
        name = actor.username if actor else None
        with self.db.write() as session:
            store.append_audit(session, [self._event(name, action, target, address, detail)])

    def audit_log(self, limit: int = 1000) -> list[AuditRow]:
        """The newest audit events, newest first."""
        with self.db.read() as session:
            return store.list_audit(session, limit)

    # ------------------------------------------------------------------------ authentication
    def cached(self, credential: str) -> Principal | None:
        """The principal of a credential verified less than ``AUTH_CACHE_SECONDS`` ago."""
        hit = self._creds.get(_digest(credential))
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def _remember(self, credential: str, principal: Principal) -> None:
        with self._lock:
            if len(self._creds) > 10_000:
                self._creds.clear()
            # Keyed by a digest: the cache never holds a password or token in clear.
            self._creds[_digest(credential)] = (time.monotonic() + AUTH_CACHE_SECONDS, principal)

    def _forget_user(self, username: str) -> None:
        with self._lock:
            for key in [k for k, (_, p) in self._creds.items() if p.username == username]:
                del self._creds[key]
            self._grants.clear()

    def _fail(self, username: str | None, address: str | None, reason: str) -> None:
        self._failures.record(f"u:{username}", f"a:{address}")
        self.audit(None, "sign_in_failed", username, address, reason)
        raise Unauthenticated("Invalid credentials: check the username and password or token.")

    def authenticate_basic(
        self, credential: str, username: str, password: str, address: str | None
    ) -> Principal:
        """Verify a username and password (the cache key is the raw Authorization header).

        Raises:
            Unauthenticated: Unknown user or wrong password.
            TooManyFailures: Too many recent failures for this user or address.
        """
        if self._failures.blocked(f"u:{username}", f"a:{address}"):
            raise TooManyFailures("Too many failed sign-ins; wait a few minutes and retry.")
        with self.db.read() as session:
            user = store.get_user(session, username)
            row = (user.id, user.username, user.is_admin, user.password_hash) if user else None
        try:
            # Unknown users still cost one hash check, so timing does not reveal who exists.
            self._hasher.verify(row[3] if row else self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            self._fail(username, address, "bad password")
        if row is None:
            self._fail(username, address, "unknown user")
        assert row is not None
        principal = Principal(row[0], row[1], row[2])
        self._remember(credential, principal)
        self.audit(principal, "sign_in", username, address, "basic")
        return principal

    def authenticate_token(self, credential: str, token: str, address: str | None) -> Principal:
        """Verify a personal access token.

        Raises:
            Unauthenticated: Unknown, revoked or expired token.
            TooManyFailures: Too many recent failures from this address.
        """
        if self._failures.blocked(f"a:{address}"):
            raise TooManyFailures("Too many failed sign-ins; wait a few minutes and retry.")
        digest = _digest(token)
        with self.db.read() as session:
            row = store.get_token(session, digest)
            user = store.get_user_by_id(session, row.user_id) if row else None
            valid = (
                row is not None
                and user is not None
                and hmac.compare_digest(row.token_hash, digest)
                and not row.revoked
                and (row.expires_ms is None or row.expires_ms > _now_ms())
            )
            principal = Principal(user.id, user.username, user.is_admin) if valid and user else None
        if principal is None:
            self._fail(None, address, "bad token")
        assert principal is not None
        self._remember(credential, principal)
        self.audit(principal, "sign_in", principal.username, address, "token")
        return principal

    # ------------------------------------------------------------------------ decisions
    def _grant_map(self, user_id: int, kind: str) -> tuple[dict[str, int], int | None]:
        key = (user_id, kind)
        hit = self._grants.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1], hit[2]
        with self.db.read() as session:
            direct = {
                self._rid(g): LEVELS[g.permission]
                for g in store.list_grants(session, kind, user_id)
            }
            via_roles: dict[str, int] = {}
            for grant in store.role_grants_for_user(session, user_id, kind):
                level = LEVELS[grant.permission]
                via_roles[grant.resource_id] = max(level, via_roles.get(grant.resource_id, 0))
        wildcard = via_roles.pop("*", None)
        merged = {**{k: v for k, v in via_roles.items()}, **direct}
        with self._lock:
            self._grants[key] = (time.monotonic() + AUTH_CACHE_SECONDS, merged, wildcard)
        return merged, wildcard

    @staticmethod
    def _rid(grant: ExperimentGrantRow | ModelGrantRow) -> str:
        return grant.experiment_id if isinstance(grant, ExperimentGrantRow) else grant.name

    def level(self, principal: Principal, kind: str, resource_id: str) -> int:
        """The caller's permission rank on one resource."""
        if principal.is_admin:
            return LEVELS["MANAGE"]
        if kind not in KINDS:
            return LEVELS["NO_PERMISSIONS"]  # unknown resource types fail closed
        grants, wildcard = self._grant_map(principal.user_id, kind)
        found = grants.get(resource_id)
        if found is not None:
            return found
        return wildcard if wildcard is not None else self.default_level

    def require(
        self, principal: Principal, kind: str, resource_ids: Iterable[str], need: int
    ) -> None:
        """Raise unless the caller holds rank ``need`` on every resource.

        Raises:
            PermissionDenied: Some resource is below the needed rank.
        """
        for rid in resource_ids:
            if self.level(principal, kind, rid) < need:
                raise PermissionDenied(
                    f"Permission denied for {principal.username!r} on {kind} {rid!r}; "
                    "ask an admin or the resource's manager for a grant."
                )

    def require_admin(self, principal: Principal) -> None:
        """Raise unless the caller is an admin.

        Raises:
            PermissionDenied: The caller is not an admin.
        """
        if not principal.is_admin:
            raise PermissionDenied(
                f"Only admins may do this; {principal.username!r} is not an admin."
            )

    # ------------------------------------------------------------------------ users
    def create_user(
        self,
        actor: Principal,
        username: str,
        password: str,
        is_admin: bool = False,
        address: str | None = None,
    ) -> UserRow:
        """Create a user (admins only).

        Raises:
            ResourceAlreadyExists: The name is taken.
            InvalidParameterValue: Empty name or password.
        """
        self.require_admin(actor)
        if not username or not password:
            raise InvalidParameterValue("A user needs a non-empty username and password.")
        with self.db.write() as session:
            if store.get_user(session, username) is not None:
                raise ResourceAlreadyExists(f"User {username!r} already exists.")
            user = UserRow(
                username=username, password_hash=self._hasher.hash(password), is_admin=is_admin
            )
            session.add(user)
            session.add(self._event(actor.username, "create_user", username, address, None))
            session.flush()
            return user

    def get_user(self, username: str) -> UserRow:
        """The user with this name.

        Raises:
            ResourceDoesNotExist: No such user.
        """
        with self.db.read() as session:
            user = store.get_user(session, username)
        if user is None:
            raise ResourceDoesNotExist(f"User with username={username!r} not found.")
        return user

    def list_users(self) -> list[UserRow]:
        """Every user."""
        with self.db.read() as session:
            return store.list_users(session)

    def update_password(
        self, actor: Principal, username: str, password: str, address: str | None = None
    ) -> None:
        """Change a password (the user themself, or an admin)."""
        if actor.username != username:
            self.require_admin(actor)
        if not password:
            raise InvalidParameterValue("The new password must not be empty.")
        with self.db.write() as session:
            user = self._user(session, username)
            user.password_hash = self._hasher.hash(password)
            session.add(self._event(actor.username, "update_password", username, address, None))
        self._forget_user(username)

    def update_admin(
        self, actor: Principal, username: str, is_admin: bool, address: str | None = None
    ) -> None:
        """Grant or withdraw admin rights (admins only)."""
        self.require_admin(actor)
        with self.db.write() as session:
            self._user(session, username).is_admin = is_admin
            session.add(
                self._event(
                    actor.username, "update_admin", username, address, f"is_admin={is_admin}"
                )
            )
        self._forget_user(username)

    def delete_user(self, actor: Principal, username: str, address: str | None = None) -> None:
        """Delete a user with their tokens and grants (admins only)."""
        self.require_admin(actor)
        with self.db.write() as session:
            session.delete(self._user(session, username))
            session.add(self._event(actor.username, "delete_user", username, address, None))
        self._forget_user(username)

    @staticmethod
    def _user(session: object, username: str) -> UserRow:
        user = store.get_user(session, username)  # type: ignore[arg-type]
        if user is None:
            raise ResourceDoesNotExist(f"User with username={username!r} not found.")
        return user

    # ------------------------------------------------------------------------ direct grants
    def set_grant(
        self,
        actor: Principal,
        kind: str,
        resource_id: str,
        username: str,
        permission: str | None,
        address: str | None = None,
        create: bool | None = False,
    ) -> None:
        """Create, update or (``permission=None``) delete a user's grant on one resource.

        The caller needs MANAGE on the resource (admins always have it). ``create=None``
        creates or updates, and deleting a missing grant is then no error.

        Raises:
            ResourceAlreadyExists: ``create`` and the grant exists.
            ResourceDoesNotExist: Update or delete of a grant that does not exist.
        """
        self.require(actor, kind, [resource_id], LEVELS["MANAGE"])
        if permission is not None:
            level_of(permission)
        table = ExperimentGrantRow if kind == "experiment" else ModelGrantRow
        with self.db.write() as session:
            user = self._user(session, username)
            existing = store.get_grant(session, kind, resource_id, user.id)
            if create is True and existing is not None:
                raise ResourceAlreadyExists(
                    f"{kind} permission ({resource_id!r}, {username!r}) already exists; update it."
                )
            if create is False and existing is None:
                raise ResourceDoesNotExist(
                    f"{kind} permission ({resource_id!r}, {username!r}) not found."
                )
            if kind not in KINDS:
                raise InvalidParameterValue(f"Invalid resource type {kind!r}; use one of {KINDS}.")
            if permission is None:
                store.delete_grant(session, kind, resource_id, user.id)
            elif existing is not None:
                existing.permission = permission
            elif kind == "experiment":
                session.add(
                    table(experiment_id=resource_id, user_id=user.id, permission=permission)
                )
            else:
                session.add(table(name=resource_id, user_id=user.id, permission=permission))
            action = "delete_permission" if permission is None else "set_permission"
            session.add(
                self._event(
                    actor.username, action, f"{kind}:{resource_id}:{username}", address, permission
                )
            )
        self._forget_user(username)

    def grant_creator(self, creator: Principal, kind: str, resource_id: str) -> None:
        """Give the creator of a new resource MANAGE on it (as MLflow does)."""
        if creator.is_admin:
            return
        with self.db.write() as session:
            if store.get_grant(session, kind, resource_id, creator.user_id) is None:
                if kind == "experiment":
                    session.add(
                        ExperimentGrantRow(
                            experiment_id=resource_id, user_id=creator.user_id, permission="MANAGE"
                        )
                    )
                else:
                    session.add(
                        ModelGrantRow(
                            name=resource_id, user_id=creator.user_id, permission="MANAGE"
                        )
                    )
        self._forget_user(creator.username)

    def get_grant(self, kind: str, resource_id: str, username: str) -> str:
        """A user's direct permission on one resource.

        Raises:
            ResourceDoesNotExist: The user holds no direct grant there.
        """
        with self.db.read() as session:
            user = self._user(session, username)
            grant = store.get_grant(session, kind, resource_id, user.id)
        if grant is None:
            raise ResourceDoesNotExist(
                f"{kind} permission ({resource_id!r}, {username!r}) not found."
            )
        return grant.permission

    def user_grants(self, username: str) -> dict[str, list[tuple[str, str]]]:
        """Every direct grant of a user, by resource kind: ``[(resource_id, permission)]``."""
        with self.db.read() as session:
            user = self._user(session, username)
            return {
                kind: [
                    (self._rid(g), g.permission) for g in store.list_grants(session, kind, user.id)
                ]
                for kind in KINDS
            }

    # ------------------------------------------------------------------------ tokens
    def create_token(
        self,
        actor: Principal,
        name: str,
        expires_in_days: int | None = None,
        address: str | None = None,
    ) -> tuple[TokenRow, str]:
        """Create a personal access token for the caller; the secret is returned only here."""
        secret = "mlt_" + secrets.token_urlsafe(32)
        now = _now_ms()
        expires = now + expires_in_days * 86_400_000 if expires_in_days else None
        with self.db.write() as session:
            row = TokenRow(
                user_id=actor.user_id,
                name=name or "token",
                token_hash=_digest(secret),
                created_ms=now,
                expires_ms=expires,
                revoked=False,
            )
            session.add(row)
            session.add(self._event(actor.username, "create_token", name, address, None))
            session.flush()
        return row, secret

    def list_tokens(self, actor: Principal) -> list[TokenRow]:
        """The caller's tokens (never their secrets)."""
        with self.db.read() as session:
            return store.list_tokens(session, actor.user_id)

    def revoke_token(self, actor: Principal, token_id: int, address: str | None = None) -> None:
        """Revoke one of the caller's tokens (admins may revoke anyone's)."""
        with self.db.write() as session:
            row = session.get(TokenRow, token_id)
            if row is None or (row.user_id != actor.user_id and not actor.is_admin):
                raise ResourceDoesNotExist(f"Token {token_id} not found.")
            row.revoked = True
            owner = store.get_user_by_id(session, row.user_id)
            session.add(self._event(actor.username, "revoke_token", str(token_id), address, None))
        with self._lock:
            self._creds.clear()
        if owner is not None:
            self._forget_user(owner.username)

    # ------------------------------------------------------------------------ roles
    def create_role(
        self,
        actor: Principal,
        name: str,
        description: str | None = None,
        address: str | None = None,
    ) -> RoleRow:
        """Create a role (admins only)."""
        self.require_admin(actor)
        with self.db.write() as session:
            if store.get_role_by_name(session, name) is not None:
                raise ResourceAlreadyExists(f"Role {name!r} already exists.")
            role = RoleRow(name=name, description=description)
            session.add(role)
            session.add(self._event(actor.username, "create_role", name, address, None))
            session.flush()
            return role

    def get_role(self, role_id: int) -> tuple[RoleRow, list[RoleGrantRow]]:
        """A role and its grants."""
        with self.db.read() as session:
            role = store.get_role(session, role_id)
            if role is None:
                raise ResourceDoesNotExist(f"Role {role_id} not found.")
            return role, store.list_role_grants(session, role_id)

    def list_roles(self) -> list[RoleRow]:
        """Every role."""
        with self.db.read() as session:
            return store.list_roles(session)

    def delete_role(self, actor: Principal, role_id: int, address: str | None = None) -> None:
        """Delete a role (admins only)."""
        self.require_admin(actor)
        with self.db.write() as session:
            role = store.get_role(session, role_id)
            if role is None:
                raise ResourceDoesNotExist(f"Role {role_id} not found.")
            session.delete(role)
            session.add(self._event(actor.username, "delete_role", str(role_id), address, None))
        self._invalidate()

    def set_role_grant(
        self,
        actor: Principal,
        role_id: int,
        kind: str,
        resource_id: str,
        permission: str | None,
        address: str | None = None,
    ) -> None:
        """Add, change or (``permission=None``) remove one grant of a role (admins only)."""
        self.require_admin(actor)
        if kind not in KINDS:
            raise InvalidParameterValue(f"Invalid resource type {kind!r}; use one of {KINDS}.")
        if permission is not None:
            level_of(permission)
        with self.db.write() as session:
            if store.get_role(session, role_id) is None:
                raise ResourceDoesNotExist(f"Role {role_id} not found.")
            row = session.get(RoleGrantRow, (role_id, kind, resource_id))
            if permission is None and row is not None:
                session.delete(row)
            elif permission is not None and row is not None:
                row.permission = permission
            elif permission is not None:
                session.add(
                    RoleGrantRow(
                        role_id=role_id,
                        resource_type=kind,
                        resource_id=resource_id,
                        permission=permission,
                    )
                )
            session.add(
                self._event(
                    actor.username,
                    "set_role_permission",
                    f"{role_id}:{kind}:{resource_id}",
                    address,
                    permission,
                )
            )
        self._invalidate()

    def assign_role(
        self,
        actor: Principal,
        username: str,
        role_id: int,
        assign: bool,
        address: str | None = None,
    ) -> None:
        """Assign a role to a user or take it away (admins only)."""
        self.require_admin(actor)
        with self.db.write() as session:
            user = self._user(session, username)
            if store.get_role(session, role_id) is None:
                raise ResourceDoesNotExist(f"Role {role_id} not found.")
            row = session.get(UserRoleRow, (user.id, role_id))
            if assign and row is None:
                session.add(UserRoleRow(user_id=user.id, role_id=role_id))
            elif not assign and row is not None:
                session.delete(row)
            action = "assign_role" if assign else "unassign_role"
            session.add(self._event(actor.username, action, f"{username}:{role_id}", address, None))
        self._invalidate()

    def _invalidate(self) -> None:
        with self._lock:
            self._grants.clear()


def auth_database_uri(config: AuthConfig, tracking_uri: str) -> str:
    """The auth database.

    ``database_uri`` from ``basic_auth.ini`` if set; else ``basic_auth.db`` beside a SQLite
    tracking file; else the tracking database itself (PostgreSQL/MySQL: every replica shares
    it, and the auth tables keep their own Alembic version table there).
    """
    if config.database_uri:
        return config.database_uri
    url = sa.engine.make_url(tracking_uri)
    if url.get_backend_name() != "sqlite":
        return tracking_uri
    if url.database and url.database != ":memory:":
        folder = os.path.dirname(os.path.abspath(url.database))
        return "sqlite:///" + os.path.join(folder, "basic_auth.db")
    return "sqlite://"


def build_auth(tracking_uri: str, settings: Settings) -> AuthService:
    """Open (and migrate) the auth database and make sure the admin exists."""
    config = AuthConfig.load(settings)
    if config.admin_password in WELL_KNOWN_PASSWORDS and not settings.auth_dev:
        raise InvalidState(
            f"The admin password is the well-known default {config.admin_password!r}; set "
            "admin_password in basic_auth.ini or MLTRAIL_ADMIN_PASSWORD (or run with --dev)."
        )
    db = Database(auth_database_uri(config, tracking_uri), settings)
    ensure_auth_schema(db)
    service = AuthService(db, config)
    service.bootstrap_admin()
    return service
