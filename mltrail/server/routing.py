"""Binding route functions to protocol Endpoints, and the one generic request adapter.

A route function takes the decoded request model and the ``Services`` and returns the response
as a JSON-shaped dict. The adapter reads the request (JSON body, or the query string for GET),
validates it against the endpoint's wire model, runs the function in the thread pool (services
are synchronous) and encodes the result by the codec's rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

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
from mltrail.service.auth import Principal
from mltrail.service.services import Services

__all__ = ["Bound", "RouteTable", "make_handler"]

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


def _as_principal(
    endpoint: Endpoint,
    fn: RouteFn,
    req: Any,
    services: Services,
    principal: Principal,
    address: str | None,
) -> dict[str, Any] | None:
    """Authorize, then serve as the caller (one thread-pool hop for both)."""
    authorize(services, endpoint, req, principal)
    token, where = acting_principal.set(principal), acting_address.set(address)
    try:
        return filter_result(services, endpoint, principal, fn(req, services))
    finally:
        acting_principal.reset(token)
        acting_address.reset(where)


def make_handler(bound: Bound) -> Callable[[Request], Awaitable[Response]]:
    """Build the ASGI-level handler of one bound endpoint."""
    endpoint, fn = bound.endpoint, bound.fn
    model = endpoint.request
    is_get = endpoint.method == "GET"

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
        if request.path_params:
            data.update(request.path_params)
        req = parse_request(model, data)
        principal = request.scope.get("state", {}).get("principal")
        if principal is None:
            result = await run_in_threadpool(fn, req, services)
        else:
            address = client_address(request.scope)
            result = await run_in_threadpool(
                _as_principal, endpoint, fn, req, services, principal, address
            )
        return Response(dumps(prune(result or {})), media_type=_JSON)

    handler.__name__ = endpoint.name
    return handler
