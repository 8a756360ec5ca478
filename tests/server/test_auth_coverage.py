"""Every route of the app declares a permission: the endpoint table or the auth rules cover it."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mltrail.config import Settings
from mltrail.protocol.endpoint import Permission
from mltrail.protocol.endpoints import ENDPOINTS
from mltrail.server.app import create_app
from mltrail.server.auth import uncovered_routes

_KNOWN = {
    Permission.NONE,
    Permission.READ,
    Permission.USE,
    Permission.EDIT,
    Permission.MANAGE,
    Permission.ADMIN,
    Permission.SELF,
}


def _declared() -> set[tuple[str, str]]:
    return {(e.method, p) for e in ENDPOINTS for p in (e.api_path, e.ajax_path)}


def test_every_app_route_declares_a_permission() -> None:
    app = create_app(Settings(auth_enabled=True))
    assert uncovered_routes(app.router.routes, _declared()) == []


def test_a_route_without_a_permission_is_reported() -> None:
    app = create_app(Settings(auth_enabled=True))

    async def rogue(request: Request) -> Response:
        return PlainTextResponse("leak")

    app.router.routes.append(Route("/api/2.0/mlflow/rogue", rogue, methods=["GET"]))
    assert uncovered_routes(app.router.routes, _declared()) == ["GET /api/2.0/mlflow/rogue"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e.method}-{e.name}" for e in ENDPOINTS])
def test_every_endpoint_names_a_known_permission_and_its_resource(endpoint: object) -> None:
    permission = getattr(endpoint, "permission", None)
    assert permission in _KNOWN
    if getattr(endpoint, "resource", None) is not None:
        field = getattr(endpoint, "resource_field", None)
        request = endpoint.request  # type: ignore[attr-defined]
        # a field of the wire model, or a property deriving it from nested fields
        assert field in request.model_fields or isinstance(getattr(request, field, None), property)
