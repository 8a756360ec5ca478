"""The served OpenAPI document, built from the endpoint table and its wire models.

GET endpoints read their request from the query string, so their request model becomes query
parameters (a list field is a repeated parameter); other endpoints take it as a JSON body.
Error responses share MLflow's ``{"error_code", "message"}`` shape.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from mltrail.protocol.endpoint import Endpoint

__all__ = ["build_openapi"]

_REF = "#/components/schemas/{model}"
_ERROR = {
    "type": "object",
    "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}},
    "required": ["error_code", "message"],
}


def _path_names(path: str) -> list[str]:
    return re.findall(r"{([^}]+)}", path)


def _parameters(
    schema: dict[str, Any], where: str, names: list[str] | None
) -> list[dict[str, Any]]:
    """Parameters ``in`` the path or query for the named (or all) properties of a schema."""
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        if names is not None and name not in names:
            continue
        param: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": prop,
        }
        if prop.get("type") == "array":
            param["style"] = "form"
            param["explode"] = True
        params.append(param)
    return params


def _without(schema: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """A copy of an object schema without some properties (those that travel in the path)."""
    out = copy.deepcopy(schema)
    for name in names:
        out.get("properties", {}).pop(name, None)
    out["required"] = [r for r in out.get("required", []) if r not in names]
    if not out["required"]:
        out.pop("required")
    return out


def build_openapi(endpoints: tuple[Endpoint, ...], version: str) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of ``endpoints`` under both ``/api`` and ``/ajax-api``."""
    models: set[type[BaseModel]] = set()
    for e in endpoints:
        models.add(e.request)
        models.add(e.response)
    ordered = sorted(models, key=lambda m: m.__name__)
    keyed, defs = models_json_schema([(m, "validation") for m in ordered], ref_template=_REF)
    components: dict[str, Any] = dict(defs.get("$defs", {}))
    components["Error"] = _ERROR
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        request_ref = keyed[(e.request, "validation")]
        response_ref = keyed[(e.response, "validation")]
        operation: dict[str, Any] = {
            "operationId": f"{e.name}{e.method.title()}" if e.method == "GET" else e.name,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": response_ref}},
                },
                "default": {
                    "description": "Error",
                    "content": {
                        "application/json": {"schema": {"$ref": _REF.format(model="Error")}}
                    },
                },
            },
        }
        name = request_ref["$ref"].rsplit("/", 1)[-1]
        in_path = _path_names(e.api_path)
        params = _parameters(components[name], "path", in_path) if in_path else []
        if e.method == "GET":
            rest = [p for p in components[name].get("properties", {}) if p not in in_path]
            operation["parameters"] = params + _parameters(components[name], "query", rest)
        else:
            if params:
                operation["parameters"] = params
            body = _without(components[name], in_path) if in_path else request_ref
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body}},
            }
        paths.setdefault(e.api_path, {})[e.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "mltrail tracking server (MLflow REST API)", "version": version},
        "paths": paths,
        "components": {"schemas": components},
    }
