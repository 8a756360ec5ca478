"""Authentication and authorization of every route, in one place.

``AuthMiddleware`` runs first on every HTTP request: it checks the Host header against
``--allowed-hosts``, adds security headers, authenticates the caller (HTTP Basic or Bearer
token) and authorizes the routes that are not in the endpoint table (the artifact proxy and
``/get-artifact``) by ``EXTRA_RULES``. Routes of the endpoint table are authorized by
``authorize`` from the generic handler in ``routing.py``, reading the endpoint's declared
``permission``, ``resource`` and ``resource_field``: a new endpoint is covered by filling in
those fields, never by writing a check. ``uncovered_routes`` lists app routes that neither
covers; ``create_app`` refuses to build an app with auth on while any exist.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mltrail.exceptions import ErrorCode, MlflowException, PermissionDenied, Unauthenticated
from mltrail.protocol.codec import dumps
from mltrail.protocol.endpoint import Endpoint, Permission, Resource
from mltrail.service.auth import LEVELS, AuthService, Principal
from mltrail.service.services import Services

__all__ = [
    "EXTRA_RULES",
    "PUBLIC_PATHS",
    "UI_PATHS",
    "AuthMiddleware",
    "ExtraRule",
    "acting_address",
    "acting_principal",
    "authorize",
    "client_address",
    "filter_result",
    "uncovered_routes",
]

PUBLIC_PATHS = frozenset({"/health", "/version"})
# The web UI's pages (static files, no data): any authenticated caller may load them; every
# piece of data they show comes through API routes, which are authorized as usual.
UI_PATHS = frozenset({"/", "/{path}"})
_PROXY = r"/(?:api|ajax-api)/2\.0/mlflow-artifacts/artifacts"

# The caller of the request being served, for route functions that act on "the current user".
acting_principal: ContextVar[Principal | None] = ContextVar("acting_principal", default=None)
acting_address: ContextVar[str | None] = ContextVar("acting_address", default=None)


@dataclass(frozen=True, slots=True)
class ExtraRule:
    """The permission of a route outside the endpoint table.

    Args:
        pattern: Regular expression the whole path must match.
        methods: Permission per HTTP method.
        resource: Resource kind the permission applies to (None: any authenticated caller).
        locate: Returns the resource id from the path match and the query string.
        field: What that id is, when it is not the resource's own id (e.g. ``model_id``).
    """

    pattern: re.Pattern[str]
    methods: dict[str, str]
    resource: str | None = None
    locate: Callable[[re.Match[str], dict[str, str]], str | None] | None = None
    field: str | None = None


def _first_segment(match: re.Match[str], query: dict[str, str]) -> str | None:
    path = match.group("path") if match.group("path") else query.get("path", "")
    head = path.strip("/").split("/", 1)[0]
    return head or None


def _run_param(match: re.Match[str], query: dict[str, str]) -> str | None:
    return query.get("run_uuid") or query.get("run_id")


EXTRA_RULES: tuple[ExtraRule, ...] = (
    # Proxied artifacts live under <experiment_id>/...: the first segment names the experiment.
    ExtraRule(
        re.compile(_PROXY + r"(?:/(?P<path>.*))?"),
        {"GET": Permission.READ, "PUT": Permission.EDIT, "DELETE": Permission.MANAGE},
        Resource.EXPERIMENT,
        _first_segment,
    ),
    ExtraRule(
        re.compile(r"/get-artifact|/ajax-api/2\.0/mlflow/get-artifact"),
        {"GET": Permission.READ},
        Resource.RUN,
        _run_param,
    ),
    ExtraRule(
        re.compile(
            r"/model-versions/get-artifact|/ajax-api/2\.0/mlflow/model-versions/get-artifact"
        ),
        {"GET": Permission.READ},
        Resource.REGISTERED_MODEL,
        lambda match, query: query.get("name"),
    ),
    ExtraRule(
        re.compile(r"/ajax-api/2\.0/mlflow/logged-models/(?P<model_id>[^/]+)/artifacts/files"),
        {"GET": Permission.READ},
        Resource.EXPERIMENT,
        lambda match, query: match.group("model_id"),
        "model_id",
    ),
    ExtraRule(
        re.compile(r"/openapi\.json|/(?:api|ajax-api)/3\.0/mlflow/server-info"),
        {"GET": Permission.NONE},
    ),
)

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
]
_CHALLENGE = (b"www-authenticate", b'Basic realm="mltrail"')


def _error(
    status: int, code: str, message: str, extra: Iterable[tuple[bytes, bytes]] = ()
) -> list[Message]:
    body = dumps({"error_code": code, "message": message})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.extend(extra)
    return [
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body},
    ]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def client_address(scope: Scope) -> str | None:
    """The peer address of a request (what the audit log records as "from where")."""
    return _address(scope)


def _address(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _authenticate(auth: AuthService, scope: Scope) -> Principal:
    header = _header(scope, b"authorization")
    if not header:
        raise Unauthenticated("Authentication required: send HTTP Basic credentials or a token.")
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    address = _address(scope)
    if scheme == "bearer" and value:
        return auth.authenticate_token(header, value.strip(), address)
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("Malformed Basic credentials.") from None
        username, sep, password = decoded.partition(":")
        if sep:
            return auth.authenticate_basic(header, username, password, address)
    raise Unauthenticated("Unsupported Authorization header: use Basic or Bearer.")


class AuthMiddleware:
    """ASGI middleware: allowed hosts, security headers, authentication, extra-route rules.

    Args:
        app: The wrapped ASGI app.
        allowed_hosts: Host names (without port) the server answers to; None allows any.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: frozenset[str] | None = None) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                headers.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        denied = await self._check(scope)
        if denied is not None:
            for message in denied:
                await send_with_headers(message)
            return
        await self.app(scope, receive, send_with_headers)

    async def _check(self, scope: Scope) -> list[Message] | None:
        if self.allowed_hosts is not None:
            host = (_header(scope, b"host") or "").rsplit(":", 1)[0].strip("[]").lower()
            if host not in self.allowed_hosts:
                return _error(400, ErrorCode.BAD_REQUEST, f"Host {host!r} is not allowed.")
        services: Services | None = getattr(scope["app"].state, "services", None)
        auth = services.auth if services is not None else None
        if auth is None or scope["path"] in PUBLIC_PATHS:
            return None
        header = _header(scope, b"authorization")
        try:
            principal = auth.cached(header) if header else None
            if principal is None:
                principal = await run_in_threadpool(_authenticate, auth, scope)
            scope.setdefault("state", {})["principal"] = principal
            rule = _extra_rule(scope["path"])
            if rule is not None:
                await run_in_threadpool(_authorize_extra, services, principal, rule, scope)
        except MlflowException as exc:
            status = exc.get_http_status_code()
            extra = [_CHALLENGE] if status == 401 else []
            return _error(status, exc.error_code, exc.message, extra)
        return None


