"""The model format: MLmodel files, signatures, input examples, requirements and flavors."""

from __future__ import annotations

from mltrail.models.flavor import Flavor, get_flavor, known_flavors, register_flavor
from mltrail.models.from_code import set_model
from mltrail.models.mlmodel import Model
from mltrail.models.signature import (
    ColSpec,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    infer_signature,
)

__all__ = [
    "ColSpec",
    "Flavor",
    "Model",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "get_flavor",
    "infer_signature",
    "known_flavors",
    "register_flavor",
    "set_model",
]
