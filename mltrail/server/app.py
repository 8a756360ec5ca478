"""``create_app(settings)``: the only way to build the tracking server's FastAPI app.

The app is stateless: everything durable lives in the database and the artifact store, and each
worker process builds its own ``Services`` in the lifespan. ``app_factory`` is the zero-argument
factory that ``uvicorn --factory`` calls in every worker; it reads ``Settings`` from the
environment, which ``mltrail server`` fills from its options.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mltrail.config import DEFAULT_TRACKING_URI, Settings
from mltrail.protocol.codec import dumps
from mltrail.protocol.endpoints import ENDPOINTS
from mltrail.server.auth import AuthMiddleware, uncovered_routes
from mltrail.server.errors import install_error_handlers
from mltrail.server.openapi import build_openapi
from mltrail.server.routes import ALL_TABLES, ARTIFACT_TABLES
from mltrail.server.routes.artifacts import install_proxy
from mltrail.server.routes.ui import install_ui
from mltrail.server.routing import ExactPathRoutes, make_handler
from mltrail.service.auth import build_auth
from mltrail.service.services import Services
from mltrail.store.sql.migrations import ensure_schema

__all__ = ["DEFAULT_SERVED_ARTIFACT_ROOT", "app_factory", "create_app", "server_artifact_root"]

# Where runs keep artifacts when the server proxies them: clients upload through the server.
DEFAULT_SERVED_ARTIFACT_ROOT = "mlflow-artifacts:/"


def server_artifact_root(settings: Settings) -> str:
    """The root for new experiments: the configured one, else the proxy or a local folder."""
    if settings.default_artifact_root:
        return settings.default_artifact_root
    if settings.serve_artifacts:
        return DEFAULT_SERVED_ARTIFACT_ROOT
    return "./mltrail-artifacts"


def create_app(settings: Settings) -> FastAPI:
    """Build the tracking server app for ``settings`` (nothing is opened until start-up)."""

    artifacts_only = settings.artifacts_only

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # An artifacts-only server has no tracking store: an unused in-memory database stands in.
        uri = "sqlite://" if artifacts_only else settings.backend_store_uri or DEFAULT_TRACKING_URI
        services = Services(uri, server_artifact_root(settings), settings)
        if settings.auth_enabled:
            services.auth = build_auth(settings.backend_store_uri or DEFAULT_TRACKING_URI, settings)
        if not artifacts_only:
            ensure_schema(services.db)
        app.state.services = services
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="mltrail tracking server",
        version=version("mltrail"),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_error_handlers(app)
    exact = ExactPathRoutes()
    app.router.routes.append(exact)
    declared: set[tuple[str, str]] = set()
    for table in ARTIFACT_TABLES if artifacts_only else ALL_TABLES:
        for bound in table.bound:
            handler = make_handler(bound)
            endpoint = bound.endpoint
            for path in (endpoint.api_path, endpoint.ajax_path):
                # A plain Starlette route: the handler parses and validates the request itself,
                # so FastAPI's per-request dependency solving would only add latency.
                route_path = path.replace("{artifact_path}", "{artifact_path:path}")
                route = Route(route_path, handler, methods=[endpoint.method])
                if route.param_convertors:
                    app.router.routes.append(route)
                else:
                    exact.add(route)
                declared.add((endpoint.method, path))

    if settings.serve_artifacts or artifacts_only:
        install_proxy(app, with_run_routes=not artifacts_only)

    document = build_openapi(ENDPOINTS, version("mltrail"))

    @app.get("/openapi.json", include_in_schema=False)
    def openapi() -> Response:
        return Response(dumps(document), media_type="application/json")

    @app.get("/health", include_in_schema=False)
    def health() -> Response:
        return PlainTextResponse("OK")

    @app.get("/version", include_in_schema=False)
    def server_version() -> Response:
        return PlainTextResponse(version("mltrail"))

    @app.get("/api/3.0/mlflow/server-info", include_in_schema=False)
    @app.get("/ajax-api/3.0/mlflow/server-info", include_in_schema=False)
    def server_info() -> Response:
        body = {"store_type": "SqlStore", "server": "mltrail", "version": version("mltrail")}
        return Response(dumps(body), media_type="application/json")

    install_ui(app)
    missing = uncovered_routes(app.router.routes, declared)
    if settings.auth_enabled and missing:
        raise RuntimeError(
            f"Routes without a declared permission: {missing}; add them to the endpoint table "
            "or to mltrail.server.auth.EXTRA_RULES."
        )
    hosts = settings.allowed_hosts
    allowed = frozenset(h.strip().lower() for h in hosts.split(",") if h.strip()) if hosts else None
    origins = [o.strip() for o in (settings.cors_allowed_origins or "").split(",") if o.strip()]
    if origins:  # CORS is off unless origins are configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(AuthMiddleware, allowed_hosts=allowed)
    return app


def app_factory() -> FastAPI:
    """Zero-argument factory for ``uvicorn --factory``: settings from the environment."""
    return create_app(Settings.from_env())
