"""MlflowException, MLflow's error codes and the HTTP status each code maps to."""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "HTTP_STATUS_BY_CODE",
    "ErrorCode",
    "InvalidParameterValue",
    "InvalidState",
    "MlflowException",
    "MltrailException",
    "PermissionDenied",
    "ResourceAlreadyExists",
    "ResourceDoesNotExist",
    "Unauthenticated",
]


class ErrorCode:
    """MLflow's error-code names, as they appear in REST error bodies."""

    INTERNAL_ERROR = "INTERNAL_ERROR"
    INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
    RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
    RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
    INVALID_STATE = "INVALID_STATE"
    BAD_REQUEST = "BAD_REQUEST"
    ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
    TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"


HTTP_STATUS_BY_CODE: dict[str, int] = {
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.INVALID_PARAMETER_VALUE: 400,
    ErrorCode.RESOURCE_DOES_NOT_EXIST: 404,
    ErrorCode.RESOURCE_ALREADY_EXISTS: 400,
    ErrorCode.INVALID_STATE: 400,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.ENDPOINT_NOT_FOUND: 404,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.RESOURCE_EXHAUSTED: 429,
    ErrorCode.REQUEST_LIMIT_EXCEEDED: 429,
    ErrorCode.TEMPORARILY_UNAVAILABLE: 503,
    ErrorCode.NOT_IMPLEMENTED: 501,
}


class MlflowException(Exception):
    """Base error of mltrail; carries an MLflow error code.

    Args:
        message: What went wrong and how to fix it.
        error_code: One of the ``ErrorCode`` names; ``INTERNAL_ERROR`` by default.
    """

    default_error_code = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: object, error_code: str | None = None, **kwargs: Any) -> None:
        self.message = str(message)
        self.error_code = error_code or self.default_error_code
        self.json_kwargs = kwargs
        super().__init__(self.message)

    def get_http_status_code(self) -> int:
        """Return the HTTP status that this error's code maps to."""
        return HTTP_STATUS_BY_CODE.get(self.error_code, 500)

    def serialize_as_json(self) -> str:
        """Return the REST error body as a JSON string."""
        return json.dumps({"error_code": self.error_code, "message": self.message})

    @classmethod
    def invalid_parameter_value(cls, message: str) -> MlflowException:
        """Build an ``INVALID_PARAMETER_VALUE`` error."""
        return cls(message, ErrorCode.INVALID_PARAMETER_VALUE)


MltrailException = MlflowException


class InvalidParameterValue(MlflowException):
    """A request argument is malformed or breaks a rule."""

    default_error_code = ErrorCode.INVALID_PARAMETER_VALUE


class ResourceDoesNotExist(MlflowException):
    """The named experiment, run or other resource does not exist."""

    default_error_code = ErrorCode.RESOURCE_DOES_NOT_EXIST


class ResourceAlreadyExists(MlflowException):
    """A resource with that name or id already exists."""

    default_error_code = ErrorCode.RESOURCE_ALREADY_EXISTS


class InvalidState(MlflowException):
    """The resource is in a state that forbids the operation (e.g. deleted)."""

    default_error_code = ErrorCode.INVALID_STATE


class PermissionDenied(MlflowException):
    """The caller may not perform the operation."""

    default_error_code = ErrorCode.PERMISSION_DENIED


class Unauthenticated(MlflowException):
    """The caller did not present valid credentials."""

    default_error_code = ErrorCode.UNAUTHENTICATED
