"""Wire models and endpoints of the auth routes: MLflow's user and permission routes, plus
personal access tokens and roles."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mltrail.protocol.codec import IdStr, WireModel
from mltrail.protocol.endpoint import Endpoint, Permission, Resource

__all__ = ["ENDPOINTS"]

EXP = Resource.EXPERIMENT
RM = Resource.REGISTERED_MODEL
R, M, A, S = Permission.READ, Permission.MANAGE, Permission.ADMIN, Permission.SELF


class Empty(WireModel):
    """A response with no fields."""


class Username(WireModel):
    username: str = ""


class CreateUser(WireModel):
    username: str
    password: str


class UpdatePassword(WireModel):
    username: str
    password: str


class UpdateAdmin(WireModel):
    username: str
    is_admin: bool


class UserResponse(WireModel):
    user: dict[str, Any]


class UsersResponse(WireModel):
    users: list[dict[str, Any]] = Field(default_factory=list)


class ExperimentGrant(WireModel):
    experiment_id: IdStr
    username: str
    permission: str | None = None


class ExperimentGrantResponse(WireModel):
    experiment_permission: dict[str, Any] | None = None


class ModelGrant(WireModel):
    name: str
    username: str
    permission: str | None = None


class ModelGrantResponse(WireModel):
    registered_model_permission: dict[str, Any] | None = None


class UserGrant(WireModel):
    username: str
    resource_type: str
    resource_id: IdStr
    permission: str | None = None


class UserGrantResponse(WireModel):
    allowed: bool = False
    permission: str | None = None


class UserGrantsResponse(WireModel):
    permissions: list[dict[str, Any]] = Field(default_factory=list)


class CreateToken(WireModel):
    name: str = "token"
    expires_in_days: int | None = None


class TokenResponse(WireModel):
    token: dict[str, Any]
    secret: str | None = None


class TokensResponse(WireModel):
    tokens: list[dict[str, Any]] = Field(default_factory=list)


class RevokeToken(WireModel):
    token_id: int


class CreateRole(WireModel):
    name: str
    description: str | None = None


class RoleId(WireModel):
    role_id: int


class RoleResponse(WireModel):
    role: dict[str, Any]


class RolesResponse(WireModel):
    roles: list[dict[str, Any]] = Field(default_factory=list)


class RoleGrant(WireModel):
    role_id: int
    resource_type: str
    resource_pattern: str
    permission: str | None = None


class RoleGrantsResponse(WireModel):
    role_permissions: list[dict[str, Any]] = Field(default_factory=list)


class RoleAssignment(WireModel):
    username: str
    role_id: int


class AssignmentResponse(WireModel):
    assignment: dict[str, Any] | None = None


def _e(
    name: str,
    method: str,
    path: str,
    req: type[WireModel],
    resp: type[WireModel],
    perm: str,
    res: str | None = None,
    field: str | None = None,
    major: int = 2,
) -> Endpoint:
    return Endpoint(name, method, path, req, resp, major, perm, res, field)


_U = "/mlflow/users"
_XP = "/mlflow/experiments/permissions"
_MP = "/mlflow/registered-models/permissions"
_RL = "/mlflow/roles"

CREATE_USER = _e("CreateUser", "POST", f"{_U}/create", CreateUser, UserResponse, A)
GET_USER = _e("GetUser", "GET", f"{_U}/get", Username, UserResponse, S)
GET_CURRENT_USER = _e("GetCurrentUser", "GET", f"{_U}/current", Username, UserResponse, S)
LIST_USERS = _e("ListUsers", "GET", f"{_U}/list", Username, UsersResponse, A)
UPDATE_PASSWORD = _e(
    "UpdateUserPassword", "PATCH", f"{_U}/update-password", UpdatePassword, Empty, S
)
UPDATE_ADMIN = _e("UpdateUserAdmin", "PATCH", f"{_U}/update-admin", UpdateAdmin, Empty, A)
DELETE_USER = _e("DeleteUser", "DELETE", f"{_U}/delete", Username, Empty, A)

_XG = (ExperimentGrant, ExperimentGrantResponse)
CREATE_EXPERIMENT_PERMISSION = _e(
    "CreateExperimentPermission", "POST", f"{_XP}/create", *_XG, M, EXP, "experiment_id"
)
GET_EXPERIMENT_PERMISSION = _e(
    "GetExperimentPermission", "GET", f"{_XP}/get", *_XG, M, EXP, "experiment_id"
)
UPDATE_EXPERIMENT_PERMISSION = _e(
    "UpdateExperimentPermission",
    "PATCH",
    f"{_XP}/update",
    ExperimentGrant,
    Empty,
    M,
    EXP,
    "experiment_id",
)
DELETE_EXPERIMENT_PERMISSION = _e(
    "DeleteExperimentPermission",
    "DELETE",
    f"{_XP}/delete",
    ExperimentGrant,
    Empty,
    M,
    EXP,
    "experiment_id",
)
_MG = (ModelGrant, ModelGrantResponse)
CREATE_MODEL_PERMISSION = _e(
    "CreateRegisteredModelPermission", "POST", f"{_MP}/create", *_MG, M, RM, "name"
)
GET_MODEL_PERMISSION = _e("GetRegisteredModelPermission", "GET", f"{_MP}/get", *_MG, M, RM, "name")
UPDATE_MODEL_PERMISSION = _e(
    "UpdateRegisteredModelPermission", "PATCH", f"{_MP}/update", ModelGrant, Empty, M, RM, "name"
)
DELETE_MODEL_PERMISSION = _e(
    "DeleteRegisteredModelPermission", "DELETE", f"{_MP}/delete", ModelGrant, Empty, M, RM, "name"
)

_UP = "/mlflow/users/permissions"
TY = Resource.TYPED
GRANT_USER_PERMISSION = _e(
    "GrantUserPermission", "POST", f"{_UP}/grant", UserGrant, Empty, M, TY, "resource_id", 3
)
REVOKE_USER_PERMISSION = _e(
    "RevokeUserPermission", "POST", f"{_UP}/revoke", UserGrant, Empty, M, TY, "resource_id", 3
)
GET_USER_PERMISSION = _e(
    "GetUserPermission", "GET", f"{_UP}/get", UserGrant, UserGrantResponse, S, major=3
)
LIST_USER_PERMISSIONS = _e(
    "ListUserPermissions", "GET", f"{_UP}/list", Username, UserGrantsResponse, A, major=3
)
LIST_CURRENT_USER_PERMISSIONS = _e(
    "ListCurrentUserPermissions",
    "GET",
    f"{_U}/current/permissions",
    Username,
    UserGrantsResponse,
    S,
    major=3,
)

CREATE_TOKEN = _e("CreateAccessToken", "POST", f"{_U}/tokens/create", CreateToken, TokenResponse, S)
LIST_TOKENS = _e("ListAccessTokens", "GET", f"{_U}/tokens/list", Username, TokensResponse, S)
REVOKE_TOKEN = _e("RevokeAccessToken", "POST", f"{_U}/tokens/revoke", RevokeToken, Empty, S)

CREATE_ROLE = _e("CreateRole", "POST", f"{_RL}/create", CreateRole, RoleResponse, A, major=3)
GET_ROLE = _e("GetRole", "GET", f"{_RL}/get", RoleId, RoleResponse, A, major=3)
LIST_ROLES = _e("ListRoles", "GET", f"{_RL}/list", Username, RolesResponse, A, major=3)
DELETE_ROLE = _e("DeleteRole", "DELETE", f"{_RL}/delete", RoleId, Empty, A, major=3)
ADD_ROLE_PERMISSION = _e(
    "AddRolePermission", "POST", f"{_RL}/permissions/add", RoleGrant, Empty, A, major=3
)
REMOVE_ROLE_PERMISSION = _e(
    "RemoveRolePermission", "DELETE", f"{_RL}/permissions/remove", RoleGrant, Empty, A, major=3
)
LIST_ROLE_PERMISSIONS = _e(
    "ListRolePermissions", "GET", f"{_RL}/permissions/list", RoleId, RoleGrantsResponse, A, major=3
)
ASSIGN_ROLE = _e(
    "AssignRole", "POST", f"{_RL}/assign", RoleAssignment, AssignmentResponse, A, major=3
)
UNASSIGN_ROLE = _e("UnassignRole", "DELETE", f"{_RL}/unassign", RoleAssignment, Empty, A, major=3)

ENDPOINTS: tuple[Endpoint, ...] = (
    CREATE_USER,
    GET_USER,
    GET_CURRENT_USER,
    LIST_USERS,
    UPDATE_PASSWORD,
    UPDATE_ADMIN,
    DELETE_USER,
    CREATE_EXPERIMENT_PERMISSION,
    GET_EXPERIMENT_PERMISSION,
    UPDATE_EXPERIMENT_PERMISSION,
    DELETE_EXPERIMENT_PERMISSION,
    CREATE_MODEL_PERMISSION,
    GET_MODEL_PERMISSION,
    UPDATE_MODEL_PERMISSION,
    DELETE_MODEL_PERMISSION,
    GRANT_USER_PERMISSION,
    REVOKE_USER_PERMISSION,
    GET_USER_PERMISSION,
    LIST_USER_PERMISSIONS,
    LIST_CURRENT_USER_PERMISSIONS,
    CREATE_TOKEN,
    LIST_TOKENS,
    REVOKE_TOKEN,
    CREATE_ROLE,
    GET_ROLE,
    LIST_ROLES,
    DELETE_ROLE,
    ADD_ROLE_PERMISSION,
    REMOVE_ROLE_PERMISSION,
    LIST_ROLE_PERMISSIONS,
    ASSIGN_ROLE,
    UNASSIGN_ROLE,
)
