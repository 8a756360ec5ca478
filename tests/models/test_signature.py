"""Signatures: inference from data, the MLmodel JSON form, and enforcement at predict time."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mltrail.exceptions import MlflowException
from mltrail.models import (
    ColSpec,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    infer_signature,
)
from mltrail.models.signature import enforce_params, enforce_schema


def test_infer_signature_from_dataframe_marks_columns_with_missing_values_optional() -> None:
    frame = pd.DataFrame({"x": [1, 2], "y": [0.5, None], "s": ["a", "b"]})
    signature = infer_signature(frame, np.array([1, 0]))
    assert signature.inputs is not None
    assert [(c.name, c.type, c.required) for c in signature.inputs.inputs] == [
        ("x", "long", True),
        ("y", "double", False),
        ("s", "string", True),
    ]
    assert signature.outputs is not None
    assert signature.outputs.is_tensor_spec()


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ({"q": "hi", "n": 3}, [("q", "string"), ("n", "long")]),
        ([{"q": "hi"}, {"q": "yo"}], [("q", "string")]),
        ("just text", [(None, "string")]),
        (["a", "b"], [(None, "string")]),
        (pd.Series([1.5, 2.5], name="v"), [("v", "double")]),
    ],
    ids=["dict", "list-of-dicts", "string", "list-of-strings", "series"],
)
def test_infer_signature_from_python_values(example: object, expected: list[object]) -> None:
    schema = infer_signature(example).inputs
    assert schema is not None
    assert [(spec.name, spec.type) for spec in schema.inputs] == expected


def test_infer_signature_from_numpy_gives_tensor_spec_with_variable_batch() -> None:
    schema = infer_signature(np.zeros((5, 3), dtype=np.float32)).inputs
    assert schema is not None
    spec = schema.inputs[0]
    assert isinstance(spec, TensorSpec)
    assert spec.shape == (-1, 3)
    assert spec.type == np.dtype("float32")


def test_signature_round_trips_through_mlmodel_json_strings() -> None:
    signature = ModelSignature(
        Schema([ColSpec("double", "a"), ColSpec("string", "b", required=False)]),
        Schema([TensorSpec(np.dtype("int64"), (-1,))]),
        ParamSchema([ParamSpec("k", "long", 3), ParamSpec("tags", "string", ["x"], (-1,))]),
    )
    stored = signature.to_dict()
    assert json.loads(stored["inputs"] or "") == [
        {"type": "double", "name": "a", "required": True},
        {"type": "string", "name": "b", "required": False},
    ]
    assert json.loads(stored["outputs"] or "") == [
        {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}
    ]
    assert ModelSignature.from_dict(stored) == signature


def test_enforce_schema_casts_int_column_to_double() -> None:
    schema = Schema([ColSpec("double", "a")])
    out = enforce_schema(pd.DataFrame({"a": [1, 2]}), schema)
    assert out["a"].dtype == np.float64


def test_enforce_schema_rejects_unsafe_cast_naming_column_and_type() -> None:
    schema = Schema([ColSpec("long", "count")])
    with pytest.raises(MlflowException, match=r"column count.*long"):
        enforce_schema(pd.DataFrame({"count": [1.5]}), schema)


def test_enforce_schema_reports_missing_required_column() -> None:
    schema = Schema([ColSpec("double", "a"), ColSpec("double", "b", required=False)])
    with pytest.raises(MlflowException, match=r"missing inputs \['a'\]"):
        enforce_schema(pd.DataFrame({"b": [1.0]}), schema)
    assert list(enforce_schema(pd.DataFrame({"a": [1.0]}), schema).columns) == ["a"]


def test_enforce_tensor_schema_checks_dtype_and_shape() -> None:
    schema = Schema([TensorSpec(np.dtype("float64"), (-1, 2))])
    assert enforce_schema(np.ones((3, 2), dtype=np.int32), schema).dtype == np.float64
    with pytest.raises(MlflowException, match="does not match expected shape"):
        enforce_schema(np.ones((3, 4)), schema)


def test_enforce_params_fills_defaults_and_rejects_bad_types() -> None:
    schema = ParamSchema([ParamSpec("k", "long", 3), ParamSpec("mode", "string", "fast")])
    assert enforce_params(None, schema) == {"k": 3, "mode": "fast"}
    assert enforce_params({"k": 5.0}, schema) == {"k": 5, "mode": "fast"}
    with pytest.raises(MlflowException, match="param 'mode' to type string"):
        enforce_params({"mode": 1}, schema)
