"""Every error leaves the server as MLflow's ``{"error_code", "message"}`` body."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mltrail.exceptions import ErrorCode, MlflowException
from mltrail.protocol.codec import dumps

__all__ = ["install_error_handlers"]

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.ENDPOINT_NOT_FOUND,
    405: ErrorCode.BAD_REQUEST,
    413: ErrorCode.RESOURCE_EXHAUSTED,
}


def error_response(status: int, code: str, message: str) -> Response:
    """An MLflow-shaped JSON error response."""
    body = dumps({"error_code": code, "message": message})
    return Response(body, status_code=status, media_type="application/json")


async def _mlflow_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MlflowException)
    return error_response(exc.get_http_status_code(), exc.error_code, exc.message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST)
    if exc.status_code == 404:
        message = f"No endpoint {request.method} {request.url.path}."
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    else:
        message = str(exc.detail)
    return error_response(exc.status_code, code, message)


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("Unhandled error serving %s %s", request.method, request.url.path)
    return error_response(500, ErrorCode.INTERNAL_ERROR, "Internal server error; see the log.")


def install_error_handlers(app: FastAPI) -> None:
    """Map MlflowException, HTTP errors and anything else to MLflow's error body."""
    app.add_exception_handler(MlflowException, _mlflow_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
