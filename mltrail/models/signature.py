"""Model signatures: column, tensor and param specs, inference from data, and enforcement."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mltrail.exceptions import InvalidParameterValue, MlflowException

__all__ = [
    "ColSpec",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "enforce_params",
    "enforce_schema",
    "infer_signature",
]

# Column type name -> numpy dtype used when casting a column to it.
_COL_DTYPES: dict[str, Any] = {
    "boolean": np.dtype("bool"),
    "integer": np.dtype("int32"),
    "long": np.dtype("int64"),
    "float": np.dtype("float32"),
    "double": np.dtype("float64"),
    "string": np.dtype("object"),
    "binary": np.dtype("object"),
    "datetime": np.dtype("datetime64[ns]"),
}


def _col_type_of(values: Any) -> str:
    """The column type name of a numpy/pandas dtype or a Python scalar."""
    if isinstance(values, bool | np.bool_):
        return "boolean"
    if isinstance(values, int | np.integer) and not isinstance(values, np.int32):
        return "long"
    if isinstance(values, np.int32):
        return "integer"
    if isinstance(values, np.float32):
        return "float"
    if isinstance(values, float | np.floating):
        return "double"
    if isinstance(values, str):
        return "string"
    if isinstance(values, bytes):
        return "binary"
    dtype = np.dtype(values) if not isinstance(values, np.dtype) else values
    return _dtype_name(dtype)


def _dtype_name(dtype: np.dtype[Any]) -> str:
    kind = dtype.kind
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "integer" if dtype.itemsize <= 4 and kind == "i" else "long"
    if kind == "f":
        return "float" if dtype.itemsize <= 4 else "double"
    if kind in "OU":
        return "string"
    if kind == "S":
        return "binary"
    if kind == "M":
        return "datetime"
    raise InvalidParameterValue(f"Cannot infer a column type for dtype {dtype}.")


@dataclass(slots=True)
class ColSpec:
    """A named (or unnamed) column of a given type.

    Args:
        type: ``boolean``, ``integer``, ``long``, ``float``, ``double``, ``string``,
            ``binary`` or ``datetime``.
        name: Column name, or None for a positional column.
        required: Whether inputs must contain the column.
    """

    type: str
    name: str | None = None
    required: bool = True

    def __post_init__(self) -> None:
        self.type = str(getattr(self.type, "name", self.type)).lower()
        if self.type not in _COL_DTYPES:
            raise InvalidParameterValue(
                f"Unknown column type {self.type!r}; use one of {', '.join(_COL_DTYPES)}."
            )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form MLflow writes."""
        out: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out


@dataclass(slots=True)
class TensorSpec:
    """A tensor of a numpy dtype and shape (``-1`` for a variable dimension).

    Args:
        type: numpy dtype.
        shape: Dimensions, ``-1`` where any size is allowed.
        name: Tensor name, or None.
    """

    type: np.dtype[Any]
    shape: tuple[int, ...]
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form MLflow writes."""
        out: dict[str, Any] = {"type": "tensor"}
        if self.name is not None:
            out["name"] = self.name
        out["tensor-spec"] = {"dtype": str(self.type), "shape": list(self.shape)}
        return out


@dataclass(slots=True)
class Schema:
    """An ordered list of column specs or of tensor specs (not both)."""

    inputs: list[ColSpec | TensorSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        kinds = {type(spec) for spec in self.inputs}
        if len(kinds) > 1:
            raise InvalidParameterValue("A schema holds either ColSpecs or TensorSpecs, not both.")

    def is_tensor_spec(self) -> bool:
        """Whether the schema describes tensors."""
        return bool(self.inputs) and isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        """Whether every spec is named."""
        return bool(self.inputs) and all(spec.name is not None for spec in self.inputs)

    def input_names(self) -> list[str | None]:
        """The specs' names, in order."""
        return [spec.name for spec in self.inputs]

    def to_json(self) -> str:
        """The JSON string MLflow stores in the MLmodel file."""
        return json.dumps([spec.to_dict() for spec in self.inputs])

    @classmethod
    def from_json(cls, text: str) -> Schema:
        """Parse the JSON string of an MLmodel file's signature."""
        specs: list[ColSpec | TensorSpec] = []
        for item in json.loads(text):
            if item.get("type") == "tensor":
                tensor = item["tensor-spec"]
                shape = tuple(int(d) for d in tensor["shape"])
                specs.append(TensorSpec(np.dtype(tensor["dtype"]), shape, item.get("name")))
            else:
                specs.append(ColSpec(item["type"], item.get("name"), item.get("required", True)))
        return cls(specs)


