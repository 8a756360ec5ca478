"""Schema descriptions in MLflow's JSON layout (column specs and tensor specs)."""

from __future__ import annotations

from typing import Any

__all__ = ["colspec_schema", "dtype_name", "tensor_schema"]

_KIND_NAMES = {
    "b": "boolean",
    "i": "long",
    "u": "long",
    "f": "double",
    "M": "datetime",
    "U": "string",
    "S": "binary",
}


def dtype_name(dtype: Any) -> str:
    """Map a NumPy or pandas dtype to MLflow's column type name."""
    kind = getattr(dtype, "kind", "O")
    if kind == "i" and getattr(dtype, "itemsize", 8) <= 4:
        return "integer"
    if kind == "f" and getattr(dtype, "itemsize", 8) <= 4:
        return "float"
    if str(dtype) in ("string", "str"):
        return "string"
    return _KIND_NAMES.get(kind, "string")


def colspec_schema(columns: list[tuple[str, str]]) -> dict[str, Any]:
    """Return ``{"mlflow_colspec": [...]}`` for (name, type) pairs."""
    return {
        "mlflow_colspec": [{"type": kind, "name": name, "required": True} for name, kind in columns]
    }


def tensor_schema(dtype: Any, shape: tuple[int, ...]) -> dict[str, Any]:
    """Return ``{"mlflow_tensorspec": ...}`` for an array's dtype and shape (batch dim -1)."""
    dims = [-1, *shape[1:]] if shape else []
    return {
        "mlflow_tensorspec": [
            {"type": "tensor", "tensor-spec": {"dtype": str(dtype), "shape": dims}}
        ]
    }
