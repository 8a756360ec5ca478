"""The web UI: hand-written ES modules and CSS served from ``mltrail/server/static``.

There is no JavaScript build step: the files in ``static/`` are the UI, packaged in the wheel.
``/`` serves ``index.html``; ``/static-files/...`` serves the assets; any other GET path outside
the APIs falls back to ``index.html`` so client-side routes survive a reload. Every UI response
carries a strict Content-Security-Policy (self only, no inline scripts).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["CSP", "STATIC_DIR", "install_ui"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; frame-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_API_PREFIXES = ("api/", "ajax-api/", "get-artifact", "static-files/")


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


class _SecureStatic(StaticFiles):
    """Static files with the UI's security headers and no caching of stale modules."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return _secure(response)


def _other_method(request: Request) -> bool:
    """Whether some API route serves this path with another method (then 405, not 404)."""
    routes: list[BaseRoute] = request.app.router.routes
    return any(
        route.matches(request.scope)[0] == Match.PARTIAL
        for route in routes
        if getattr(route, "endpoint", None) is not _index
    )


async def _index(request: Request) -> Response:
    path = request.url.path.lstrip("/")
    if request.method not in ("GET", "HEAD") or path.startswith(_API_PREFIXES):
        # Not the UI: the app's error handlers answer as Starlette would without this route.
        raise HTTPException(status_code=405 if _other_method(request) else 404)
    response = FileResponse(STATIC_DIR / "index.html", media_type="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return _secure(response)


def install_ui(app: FastAPI) -> None:
    """Serve the UI at ``/``; call last so that every API route keeps precedence."""
    app.mount("/static-files", _SecureStatic(directory=STATIC_DIR), name="static-files")
    app.router.routes.append(Route("/", _index, methods=["GET", "HEAD"]))
    app.router.routes.append(Route("/{path:path}", _index, methods=["GET", "HEAD"]))
