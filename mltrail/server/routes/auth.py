"""Auth routes: users, experiment and registered-model permissions, tokens and roles.

Who may call each route is declared in ``protocol/auth.py`` and checked by the generic
handler; routes marked ``SELF`` check here whose data they touch.
"""

from __future__ import annotations

from typing import Any

from mltrail.exceptions import InvalidState, Unauthenticated
from mltrail.protocol import auth as wire
from mltrail.server.auth import acting_address, acting_principal
from mltrail.server.routing import RouteTable
from mltrail.service.auth import LEVELS, AuthService, Principal
from mltrail.service.services import Services
from mltrail.store.sql.tables.auth import RoleRow, TokenRow, UserRow

__all__ = ["routes"]

routes = RouteTable()


def _ctx(services: Services) -> tuple[AuthService, Principal, str | None]:
    if services.auth is None:
        raise InvalidState("Auth is not enabled on this server; start it with --auth.")
    principal = acting_principal.get()
    if principal is None:
        raise Unauthenticated("Authentication required.")
    return services.auth, principal, acting_address.get()


def _user(auth: AuthService, user: UserRow) -> dict[str, Any]:
    grants = auth.user_grants(user.username)
    return {
        "id": user.id,
        "username": user.username,
        "is_admin": user.is_admin,
        "experiment_permissions": [
            {"experiment_id": rid, "user_id": user.id, "permission": perm}
            for rid, perm in grants["experiment"]
        ],
        "registered_model_permissions": [
            {"name": rid, "user_id": user.id, "permission": perm}
            for rid, perm in grants["registered_model"]
        ],
    }