def _extra_rule(path: str) -> ExtraRule | None:
    for rule in EXTRA_RULES:
        if rule.pattern.fullmatch(path):
            return rule
    return None


def _authorize_extra(
    services: Services | None, principal: Principal, rule: ExtraRule, scope: Scope
) -> None:
    assert services is not None
    assert services.auth is not None
    match = rule.pattern.fullmatch(scope["path"])
    assert match is not None
    permission = rule.methods.get(scope["method"], Permission.ADMIN)
    if rule.resource is None or principal.is_admin:
        _check(services.auth, principal, permission, None, [])
        return
    query = dict(_parse_query(scope.get("query_string", b"")))
    rid = rule.locate(match, query) if rule.locate else None
    if rid is None:
        raise PermissionDenied("Only admins may list or change artifacts outside an experiment.")
    kind, ids = _resolve(services, rule.resource, rule.field, [rid])
    _check(services.auth, principal, permission, kind, ids)


def _parse_query(raw: bytes) -> list[tuple[str, str]]:
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True)


def _check(
    auth: AuthService, principal: Principal, permission: str, kind: str | None, ids: list[str]
) -> None:
    if permission in (Permission.NONE, Permission.SELF):
        return
    if permission == Permission.ADMIN or kind is None:
        if permission == Permission.ADMIN:
            auth.require_admin(principal)
        return
    auth.require(principal, kind, ids, LEVELS[permission])


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _run_owner(services: Services, run_id: str) -> str:
    return services.tracking.get_run(run_id).info.experiment_id


def _trace_owner(services: Services, trace_id: str) -> str:
    return services.tracking.get_trace_info(trace_id).experiment_id


def _model_owner(services: Services, model_id: str) -> str:
    return services.tracking.get_logged_model(model_id).experiment_id


