"""The JSON rules of MLflow's REST API, in one place.

- Field names are snake_case, as in MLflow's protos.
- int64 fields travel as JSON numbers.
- Non-finite doubles travel as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (the
  protobuf JSON mapping); bare ``NaN``/``Infinity`` tokens, which Python's ``json`` writes, are
  accepted on input too.
- Unset and empty fields are omitted from responses, as protobuf's JSON printer omits them.
- Unknown request fields are ignored, and GET endpoints read their request from the query string,
  where a repeated key makes a list.
"""

from __future__ import annotations

import json
import math
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, TypeVar, get_args, get_origin

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, WithJsonSchema

from mltrail.exceptions import InvalidParameterValue

__all__ = [
    "Clean",
    "IdStr",
    "WireFloat",
    "WireModel",
    "decode_body",
    "decode_query",
    "dumps",
    "loads",
    "parse_request",
    "prune",
    "wire_float",
]

M = TypeVar("M", bound=BaseModel)

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class WireModel(BaseModel):
    """Base of every request and response model: unknown fields ignored, fields by name."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=False)


def _integer_as_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


# An id that travels as a string but that clients sometimes send as an integer (experiment ids).
IdStr = Annotated[str, BeforeValidator(_integer_as_text)]


# A double: a JSON number, or one of the protobuf JSON strings for non-finite values.
WireFloat = Annotated[
    float,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]},
            ]
        }
    ),
]


def wire_float(value: float) -> float | str:
    """Return a double as it travels: itself when finite, else its protobuf JSON string."""
    if math.isfinite(value):
        return value
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def read_float(value: float | int | str) -> float:
    """Read a double that may travel as a number or as a protobuf JSON string."""
    if isinstance(value, str):
        special = _NONFINITE.get(value)
        return special if special is not None else float(value)
    return float(value)


class Clean(list[Any]):
    """A list whose items are already pruned (no None, no empty containers): ``prune`` keeps it
    as is, which matters for long lists such as a 100,000-point metric history."""


def prune(value: Any) -> Any:
    """Drop ``None`` and empty lists/dicts from a JSON-shaped value, recursively."""
    if type(value) is Clean:
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            item = prune(item)
            if (isinstance(item, (list, dict))) and not item:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [prune(item) for item in value]
    return value


def dumps(value: Any) -> bytes:
    """Encode a JSON-shaped value (already pruned, non-finite floats already strings)."""
    return orjson.dumps(value)


def loads(body: bytes | str) -> Any:
    """Decode JSON, accepting the bare NaN/Infinity tokens that Python clients write."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            return json.loads(body)
        except ValueError as exc:
            raise InvalidParameterValue(f"Malformed JSON in the request body: {exc}") from None
        except RecursionError:
            raise InvalidParameterValue(
                "Malformed JSON in the request body: nested too deeply."
            ) from None


def decode_body(body: bytes) -> dict[str, Any]:
    """Decode a request body into a dict; an empty body is an empty request."""
    if not body.strip():
        return {}
    data = loads(body)
    if not isinstance(data, dict):
        raise InvalidParameterValue(
            f"The request body must be a JSON object, got {type(data).__name__}."
        )
    return data


def _is_list_field(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list_field(arg) for arg in get_args(annotation))
    return False


def decode_query(model: type[BaseModel], items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Build a request dict from query-string pairs; repeated keys of list fields make lists."""
    list_fields = {
        name for name, info in model.model_fields.items() if _is_list_field(info.annotation)
    }
    data: dict[str, Any] = {}
    for key, value in items:
        if key in list_fields:
            data.setdefault(key, []).append(value)
        else:
            data[key] = value
    return data


def _describe(error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "request"
    if error["type"] == "missing":
        return (
            f"Missing value for required parameter '{field}'. "
            "See the API docs for more information about request parameters."
        )
    return (
        f"Invalid value {error.get('input')!r} for parameter '{field}' supplied: "
        f"{error['msg']}. See the API docs for more information about request parameters."
    )


def parse_request(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate a request dict against its wire model.

    Raises:
        InvalidParameterValue: A required field is missing or a field has the wrong type; the
            message names the field.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidParameterValue(_describe(exc.errors()[0])) from None