@routes.bind(wire.CREATE_USER)
def create_user(req: wire.CreateUser, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    user = auth.create_user(actor, req.username, req.password, address=address)
    return {"user": _user(auth, user)}


@routes.bind(wire.GET_USER)
def get_user(req: wire.Username, services: Services) -> dict[str, Any]:
    auth, actor, _ = _ctx(services)
    if req.username != actor.username:
        auth.require_admin(actor)
    return {"user": _user(auth, auth.get_user(req.username))}


@routes.bind(wire.GET_CURRENT_USER)
def get_current_user(req: wire.Username, services: Services) -> dict[str, Any]:
    auth, actor, _ = _ctx(services)
    return {"user": _user(auth, auth.get_user(actor.username))}


@routes.bind(wire.LIST_USERS)
def list_users(req: wire.Username, services: Services) -> dict[str, Any]:
    auth, _, _ = _ctx(services)
    return {"users": [_user(auth, u) for u in auth.list_users()]}


@routes.bind(wire.UPDATE_PASSWORD)
def update_password(req: wire.UpdatePassword, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    auth.update_password(actor, req.username, req.password, address)
    return {}


@routes.bind(wire.UPDATE_ADMIN)
def update_admin(req: wire.UpdateAdmin, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    auth.update_admin(actor, req.username, req.is_admin, address)
    return {}


@routes.bind(wire.DELETE_USER)
def delete_user(req: wire.Username, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    auth.delete_user(actor, req.username, address)
    return {}


def _grant(
    services: Services,
    kind: str,
    rid: str,
    username: str,
    permission: str | None,
    create: bool | None,
) -> None:
    auth, actor, address = _ctx(services)
    auth.set_grant(actor, kind, rid, username, permission, address, create=create)


def _grant_body(auth: AuthService, kind: str, rid: str, username: str) -> dict[str, Any]:
    permission = auth.get_grant(kind, rid, username)
    key = "experiment_id" if kind == "experiment" else "name"
    user_id = auth.get_user(username).id
    return {key: rid, "user_id": user_id, "permission": permission}


@routes.bind(wire.CREATE_EXPERIMENT_PERMISSION)
def create_experiment_permission(req: wire.ExperimentGrant, services: Services) -> dict[str, Any]:
    _grant(services, "experiment", req.experiment_id, req.username, req.permission or "READ", True)
    auth, _, _ = _ctx(services)
    body = _grant_body(auth, "experiment", req.experiment_id, req.username)
    return {"experiment_permission": body}


@routes.bind(wire.GET_EXPERIMENT_PERMISSION)
def get_experiment_permission(req: wire.ExperimentGrant, services: Services) -> dict[str, Any]:
    auth, _, _ = _ctx(services)
    body = _grant_body(auth, "experiment", req.experiment_id, req.username)
    return {"experiment_permission": body}


@routes.bind(wire.UPDATE_EXPERIMENT_PERMISSION)
def update_experiment_permission(req: wire.ExperimentGrant, services: Services) -> dict[str, Any]:
    _grant(services, "experiment", req.experiment_id, req.username, req.permission or "READ", False)
    return {}


@routes.bind(wire.DELETE_EXPERIMENT_PERMISSION)
def delete_experiment_permission(req: wire.ExperimentGrant, services: Services) -> dict[str, Any]:
    _grant(services, "experiment", req.experiment_id, req.username, None, False)
    return {}


@routes.bind(wire.CREATE_MODEL_PERMISSION)
def create_model_permission(req: wire.ModelGrant, services: Services) -> dict[str, Any]:
    _grant(services, "registered_model", req.name, req.username, req.permission or "READ", True)
    auth, _, _ = _ctx(services)
    body = _grant_body(auth, "registered_model", req.name, req.username)
    return {"registered_model_permission": body}


@routes.bind(wire.GET_MODEL_PERMISSION)
def get_model_permission(req: wire.ModelGrant, services: Services) -> dict[str, Any]:
    auth, _, _ = _ctx(services)
    body = _grant_body(auth, "registered_model", req.name, req.username)
    return {"registered_model_permission": body}


@routes.bind(wire.UPDATE_MODEL_PERMISSION)
def update_model_permission(req: wire.ModelGrant, services: Services) -> dict[str, Any]:
    _grant(services, "registered_model", req.name, req.username, req.permission or "READ", False)
    return {}


@routes.bind(wire.DELETE_MODEL_PERMISSION)
def delete_model_permission(req: wire.ModelGrant, services: Services) -> dict[str, Any]:
    _grant(services, "registered_model", req.name, req.username, None, False)
    return {}


@routes.bind(wire.GRANT_USER_PERMISSION)
def grant_user_permission(req: wire.UserGrant, services: Services) -> dict[str, Any]:
    permission = req.permission or "READ"
    _grant(services, req.resource_type, req.resource_id, req.username, permission, None)
    return {}


@routes.bind(wire.REVOKE_USER_PERMISSION)
def revoke_user_permission(req: wire.UserGrant, services: Services) -> dict[str, Any]:
    _grant(services, req.resource_type, req.resource_id, req.username, None, None)
    return {}


@routes.bind(wire.GET_USER_PERMISSION)
def get_user_permission(req: wire.UserGrant, services: Services) -> dict[str, Any]:
    auth, actor, _ = _ctx(services)
    if req.username != actor.username:
        auth.require(actor, req.resource_type, [req.resource_id], LEVELS["MANAGE"])
    user = auth.get_user(req.username)
    subject = Principal(user.id, user.username, user.is_admin)
    level = auth.level(subject, req.resource_type, req.resource_id)
    name = next(n for n, rank in LEVELS.items() if rank == level)
    return {"allowed": level >= LEVELS["USE"], "permission": name}


def _grant_list(auth: AuthService, username: str) -> dict[str, Any]:
    grants = auth.user_grants(username)
    return {
        "permissions": [
            {"resource_type": kind, "resource_id": rid, "permission": perm}
            for kind, pairs in grants.items()
            for rid, perm in pairs
        ]
    }


@routes.bind(wire.LIST_USER_PERMISSIONS)
def list_user_permissions(req: wire.Username, services: Services) -> dict[str, Any]:
    auth, _, _ = _ctx(services)
    return _grant_list(auth, req.username)


@routes.bind(wire.LIST_CURRENT_USER_PERMISSIONS)
def list_current_user_permissions(req: wire.Username, services: Services) -> dict[str, Any]:
    auth, actor, _ = _ctx(services)
    return _grant_list(auth, actor.username)


def _token(row: TokenRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "creation_timestamp": row.created_ms,
        "expiration_timestamp": row.expires_ms,
        "revoked": row.revoked,
    }


@routes.bind(wire.CREATE_TOKEN)
def create_token(req: wire.CreateToken, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    row, secret = auth.create_token(actor, req.name, req.expires_in_days, address)
    return {"token": _token(row), "secret": secret}


@routes.bind(wire.LIST_TOKENS)
def list_tokens(req: wire.Username, services: Services) -> dict[str, Any]:
    auth, actor, _ = _ctx(services)
    return {"tokens": [_token(t) for t in auth.list_tokens(actor)]}


@routes.bind(wire.REVOKE_TOKEN)
def revoke_token(req: wire.RevokeToken, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    auth.revoke_token(actor, req.token_id, address)
    return {}


def _role(row: RoleRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description}


@routes.bind(wire.CREATE_ROLE)
def create_role(req: wire.CreateRole, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    return {"role": _role(auth.create_role(actor, req.name, req.description, address))}


@routes.bind(wire.GET_ROLE)
def get_role(req: wire.RoleId, services: Services) -> dict[str, Any]:
    auth, _, _ = _ctx(services)
    return {"role": _role(auth.get_role(req.role_id)[0])}


@routes.bind(wire.LIST_ROLES)
def list_roles(req: wire.Username, services: Services) -> dict[str, Any]:
    auth, _, _ = _ctx(services)
    return {"roles": [_role(r) for r in auth.list_roles()]}


@routes.bind(wire.DELETE_ROLE)
def delete_role(req: wire.RoleId, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    auth.delete_role(actor, req.role_id, address)
    return {}


@routes.bind(wire.ADD_ROLE_PERMISSION)
def add_role_permission(req: wire.RoleGrant, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    permission = req.permission or "READ"
    auth.set_role_grant(
        actor, req.role_id, req.resource_type, req.resource_pattern, permission, address
    )
    return {}


@routes.bind(wire.REMOVE_ROLE_PERMISSION)
def remove_role_permission(req: wire.RoleGrant, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    auth.set_role_grant(actor, req.role_id, req.resource_type, req.resource_pattern, None, address)
    return {}


@routes.bind(wire.LIST_ROLE_PERMISSIONS)
def list_role_permissions(req: wire.RoleId, services: Services) -> dict[str, Any]:
    auth, _, _ = _ctx(services)
    _, grants = auth.get_role(req.role_id)
    return {
        "role_permissions": [
            {
                "role_id": g.role_id,
                "resource_type": g.resource_type,
                "resource_pattern": g.resource_id,
                "permission": g.permission,
            }
            for g in grants
        ]
    }


@routes.bind(wire.ASSIGN_ROLE)
def assign_role(req: wire.RoleAssignment, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    auth.assign_role(actor, req.username, req.role_id, True, address)
    return {"assignment": {"username": req.username, "role_id": req.role_id}}


@routes.bind(wire.UNASSIGN_ROLE)
def unassign_role(req: wire.RoleAssignment, services: Services) -> dict[str, Any]:
    auth, actor, address = _ctx(services)
    auth.assign_role(actor, req.username, req.role_id, False, address)
    return {}
