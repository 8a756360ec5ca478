"""The Endpoint type: one REST route, its wire models and the permission it needs."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

__all__ = ["Endpoint", "Permission", "Resource"]


class Permission:
    """What a caller needs on the endpoint's resource (checked by the auth layer)."""

    NONE = "NONE"  # any authenticated caller
    READ = "READ"
    USE = "USE"
    EDIT = "EDIT"
    MANAGE = "MANAGE"
    ADMIN = "ADMIN"  # admins only (user and role management)
    SELF = "SELF"  # any authenticated caller; the route itself checks whose data it touches


class Resource:
    """The kind of resource an endpoint acts on."""

    EXPERIMENT = "experiment"
    RUN = "run"
    REGISTERED_MODEL = "registered_model"
    TRACE = "trace"
    TYPED = "typed"  # the kind is in the request's ``resource_type`` field


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One REST route.

    Args:
        name: MLflow's RPC name (``LogMetric``).
        method: HTTP method.
        path: Path after the version prefix (``/mlflow/runs/log-metric``).
        request: Wire model of the request (JSON body, or query string for GET).
        response: Wire model of the response.
        major: API version: served under ``/api/<major>.0`` and ``/ajax-api/<major>.0``.
        permission: Permission the caller needs.
        resource: Kind of resource the permission applies to, if any.
        resource_field: Request field naming that resource.
    """

    name: str
    method: str
    path: str
    request: type[BaseModel]
    response: type[BaseModel]
    major: int = 2
    permission: str = Permission.READ
    resource: str | None = None
    resource_field: str | None = None

    @property
    def api_path(self) -> str:
        """The path under ``/api``: ``/api/2.0/mlflow/runs/log-metric``."""
        return f"/api/{self.major}.0{self.path}"

    @property
    def ajax_path(self) -> str:
        """The same route under ``/ajax-api``, which MLflow's UI calls."""
        return f"/ajax-api/{self.major}.0{self.path}"