@dataclass(slots=True)
class ParamSpec:
    """An inference parameter with a type and a default.

    Args:
        name: Parameter name.
        dtype: A column type name (``long``, ``double``, ``string``, ...).
        default: Value used when the caller does not pass one.
        shape: None for a scalar, ``(-1,)`` for a list.
    """

    name: str
    dtype: str
    default: Any
    shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form MLflow writes."""
        shape = list(self.shape) if self.shape is not None else None
        return {"name": self.name, "type": self.dtype, "default": self.default, "shape": shape}


@dataclass(slots=True)
class ParamSchema:
    """The list of a model's inference parameters."""

    params: list[ParamSpec] = field(default_factory=list)

    def to_json(self) -> str:
        """The JSON string MLflow stores in the MLmodel file."""
        return json.dumps([spec.to_dict() for spec in self.params])

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        """Parse the JSON string of an MLmodel file's signature params."""
        specs = []
        for item in json.loads(text):
            shape = tuple(item["shape"]) if item.get("shape") is not None else None
            specs.append(ParamSpec(item["name"], item["type"], item.get("default"), shape))
        return cls(specs)


@dataclass(slots=True)
class ModelSignature:
    """What a model takes and returns: input and output schemas and inference params."""

    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The MLmodel ``signature`` mapping (each value a JSON string, as MLflow writes)."""
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": self.params.to_json() if self.params else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSignature:
        """Parse the MLmodel ``signature`` mapping."""
        inputs, outputs, params = data.get("inputs"), data.get("outputs"), data.get("params")
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )


def _infer_schema(data: Any) -> Schema:
    if isinstance(data, pd.DataFrame):
        specs: list[ColSpec | TensorSpec] = []
        for name in data.columns:
            column = data[name]
            required = not bool(column.isna().any())
            sample = column.dropna()
            if column.dtype == object and len(sample):
                col_type = _col_type_of(sample.iloc[0])
            else:
                col_type = _dtype_name(column.dtype)
            specs.append(ColSpec(col_type, str(name), required))
        return Schema(specs)
    if isinstance(data, pd.Series):
        return _infer_schema(data.to_frame(name=data.name if data.name is not None else None))
    if isinstance(data, np.ndarray):
        return Schema([TensorSpec(data.dtype, (-1, *data.shape[1:]))])
    if isinstance(data, Mapping):
        if all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema(
                [TensorSpec(v.dtype, (-1, *v.shape[1:]), str(k)) for k, v in data.items()]
            )
        return Schema([ColSpec(_col_type_of(_first(v)), str(k)) for k, v in data.items()])
    if isinstance(data, str | bytes | int | float | bool):
        return Schema([ColSpec(_col_type_of(data))])
    if isinstance(data, Sequence) and data:
        if all(isinstance(item, Mapping) for item in data):
            return _infer_schema(pd.DataFrame(list(data)))
        if all(isinstance(item, str) for item in data):
            return Schema([ColSpec("string")])
        return _infer_schema(np.asarray(data))
    raise InvalidParameterValue(
        f"Cannot infer a schema from {type(data).__name__}; pass a pandas DataFrame or Series, "
        "a numpy array, a dict, a list of dicts or strings, or build a ModelSignature by hand."
    )


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple) and value:
        return value[0]
    if isinstance(value, np.ndarray | pd.Series) and len(value):
        return value[0]
    return value


def _infer_params(params: Mapping[str, Any]) -> ParamSchema:
    specs = []
    for name, value in params.items():
        if isinstance(value, list):
            dtype = _col_type_of(value[0]) if value else "string"
            specs.append(ParamSpec(name, dtype, value, (-1,)))
        else:
            specs.append(ParamSpec(name, _col_type_of(value), value))
    return ParamSchema(specs)


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> ModelSignature:
    """Infer a signature from example inputs, outputs and inference params.

    Args:
        model_input: A pandas DataFrame or Series, numpy array, dict, list of dicts, string or
            list of strings. Columns with missing values become optional.
        model_output: An example of what the model returns (same kinds).
        params: Inference params with their default values.

    Returns:
        The signature; a part is None when its example is None.

    Raises:
        InvalidParameterValue: An example's type is not supported.
    """
    return ModelSignature(
        _infer_schema(model_input) if model_input is not None else None,
        _infer_schema(model_output) if model_output is not None else None,
        _infer_params(params) if params else None,
    )


# Widening casts that never lose information: actual type -> types it may become.
_SAFE_CASTS: dict[str, set[str]] = {
    "integer": {"long", "float", "double"},
    "long": {"double"},
    "float": {"double"},
}


def _actual_type(dtype: Any) -> str | None:
    """The column type of a dtype, or None for object/string columns."""
    if getattr(dtype, "kind", "O") in "OU":
        return None
    try:
        return _dtype_name(np.dtype(dtype))
    except (TypeError, InvalidParameterValue):
        return None


def _needs_cast(dtype: Any, spec: ColSpec) -> bool:
    actual = _actual_type(dtype)
    if actual is None:
        return spec.type not in ("string", "binary")
    return actual != spec.type


def _cast_column(values: pd.Series, spec: ColSpec) -> pd.Series:
    actual = _actual_type(values.dtype)
    if actual is not None and spec.type in _SAFE_CASTS.get(actual, set()):
        return values.astype(_COL_DTYPES[spec.type])
    if actual == "datetime" or spec.type == "datetime":
        return pd.to_datetime(values)
    raise MlflowException(
        f"Incompatible input types for column {spec.name or '<unnamed>'}. Can not safely "
        f"convert {values.dtype} to {spec.type}. Pass values of type {spec.type}.",
        error_code="INVALID_PARAMETER_VALUE",
    )


def enforce_schema(data: Any, schema: Schema) -> Any:
    """Check and safely cast model input against a schema.

    Args:
        data: The input passed to ``predict``.
        schema: The signature's input schema.

    Returns:
        The input, cast where a widening cast is safe.

    Raises:
        MlflowException: A required column is missing or a value cannot be cast safely; the
            message names the column and the expected type.
    """
    if schema.is_tensor_spec():
        return _enforce_tensor(data, schema)
    if not schema.has_input_names():
        return data
    if isinstance(data, Mapping):
        data = (
            pd.DataFrame([data])
            if not any(isinstance(v, list) for v in data.values())
            else (pd.DataFrame(data))
        )
    elif isinstance(data, list) and data and isinstance(data[0], Mapping):
        data = pd.DataFrame(data)
    if not isinstance(data, pd.DataFrame):
        return data
    specs = [spec for spec in schema.inputs if isinstance(spec, ColSpec)]
    missing = [s.name for s in specs if s.required and s.name not in data.columns]
    if missing:
        expected = ", ".join(f"{s.name} ({s.type})" for s in specs)
        raise MlflowException(
            f"Model is missing inputs {missing}. Expected columns: {expected}.",
            error_code="INVALID_PARAMETER_VALUE",
        )
    dtypes = dict(zip(data.columns, data.dtypes, strict=True))
    out = data
    for spec in specs:
        if spec.name in dtypes and _needs_cast(dtypes[spec.name], spec):
            if out is data:
                out = data.copy()
            out[spec.name] = _cast_column(data[spec.name], spec)
    return out


def _enforce_tensor(data: Any, schema: Schema) -> Any:
    spec = schema.inputs[0]
    if not isinstance(spec, TensorSpec) or len(schema.inputs) != 1:
        return data
    array = data.to_numpy() if isinstance(data, pd.DataFrame) else np.asarray(data)
    if array.dtype != spec.type:
        if not np.can_cast(array.dtype, spec.type, casting="safe"):
            raise MlflowException(
                f"Incompatible input type for tensor input: got {array.dtype}, expected "
                f"{spec.type}. Convert the input to {spec.type}.",
                error_code="INVALID_PARAMETER_VALUE",
            )
        array = array.astype(spec.type)
    if len(array.shape) != len(spec.shape) or any(
        want not in (-1, got) for want, got in zip(spec.shape, array.shape, strict=False)
    ):
        raise MlflowException(
            f"Shape of input {array.shape} does not match expected shape {spec.shape}.",
            error_code="INVALID_PARAMETER_VALUE",
        )
    return array


def enforce_params(params: Mapping[str, Any] | None, schema: ParamSchema | None) -> dict[str, Any]:
    """Fill defaults and check the types of inference params.

    Raises:
        MlflowException: A param cannot be converted to its declared type.
    """
    given = dict(params or {})
    if schema is None:
        return given
    out: dict[str, Any] = {}
    for spec in schema.params:
        value = given.pop(spec.name, spec.default)
        out[spec.name] = _cast_param(spec, value)
    out.update(given)  # unknown params pass through; MLflow only warns about them
    return out


_PARAM_TYPES: dict[str, type | tuple[type, ...]] = {"boolean": bool, "string": str}


def _cast_param(spec: ParamSpec, value: Any) -> Any:
    if value is None or spec.shape is not None:
        return value
    casts: dict[str, Any] = {"long": int, "integer": int, "double": float, "float": float}
    if spec.dtype in casts and not isinstance(value, bool | str):
        try:
            return casts[spec.dtype](value)
        except (TypeError, ValueError):
            pass
    elif spec.dtype in ("binary", "datetime") or isinstance(
        value, _PARAM_TYPES.get(spec.dtype, ())
    ):
        return value
    raise MlflowException(
        f"Failed to convert value {value!r} of param {spec.name!r} to type {spec.dtype}. "
        f"Pass a {spec.dtype} value.",
        error_code="INVALID_PARAMETER_VALUE",
    )