def _resolve(
    services: Services, resource: str, field: str | None, ids: list[str]
) -> tuple[str, list[str]]:
    """Map request ids to the (kind, ids) that grants are held on."""
    tracking = services.tracking
    auth = services.auth
    assert auth is not None
    if resource == Resource.RUN:
        return "experiment", [
            auth.owner_experiment("run:" + rid, partial(_run_owner, services, rid)) for rid in ids
        ]
    if resource == Resource.EXPERIMENT and field == "experiment_name":
        found = [tracking.get_experiment_by_name(name) for name in ids]
        return "experiment", [e.experiment_id for e in found if e is not None]
    if resource == Resource.EXPERIMENT and field == "model_id":
        return "experiment", [
            auth.owner_experiment("model:" + mid, partial(_model_owner, services, mid))
            for mid in ids
        ]
    if resource == Resource.TRACE:
        return "experiment", [
            auth.owner_experiment("trace:" + tid, partial(_trace_owner, services, tid))
            for tid in ids
        ]
    if resource == Resource.EXPERIMENT and field == "artifact_path":
        # Proxied artifacts live under <experiment_id>/...: the first segment names it.
        return "experiment", [i.strip("/").split("/", 1)[0] for i in ids if i.strip("/")]
    if resource == Resource.EXPERIMENT:
        return "experiment", ids
    if resource in (Resource.REGISTERED_MODEL, "model_version"):
        return "registered_model", ids
    return resource, ids  # unknown kinds fail closed in AuthService.level


def authorize(services: Services, endpoint: Endpoint, req: Any, principal: Principal) -> None:
    """Check the caller against the endpoint's declared permission (runs in the thread pool).

    Raises:
        PermissionDenied: The caller lacks the permission on the request's resource.
    """
    assert services.auth is not None
    permission = endpoint.permission
    if principal.is_admin or permission in (Permission.NONE, Permission.SELF):
        return
    if endpoint.resource is None or endpoint.resource_field is None:
        _check(services.auth, principal, permission, None, [])
        return
    ids = _values(getattr(req, endpoint.resource_field, None))
    resource = endpoint.resource
    if resource == Resource.TYPED:
        resource = str(getattr(req, "resource_type", ""))
    kind, resolved = _resolve(services, resource, endpoint.resource_field, ids)
    _check(services.auth, principal, permission, kind, resolved)


# Search/list responses filtered to what the caller may read: list field, id field, kind.
_RESULT_FILTERS: dict[str, tuple[str, str, str]] = {
    "SearchExperiments": ("experiments", "experiment_id", "experiment"),
    "SearchRegisteredModels": ("registered_models", "name", "registered_model"),
    "SearchModelVersions": ("model_versions", "name", "registered_model"),
}


# Creating one of these gives the creator MANAGE on it: kind, then the path to its id.
_CREATOR_GRANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "CreateExperiment": ("experiment", ("experiment_id",)),
    "CreateRegisteredModel": ("registered_model", ("registered_model", "name")),
}


def _dig(result: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = result
    for key in path:
        value = _item_key(value, key) if value is not None else None
    return value


def filter_result(
    services: Services, endpoint: Endpoint, principal: Principal, result: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Grant creators MANAGE on what they created; drop search items the caller may not read."""
    created = _CREATOR_GRANTS.get(endpoint.name)
    if created is not None and result is not None and services.auth is not None:
        rid = _dig(result, created[1])
        if rid is not None:
            services.auth.grant_creator(principal, created[0], str(rid))
    spec = _RESULT_FILTERS.get(endpoint.name)
    if spec is None or result is None or principal.is_admin:
        return result
    assert services.auth is not None
    field, key, kind = spec
    items = result.get(field)
    if items:
        read = LEVELS["READ"]
        result[field] = [
            item
            for item in items
            if services.auth.level(principal, kind, str(_item_key(item, key))) >= read
        ]
    return result


def _item_key(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def uncovered_routes(routes: Iterable[BaseRoute], bound: set[tuple[str, str]]) -> list[str]:
    """Routes that neither the endpoint table nor ``EXTRA_RULES``/``PUBLIC_PATHS`` cover."""
    missing = []
    for route in routes:
        if not isinstance(route, Route):
            continue
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            # A declared {name} may be routed as {name:path}; they are the same route.
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
            if (method, path) in bound or path in PUBLIC_PATHS or path in UI_PATHS:
                continue
            rule = _extra_rule(_sample(path))
            if rule is None or method not in rule.methods:
                missing.append(f"{method} {path}")
    return missing


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)
