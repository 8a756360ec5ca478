"""Binding route functions to protocol Endpoints, and the one generic request adapter.

A route function takes the decoded request model and the ``Services`` and returns the response
as a JSON-shaped dict. The adapter reads the request (JSON body, or the query string for GET),
validates it against the endpoint's wire model, runs the function in the thread pool (services
are synchronous) and encodes the result by the codec's rules.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from mltrail.exceptions import ErrorCode, MlflowException
from mltrail.protocol.codec import decode_body, decode_query, dumps, parse_request, prune
from mltrail.protocol.endpoint import Endpoint
from mltrail.server.auth import (
    acting_address,
    acting_principal,
    authorize,
    client_address,
    filter_result,
)
from mltrail.service.actor import acting_as
from mltrail.service.auth import Principal
from mltrail.service.services import Services

__all__ = ["Bound", "ExactPathRoutes", "RouteTable", "make_handler"]

RouteFn = Callable[[Any, Services], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Bound:
    """An endpoint and the function that serves it."""

    endpoint: Endpoint
    fn: RouteFn


class RouteTable:
    """The route functions of one resource module, collected by ``@table.bind(ENDPOINT)``."""

    def __init__(self) -> None:
        self.bound: list[Bound] = []

    def bind(self, *endpoints: Endpoint) -> Callable[[RouteFn], RouteFn]:
        """Register a function as the server of one or more endpoints (GET and POST twins)."""

        def register(fn: RouteFn) -> RouteFn:
            for endpoint in endpoints:
                self.bound.append(Bound(endpoint, fn))
            return fn

        return register


class PayloadTooLarge(MlflowException):
    """The request body is larger than the server accepts."""

    default_error_code = ErrorCode.RESOURCE_EXHAUSTED

    def get_http_status_code(self) -> int:
        return 413


_JSON = "application/json"
_REQUEST_ID = "x-request-id"


def _basic_user(request: Request) -> str | None:
    """The user name of a Basic ``Authorization`` header, recorded in audit events."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = decoded.partition(":")[0]
    return user or None


def _run_as_caller(
    request: Request, fn: RouteFn, req: Any, services: Services
) -> dict[str, Any] | None:
    request_id = request.headers.get(_REQUEST_ID) or uuid.uuid4().hex
    with acting_as(_basic_user(request), request_id[:64]):
        return fn(req, services)


def _as_principal(
    endpoint: Endpoint,
    fn: RouteFn,
    req: Any,
    services: Services,
    principal: Principal,
    address: str | None,
    request_id: str,
) -> dict[str, Any] | None:
    """Authorize, then serve as the caller (one thread-pool hop for both)."""
    authorize(services, endpoint, req, principal)
    token, where = acting_principal.set(principal), acting_address.set(address)
    try:
        with acting_as(principal.username, request_id):
            return filter_result(services, endpoint, principal, fn(req, services))
    finally:
        acting_principal.reset(token)
        acting_address.reset(where)


def make_handler(bound: Bound) -> Callable[[Request], Awaitable[Response]]:
    """Build the ASGI-level handler of one bound endpoint."""
    endpoint, fn = bound.endpoint, bound.fn
    model = endpoint.request
    is_get = endpoint.method == "GET"
    # Some clients send a DELETE's fields in the query string instead of a JSON body.
    is_delete = endpoint.method == "DELETE"

    async def handler(request: Request) -> Response:
        services: Services = request.app.state.services
        if is_get:
            data = decode_query(model, request.query_params.multi_items())
        else:
            limit = services.settings.server_max_body_bytes
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise PayloadTooLarge(f"Request body of {declared} bytes exceeds {limit} bytes.")
            body = await request.body()
            if len(body) > limit:
                raise PayloadTooLarge(f"Request body of {len(body)} bytes exceeds {limit} bytes.")
            data = decode_body(body)
            if is_delete and not data and request.query_params:
                data = decode_query(model, request.query_params.multi_items())
        if request.path_params:
            data.update(request.path_params)
        req = parse_request(model, data)
        principal = request.scope.get("state", {}).get("principal")
        if principal is None:
            result = await run_in_threadpool(_run_as_caller, request, fn, req, services)
        else:
            address = client_address(request.scope)
            request_id = (request.headers.get(_REQUEST_ID) or uuid.uuid4().hex)[:64]
            result = await run_in_threadpool(
                _as_principal, endpoint, fn, req, services, principal, address, request_id
            )
        return Response(dumps(prune(result or {})), media_type=_JSON)

    handler.__name__ = endpoint.name
    return handler


def _route_path(scope: Scope) -> str:
    """The request path below the app's mount point (``root_path``), as routes see it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        return path[len(root) :]
    return path


class ExactPathRoutes(BaseRoute):
    """Many fixed-path routes matched by one dictionary lookup.

    Starlette tries its routes one by one with a regular expression each; with a hundred REST
    paths that scan cost more than the service call behind a log-metric request. Routes whose
    path has no parameters are gathered here, so a request finds its route in constant time;
    a known path with another method is a partial match, which Starlette answers with 405.
    """

    def __init__(self) -> None:
        self._routes: dict[str, dict[str, Route]] = {}

    def add(self, route: Route) -> None:
        """Add a parameterless route (one entry per method it accepts)."""
        by_method = self._routes.setdefault(route.path, {})
        for method in route.methods or ():
            by_method[method] = route

    def _lookup(self, scope: Scope) -> tuple[Match, Route | None]:
        if scope["type"] != "http":
            return Match.NONE, None
        by_method = self._routes.get(_route_path(scope))
        if by_method is None:
            return Match.NONE, None
        route = by_method.get(scope["method"])
        if route is None:
            return Match.PARTIAL, next(iter(by_method.values()))
        return Match.FULL, route

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, route = self._lookup(scope)
        if route is None:
            return Match.NONE, {}
        return match, {"endpoint": route.endpoint, "path_params": {}}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        _, route = self._lookup(scope)
        assert route is not None  # handle() follows a successful matches()
        scope["route"] = route
        await route.handle(scope, receive, send)
